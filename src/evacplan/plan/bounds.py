"""Certified lower bounds on the optimal evacuation time of a discretised problem.

Two bounds, the larger is reported:

* *analytic*: some row's last person cannot leave before its last release bin and then needs at least its shortest
  route to a safe zone with room;
* *condensed TEN*: the condensed time-expanded network (:mod:`evacplan.plan.ten`) is a relaxation, so if its max
  flow at horizon ``T`` cannot carry the planned persons, no plan of the discretised problem finishes by ``T``.
  Probes search the largest such ``T`` below the plan's time, with a condensation factor chosen so that each
  network stays within a size budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evacplan.build.problem import Problem
from evacplan.plan._discrete import Discretisation
from evacplan.plan.ten import build_ten, relaxation, solve_ten, ten_size

__all__ = ["BoundResult", "certify"]

#: Largest number of node copies of one condensed TEN.
NODE_BUDGET = 2_500_000


@dataclass(frozen=True)
class BoundResult:
    """A certified lower bound in bins and how it was obtained."""

    bins: int
    analytic_bins: int
    condensation: int
    probes: int


def certify(
    problem: Problem,
    disc: Discretisation,
    target: int,
    upper_bins: int,
    *,
    tol: float = 0.005,
    max_probes: int = 4,
    node_budget: int = NODE_BUDGET,
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
    """
    d = problem.demand
    rows = np.flatnonzero(disc.usable & (d.count > 0))
    rel = relaxation(problem, disc, rows)
    lb = rel.analytic_bound(problem, disc, target) if rows.size else 0
    analytic = lb
    if target <= 0 or upper_bins <= lb:
        return BoundResult(max(min(lb, upper_bins), 0), analytic, 0, 0)
    q = 1
    while ten_size(rel, upper_bins, q) > node_budget:
        q += 1 if q < 4 else q // 2
    cand_hi = upper_bins - 1
    probes = 0
    while lb <= cand_hi and probes < max_probes and upper_bins / max(lb, 1) - 1 > tol:
        if probes == 0:
            horizon = max(lb, upper_bins - 1 - int(tol * upper_bins))
        else:
            horizon = (lb + cand_hi) // 2
        value, _ = solve_ten(build_ten(problem, disc, rel, horizon, q))
        probes += 1
        if value < target:
            lb = horizon + 1
        else:
            cand_hi = horizon - 1
    return BoundResult(lb, analytic, q, probes)
