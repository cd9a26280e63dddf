"""The plan: who leaves when, by which route, to which safe zone; and the bound that certifies it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from evacplan.planning.deadlines import ZoneDeadline
    from evacplan.planning.holding import HoldingAreas
    from evacplan.problem.problem import Problem

__all__ = ["Plan", "plan_from_paths"]


@dataclass(frozen=True, eq=False)
class Plan:
    """An evacuation plan for a :class:`~evacplan.problem.problem.Problem`.

    People move in *groups*: persons of one demand row who leave together and follow one path. Paths are stored as
    linked *steps* shared between groups whose routes end the same way (:mod:`evacplan.planning.paths`); use
    :meth:`path` and :meth:`entry_times` for one group, :meth:`expanded` for many.

    Attributes
    ----------
    method
        ``"fast"`` or ``"exact"``.
    row
        Demand row of each group (origin, demographic group, mode, danger zone come from it), ``int32[g]``.
    count
        Persons in each group, ``int64[g]``.
    departure_s
        Start of each group's departure window, seconds, ``float64[g]``: its persons leave their origin during
        ``[departure_s, departure_s + time_step_s)`` (over the first :attr:`departure_span_s` of it), each no
        earlier than released by the departure curve (:func:`~evacplan.problem.mobilization.group_release_times`).
    arrival_s
        Time by which the whole group is safe (the end of its arrival window), seconds, ``float64[g]``.
    safe_zone
        Safe zone each group is sent to, ``int32[g]``.
    path_start
        First step of each group's path, ``int64[g]`` (``-1``: the origin already is in its safe zone).
    step_edge, step_next
        Edge of each step and the step after it (``-1`` after the last), ``int64[k]``; a path runs from its
        group's origin to a node of its safe zone.
    step_to_go_s
        Seconds from entering a step's edge to the start of the arrival window (the same for every group using the
        step: nobody waits on the way), ``float64[k]``.
    step_len
        Edges from a step to the end of its path, ``int64[k]``.
    evacuation_time_s
        Time by which the last planned person is safe.
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
    time_step_s
        The time step the plan was made at (0 when unknown): the length of departure and arrival windows.
    bound_model
        The model the lower bound holds in, in words.
    edge_full_windows
        Time steps in which each edge was used to capacity by the plan, ``int64[m]`` (empty when unknown).
    deadlines
        Per danger zone with a deadline: persons the plan brings to safety by it, the certified maximum, and who is
        left and why where nobody can meet it (:mod:`evacplan.planning.deadlines`; empty when not certified).
    objective
        What the plan optimises: ``"quickest"`` or ``"deadlines"`` (:mod:`evacplan.planning.priority`).
    quickest_time_s
        For the deadlines objective, the evacuation time of the quickest plan made alongside (what serving the
        deadlines first costs at the end); NaN otherwise.
    departure_span_s
        How long each group takes to leave, seconds, ``float64[g]``: its persons leave evenly over
        ``[departure_s, departure_s + departure_span_s)``, each no earlier than released; the seconds used of the
        busiest window on its path (:func:`~evacplan.planning.validate.departure_spans`), so that a group on empty
        streets leaves at once. Empty: the whole window (:meth:`spans_s`).
    """

    method: str
    row: NDArray[np.int32]
    count: NDArray[np.int64]
    departure_s: NDArray[np.float64]
    arrival_s: NDArray[np.float64]
    safe_zone: NDArray[np.int32]
    path_start: NDArray[np.int64]
    step_edge: NDArray[np.int64]
    step_next: NDArray[np.int64]
    step_to_go_s: NDArray[np.float64]
    step_len: NDArray[np.int64]
    evacuation_time_s: float
    lower_bound_s: float
    unplanned: NDArray[np.int64]
    runtime_s: float = 0.0
    bottlenecks: tuple[str, ...] = field(default_factory=tuple)
    time_step_s: float = 0.0
    bound_model: str = ""
    edge_full_windows: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    deadlines: tuple[ZoneDeadline, ...] = ()
    objective: str = "quickest"
    quickest_time_s: float = float("nan")
    departure_span_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    step_wait_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    holding: HoldingAreas | None = None

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return int(self.row.shape[0])

    @property
    def staged(self) -> bool:
        """Whether groups wait in holding areas on the way (:mod:`evacplan.planning.staging`)."""
        return self.holding is not None

    def waits_s(self) -> NDArray[np.float64]:
        """:attr:`step_wait_s`, zeros when empty."""
        return self.step_wait_s if self.step_wait_s.size else np.zeros(self.n_steps)

    @property
    def n_steps(self) -> int:
        """Number of stored steps."""
        return int(self.step_edge.shape[0])

    @property
    def gap(self) -> float:
        """``evacuation_time_s / lower_bound_s - 1`` (0 when both are 0)."""
        if self.lower_bound_s <= 0:
            return 0.0 if self.evacuation_time_s <= 0 else float("inf")
        return self.evacuation_time_s / self.lower_bound_s - 1.0

    def spans_s(self) -> NDArray[np.float64]:
        """How long each group takes to leave, seconds, ``float64[g]``: :attr:`departure_span_s`, or the whole
        window where the plan does not say."""
        if self.departure_span_s.shape == (self.n_groups,):
            return self.departure_span_s
        return np.full(self.n_groups, float(self.time_step_s))

    def path_length(self) -> NDArray[np.int64]:
        """Edges on each group's path, ``int64[g]``."""
        out = np.zeros(self.n_groups, dtype=np.int64)
        has = self.path_start >= 0
        out[has] = self.step_len[self.path_start[has]]
        return out

    def path(self, i: int) -> NDArray[np.int64]:
        """Edge indices of group ``i``'s path."""
        out = []
        s = int(self.path_start[i])
        while s >= 0:
            out.append(int(self.step_edge[s]))
            s = int(self.step_next[s])
        return np.asarray(out, dtype=np.int64)

    def path_steps(self, i: int) -> NDArray[np.int64]:
        """Step indices of group ``i``'s path."""
        out = []
        s = int(self.path_start[i])
        while s >= 0:
            out.append(s)
            s = int(self.step_next[s])
        return np.asarray(out, dtype=np.int64)

    def entry_times(self, i: int) -> NDArray[np.float64]:
        """Times group ``i`` enters each edge of its path, seconds."""
        return self.arrival_s[i] - self.time_step_s - self.step_to_go_s[self.path_steps(i)]

    def expanded(self, groups: NDArray[np.integer] | None = None
                 ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """``(group, edge, entry_s)`` for every edge of the paths of ``groups`` (default: all), in path order.

        Allocates one row per group and edge: for a plan of millions of people, prefer the kernels of
        :mod:`evacplan.planning.paths`.
        """
        from evacplan.planning.paths import expand

        sel = np.arange(self.n_groups, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
        g, e, s = expand(self.path_start, self.step_edge, self.step_next, sel)
        return g, e, self.arrival_s[g] - self.time_step_s - self.step_to_go_s[s]

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

    def __repr__(self) -> str:
        gap = f"{100 * self.gap:.1f} %" if np.isfinite(self.gap) else "inf"
        unplanned = int(self.unplanned.sum())
        rest = f", {unplanned:,} unplanned" if unplanned else ""
        return (f"<Plan {self.method}: {self.evacuated:,} people, {self.evacuation_time_s / 60:,.0f} min, "
                f"bound {self.lower_bound_s / 60:,.0f} min, gap {gap}{rest}>")

    def to_dataframe(self, problem: Problem | None = None) -> pd.DataFrame:
        """The groups as a table, one row per group.

        Parameters
        ----------
        problem
            The problem the plan is for: with it, the columns of ``groups.parquet`` (``origin`` node id, demographic
            ``group``, ``mode``, ``count``, ``departure_min``, ``departure_span_min``, ``destination`` safe zone,
            ``arrival_min``, ``path_start``, ``path_edges``, ``row``); without, indices only (``row``, ``count``,
            ``departure_min``, ``departure_span_min``, ``safe_zone``, ``arrival_min``, ``path_start``,
            ``path_edges``).

        Returns
        -------
        pandas.DataFrame
        """
        from evacplan.planning.views import groups_frame

        return groups_frame(self, problem)

    def to_geodataframe(self, problem: Problem, layer: str = "routes") -> gpd.GeoDataFrame:
        """The plan on the map, in the network's CRS.

        Parameters
        ----------
        problem
            The problem the plan is for (its network holds the geometry).
        layer
            ``"routes"``: the main route from each origin node to each safe zone, with ``persons``, ``groups``,
            departure and arrival minutes and ``length_m`` (as in the run's GeoPackage); ``"edges"``: every edge the
            plan uses with the ``persons`` planned through it and the time steps it is used to capacity.

        Returns
        -------
        geopandas.GeoDataFrame

        Raises
        ------
        ValueError
            For an unknown layer.
        """
        from evacplan.planning.views import plan_geodataframe

        return plan_geodataframe(self, problem, layer)

    def plot(self, problem: Problem, ax: Any = None) -> Any:
        """Draw the route map: the streets, the edges the plan uses (width by persons), danger and safe nodes.

        Parameters
        ----------
        problem
            The problem the plan is for.
        ax
            A matplotlib ``Axes`` to draw on (default: a new figure).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from evacplan.planning.views import plot_routes

        return plot_routes(self, problem, ax)


def plan_from_paths(
    *,
    method: str,
    row: NDArray[np.integer],
    count: NDArray[np.integer],
    departure_s: NDArray[np.floating],
    entry_s: list[NDArray[np.floating]],
    arrival_s: NDArray[np.floating],
    safe_zone: NDArray[np.integer],
    paths: list[NDArray[np.integer]],
    unplanned: NDArray[np.integer],
    time_step_s: float = 0.0,
    lower_bound_s: float = 0.0,
) -> Plan:
    """A :class:`Plan` from explicit paths (edge indices) and the times each group enters their edges.

    For plans made elsewhere (another tool, a hand-made case): every group gets steps of its own; with
    ``time_step_s = 0`` times are instants rather than windows.
    """
    starts: list[int] = []
    edges: list[NDArray[np.int64]] = []
    nexts: list[NDArray[np.int64]] = []
    to_go: list[NDArray[np.float64]] = []
    lens: list[NDArray[np.int64]] = []
    k = 0
    arrival = np.asarray(arrival_s, dtype=np.float64)
    for i, (path, entries) in enumerate(zip(paths, entry_s, strict=True)):
        edge_list = np.asarray(path, dtype=np.int64)
        n = edge_list.size
        starts.append(k if n else -1)
        edges.append(edge_list)
        nexts.append(np.r_[np.arange(k + 1, k + n), -1] if n else np.zeros(0, dtype=np.int64))
        to_go.append(arrival[i] - time_step_s - np.asarray(entries, dtype=np.float64))
        lens.append(np.arange(n, 0, -1))
        k += n

    def ints(xs: list[NDArray[np.int64]]) -> NDArray[np.int64]:
        return np.concatenate(xs).astype(np.int64) if xs else np.zeros(0, dtype=np.int64)

    return Plan(
        method=method, row=np.asarray(row, dtype=np.int32), count=np.asarray(count, dtype=np.int64),
        departure_s=np.asarray(departure_s, dtype=np.float64), arrival_s=arrival,
        safe_zone=np.asarray(safe_zone, dtype=np.int32), path_start=np.asarray(starts, dtype=np.int64),
        step_edge=ints(edges), step_next=ints(nexts),
        step_to_go_s=np.concatenate(to_go).astype(np.float64) if to_go else np.zeros(0), step_len=ints(lens),
        evacuation_time_s=float(arrival.max()) if arrival.size else 0.0,
        lower_bound_s=float(lower_bound_s), unplanned=np.asarray(unplanned, dtype=np.int64),
        time_step_s=float(time_step_s),
    )
