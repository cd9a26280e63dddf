"""Property tests on random small networks: both planners feasible, bound <= optimum <= fast plan."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evacplan.planning import plan, validate_plan
from evacplan.planning.api import assemble, plan_horizon
from evacplan.planning.fast import fast_groups
from evacplan.planning.model import planning_model
from evacplan.problem.toy import toy_problem


@st.composite
def small_problems(draw):
    n = draw(st.integers(3, 7))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=14, unique=True))
    edges = [
        (u, v, draw(st.sampled_from([30.0, 60.0, 90.0, 150.0])), draw(st.sampled_from([0.2, 0.5, 1.0, 3.0])))
        for u, v in chosen
    ]
    safe_nodes = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    safe = {s: i for i, s in enumerate(safe_nodes)}
    caps = [draw(st.sampled_from([np.inf, np.inf, 40.0, 150.0])) for _ in safe_nodes]
    origins = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    curves = [[0.0, 0.3, 0.6, 1.0] + [1.0] * 57, [0.0] * 5 + [0.5] * 5 + [1.0] * 51]
    sources = [(o, draw(st.integers(1, 200)), draw(st.integers(0, 1))) for o in origins]
    return toy_problem(n, edges, sources, safe, safe_capacity=caps, departure_cdf=curves, horizon_s=3600)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_bound_le_optimum_le_fast(problem):
    fast = plan(problem, method="fast")
    exact = plan(problem, method="exact")
    validate_plan(problem, fast)
    validate_plan(problem, exact)
    # persons conserved; the exact method saves the most people that can be saved at all
    assert fast.evacuated + fast.unplanned.sum() == problem.demand.total
    assert exact.evacuated + exact.unplanned.sum() == problem.demand.total
    assert fast.evacuated <= exact.evacuated
    s = problem.time_step_s
    if fast.evacuated == exact.evacuated:
        assert fast.lower_bound_s <= exact.lower_bound_s + 1e-9
        assert plan_horizon(exact, s) <= plan_horizon(fast, s)
    # the exact plan's last arrival window starts at its certified horizon (within the one step of a window)
    if exact.evacuated:
        assert exact.lower_bound_s == plan_horizon(exact, s) * s < exact.evacuation_time_s


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_route_mode_is_feasible(problem):
    disc = planning_model(problem)
    groups, unplanned, mode = fast_groups(problem, disc, n_bins=8, mode="routes")
    assert mode == "routes"
    result = assemble(problem, disc, "fast", groups, unplanned, 0, 0.0)
    validate_plan(problem, result)
    assert result.evacuated + result.unplanned.sum() == problem.demand.total
