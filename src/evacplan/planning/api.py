"""``plan()``: choose a method, run it, certify it with a lower bound and name what limits it.

The fast method plans in the problem's time step unless its capacity tables would exceed :data:`TABLE_BUDGET`
(horizons of days on city networks); it then plans and certifies in a whole multiple of it, reported as the plan's
``time_step_s``. Where a safe zone can fill up it routes with room reserved for late releases
(:mod:`evacplan.planning.zones`) and falls back to plain first-come-first-served routing when that is quicker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from evacplan.planning._discrete import Discretisation, discretise
from evacplan.planning.bounds import certify, cut_bound
from evacplan.planning.exact import exact_groups
from evacplan.planning.fast import fast_groups
from evacplan.planning.result import Plan
from evacplan.planning.ten import Relaxation, relaxation
from evacplan.planning.zones import needy_rows, reserve_schedule, zone_bound, zone_model
from evacplan.problem.problem import Problem

__all__ = ["METHODS", "plan"]

log = logging.getLogger(__name__)

#: The planning methods and what they guarantee.
METHODS = {
    "fast": (
        "capacity-aware earliest-arrival routing (CCRP family; candidate routes at city scale), certified by a "
        "(condensed) time-expanded max-flow lower bound whose feasible probes, when uncondensed, improve the plan"
    ),
    "exact": "optimum of the discretised quickest transshipment (time-expanded max flow, one travel class)",
}


def plan(problem: Problem, method: str = "fast", progress: Callable[[float], None] | None = None) -> Plan:
    """Plan the evacuation of ``problem``.

    Parameters
    ----------
    problem
        The built problem.
    method
        ``"fast"`` (default, city scale) or ``"exact"`` (reference optimum; one travel class, up to a few
        thousand nodes x a thousand steps).
    progress
        Optional callable receiving the fraction done (0..1), e.g. to drive a progress bar.

    Returns
    -------
    Plan
        Groups with departures, paths and arrivals; the evacuation time beside a proven lower bound; persons that
        could not be planned per demand row and the bottlenecks found.

    Raises
    ------
    ValueError
        For an unknown method.
    UnsupportedProblemError
        When ``method="exact"`` is asked for a problem with several travel classes.
    """
    if method not in METHODS:
        raise ValueError(f"unknown planning method {method!r}; choose one of {sorted(METHODS)}")
    start = time.perf_counter()
    disc = discretise(problem)
    if method == "exact":
        groups, unplanned, opt_bins, probes = exact_groups(problem, disc, progress)
        lb_bins = opt_bins
        log.info("exact: optimum %d bins after %d max-flow probes", opt_bins, probes)
    else:
        rows = np.flatnonzero(disc.usable)
        rel = relaxation(problem, disc, rows)
        analytic = max(rel.analytic_bound(problem, disc), 1) if rows.size else 1
        k = coarsening(problem, rel, analytic)
        sets = None
        if k > 1:  # a horizon of days: plan (and bound) in coarser bins so that the capacity tables fit
            disc = discretise(problem, k * problem.time_step_s)
            sets = rel.b  # the finer step's level sets stay valid cuts of the coarse problem
            rows = np.flatnonzero(disc.usable)
            rel = relaxation(problem, disc, rows)
            analytic = max(rel.analytic_bound(problem, disc), 1) if rows.size else 1
            log.info("fast: horizon needs coarser bins, planning with %.0f s steps", disc.step_s)
        guess = 2 * analytic
        zm = zone_model(problem, disc, rows[problem.demand.count[rows] > 0])
        reserve = None
        if zm is not None:  # a safe zone can fill up: hold its room back for those who will need it
            horizon = zone_bound(zm, int(problem.demand.count[rows].sum()), analytic, 4 * analytic + 60)
            reserve = (reserve_schedule(zm, horizon, disc.release.shape[1]), needy_rows(zm, horizon, len(disc.usable)))
        groups, unplanned, mode = fast_groups(
            problem, disc, n_bins=guess, window=PORTFOLIO[0], progress=progress, reserve=reserve
        )
        if mode == "search":  # cheap enough: try the other batch windows too and keep the quickest plan
            for window in PORTFOLIO[1:]:
                alt, alt_unplanned, _ = fast_groups(problem, disc, n_bins=guess, window=window, mode="search")
                if _better(alt, alt_unplanned, groups, unplanned):
                    groups, unplanned = alt, alt_unplanned
        elif reserve is not None and groups["arr"].size and int(groups["arr"].max()) > horizon:
            # the reservations did not reach their horizon: keep first-come-first-served routing if quicker
            alt, alt_unplanned, _ = fast_groups(problem, disc, n_bins=guess, window=PORTFOLIO[0], mode="routes")
            if _better(alt, alt_unplanned, groups, unplanned):
                groups, unplanned = alt, alt_unplanned
            else:
                mode += "+reserve"
        elif reserve is not None:
            mode += "+reserve"
        ub = int(groups["arr"].max()) if groups["arr"].size else 0
        bound = certify(problem, disc, int(groups["count"].sum()), ub, zones=zm, sets=sets)
        if bound.better is not None:
            # a certificate probe was feasible: its max flow is a quicker plan than the routing's
            planned = np.bincount(bound.better["row"], weights=bound.better["count"], minlength=problem.demand.n_rows)
            alt_unplanned = (problem.demand.count - planned).astype(np.int64)
            if _better(bound.better, alt_unplanned, groups, unplanned):
                groups, unplanned = bound.better, alt_unplanned
                mode += "+ten"
        lb_bins = bound.bins
        log.info(
            "fast (%s): %d bins, bound %d bins (q=%d, %d probes)", mode, ub, lb_bins, bound.condensation, bound.probes
        )
    if progress is not None:
        progress(1.0)
    return assemble(problem, disc, method, groups, unplanned, lb_bins, time.perf_counter() - start)


#: Bytes the fast planner's per-(edge, bin) capacity tables may take (12 bytes a cell, for twice the horizon
#: the level-cut bound predicts); above it the bins are coarsened by a whole factor (see :func:`coarsening`).
TABLE_BUDGET = 3e9


def coarsening(problem: Problem, rel: Relaxation, analytic: int) -> int:
    """Whole factor by which to coarsen the problem's time step so that the capacity tables fit
    :data:`TABLE_BUDGET`: the horizon is predicted by the level-cut bound (1 when they fit as they are)."""
    d = problem.demand
    total = int(d.count[rel.rows].sum()) if rel.rows.size else 0
    if total == 0:
        return 1
    horizon = max(analytic, cut_bound(problem, rel, total))
    need = 2.0 * horizon * problem.network.n_edges * 12
    return max(1, int(np.ceil(need / TABLE_BUDGET)))


#: Batch windows the search mode of the fast planner tries (the quickest plan wins; ties keep the first).
PORTFOLIO = (2, 1, 3)


def _better(a: dict[str, NDArray[np.int64]], a_un: NDArray[np.int64], b: dict[str, NDArray[np.int64]],
            b_un: NDArray[np.int64]) -> bool:
    """Whether plan ``a`` saves more people, or as many sooner, than plan ``b``."""
    if a_un.sum() != b_un.sum():
        return bool(a_un.sum() < b_un.sum())
    last_a = int(a["arr"].max()) if a["arr"].size else 0
    last_b = int(b["arr"].max()) if b["arr"].size else 0
    return last_a < last_b


def assemble(
    problem: Problem,
    disc: Discretisation,
    method: str,
    groups: dict[str, NDArray[np.int64]],
    unplanned: NDArray[np.int64],
    lb_bins: int,
    runtime_s: float,
) -> Plan:
    """Turn group buffers in bins into a :class:`Plan` in seconds."""
    step = disc.step_s
    plen = groups["plen"]
    indptr = np.zeros(plen.size + 1, dtype=np.int64)
    np.cumsum(plen, out=indptr[1:])
    arrival = groups["arr"] * step
    evac = float(arrival.max()) if arrival.size else 0.0
    plan_ = Plan(
        method=method,
        row=groups["row"].astype(np.int32),
        count=groups["count"].astype(np.int64),
        departure_s=(groups["dep"] * step).astype(np.float64),
        arrival_s=arrival.astype(np.float64),
        safe_zone=groups["zone"].astype(np.int32),
        path_indptr=indptr,
        path_edges=groups["edges"].astype(np.int64),
        evacuation_time_s=evac,
        lower_bound_s=float(min(lb_bins * step, evac)),
        unplanned=unplanned.astype(np.int64),
        runtime_s=float(runtime_s),
        path_entry_s=(groups["entry"] * step).astype(np.float64),
        time_step_s=step,
    )
    return _with_bottlenecks(problem, disc, plan_)


def _with_bottlenecks(problem: Problem, disc: Discretisation, p: Plan) -> Plan:
    from dataclasses import replace

    return replace(p, bottlenecks=tuple(find_bottlenecks(problem, disc, p)))


def find_bottlenecks(problem: Problem, disc: Discretisation, p: Plan, top: int = 5) -> list[str]:
    """What limits the plan: people left behind by zone, full safe zones, edges saturated for longest."""
    net, zones, d = problem.network, problem.zones, problem.demand
    out: list[str] = []
    no_path = np.where(~disc.usable, d.count, 0)
    for z in np.unique(d.danger):
        sel = d.danger == z
        name = zones.danger_names[z] if z >= 0 else "outside danger zones"
        lost = int(no_path[sel].sum())
        if lost:
            out.append(f"{lost} persons in {name} have no usable path to a safe zone with room")
        room = int((p.unplanned[sel] - no_path[sel]).sum())
        if room:
            out.append(f"{room} persons in {name} could not be planned: no safe-zone capacity left")
    assigned = np.bincount(p.safe_zone, weights=p.count, minlength=zones.safe_capacity.size)
    cap = zones.safe_capacity
    for z in np.flatnonzero(np.isfinite(cap) & (assigned >= cap - 0.5) & (cap > 0)):
        out.append(f"safe zone {zones.safe_names[z]} is full ({int(assigned[z])} of {cap[z]:.0f})")
    if p.path_edges.size:
        step = disc.step_s
        bins = np.rint(p.path_entry_s / step).astype(np.int64)
        grp = np.repeat(np.arange(p.n_groups), np.diff(p.path_indptr))
        cls = disc.row_class[p.row[grp]]
        use = p.count[grp] * disc.weight_s[cls, p.path_edges]
        n_b = int(bins.max()) + 1
        key = p.path_edges * n_b + bins
        uk, inv = np.unique(key, return_inverse=True)
        load = np.bincount(inv, weights=use)
        e = uk // n_b
        wmin = disc.weight_s.min(axis=0)
        full = load + wmin[e] > step + 1e-6
        n_full = np.bincount(e[full], minlength=net.n_edges)
        persons = np.bincount(p.path_edges, weights=p.count[grp], minlength=net.n_edges)
        order = np.lexsort((-persons, -n_full))[:top]
        for k in order:
            if n_full[k] == 0:
                break
            out.append(
                f"edge {net.node_id[net.tail[k]]}->{net.node_id[net.head[k]]} (index {k}) at capacity in "
                f"{n_full[k]} time steps, {int(persons[k])} persons"
            )
    return out
