"""Certified lower bounds on the optimal evacuation time of a discretised problem.

Four bounds, the largest is reported:

* *analytic*: some row's last person cannot leave before its last release bin and then needs at least its shortest
  route to a safe zone with room;
* *level cuts*: for the set ``S`` of nodes within ``d`` bins of safety, everyone starting outside ``S`` must enter it
  over a cut edge ``(u, v)``, at a bin no earlier than anyone can be at ``u`` and early enough to still reach safety
  from ``v``; the cut's capacity over those bins must carry them;
* *safe-zone assignment*: everyone saved by ``T`` is assigned to a zone they can reach by ``T`` (release plus
  shortest route of their class) within the zones' capacities (:mod:`evacplan.planning.zones`);
* *condensed TEN*: the condensed time-expanded network (:mod:`evacplan.planning.ten`) is a relaxation, so if its max
  flow at horizon ``T`` cannot carry the planned persons, no plan of the discretised problem finishes by ``T``.
  Probes search the largest such ``T`` below the plan's time, with a condensation factor chosen so that each
  network stays within a size budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evacplan.planning import kernels
from evacplan.planning._discrete import Discretisation
from evacplan.planning.ten import Relaxation, build_ten, relaxation, solve_ten, ten_size
from evacplan.planning.zones import ZoneModel, zone_bound, zone_model
from evacplan.problem.problem import Problem

__all__ = ["BoundResult", "certify"]

#: Coarsest condensation worth probing: coarser networks rarely beat the level-cut bound and cost the most.
MAX_CONDENSATION = 4

#: Largest number of node copies of one condensed TEN.
NODE_BUDGET = 1_500_000


@dataclass(frozen=True)
class BoundResult:
    """A certified lower bound in bins and how it was obtained.

    ``better`` holds the group buffers of a plan quicker than the one certified, when a probe on the uncondensed
    network of a one-class problem turned out feasible (its flow is such a plan), else ``None``.
    """

    bins: int
    analytic_bins: int
    condensation: int
    probes: int
    better: dict[str, NDArray[np.int64]] | None = None


def certify(
    problem: Problem,
    disc: Discretisation,
    target: int,
    upper_bins: int,
    *,
    tol: float = 0.01,
    max_probes: int = 5,
    node_budget: int = NODE_BUDGET,
    zones: ZoneModel | None = None,
    sets: NDArray[np.int64] | None = None,
) -> BoundResult:
    """Largest proven lower bound (in bins) on the time to bring ``target`` persons to safety.

    Parameters
    ----------
    problem, disc
        The problem and its discretisation.
    target
        Persons the plan brings to safety.
    upper_bins
        Evacuation time of a feasible plan (the search stays below it).
    tol
        Stop once ``upper_bins / bound - 1 <= tol``.
    max_probes
        Most max flows to solve.
    node_budget
        Most node copies per condensed network; the condensation factor is the smallest that fits.
    zones
        The safe-zone assignment model of these rows (:func:`evacplan.planning.zones.zone_model`), when already built;
        built here otherwise.
    sets
        A further node labelling whose level sets are cut too (see :func:`cut_bound`).
    """
    d = problem.demand
    rows = np.flatnonzero(disc.usable & (d.count > 0))
    rel = relaxation(problem, disc, rows)
    lb = rel.analytic_bound(problem, disc, target) if rows.size else 0
    if rows.size and target > 0:
        lb = max(lb, min(cut_bound(problem, rel, target), upper_bins))
        if sets is not None:
            lb = max(lb, min(cut_bound(problem, rel, target, sets), upper_bins))
        zm = zones if zones is not None else zone_model(problem, disc, rows)
        if zm is not None and lb < upper_bins:
            lb = max(lb, zone_bound(zm, target, lb, upper_bins))
    analytic = lb
    if target <= 0 or upper_bins <= lb:
        return BoundResult(max(min(lb, upper_bins), 0), analytic, 0, 0)
    q = 1
    while ten_size(rel, upper_bins, q) > node_budget:
        q += 1 if q < 4 else q // 2
    if q > MAX_CONDENSATION:
        return BoundResult(lb, analytic, q, 0)
    # two probes just below the plan's time (cheap certificates when the plan is near optimal, as it usually is),
    # then bisection between the best bound and the lowest horizon found feasible
    cand_hi = upper_bins - 1  # every horizon in (lb .. cand_hi] is still undecided
    drop = max(1, int(tol * upper_bins))
    probes = 0
    found = False
    one_class = np.unique(disc.row_class[rows]).size == 1
    better = None
    while lb <= cand_hi and probes < max_probes and upper_bins / max(lb, 1) - 1 > tol:
        horizon = (lb + cand_hi) // 2 if found or probes >= 2 else max(lb, upper_bins - 1 - drop)
        exact_net = q == 1 and one_class
        ten = build_ten(problem, disc, rel, horizon, q)
        value, flows = solve_ten(ten, want_flows=exact_net)
        probes += 1
        if value < target:
            lb, found = horizon + 1, True
        else:
            cand_hi = horizon - 1
            drop *= 2
            if exact_net and flows is not None:
                from evacplan.planning.exact import decompose

                better = decompose(ten, flows, rel.tau)
    return BoundResult(lb, analytic, q, probes, better)


#: Most distance levels tried by :func:`cut_bound`.
MAX_LEVELS = 128


def cut_bound(problem: Problem, rel: Relaxation, target: int, sets: NDArray[np.int64] | None = None) -> int:
    """Level-cut lower bound (bins) on bringing ``target`` persons to safety; see the module docstring.

    ``sets`` (default ``rel.b``) defines the node sets cut: ``S = {v : sets[v] <= d}`` for each level ``d``; any
    node labelling that is 0 exactly on the safe nodes with room gives valid cuts (e.g. distances to safety at a
    finer time step than the relaxation's), timed with the relaxation's own ``pi`` and ``b``.
    """
    net, d = problem.network, problem.demand
    pi, b = rel.pi, rel.b
    lab = b if sets is None else sets
    inf = int(kernels.INF_T)
    ok_e = (rel.tau >= 0) & (rel.cap > 0)
    u, v = net.tail.astype(np.int64), net.head.astype(np.int64)
    levels = np.unique(lab[lab < inf])
    if levels.size > MAX_LEVELS:
        levels = levels[np.linspace(0, levels.size - 1, MAX_LEVELS).astype(np.int64)]
    origin_b = lab[d.origin[rel.rows]]
    counts = d.count[rel.rows]
    best = 0
    for lev in levels:
        outside = int(counts[origin_b > lev].sum())
        need = target - (int(counts.sum()) - outside)  # at least this many must cross into S
        if need <= 0:
            continue
        cut = ok_e & (lab[u] > lev) & (lab[v] <= lev) & (pi[u] < inf) & (b[v] < inf)
        if not cut.any():
            continue
        k = rel.tau[cut] + b[v[cut]] + pi[u[cut]]  # a crossing at bin t is useful iff pi(u) <= t <= T - k + pi(u)
        cap = rel.cap[cut].astype(np.float64)
        order = np.argsort(k)
        k, cap = k[order], cap[order]
        ccap, ckcap = np.cumsum(cap), np.cumsum(cap * k)

        def carried(horizon: int, k=k, ccap=ccap, ckcap=ckcap) -> float:
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
        best = max(best, hi if carried(lo) < need else lo)
    return best
