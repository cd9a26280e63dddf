"""Danger and safe zones mapped onto network nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from evacplan.errors import InvalidProblemError

__all__ = ["ZoneMap"]


@dataclass(frozen=True, eq=False)
class ZoneMap:
    """Which node lies in which danger or safe zone.

    Attributes
    ----------
    danger_names
        Danger zone names, in scenario order.
    danger_deadline_s
        ``clear_by`` deadline of each danger zone, seconds from the start, ``float64[z]``.
    node_danger
        Danger zone of each node, ``int32[n]``, ``-1`` outside every danger zone. Where danger zones overlap the one
        with the earliest deadline wins.
    safe_names
        Safe zone names, in scenario order.
    safe_capacity
        Persons each safe zone can still receive, ``float64[s]`` (``inf`` when unlimited): its declared capacity
        minus the people who already live in it (:attr:`safe_residents`), never below 0.
    node_safe
        Safe zone of each node, ``int32[n]``, ``-1`` outside every safe zone. Reaching such a node is reaching safety.
    safe_area_m2
        Usable area of each safe zone in m2, ``float64[s]`` (``nan`` when not given).
    safe_services
        Service inventory per safe zone: ``{"water_l_per_day": float64[s], "water_points": ..., "latrines": ...,
        "health_facilities": ...}`` (``nan`` where not given).
    safe_residents
        People already living in each safe zone (placed on its nodes; they stay), ``float64[s]``; empty when not
        known (problems made without a population layer).
    safe_declared_capacity
        Each safe zone's capacity as declared (``capacity`` column, or area / m2 per person), before residents
        are deducted, ``float64[s]``; empty when not known.
    safe_drawn_area_m2
        Area of each safe zone's drawn polygon in m2, ``float64[s]`` (``nan`` where the network's CRS is not
        metric); empty when not known. :attr:`safe_area_m2` is the declared ``area_m2`` where given, else this.
    """

    danger_names: tuple[str, ...]
    danger_deadline_s: NDArray[np.float64]
    node_danger: NDArray[np.int32]
    safe_names: tuple[str, ...]
    safe_capacity: NDArray[np.float64]
    node_safe: NDArray[np.int32]
    safe_area_m2: NDArray[np.float64]
    safe_services: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    safe_residents: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    safe_declared_capacity: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    safe_drawn_area_m2: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def __repr__(self) -> str:
        return f"<ZoneMap: danger {list(self.danger_names)}, safe {list(self.safe_names)}>"

    @property
    def sinks(self) -> NDArray[np.int64]:
        """Indices of the nodes inside a safe zone."""
        return np.flatnonzero(self.node_safe >= 0)

    def validate(self, n_nodes: int) -> None:
        """Check the array invariants.

        Raises
        ------
        evacplan.errors.InvalidProblemError
            Naming the first invariant broken.
        """
        z, s = len(self.danger_names), len(self.safe_names)
        checks = (
            (self.node_danger.shape == (n_nodes,) and self.node_safe.shape == (n_nodes,), "node_danger/safe shape"),
            (self.danger_deadline_s.shape == (z,) and self.safe_capacity.shape == (s,), "deadline/capacity shape"),
            (self.node_danger.max(initial=-1) < z and self.node_safe.max(initial=-1) < s, "zone index out of range"),
            (bool(np.all(self.safe_capacity >= 0)), "negative safe capacity"),
            (self.safe_residents.shape in ((0,), (s,)) and self.safe_declared_capacity.shape in ((0,), (s,))
             and self.safe_drawn_area_m2.shape in ((0,), (s,)),
             "safe_residents/safe_declared_capacity/safe_drawn_area_m2 shape"),
        )
        for ok, what in checks:
            if not ok:
                raise InvalidProblemError(f"zones: {what}")
