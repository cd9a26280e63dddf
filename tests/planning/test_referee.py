"""The planners against an independent referee (:mod:`.referee`), on random small instances.

The instances have several safe zones with limited capacity, late and staggered releases, closures (edges that let
nobody through in a step) and coarse steps. On every one: ``exact`` equals the referee's optimum, the certified
bound never exceeds it, ``fast`` is never below it, and both plans pass :func:`evacplan.planning.validate_plan`.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evacplan.planning import plan, validate_plan
from evacplan.planning.api import assemble, plan_horizon
from evacplan.planning.bounds import certify, flow_cut_bound
from evacplan.planning.fast import fast_groups
from evacplan.planning.model import planning_model
from evacplan.planning.ten import relaxed_spec
from evacplan.problem.toy import toy_problem

from .referee import Referee


@st.composite
def instances(draw):
    n = draw(st.integers(3, 7))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=16, unique=True))
    edges = [
        (u, v, draw(st.sampled_from([20.0, 45.0, 60.0, 75.0, 130.0, 200.0])),
         draw(st.sampled_from([0.005, 0.05, 0.1, 0.2, 0.5, 1.0])))  # 0.005/s: closed (less than a person a step)
        for u, v in chosen
    ]
    safe_nodes = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    safe = {s: i for i, s in enumerate(safe_nodes)}
    caps = [draw(st.sampled_from([np.inf, 30.0, 75.5, 150.0])) for _ in safe_nodes]
    origins = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    curves = [
        [0.0, 0.3, 0.6, 1.0] + [1.0] * 57,  # released over 3 steps
        [0.0] * 6 + [0.5] * 4 + [1.0] * 51,  # late, in two waves
        list(np.clip(np.arange(61) / 13.0, 0, 1)),  # staggered over 13 steps
    ]
    sources = [(o, draw(st.integers(1, 400)), draw(st.integers(0, 2))) for o in origins]
    problem = toy_problem(n, edges, sources, safe, safe_capacity=caps, departure_cdf=curves, horizon_s=3600)
    return problem, draw(st.sampled_from([60.0, 60.0, 120.0]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_planners_against_the_referee(case):
    problem, step = case
    if step != problem.time_step_s:  # a coarse step: the scenario itself is stated at that step
        from dataclasses import replace

        problem = replace(problem, time_step_s=step, departure_cdf=problem.departure_cdf[:, ::2].copy())
    model = planning_model(problem)
    saved, horizon = Referee(problem, model.zone_price_s).optimum()
    # the referee's optimum is the quickest one; where a deadline binds, the default (deadlines) objective may end a
    # step later to bring more people out by it (a drawn case: 62 against 61 min), as it is meant to
    exact = plan(problem, method="exact", objective="quickest")
    fast = plan(problem, method="fast")
    validate_plan(problem, exact)
    validate_plan(problem, fast)
    schedules = [fast_groups(problem, model, n_bins=8, mode=mode) for mode in ("search", "routes")]
    assert exact.evacuated == saved
    assert fast.evacuated <= saved
    if saved == 0:
        return
    s = problem.time_step_s
    # the optimum horizon: every arrival window starts by horizon * s, and some must start after (horizon - 1) * s
    assert plan_horizon(exact, s) == horizon and exact.lower_bound_s == horizon * s
    assert horizon * s < exact.evacuation_time_s <= (horizon + 1) * s + 1e-9
    if fast.evacuated == saved:
        assert plan_horizon(fast, s) >= horizon
        assert fast.lower_bound_s <= horizon * s + 1e-9
    for groups, unplanned, _ in schedules:  # the schedulers alone, before any improvement: feasible, never below
        alone = assemble(problem, model, "fast", groups, unplanned, 0.0, 0.0)
        validate_plan(problem, alone)
        if alone.evacuated == saved:
            assert plan_horizon(alone, s) >= horizon


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_bound_at_the_problem_step_holds_for_condensed_probes(case):
    """A bound from the relaxation condensed by 2 or 3 (as for plans made at a coarser step) never exceeds the
    referee's optimum at the problem's own step."""
    problem, _ = case
    model = planning_model(problem)
    saved, horizon = Referee(problem, model.zone_price_s).optimum()
    if saved == 0:
        return
    for q in (2, 3):
        bound = certify(problem, model, saved, horizon, min_condensation=q, improve=False, tol=0.0)
        assert bound.bins <= horizon
    rows = np.flatnonzero(model.usable)
    assert flow_cut_bound(problem, model, relaxed_spec(problem, model, rows), rows, saved) <= horizon
