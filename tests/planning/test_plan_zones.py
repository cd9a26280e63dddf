"""Safe-zone capacity: the assignment lower bound and the room reserved for late releases."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from evacplan.planning import plan, validate_plan
from evacplan.planning.api import assemble, plan_horizon
from evacplan.planning.fast import fast_groups
from evacplan.planning.model import planning_model
from evacplan.planning.zones import needy_rows, reserve_schedule, zone_bound, zone_model
from evacplan.problem.toy import toy_problem

from .test_plan_properties import small_problems


def _late_needs_near_zone():
    """Zone 0 (node 2) holds 100 and is one step from both origins; zone 1 (node 3) is 2 steps from origin 0 but
    10 from origin 1. Origin 0 releases 100 at once, origin 1 releases 100 over step 9 (540-600 s: the curve is
    linear between steps), all of them by the end of its window [540 s, 600 s) to zone 0. Optimum: origin 0 to
    zone 1 (safe at step 2), origin 1 to zone 0 (safe at step 10); first come first served sends origin 0 to zone 0
    and origin 1 the long way (step 19)."""
    edges = [(0, 2, 60, 50.0), (1, 2, 60, 50.0), (0, 3, 120, 50.0), (1, 3, 600, 50.0)]
    curves = [[1.0] * 41, [0.0] * 10 + [1.0] * 31]
    return toy_problem(4, edges, [(0, 100, 0), (1, 100, 1)], {2: 0, 3: 1}, safe_capacity=[100, np.inf],
                       departure_cdf=curves, horizon_s=2400)


def test_zone_bound_sees_the_full_zone():
    p = _late_needs_near_zone()
    disc = planning_model(p)
    rows = np.flatnonzero(disc.usable)
    zm = zone_model(p, disc, rows)
    assert zm is not None
    assert zm.assignable(9) == 100 and zm.assignable(10) == 200
    assert zone_bound(zm, 200, 0, 40) == 10
    room = reserve_schedule(zm, 10, 40)
    # origin 1's persons (released by 600 s) need zone 0 to be safe by step 10: its room is held back until their
    # release label
    late = int(np.flatnonzero(p.demand.origin == 1)[0])
    label = int(disc.row_first[late])
    assert room[0, 0] == 100 and room[0, label] == 100 and room[0, label + 1] == 0 and room[1].sum() == 0
    need = needy_rows(zm, 10, p.demand.n_rows)
    assert need[late] == label


def test_reserved_room_reaches_the_bound():
    p = _late_needs_near_zone()
    disc = planning_model(p)
    zm = zone_model(p, disc, np.flatnonzero(disc.usable))
    reserve = (reserve_schedule(zm, 10, 40), needy_rows(zm, 10, p.demand.n_rows))
    plain, _, _ = fast_groups(p, disc, n_bins=8, mode="routes")
    groups, unplanned, mode = fast_groups(p, disc, n_bins=8, mode="routes", reserve=reserve)
    result = assemble(p, disc, "fast", groups, unplanned, 0, 0.0)
    validate_plan(p, result)
    assert mode == "routes" and result.evacuated == 200
    plain_plan = assemble(p, disc, "fast", plain, unplanned, 0, 0.0)
    assert plan_horizon(result, 60.0) == 10 < plan_horizon(plain_plan, 60.0)


def test_plan_is_certified_optimal_with_zone_bound():
    p = _late_needs_near_zone()
    result = plan(p)
    validate_plan(p, result)
    assert result.lower_bound_s == 10 * 60.0  # the last arrival window cannot start before step 10
    assert result.evacuation_time_s <= 11 * 60.0 + 1e-9


def test_no_model_without_a_zone_that_fills():
    p = toy_problem(3, [(0, 1, 120, 10.0), (1, 2, 120, 1.0)], {0: 600}, {2: 0}, horizon_s=6000)
    disc = planning_model(p)
    assert zone_model(p, disc, np.flatnonzero(disc.usable)) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_route_mode_with_reserve_is_feasible_and_bound_holds(problem):
    disc = planning_model(problem)
    rows = np.flatnonzero(disc.usable & (problem.demand.count > 0))
    zm = zone_model(problem, disc, rows)
    reserve = None
    if zm is not None:
        horizon = zone_bound(zm, int(problem.demand.count[rows].sum()), 0, 400)
        reserve = (reserve_schedule(zm, horizon, int(zm.t.max()) + 2), needy_rows(zm, horizon, disc.usable.size))
    groups, unplanned, _ = fast_groups(problem, disc, n_bins=8, mode="routes", reserve=reserve)
    result = assemble(problem, disc, "fast", groups, unplanned, 0, 0.0)
    validate_plan(problem, result)
    if zm is not None and result.evacuated:
        # the assignment bound never exceeds a feasible plan's time for the persons it saves
        assert zone_bound(zm, result.evacuated, 0, 400) <= plan_horizon(result, problem.time_step_s)


def test_coarser_step_keeps_the_release_and_validates(monkeypatch):
    import pytest

    from evacplan.planning import api

    p = toy_problem(3, [(0, 1, 120, 10.0), (1, 2, 120, 1.0)], {0: 600}, {2: 0}, horizon_s=6000)
    fine, coarse = planning_model(p), planning_model(p, 180.0)
    # one path, the quickest: no rounding on the way at any step; a coarse window holds three fine ones
    assert coarse.step_s == 180.0 and np.all(coarse.tau == 0) and coarse.cap_bin.min() == 180
    labels = np.arange(0, 40)
    assert np.array_equal(coarse.released(0, labels), fine.released(0, 3 * labels))
    with pytest.raises(ValueError):
        planning_model(p, 90.0)
    monkeypatch.setattr(api, "TABLE_BUDGET", 1.0)
    result = plan(p)
    validate_plan(p, result)
    assert result.time_step_s > 60.0 and result.time_step_s % 60.0 == 0
    assert result.evacuated == 600 and result.lower_bound_s <= result.evacuation_time_s


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_fine_step_bound_holds_for_a_coarse_plan(problem):
    """The bound of the model at the problem's own step, condensed as much as the plan's step is coarsened, never
    exceeds the time of a plan made at the coarser step."""
    from evacplan.planning.bounds import certify

    fine, coarse = planning_model(problem), planning_model(problem, 120.0)
    groups, unplanned, _ = fast_groups(problem, coarse, n_bins=8, mode="routes")
    result = assemble(problem, coarse, "fast", groups, unplanned, 0, 0.0)
    validate_plan(problem, result)
    if result.evacuated:
        upper = 2 * (int(groups["arr"].max()) + 1) - 1  # the last fine label of the plan's last arrival window
        bound = certify(problem, fine, result.evacuated, upper, min_condensation=2, improve=False, tol=0.0)
        assert bound.bins <= upper


def test_zone_bound_counts_the_model_transit():
    """The zone model's earliest labels follow the model's own transit, not free times. 193 persons at node 1, the
    last 33 released by label 6 (its window starts at 6 * 60 - 205 = 155 s and sends those released by 215 s: node
    1's potential leads to zone 1 over 1 -> 3 -> 0). Zone 0 (node 2, room for 75) is 130 s away: free times would
    have them safe at 285 s, horizon 5; but street 1 -> 2 leaves the potential's route and takes a whole step in the
    model, so their window there starts at 325 s, horizon 6; zone 1 is 205 s away (360 s, horizon 6). 6 is the
    optimum (referee)."""
    from .referee import Referee

    edges = [(3, 4, 130.0, 1.0), (3, 2, 130.0, 1.0), (4, 1, 45.0, 5.0), (1, 2, 130.0, 1.0), (4, 2, 45.0, 5.0),
             (0, 4, 45.0, 5.0), (3, 1, 45.0, 0.5), (3, 0, 130.0, 0.5), (2, 4, 75.0, 0.5), (0, 3, 75.0, 5.0),
             (2, 0, 130.0, 0.5), (4, 0, 20.0, 5.0), (1, 3, 75.0, 1.0)]
    p = toy_problem(5, edges, [(1, 193, 0)], {2: 0, 0: 1}, safe_capacity=[75.0, np.inf],
                    departure_cdf=[[0.0, 0.3, 0.6, 1.0] + [1.0] * 57], horizon_s=3600)
    disc = planning_model(p)
    assert disc.potential_s[0, 1] == 205.0 and disc.row_last[0] == 6
    assert int(np.ceil((6 * 60 - 205.0 + 130.0) / 60.0)) == 5  # what free times would say
    e12 = int(np.flatnonzero((p.network.tail == 1) & (p.network.head == 2))[0])
    assert disc.tau[0, e12] == 1 and 7 * 60 - disc.potential_s[0, 2] == 325.0
    zm = zone_model(p, disc, np.flatnonzero(disc.usable))
    assert zm is not None
    assert zm.earliest[-1].tolist() == [6, 6]
    assert zone_bound(zm, 193, 0, 400) == 6
    assert Referee(p, disc.zone_price_s).optimum() == (193, 6)
    result = plan(p)
    validate_plan(p, result)
    assert result.lower_bound_s == 6 * 60.0 and result.evacuation_time_s >= 6 * 60.0
