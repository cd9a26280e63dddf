"""Link-queue dynamics against analytic results: bottleneck, spillback, closures, plans, safe zones, exposure."""

from __future__ import annotations

import numpy as np
import pytest

from evacplan.planning import plan
from evacplan.problem.toy import toy_problem
from evacplan.simulation import CapacityDrop, DangerOnset, EdgeClosure, simulate


def records(result, edge):
    """Per-minute records of one edge: dict minute -> (flow, queue, persons)."""
    rec = result.edge_records
    sel = rec[:, 1] == edge
    return {int(r[0]): (r[2], r[3], r[4]) for r in rec[sel]}


@pytest.mark.parametrize(("persons", "cap", "packet"), [(1000, 2.0, 10), (537, 0.8, 5), (40, 1.0, 1)])
def test_bottleneck_matches_analytic(persons, cap, packet):
    # N persons through one edge of capacity c: the last leaves at free time + N / c
    p = toy_problem(3, [(0, 1, 30.0, 100.0), (1, 2, 50.0, cap)], {0: persons}, {2: 0}, horizon_s=7200)
    r = simulate(p, packet_size=packet, check=True)
    expected = 30.0 + 50.0 + persons / cap
    assert r.evacuated == persons
    assert abs(r.evacuation_time_s - expected) <= 10.0
    # half of them are through at about free time + N / (2c)
    assert abs(r.time_to_share(0.5) - (80.0 + persons / (2 * cap))) <= 10.0


def test_free_flow_travel_time_is_exact():
    p = toy_problem(4, [(0, 1, 33.0, 50.0), (1, 2, 7.0, 50.0), (2, 3, 61.0, 50.0)], {0: 10}, {3: 0}, horizon_s=600)
    r = simulate(p, packet_size=10, check=True)
    # one packet: it crosses the last exit within 10 / 50 s
    assert r.arrival_start_s[0] == pytest.approx(101.0)
    assert r.evacuation_time_s == pytest.approx(101.0 + 10 / 50)


def test_spillback_holds_upstream_and_resumes(edge_of):
    # 0 -> 1 -> 2 -> 3 (safe); edges 1->2 and 2->3 store 20 persons; 2->3 passes 0.1 persons/s until minute 15
    edges = [(0, 1, 30.0, 5.0, 1e6), (1, 2, 30.0, 5.0, 20.0), (2, 3, 30.0, 0.1, 20.0)]
    p = toy_problem(4, edges, {0: 300}, {3: 0}, horizon_s=7200)
    e01, e12, e23 = edge_of(p, 0, 1), edge_of(p, 1, 2), edge_of(p, 2, 3)
    r = simulate(p, events=[CapacityDrop(e23, 900.0, 50.0)], packet_size=10, check=True)
    r01, r12 = records(r, e01), records(r, e12)
    held = [r01[mi][0] for mi in range(5, 15)]
    for minute in range(5, 15):
        assert r12[minute][2] <= 20  # never more than its storage
        assert r01[minute][1] > 0  # a queue waits upstream
    assert sum(held) <= 0.1 * 600 + 20 + 20  # upstream outflow held to the bottleneck's rate
    resumed = sum(r01[mi][0] for mi in range(17, 20) if mi in r01)
    assert resumed / 3 > 3 * sum(held) / 10  # flow resumes once the downstream edge drains
    assert r.evacuated == 300


def test_closure_mid_run_reroutes(edge_of):
    # two routes 0-1-3 (short) and 0-2-3 (long), plus 1->2 so that people on the short one can switch
    edges = [(0, 1, 60.0, 10.0), (1, 3, 60.0, 10.0), (0, 2, 100.0, 10.0), (2, 3, 100.0, 10.0), (1, 2, 20.0, 10.0)]
    cdf = [np.linspace(0, 1, 11)]  # departures spread over 10 minutes
    p = toy_problem(4, edges, {0: 600}, {3: 0}, departure_cdf=cdf, horizon_s=7200)
    e13, e23 = edge_of(p, 1, 3), edge_of(p, 2, 3)
    base = simulate(p, check=True)
    assert records(base, e23) == {}  # without the closure nobody takes the long way
    r = simulate(p, events=[EdgeClosure(e13, 240.0)], check=True)
    assert r.evacuated == 600
    after = [mi for mi, (flow, _, _) in records(r, e13).items() if flow > 0]
    assert max(after) <= 6  # those already on 1->3 at the closure leave it; nobody else enters
    assert sum(f for f, _, _ in records(r, e23).values()) > 300


def test_full_compliance_uncongested_reproduces_plan(plan_of):
    edges = [(0, 1, 120.0, 50.0), (1, 2, 200.0, 50.0), (0, 3, 90.0, 50.0), (3, 2, 300.0, 50.0), (4, 3, 60.0, 50.0)]
    p = toy_problem(5, edges, [(0, 100, 0), (4, 60, 0)], {2: 0}, horizon_s=7200)
    plan = plan_of(p, [(0, 50, 0.0, [0, 1, 2]), (0, 50, 300.0, [0, 3, 2]), (1, 60, 120.0, [4, 3, 2])])
    r = simulate(p, plan, compliance=1.0, check=True)
    assert r.evacuated == 160
    assert r.evacuation_time_s == pytest.approx(plan.evacuation_time_s, rel=0.05)
    # every group arrives when the plan says
    for row, t in ((0, 320.0), (1, 480.0)):
        sel = r.arrival_row == row
        assert r.arrival_start_s[sel].min() == pytest.approx(t if row else 320.0, abs=1.0)


def test_a_planned_group_leaves_spread_over_its_window(edge_of):
    """A group of 10 planned to leave in the 60 s window from 0 s: at 10 s steps it leaves in packets of at most
    ceil(10 / 6) = 2 persons spread evenly over the window (at 6, 18, 30, 42 and 54 s), not as one packet at 30 s;
    at 5 s steps one by one."""
    from evacplan.planning.result import plan_from_paths

    p = toy_problem(2, [(0, 1, 100.0, 50.0)], {0: 10}, {1: 0}, horizon_s=3600)
    e = edge_of(p, 0, 1)
    plan = plan_from_paths(method="hand", row=np.array([0]), count=np.array([10]), departure_s=np.array([0.0]),
                           entry_s=[np.array([0.0])], arrival_s=np.array([160.0]), safe_zone=np.array([0]),
                           paths=[np.array([e])], unplanned=np.zeros(1, dtype=np.int64), time_step_s=60.0)
    r = simulate(p, plan, compliance=1.0, packet_size=10, check=True)
    assert r.arrival_count.tolist() == [2] * 5
    assert np.sort(r.arrival_start_s) == pytest.approx([106.0, 118.0, 130.0, 142.0, 154.0])
    fine = simulate(p, plan, compliance=1.0, packet_size=10, dt_s=5.0, check=True)  # twelve steps: one by one
    assert fine.arrival_count.tolist() == [1] * 10


def test_partial_compliance_mixes_plan_and_own_routes(edge_of, plan_of):
    edges = [(0, 1, 100.0, 50.0), (1, 2, 100.0, 50.0), (0, 2, 500.0, 50.0)]
    p = toy_problem(3, edges, {0: 1000}, {2: 0}, horizon_s=7200)
    plan = plan_of(p, [(0, 1000, 0.0, [0, 2])])  # the plan sends everyone the long way
    r = simulate(p, plan, compliance=0.3, packet_size=10, seed=1, check=True)
    long_way = sum(f for f, _, _ in records(r, edge_of(p, 0, 2)).values())
    assert 200 <= long_way <= 400
    assert r.evacuated == 1000


def test_same_seed_same_result(plan_of):
    edges = [(0, 1, 30.0, 2.0, 50.0), (2, 1, 30.0, 2.0, 50.0), (1, 3, 60.0, 1.5, 40.0), (0, 2, 20.0, 3.0)]
    cdf = [np.linspace(0, 1, 6)]
    p = toy_problem(4, edges, {0: 700, 2: 400}, {3: 0}, departure_cdf=cdf, horizon_s=7200)
    plan = plan_of(p, [(0, 700, 0.0, [0, 1, 3]), (1, 400, 60.0, [2, 1, 3])])
    a = simulate(p, plan, compliance=0.6, seed=7, check=True)
    b = simulate(p, plan, compliance=0.6, seed=7, check=True)
    for f in ("arrival_start_s", "arrival_end_s", "arrival_count", "arrival_row", "edge_records"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    wall_clock = "runtime_s"  # the only field allowed to differ between two runs
    sa, sb = a.summary(p), b.summary(p)
    sa.pop(wall_clock)
    sb.pop(wall_clock)
    assert sa == sb


def test_full_safe_zone_diverts_to_next():
    # safe zone 0 (node 1) is near but holds 95; safe zone 1 (node 2) is farther
    edges = [(0, 1, 60.0, 10.0), (1, 2, 60.0, 10.0), (0, 2, 300.0, 10.0)]
    p = toy_problem(3, edges, {0: 300}, {1: 0, 2: 1}, safe_capacity=[95, np.inf], horizon_s=7200)
    r = simulate(p, check=True)
    s = r.summary(p)
    assert [z["assigned"] for z in s["safe_zones"]] == [95, 205]
    assert r.evacuated == 300


def test_fractional_capacity_is_floored_once_by_planner_and_simulator():
    # a zone for 50.5 people takes 50, in the plan and in the simulation; the others go on to the next zone
    edges = [(0, 1, 60.0, 10.0), (1, 2, 60.0, 10.0), (0, 2, 300.0, 10.0)]
    p = toy_problem(3, edges, {0: 100}, {1: 0, 2: 1}, safe_capacity=[50.5, np.inf], horizon_s=7200)
    own = simulate(p, check=True)
    assert [z["assigned"] for z in own.summary(p)["safe_zones"]] == [50, 50]
    assert own.evacuated == 100 and own.en_route == 0 and np.isfinite(own.evacuation_time_s)
    pl = plan(p)
    assert np.bincount(pl.safe_zone, weights=pl.count).tolist() == [50, 50]
    follow = simulate(p, pl, check=True)
    assert [z["assigned"] for z in follow.summary(p)["safe_zones"]] == [50, 50] and follow.evacuated == 100
    # with no other zone, 50 are safe and 50 stranded (a result, not people en route for ever)
    alone = toy_problem(2, [(0, 1, 60.0, 10.0)], {0: 100}, {1: 0}, safe_capacity=[50.5], horizon_s=7200)
    r = simulate(alone, check=True)
    assert (r.evacuated, r.stranded, r.en_route) == (50, 50, 0)
    pa = plan(alone)
    assert pa.evacuated == 50 and int(pa.unplanned.sum()) == 50


def test_group_walking_speeds_differ():
    # edges of 100 m at 1 m/s; group 1 walks at 0.5 m/s
    p = toy_problem(3, [(0, 1, 100.0, 50.0), (1, 2, 100.0, 50.0)], [(0, 10, 0, 0), (0, 10, 0, 1)], {2: 0},
                    group_speeds_mps=[0.5], horizon_s=3600)
    r = simulate(p, check=True)
    by_row = {int(row): t for row, t in zip(r.arrival_row, r.arrival_start_s, strict=True)}
    assert by_row[0] == pytest.approx(200.0)
    assert by_row[1] == pytest.approx(400.0)


def test_exposure_after_deadline():
    # 100 persons through capacity 0.5: clearing takes 200 s + 60 s; deadline at 120 s
    p = toy_problem(2, [(0, 1, 60.0, 0.5)], {0: 100}, {1: 0}, deadlines_s=[120.0], horizon_s=3600)
    r = simulate(p, packet_size=10, check=True)
    s = r.summary(p)
    zone = s["danger_zones"][0]
    assert zone["met"] is False
    assert 30 <= s["exposed"] <= 100
    assert zone["exposure_person_min"] > 0
    # an earlier onset exposes everyone still at home or on the way
    r2 = simulate(p, packet_size=10, events=[DangerOnset(0, 0.0)], check=True)
    assert r2.exposed == 100


def test_unreachable_people_are_not_simulated():
    p = toy_problem(4, [(0, 1, 60.0, 1.0)], {0: 50, 2: 30}, {1: 0}, horizon_s=3600)
    r = simulate(p, check=True)
    s = r.summary(p)
    assert (s["evacuees"], s["evacuated"], s["unreachable"]) == (80, 50, 30)
    assert s["evacuation_time_min"] is not None


def test_validation_errors():
    p = toy_problem(2, [(0, 1, 60.0, 1.0)], {0: 5}, {1: 0}, horizon_s=600)
    with pytest.raises(ValueError, match="dt_s"):
        simulate(p, dt_s=30)
    with pytest.raises(ValueError, match="compliance"):
        simulate(p, compliance=1.5)
    with pytest.raises(ValueError, match="packet_size"):
        simulate(p, packet_size=0)


def test_python_engine_gives_identical_results(edge_of, plan_of):
    edges = [(0, 1, 30.0, 2.0, 50.0), (2, 1, 30.0, 2.0, 50.0), (1, 3, 60.0, 1.5, 40.0), (0, 2, 20.0, 3.0),
             (1, 4, 90.0, 1.0), (4, 3, 10.0, 5.0)]
    cdf = [np.linspace(0, 1, 6)]
    p = toy_problem(5, edges, {0: 300, 2: 200}, {3: 0}, departure_cdf=cdf, deadlines_s=[300.0], horizon_s=7200)
    plan = plan_of(p, [(0, 300, 0.0, [0, 1, 3]), (1, 200, 60.0, [2, 1, 3])])
    events = [EdgeClosure(edge_of(p, 1, 3), 400.0), CapacityDrop(edge_of(p, 0, 1), 100.0, 0.5)]
    a = simulate(p, plan, compliance=0.7, events=events, seed=3, check=True)
    b = simulate(p, plan, compliance=0.7, events=events, seed=3, check=True, engine="python")
    for f in ("arrival_start_s", "arrival_end_s", "arrival_count", "arrival_row", "edge_records",
              "exposure_person_min_by_zone"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert a.exposed == b.exposed and a.evacuated == b.evacuated == 500


def test_reproduces_planner_evacuation_time_without_congestion():
    planner = pytest.importorskip("evacplan.planning")
    rng = np.random.default_rng(5)
    side = 5
    edges = []
    for i in range(side):
        for j in range(side):
            u = i * side + j
            for v in ([u + 1] if j + 1 < side else []) + ([u + side] if i + 1 < side else []):
                t = float(rng.integers(1, 4)) * 60.0  # whole planning steps: the plan's times are then exact
                edges += [(u, v, t, 100.0), (v, u, t, 100.0)]
    sources = {int(u): 40 for u in rng.choice(np.arange(6, 19), size=6, replace=False)}
    p = toy_problem(side * side, edges, sources, {0: 0, side * side - 1: 1}, horizon_s=3 * 3600.0)
    plan = planner.plan(p, method="fast")
    r = simulate(p, plan, compliance=1.0, check=True)
    assert r.evacuated == sum(sources.values())
    # the last person is safe within the plan's last arrival window (on empty streets groups leave at once, so
    # early in it), never after it by more than a step of the simulator
    assert plan.evacuation_time_s - plan.time_step_s <= r.evacuation_time_s <= plan.evacuation_time_s + 10.0


def test_gridlock_and_stuck_time():
    # a ring 0->1->2->3->0 holding one packet per edge; everyone wants to go two nodes on: circular waiting
    ring = [(i, (i + 1) % 4, 30.0, 2.0, 10.0) for i in range(4)]
    p = toy_problem(4, ring, {i: 100 for i in range(4)}, {0: 0, 1: 1, 2: 2, 3: 3}, horizon_s=3600.0)
    dest = np.array([(int(o) + 2) % 4 for o in p.demand.origin])
    locked = simulate(p, destination=dest, stuck_s=None, check=True)
    assert locked.evacuated == 0 and locked.en_route == 400
    freed = simulate(p, destination=dest, stuck_s=60.0, check=True)
    assert freed.evacuated == 400


def test_safe_by_deadline_follows_the_bottleneck():
    # 1000 persons through 2 persons/s after 80 s of walking: about 2 * (380 - 80) = 600 are safe by 380 s
    p = toy_problem(3, [(0, 1, 30.0, 100.0), (1, 2, 50.0, 2.0)], {0: 1000}, {2: 0}, deadlines_s=[380.0],
                    horizon_s=7200)
    r = simulate(p, packet_size=10, check=True)
    assert abs(r.safe_by(0, 380.0) - 600) <= 20
    assert r.safe_by(0, 0.0) == 0 and r.safe_by(0, 1e9) == r.safe_by(0, float("inf")) == 1000
    (zone,) = r.summary(p)["danger_zones"]
    assert zone["safe_by_deadline"] == r.safe_by(0, 380.0) and not zone["met"]
