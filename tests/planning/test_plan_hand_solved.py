"""Hand-solvable cases, each run with both planners and checked by ``validate_plan``."""

from __future__ import annotations

import numpy as np
import pytest

from evacplan.planning import UnsupportedProblemError, plan
from evacplan.problem.toy import toy_problem

STEP = 60.0
# A plan's times are windows of STEP seconds: a group is safe by the end of its arrival window, so an arrival at
# clock time t in free flow is reported as t + STEP when t falls on a window boundary.


def test_one_path_with_bottleneck(planned, method):
    # 600 persons, two 120 s edges, the second lets 1 person/s through
    p = toy_problem(3, [(0, 1, 120, 10.0), (1, 2, 120, 1.0)], {0: 600}, {2: 0}, horizon_s=6000)
    result = planned(p, method)
    continuous = 240 + 600 / 1.0
    assert abs(result.evacuation_time_s - continuous) <= STEP
    assert result.evacuated == 600 and result.unplanned.sum() == 0
    assert result.lower_bound_s <= result.evacuation_time_s


def test_two_parallel_paths_share_the_load(planned, method):
    edges = [(0, 1, 120, 10.0), (1, 3, 120, 1.0), (0, 2, 120, 10.0), (2, 3, 120, 1.0)]
    p = toy_problem(4, edges, {0: 1200}, {3: 0}, horizon_s=6000)
    result = planned(p, method)
    assert abs(result.evacuation_time_s - (240 + 1200 / 2.0)) <= STEP
    used = {int(e) for e in result.step_edge}
    assert {0, 1, 2, 3} <= {int(i) for i in p.network.edge_id[list(used)]}


def test_small_safe_zone_forces_longer_route(planned, method):
    # zone 0 next door holds 100; the rest must walk 600 s more to zone 1
    edges = [(0, 1, 60, 50.0), (0, 2, 300, 50.0), (2, 3, 300, 50.0)]
    p = toy_problem(4, edges, {0: 300}, {1: 0, 3: 1}, safe_capacity=[100, np.inf], horizon_s=6000)
    result = planned(p, method)
    assigned = np.bincount(result.safe_zone, weights=result.count, minlength=2)
    assert assigned[0] <= 100 and assigned[1] >= 200  # at least 200 must take the long route
    assert result.evacuation_time_s == pytest.approx(600.0 + STEP)
    assert result.unplanned.sum() == 0


def test_closed_edge_forces_detour(planned, method):
    # the direct edge 0->2 is closed (absent): everyone takes 0->1->2
    p = toy_problem(3, [(0, 1, 180, 10.0), (1, 2, 180, 10.0), (2, 0, 60, 10.0)], {0: 100}, {2: 0}, horizon_s=3000)
    result = planned(p, method)
    assert result.evacuation_time_s == pytest.approx(360.0 + STEP)
    assert all(len(result.path(i)) == 2 for i in range(result.n_groups))


def test_source_released_late(planned, method):
    # nobody is released before step 9 (540 s); the curve rises linearly to everyone by step 10 (600 s): the window
    # [540 s, 600 s) may send them all, each leaving at their release, and the street takes 120 s
    cdf = [[0.0] * 10 + [1.0] * 91]
    p = toy_problem(2, [(0, 1, 120, 100.0)], {0: 50}, {1: 0}, departure_cdf=cdf)
    result = planned(p, method)
    assert result.departure_s.min() >= 540
    assert result.evacuation_time_s == pytest.approx(660.0 + STEP)
    assert result.lower_bound_s == pytest.approx(660.0)  # nobody's arrival window can start before 660 s


def test_no_path_is_reported_not_raised(planned, method):
    # node 3 has no way out; node 0 does
    p = toy_problem(4, [(0, 1, 60, 10.0), (3, 2, 60, 10.0)], {0: 20, 3: 30}, {1: 0}, horizon_s=3000)
    result = planned(p, method)
    assert result.evacuated == 20
    assert result.unplanned.tolist() == [0, 30]
    assert any("no usable path" in b for b in result.bottlenecks)


def test_safe_capacity_shortfall_is_reported(planned, method):
    p = toy_problem(2, [(0, 1, 60, 10.0)], {0: 80}, {1: 0}, safe_capacity=[50], horizon_s=3000)
    result = planned(p, method)
    assert result.evacuated == 50 and int(result.unplanned.sum()) == 30
    assert any("full" in b for b in result.bottlenecks)
    assert any("capacity left" in b for b in result.bottlenecks)


def test_origin_inside_safe_zone(planned, method):
    p = toy_problem(2, [(0, 1, 60, 10.0)], {1: 40}, {1: 0}, horizon_s=600)
    result = planned(p, method)
    assert result.evacuated == 40 and result.evacuation_time_s == STEP  # safe within the first window


def test_slower_groups_walk_slower(planned):
    edges = [(0, 1, 120, 100.0)]
    p = toy_problem(2, edges, [(0, 10, 0, 0), (0, 10, 0, 1)], {1: 0}, group_speeds_mps=[0.5], horizon_s=3000)
    result = planned(p, "fast")
    by_group = {int(p.demand.group[r]): a for r, a in zip(result.row, result.arrival_s, strict=True)}
    assert by_group[0] == pytest.approx(120.0 + STEP) and by_group[1] == pytest.approx(240.0 + STEP)


def test_exact_refuses_several_travel_classes():
    p = toy_problem(2, [(0, 1, 60, 10.0)], [(0, 5, 0, 0), (0, 5, 0, 1)], {1: 0}, group_speeds_mps=[0.5],
                    horizon_s=600)
    with pytest.raises(UnsupportedProblemError):
        plan(p, method="exact")
    with pytest.raises(ValueError, match="unknown planning method"):
        plan(p, method="bogus")


def test_fast_is_deterministic():
    edges = [(0, 1, 120, 1.0), (1, 3, 120, 1.0), (0, 2, 120, 1.0), (2, 3, 180, 1.0), (1, 2, 60, 2.0)]
    p = toy_problem(4, edges, {0: 500, 1: 200}, {3: 0}, horizon_s=6000)
    a, b = plan(p), plan(p)
    for name in ("row", "count", "departure_s", "arrival_s", "path_start", "step_edge", "step_next", "step_to_go_s"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


def test_fast_solves_small_one_class_problems_on_the_exact_network_first(monkeypatch):
    # two paths of 1 person/s from 1,200 persons: the optimum 240 + 600 s, found by the exact search without a
    # route; with the search held below the optimum it routes (and repairs) instead, and the certificate's exact
    # probes still bring it to the optimum
    from evacplan.planning import api

    edges = [(0, 1, 120, 10.0), (1, 3, 120, 1.0), (0, 2, 120, 10.0), (2, 3, 120, 1.0)]
    p = toy_problem(4, edges, {0: 1200}, {3: 0}, horizon_s=6000)
    routed = []
    schedule = api.fast_groups

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        routed.append(1)
        return schedule(*args, **kwargs)

    monkeypatch.setattr(api, "fast_groups", counted)
    first = plan(p, objective="quickest")
    optimum = plan(p, method="exact", objective="quickest").evacuation_time_s
    assert not routed and first.evacuation_time_s == optimum
    monkeypatch.setattr(api, "EXACT_FIRST_REACH", 0)
    fallback = plan(p, objective="quickest")
    assert routed and fallback.evacuation_time_s == optimum
    assert fallback.lower_bound_s <= optimum


def test_progress_is_reported():
    p = toy_problem(3, [(0, 1, 120, 10.0), (1, 2, 120, 1.0)], {0: 600}, {2: 0}, horizon_s=6000)
    seen: list[tuple[str, float | None]] = []
    plan(p, progress=lambda message, fraction: seen.append((message, fraction)))
    fractions = [f for _, f in seen]
    assert seen and fractions[-1] == 1.0 and all(f is not None and 0 <= f <= 1 for f in fractions)
    assert {m for m, _ in seen} == {"planning (fast)"}


def test_candidate_route_mode_with_two_walking_speeds():
    from evacplan.planning.api import assemble
    from evacplan.planning.fast import fast_groups
    from evacplan.planning.model import planning_model
    from evacplan.planning.validate import validate_plan

    edges = [(0, 1, 120, 1.0), (1, 3, 120, 1.0), (0, 2, 120, 1.0), (2, 3, 180, 1.0), (1, 2, 60, 2.0)]
    p = toy_problem(4, edges, [(0, 300, 0, 0), (0, 100, 0, 1), (1, 50, 0, 1)], {3: 0}, group_speeds_mps=[0.6],
                    horizon_s=6000)
    disc = planning_model(p)
    groups, unplanned, mode = fast_groups(p, disc, n_bins=4, mode="routes")
    result = assemble(p, disc, "fast", groups, unplanned, 0, 0.0)
    validate_plan(p, result)
    assert mode == "routes" and result.evacuated == 450


def test_edge_closed_to_one_mode_only():
    """Walkers may not use edge 0->1 (a motorway); vehicles may. Both modes share capacity elsewhere."""
    from dataclasses import replace

    from evacplan.planning.api import assemble
    from evacplan.planning.fast import fast_groups
    from evacplan.planning.model import planning_model
    from evacplan.planning.validate import validate_plan
    from evacplan.problem.reach import reachable_rows
    from evacplan.scenario.schema import ModeSpec

    base = toy_problem(4, [(0, 1, 60, 5.0), (1, 3, 60, 5.0), (0, 2, 120, 5.0), (2, 3, 120, 5.0)], {0: 100}, {3: 0},
                       horizon_s=3000)
    net = base.network
    speed = np.vstack([net.speed_mps[0], net.speed_mps[0]])
    motorway = int(np.flatnonzero((net.tail == 0) & (net.head == 1))[0])
    speed[0, motorway] = 0.0
    net2 = replace(net, modes=("walk", "vehicle"), speed_mps=speed,
                   capacity_per_s=np.vstack([net.capacity_per_s[0], net.capacity_per_s[0]]))
    d = base.demand
    demand = replace(d, origin=np.array([0, 0], dtype=np.int32), group=np.zeros(2, dtype=np.int16),
                     mode=np.array([0, 1], dtype=np.int16), count=np.array([50, 50]),
                     danger=np.zeros(2, dtype=np.int32), curve=np.zeros(2, dtype=np.int16))
    p = replace(base, network=net2, demand=demand, modes=(ModeSpec("walk", 1.0, 1.0, 0.5),
                ModeSpec("vehicle", 2.0, 1.0, 0.5)), reachable=reachable_rows(net2, base.zones, demand))
    for mode in ("search", "routes"):
        disc = planning_model(p)
        groups, unplanned, _ = fast_groups(p, disc, n_bins=8, mode=mode)
        result = assemble(p, disc, "fast", groups, unplanned, 0, 0.0)
        validate_plan(p, result)
        assert result.evacuated == 100, mode
        walkers = result.row == 0
        assert motorway not in set(np.concatenate([result.path(i) for i in np.flatnonzero(walkers)]).tolist())


def test_departure_spans_are_the_busiest_window_on_the_path():
    """A street passing 5 persons a minute carries 12 persons (windows of 5, 5 and 2), a free street 1 person: a
    group in a full window leaves over the whole minute, the last 2 over 24 s, the lone walker at once (1 s at 1
    person/s); a plan that lets a group leave faster than that is invalid."""
    from dataclasses import replace

    from evacplan.errors import InvalidPlanError
    from evacplan.planning.validate import validate_plan

    p = toy_problem(4, [(0, 1, 60.0, 5 / 60), (2, 3, 60.0, 1.0)], {0: 12, 2: 1}, {1: 0, 3: 1}, horizon_s=3600)
    result = plan(p)
    validate_plan(p, result)
    slow = p.demand.origin[result.row] == 0
    assert sorted(result.count[slow].tolist()) == [2, 5, 5]
    assert sorted(result.departure_span_s[slow].tolist()) == pytest.approx([24.0, 60.0, 60.0])
    assert result.departure_span_s[~slow].tolist() == pytest.approx([1.0])
    squeezed = replace(result, departure_span_s=np.where(slow, 1.0, result.departure_span_s))
    with pytest.raises(InvalidPlanError, match="spans"):
        validate_plan(p, squeezed)
