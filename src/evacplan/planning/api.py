"""``plan()``: choose a method, run it, certify it with a lower bound and name what limits it.

Every method plans in the planning model (:mod:`evacplan.planning.model`) at the problem's time step, unless the
fast method's capacity tables would exceed :data:`TABLE_BUDGET` (horizons of days on city networks): it then plans
in a whole multiple of the step, reported as the plan's ``time_step_s``. The lower bound is always a bound of the
model at the problem's own step (its relaxed TEN is condensed at least as much as the plan's step is coarsened),
and a bound above the plan's time raises :class:`~evacplan.errors.BoundError` instead of being hidden.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from evacplan.errors import BoundError
from evacplan.network.names import describe_edge
from evacplan.planning.bounds import (
    EXACT_NODE_BUDGET,
    MAX_CONDENSATION,
    analytic_bound,
    certify,
    cut_bound,
    flow_cut_bound,
    probe_condensation,
)
from evacplan.planning.deadlines import NODE_BUDGET, deadline_certificates
from evacplan.planning.exact import exact_groups
from evacplan.planning.fast import fast_groups
from evacplan.planning.kernels import BIN0
from evacplan.planning.model import PlanningModel, planning_model
from evacplan.planning.occupancy import Occupancy
from evacplan.planning.paths import edge_persons
from evacplan.planning.priority import (
    OBJECTIVES,
    deadline_key,
    deadline_tiers,
    exact_deadline_groups,
    resolve_objective,
    tiers_full,
)
from evacplan.planning.repair import reroute_early
from evacplan.planning.result import Plan
from evacplan.planning.staging import danger_person_s, staged_plan
from evacplan.planning.ten import TenSpec, exact_spec, relaxed_spec, static_target, ten_size
from evacplan.planning.validate import departure_spans, window_loads
from evacplan.planning.zones import needy_rows, reserve_schedule, zone_bound, zone_model
from evacplan.problem.problem import Problem
from evacplan.problem.resources import TABLE_BUDGET
from evacplan.progress import Progress, fraction_callback

__all__ = ["METHODS", "OBJECTIVES", "describe_model", "plan"]

log = logging.getLogger(__name__)

#: The planning methods and what they guarantee.
METHODS = {
    "fast": (
        "capacity-aware earliest-arrival scheduling without waiting on streets (CCRP family; candidate routes at "
        "city scale), certified by a relaxed time-expanded max-flow lower bound whose feasible exact probes, for "
        "one travel class, improve the plan (or are the plan, where the exact network is small)"
    ),
    "exact": "optimum of the planning model (time-expanded max flow, people wait only at home; one travel class)",
}


def describe_model(step_s: float) -> str:
    """The planning model in words, for summaries and reports."""
    return (f"planning model at {step_s:g} s steps: free walking and driving times, street capacities, "
            "no waiting on streets (queues only at home), safe-zone capacities")


def plan(problem: Problem, method: str = "fast", progress: Progress | None = None, *,
         deadlines: bool = True, objective: str = "auto", time_limit_s: float | None = None,
         occupied: Occupancy | None = None, staging: bool = True) -> Plan:
    """Plan the evacuation of ``problem``.

    Parameters
    ----------
    problem
        The built problem.
    method
        ``"fast"`` (default, city scale) or ``"exact"`` (reference optimum; one travel class, up to a few
        thousand nodes x a thousand steps).
    progress
        Optional ``progress(message, fraction)`` callback (:class:`evacplan.progress.Progress`), told the fraction
        done (0..1), e.g. to drive a progress bar.
    deadlines
        Certify each danger zone's deadline (:func:`evacplan.planning.deadlines.deadline_certificates`: the most
        persons any plan brings to safety by it, the plan's own figure, and who is left and why); a few max flows
        per zone whose deadline the plan does not meet.
    objective
        ``"deadlines"`` (the most people of the earliest-deadline danger zone safe by its deadline, then the next
        zone's, then the quickest evacuation of the rest; :mod:`evacplan.planning.priority`), ``"quickest"`` (the
        earliest time everyone is safe) or ``"auto"`` (default: ``"deadlines"`` when a danger zone with people has
        a deadline). The deadlines objective also makes the quickest plan and keeps the better of the two on it,
        except where the fast method coarsens its windows to fit the memory budget (a city over days, e.g. Sydney
        with 1,000,000 people): there it makes the tiered schedule only, and reports its time as the quickest
        found. The lower bound is always the bound on the evacuation time.
    time_limit_s
        Fast method: keep tightening the certificate (and, for one travel class, improving the plan on the exact
        time-expanded network) until the gap is within 1 % or this many seconds have passed since the start,
        instead of stopping after a fixed number of max flows (default). A probe started before the limit runs to
        its end.
    occupied
        Fast method: capacity already taken by another plan on the same streets (:class:`Occupancy`, clock
        times), which this plan must leave free: each of its windows on an edge is left the capacity that the
        busiest window of the other plan overlapping it leaves. The plan is then routed only (no exact network,
        which would not see the other plan), at the problem's step; its bound ignores the other plan (a bound of
        a relaxation, so still a bound).
    staging
        Fast method, deadlines objective, one travel class: also make a staged plan (:mod:`evacplan.planning.staging`:
        out of the danger zones into holding areas first, on to safety when the way has room) and keep it where it
        spends at most :data:`STAGED_SHARE` of the person-minutes in danger after the deadlines that the plan alone
        does (:func:`~evacplan.planning.staging.danger_person_s`) and brings everyone to safety at most
        :data:`STAGED_LATER` later.

    Returns
    -------
    Plan
        Groups with departures, paths and arrivals; the evacuation time beside a proven lower bound; persons that
        could not be planned per demand row and the bottlenecks found.

    Raises
    ------
    ValueError
        For an unknown method or objective.
    UnsupportedProblemError
        When ``method="exact"`` is asked for a problem with several travel classes.
    BoundError
        When a lower bound exceeds the plan's time, or a plan's persons safe by a deadline exceed the certified
        maximum (defects, never hidden).
    """
    with small_pages():
        return _plan(problem, method, progress, deadlines, objective, time_limit_s, occupied, staging)


@contextmanager
def small_pages() -> Iterator[None]:
    """Allocate in small pages meanwhile: numpy asks the kernel for transparent huge pages on large arrays, and
    where huge pages are short the kernel compacts memory at their first touch. The planner's large arrays (capacity
    tables, time-expanded networks) are filled once and then read at random. On the 2-core machine, the first fill
    of Sydney 1,000,000's 1.75 GB capacity table took 8.0 s of system time on huge pages and 1.4-1.8 s on small
    ones (``benchmarks/RESULTS.md``)."""
    switch = getattr(getattr(np, "_core", None), "multiarray", None)
    switch = getattr(switch, "_set_madvise_hugepage", None)
    if switch is None:
        yield
        return
    before = switch(False)
    try:
        yield
    finally:
        switch(before)


def _plan(problem: Problem, method: str, progress: Progress | None, deadlines: bool, objective: str,
          time_limit_s: float | None, occupied: Occupancy | None, staging: bool) -> Plan:
    """:func:`plan`, in the pages it chooses."""
    if method not in METHODS:
        raise ValueError(f"unknown planning method {method!r}; choose one of {sorted(METHODS)}")
    if occupied is not None and method != "fast":
        raise ValueError("planning around occupied capacity needs the fast method")
    objective = resolve_objective(problem, objective)
    start = time.perf_counter()
    model = planning_model(problem)
    tick = fraction_callback(progress, f"planning ({method})")
    if method == "exact":
        groups, unplanned, opt, probes = exact_groups(problem, model, tick)
        result = assemble(problem, model, method, groups, unplanned, 0.0, 0.0)
        lb_horizon = opt
        log.info("exact: optimum horizon %d steps after %d max-flow probes", opt, probes)
        if objective == "deadlines" and not tiers_full(problem, model, result):
            groups, unplanned, probes = exact_deadline_groups(problem, model)
            log.info("exact: deadlines plan after %d max flows", probes)
            result = by_deadlines(problem, assemble(problem, model, method, groups, unplanned, 0.0, 0.0), result)
    else:
        stop_at = None if time_limit_s is None else start + float(time_limit_s)
        result, lb_horizon = _fast(problem, model, tick, objective, stop_at, occupied)
    if objective == "deadlines" and math.isnan(result.quickest_time_s):
        result = replace(result, quickest_time_s=result.evacuation_time_s)
    result = replace(result, objective=objective)
    if deadlines:
        result = replace(result, deadlines=deadline_certificates(problem, model, result))
    if tick is not None:
        tick(1.0)
    lb_s = lb_horizon * model.step_s if result.n_groups else 0.0
    if result.time_step_s == model.step_s:  # a plan at a coarser step has its spans from _fast
        result = replace(result, departure_span_s=departure_spans(problem, model, result))
    result = replace(result, lower_bound_s=float(lb_s), runtime_s=time.perf_counter() - start,
                     bound_model=describe_model(model.step_s))
    if staging and method == "fast" and objective == "deadlines" and occupied is None:
        result = _staged_or(problem, model, result, deadlines, start)
    if result.lower_bound_s > result.evacuation_time_s + 1e-6:
        raise BoundError(
            f"lower bound {result.lower_bound_s / 60:.1f} min exceeds the plan's {result.evacuation_time_s / 60:.1f}"
            f" min ({method}); please report this with the scenario"
        )
    return result


def plan_horizon(result: Plan, step_s: float) -> int:
    """The plan's horizon in steps of ``step_s``: every arrival window starts by ``horizon * step_s``."""
    if result.n_groups == 0:
        return 0
    start = float((result.arrival_s - result.time_step_s).max())
    return int(np.ceil(start / step_s - 1e-9))


def by_deadlines(problem: Problem, deadlines_plan: Plan, quickest: Plan) -> Plan:
    """The better of two plans by the deadlines objective (:func:`evacplan.planning.priority.deadline_key`; ties
    keep the quickest), with the quickest plan's evacuation time as :attr:`Plan.quickest_time_s`."""
    best = deadlines_plan if deadline_key(problem, deadlines_plan) > deadline_key(problem, quickest) else quickest
    return replace(best, quickest_time_s=quickest.evacuation_time_s)


def _fast(problem: Problem, model: PlanningModel, progress: Callable[[float], None] | None,
          objective: str = "quickest", stop_at: float | None = None, occupied: Occupancy | None = None
          ) -> tuple[Plan, int]:
    """The fast method: schedule, certify at the problem's step, keep the quickest plan found; for the deadlines
    objective, schedule the deadline zones in tiers as well and keep the better plan by it. Two shortcuts: one class
    whose exact network near the cut bounds is small is solved on it first (no routing); at coarsened windows the
    deadlines objective makes the tiered schedule only.

    Returns the plan and its certified lower bound in steps of the problem (a horizon no plan reaches)."""
    rows = np.flatnonzero(model.usable)
    spec = relaxed_spec(problem, model, rows) if rows.size else None  # for the prediction and the certificate
    total = int(problem.demand.count[rows].sum()) if rows.size else 0
    level = cuts = 0  # the level-cut and minimum-cut bounds of everyone, for the windows and the certificates
    if spec is not None and total:
        level = cut_bound(problem, model, spec, rows, total)
        cuts = max(level, flow_cut_bound(problem, model, spec, rows, total))
    k = coarsening(problem, model, rows, spec, level=level) if occupied is None else 1
    plan_model = model if k == 1 else planning_model(problem, k * model.step_s)
    if k > 1:
        log.info("fast: horizon needs coarser windows, planning with %.0f s steps", plan_model.step_s)
    analytic = max(analytic_bound(plan_model, rows), 1) if rows.size else 1
    n_bins = table_windows(model, plan_model, analytic, cuts)
    taken = occupied.windows(plan_model) if occupied is not None else None
    if taken is not None and taken[0].size:
        n_bins = max(n_bins, int(taken[0].max()) + 8)
    zm = zone_model(problem, plan_model, rows)
    reserve = None
    horizon = 0
    if zm is not None:  # a safe zone can fill up: hold its room back for those who will need it
        horizon = zone_bound(zm, int(problem.demand.count[rows].sum()), analytic, 4 * analytic + 60)
        reserve = (reserve_schedule(zm, horizon, int(zm.t.max()) + 2), needy_rows(zm, horizon, problem.demand.n_rows))

    tables: dict[str, np.ndarray] = {}  # the capacity tables, emptied and used again by each schedule

    def schedule(**kw: object) -> tuple[Plan, str]:
        groups, unplanned, mode = fast_groups(problem, plan_model, n_bins=n_bins, tables=tables, occupied=taken,
                                              **kw)  # type: ignore[arg-type]
        return assemble(problem, plan_model, "fast", groups, unplanned, 0.0, 0.0), mode

    def routed() -> tuple[Plan, Plan, str]:
        best, mode = schedule(progress=progress, reserve=reserve)
        first = best
        if reserve is not None and plan_horizon(best, plan_model.step_s) > horizon and problem.network.n_edges < \
                BIG_NETWORK:
            # the reservations did not reach their horizon: keep first-come-first-served routing if quicker
            alt, _ = schedule()
            if _better(alt, best):
                best, mode = alt, mode + "-reserve"
        return best, first, mode

    def ten_plan(groups: dict[str, NDArray[np.integer]]) -> Plan:
        def made(g: dict[str, NDArray[np.integer]]) -> Plan:
            planned = np.bincount(g["row"], weights=g["count"], minlength=problem.demand.n_rows)
            return assemble(problem, model, "fast", g, (problem.demand.count - planned).astype(np.int64), 0.0, 0.0)

        result = made(groups)
        if plan_horizon(result, model.step_s) <= analytic:
            # the optimum is the free-flow bound (the last release plus the shortest free time): congestion does not
            # set the evacuation time, many plans reach it, and a maximum flow's brings people to safety at any time
            # up to it, by farther exits too; re-route its groups, the latest first, by the quickest way left
            result = made(reroute_early(problem, model, groups))
        return result

    def deadline_tier_list() -> list[tuple[NDArray[np.int64], int, int]]:
        # a tier whose people all leave too late to be safe by its deadline even on empty streets schedules nobody
        return [(rows_z, until, horizon) for rows_z, horizon, until in deadline_tiers(problem, plan_model)
                if int(plan_model.row_first[rows_z].min()) <= until]

    best: Plan | None = None
    # Coarsened windows mean the tables fill the memory budget and each schedule takes most of the time (Sydney
    # 1,000,000: about 45 s each): the deadlines objective then makes one schedule, the tiered one, and no quickest
    # plan beside it (its own time is reported as the quickest found).
    single = objective == "deadlines" and k > 1
    # one class, fine windows; not around another plan's traffic, which the exact network does not see
    exact = exact_spec(problem, model, rows) if k == 1 and model.n_classes == 1 and occupied is None else None
    if single:
        tiers = deadline_tier_list()
        best, mode = schedule(progress=progress, tiers=tiers, reserve=reserve)
        mode = mode + "+tiers" if tiers else mode
        first = best
    elif exact is not None and spec is not None and ten_size(exact, n_bins) <= EXACT_NODE_BUDGET:
        # One class whose exact network near the cut bounds fits the certificate's budget: the certificate climbs
        # from the bounds on it and its first feasible probe is the plan; routing first would only give an upper
        # bound (on small grids its repair cost twice the exact search). Routed after all if no probe is feasible.
        target = static_target(problem, model, rows)
        bound = certify(problem, model, target, EXACT_FIRST_REACH * n_bins, zones=zm, spec=spec, stop_at=stop_at,
                        cuts=cuts if target == total else None)
        if bound.better is not None:
            best = first = ten_plan(bound.better)
            mode = "ten"
    if best is None:
        best, first, mode = routed()
    if mode != "ten":  # a routed plan: certify it, and improve it on the exact network where that fits
        upper = plan_horizon(best, model.step_s)
        if spec is None or probe_condensation(spec, upper, k) <= MAX_CONDENSATION or \
                (k == 1 and model.n_classes == 1):
            tables.clear()  # the certificate builds time-expanded networks (relaxed, or exact): not beside the tables
        bound = certify(problem, model, best.evacuated, upper, min_condensation=k, zones=zm if k == 1 else None,
                        improve=k == 1 and occupied is None, spec=spec, stop_at=stop_at,
                        cuts=cuts if best.evacuated == total else None)
        if bound.better is not None:
            alt = ten_plan(bound.better)
            if _better(alt, best):
                best, mode = alt, mode + "+ten"
    upper = plan_horizon(best, model.step_s)
    log.info("fast (%s): horizon %d, bound %d (q=%d, %d probes)", mode, upper, bound.bins, bound.condensation,
             bound.probes)
    if objective == "deadlines" and not single and not tiers_full(problem, model, best):
        tiers = deadline_tier_list()
        # without a tier the tiered schedule is the first one again
        alt = schedule(tiers=tiers, reserve=reserve)[0] if tiers else first
        tables.clear()
        if exact is not None and ten_size(exact, upper) <= NODE_BUDGET:
            # the exact phases fit: one max flow per deadline zone, then a horizon search for the rest
            groups, unplanned, _ = exact_deadline_groups(problem, model)
            phased = assemble(problem, model, "fast", groups, unplanned, 0.0, 0.0)
            alt = by_deadlines(problem, phased, alt)
        best = by_deadlines(problem, alt, best)
    if best.time_step_s != model.step_s:
        tables.clear()  # the walk's window loads, not beside the capacity tables
        best = replace(best, departure_span_s=departure_spans(problem, plan_model, best))
    return best, bound.bins


#: A staged plan is kept where it spends at most this share of the plan's person-minutes in danger after deadlines...
STAGED_SHARE = 0.9
#: ... and brings everyone to safety at most this share later.
STAGED_LATER = 0.15
#: What the bound of a staged plan holds in, beyond the planning model.
STAGED_BOUND = ("; the plan waits in holding areas, which cannot make a plan of one travel class quicker "
                "(no storage needed in single-commodity flows over time), so the bound holds for it too")


def _staged_or(problem: Problem, model: PlanningModel, result: Plan, deadlines: bool, start: float) -> Plan:
    """The staged plan of ``problem`` (:mod:`evacplan.planning.staging`) where it keeps people out of danger
    (:data:`STAGED_SHARE`) at a small cost in evacuation time (:data:`STAGED_LATER`), else ``result``."""
    before = danger_person_s(problem, result)
    if before <= 0:
        return result  # nobody in danger after a deadline: nothing to stage
    staged = staged_plan(problem, result)
    if staged is None:
        return result
    after = danger_person_s(problem, staged)
    later = staged.evacuation_time_s / max(result.evacuation_time_s, 1e-9) - 1.0
    if after > STAGED_SHARE * before or later > STAGED_LATER:
        log.info("fast: staged plan not kept (%.0f against %.0f person-minutes in danger, %+.1f %% evacuation time)",
                 after / 60, before / 60, 100 * later)
        return result
    log.info("fast: staged plan kept (%.0f against %.0f person-minutes in danger, %+.1f %% evacuation time)",
             after / 60, before / 60, 100 * later)
    note = (f"staged: people leave the danger zones for {staged.holding.n_areas if staged.holding else 0} holding "
            f"areas first and go on to safety when the way has room: {after / 60:,.0f} person-minutes in danger "
            f"after the deadlines against {before / 60:,.0f} going straight, everyone safe at "
            f"{staged.evacuation_time_s / 60:,.0f} min against {result.evacuation_time_s / 60:,.0f}")
    return replace(staged, deadlines=deadline_certificates(problem, model, staged) if deadlines else (),
                   runtime_s=time.perf_counter() - start, bottlenecks=(note, *staged.bottlenecks),
                   bound_model=describe_model(model.step_s) + STAGED_BOUND)


#: How far above the capacity tables' first size (about the cut bounds) the fast method's exact search looks for a
#: plan before it routes one instead.
EXACT_FIRST_REACH = 4

#: Edges above which the fast planner does not run a second schedule to compare with the reserved one.
BIG_NETWORK = 20_000

#: Windows the capacity tables start with beyond the cut bounds' horizon (plans end a few per cent above it).
TABLE_MARGIN = 1.05


def table_windows(model: PlanningModel, plan_model: PlanningModel, analytic: int, cuts: int) -> int:
    """Windows the capacity tables start with: twice the analytic bound (``analytic``, labels of ``plan_model``),
    or, where the cut bounds at the problem's step (``cuts``: the larger of the level-cut and static minimum-cut
    bounds of the relaxation, labels of ``model``; 0 for none) say the plan takes longer, their horizon in windows
    of ``plan_model`` plus :data:`TABLE_MARGIN`.

    A table that runs short grows by a quarter, by a copy (:func:`evacplan.planning.fast.fast_groups`); sized from
    the bound, a city's tables are filled once instead of growing two dozen times (Sydney 1,000,000: 26 times)."""
    shift = int(plan_model.sink_shift.max(initial=0))
    k = plan_model.step_s / model.step_s
    return max(2 * analytic, int(np.ceil(TABLE_MARGIN * cuts / k))) + BIN0 + 8 + shift


def coarsening(problem: Problem, model: PlanningModel, rows: NDArray[np.int64], spec: TenSpec | None = None, *,
               level: int | None = None) -> int:
    """Whole factor by which to coarsen the problem's step so that the capacity tables fit :data:`TABLE_BUDGET`:
    the horizon is predicted by the level-cut bound on the relaxation ``spec`` of ``rows`` (built when not given;
    ``level``: that bound, when already computed; 1 when they fit as they are)."""
    total = int(problem.demand.count[rows].sum()) if rows.size else 0
    if total == 0:
        return 1
    if level is None:
        spec = relaxed_spec(problem, model, rows) if spec is None else spec
        level = cut_bound(problem, model, spec, rows, total)
    horizon = max(analytic_bound(model, rows), level)
    need = 2.0 * horizon * problem.network.n_edges * 12
    return max(1, int(np.ceil(need / TABLE_BUDGET)))


def _better(a: Plan, b: Plan) -> bool:
    """Whether plan ``a`` saves more people, or as many sooner, than plan ``b``."""
    if a.evacuated != b.evacuated:
        return a.evacuated > b.evacuated
    return a.evacuation_time_s < b.evacuation_time_s - 1e-9


def assemble(
    problem: Problem,
    model: PlanningModel,
    method: str,
    groups: dict[str, NDArray[np.integer]],
    unplanned: NDArray[np.int64],
    lower_bound_s: float,
    runtime_s: float,
) -> Plan:
    """Turn group buffers in labels of ``model`` into a :class:`Plan` in seconds, paths stored as linked steps."""
    from evacplan.planning.paths import link_paths

    step = model.step_s
    rows = groups["row"].astype(np.int64)
    cls = model.row_class[rows]
    origin = problem.demand.origin[rows].astype(np.int64)
    start, s_edge, s_next, s_to_go, s_len, end = link_paths(
        groups, origin, cls, groups.get("trees"), model.tau, model.potential_s, model.tail, model.head, step,
    )
    # the end of the group's arrival window at the node it reaches: all of it is safe by then
    arrival = groups["arr"] * step - model.potential_s[cls, end] + step
    evac = float(arrival.max()) if arrival.size else 0.0
    result = Plan(
        method=method,
        row=rows.astype(np.int32),
        count=groups["count"].astype(np.int64),
        departure_s=(groups["dep"] * step - model.potential_s[cls, origin]).astype(np.float64),
        arrival_s=arrival.astype(np.float64),
        safe_zone=groups["zone"].astype(np.int32),
        path_start=start,
        step_edge=s_edge,
        step_next=s_next,
        step_to_go_s=s_to_go,
        step_len=s_len,
        evacuation_time_s=evac,
        lower_bound_s=float(lower_bound_s),
        unplanned=unplanned.astype(np.int64),
        runtime_s=float(runtime_s),
        time_step_s=step,
    )
    full = groups.get("full_windows")
    if full is None or full.size != problem.network.n_edges:
        edge, _, load = window_loads(problem, model, result)
        full_w = load + model.weight_s.min(axis=0)[edge] > step + 1e-6
        full = np.bincount(edge[full_w], minlength=problem.network.n_edges).astype(np.int64)
    result = replace(result, edge_full_windows=full.astype(np.int64))
    return replace(result, bottlenecks=tuple(find_bottlenecks(problem, model, result)))


def find_bottlenecks(problem: Problem, model: PlanningModel, p: Plan, top: int = 5) -> list[str]:
    """What limits the plan: people left behind by zone, full safe zones, edges at capacity for longest."""
    net, zones, d = problem.network, problem.zones, problem.demand
    out: list[str] = []
    no_path = np.where(~model.usable, d.count, 0)
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
    cap = model.phys.safe_capacity
    for z in np.flatnonzero(np.isfinite(cap) & (assigned >= cap - 0.5) & (cap > 0)):
        out.append(f"safe zone {zones.safe_names[z]} is full ({int(assigned[z])} of {cap[z]:.0f})")
    n_full = p.edge_full_windows
    if n_full.size == net.n_edges and n_full.any():
        persons = edge_persons(p, net.n_edges)
        order = np.lexsort((-persons, -n_full))[:top]
        for k in order:
            if n_full[k] == 0:
                break
            out.append(
                f"{describe_edge(net, int(k), index=True)} at capacity in "
                f"{n_full[k]} time steps, {int(persons[k])} persons"
            )
    return out
