"""The fast planner's city-scale mode: earliest-arrival scheduling over candidate routes, first come first served.

When a full earliest-arrival search per group would be too costly (many origins releasing few people each over a
large network), candidate routes are fixed up front — for every way into every safe node (or, with many safe
nodes, for every safe zone) the tree of shortest routes towards it — and origins are served in order of release:
each group takes the candidate route on which it would arrive first given the capacity already reserved per
(edge, bin), waiting where a bin is full. Cost per group is the length of its candidate routes, not the network.
When a safe zone can fill up, room in it is held back for the persons released later who need it to finish by the
safe-zone assignment bound (:mod:`evacplan.planning.zones`); they are served first in each batch of bins.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from evacplan.planning import kernels
from evacplan.planning._discrete import Discretisation
from evacplan.problem.problem import Problem

__all__ = ["MAX_ROUTES", "candidate_routes", "route_groups"]

#: Most candidate routes; above it, one route tree per safe zone.
MAX_ROUTES = 64

#: Bins processed per kernel call (classes take turns between calls; routes are refreshed between calls).
BINS_PER_CALL = 4

#: Order in which the origins released in the same bin are served: "index", "far" (farthest first), "near".
ROW_ORDER = "far"

#: Groups made before the candidate routes are refreshed with the waits now expected on each edge.
GROUPS_PER_REFRESH = 2000


def candidate_routes(
    problem: Problem, tau: NDArray[np.int64], cost: NDArray[np.int64] | None = None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Route trees ``(route_next[k, n], route_zone[k])``: next edge from each node towards route ``k``'s end.

    Trees follow least ``cost`` (default: the transit times ``tau``; ``-1`` closed).
    """
    cost = tau if cost is None else cost
    net, zones = problem.network, problem.zones
    n = net.n_nodes
    rev_indptr, rev_edges = net.reverse()
    adj_node = net.tail[rev_edges].astype(np.int64)
    room = zones.safe_capacity[np.maximum(zones.node_safe, 0)] >= 1
    safe = np.flatnonzero((zones.node_safe >= 0) & room)
    in_edges = [e for s in safe for e in rev_edges[rev_indptr[s] : rev_indptr[s + 1]] if tau[e] >= 0]
    specs: list[tuple[int, NDArray[np.int64]]] = []
    if 0 < len(in_edges) <= MAX_ROUTES:
        specs = [(int(e), np.zeros(0, dtype=np.int64)) for e in in_edges]
    else:
        specs = [(-1, safe[zones.node_safe[safe] == z]) for z in np.unique(zones.node_safe[safe])]
    safe_zones = np.unique(zones.node_safe[safe])
    nxt = np.full((len(specs) + safe_zones.size, n), -1, dtype=np.int64)
    zone = np.zeros(len(specs) + safe_zones.size, dtype=np.int64)
    k = 0
    for e, roots in specs:
        init = np.full(n, kernels.INF_T, dtype=np.int64)
        if e >= 0:
            init[net.tail[e]] = cost[e]
            end = int(net.head[e])
        else:
            init[roots] = 0
            end = int(roots[0])
        _, pred = kernels.static_dijkstra(rev_indptr, adj_node, rev_edges, cost, init)
        if e >= 0:
            pred[net.tail[e]] = e
            pred[end] = -1
        else:
            pred[roots] = -1
        nxt[k] = pred
        zone[k] = zones.node_safe[end]
        k += 1
    # people already at a safe node stay there: an empty route per zone
    for z in safe_zones:
        zone[k] = z
        k += 1
    return nxt[:k], zone[:k]


def route_groups(
    problem: Problem,
    disc: Discretisation,
    state: dict[str, np.ndarray],
    out,  # GroupArrays  # type: ignore[no-untyped-def]
    *,
    chunk: int,
    grow: Callable[[], None],
    progress: Callable[[float], None] | None = None,
    reserve: tuple[NDArray[np.float64], NDArray[np.int64]] | None = None,
) -> None:
    """Plan every row in ``state['remaining']`` along candidate routes, writing groups into ``out``.

    ``reserve = (room, need_from)`` (optional): ``room[z, t]`` of safe zone ``z`` is held back from the rows not
    yet needy while serving bins before ``t``; a row is needy from bin ``need_from[row]`` on, and needy rows are
    served first in each batch of bins and see all the room (see :mod:`evacplan.planning.zones`).
    """
    net, zones = problem.network, problem.zones
    tau_all = np.where(disc.tau >= 0, disc.tau, np.iinfo(np.int64).max).min(axis=0)
    tau_all = np.where(tau_all == np.iinfo(np.int64).max, -1, tau_all)
    origin = problem.demand.origin.astype(np.int64)
    tail = net.tail.astype(np.int64)
    head = net.head.astype(np.int64)
    node_safe = zones.node_safe.astype(np.int64)
    remaining = state["remaining"]
    n, m = net.n_nodes, net.n_edges
    indptr = net.indptr.astype(np.int64)
    all_rows = np.flatnonzero(remaining > 0)
    work: dict[str, np.ndarray] = {
        "arr": np.empty(n, dtype=np.int64), "pe": np.empty(n, dtype=np.int64), "pt": np.empty(n, dtype=np.int64),
        "src": np.empty(n, dtype=np.int64), "settled": np.empty(n, dtype=np.int8),
        "heap": np.empty(m + n + 1, dtype=np.int64), "targets": np.empty(1, dtype=np.int64),
    }
    no_target = np.full(node_safe.shape[0], -1, dtype=np.int64)

    def routes_at(t: int) -> list[tuple[NDArray[np.int64], NDArray[np.int64]] | None]:
        """Per class, trees over the class's transit + expected wait (read where the earliest-arrival search over
        the fastest class reaches each edge); ``None`` for classes with nobody left."""
        d0 = np.full(remaining.shape[0], t, dtype=np.int64)
        rows = all_rows[remaining[all_rows] > 0]
        kernels.earliest_arrival_search(
            indptr, head, tau_all, state["wmin"], state["resid"], state["nxt"], rows, origin, d0, remaining,
            no_target, state["zone_rem"], 0, work["arr"], work["pe"], work["pt"], work["src"], work["settled"],
            work["heap"], work["targets"],
        )
        arr = work["arr"]
        rel_arr = np.where(arr < int(kernels.INF_T), arr - t, int(kernels.INF_T))
        cost = kernels.congestion_weights(tau_all, state["resid"], state["nxt"], state["wmin"], tail, rel_arr, t)
        wait = np.where(cost >= 0, cost - tau_all, 0)
        out_routes: list[tuple[NDArray[np.int64], NDArray[np.int64]] | None] = []
        for c in range(disc.n_classes):
            if not np.any(remaining[disc.row_class == c] > 0):
                out_routes.append(None)
                continue
            tau_c = disc.tau[c]
            out_routes.append(candidate_routes(problem, tau_c, np.where(tau_c >= 0, tau_c + wait, -1)))
        return out_routes

    routes = routes_at(0)
    taken = np.zeros_like(remaining)
    total = max(int(remaining.sum()), 1)
    buf_e = np.zeros(net.n_nodes + 1, dtype=np.int64)
    buf_t = np.zeros(net.n_nodes + 1, dtype=np.int64)
    class_rows = [np.flatnonzero((disc.row_class == c) & (remaining > 0)) for c in range(disc.n_classes)]
    if ROW_ORDER != "index":
        for c in range(disc.n_classes):
            from evacplan.planning.ten import _to_safe

            dist = _to_safe(problem, disc.tau[c])[origin[class_rows[c]]]
            key = -dist if ROW_ORDER == "far" else dist
            class_rows[c] = class_rows[c][np.argsort(key, kind="stable")]
    t = 0
    n_release = disc.release.shape[1]
    hidden = np.zeros_like(state["zone_rem"])  # room held back: true room = zone_rem + hidden

    def hold_back(t_next: int) -> None:
        if reserve is None:
            return
        room = state["zone_rem"] + hidden
        want = reserve[0][:, min(t_next, reserve[0].shape[1] - 1)] if t_next >= 0 else 0.0
        state["zone_rem"][:] = np.maximum(room - want, 0.0)
        finite = np.isfinite(room)
        hidden[:] = 0.0
        hidden[finite] = room[finite] - state["zone_rem"][finite]

    while t < n_release and any(r.size for r in class_rows):
        t_end = min(t + BINS_PER_CALL, n_release)
        parts: list[tuple[int, bool | None]] = [(c, None) for c in range(disc.n_classes)]
        if reserve is not None:
            parts = [(c, flag) for flag in (True, False) for c in range(disc.n_classes)]
        for c, needy in parts:
            rows_c = class_rows[c]
            if needy is not None:
                hold_back(-1 if needy else t_end)
                rows_c = rows_c[(reserve[1][rows_c] < t_end) == needy]  # type: ignore[index]
            t_c = t
            while t_c < t_end and rows_c.size:
                out.reserve(1024, 4 * (net.n_nodes + 1))
                route_c = routes[c]
                if route_c is None:
                    break
                route_next, route_zone = route_c
                res = kernels.route_schedule(
                    t_c, t_end, rows_c, origin, disc.release, taken, remaining, chunk, route_next,
                    route_zone, disc.tau[c], disc.weight_s[c], state["wmin"], head, state["resid"], state["nxt"],
                    node_safe, state["zone_rem"],
                    out.row, out.count, out.dep, out.arr, out.zone, out.plen, out.edges, out.entry,
                    out.n_groups, out.n_path, buf_e, buf_t, GROUPS_PER_REFRESH,
                )
                out.n_groups, out.n_path, status, t_c = res
                if status == 2:
                    grow()
                elif status == 1:
                    out.reserve(2 * out.row.shape[0], 2 * out.edges.shape[0])
                elif status == 3:
                    routes = routes_at(t_c)
            class_rows[c] = class_rows[c][remaining[class_rows[c]] > 0]
        t = t_end
        routes = routes_at(t)
        if progress is not None:
            progress(0.9 * float(1.0 - remaining.sum() / total))
    state["zone_rem"] += hidden
