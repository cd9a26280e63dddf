"""Evacuation time estimates (NUREG/CR-7002 style) and clearance curves."""

from __future__ import annotations

import pytest

from evacplan.assessment import clearance_curves, ete_from_curve, ete_table
from evacplan.problem import toy_problem
from evacplan.simulation import simulate


def test_ete_from_a_curve() -> None:
    assert ete_from_curve([0, 10, 20], [0, 50, 100], 100, 0.5) == 10.0
    assert ete_from_curve([0, 10, 20], [0, 50, 100], 100, 0.9) == 18.0
    assert ete_from_curve([0, 10, 20], [0, 50, 100], 100, 1.0) == 20.0
    assert ete_from_curve([0, 10, 20], [0, 50, 90], 100, 1.0) is None  # never cleared
    assert ete_from_curve([0], [0], 0, 0.9) == 0.0


def test_plan_arrival_times(plan_of) -> None:
    # two zones on a line 0 -> 1 -> 2 (safe): 100 persons from node 1 arrive at 600 s, 100 from node 0 at 1,200 s
    p = toy_problem(3, [(0, 1, 600.0, 100.0), (1, 2, 600.0, 100.0)], [(0, 100, 0), (1, 100, 0)], {2: 0},
                    danger={0: 0, 1: 1}, deadlines_s=[1500.0, 500.0], horizon_s=3600.0)
    pl = plan_of(p, [(0, 100, 0.0, [0, 1]), (1, 100, 0.0, [1])])
    zone0, zone1, total = ete_table(p, pl)
    assert (zone0.zone, zone0.t50_min, zone0.t90_min, zone0.t100_min, zone0.met) == ("danger0", 20.0, 20.0, 20.0,
                                                                                      True)
    assert (zone1.t100_min, zone1.deadline_min, zone1.met) == (10.0, 500 / 60, False)
    assert (total.zone, total.population, total.t50_min, total.t90_min, total.t100_min) == ("all", 200, 10.0, 20.0,
                                                                                            20.0)
    assert zone0.source == "plan"


def test_unplanned_people_keep_a_zone_from_clearing(plan_of) -> None:
    p = toy_problem(2, [(0, 1, 600.0, 100.0)], {0: 100}, {1: 0}, horizon_s=3600.0)
    pl = plan_of(p, [(0, 80, 0.0, [0])], unplanned={0: 20})
    zone, _ = ete_table(p, pl)
    assert zone.t50_min == 10.0 and zone.t90_min is None and zone.t100_min is None and zone.met is False


def test_simulated_bottleneck_clearance() -> None:
    # 600 persons leave at once through one edge of 1 person/s and 60 s free time: the last is out after ~660 s
    p = toy_problem(2, [(0, 1, 60.0, 1.0)], {0: 600}, {1: 0}, horizon_s=3600.0)
    sim = simulate(p)
    zone, _ = ete_table(p, simulation=sim)
    assert zone.source == "simulation"
    assert zone.t100_min == pytest.approx(sim.clearance_time_s(0, 600) / 60.0, abs=1e-3)
    assert zone.t100_min == pytest.approx(11.0, abs=0.25)
    assert zone.t50_min == pytest.approx(6.0, abs=0.25)
    assert zone.t90_min == pytest.approx(10.0, abs=0.25)
    curves = clearance_curves(p, simulation=sim)
    assert curves[0].evacuated[-1] == pytest.approx(600.0)
    assert all(b >= a for a, b in zip(curves[0].evacuated, curves[0].evacuated[1:], strict=False))
