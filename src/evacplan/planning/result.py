"""The plan: who leaves when, by which route, to which safe zone; and the bound that certifies it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["Plan"]


@dataclass(frozen=True, eq=False)
class Plan:
    """An evacuation plan for a :class:`~evacplan.problem.problem.Problem`.

    People move in *groups*: persons of one demand row who leave together and follow one path.

    Attributes
    ----------
    method
        ``"fast"`` or ``"exact"``.
    row
        Demand row of each group (origin, demographic group, mode, danger zone come from it), ``int32[g]``.
    count
        Persons in each group, ``int64[g]``.
    departure_s
        Departure time of each group from its origin, seconds, ``float64[g]``.
    arrival_s
        Time the last person of the group reaches safety, seconds, ``float64[g]``.
    safe_zone
        Safe zone each group is sent to, ``int32[g]``.
    path_indptr, path_edges
        The path of group ``i`` is the edge sequence ``path_edges[path_indptr[i]:path_indptr[i + 1]]`` (edge indices
        of the problem's network), from its origin to a node of its safe zone (empty when the origin already is one).
    evacuation_time_s
        Time the last planned person reaches safety.
    lower_bound_s
        A proven lower bound on the optimal evacuation time of the planned persons in the planning model at the
        scenario's own time step (:attr:`bound_model` says which), whatever step the plan was made at.
    unplanned
        Persons of each demand row the plan could not send to safety (no path, or no safe capacity left),
        ``int64[k]``.
    runtime_s
        Wall-clock seconds spent planning.
    bottlenecks
        Human-readable findings on what limits the plan (binding edges or zones), most binding first.
    path_entry_s
        Time each group enters each edge of its path, seconds, aligned with ``path_edges`` (people may wait at
        nodes between edges).
    time_step_s
        The time step the plan was made at (0 when unknown): each group departs during the window of this length
        that starts at its ``departure_s``.
    bound_model
        The model the lower bound holds in, in words (e.g. ``"planning model at 60 s steps: street capacities,
        no waiting on streets, safe-zone capacities"``).
    """

    method: str
    row: NDArray[np.int32]
    count: NDArray[np.int64]
    departure_s: NDArray[np.float64]
    arrival_s: NDArray[np.float64]
    safe_zone: NDArray[np.int32]
    path_indptr: NDArray[np.int64]
    path_edges: NDArray[np.int64]
    evacuation_time_s: float
    lower_bound_s: float
    unplanned: NDArray[np.int64]
    runtime_s: float = 0.0
    bottlenecks: tuple[str, ...] = field(default_factory=tuple)
    path_entry_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    time_step_s: float = 0.0
    bound_model: str = ""

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return int(self.row.shape[0])

    @property
    def gap(self) -> float:
        """``evacuation_time_s / lower_bound_s - 1`` (0 when both are 0)."""
        if self.lower_bound_s <= 0:
            return 0.0 if self.evacuation_time_s <= 0 else float("inf")
        return self.evacuation_time_s / self.lower_bound_s - 1.0

    def path(self, i: int) -> NDArray[np.int64]:
        """Edge indices of group ``i``'s path."""
        return self.path_edges[self.path_indptr[i] : self.path_indptr[i + 1]]

    def entry_times(self, i: int) -> NDArray[np.float64]:
        """Times group ``i`` enters each edge of its path, seconds."""
        return self.path_entry_s[self.path_indptr[i] : self.path_indptr[i + 1]]

    @property
    def evacuated(self) -> int:
        """Persons the plan brings to safety."""
        return int(self.count.sum())

    def arrival_curve(self) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Cumulative persons safe over time: ``(times_s, persons)``, one point per distinct arrival time."""
        if self.n_groups == 0:
            return np.zeros(1), np.zeros(1, dtype=np.int64)
        times, inv = np.unique(self.arrival_s, return_inverse=True)
        persons = np.bincount(inv, weights=self.count).astype(np.int64)
        return times, np.cumsum(persons)

    def time_to_share(self, share: float) -> float:
        """Seconds until ``share`` (0..1) of the planned persons are safe (0 when nobody is planned)."""
        times, cum = self.arrival_curve()
        if cum[-1] <= 0:
            return 0.0
        i = int(np.searchsorted(cum, share * cum[-1] - 1e-9))
        return float(times[min(i, times.size - 1)])
