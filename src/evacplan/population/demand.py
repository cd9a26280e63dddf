"""Evacuation demand: people grouped by origin node, demographic group, mode and departure curve."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

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

    @property
    def n_rows(self) -> int:
        """Number of demand rows."""
        return int(self.origin.shape[0])

    @property
    def total(self) -> int:
        """Total persons."""
        return int(self.count.sum())

    def validate(self, n_nodes: int, n_modes: int, n_curves: int) -> None:
        """Check the array invariants."""
        k = self.n_rows
        for name in ("group", "mode", "count", "danger", "curve"):
            assert getattr(self, name).shape == (k,), name
        assert k == 0 or (self.origin.min() >= 0 and self.origin.max() < n_nodes), "origin"
        assert k == 0 or (self.group.min() >= 0 and self.group.max() < len(self.groups)), "group"
        assert k == 0 or (self.mode.min() >= 0 and self.mode.max() < n_modes), "mode"
        assert k == 0 or (self.curve.min() >= 0 and self.curve.max() < n_curves), "curve"
        assert np.all(self.count > 0), "count must be > 0"
