"""Evacuation demand: people grouped by origin node, demographic group, mode and departure curve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evacplan.errors import InvalidProblemError
from evacplan.scenario.schema import GroupSpec

__all__ = ["Demand", "GroupSpec"]


@dataclass(frozen=True, eq=False)
class Demand:
    """People to evacuate, one row per (origin node, group, mode, danger zone).

    Attributes
    ----------
    origin
        Origin node index, ``int32[k]``.
    group
        Index into :attr:`groups`, ``int16[k]``.
    mode
        Index into the network's modes, ``int16[k]``.
    count
        Persons, ``int64[k]`` (> 0).
    danger
        Danger zone of the origin, ``int32[k]`` (``-1`` when outside every danger zone).
    curve
        Row of the problem's departure curves this row follows, ``int16[k]``.
    groups
        The demographic groups.
    """

    origin: NDArray[np.int32]
    group: NDArray[np.int16]
    mode: NDArray[np.int16]
    count: NDArray[np.int64]
    danger: NDArray[np.int32]
    curve: NDArray[np.int16]
    groups: tuple[GroupSpec, ...]

    def __repr__(self) -> str:
        return (f"<Demand: {self.total:,} persons in {self.n_rows:,} rows, groups "
                f"{[g.name for g in self.groups]}>")

    @property
    def n_rows(self) -> int:
        """Number of demand rows."""
        return int(self.origin.shape[0])

    @property
    def total(self) -> int:
        """Total persons."""
        return int(self.count.sum())

    def validate(self, n_nodes: int, n_modes: int, n_curves: int) -> None:
        """Check the array invariants.

        Raises
        ------
        evacplan.errors.InvalidProblemError
            Naming the first invariant broken.
        """
        k = self.n_rows
        for name in ("group", "mode", "count", "danger", "curve"):
            if getattr(self, name).shape != (k,):
                raise InvalidProblemError(f"demand: {name} shape {getattr(self, name).shape} != {(k,)}")
        for name, arr, bound in (("origin", self.origin, n_nodes), ("group", self.group, len(self.groups)),
                                 ("mode", self.mode, n_modes), ("curve", self.curve, n_curves)):
            if k and not (arr.min() >= 0 and arr.max() < bound):
                raise InvalidProblemError(f"demand: {name} index out of range [0, {bound})")
        if not np.all(self.count > 0):
            raise InvalidProblemError("demand: count must be > 0")
