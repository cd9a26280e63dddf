"""Safe-zone capacity: the assignment lower bound and the room reserved for late releases."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from evacplan.planning import plan, validate_plan
from evacplan.planning._discrete import discretise
from evacplan.planning.api import assemble
from evacplan.planning.fast import fast_groups
from evacplan.planning.zones import needy_rows, reserve_schedule, zone_bound, zone_model
from evacplan.problem.toy import toy_problem

from .test_plan_properties import small_problems


def _late_needs_near_zone():
    """Zone 0 (node 2) holds 100 and is one step from both origins; zone 1 (node 3) is 2 steps from origin 0 but
    10 from origin 1. Origin 0 releases 100 at once, origin 1 releases 100 at step 10. Optimum: origin 0 to zone 1
    (safe at step 2), origin 1 to zone 0 (safe at step 11); first come first served sends origin 0 to zone 0 and
    origin 1 the long way (step 20)."""
    edges = [(0, 2, 60, 50.0), (1, 2, 60, 50.0), (0, 3, 120, 50.0), (1, 3, 600, 50.0)]
    curves = [[1.0] * 41, [0.0] * 10 + [1.0] * 31]
    return toy_problem(4, edges, [(0, 100, 0), (1, 100, 1)], {2: 0, 3: 1}, safe_capacity=[100, np.inf],
                       departure_cdf=curves, horizon_s=2400)


def test_zone_bound_sees_the_full_zone():
    p = _late_needs_near_zone()
    disc = discretise(p)
    rows = np.flatnonzero(disc.usable)
    zm = zone_model(p, disc, rows)
    assert zm is not None
    assert zm.assignable(10) == 100 and zm.assignable(11) == 200
    assert zone_bound(zm, 200, 0, 40) == 11
    room = reserve_schedule(zm, 11, disc.release.shape[1])
    assert room[0, 0] == 100 and room[0, 11] == 0 and room[1].sum() == 0
    need = needy_rows(zm, 11, p.demand.n_rows)
    assert need[int(np.flatnonzero(p.demand.origin == 1)[0])] == 10


def test_reserved_room_reaches_the_bound():
    p = _late_needs_near_zone()
    disc = discretise(p)
    zm = zone_model(p, disc, np.flatnonzero(disc.usable))
    reserve = (reserve_schedule(zm, 11, disc.release.shape[1]), needy_rows(zm, 11, p.demand.n_rows))
    plain, _, _ = fast_groups(p, disc, n_bins=8, mode="routes")
    groups, unplanned, mode = fast_groups(p, disc, n_bins=8, mode="routes", reserve=reserve)
    result = assemble(p, disc, "fast", groups, unplanned, 0, 0.0)
    validate_plan(p, result)
    assert mode == "routes" and result.evacuated == 200
    assert int(groups["arr"].max()) == 11 < int(plain["arr"].max())


def test_plan_is_certified_optimal_with_zone_bound():
    p = _late_needs_near_zone()
    result = plan(p)
    validate_plan(p, result)
    assert result.lower_bound_s == 11 * 60.0
    assert result.evacuation_time_s <= 11 * 60.0 + 1e-9


def test_no_model_without_a_zone_that_fills():
    p = toy_problem(3, [(0, 1, 120, 10.0), (1, 2, 120, 1.0)], {0: 600}, {2: 0}, horizon_s=6000)
    disc = discretise(p)
    assert zone_model(p, disc, np.flatnonzero(disc.usable)) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_route_mode_with_reserve_is_feasible_and_bound_holds(problem):
    disc = discretise(problem)
    rows = np.flatnonzero(disc.usable & (problem.demand.count > 0))
    zm = zone_model(problem, disc, rows)
    reserve = None
    if zm is not None:
        horizon = zone_bound(zm, int(problem.demand.count[rows].sum()), 0, 400)
        reserve = (reserve_schedule(zm, horizon, disc.release.shape[1]), needy_rows(zm, horizon, disc.usable.size))
    groups, unplanned, _ = fast_groups(problem, disc, n_bins=8, mode="routes", reserve=reserve)
    result = assemble(problem, disc, "fast", groups, unplanned, 0, 0.0)
    validate_plan(problem, result)
    if zm is not None and result.evacuated:
        # the assignment bound never exceeds a feasible plan's time for the persons it saves
        assert zone_bound(zm, result.evacuated, 0, 400) <= int(groups["arr"].max())


def test_coarser_step_keeps_the_release_and_validates(monkeypatch):
    import pytest

    from evacplan.planning import api

    p = toy_problem(3, [(0, 1, 120, 10.0), (1, 2, 120, 1.0)], {0: 600}, {2: 0}, horizon_s=6000)
    fine, coarse = discretise(p), discretise(p, 180.0)
    assert coarse.step_s == 180.0 and np.all(coarse.tau == 1) and coarse.cap_bin.min() == 180
    assert np.array_equal(coarse.release[:, :-1], fine.release[:, :-1:3][:, : coarse.release.shape[1] - 1])
    with pytest.raises(ValueError):
        discretise(p, 90.0)
    monkeypatch.setattr(api, "TABLE_BUDGET", 1.0)
    result = plan(p)
    validate_plan(p, result)
    assert result.time_step_s > 60.0 and result.time_step_s % 60.0 == 0
    assert result.evacuated == 600 and result.lower_bound_s <= result.evacuation_time_s


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_fine_level_cuts_bound_a_coarse_plan(problem):
    from evacplan.planning.bounds import cut_bound
    from evacplan.planning.ten import relaxation

    fine, coarse = discretise(problem), discretise(problem, 120.0)
    rows = np.flatnonzero(coarse.usable & (problem.demand.count > 0))
    groups, unplanned, _ = fast_groups(problem, coarse, n_bins=8, mode="routes")
    result = assemble(problem, coarse, "fast", groups, unplanned, 0, 0.0)
    validate_plan(problem, result)
    if result.evacuated:
        rel = relaxation(problem, coarse, rows)
        fine_b = relaxation(problem, fine, rows).b
        assert cut_bound(problem, rel, result.evacuated, fine_b) <= int(groups["arr"].max())
