"""Time-expanded networks (TEN) of the planning model, solved as max flows with OR-Tools.

A copy of node ``v`` per label (or, condensed by ``q``, per ``q`` consecutive labels); edge ``e`` becomes arcs from
each copy at its tail to the copy its transit leads to at its head, with ``q`` windows' worth of capacity; the
persons released by each label enter at their origin; copies of safe nodes drain into one collector per safe zone,
whose arc to the super sink carries the zone's capacity. Copies that nobody can reach before a label (``pi``) or
from which safety cannot be reached by the horizon are left out.

Two networks are built from it (:class:`TenSpec`):

* the **exact** network of one travel class: transit ``tau`` of the planning model, people wait only at home (a
  chain of home copies per origin) -- its max flow at horizon ``T`` decides whether the model has a plan finishing
  by ``T``, and its path decomposition *is* such a plan;
* the **relaxation**, in the base frame: per edge the fewest base windows any class takes, the largest capacity of
  any class, waiting allowed everywhere, labels condensed by ``q`` (rounded down). Every plan of the model maps onto
  a flow of it, so when its max flow at ``T`` cannot carry everyone, no plan finishes by ``T``: a certified lower
  bound, valid for the model at its own step whatever ``q``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow

from evacplan.planning.model import INF_T, PlanningModel
from evacplan.problem import kernels as graph
from evacplan.problem.physics import has_room
from evacplan.problem.problem import Problem

__all__ = ["TenSpec", "TimeExpanded", "build_ten", "exact_spec", "in_time", "relaxed_spec", "solve_ten",
           "static_target"]

ARC_HOLD, ARC_EDGE, ARC_RELEASE, ARC_SAFE, ARC_ZONE, ARC_LEAVE = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True, eq=False)
class TenSpec:
    """What a TEN is built from.

    Attributes
    ----------
    tau, cap
        Transit labels (``-1`` closed) and persons per window of each edge, ``int64[m]``.
    src_row, src_label, src_amount
        Release increments: persons of demand row ``src_row[i]`` released in label ``src_label[i]``.
    pi
        Earliest label anyone can be at each node (``INF_T`` when nobody can), ``int64[n]``.
    to_safe
        Fewest steps from each node to the start of an arrival window at a safe node with room: labels on the way
        minus that node's ``sink_shift`` (``INF_T`` when none), ``int64[n]``.
    sink_shift
        A copy in label ``l`` of a safe node ``v`` is safe by horizon ``T`` when ``l <= T + sink_shift[v]``:
        ``floor(b(v) / s)``, the node's potential in steps, ``int64[n]``.
    wait_on_way
        Whether people may wait at every node (relaxation) or only at home (exact model).
    """

    tau: NDArray[np.int64]
    cap: NDArray[np.int64]
    src_row: NDArray[np.int64]
    src_label: NDArray[np.int64]
    src_amount: NDArray[np.int64]
    pi: NDArray[np.int64]
    to_safe: NDArray[np.int64]
    sink_shift: NDArray[np.int64]
    wait_on_way: bool


@dataclass(frozen=True, eq=False)
class TimeExpanded:
    """A built TEN: arcs as arrays, with what each arc stands for.

    Attributes
    ----------
    tail, head, capacity
        Arcs, ``int64[a]``.
    kind
        ``ARC_HOLD``, ``ARC_EDGE``, ``ARC_RELEASE``, ``ARC_SAFE``, ``ARC_ZONE`` or ``ARC_LEAVE``, ``int8[a]``.
    ref
        Edge index (edge arcs), demand row (release arcs), safe zone (safe and zone arcs), node (others).
    label
        Label at the arc's tail (exact for ``q = 1``).
    source, sink, n_nodes
        The super source and sink, and the node count.
    """

    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    capacity: NDArray[np.int64]
    kind: NDArray[np.int8]
    ref: NDArray[np.int64]
    label: NDArray[np.int64]
    source: int
    sink: int
    n_nodes: int


def _earliest(problem: Problem, tau: NDArray[np.int64], node: NDArray[np.int64], label: NDArray[np.int64],
              reverse: bool = False) -> NDArray[np.int64]:
    """Fewest labels from the given (node, label) starts to every node over edges with ``tau >= 0`` (or towards,
    with ``reverse``)."""
    net = problem.network
    n = net.n_nodes
    init = np.full(n, np.inf)
    if node.size:
        np.minimum.at(init, node, label.astype(np.float64))
    w = np.where(tau >= 0, tau.astype(np.float64), np.inf)
    if reverse:
        rev_indptr, rev_edges = net.reverse()
        dist, _ = graph.dijkstra(rev_indptr.astype(np.int64), net.tail[rev_edges].astype(np.int64),
                                 rev_edges.astype(np.int64), w, init)
    else:
        dist, _ = graph.dijkstra(net.indptr.astype(np.int64), net.head.astype(np.int64),
                                 np.arange(net.n_edges, dtype=np.int64), w, init)
    return np.where(np.isfinite(dist), dist, float(INF_T)).astype(np.int64)


def _sinks(problem: Problem, model: PlanningModel, potential: NDArray[np.float64]
           ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Safe nodes with room and every node's potential in whole steps (the sink shift)."""
    zones = problem.zones
    room = has_room(model.phys.safe_capacity[np.maximum(zones.node_safe, 0)])
    safe = np.flatnonzero((zones.node_safe >= 0) & room)
    shift = np.floor(np.where(np.isfinite(potential), potential, 0.0) / model.step_s + 1e-9).astype(np.int64)
    return safe, shift


def exact_spec(problem: Problem, model: PlanningModel, rows: NDArray[np.int64]) -> TenSpec:
    """The exact TEN of the planning model for ``rows``, all of one travel class."""
    cls = np.unique(model.row_class[rows])
    if cls.size > 1:
        raise ValueError("the exact TEN holds one travel class")
    c = int(cls[0]) if cls.size else 0
    tau = model.tau[c] if model.n_classes else np.full(problem.network.n_edges, -1, dtype=np.int64)
    cap = model.cap_bin[c] if model.n_classes else np.zeros(problem.network.n_edges, dtype=np.int64)
    src = model.release_increments(rows)
    pi = _earliest(problem, tau, problem.demand.origin[rows].astype(np.int64), model.row_first[rows])
    safe, sink_shift = _sinks(problem, model, model.potential_s[c] if model.n_classes else np.zeros(0))
    to_safe = _earliest(problem, tau, safe, -sink_shift[safe], reverse=True)
    return TenSpec(tau=tau, cap=cap, src_row=src[0], src_label=src[1], src_amount=src[2], pi=pi, to_safe=to_safe,
                   sink_shift=sink_shift, wait_on_way=False)


def relaxed_spec(problem: Problem, model: PlanningModel, rows: NDArray[np.int64]) -> TenSpec:
    """The relaxation TEN (base frame, every class) for ``rows``."""
    tau = model.base_tau()
    cap = model.cap_bin.max(axis=0) if model.n_classes else np.zeros(problem.network.n_edges, dtype=np.int64)
    origin = problem.demand.origin.astype(np.int64)
    row_shift = model.shift[model.row_class, origin] if model.n_classes else np.zeros(0, dtype=np.int64)
    src = model.release_increments(rows, row_shift)
    pi = _earliest(problem, tau, origin[rows], model.row_first[rows] + row_shift[rows])
    safe, sink_shift = _sinks(problem, model, model.base_potential_s)
    to_safe = _earliest(problem, tau, safe, -sink_shift[safe], reverse=True)
    return TenSpec(tau=tau, cap=cap, src_row=src[0], src_label=src[1], src_amount=src[2], pi=pi, to_safe=to_safe,
                   sink_shift=sink_shift, wait_on_way=True)


def in_time(problem: Problem, model: PlanningModel, spec: TenSpec, horizon: int) -> TenSpec:
    """``spec`` (a relaxation) without the release increments of persons whose own travel class cannot be safe by
    ``horizon`` even on empty streets: released in label ``l`` of their class at origin ``o``, they need
    ``l + to_go[o] <= horizon``, ``to_go`` the fewest labels to a safe node with room less its sink shift (as
    :func:`exact_spec`'s ``to_safe``). No plan of the model brings them to safety by then, so the maximum flow of
    the rest still bounds every plan; in the base frame the relaxation lets every class move at the fastest class's
    transit and would count them (the bundled default with East due by 240 min: 19,475 walkers and carts)."""
    if spec.src_row.size == 0 or model.n_classes == 0:
        return spec
    origin = problem.demand.origin.astype(np.int64)[spec.src_row]
    cls = model.row_class[spec.src_row]
    own = spec.src_label - model.shift[cls, origin]  # the release label in the row's own class
    keep = np.zeros(spec.src_row.size, dtype=bool)
    for c in np.unique(cls):
        safe, sink_shift = _sinks(problem, model, model.potential_s[c])
        to_go = _earliest(problem, model.tau[c], safe, -sink_shift[safe], reverse=True)
        sel = cls == c
        keep[sel] = (to_go[origin[sel]] < INF_T) & (own[sel] + to_go[origin[sel]] <= horizon)
    return replace(spec, src_row=spec.src_row[keep], src_label=spec.src_label[keep],
                   src_amount=spec.src_amount[keep])


def ten_size(spec: TenSpec, horizon: int, q: int = 1) -> int:
    """Number of node copies a TEN of ``spec`` at ``horizon`` with condensation ``q`` holds."""
    slack = horizon - spec.pi - spec.to_safe
    ok = (spec.pi < INF_T) & (spec.to_safe < INF_T) & (slack >= 0)
    return int(np.sum(slack[ok] // q + 1))


def build_ten(problem: Problem, model: PlanningModel, spec: TenSpec, horizon: int, q: int = 1) -> TimeExpanded:
    """Build the TEN of ``spec`` for arrivals by label ``horizon``, condensed by ``q`` (``q > 1`` needs
    ``spec.wait_on_way``)."""
    if q > 1 and not spec.wait_on_way:
        raise ValueError("a condensed TEN is a relaxation: it needs waiting on the way")
    net, zones, d = problem.network, problem.zones, problem.demand
    n = net.n_nodes
    pi, b = spec.pi, spec.to_safe
    ok = (pi < INF_T) & (b < INF_T) & (horizon - pi - b >= 0)
    last = np.where(ok, (horizon - np.where(ok, pi + b, 0)) // q, -1)
    count = last + 1
    base = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(count, out=base[1:])
    n_copies = int(base[-1])
    parts: list[tuple[NDArray[np.int64], ...]] = []

    # releases: into the origin's copies, or into a chain of home copies when nobody may wait on the way
    o_all = d.origin.astype(np.int64)
    so = o_all[spec.src_row]
    keep = ok[so] & (spec.src_label - pi[so] >= 0)
    lab = np.where(keep, (spec.src_label - np.where(keep, pi[so], 0)) // q, 0)
    keep &= lab <= last[so]
    sr, so, lab, amount = spec.src_row[keep], so[keep], lab[keep], spec.src_amount[keep]
    next_id = n_copies
    if spec.wait_on_way:
        entry = base[so] + lab
    else:
        homes = np.unique(so)
        home_base = np.zeros(n, dtype=np.int64)
        home_base[homes] = next_id + np.concatenate([[0], np.cumsum(count[homes])[:-1]]) if homes.size else 0
        next_id += int(count[homes].sum())
        entry = home_base[so] + lab
        reps = count[homes]
        hv = np.repeat(homes, reps)
        hl = _ranges(reps)
        leave_t = home_base[hv] + hl
        parts.append((leave_t, base[hv] + hl, np.full(hv.size, INF_T), np.full(hv.size, ARC_LEAVE), hv,
                      pi[hv] + q * hl))
        more = hl < np.repeat(reps, reps) - 1
        parts.append((leave_t[more], leave_t[more] + 1, np.full(int(more.sum()), INF_T),
                      np.full(int(more.sum()), ARC_HOLD), hv[more], pi[hv[more]] + q * hl[more]))
    source, sink = next_id, next_id + 1
    collector0 = next_id + 2
    parts.append((np.full(sr.size, source), entry, amount, np.full(sr.size, ARC_RELEASE), sr, pi[so] + q * lab))

    # waiting on the way
    if spec.wait_on_way:
        nodes = np.flatnonzero(count > 1)
        reps = count[nodes] - 1
        v = np.repeat(nodes, reps)
        hl = _ranges(reps)
        t = base[v] + hl
        parts.append((t, t + 1, np.full(t.size, INF_T), np.full(t.size, ARC_HOLD), v, pi[v] + q * hl))

    # edges
    e = np.flatnonzero((spec.tau >= 0) & (spec.cap > 0))
    u, w = net.tail[e].astype(np.int64), net.head[e].astype(np.int64)
    keep = ok[u] & ok[w]
    e, u, w = e[keep], u[keep], w[keep]
    delta = (spec.tau[e] + pi[u] - pi[w]) // q
    hi = np.minimum(last[u], last[w] - delta)
    sel = hi >= 0
    e, u, w, delta, hi = e[sel], u[sel], w[sel], delta[sel], hi[sel]
    reps = hi + 1
    ee = np.repeat(e, reps)
    hl = _ranges(reps)
    uu, ww, dd = np.repeat(u, reps), np.repeat(w, reps), np.repeat(delta, reps)
    parts.append((base[uu] + hl, base[ww] + hl + dd, q * spec.cap[ee], np.full(ee.size, ARC_EDGE), ee,
                  pi[uu] + q * hl))

    # safe nodes -> zone collectors -> sink
    n_zones = zones.safe_capacity.shape[0]
    zcap_all = model.phys.safe_capacity
    safe_nodes = np.flatnonzero(ok & (zones.node_safe >= 0))
    zs = zones.node_safe[safe_nodes].astype(np.int64)
    room = has_room(zcap_all[zs])
    safe_nodes, zs = safe_nodes[room], zs[room]
    # copies whose (first) label is an arrival window starting by the horizon
    reps = np.clip((horizon + spec.sink_shift[safe_nodes] - pi[safe_nodes]) // q + 1, 0, count[safe_nodes])
    sv = np.repeat(safe_nodes, reps)
    sz = np.repeat(zs, reps)
    hl = _ranges(reps)
    parts.append((base[sv] + hl, collector0 + sz, np.full(sv.size, INF_T), np.full(sv.size, ARC_SAFE), sz,
                  pi[sv] + q * hl))
    zcap = np.floor(np.minimum(zcap_all, float(INF_T))).astype(np.int64)
    zi = np.arange(n_zones, dtype=np.int64)
    parts.append((collector0 + zi, np.full(n_zones, sink), zcap, np.full(n_zones, ARC_ZONE), zi,
                  np.full(n_zones, horizon)))

    cols = [np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, np.int64) for i in range(6)]
    big = int(amount.sum()) + 1  # "unlimited", small enough that OR-Tools sees no overflow risk
    return TimeExpanded(
        tail=cols[0].astype(np.int64), head=cols[1].astype(np.int64),
        capacity=np.minimum(cols[2], big).astype(np.int64), kind=cols[3].astype(np.int8),
        ref=cols[4].astype(np.int64), label=cols[5].astype(np.int64),
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


def static_target(problem: Problem, model: PlanningModel, rows: NDArray[np.int64]) -> int:
    """Persons of ``rows`` that can reach safety at all given unlimited time: a static max flow (edges unlimited for
    the classes that may use them, safe zones at their capacity)."""
    net, zones, d = problem.network, problem.zones, problem.demand
    n, n_z = net.n_nodes, zones.safe_capacity.shape[0]
    total = int(d.count[rows].sum())
    if total == 0:
        return 0
    big = total + 1
    source, sink, coll = n, n + 1, n + 2
    e = np.flatnonzero((model.tau >= 0).any(axis=0))
    safe = np.flatnonzero(zones.node_safe >= 0)
    zcap = np.floor(np.minimum(model.phys.safe_capacity, float(big))).astype(np.int64)
    tail = np.concatenate([net.tail[e], np.full(rows.size, source), safe, coll + np.arange(n_z)])
    head = np.concatenate([net.head[e], d.origin[rows], coll + zones.node_safe[safe], np.full(n_z, sink)])
    cap = np.concatenate([np.full(e.size, big), d.count[rows], np.full(safe.size, big), zcap])
    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(tail.astype(np.int64), head.astype(np.int64), cap.astype(np.int64))
    if smf.solve(source, sink) != smf.OPTIMAL:
        raise RuntimeError("OR-Tools max flow failed")
    return int(smf.optimal_flow())
