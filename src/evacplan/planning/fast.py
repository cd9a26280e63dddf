"""The fast planner: capacity-aware scheduling (CCRP family) without waiting on the way.

Two schedulers fill the same capacity tables. The default, ``"routes"`` (:mod:`evacplan.planning.routes`), sends
groups along candidate routes to safety refreshed with the expected waits, each group's departure slid until every
window of its route has room; the groups safe last are then re-planned one at a time
(:mod:`evacplan.planning.repair`). ``"search"`` is kept as a second, independent scheduler for tests and
comparisons: repeat, per travel class, until everyone is planned or nothing more can reach safety:

1. search earliest arrivals (labels, :mod:`evacplan.planning.model`) from every origin that still has people free to
   leave, each at the first label it has someone released, over the windows that still have room; an edge whose
   window is full cannot be taken then (nobody waits on the way);
2. send groups along the search-tree paths to the safe nodes settled within ``window`` labels of the first, each also
   shifted later by up to ``window - 1`` labels, in order of arrival, each as large as the path's fullest window,
   its row's release and its safe zone allow;
3. origins that found nothing leave no earlier than the first arrival of this round (they wait at home).

Deterministic: ties break on node and row index. Measured on the planner benchmark's instances (grids, SiouxFalls,
Anaheim, Chicago), the search's plans took 1.1-8x as long as the route scheduler's: without waiting on the way, a
search that keeps one label per node misses the later labels at which an edge has room again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from evacplan.planning import kernels
from evacplan.planning.model import INF_T, PlanningModel
from evacplan.planning.repair import fill_by_deadline, repair_late
from evacplan.planning.routes import TREE_DTYPE, route_groups
from evacplan.problem.physics import has_room
from evacplan.problem.problem import Problem

__all__ = ["GroupArrays", "fast_groups", "new_state"]

#: Labels after the earliest arrival within which one search's paths are used.
WINDOW = 2

#: Windows of the capacity tables another plan takes: ``(row, edge, seconds)``.
Taken = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]

class GroupArrays:
    """Growable flat buffers of planned groups (labels, not seconds)."""

    def __init__(self, cap_groups: int, cap_path: int) -> None:
        self.row = np.zeros(cap_groups, dtype=np.int64)
        self.count = np.zeros(cap_groups, dtype=np.int64)
        self.dep = np.zeros(cap_groups, dtype=np.int64)
        self.arr = np.zeros(cap_groups, dtype=np.int64)
        self.zone = np.zeros(cap_groups, dtype=np.int64)
        self.plen = np.zeros(cap_groups, dtype=np.int64)
        self.route = np.full(cap_groups, -1, dtype=np.int64)
        self.edges = np.zeros(cap_path, dtype=np.int64)
        self.entry = np.zeros(cap_path, dtype=np.int64)
        self.n_groups = 0
        self.n_path = 0

    def reserve(self, groups: int, path: int) -> None:
        """Make room for ``groups`` more groups with ``path`` more path edges."""
        if self.n_groups + groups > self.row.shape[0]:
            new = max(2 * self.row.shape[0], self.n_groups + groups)
            for name in ("row", "count", "dep", "arr", "zone", "plen", "route"):
                old = getattr(self, name)
                arr = np.full(new, -1 if name == "route" else 0, dtype=old.dtype)
                arr[: self.n_groups] = old[: self.n_groups]
                setattr(self, name, arr)
        if self.n_path + path > self.edges.shape[0]:
            new = max(2 * self.edges.shape[0], self.n_path + path)
            for name in ("edges", "entry"):
                old = getattr(self, name)
                arr = np.zeros(new, dtype=old.dtype)
                arr[: self.n_path] = old[: self.n_path]
                setattr(self, name, arr)

    def trimmed(self) -> dict[str, NDArray[np.integer]]:
        """The filled part of every buffer."""
        g, p = self.n_groups, self.n_path
        return {
            "row": self.row[:g], "count": self.count[:g], "dep": self.dep[:g], "arr": self.arr[:g],
            "zone": self.zone[:g], "plen": self.plen[:g], "route": self.route[:g], "edges": self.edges[:p],
            "entry": self.entry[:p],
        }


def new_state(problem: Problem, model: PlanningModel, n_bins: int,
              tables: dict[str, np.ndarray] | None = None, occupied: Taken | None = None) -> dict[str, np.ndarray]:
    """Empty capacity tables of at least 8 windows (``resid``: seconds left per window and edge; ``nxt``: skip
    pointers past full windows), everyone usable still to plan (``remaining``, ``taken``), the lightest class's
    weight per edge (``wmin``) and the room of every safe zone (``zone_rem``).

    ``tables`` (optional) holds the tables of an earlier schedule of the same model: when they have at least
    ``n_bins`` windows they are emptied and used again (at their size) instead of allocating new ones, and the
    tables used are left there for the next schedule (at city scale, faulting in gigabytes of fresh pages costs
    seconds).

    ``occupied`` (optional): ``(row, edge, seconds)`` of the tables already taken by another plan
    (:meth:`evacplan.planning.occupancy.Occupancy.windows`), left free."""
    m, n_rows = problem.network.n_edges, problem.demand.n_rows
    weight = model.weight_s
    n_bins = max(int(n_bins), 8)
    old = tables.get("resid") if tables is not None else None
    if old is not None and old.ndim == 2 and old.shape[1] == m and old.shape[0] >= n_bins:
        resid, nxt = old, tables["nxt"]  # type: ignore[index]
        resid.fill(model.step_s)
        nxt[:] = np.arange(resid.shape[0] + 1, dtype=nxt.dtype)[:, None]
    else:
        if tables is not None:
            tables.clear()  # free the old tables before allocating
        resid, nxt = np.full((n_bins, m), model.step_s, order="F"), new_pointers(n_bins, m)
    if tables is not None:
        tables["resid"], tables["nxt"] = resid, nxt
    if occupied is not None and occupied[0].size:
        row, edge, sec = occupied
        inside = row < resid.shape[0]
        resid[row[inside], edge[inside]] = np.maximum(resid[row[inside], edge[inside]] - sec[inside], 0.0)
    return {
        "resid": resid,
        "nxt": nxt,
        "remaining": np.where(model.usable, problem.demand.count, 0).astype(np.int64),
        "taken": np.zeros(n_rows, dtype=np.int64),
        "wmin": weight.min(axis=0) if weight.shape[0] else np.full(m, np.inf),
        "zone_rem": model.phys.safe_capacity.astype(np.float64).copy(),
    }


def fast_groups(
    problem: Problem,
    model: PlanningModel,
    *,
    n_bins: int,
    window: int = WINDOW,
    mode: str = "auto",
    progress: Callable[[float], None] | None = None,
    reserve: tuple[NDArray[np.float64], NDArray[np.int64]] | None = None,
    tiers: Sequence[tuple[NDArray[np.int64], int, int]] = (),
    tables: dict[str, np.ndarray] | None = None,
    occupied: Taken | None = None,
) -> tuple[dict[str, NDArray[np.integer]], NDArray[np.int64], str]:
    """Plan every usable row; return the group buffers (labels), the persons left unplanned per row and the mode.

    Parameters
    ----------
    problem, model
        The problem and its planning model.
    n_bins
        Initial number of windows of the capacity tables (grown by a quarter whenever a schedule runs past them).
    window
        See :data:`WINDOW`.
    mode
        ``"routes"`` (candidate routes, see :mod:`evacplan.planning.routes`; ``"auto"`` is the same) or
        ``"search"`` (an earliest-arrival search per batch of groups).
    progress
        Called with the fraction of persons planned so far.
    reserve
        ``(room, need_from)``: safe-zone room held back from early releases for the rows that need it in
        ``"routes"`` mode (see :mod:`evacplan.planning.zones`).
    tiers
        ``(rows, until, horizon)`` served one after the other before everyone else, in ``"routes"`` mode: the
        persons of ``rows`` who could be safe by label ``until`` on empty streets and whose route reaches safety by
        ``horizon`` are scheduled first, with the capacity the earlier tiers left (the deadlines objective,
        :mod:`evacplan.planning.priority`), then more of them one group at a time by any way that still brings them
        in by ``horizon`` (:func:`evacplan.planning.repair.fill_by_deadline`); then every person left is scheduled
        (with ``reserve``).
    tables
        Capacity tables to use again and to leave for the next schedule (see :func:`new_state`).
    occupied
        Windows another plan takes (see :func:`new_state`).
    """
    net, d = problem.network, problem.demand
    if mode == "auto":
        mode = "routes"
    state = new_state(problem, model, n_bins, tables, occupied)
    remaining = state["remaining"]

    def grow() -> None:
        state["resid"], state["nxt"] = _grow(state["resid"], state["nxt"], model.step_s)
        if tables is not None:
            tables["resid"], tables["nxt"] = state["resid"], state["nxt"]

    out = GroupArrays(1024, 16384)
    trees = None
    if mode == "routes":
        parts: list[NDArray[np.int32]] = []  # the route trees handed out, in blocks (one copy, stacked below)
        for rows, until, horizon in tiers:
            everyone = state["remaining"]
            state["remaining"] = np.zeros_like(everyone)
            state["remaining"][rows] = everyone[rows]
            route_groups(problem, model, state, out, grow=grow, until=until, max_arrival=horizon, trees=parts)
            fill_by_deadline(problem, model, state, out, rows, horizon)
            everyone[rows] = state["remaining"][rows]
            state["remaining"] = everyone
        route_groups(problem, model, state, out, grow=grow, progress=progress, reserve=reserve, trees=parts)
        trees = np.vstack(parts) if parts else np.zeros((0, net.n_nodes), dtype=TREE_DTYPE)
        parts.clear()  # the blocks are in ``trees`` now: not twice through the repair
        repair_late(problem, model, state, out, trees)
    else:
        _search_groups(problem, model, state, out, window, grow, progress)
    unplanned = d.count - np.where(model.usable, d.count - remaining, 0)
    groups = out.trimmed()
    groups["trees"] = trees if trees is not None else np.zeros((0, net.n_nodes), dtype=TREE_DTYPE)
    # windows each edge was used to capacity in (what limits the plan): none of the lightest class fits any more
    groups["full_windows"] = kernels.full_windows(state["resid"], state["wmin"])
    return groups, unplanned.astype(np.int64), mode


def _search_groups(problem, model, state, out, window, grow, progress):  # type: ignore[no-untyped-def]
    """CCRP-style loop: search, commit the batch of groups it supports, repeat (per class, round robin)."""
    net, zones, d = problem.network, problem.zones, problem.demand
    n, m = net.n_nodes, net.n_edges
    remaining, taken = state["remaining"], state["taken"]
    node_safe = zones.node_safe.astype(np.int64)
    origin = d.origin.astype(np.int64)
    tail = net.tail.astype(np.int64)
    head = net.head.astype(np.int64)
    indptr = net.indptr.astype(np.int64)
    arr = np.empty(n, dtype=np.int64)
    pred_edge = np.empty(n, dtype=np.int64)
    src_row = np.empty(n, dtype=np.int64)
    settled = np.empty(n, dtype=np.bool_)
    hk = np.empty(m + n + 1)
    hv = np.empty(m + n + 1, dtype=np.int64)
    targets = np.empty(max(int((node_safe >= 0).sum()), 1), dtype=np.int64)
    rel = (model.cdf, model.cdf_step_s, model.step_s, model.row_count, model.row_curve, model.row_potential_s)
    sink_shift = model.sink_shift
    lo = np.zeros(d.n_rows, dtype=np.int64)  # earliest departure label still considered per row

    def departure(r: int | np.integer) -> int:
        return int(kernels.next_departure(*rel[:3], model.row_count[r], model.row_curve[r],
                                          model.row_potential_s[r], taken[r], model.row_first[r],
                                          model.row_last[r], lo[r]))

    d0 = np.full(d.n_rows, INF_T, dtype=np.int64)
    for r in np.flatnonzero(remaining > 0):
        d0[r] = departure(r)
    total = max(int(remaining.sum()), 1)
    class_rows = [np.flatnonzero((model.row_class == c) & (remaining > 0)) for c in range(model.n_classes)]
    active = [c for c in range(model.n_classes) if class_rows[c].size]
    last_report = 0.0
    while active:
        still = []
        for c in active:
            rows = class_rows[c]
            n_t, overflow = kernels.earliest_arrival_search(
                indptr, head, model.tau[c], model.weight_s[c], model.shift[c], sink_shift[c], state["resid"],
                state["nxt"], rows, origin, d0, remaining, node_safe, state["zone_rem"], window, arr, pred_edge,
                src_row, settled, hk, hv, targets,
            )
            a_min = int(arr[targets[:n_t]].min()) if n_t else None  # the earliest label reached at a safe node
            if overflow and (a_min is None or a_min + window + kernels.BIN0 >= state["resid"].shape[0]):
                grow()
                still.append(c)
                continue
            if n_t == 0:
                # nobody of this class reaches a safe zone with room from their current departure label: those who
                # can reach one at all leave a label later (windows on the way free up only by waiting at home)
                alive = rows[d0[rows] < INF_T]
                alive = alive[_reaches_room(problem, model, c, state["zone_rem"])[origin[alive]]]
                for r in alive:
                    lo[r] = d0[r] + 1
                    d0[r] = departure(r)
                if alive.size:
                    still.append(c)
                continue
            out.reserve(n_t * window, n_t * window * n)
            before = out.n_groups
            out.n_groups, out.n_path = kernels.commit_groups(
                targets, n_t, window, arr, pred_edge, src_row, origin, tail, model.tau[c], model.weight_s[c],
                model.shift[c], sink_shift[c], state["wmin"], state["resid"], state["nxt"], *rel, taken, remaining,
                node_safe,
                state["zone_rem"], out.row, out.count, out.dep, out.arr, out.zone, out.plen, out.edges, out.entry,
                out.n_groups, out.n_path,
            )
            # rows that could have left before this round's first arrival but got nothing wait at home until then;
            # with nothing committed at all, everyone waiting moves one label on
            floor = a_min if out.n_groups > before else None
            for r in rows:
                if remaining[r] <= 0:
                    continue
                if floor is None:
                    lo[r] = d0[r] + 1
                elif d0[r] < floor:
                    lo[r] = max(lo[r], floor)
                d0[r] = departure(r)
            rows = rows[remaining[rows] > 0]
            class_rows[c] = rows
            if rows.size:
                still.append(c)
        active = still
        if progress is not None:
            done = 1.0 - remaining.sum() / total
            if done - last_report >= 0.01:
                progress(0.9 * float(done))
                last_report = done


def _reaches_room(problem: Problem, model: PlanningModel, cls: int, zone_rem: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Nodes from which class ``cls`` can reach a safe zone that still has room (capacity of windows ignored)."""
    from evacplan.problem import kernels as graph

    net, zones = problem.network, problem.zones
    room = has_room(zone_rem[np.maximum(zones.node_safe, 0)])
    init = np.where((zones.node_safe >= 0) & room, 0.0, np.inf)
    rev_indptr, rev_edges = net.reverse()
    w = np.where(model.tau[cls] >= 0, 1.0, np.inf)
    dist, _ = graph.dijkstra(rev_indptr.astype(np.int64), net.tail[rev_edges].astype(np.int64),
                             rev_edges.astype(np.int64), w, init)
    return np.isfinite(dist)


#: Factor by which the capacity tables grow when a schedule runs past them.
GROWTH = 1.25


def pointer_dtype(rows: int) -> type[np.integer]:
    """The narrowest integer type of pointers to ``rows`` rows (``int16`` up to 32,767: a third of the tables'
    bytes at city scale, where a day of 180 s windows is 480 rows)."""
    return np.int16 if rows <= np.iinfo(np.int16).max else np.int32


def new_pointers(n_bins: int, m: int) -> NDArray[np.integer]:
    """The union-find pointers of empty tables: every window points at itself (``n_bins + 1`` rows, the last the
    sentinel; :func:`pointer_dtype`)."""
    dtype = pointer_dtype(n_bins + 1)
    nxt = np.empty((n_bins + 1, m), dtype=dtype, order="F")
    nxt[:] = np.arange(n_bins + 1, dtype=dtype)[:, None]
    return nxt


def _grow(resid, nxt, step):  # type: ignore[no-untyped-def]
    """Add windows at the end of the capacity tables (a quarter more, at least one): new tables with the old ones
    copied in (the tables are stored by edge, see :mod:`evacplan.planning.kernels`, so windows cannot be appended in
    place; for a moment old and new lie side by side, which is why the tables are sized from the cut bounds up
    front, :func:`evacplan.planning.api.table_windows`). The old sentinel row becomes a window with every pointer at
    itself, as the new ones are; pointers are widened where they no longer fit their type."""
    t, m = resid.shape
    new_t = max(t + 1, int(np.ceil(t * GROWTH)))
    grown = np.empty((new_t, m), order="F")
    grown[:t] = resid
    grown[t:] = step
    ptr = np.empty((new_t + 1, m), dtype=pointer_dtype(new_t + 1), order="F")
    ptr[: t + 1] = nxt
    ptr[t:] = np.arange(t, new_t + 1, dtype=ptr.dtype)[:, None]
    return grown, ptr
