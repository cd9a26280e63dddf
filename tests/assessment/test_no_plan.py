"""Following the plan against nobody following it (issue 17): worse where the plan keeps people in danger."""

from __future__ import annotations

from evacplan.assessment.compare import compare_with_no_plan
from evacplan.planning import plan
from evacplan.problem.toy import toy_problem
from evacplan.simulation import simulate


def _queue_outside_the_zone():  # type: ignore[no-untyped-def]
    """100 people at node 0, in the danger zone (deadline 0): a wide street 0->1 out of the zone, a wide street 1->2
    outside it that holds everyone, then a narrow one 2->3 into the safe zone (0.1 person/s)."""
    return toy_problem(
        4, [(0, 1, 10.0, 10.0, 1000.0), (1, 2, 10.0, 10.0, 1000.0), (2, 3, 10.0, 0.1, 1000.0)], {0: 100}, {3: 0},
        danger={0: 0}, deadlines_s=(0.0,), time_step_s=10.0, horizon_s=4000.0,
    )


def test_a_plan_that_meters_people_at_home_is_worse_on_exposure() -> None:
    p = _queue_outside_the_zone()
    pl = plan(p)
    following = simulate(p, pl, seed=0)
    alone = simulate(p, None, seed=0)
    # on their own everyone leaves the zone within a few seconds and queues on 1->2; the plan sends them only as
    # fast as the narrow street lets them through, so they wait at home, inside the zone, for up to 1,000 s
    assert alone.exposure_person_min_by_zone.sum() < 100 * 20 / 60
    assert following.exposure_person_min_by_zone.sum() > 100 * 400 / 60
    c = compare_with_no_plan(p, following, alone, pl)
    assert "person_minutes" in c.worse
    assert "evacuation_time_min" not in c.worse  # the narrow street sets the time for both
    assert "is worse on person-minutes spent in danger" in c.sentence
    assert "keeps people at home, inside the danger zone" in c.sentence
    d = c.to_dict()
    assert d["following"]["person_minutes"] == round(float(following.exposure_person_min_by_zone.sum()), 3)
    # leaving the zone alone is quick: 100 people over the wide street (10 persons/s, 10 s windows) in one window,
    # 10 m at walking pace, out by the end of the next window
    cl = c.clearance
    assert cl is not None and cl.persons == 100
    assert cl.time_s == 20.0
    assert 0 < cl.lower_bound_s <= cl.time_s
    assert cl.person_minutes < following.exposure_person_min_by_zone.sum() / 10
    assert "the zones could be empty by 0.3 min" in c.sentence
    assert d["zone_clearance"]["time_min"] == round(20 / 60, 3)


def test_leaving_only_keeps_the_people_in_danger_and_makes_outside_safe() -> None:
    from evacplan.assessment.clearance import leaving_only, zone_clearance

    p = toy_problem(3, [(0, 1, 10.0, 1.0, 100.0), (1, 2, 10.0, 1.0, 100.0)], {0: 10, 1: 5}, {2: 0},
                    danger={0: 0}, deadlines_s=(0.0,), time_step_s=10.0, horizon_s=1000.0)
    leave = leaving_only(p)
    assert leave.demand.total == 10  # the 5 at node 1 start outside the danger zone
    assert list(leave.zones.node_safe) == [-1, 0, 0]
    cl = zone_clearance(p)
    assert cl is not None and cl.persons == 10
    # 10 people through 1 person/s: the last enters 0->1 in the first window, 7.5 s on it, safe by 20 s
    assert cl.time_s == 20.0
    nobody = toy_problem(3, [(0, 1, 10.0, 1.0, 100.0), (1, 2, 10.0, 1.0, 100.0)], {0: 10}, {2: 0},
                         danger={1: 0}, deadlines_s=(0.0,), time_step_s=10.0, horizon_s=1000.0)
    assert zone_clearance(nobody) is None  # nobody starts in the danger zone


def test_the_same_simulation_is_no_worse_than_itself() -> None:
    p = _queue_outside_the_zone()
    alone = simulate(p, None, seed=0)
    c = compare_with_no_plan(p, alone, alone)
    assert c.worse == () and c.causes == ()
    assert c.sentence.endswith("following the plan is no worse on any of them.")


def test_a_time_never_reached_is_worse_and_said_so() -> None:
    from evacplan.assessment.compare import _no_plan_causes, _worse

    p = _queue_outside_the_zone()
    alone = simulate(p, None, seed=0)
    # against figures that are better on the times and on exposure: worse on those
    c = compare_with_no_plan(p, alone, {"evacuation_time_min": 1.0, "t90_min": 1.0, "person_minutes": 0.0,
                                        "exposed": 0.0})
    assert set(c.worse) == {"evacuation_time_min", "t90_min", "person_minutes", "exposed"}  # all 100 exposed
    assert _worse("evacuation_time_min", None, 5.0, 100) and not _worse("evacuation_time_min", 5.0, None, 100)
    never = dict(c.following, evacuation_time_min=None)
    causes = _no_plan_causes(None, 1.0, ["evacuation_time_min"], never, c.no_plan)
    assert causes == ["some people following the plan never reach safety in the simulation (closed roads or full "
                      "safe zones on their planned way)"]


def test_clearance_keeps_shelters_in_a_danger_zone_safe_and_leaves_out_who_cannot_leave() -> None:
    from evacplan.assessment.clearance import zone_clearance

    # node 0 (50 people) can only reach a shelter inside the danger zone (node 1); node 2 (100) has the metered way
    # out of _queue_outside_the_zone; node 5 (7 people) has no street at all
    edges = [(0, 1, 10.0, 10.0, 1000.0), (2, 3, 10.0, 10.0, 1000.0), (3, 4, 10.0, 0.1, 1000.0)]
    p = toy_problem(6, edges, {0: 50, 2: 100, 5: 7}, {1: 0, 4: 1}, danger={0: 0, 1: 0, 2: 0, 5: 0},
                    deadlines_s=(0.0,), time_step_s=10.0, horizon_s=4000.0)
    cl = zone_clearance(p)
    assert cl is not None
    assert (cl.persons, cl.no_way_out) == (150, 7)
    assert cl.time_s == 20.0  # both leave in the first window: 0->1 into the shelter, 2->3 out of the zone
    following = simulate(p, plan(p), seed=0)
    assert cl.person_minutes < following.exposure_person_min_by_zone.sum() / 10  # not the 7 stuck for ever
    c = compare_with_no_plan(p, following, simulate(p, None, seed=0), plan(p))
    assert "person_minutes" in c.worse
    assert "the zones could be empty (the 150 people with a way out of them; 7 people have none) by 0.3 min" \
        in c.sentence
