"""People in danger after a deadline are counted once, however many danger zones they cross (issue 15, point 4)."""

from __future__ import annotations

from evacplan.assessment import assess
from evacplan.problem import toy_problem
from evacplan.simulation import simulate

# 0 -> 1 -> 2 -> 3, 600 s each: node 0 in "East" (zone 0), node 1 in "Centre" (zone 1), both with a deadline at
# 300 s; node 3 safe. People from East walk through Centre after its deadline.
EDGES = [(0, 1, 600.0, 100.0), (1, 2, 600.0, 100.0), (2, 3, 600.0, 100.0)]


def test_a_person_crossing_a_second_zone_is_counted_once(plan_of) -> None:
    p = toy_problem(4, EDGES, [(0, 100, 0), (1, 30, 0)], {3: 0}, danger={0: 0, 1: 1}, deadlines_s=[300.0, 300.0],
                    horizon_s=3600.0)
    pl = plan_of(p, [(0, 100, 0.0, [0, 1, 2]), (1, 30, 0.0, [1, 2])])
    a = assess(p, pl)
    by_zone = [e.exposed for e in a.exposure]
    assert by_zone == [100, 130]  # East's 100 are inside East after 300 s, then inside Centre with Centre's 30
    assert a.summary["exposed"] == 130 and sum(by_zone) == 230  # each person once, not the zones' sum
    assert any("In all, 130 people" in s for s in a.headline.sentences)
    sim = simulate(p, pl)
    b = assess(p, pl, sim)
    assert b.summary["exposed"] == sim.exposed < sum(e.exposed for e in b.exposure)
    pvs = b.plan_vs_simulation
    assert pvs is not None and pvs.plan.exposed == 130 and pvs.plan.exposed_by_zone == {"danger0": 100, "danger1": 130}
