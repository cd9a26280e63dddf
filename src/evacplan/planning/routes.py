"""The fast planner's city-scale mode: scheduling over candidate routes, first come first served.

When an earliest-arrival search per batch of groups would be too costly (many origins releasing few people each over
a large network), candidate routes are fixed up front — for every way into every safe node (or, with many safe
nodes, for every safe zone) the tree of quickest routes towards it, refreshed with the delays now expected on each
edge — and people are served in the order of the label at which they could be safe (release plus walk): each group
takes the candidate route on which it arrives first, leaving home as soon as every window on the route has room for
it (no waiting on the way). When a safe zone can fill up, room in it is held back for the persons released later
who need it to finish by the safe-zone assignment bound (:mod:`evacplan.planning.zones`); they are served first in
each batch of labels.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from evacplan.planning import kernels
from evacplan.planning.model import INF_T, PlanningModel
from evacplan.problem import kernels as graph
from evacplan.problem.physics import has_room
from evacplan.problem.problem import Problem

__all__ = ["FLOW_TREES", "MAX_ROUTES", "candidate_routes", "flow_routes", "route_groups"]

#: Most candidate routes; above it, one route tree per safe zone.
MAX_ROUTES = 64

#: Labels processed per kernel call (classes take turns between calls).
LABELS_PER_CALL = 4

#: Labels between two refreshes of the candidate routes with the delays then expected on each edge.
REFRESH_LABELS = 12

#: Groups made before the candidate routes are refreshed early.
GROUPS_PER_REFRESH = 20000

#: Route trees per safe zone that follow the static maximum flow (:func:`flow_routes`).
FLOW_TREES = 4

#: Route trees per safe zone that follow the static maximum flow of a deadline tier's own people.
TIER_FLOW_TREES = 4

#: Edges from which those trees are added: on smaller networks the certificate's bisection on the exact
#: time-expanded network (one travel class) improves the plan anyway, and the routed plan it starts from should
#: stay the one it was measured with (Chicago 50k: 332 min with the trees, 329 without, the optimum).
FLOW_MIN_EDGES = 20_000

#: Type of route trees' next-edge entries (edge indices, ``-1`` at a route's end): a schedule hands out thousands of
#: trees of one entry per node (on the bundled default, over a gigabyte as ``int64``), so half the bytes matter.
TREE_DTYPE = np.int32

#: The flow trees of each planning model (per representative class and number of trees), computed once.
_FlowTrees = tuple[NDArray[np.int32], NDArray[np.int64]]
_FLOW_CACHE: weakref.WeakKeyDictionary[PlanningModel, dict[tuple[int, ...], _FlowTrees]] = weakref.WeakKeyDictionary()

#: Capacity scale of that flow: integer capacities fine enough to share a street among many origins.
FLOW_SCALE = 64


def candidate_routes(
    problem: Problem, model: PlanningModel, cls: int, cost_s: NDArray[np.float64] | None = None
) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
    """Route trees ``(route_next[k, n], route_zone[k])``: next edge from each node towards route ``k``'s end.

    Trees follow the least ``cost_s`` (default: the class's free times) over edges the class may use; the last
    rows are empty routes, one per safe zone, for people already inside one.
    """
    net, zones = problem.network, problem.zones
    n = net.n_nodes
    tau = model.tau[cls]
    cost = np.where(tau >= 0, model.phys.free_time_s[cls] if cost_s is None else cost_s, np.inf)
    rev_indptr, rev_edges = net.reverse()
    adj_node = net.tail[rev_edges].astype(np.int64)
    room = has_room(model.phys.safe_capacity[np.maximum(zones.node_safe, 0)])
    safe = np.flatnonzero((zones.node_safe >= 0) & room)
    in_edges = [int(e) for s in safe for e in rev_edges[rev_indptr[s] : rev_indptr[s + 1]] if tau[e] >= 0]
    specs: list[tuple[int, NDArray[np.int64]]]
    if 0 < len(in_edges) <= MAX_ROUTES:
        specs = [(e, np.zeros(0, dtype=np.int64)) for e in in_edges]
    else:
        specs = [(-1, safe[zones.node_safe[safe] == z]) for z in np.unique(zones.node_safe[safe])]
    safe_zones = np.unique(zones.node_safe[safe])
    nxt = np.full((len(specs) + safe_zones.size, n), -1, dtype=TREE_DTYPE)
    zone = np.zeros(len(specs) + safe_zones.size, dtype=np.int64)
    for k, (e, roots) in enumerate(specs):
        init = np.full(n, np.inf)
        if e >= 0:
            init[net.tail[e]] = cost[e]
            end = int(net.head[e])
        else:
            init[roots] = 0.0
            end = int(roots[0])
        _, pred = graph.dijkstra(rev_indptr.astype(np.int64), adj_node, rev_edges.astype(np.int64), cost, init)
        if e >= 0:
            pred[net.tail[e]] = e
            pred[end] = -1
        else:
            pred[roots] = -1
        nxt[k] = pred
        zone[k] = zones.node_safe[end]
    zone[len(specs):] = safe_zones  # people already at a safe node stay there: an empty route per zone
    return nxt, zone


def flow_routes(problem: Problem, model: PlanningModel, cls: int, rows: NDArray[np.int64],
                n_trees: int = FLOW_TREES) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
    """Route trees ``(route_next[k, n], route_zone[k])`` that follow a static maximum flow to safety.

    Quickest-route trees send everyone near one corridor into it, and a city's centre often drains through a few
    corridors whose capacities only a maximum flow combines (Sydney: three streets, 123 vehicles a minute, which
    the quickest routes and their refreshes used at about 60 %). The flow: each edge its capacity per window for
    class ``cls``, each origin of ``rows`` a source of capacity proportional to its persons (so that every origin
    gets a share of the corridors), each safe node with room a sink; of all maximum flows the one of least free
    time (no cycles). It is split by the zone each unit reaches; per zone, tree ``k`` leaves each node by one of its
    edges carrying that zone's flow, chosen in proportion to the flow (a stratified pick, offset per node so that the
    trees differ): every walk along such edges reaches the zone. Nodes without such an edge end the route (an origin
    there cannot use it). Deterministic.
    """
    from ortools.graph.python import max_flow, min_cost_flow

    net, zones, d = problem.network, problem.zones, problem.demand
    n = net.n_nodes
    empty = np.zeros((0, n), dtype=TREE_DTYPE), np.zeros(0, dtype=np.int64)
    tau = model.tau[cls]
    cap = model.cap_bin[cls]
    room = has_room(model.phys.safe_capacity[np.maximum(zones.node_safe, 0)])
    safe_node = (zones.node_safe >= 0) & room
    persons = np.bincount(d.origin[rows], weights=d.count[rows], minlength=n)
    starts = np.flatnonzero((persons > 0) & ~safe_node)
    e = np.flatnonzero((tau >= 0) & (cap > 0))
    safe = np.flatnonzero(safe_node)
    if n_trees <= 0 or starts.size == 0 or e.size == 0 or safe.size == 0:
        return empty
    tail, head = net.tail[e].astype(np.int64), net.head[e].astype(np.int64)
    source, sink = n, n + 1
    big = int(cap[e].sum()) * FLOW_SCALE + 1
    arc_t = np.concatenate([tail, np.full(starts.size, source), safe])
    arc_h = np.concatenate([head, starts, np.full(safe.size, sink)])
    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(arc_t, arc_h, np.concatenate([cap[e], np.full(starts.size + safe.size, big)]))
    if mf.solve(source, sink) != mf.OPTIMAL or mf.optimal_flow() <= 0:
        return empty
    rate = persons[starts] / persons[starts].sum() * mf.optimal_flow() * FLOW_SCALE
    arc_c = np.concatenate([cap[e] * FLOW_SCALE, np.ceil(rate), np.full(safe.size, big)]).astype(np.int64)
    cost = np.concatenate([np.round(model.phys.free_time_s[cls, e] * 10) + 1, np.zeros(starts.size + safe.size)])
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(arc_t, arc_h, arc_c, cost.astype(np.int64))
    supply = int(arc_c[e.size: e.size + starts.size].sum())
    mcf.set_node_supply(source, supply)
    mcf.set_node_supply(sink, -supply)
    if mcf.solve_max_flow_with_min_cost() != mcf.OPTIMAL:
        return empty
    flow = np.asarray(mcf.flows(np.arange(arc_t.size)), dtype=np.int64)
    # split by the zone each unit reaches: decompose into source-sink paths
    used = np.flatnonzero(flow > 0)
    order = used[np.argsort(arc_t[used], kind="stable")]
    indptr = np.zeros(n + 3, dtype=np.int64)
    np.cumsum(np.bincount(arc_t[order], minlength=n + 2), out=indptr[1:])
    start, arcs, amount = kernels.decompose_paths(indptr, order, arc_h, flow.copy(), source, sink)
    last_edge = arcs[start[1:] - 2]  # the arc before the safe node's arc to the sink
    zone_of = zones.node_safe[arc_h[last_edge]].astype(np.int64)
    path_of = np.repeat(np.arange(amount.size), np.diff(start))
    real = arcs < e.size
    n_z = zones.safe_capacity.shape[0]
    fz = np.zeros((n_z, e.size))
    np.add.at(fz, (zone_of[path_of[real]], arcs[real]), amount[path_of[real]])
    trees, tree_zone = [], []
    phase = (np.arange(n) * 0.6180339887498949) % 1.0  # per-node offset of the stratified pick
    for z in np.flatnonzero(fz.sum(axis=1) > 0):
        on = np.flatnonzero(fz[z] > 0)
        by_tail = on[np.lexsort((e[on], tail[on]))]
        t_on = tail[by_tail]
        share = fz[z, by_tail]
        first = np.searchsorted(t_on, t_on, side="left")
        total = np.bincount(t_on, weights=share, minlength=n)
        cum = (np.cumsum(share) - np.concatenate(([0.0], np.cumsum(share)))[first]) / total[t_on]  # upper end
        for k in range(n_trees):
            nxt = np.full(n, -1, dtype=TREE_DTYPE)
            frac = ((k + 0.5) / n_trees + phase[t_on]) % 1.0
            cand = by_tail[cum > frac]  # per node, the first edge whose share interval ends past frac
            _, idx = np.unique(tail[cand], return_index=True)
            chosen = cand[idx]
            nxt[tail[chosen]] = e[chosen]
            nxt[safe] = -1
            trees.append(nxt)
            tree_zone.append(int(z))
    if not trees:
        return empty
    return np.vstack(trees), np.asarray(tree_zone, dtype=np.int64)


def route_groups(
    problem: Problem,
    model: PlanningModel,
    state: dict[str, np.ndarray],
    out,  # GroupArrays  # type: ignore[no-untyped-def]
    *,
    grow: Callable[[], None],
    progress: Callable[[float], None] | None = None,
    reserve: tuple[NDArray[np.float64], NDArray[np.int64]] | None = None,
    until: int | None = None,
    max_arrival: int | None = None,
    trees: list[NDArray[np.int32]],
) -> None:
    """Plan every row in ``state['remaining']`` along candidate routes, writing groups into ``out`` and appending
    the route trees they follow to ``trees`` (blocks of ``TREE_DTYPE[k, n]`` rows; a group's ``route`` is the row of
    its tree in all the blocks stacked, trees there before included: a schedule of several calls shares the list).

    ``until`` (optional): serve only the persons who could be safe by that label on empty streets (the labels of
    the scheduling order); the others stay in ``state['remaining']``. ``max_arrival`` (optional): schedule only
    persons whose route reaches safety by that horizon (arrival label less the sink shift); the others stay too.

    ``reserve = (room, need_from)`` (optional): ``room[z, t]`` of safe zone ``z`` is held back from the rows not
    yet needy while serving labels before ``t``; a row is needy from label ``need_from[row]`` on, and needy rows are
    served first in each batch of labels and see all the room (see :mod:`evacplan.planning.zones`).
    """
    net, zones = problem.network, problem.zones
    origin = problem.demand.origin.astype(np.int64)
    head = net.head.astype(np.int64)
    tail = net.tail.astype(np.int64)
    indptr = net.indptr.astype(np.int64)
    node_safe = zones.node_safe.astype(np.int64)
    remaining, taken = state["remaining"], state["taken"]
    n, m = net.n_nodes, net.n_edges
    work = {
        "arr": np.empty(n, dtype=np.int64), "pe": np.empty(n, dtype=np.int64), "src": np.empty(n, dtype=np.int64),
        "settled": np.empty(n, dtype=np.bool_), "hk": np.empty(m + n + 1), "hv": np.empty(m + n + 1, dtype=np.int64),
        "targets": np.empty(1, dtype=np.int64),
    }
    no_target = np.full(n, -1, dtype=np.int64)
    row_class = model.row_class
    sink_shift = model.sink_shift

    # classes of one mode share their routes (walking speeds differ, streets do not): the fastest class of each
    # mode with people stands for it
    class_mode = model.phys.class_mode
    mean_time = np.nanmean(np.where(np.isfinite(model.phys.free_time_s), model.phys.free_time_s, np.nan), axis=1)

    flow_trees: dict[int, _FlowTrees] = {}
    tier_trees: dict[int, _FlowTrees] = {}
    tier_rows = np.flatnonzero((remaining > 0) & model.usable) if max_arrival is not None else None
    n_rows_trees = [sum(int(x.shape[0]) for x in trees)]

    Routes = tuple[NDArray[np.int32], NDArray[np.int64], int, NDArray[np.int64], NDArray[np.int64]]

    def routes_at(t: int) -> list[Routes | None]:
        """Per class, route trees over free time plus the delay expected where the people still to leave reach
        each edge, with the row of the first in ``trees``, the labels to each route's end and the earliest departure
        found so far on each route from each node (``None`` for classes with nobody left)."""
        routes: list[Routes | None] = [None] * model.n_classes
        # rows left for later because their routes arrived too late (``max_arrival``) try the new routes
        next_avail[(next_avail >= INF_T) & (remaining > 0)] = t
        live = [c for c in range(model.n_classes) if np.any(remaining[row_class == c] > 0)]
        for mode in np.unique(class_mode[live]) if live else []:
            members = [c for c in live if class_mode[c] == mode]
            c = min(members, key=lambda k: (mean_time[k], k))
            live_rows = (remaining > 0) & (next_avail < INF_T)  # rows left for a later call travel later
            rows = np.flatnonzero(np.isin(row_class, members) & live_rows)
            d0 = np.maximum(model.row_first, t)
            kernels.earliest_arrival_search(
                indptr, head, model.tau[c], state["wmin"], model.shift[c], sink_shift[c], state["resid"],
                state["nxt"], rows, origin, d0, np.where(live_rows, remaining, 0), no_target, state["zone_rem"], 0,
                work["arr"], work["pe"], work["src"], work["settled"], work["hk"], work["hv"], work["targets"],
            )
            delay = kernels.congestion_delay(model.tau[c], state["resid"], state["nxt"], state["wmin"], tail,
                                             model.shift[c], work["arr"], t)
            nxt_k, zone_k = candidate_routes(problem, model, c, model.phys.free_time_s[c] + delay * model.step_s)
            if mode not in flow_trees and m >= FLOW_MIN_EDGES:  # the static flow's trees: the streets do not change
                key = (c, FLOW_TREES)
                cached = _FLOW_CACHE.setdefault(model, {})
                if key not in cached:  # every usable row of the mode, so that every call (and schedule) shares them
                    cached[key] = flow_routes(problem, model, c, np.flatnonzero(np.isin(row_class, members)
                                                                                & model.usable), FLOW_TREES)
                flow_trees[mode] = cached[key]
            if tier_rows is not None and mode not in tier_trees and m >= FLOW_MIN_EDGES:
                # a deadline tier: the flow of its own people, who may take the corridors the flow of everyone
                # gives to others (a maximum flow by a deadline repeats the paths of such a static flow); a tier of
                # every usable row of the mode has the flow of everyone, whose trees are there already
                own = tier_rows[np.isin(row_class[tier_rows], members)]
                if TIER_FLOW_TREES == FLOW_TREES and np.array_equal(own, np.flatnonzero(
                        np.isin(row_class, members) & model.usable)):
                    tier_trees[mode] = np.zeros((0, n), dtype=TREE_DTYPE), np.zeros(0, dtype=np.int64)
                else:
                    tier_key = (c, TIER_FLOW_TREES, hash(tier_rows.tobytes()))
                    cached = _FLOW_CACHE.setdefault(model, {})
                    if tier_key not in cached:
                        cached[tier_key] = flow_routes(problem, model, c, own, TIER_FLOW_TREES)
                    tier_trees[mode] = cached[tier_key]
            for extra in (flow_trees, tier_trees):
                if mode in extra and extra[mode][0].shape[0]:
                    nxt_k = np.vstack([nxt_k, extra[mode][0]])
                    zone_k = np.concatenate([zone_k, extra[mode][1]])
            trees.append(nxt_k)
            for k in members:
                lab_k = kernels.route_labels(nxt_k, model.tau[k], head, sink_shift[k])
                kernels.route_reach(nxt_k, zone_k, head, node_safe, lab_k)  # walks that miss their zone: none
                routes[k] = (nxt_k, zone_k, n_rows_trees[0], lab_k,
                             np.full((3, *nxt_k.shape), -1, dtype=np.int64))
            n_rows_trees[0] += nxt_k.shape[0]
        return routes

    next_avail = model.row_first.copy()  # first label at which each row has someone to send
    t = int(model.row_first[remaining > 0].min()) if np.any(remaining > 0) else 0
    routes = routes_at(t)
    next_refresh = t + REFRESH_LABELS
    total = max(int(remaining.sum()), 1)
    longest = n + 1
    buf_e = np.zeros(longest, dtype=np.int64)
    buf_b = np.zeros(longest, dtype=np.int64)
    class_rows = []
    for c in range(model.n_classes):
        rows = np.flatnonzero((row_class == c) & (remaining > 0))
        # among rows that could be safe in the same label, those farther away (released earlier) go first
        far = -model.row_potential_s[rows]
        class_rows.append(rows[np.lexsort((rows, far, model.row_first[rows]))])
    last = int(model.row_last[remaining > 0].max()) + 1 if np.any(remaining > 0) else 0
    if until is not None:
        last = min(last, until + 1)
    hidden = np.zeros_like(state["zone_rem"])  # room held back: true room = zone_rem + hidden

    def hold_back(t_next: int) -> None:
        if reserve is None:
            return
        room = state["zone_rem"] + hidden
        want = reserve[0][:, min(max(t_next, 0), reserve[0].shape[1] - 1)] if t_next >= 0 else 0.0
        state["zone_rem"][:] = np.maximum(room - want, 0.0)
        finite = np.isfinite(room)
        hidden[:] = 0.0
        hidden[finite] = room[finite] - state["zone_rem"][finite]

    params = (model.cdf, model.cdf_step_s, model.step_s, model.row_count, model.row_curve, model.row_potential_s,
              model.row_first, model.row_last)
    while t < last and any(r.size for r in class_rows):
        t_end = min(t + LABELS_PER_CALL, last)
        parts: list[tuple[int, bool | None]] = [(c, None) for c in range(model.n_classes)]
        if reserve is not None:
            parts = [(c, flag) for flag in (True, False) for c in range(model.n_classes)]
        for c, needy in parts:
            rows_c = class_rows[c]
            if needy is not None:
                hold_back(-1 if needy else t_end)
                rows_c = rows_c[(reserve[1][rows_c] < t_end) == needy]  # type: ignore[index]
            t_c = t
            while t_c < t_end and rows_c.size:
                out.reserve(1024, 0)
                route_c = routes[c]
                if route_c is None:
                    break
                route_next, route_zone, route_base, route_lab, route_dep = route_c
                res = kernels.route_schedule(
                    t_c, t_end, rows_c, origin, *params, taken, remaining, next_avail, route_next, route_zone,
                    route_lab, route_dep, route_base, model.tau[c], model.weight_s[c], model.shift[c],
                    sink_shift[c], state["wmin"], head, state["resid"], state["nxt"], node_safe, state["zone_rem"],
                    out.row,
                    out.count, out.dep, out.arr, out.zone, out.plen, out.route, out.n_groups, buf_e, buf_b,
                    GROUPS_PER_REFRESH, INF_T if max_arrival is None else max_arrival,
                )
                out.n_groups, status, t_c = res
                if status == 2:
                    grow()
                elif status == 1:
                    out.reserve(out.row.shape[0], 0)
                elif status == 3:
                    routes = routes_at(t_c)
            class_rows[c] = class_rows[c][remaining[class_rows[c]] > 0]
        t = t_end
        if t < last and t >= next_refresh:
            routes = routes_at(t)
            next_refresh = t + REFRESH_LABELS
        if progress is not None:
            progress(0.9 * float(1.0 - remaining.sum() / total))
    state["zone_rem"] += hidden

