"""Steady plans: a static flow repeated over time, every street below its capacity, on free-flow times.

A plan of the planning model (:mod:`evacplan.planning.model`) times every edge entry on a grid of time steps. Where
a plan uses many streets to capacity for hours (a danger zone emptied as fast as its streets allow), that timing must
match the one people drive: on long paths off the model's shortest routes the model's transit times, rounded up edge
by edge, run minutes behind free flow, and people who drive faster than planned use the capacity planned for others
and build queues that spill back (Sydney's TNTP network: planned entries 25 min behind free flow on average, queues of
80,000 persons in the simulator).

A *steady* plan has no grid on the way. It is a *temporally repeated flow* (Ford and Fulkerson, *Flows in Networks*,
1962): a static flow ``x`` from the origins to the safe zones, split into paths, each path carrying a constant rate
from every origin for ``D`` seconds; a person enters each edge of their path at their departure plus the free times
of the edges before it. Every edge ``e`` then carries at most ``x_e / D`` persons a second, at any time, which the plan
keeps at ``alpha`` times the edge's capacity: the simulator's packets and merges get the rest as slack. The duration
``D`` is the least for which such a flow exists (a linear program, solved by HiGHS); a second program finds, at that
duration (times ``1 + slack``), the flow of least total free time. Nobody leaves before released, and a path's rate
never exceeds its share: where release is the slower, people leave as released.

Each person's time in the network is their free time; the cost is the wait at home, which the rate spreads evenly
over ``D``. :mod:`evacplan.planning.staging` uses a steady plan for the first leg of a staged plan (out of the danger
zones into holding areas), where the streets out of the zone are the bottleneck; where the safe zones are, the
planning model's plans meter people better.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog
from scipy.sparse.csgraph import breadth_first_order

from evacplan.planning.result import Plan
from evacplan.problem.physics import physics
from evacplan.problem.problem import Problem

__all__ = ["STEADY_LOAD", "steady_plan"]

#: Share of each street's capacity a steady plan uses at most (the rest absorbs packets and merging).
STEADY_LOAD = 0.9
#: The steady flow's duration is this much longer than the least, to let the flow of least free time choose.
STEADY_SLACK = 0.02
_TOL = 1e-6
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
#: Share of each limited safe zone's capacity a steady flow leaves for rounding to whole persons.
ROUNDING_ROOM = 0.02


def _reaching(n: int, tail: NDArray[np.int64], head: NDArray[np.int64], sinks: NDArray[np.int64]
              ) -> NDArray[np.bool_]:
    """Nodes with a path to one of ``sinks`` over the edges ``tail -> head``."""
    back = sp.csr_matrix((np.ones(tail.size), (head, tail)), shape=(n, n))
    out = np.zeros(n, dtype=bool)
    out[sinks] = True
    for s in sinks:
        out[breadth_first_order(back, int(s), return_predecessors=False)] = True
    return out


def steady_flow(problem: Problem, load: float = STEADY_LOAD, slack: float = STEADY_SLACK
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]:
    """The static flow of a steady plan: ``(x, y, supply, duration_s)``.

    ``x[e]`` persons over edge ``e``, ``y[v]`` persons into safety at node ``v``, ``supply[v]`` persons leaving node
    ``v`` (those with a way to safety), all within ``duration_s`` at ``load`` times every edge's capacity and within
    every safe zone's capacity. One travel class.
    """
    net, zones, d = problem.network, problem.zones, problem.demand
    ph = physics(problem)
    ft = ph.free_time_s[0]
    cap = ph.capacity_per_s[int(ph.class_mode[0])]
    edges = np.flatnonzero(np.isfinite(ft) & (cap > 0))
    m, n = edges.size, net.n_nodes
    tail, head = net.tail[edges].astype(np.int64), net.head[edges].astype(np.int64)
    sinks = np.flatnonzero(zones.node_safe >= 0)
    ns = sinks.size
    supply = np.bincount(d.origin, weights=d.count, minlength=n).astype(np.float64)
    supply[~_reaching(n, tail, head, sinks)] = 0.0
    supply[sinks] = 0.0  # already safe
    x = np.zeros(net.n_edges)
    y = np.zeros(n)
    if supply.sum() <= 0 or ns == 0:
        return x, y, supply, 0.0
    # out - in + into safety = supply, at every node
    a_eq = sp.csr_matrix((np.r_[np.ones(m), -np.ones(m), np.ones(ns)],
                          (np.r_[tail, head, sinks], np.r_[np.arange(m), np.arange(m), m + np.arange(ns)])),
                         shape=(n, m + ns + 1))
    # x_e <= load * capacity_e * D, and every safe zone within its capacity
    zone = zones.node_safe[sinks].astype(np.int64)
    zcap = ph.safe_capacity
    lim = np.flatnonzero(np.isfinite(zcap))
    zrow = np.full(zcap.size, -1, dtype=np.int64)
    zrow[lim] = np.arange(lim.size)
    on = zrow[zone] >= 0
    a_cap = sp.hstack([sp.identity(m, format="csr"), sp.csr_matrix((m, ns)),
                       sp.csr_matrix(-load * cap[edges][:, None])])
    a_zone = sp.csr_matrix((np.ones(int(on.sum())), (zrow[zone[on]], m + np.flatnonzero(on))),
                           shape=(lim.size, m + ns + 1))
    a_ub = sp.vstack([a_cap, a_zone]).tocsr()
    b_ub = np.r_[np.zeros(m), np.floor(zcap[lim] * (1.0 - ROUNDING_ROOM))]
    # least duration (ties: least free time), then least free time at that duration
    first = linprog(np.r_[1e-9 * ft[edges], np.zeros(ns), 1.0], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=supply,
                    bounds=(0, None), method="highs")
    if first.status != 0:
        raise RuntimeError(f"steady flow: {first.message}")
    dur = float(first.x[-1]) * (1.0 + slack)
    second = linprog(np.r_[ft[edges], np.zeros(ns + 1)], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=supply,
                     bounds=[(0, None)] * (m + ns) + [(dur, dur)], method="highs")
    if second.status != 0:
        raise RuntimeError(f"steady flow: {second.message}")
    x[edges] = second.x[:m]
    y[sinks] = second.x[m:m + ns]
    return x, y, supply, dur


def _paths(problem: Problem, x: NDArray[np.float64], y: NDArray[np.float64], supply: NDArray[np.float64]
           ) -> list[tuple[int, NDArray[np.int64], float, int]]:
    """Split a static flow into paths: ``(origin, edges, persons, end node)``, each origin's in turn, each path
    following the edge of most remaining flow (a flow of least free time has no cycle of positive time)."""
    net = problem.network
    n = net.n_nodes
    order = np.argsort(net.tail, kind="stable")
    indptr = np.searchsorted(net.tail[order], np.arange(n + 1))
    x, y, supply = x.copy(), y.copy(), supply.copy()
    out: list[tuple[int, NDArray[np.int64], float, int]] = []
    for o in np.flatnonzero(supply > _TOL):
        while supply[o] > _TOL:
            v, path = int(o), list[int]()
            while y[v] <= _TOL:
                cand = order[indptr[v]:indptr[v + 1]]
                e = int(cand[np.argmax(x[cand])]) if cand.size else -1
                if e < 0 or x[e] <= _TOL or len(path) > net.n_edges:
                    raise RuntimeError(f"steady flow: cannot follow the flow on from node {v}")
                path.append(e)
                v = int(net.head[e])
            pe = np.asarray(path, dtype=np.int64)
            vol = min(float(supply[o]), float(y[v]), float(x[pe].min()) if pe.size else np.inf)
            x[pe] -= vol
            y[v] -= vol
            supply[o] -= vol
            out.append((int(o), pe, vol, v))
    return out


def _whole(paths: list[tuple[int, NDArray[np.int64], float, int]], supply: NDArray[np.float64],
           node_safe: NDArray[np.int32], room: NDArray[np.float64]) -> NDArray[np.int64]:
    """Whole persons on each path: rounded down, then each origin's rest to its paths of largest remainder whose
    safe zone has room."""
    vol = np.array([p[2] for p in paths])
    whole = np.floor(vol + _TOL).astype(np.int64)
    room = room.copy()
    origin = np.array([p[0] for p in paths], dtype=np.int64)
    zone = node_safe[np.array([p[3] for p in paths], dtype=np.int64)].astype(np.int64)
    np.subtract.at(room, zone, whole)
    rest = np.rint(supply).astype(np.int64) - np.bincount(origin, weights=whole, minlength=supply.size).astype(np.int64)
    for i in np.argsort(-(vol - whole), kind="stable"):
        o, z = origin[i], zone[i]
        if rest[o] > 0 and room[z] >= 1:
            whole[i] += 1
            rest[o] -= 1
            room[z] -= 1
    # persons still left: to any path of their origin whose zone has room (else they stay unplanned)
    for o in np.flatnonzero(rest > 0):
        for i in np.flatnonzero(origin == o):
            take = int(min(rest[o], max(np.floor(room[zone[i]]), 0.0)))
            whole[i] += take
            room[zone[i]] -= take
            rest[o] -= take
    return whole


def steady_plan(problem: Problem, load: float = STEADY_LOAD, slack: float = STEADY_SLACK) -> Plan:
    """The steady plan of ``problem`` (see the module docstring); one travel class.

    Its groups leave in windows of the problem's time step; persons a path cannot take within the horizon, or with
    no way to safety, are left unplanned.
    """
    d, zones = problem.demand, problem.zones
    ph = physics(problem)
    if ph.n_classes != 1:
        raise ValueError("a steady plan has one travel class")
    ft = ph.free_time_s[0]
    s = float(problem.time_step_s)
    x, y, supply, dur = steady_flow(problem, load, slack)
    paths = _paths(problem, x, y, supply) if dur > 0 else []
    whole = _whole(paths, supply, zones.node_safe, ph.safe_capacity) if paths else np.zeros(0, np.int64)
    cdf = problem.departure_cdf
    tk = np.arange(cdf.shape[1]) * s
    dur = max(dur, s)
    # persons of each row, first come first served onto its origin's paths
    rows_at: dict[int, list[int]] = {}
    for row in np.flatnonzero(d.count > 0).tolist():
        rows_at.setdefault(int(d.origin[row]), []).append(row)
    left = {o: [(r, int(d.count[r])) for r in rs] for o, rs in rows_at.items()}
    steps_e: list[NDArray[np.int64]] = []
    steps_go: list[NDArray[np.float64]] = []
    g_row, g_count, g_dep, g_zone, g_start, g_tau = [], [], [], [], [], []
    k0 = n_pieces = 0
    for (o, pe, _, v), n_path in zip(paths, whole, strict=True):
        if n_path <= 0:
            continue
        tau = float(ft[pe].sum())
        steps_e.append(pe)
        steps_go.append(tau - np.r_[0.0, np.cumsum(ft[pe])[:-1]])
        queue = left[o]
        need = int(n_path)
        while need > 0 and queue:
            r, avail = queue[0]
            take = int(min(need, avail))
            # cumulative departures by the end of each window: released by its start, never faster than take / dur,
            # rounded at a phase of its own (pieces of equal size would otherwise all round up in the same window)
            phase = (n_pieces * _GOLDEN) % 1.0
            n_pieces += 1
            rel = np.r_[0.0, cdf[d.curve[r]][:-1]] * take
            rate = take / dur
            # as released, but queued behind one another at the rate: min over s <= t of rel(s) + rate (t - s)
            flow = np.minimum(rate * tk + np.minimum.accumulate(rel - rate * tk), take)
            cum = np.minimum(np.floor(flow + phase), np.floor(rel + 1e-9)).astype(np.int64)
            cnt = np.diff(np.r_[0, cum])
            kk = np.flatnonzero(cnt > 0)
            g_row.append(np.full(kk.size, r))
            g_count.append(cnt[kk])
            g_dep.append(np.maximum(tk[kk] - s, 0.0))
            g_zone.append(np.full(kk.size, zones.node_safe[v]))
            g_start.append(np.full(kk.size, k0))
            g_tau.append(np.full(kk.size, tau))
            need -= take
            queue[0] = (r, int(avail - take))
            if avail == take:
                queue.pop(0)
        k0 += pe.size
    lens = np.array([e.size for e in steps_e], dtype=np.int64)
    ends = np.cumsum(lens)
    step_next = np.arange(1, k0 + 1, dtype=np.int64)
    step_next[ends - 1] = -1
    step_len = (np.repeat(ends, lens) - np.arange(k0)).astype(np.int64)
    cat = np.concatenate
    rows = cat(g_row).astype(np.int32) if g_row else np.zeros(0, np.int32)
    count = cat(g_count).astype(np.int64) if g_count else np.zeros(0, np.int64)
    dep = cat(g_dep) if g_dep else np.zeros(0)
    arrival = dep + s + (cat(g_tau) if g_tau else np.zeros(0))
    planned = np.bincount(rows, weights=count, minlength=d.n_rows).astype(np.int64)
    return Plan(
        method="fast", row=rows, count=count, departure_s=dep, arrival_s=arrival,
        safe_zone=cat(g_zone).astype(np.int32) if g_zone else np.zeros(0, np.int32),
        path_start=cat(g_start).astype(np.int64) if g_start else np.zeros(0, np.int64),
        step_edge=cat(steps_e).astype(np.int64) if steps_e else np.zeros(0, np.int64), step_next=step_next,
        step_to_go_s=cat(steps_go) if steps_go else np.zeros(0), step_len=step_len,
        evacuation_time_s=float(arrival.max(initial=0.0)), lower_bound_s=0.0,
        unplanned=(d.count - planned).astype(np.int64), time_step_s=s,
        bound_model=f"steady flow at {load:.0%} of capacity (no bound)",
    )
