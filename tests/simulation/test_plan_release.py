"""A plan's window sends the persons released by its end: they leave at their release, in the simulator and in the
plan's own exposure count, and following a plan on free streets costs no window against leaving at once."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evacplan.assessment import plan_exposure
from evacplan.planning import plan as make_plan
from evacplan.planning import validate_plan
from evacplan.planning.result import plan_from_paths
from evacplan.problem.mobilization import group_release_times
from evacplan.problem.toy import toy_problem
from evacplan.simulation import simulate

# 10 persons released evenly over the first minute (the curve is linear between its steps: 0 at 0 s, 1 at 60 s)
RAMP = [[0.0] + [1.0] * 60]


def _one_window_plan(p, edge: int, departure_s: float = 0.0):
    """All 10 persons in the window ``[departure_s, departure_s + 60 s)`` over ``edge`` (100 s) to zone 0."""
    return plan_from_paths(method="hand", row=np.array([0]), count=np.array([10]),
                           departure_s=np.array([departure_s]), entry_s=[np.array([departure_s])],
                           arrival_s=np.array([departure_s + 160.0]), safe_zone=np.array([0]), paths=[np.array([edge])],
                           unplanned=np.zeros(1, dtype=np.int64), time_step_s=60.0)


def test_group_release_times_interleave_the_groups_of_a_window():
    """Row 0 (10 persons, released evenly over 0-60 s) in windows at 0 s (groups of 2 and 4) and 60 s (4): the
    window at 0 s holds the row's persons 1-6 shared evenly between its two groups, the one at 60 s persons 7-10."""
    p = toy_problem(2, [(0, 1, 100.0, 50.0)], {0: 10}, {1: 0}, departure_cdf=RAMP, horizon_s=3600)
    row, count, start = np.array([0, 0, 0]), np.array([4, 2, 4]), np.array([60.0, 0.0, 0.0])
    got = group_release_times(p, row, count, start, np.array([1, 1, 2, 2, 0, 0]),
                              np.array([0.5, 1.0, 0.5, 1.0, 0.5, 1.0]))
    # persons ceil(3), 6, 3, 6 of the first window; 6 + 2 and 10 of the second; person j is released at 6 j s
    assert got == pytest.approx([18.0, 36.0, 18.0, 36.0, 48.0, 60.0])


def test_planned_packets_leave_no_earlier_than_released(edge_of):
    """The window [0 s, 60 s) sends all 10 (released by its end): its packets of two, placed at 6, 18, ... 54 s,
    leave when their last person is released (12, 24, ... 60 s), exactly as people leaving at once do."""
    p = toy_problem(2, [(0, 1, 100.0, 50.0)], {0: 10}, {1: 0}, departure_cdf=RAMP, horizon_s=3600)
    plan = _one_window_plan(p, edge_of(p, 0, 1))
    followed = simulate(p, plan, compliance=1.0, packet_size=2, check=True)
    assert np.sort(followed.arrival_start_s) == pytest.approx([112.0, 124.0, 136.0, 148.0, 160.0])
    alone = simulate(p, None, packet_size=2, check=True)
    assert np.sort(alone.arrival_start_s) == pytest.approx(np.sort(followed.arrival_start_s))


def test_the_plan_counts_the_exposure_of_late_releases_as_the_simulator_does(edge_of):
    """Node 0 is in danger from 45 s; a 1 s street leads out of it. The simulator sends the window's 10 persons in
    packets of two placed at 6, 18, ... 54 s; held to their last person's release, they leave at 12, 24, ... 60 s,
    so persons 7-10 are still in the zone after 45 s (placed without their release, 2.7 persons would be)."""
    p = toy_problem(3, [(0, 1, 1.0, 50.0), (1, 2, 99.0, 50.0)], {0: 10}, {2: 0}, danger={0: 0, 1: -1},
                    deadlines_s=[45.0], departure_cdf=RAMP, horizon_s=3600)
    plan = plan_from_paths(method="hand", row=np.array([0]), count=np.array([10]), departure_s=np.array([0.0]),
                           entry_s=[np.array([0.0, 1.0])], arrival_s=np.array([160.0]), safe_zone=np.array([0]),
                           paths=[np.array([edge_of(p, 0, 1), edge_of(p, 1, 2)])],
                           unplanned=np.zeros(1, dtype=np.int64), time_step_s=60.0)
    counted = plan_exposure(p, plan)
    sim = simulate(p, plan, compliance=1.0, check=True)
    assert int(sim.exposed_by_zone[0]) == int(counted.exposed_by_zone[0]) == 4
    # the plan spreads each packet over its fifth of the window, centred on its departure: persons 7-8 leave the
    # zone over [43 s, 55 s), 9-10 at about 61 s
    assert counted.person_minutes_by_zone[0] * 60.0 == pytest.approx(2 / 12 * 10**2 / 2 + 2 * 16.0, abs=1e-6)


def test_following_a_plan_on_free_streets_ends_when_leaving_at_once_does():
    """Released evenly over the first hour on empty streets: the plan's last window holds the last release, so the
    last person following it is safe when the last person leaving at once is."""
    p = toy_problem(3, [(0, 1, 95.0, 50.0), (1, 2, 130.0, 50.0)], {0: 600}, {2: 0},
                    departure_cdf=[list(np.linspace(0.0, 1.0, 61)) + [1.0] * 60], horizon_s=4 * 3600)
    result = make_plan(p)
    validate_plan(p, result)
    followed = simulate(p, result, compliance=1.0, check=True)
    alone = simulate(p, None, check=True)
    assert followed.evacuated == alone.evacuated == 600
    assert followed.evacuation_time_s <= alone.evacuation_time_s + 1e-6
    assert followed.evacuation_time_s <= result.evacuation_time_s


@st.composite
def _empty_streets(draw):
    """Random small networks whose streets and safe zones never fill, people released along random ramps from 0."""
    n = draw(st.integers(3, 7))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=14, unique=True))
    edges = [(u, v, draw(st.sampled_from([25.0, 60.0, 95.0, 150.0])), 100.0) for u, v in chosen]
    safe_nodes = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    origins = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    ramps = [list(np.clip(np.arange(61) / k, 0.0, 1.0)) for k in (7, 20)]
    sources = [(o, draw(st.integers(1, 200)), draw(st.integers(0, 1))) for o in origins]
    return toy_problem(n, edges, sources, {s: i for i, s in enumerate(safe_nodes)}, departure_cdf=ramps,
                       horizon_s=3600)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_empty_streets())
def test_on_empty_streets_following_the_plan_is_never_later(p):
    """Nobody released at time 0 and no queue anywhere: the last person following the plan is safe no later than
    the last person leaving at once by their own shortest way (give or take the 0.1 s in which a packet of at most
    10 persons passes into safety at 100 persons/s: the two split people into packets differently)."""
    result = make_plan(p)
    validate_plan(p, result)
    followed = simulate(p, result, compliance=1.0, check=True)
    alone = simulate(p, None, check=True)
    assert followed.evacuated == alone.evacuated
    if alone.evacuated:
        assert followed.evacuation_time_s <= alone.evacuation_time_s + 10 / 100.0 + 1e-6


def test_a_group_held_by_its_release_keeps_its_spacing(edge_of):
    """100 persons released evenly over 60-120 s; a group of the first 50 (released by 90 s) planned in the window
    from 30 s over its whole 60 s span: packets of 9 placed at 34.5, 45.3, ... s but released at 65.4, 70.8, ...
    s. Held, they keep the plan's spacing (9 persons per 10.8 s) instead of leaving as fast as released (twice the
    rate the street's window was planned for)."""
    from evacplan.simulation.engine import planned_packets

    p = toy_problem(2, [(0, 1, 100.0, 50 / 60)], {0: 100}, {1: 0}, departure_cdf=[[0.0, 0.0, 1.0] + [1.0] * 58],
                    horizon_s=3600)
    plan = plan_from_paths(method="hand", row=np.array([0]), count=np.array([50]), departure_s=np.array([30.0]),
                           entry_s=[np.array([30.0])], arrival_s=np.array([190.0]), safe_zone=np.array([0]),
                           paths=[np.array([edge_of(p, 0, 1)])], unplanned=np.array([50]), time_step_s=60.0)
    plan = replace(plan, departure_span_s=np.array([60.0]))
    group, count, depart, held = planned_packets(p, plan, plan.count, 10, 6)
    assert group.tolist() == [0] * 6 and count.tolist() == [9, 9, 9, 9, 9, 5]
    assert depart == pytest.approx([65.4, 76.2, 87.0, 97.8, 108.6, 117.0])
    assert np.all(held > 0)
