"""Exposure after the deadline: from a plan (hand-computed) and from a simulation."""

from __future__ import annotations

import numpy as np
import pytest

from evacplan.assessment import exposure, plan_exposure
from evacplan.planning.result import plan_from_paths
from evacplan.problem import toy_problem
from evacplan.simulation import simulate

# 0 -> 1 -> 2 -> 3: 600 s each at 1 m/s; nodes 0, 1 in danger zone 0 (deadline 600 s), node 3 safe
EDGES = [(0, 1, 600.0, 100.0), (1, 2, 600.0, 100.0), (2, 3, 600.0, 100.0)]


def problem():
    return toy_problem(4, EDGES, [(0, 100, 0), (1, 30, 0)], {3: 0}, danger={0: 0, 1: 0}, deadlines_s=[600.0],
                       horizon_s=3600.0)


def test_plan_exposure_follows_each_group_edge_by_edge(plan_of) -> None:
    p = problem()
    pl = plan_of(p, [(0, 100, 0.0, [0, 1, 2]), (1, 30, 0.0, [1, 2])])
    # edge 0->1 and edge 1->2 lie in the zone (their tails do); group 0 is on 1->2 from 600 s to 1,200 s, after the
    # deadline; group 1 leaves 1->2 at 600 s, exactly at the deadline: not exposed
    pe = plan_exposure(p, pl)
    assert pe.group_exposed.tolist() == [True, False] and pe.exposed == 100
    assert pe.person_minutes_by_zone.tolist() == pytest.approx([100 * 600 / 60])


def test_exposure_from_the_plan(plan_of) -> None:
    p = problem()
    pl = plan_of(p, [(0, 100, 0.0, [0, 1, 2]), (1, 20, 0.0, [1, 2])], unplanned={1: 10})
    (z,) = exposure(p, pl)
    assert z.source == "plan" and z.population == 130 and z.deadline_min == 10.0
    # 100 persons inside from 600 s to 1,200 s; group 1 leaves at 600 s exactly (not late); 10 unplanned persons
    # stay until the horizon (3,600 s)
    assert z.exposed == 110
    assert z.person_minutes == pytest.approx(100 * 600 / 60 + 10 * 3000 / 60)


def test_a_late_departure_is_exposed_from_the_deadline(plan_of) -> None:
    p = problem()
    pl = plan_of(p, [(1, 30, 900.0, [1, 2])])
    (z,) = exposure(p, pl)
    assert z.exposed == 30  # only planned and unplanned persons count (row 0 is in neither here)
    assert z.person_minutes == pytest.approx(30 * (1500 - 600) / 60)


def test_exposure_from_the_simulation(plan_of) -> None:
    p = problem()
    pl = plan_of(p, [(0, 100, 0.0, [0, 1, 2]), (1, 30, 0.0, [1, 2])])
    sim = simulate(p, pl)
    (z,) = exposure(p, pl, sim)
    assert z.source == "simulation"
    assert z.exposed == int(sim.exposed_by_zone[0])
    assert z.person_minutes == pytest.approx(float(sim.exposure_person_min_by_zone[0]), abs=1e-3)
    assert 100 <= z.exposed <= 130  # those from node 0 are still inside at 600 s (the simulator's own figures)


# windows of 60 s: node 0 alone in the danger zone, so only edge 0->1 lies in it (its tail does)
def windowed_problem(deadline_s: float):
    return toy_problem(4, EDGES, [(0, 60, 0)], {3: 0}, danger={0: 0}, deadlines_s=[deadline_s], horizon_s=3600.0)


def windowed_plan(p, departure_s: float):
    """60 persons leaving during [departure_s, departure_s + 60) on 0->1->2->3, entry windows 600 s apart."""
    entries = departure_s + np.array([0.0, 600.0, 1200.0])
    return plan_from_paths(method="hand", row=np.array([0]), count=np.array([60]),
                           departure_s=np.array([departure_s]), entry_s=[entries],
                           arrival_s=np.array([departure_s + 1860.0]), safe_zone=np.array([0]),
                           paths=[np.array([0, 1, 2])], unplanned=np.zeros(1, np.int64), time_step_s=60.0)


def test_a_window_straddling_the_deadline_leaves_its_later_half_exposed() -> None:
    p = windowed_problem(630.0)
    pe = plan_exposure(p, windowed_plan(p, 0.0))
    # a person leaving u * 60 s into the window leaves the zone (enters 1->2) at 600 + 60 u: late for u > 1/2, and
    # inside max(0, 60 u - 30) s after the deadline, 7.5 s on average
    assert pe.exposed == 30 and pe.exposed_by_zone.tolist() == [30]
    assert pe.group_share.tolist() == [0.5] and pe.group_exposed.tolist() == [True]
    assert pe.person_minutes_by_zone.tolist() == pytest.approx([60 * 7.5 / 60])


def test_a_window_wholly_after_the_deadline_counts_home_and_edge_time() -> None:
    p = windowed_problem(630.0)
    pe = plan_exposure(p, windowed_plan(p, 600.0))
    # at home until 600 + 60 u, then on 0->1 until 1,200 + 60 u: inside 570 + 60 u s after the deadline
    assert pe.exposed == 60 and pe.group_share.tolist() == [1.0]
    assert pe.person_minutes_by_zone.tolist() == pytest.approx([60 * 600 / 60])


def test_a_window_wholly_before_the_deadline_is_not_exposed() -> None:
    p = windowed_problem(660.0)
    pe = plan_exposure(p, windowed_plan(p, 0.0))
    # the last person leaves the zone at 660 s, exactly at the deadline
    assert pe.exposed == 0 and pe.group_exposed.tolist() == [False]
    assert pe.person_minutes_by_zone.tolist() == [0.0]


def test_plan_and_simulation_count_a_straddling_window_alike() -> None:
    p = windowed_problem(630.0)
    pl = windowed_plan(p, 0.0)
    sim = simulate(p, pl, packet_size=1)
    # one-person packets leave at 0.5, 1.5, ..., 59.5 s and leave the zone 600 s later: 30 after 630 s
    assert sim.exposed == plan_exposure(p, pl).exposed == 30
