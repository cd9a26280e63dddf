"""Vulnerable people who cannot walk out in time, on a hand-computed line network.

Nodes 0 - 1 - 2, two 600 m edges (600 s at 1 m/s), node 2 safe, nodes 0 and 1 in danger with a 1,800 s deadline.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from evacplan.assessment import assess, departed_share, vulnerable_needs
from evacplan.problem import toy_problem
from evacplan.simulation import simulate

EDGES = [(0, 1, 600.0, 10.0), (1, 2, 600.0, 10.0), (1, 0, 600.0, 10.0), (2, 1, 600.0, 10.0)]


@pytest.fixture
def problem(make_vulnerable):
    def make(sources, cdf=None, speeds=(0.5,)):
        p = toy_problem(3, EDGES, sources, {2: 0}, danger={0: 0, 1: 0}, deadlines_s=[1800.0], departure_cdf=cdf,
                        time_step_s=60.0, horizon_s=7200.0 if cdf is None else None, group_speeds_mps=list(speeds))
        return make_vulnerable(p, [1])

    return make


def test_slow_walkers_leaving_at_once(problem) -> None:
    # group 1 walks at 0.5 m/s: 1,200 m take 2,400 s > 1,800 s, so all 100 need a seat; group 0 (1 m/s) is fine
    p = problem([(0, 100, 0, 1), (0, 50, 0, 0)])
    (v,) = vulnerable_needs(p)
    assert (v.zone, v.group, v.persons, v.on_foot) == ("danger0", "group1", 100, 100)
    assert v.cannot_walk_in_time == 100
    # no vehicle mode: 8.3 m/s (assumed) covers 1,200 m in 145 s, so nobody is late once carried; 4 seats a car
    assert v.late_even_by_vehicle == 0
    assert v.vehicles_needed == 25


def test_close_walkers_make_it(problem) -> None:
    p = problem([(1, 100, 0, 1)])  # from node 1: 600 m at 0.5 m/s = 1,200 s <= 1,800 s
    assert vulnerable_needs(p)[0].cannot_walk_in_time == 0


def test_departures_spread_by_the_mobilization_curve(problem) -> None:
    # uniform departures over 3,600 s (60 steps of 60 s); walking at 1 m/s takes 1,200 s: those leaving by
    # 600 s (1/6) make it, 5/6 do not
    cdf = np.minimum(np.arange(121) / 60.0, 1.0)
    p = problem([(0, 120, 0, 1)], cdf=cdf, speeds=(1.0,))
    (v,) = vulnerable_needs(p)
    assert v.cannot_walk_in_time == 100
    # carried at 8.3 m/s (144.6 s), those leaving after 1,655.4 s are late anyway
    late = 120 * (1 - (1800 - 1200 / 8.3) / 3600)
    assert v.late_even_by_vehicle == round(late)


def test_departed_share_interpolates(problem) -> None:
    cdf = np.minimum(np.arange(121) / 60.0, 1.0)
    p = problem([(0, 1, 0, 1)], cdf=cdf)
    got = departed_share(p, np.zeros(4, dtype=np.int16), np.array([-5.0, 90.0, 1800.0, np.inf]))
    assert got == pytest.approx([0.0, 90 / 3600, 0.5, 1.0])


def test_no_vulnerable_group() -> None:
    p = toy_problem(3, EDGES, {0: 10}, {2: 0})
    assert vulnerable_needs(p) == []


def test_no_path_means_nobody_makes_it(problem, make_vulnerable) -> None:
    p = problem([(0, 40, 0, 1)])
    p2 = toy_problem(3, [(1, 2, 600.0, 10.0)], [(0, 40, 0, 1)], {2: 0}, danger={0: 0}, deadlines_s=[1800.0],
                     group_speeds_mps=[0.5], horizon_s=7200.0)
    v = vulnerable_needs(make_vulnerable(p2, [1]))[0]
    assert v.cannot_walk_in_time == 40 and v.late_even_by_vehicle == 40
    assert vulnerable_needs(p)[0].cannot_walk_in_time == 40


def test_late_in_the_simulation_because_of_a_queue_counts_as_late(make_vulnerable, plan_of) -> None:
    # 200 vulnerable people at node 1, 600 s from safety at 1 m/s: on time in free flow (600 s <= 1,800 s). The edge
    # 1 -> 2 lets 0.05 persons/s through, so by the deadline at most 0.05 x 1,800 = 90 are safe: 110 or more are late
    edges = [(0, 1, 600.0, 10.0), (1, 2, 600.0, 0.05)]
    p = make_vulnerable(toy_problem(3, edges, [(1, 200, 0, 1)], {2: 0}, danger={0: 0, 1: 0}, deadlines_s=[1800.0],
                                    group_speeds_mps=[1.0, 1.0], horizon_s=7200.0), [1])
    (free,) = vulnerable_needs(p)
    assert (free.cannot_walk_in_time, free.source, free.late_in_simulation) == (0, "free flow", None)
    sim = simulate(p, plan_of(p, [(0, 200, 0.0, [1])]))
    safe_by_deadline = sim.safe_by(0, 1800.0)
    assert safe_by_deadline <= 91
    (v,) = vulnerable_needs(p, sim)
    assert v.source == "simulation" and v.free_flow_cannot_walk == 0
    assert v.cannot_walk_in_time == v.late_in_simulation == pytest.approx(200 - safe_by_deadline, abs=1)
    assert v.cannot_walk_in_time >= 109 and v.vehicles_needed == math.ceil(v.cannot_walk_in_time / 4)
    (a,) = assess(p, simulation=sim).vulnerable
    assert a == v
