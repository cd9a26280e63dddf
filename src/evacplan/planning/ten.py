"""Time-expanded networks (TEN), exact and condensed, solved as max flows with OR-Tools.

Copies of node ``v`` are indexed by a *slack label*: copy ``l`` stands for the fine bins
``pi(v) + q*l .. pi(v) + q*l + q - 1``, where ``pi(v)`` is the earliest bin anyone can be at ``v`` (a shortest path
from the released origins) and ``q`` the condensation factor. Edge ``e = (u, v)`` with transit ``tau`` becomes arcs
from label ``l`` at ``u`` to label ``l + (tau + pi(u) - pi(v)) // q`` at ``v`` with capacity ``q`` bins' worth;
holdover arcs let people wait. With ``q = 1`` this *is* the time-expanded network of the discretised problem (only
node copies that can lie on a path finishing by ``T`` are built); with ``q > 1`` every discretised flow maps onto a
flow of the condensed network (labels only round down), so an infeasible condensed network at horizon ``T`` proves
that no plan finishes by ``T`` — the certified lower bound of Fleischer–Skutella style condensation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow

from evacplan.planning import kernels
from evacplan.planning._discrete import Discretisation
from evacplan.problem.problem import Problem

__all__ = ["Relaxation", "TimeExpanded", "build_ten", "relaxation", "solve_ten"]

INF_T = int(kernels.INF_T)
ARC_HOLD, ARC_EDGE, ARC_RELEASE, ARC_SAFE, ARC_ZONE = 0, 1, 2, 3, 4


@dataclass(frozen=True, eq=False)
class Relaxation:
    """One-commodity data the TEN is built from.

    With several travel classes the fastest transit and largest per-bin capacity of any class are used, which
    keeps the network a relaxation (its bounds stay valid; it is exact for a single class).

    Attributes
    ----------
    tau, cap
        Transit bins (``-1`` closed) and persons per bin of each edge, ``int64[m]``.
    rows
        Demand rows taken as sources, ``int64[r]``.
    pi, b
        Earliest bin anyone can be at each node, and fewest bins from each node to a safe zone with room
        (``INF_T`` when none), ``int64[n]``.
    """

    tau: NDArray[np.int64]
    cap: NDArray[np.int64]
    rows: NDArray[np.int64]
    pi: NDArray[np.int64]
    b: NDArray[np.int64]

    def analytic_bound(self, problem: Problem, disc: Discretisation, target: int | None = None) -> int:
        """Bins before which ``target`` persons (default: all of :attr:`rows`) cannot all be safe.

        A person released at bin ``t`` cannot be safe before ``t`` plus the shortest route of their own travel
        class from their origin to a safe zone with room; any ``target`` persons include one whose such time is at
        least the ``target``-th smallest over everyone.
        """
        d = problem.demand
        rows = self.rows
        if rows.size == 0 or (target is not None and target <= 0):
            return 0
        want = int(d.count[rows].sum()) if target is None else int(target)
        dist = np.full(rows.size, INF_T, dtype=np.int64)
        for c in np.unique(disc.row_class[rows]):
            sel = disc.row_class[rows] == c
            b = _to_safe(problem, disc.tau[c])
            dist[sel] = b[d.origin[rows[sel]]]
        ok = dist < INF_T
        rel = disc.release[rows[ok]]
        inc = np.diff(rel, axis=1, prepend=0)
        r_idx, t_idx = np.nonzero(inc)
        earliest = t_idx + dist[ok][r_idx]
        persons = inc[r_idx, t_idx]
        order = np.argsort(earliest, kind="stable")
        cum = np.cumsum(persons[order])
        k = int(np.searchsorted(cum, min(want, int(cum[-1])) if cum.size else 0))
        return int(earliest[order][min(k, order.size - 1)]) if order.size else 0


def _to_safe(problem: Problem, tau: NDArray[np.int64]) -> NDArray[np.int64]:
    """Fewest bins from each node to a safe node whose zone has room, over edges with ``tau >= 0``."""
    net, zones = problem.network, problem.zones
    rev_indptr, rev_edges = net.reverse()
    init = np.full(net.n_nodes, INF_T, dtype=np.int64)
    room = zones.safe_capacity[np.maximum(zones.node_safe, 0)] >= 1
    init[(zones.node_safe >= 0) & room] = 0
    b, _ = kernels.static_dijkstra(rev_indptr, net.tail[rev_edges].astype(np.int64), rev_edges, tau, init)
    return b


def relaxation(problem: Problem, disc: Discretisation, rows: NDArray[np.int64]) -> Relaxation:
    """The one-commodity relaxation over the demand ``rows`` (usable rows with persons)."""
    net = problem.network
    n = net.n_nodes
    open_ = disc.tau >= 0
    big = np.iinfo(np.int64).max
    tau = np.where(open_, disc.tau, big).min(axis=0) if disc.n_classes else np.full(net.n_edges, big)
    tau = np.where(tau == big, -1, tau).astype(np.int64)
    cap = disc.cap_bin.max(axis=0) if disc.n_classes else np.zeros(net.n_edges, dtype=np.int64)
    init = np.full(n, INF_T, dtype=np.int64)
    first = disc.first_release()
    origin = problem.demand.origin.astype(np.int64)
    for r in rows:
        init[origin[r]] = min(init[origin[r]], first[r])
    pi, _ = kernels.static_dijkstra(net.indptr, net.head.astype(np.int64), np.arange(net.n_edges), tau, init)
    b = _to_safe(problem, tau)
    return Relaxation(tau=tau, cap=cap, rows=np.asarray(rows, dtype=np.int64), pi=pi, b=b)


@dataclass(frozen=True, eq=False)
class TimeExpanded:
    """A built TEN: arcs as arrays, with what each arc stands for.

    Attributes
    ----------
    tail, head, capacity
        Arcs, ``int64[a]``.
    kind
        ``ARC_HOLD``, ``ARC_EDGE``, ``ARC_RELEASE``, ``ARC_SAFE`` or ``ARC_ZONE``, ``int8[a]``.
    ref
        Edge index (edge arcs), demand row (release arcs), safe zone (safe and zone arcs), node (holdover arcs).
    fine_t
        Fine bin at the arc's tail (exact for ``q = 1``).
    source, sink, n_nodes
        The super source and sink, and the node count.
    """

    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    capacity: NDArray[np.int64]
    kind: NDArray[np.int8]
    ref: NDArray[np.int64]
    fine_t: NDArray[np.int64]
    source: int
    sink: int
    n_nodes: int


def ten_size(rel: Relaxation, horizon: int, q: int) -> int:
    """Number of node copies a TEN at ``horizon`` with condensation ``q`` would hold."""
    slack = horizon - rel.pi - rel.b
    ok = (rel.pi < INF_T) & (rel.b < INF_T) & (slack >= 0)
    return int(np.sum(slack[ok] // q + 1))


def build_ten(problem: Problem, disc: Discretisation, rel: Relaxation, horizon: int, q: int = 1) -> TimeExpanded:
    """Build the (condensed when ``q > 1``) TEN for arrivals by fine bin ``horizon``."""
    net, zones, d = problem.network, problem.zones, problem.demand
    n = net.n_nodes
    pi, b = rel.pi, rel.b
    ok = (pi < INF_T) & (b < INF_T) & (horizon - pi - b >= 0)
    last = np.where(ok, (horizon - np.where(ok, pi + b, 0)) // q, -1)
    count = last + 1
    base = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(count, out=base[1:])
    n_copies = int(base[-1])
    n_zones = zones.safe_capacity.shape[0]
    source, sink = n_copies, n_copies + 1
    collector0 = n_copies + 2
    parts: list[tuple[NDArray[np.int64], ...]] = []

    # holdover arcs
    nodes = np.flatnonzero(count > 1)
    reps = count[nodes] - 1
    v = np.repeat(nodes, reps)
    lab = _ranges(reps)
    t = base[v] + lab
    parts.append((t, t + 1, np.full(t.size, INF_T), np.full(t.size, ARC_HOLD), v, pi[v] + q * lab))

    # edge arcs
    e = np.flatnonzero((rel.tau >= 0) & (rel.cap > 0))
    u, w = net.tail[e].astype(np.int64), net.head[e].astype(np.int64)
    keep = ok[u] & ok[w]
    e, u, w = e[keep], u[keep], w[keep]
    delta = (rel.tau[e] + pi[u] - pi[w]) // q
    hi = np.minimum(last[u], last[w] - delta)
    sel = hi >= 0
    e, u, w, delta, hi = e[sel], u[sel], w[sel], delta[sel], hi[sel]
    reps = hi + 1
    ee = np.repeat(e, reps)
    lab = _ranges(reps)
    uu, ww, dd = np.repeat(u, reps), np.repeat(w, reps), np.repeat(delta, reps)
    parts.append((base[uu] + lab, base[ww] + lab + dd, q * rel.cap[ee], np.full(ee.size, ARC_EDGE), ee,
                  pi[uu] + q * lab))

    # release arcs: label l of origin o gets the persons released in fine bins pi(o)+q*l .. pi(o)+q*l+q-1
    rows = rel.rows[ok[d.origin[rel.rows]]]
    o = d.origin[rows].astype(np.int64)
    reps = count[o]
    rr = np.repeat(rows, reps)
    oo = np.repeat(o, reps)
    lab = _ranges(reps)
    rel_table = disc.release
    n_cols = rel_table.shape[1]
    hi_t = pi[oo] + q * lab + q - 1
    lo_t = pi[oo] + q * lab - 1
    upto = rel_table[rr, np.minimum(hi_t, n_cols - 1)]
    before = np.where(lo_t < 0, 0, rel_table[rr, np.clip(lo_t, 0, n_cols - 1)])
    amount = upto - before
    pos = amount > 0
    rr, oo, lab, amount = rr[pos], oo[pos], lab[pos], amount[pos]
    parts.append((np.full(rr.size, source), base[oo] + lab, amount, np.full(rr.size, ARC_RELEASE), rr,
                  pi[oo] + q * lab))

    # safe nodes -> zone collectors -> sink
    safe_nodes = np.flatnonzero(ok & (zones.node_safe >= 0))
    zs = zones.node_safe[safe_nodes].astype(np.int64)
    room = zones.safe_capacity[zs] >= 1
    safe_nodes, zs = safe_nodes[room], zs[room]
    parts.append((base[safe_nodes] + last[safe_nodes], collector0 + zs, np.full(zs.size, INF_T),
                  np.full(zs.size, ARC_SAFE), zs, pi[safe_nodes] + q * last[safe_nodes]))
    zcap = np.floor(np.minimum(zones.safe_capacity, float(INF_T))).astype(np.int64)
    zi = np.arange(n_zones, dtype=np.int64)
    parts.append((collector0 + zi, np.full(n_zones, sink), zcap, np.full(n_zones, ARC_ZONE), zi,
                  np.full(n_zones, horizon)))

    cols = [np.concatenate([p[i] for p in parts]) for i in range(6)]
    big = int(amount.sum()) + 1  # "unlimited", small enough that OR-Tools sees no overflow risk
    return TimeExpanded(
        tail=cols[0].astype(np.int64), head=cols[1].astype(np.int64),
        capacity=np.minimum(cols[2], big).astype(np.int64), kind=cols[3].astype(np.int8),
        ref=cols[4].astype(np.int64), fine_t=cols[5].astype(np.int64),
        source=source, sink=sink, n_nodes=collector0 + n_zones,
    )


def _ranges(reps: NDArray[np.int64]) -> NDArray[np.int64]:
    """``concatenate([arange(k) for k in reps])`` without a Python loop."""
    reps = np.asarray(reps, dtype=np.int64)
    total = int(reps.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(reps) - reps
    return np.arange(total, dtype=np.int64) - np.repeat(starts, reps)


def solve_ten(ten: TimeExpanded, *, want_flows: bool = False) -> tuple[int, NDArray[np.int64] | None]:
    """Max flow from the super source to the super sink; optionally the flow on every arc."""
    if ten.tail.size == 0:
        return 0, (np.zeros(0, dtype=np.int64) if want_flows else None)
    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(ten.tail, ten.head, ten.capacity)
    status = smf.solve(ten.source, ten.sink)
    if status != smf.OPTIMAL:
        raise RuntimeError(f"OR-Tools max flow failed with status {status}")
    value = int(smf.optimal_flow())
    flows = np.asarray(smf.flows(np.arange(ten.tail.size)), dtype=np.int64) if want_flows else None
    return value, flows


def static_target(problem: Problem, rel: Relaxation) -> int:
    """Persons that can reach safety at all given unlimited time: a static max flow (edges unlimited, safe zones at
    their capacity) from the relaxation's rows."""
    net, zones, d = problem.network, problem.zones, problem.demand
    n, n_z = net.n_nodes, zones.safe_capacity.shape[0]
    rows = rel.rows
    total = int(d.count[rows].sum())
    if total == 0:
        return 0
    big = total + 1
    source, sink, coll = n, n + 1, n + 2
    e = np.flatnonzero(rel.tau >= 0)
    safe = np.flatnonzero(zones.node_safe >= 0)
    zcap = np.floor(np.minimum(zones.safe_capacity, float(big))).astype(np.int64)
    tail = np.concatenate([net.tail[e], np.full(rows.size, source), safe, coll + np.arange(n_z)])
    head = np.concatenate([net.head[e], d.origin[rows], coll + zones.node_safe[safe], np.full(n_z, sink)])
    cap = np.concatenate([np.full(e.size, big), d.count[rows], np.full(safe.size, big), zcap])
    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(tail.astype(np.int64), head.astype(np.int64), cap.astype(np.int64))
    if smf.solve(source, sink) != smf.OPTIMAL:
        raise RuntimeError("OR-Tools max flow failed")
    return int(smf.optimal_flow())
