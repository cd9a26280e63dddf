"""What waiting off the route could save: an optimistic estimate of the exposure left on Sydney 200k.

Following the plan is worse than self-routing on one agreement instance only, Sydney 200k (``bench_agreement``), and
only on person-minutes of exposure: the plan keeps people at home, inside the danger zone, until their whole route
has room, while people routing themselves leave at once and queue outside it. This benchmark asks whether waiting
*beside* the routes, on streets nobody's route uses, could close that gap without modelling queues on the routes.

Plan the instance (fast), then let each group from the danger zone leave when its last person is released, drive
along its route and, at one of the first ``--nodes`` nodes of its route outside the zone, turn off to a *holding
street*: a two-way street outside every danger zone that no planned route uses, within ``--reach`` seconds of free
travel of that node (over such streets). It waits there within the street's storage and comes back to rejoin its
route when its planned window passes that node, so arrivals and the evacuation time stay the plan's. Groups are
served by their planned exposure, largest first; each takes the first street (nearest node of its route, then
nearest street) with room over its whole stay (occupancy per minute). A group leaves the zone when it enters the
first street of its route outside it.

The estimate is optimistic: capacity on the way out earlier and on the detours is not checked, nor is first in,
first out on the holding streets, and a whole group fits a street or does not go there. If even this stays above
self-routing's exposure (``bench_agreement``: 29.1 M person-minutes), waiting beside the routes cannot close the
gap, and the plan needs queues on its routes themselves.

Beside it, the benchmark plans the instance as if leaving the danger zone were enough (every node outside it a safe
zone of unlimited room, :func:`evacplan.assessment.clearance.zone_clearance`): how quickly the planner can empty the
zone, and the exposure of that, which waiting outside could at best approach.

Each run also counts what the optimism hides: the persons the streets of the routes would carry on the early way
out (origin to turn-off), in minutes of each street's capacity; streets needing more than the two hours in which
everyone is released and leaves show how far the plan's routes are from carrying such an early exit.

Run from the repository root (about 5 minutes on 2 cores)::

    .venv/bin/python -m benchmarks.bench_holding [--reach 300 900 1800] [--nodes 10 40]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from numba import njit
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from benchmarks.bench_agreement import DEADLINE
from benchmarks.instances import center_out
from evacplan.assessment.clearance import zone_clearance
from evacplan.assessment.exposure import plan_exposure
from evacplan.planning import plan
from evacplan.planning.result import Plan
from evacplan.problem.mobilization import group_release_times
from evacplan.problem.physics import edge_danger_zone, physics
from evacplan.problem.problem import Problem

#: Minutes of occupancy kept per holding street (beyond the plan's horizon nobody waits).
MINUTES = 3200


def holding_streets(problem: Problem, used: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Two-way streets outside every danger zone that no planned route uses."""
    net = problem.network
    nd = problem.zones.node_danger
    ft = physics(problem).free_time_s.min(axis=0)
    key = net.tail.astype(np.int64) * net.n_nodes + net.head
    back = net.head.astype(np.int64) * net.n_nodes + net.tail
    two_way = np.isin(key, back)
    return ~used & two_way & (nd[net.tail] < 0) & (nd[net.head] < 0) & np.isfinite(ft)


@njit(cache=True)
def _assign(order, cand_ptr, cand_edge, cand_cost, g_nodes_ptr, g_node_slot, g_node_time, g_rejoin, count,
            storage, occ):  # pragma: no cover - compiled
    """Greedy: each group (in ``order``) takes the first holding street with room over its stay; returns the index
    of its node on the route (-1: none)."""
    chosen = np.full(count.size, -1, dtype=np.int64)
    for g in order:
        done = False
        for i in range(g_nodes_ptr[g], g_nodes_ptr[g + 1]):
            s = g_node_slot[i]
            for c in range(cand_ptr[s], cand_ptr[s + 1]):
                h = cand_edge[c]
                lo = int((g_node_time[i] + cand_cost[c]) // 60.0)
                hi = int(np.ceil((g_rejoin[i] - cand_cost[c]) / 60.0))
                if hi <= lo:
                    continue
                hi = min(hi, occ.shape[1])
                fits = True
                for t in range(lo, hi):
                    if occ[h, t] + count[g] > storage[h]:
                        fits = False
                        break
                if fits:
                    for t in range(lo, hi):
                        occ[h, t] += count[g]
                    chosen[g] = i - g_nodes_ptr[g]
                    done = True
                    break
            if done:
                break
    return chosen


def estimate(problem: Problem, pl: Plan, reach_s: float, nodes: int) -> dict[str, float]:
    """Exposure of ``pl`` (person-minutes after the deadline) before and after the holding pass."""
    net = problem.network
    ph = physics(problem)
    ft = ph.free_time_s.min(axis=0)
    ez = edge_danger_zone(problem)
    deadline = float(problem.zones.danger_deadline_s[0])
    g_all, e_all, t_all = pl.expanded()
    used = np.zeros(net.n_edges, dtype=bool)
    used[e_all] = True
    hold = holding_streets(problem, used)
    starts = np.r_[0, np.flatnonzero(np.diff(g_all)) + 1, g_all.size]
    rel = group_release_times(problem, pl.row, pl.count, pl.departure_s, np.arange(pl.n_groups),
                              np.ones(pl.n_groups))
    # per group: leaving the zone (planned) and, at its first nodes outside, the early arrival and the rejoin time
    exit_plan = np.full(pl.n_groups, np.nan)
    exit_early = np.full(pl.n_groups, np.nan)
    g_ptr = np.zeros(pl.n_groups + 1, dtype=np.int64)
    node_list, early_list, rejoin_list = [], [], []
    for g in range(pl.n_groups):
        a, b = starts[g], starts[g + 1]
        edges, entry = e_all[a:b], t_all[a:b]
        outside = np.flatnonzero(ez[edges] < 0) if g_all[a] == g else np.zeros(0, dtype=np.int64)
        if outside.size:
            j = int(outside[0])
            exit_plan[g] = entry[j]
            cum = rel[g] + np.r_[0.0, np.cumsum(ft[edges])]
            exit_early[g] = cum[j]
            k = np.arange(j, min(edges.size, j + nodes))
            node_list.append(net.tail[edges[k]])
            early_list.append(cum[k])
            rejoin_list.append(entry[k])
            g_ptr[g + 1] = k.size
    g_ptr = np.cumsum(g_ptr)
    g_nodes = np.concatenate(node_list).astype(np.int64)
    g_early = np.concatenate(early_list)
    g_rejoin = np.concatenate(rejoin_list)
    # holding streets within reach of each of those nodes, nearest first
    he = np.flatnonzero(hold)
    by = np.lexsort((ft[he], net.head[he], net.tail[he]))  # parallel streets: keep the quickest of each pair
    pair = net.tail[he[by]].astype(np.int64) * net.n_nodes + net.head[he[by]]
    first = he[by][np.r_[True, pair[1:] != pair[:-1]]]
    graph = csr_matrix((ft[first], (net.tail[first], net.head[first])), shape=(net.n_nodes, net.n_nodes))
    uniq, slot = np.unique(g_nodes, return_inverse=True)
    cand_ptr = np.zeros(uniq.size + 1, dtype=np.int64)
    cand_e, cand_c = [], []
    for lo in range(0, uniq.size, 256):
        src = uniq[lo: lo + 256]
        dist = dijkstra(graph, indices=src, limit=reach_s)
        for r in range(src.size):
            cost = dist[r, net.tail[he]] + ft[he]
            ok = cost <= reach_s
            order = np.argsort(cost[ok], kind="stable")
            cand_e.append(he[ok][order])
            cand_c.append(cost[ok][order])
            cand_ptr[lo + r + 1] = order.size
    cand_ptr = np.cumsum(cand_ptr)
    storage = ph.storage / ph.space[problem.demand.mode[0]]
    occ = np.zeros((net.n_edges, MINUTES), dtype=np.float32)
    planned = pl.count * np.maximum(exit_plan - deadline, 0.0)
    order = np.argsort(-np.nan_to_num(planned), kind="stable")
    order = order[np.isfinite(exit_plan[order])]
    chosen = _assign(order, cand_ptr, np.concatenate(cand_e).astype(np.int64), np.concatenate(cand_c), g_ptr,
                     slot.astype(np.int64), g_early, g_rejoin, pl.count.astype(np.float64), storage, occ)
    held = chosen >= 0
    after = np.where(held, pl.count * np.maximum(exit_early - deadline, 0.0), planned)
    # what the optimism hides: the persons each street of the routes carries on the early way out (origin to the
    # turn-off), in minutes of its capacity
    early = np.zeros(net.n_edges)
    for g in np.flatnonzero(held):
        edges = e_all[starts[g]: starts[g + 1]]
        j = int(np.flatnonzero(ez[edges] < 0)[0])
        np.add.at(early, edges[: j + int(chosen[g])], pl.count[g])
    cap = ph.capacity_per_s[problem.demand.mode[0]]
    minutes = np.divide(early, cap * 60.0, out=np.zeros_like(early), where=cap > 0)
    return {"before": float(np.nansum(planned)) / 60, "after": float(np.nansum(after)) / 60,
            "held": float(pl.count[held].sum()), "streets": float(np.count_nonzero(occ.max(axis=1) > 0)),
            "candidates": float(he.size), "over_2h": float(np.count_nonzero(minutes > 120.0)),
            "max_min": float(minutes.max(initial=0.0))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reach", type=float, nargs="+", default=[300.0, 900.0, 1800.0],
                    help="seconds of detour to a holding street (each value one run)")
    ap.add_argument("--nodes", type=int, nargs="+", default=[10, 40],
                    help="nodes of the route outside the zone to turn off at (each value one run)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {__import__('os').cpu_count()} cores, python {platform.python_version()}")
    problem = center_out("sydney", 200_000, deadline_min=DEADLINE, horizon_min=3000).problem
    pl = plan(problem, method="fast")
    print(f"the plan: T = {pl.evacuation_time_s / 60:.0f} min, 90 % at {pl.time_to_share(0.9) / 60:.0f} min, "
          f"{plan_exposure(problem, pl).person_minutes_by_zone.sum():,.0f} person-minutes (its own count)")
    t0 = time.perf_counter()
    cl = zone_clearance(problem)
    if cl is not None:
        print(f"leaving the zone only (every node outside it safe, `assessment.clearance`): out by "
              f"{cl.time_s / 60:.0f} min (bound {cl.lower_bound_s / 60:.0f}), {cl.person_minutes:,.0f} "
              f"person-minutes ({time.perf_counter() - t0:.0f} s)")
    print("| turn-off nodes | reach (s) | holding streets | persons held | streets used | person-min before | after | "
          "route streets over 2 h of capacity early | most minutes | s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for nodes in args.nodes:
        for reach in args.reach:
            t0 = time.perf_counter()
            r = estimate(problem, pl, reach, nodes)
            print(f"| {nodes} | {reach:.0f} | {r['candidates']:,.0f} | {r['held']:,.0f} | {r['streets']:,.0f} | "
                  f"{r['before']:,.0f} | {r['after']:,.0f} | {r['over_2h']:,.0f} | {r['max_min']:,.0f} | "
                  f"{time.perf_counter() - t0:.0f} |", flush=True)


if __name__ == "__main__":
    main()
