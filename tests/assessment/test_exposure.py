"""Exposure after the deadline: from a plan (hand-computed) and from a simulation."""

from __future__ import annotations

import pytest

from evacplan.assessment import exposure, plan_exposure
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
