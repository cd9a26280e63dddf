"""Certified lower bounds on the optimal evacuation time of the planning model at its own step.

Four bounds, the largest is reported (every one is in labels of the model it is given):

* *analytic*: a label is the earliest a person could be safe, so ``target`` persons cannot all be safe before the
  ``target``-th smallest release label;
* *level cuts*: for the set ``S`` of nodes within ``d`` seconds of safety (base frame), everyone starting outside
  ``S`` must enter it over a cut edge ``(u, v)``, in a window no earlier than anyone can be at ``u`` and early enough
  to still reach safety from ``v``; the cut's capacity over those windows must carry them;
* *safe-zone assignment*: everyone saved by ``T`` is assigned to a zone they can reach by ``T`` within the zones'
  capacities (:mod:`evacplan.planning.zones`);
* *relaxed TEN*: the relaxation of :mod:`evacplan.planning.ten` (condensed by ``q`` when large); if its max flow at
  horizon ``T`` cannot carry the planned persons, no plan of the model finishes by ``T``. Probes search the largest
  such ``T`` below the plan's time.

For one travel class the exact TEN (:func:`evacplan.planning.ten.exact_spec`) is probed instead where it fits
:data:`EXACT_NODE_BUDGET` node copies: an infeasible exact network is a bound, a feasible one *is* a quicker plan,
returned to the caller; the search climbs from the bound (see :func:`certify`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow

from evacplan.planning.model import INF_T, PlanningModel
from evacplan.planning.ten import TenSpec, build_ten, exact_spec, relaxed_spec, solve_ten, ten_size
from evacplan.planning.zones import ZoneModel, zone_bound, zone_model
from evacplan.problem.physics import has_room
from evacplan.problem.problem import Problem

__all__ = ["EXACT_NODE_BUDGET", "MAX_CONDENSATION", "NODE_BUDGET", "BoundResult", "analytic_bound", "certify",
           "cut_bound", "flow_cut_bound", "probe_condensation", "static_rate"]

log = logging.getLogger(__name__)

#: Coarsest condensation worth probing: coarser networks rarely beat the level-cut bound and cost the most.
MAX_CONDENSATION = 8

#: Largest number of node copies of one probed relaxed network.
NODE_BUDGET = 1_500_000

#: Largest number of node copies of one probed exact network (one travel class; a feasible probe is a plan). Memory
#: grows with it: Berlin-Center 60k (probes of 3.7-3.9 M copies) peaked at 2.35 GB.
EXACT_NODE_BUDGET = 8_000_000


@dataclass(frozen=True)
class BoundResult:
    """A certified lower bound in labels of the model certified, and how it was obtained.

    ``better`` holds the group buffers (labels) of a plan quicker than the one certified, found by an exact-TEN
    probe of a one-class problem, else ``None``; ``better_bins`` is its evacuation time.
    """

    bins: int
    analytic_bins: int
    condensation: int
    probes: int
    better: dict[str, NDArray[np.integer]] | None = None
    better_bins: int = 0


def analytic_bound(model: PlanningModel, rows: NDArray[np.int64], target: int | None = None) -> int:
    """Horizon (steps) before which ``target`` persons of ``rows`` (default: all) cannot all be safe: a person
    first sendable in the window starting at ``t`` (the model's release rule) cannot be safe before ``t`` plus
    their free time to the nearest safe zone with room."""
    rr, lab, persons = model.release_increments(rows)
    if lab.size == 0 or (target is not None and target <= 0):
        return 0
    want = int(persons.sum()) if target is None else min(int(target), int(persons.sum()))
    cls = model.row_class[rr]
    origin = model.row_origin[rr]
    start = lab * model.step_s - model.potential_s[cls, origin] + model.safety_s[cls, origin]
    earliest = np.ceil(start / model.step_s - 1e-9).astype(np.int64)
    order = np.argsort(earliest, kind="stable")
    cum = np.cumsum(persons[order])
    return int(earliest[order][int(np.searchsorted(cum, want))])


def certify(
    problem: Problem,
    model: PlanningModel,
    target: int,
    upper: int,
    *,
    tol: float = 0.01,
    max_probes: int = 6,
    node_budget: int = NODE_BUDGET,
    exact_budget: int = EXACT_NODE_BUDGET,
    min_condensation: int = 1,
    zones: ZoneModel | None = None,
    improve: bool = True,
    spec: TenSpec | None = None,
    stop_at: float | None = None,
    cuts: int | None = None,
) -> BoundResult:
    """Largest proven lower bound (labels of ``model``) on the time to bring ``target`` persons to safety.

    Parameters
    ----------
    problem, model
        The problem and the planning model whose optimum is bounded (the scenario's step).
    target
        Persons the plan brings to safety.
    upper
        Evacuation time of a feasible plan in labels of ``model`` (the search stays below it).
    tol
        Stop once ``upper / bound - 1 <= tol``.
    max_probes
        Most max flows to solve.
    node_budget
        Most node copies per probed relaxed network; the condensation factor is the smallest that fits.
    exact_budget
        Most node copies per probed exact network (``improve``).
    min_condensation
        Smallest condensation (a plan made at ``k`` times the model's step is certified with ``q >= k``).
    zones
        The safe-zone assignment model of these rows, when already built.
    improve
        Probe the exact network too (one class, uncondensed) and return a quicker plan when one exists.
    spec
        The relaxed network of the usable rows (:func:`~evacplan.planning.ten.relaxed_spec`), when already built.
    stop_at
        A :func:`time.perf_counter` time: probe (bisect) until the gap is within ``tol`` or that time has passed,
        instead of at most ``max_probes`` probes.
    cuts
        The larger of the level-cut and minimum-cut bounds (:func:`cut_bound`, :func:`flow_cut_bound`) of ``spec``
        for ``target`` persons, when already computed.
    """
    rows = np.flatnonzero(model.usable)
    lb = analytic_bound(model, rows, target) if rows.size else 0
    if spec is None and rows.size:
        spec = relaxed_spec(problem, model, rows)
    if spec is not None and target > 0:
        if cuts is None:
            cuts = max(cut_bound(problem, model, spec, rows, target),
                       flow_cut_bound(problem, model, spec, rows, target))
        lb = max(lb, cuts)
        zm = zones if zones is not None else zone_model(problem, model, rows)
        if zm is not None and lb < upper:
            lb = max(lb, zone_bound(zm, target, lb, upper))
    analytic = lb
    if spec is None or target <= 0 or upper <= lb:
        return BoundResult(lb, analytic, 0, 0)
    q = probe_condensation(spec, upper, min_condensation, node_budget)
    one_class = np.unique(model.row_class[rows]).size == 1
    exact: TenSpec | None = None
    if improve and one_class and min_condensation <= 1:
        exact = exact_spec(problem, model, rows)
        if ten_size(exact, lb) > exact_budget:
            exact = None
    if q > MAX_CONDENSATION and exact is None:
        return BoundResult(lb, analytic, q, 0)
    # Relaxed probes: two just below the plan's time (cheap certificates when the plan is near optimal, as it
    # usually is), then bisection between the best bound and the lowest horizon found feasible. Where the exact
    # network (one class, uncondensed) fits ``exact_budget`` it is probed instead: it is the model itself, so an
    # infeasible probe is a bound and a feasible one a quicker plan, and the search ends at the optimum. It climbs
    # from the bound: a probe at ``H`` that carries ``v < target`` persons predicts the optimum at
    # ``H + ceil((target - v) / slope)``, ``slope`` the persons one more label adds: at first the static maximum
    # flow per label (the most it can add), then the secant through the last two infeasible probes; a feasible
    # probe is followed by one a label lower, which proves it optimal when infeasible (else the search bisects).
    # The bounds are often within a few labels of the optimum while routed plans may be 10-25 % above it, and
    # networks below the optimum are smaller: fewer and cheaper max flows than bisecting down from the plan.
    cand_hi = upper - 1  # every horizon in (lb .. cand_hi] is still undecided
    drop = max(1, int(tol * upper))
    probes, found, feasible = 0, False, 0
    better, better_bins = None, 0
    limit = max_probes if exact is None else 2 * max_probes
    rate = static_rate(problem, model, exact, rows) if exact is not None else 0
    predicted = lb
    last: tuple[int, int] | None = None  # the last infeasible exact probe: (horizon, persons carried)

    def more() -> bool:
        return probes < limit if stop_at is None else time.perf_counter() < stop_at

    while lb <= cand_hi and more() and upper / max(lb, 1) - 1 > tol:
        if exact is not None and ten_size(exact, lb) <= exact_budget:
            horizon = (lb + cand_hi) // 2 if feasible > 1 else min(max(predicted, lb), cand_hi)
            while horizon > lb and ten_size(exact, horizon) > exact_budget:
                horizon = (lb + horizon) // 2
        elif q > MAX_CONDENSATION:
            break
        else:
            horizon = (lb + cand_hi) // 2 if found or probes >= 2 else max(lb, upper - 1 - drop)
        if exact is not None and ten_size(exact, horizon) <= exact_budget:
            t0 = time.perf_counter()
            ten = build_ten(problem, model, exact, horizon)
            value, flows = solve_ten(ten, want_flows=True)
            probes += 1
            log.debug("certify: exact probe at %d: %d of %d (%.1f s)", horizon, value, target,
                      time.perf_counter() - t0)
            if value < target:
                lb, found = horizon + 1, True
                slope = float(rate)
                if last is not None and value > last[1]:  # the secant through the last two infeasible probes
                    slope = min(float(rate), (int(value) - last[1]) / (horizon - last[0])) if rate else 0.0
                predicted = horizon + max(1, int(np.ceil((target - int(value)) / max(slope, 1e-9) - 1e-9)))
                last = (horizon, int(value))
                continue
            if flows is not None:
                from evacplan.planning.exact import decompose

                better, better_bins, upper = decompose(ten, flows, exact.tau), horizon, horizon
            cand_hi = horizon - 1
            drop *= 2
            feasible += 1
            continue
        t0 = time.perf_counter()
        value, _ = solve_ten(build_ten(problem, model, spec, horizon, q))
        probes += 1
        log.debug("certify: relaxed probe (q=%d) at %d: %d of %d (%.1f s)", q, horizon, value, target,
                  time.perf_counter() - t0)
        if value < target:
            lb, found = horizon + 1, True
            continue
        cand_hi = horizon - 1
        drop *= 2
    return BoundResult(lb, analytic, q, probes, better, better_bins)


def probe_condensation(spec: TenSpec, upper: int, min_condensation: int = 1, node_budget: int = NODE_BUDGET) -> int:
    """Condensation of the relaxed networks :func:`certify` probes below horizon ``upper``: the smallest from
    ``min_condensation`` whose network fits ``node_budget`` node copies (none are probed above
    :data:`MAX_CONDENSATION`)."""
    q = max(1, min_condensation)
    while ten_size(spec, upper, q) > node_budget:
        q += 1 if q < 4 else q // 2
    return q


def static_rate(problem: Problem, model: PlanningModel, spec: TenSpec, rows: NDArray[np.int64]) -> int:
    """Persons per label the static network of ``spec`` carries at most from the origins of ``rows`` to the safe
    nodes with room (its maximum flow, each edge its capacity per label): how much one more label of horizon can
    add to a maximum flow over time, used to place the certificate's exact probes."""
    starts = np.unique(problem.demand.origin[rows]).astype(np.int64)
    e = np.flatnonzero((spec.tau >= 0) & (spec.cap > 0))
    smf, big, solved = _static_max_flow(problem, model, spec, e, starts)
    if not solved:
        return 0
    return int(min(smf.optimal_flow(), big - 1))


def _static_max_flow(problem: Problem, model: PlanningModel, spec: TenSpec, e: NDArray[np.int64],
                     starts: NDArray[np.int64]) -> tuple[max_flow.SimpleMaxFlow, int, bool]:
    """The maximum flow of the static network of edges ``e`` (each its capacity per label, ``spec.cap``) from a
    super source joined to ``starts`` to a super sink joined from the safe nodes with room (nodes ``n`` and
    ``n + 1``): ``(solver, big, solved)``, ``big`` the capacity of the joining arcs (more than any cut of edges);
    ``solved`` False when there is nothing to join or the solver failed."""
    net, zones = problem.network, problem.zones
    room = has_room(model.phys.safe_capacity[np.maximum(zones.node_safe, 0)])
    safe = np.flatnonzero((zones.node_safe >= 0) & room)
    smf = max_flow.SimpleMaxFlow()
    big = int(spec.cap[e].sum()) + 1
    if safe.size == 0 or starts.size == 0 or e.size == 0:
        return smf, big, False
    n = net.n_nodes
    smf.add_arcs_with_capacity(
        np.concatenate([net.tail[e].astype(np.int64), np.full(starts.size, n), safe]),
        np.concatenate([net.head[e].astype(np.int64), starts, np.full(safe.size, n + 1)]),
        np.concatenate([spec.cap[e], np.full(starts.size + safe.size, big)]).astype(np.int64))
    return smf, big, smf.solve(n, n + 1) == smf.OPTIMAL


#: Most distance levels tried by :func:`cut_bound`.
MAX_LEVELS = 128


def cut_bound(problem: Problem, model: PlanningModel, spec: TenSpec, rows: NDArray[np.int64], target: int) -> int:
    """Level-cut lower bound (labels) on bringing ``target`` persons of ``rows`` to safety (see the module
    docstring), with the relaxation ``spec`` giving transit, capacity, earliest labels and labels to safety."""
    net, d = problem.network, problem.demand
    pi, to_safe = spec.pi, spec.to_safe
    lab = model.safety_s.min(axis=0) if model.n_classes else model.base_potential_s  # 0 on every safe node
    ok_e = (spec.tau >= 0) & (spec.cap > 0)
    u, v = net.tail.astype(np.int64), net.head.astype(np.int64)
    levels = np.unique(lab[np.isfinite(lab)])
    if levels.size > MAX_LEVELS:
        levels = levels[np.linspace(0, levels.size - 1, MAX_LEVELS).astype(np.int64)]
    origin_b = lab[d.origin[rows]]
    counts = d.count[rows]
    total = int(counts.sum())
    best = 0
    for lev in levels:
        outside = int(counts[origin_b > lev].sum())
        need = target - (total - outside)  # at least this many must cross into S
        if need <= 0:
            continue
        cut = ok_e & (lab[u] > lev) & (lab[v] <= lev) & (pi[u] < INF_T) & (to_safe[v] < INF_T)
        if not cut.any():
            continue
        best = max(best, _crossing_bound(spec, u[cut], v[cut], np.flatnonzero(cut), need))
    return best


def _crossing_bound(spec: TenSpec, u: NDArray[np.int64], v: NDArray[np.int64], edges: NDArray[np.int64],
                    need: int) -> int:
    """Smallest horizon by which ``need`` persons can cross the cut ``edges`` (tails ``u``, heads ``v``): a crossing of
    ``e`` in window ``t`` is possible only from the earliest label anyone is at ``u`` (``pi``) and is useful only if
    safety is still reachable from ``v`` by the horizon, so by horizon ``H`` the edge carries at most
    ``cap[e] * (H + 1 - k_e)`` persons, ``k_e = tau[e] + to_safe[v] + pi[u]``."""
    k = spec.tau[edges] + spec.to_safe[v] + spec.pi[u]
    cap = spec.cap[edges].astype(np.float64)
    order = np.argsort(k, kind="stable")
    k, cap = k[order], cap[order]
    ccap, ckcap = np.cumsum(cap), np.cumsum(cap * k)

    def carried(horizon: int) -> float:
        i = int(np.searchsorted(k, horizon, side="right"))
        return 0.0 if i == 0 else (horizon + 1) * ccap[i - 1] - ckcap[i - 1]

    lo, hi = int(k[0]), int(k[0]) + 1
    while carried(hi) < need:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # carried(lo) < need <= carried(hi)
        mid = (lo + hi) // 2
        if carried(mid) >= need:
            hi = mid
        else:
            lo = mid
    return hi if carried(lo) < need else lo


def flow_cut_bound(problem: Problem, model: PlanningModel, spec: TenSpec, rows: NDArray[np.int64],
                   target: int) -> int:
    """Minimum-cut lower bound (labels) on bringing ``target`` persons of ``rows`` to safety.

    The level cuts of :func:`cut_bound` follow distance to safety; the narrowest passage of a city often does not
    (Sydney's centre drains through three streets at different distances from its exits). This bound takes the
    minimum cut of the static network (each edge its capacity per window, ``spec.cap``) between the origins of
    ``rows`` and the safe nodes with room: every person starting on the origins' side ``S`` must cross one of its
    edges to be safe, and no safe node lies in ``S``, so the crossing count of :func:`_crossing_bound` holds as for
    a level cut. Any set ``S`` gives a valid bound; the minimum cut gives the tightest for long horizons, where the
    cut's capacity per window times the horizon dominates.
    """
    net, d, zones = problem.network, problem.demand, problem.zones
    pi, to_safe = spec.pi, spec.to_safe
    room = has_room(model.phys.safe_capacity[np.maximum(zones.node_safe, 0)])
    safe_node = (zones.node_safe >= 0) & room
    origin = d.origin[rows].astype(np.int64)
    counts = d.count[rows].astype(np.int64)
    src_rows = (~safe_node[origin]) & (pi[origin] < INF_T) & (counts > 0)
    total = int(counts.sum())
    if target <= 0 or not src_rows.any():
        return 0
    u, v = net.tail.astype(np.int64), net.head.astype(np.int64)
    e = np.flatnonzero((spec.tau >= 0) & (spec.cap > 0) & (pi[u] < INF_T) & (to_safe[v] < INF_T))
    if e.size == 0:
        return 0
    n = net.n_nodes
    safe = np.flatnonzero(safe_node)
    smf, big, solved = _static_max_flow(problem, model, spec, e, np.unique(origin[src_rows]))
    if not solved:
        if safe.size == 0:
            return 0
        raise RuntimeError("OR-Tools max flow failed")
    if smf.optimal_flow() >= big:
        return 0  # an origin is joined to safety without a street in between
    side = np.zeros(n + 2, dtype=np.bool_)
    side[np.asarray(smf.get_source_side_min_cut(), dtype=np.int64)] = True
    if side[safe].any():
        return 0
    inside = int(counts[side[origin]].sum())
    need = target - (total - inside)  # at least this many start inside S and must leave it
    cut = e[side[u[e]] & ~side[v[e]]]
    if need <= 0 or cut.size == 0:
        return 0
    return _crossing_bound(spec, u[cut], v[cut], cut, need)
