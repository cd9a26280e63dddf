"""Deadline certificates: hand-solved cases and an independent referee (max flow over time by each deadline)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evacplan.planning import plan, read_plan, validate_plan, write_plan
from evacplan.planning.deadlines import deadline_certificates, deadline_horizon
from evacplan.planning.model import planning_model
from evacplan.planning.result import plan_from_paths
from evacplan.problem.toy import toy_problem

from .referee import Referee

STEP = 60.0

# two zones share one street 2->3 of 1 person/s; zone 0 must be out by 10 min, zone 1 by 20 min
SHARED = [(0, 2, 60, 10.0), (1, 2, 60, 10.0), (2, 3, 60, 1.0)]


def shared_problem(**kw):
    return toy_problem(4, SHARED, {0: 500, 1: 500}, {3: 0}, danger={0: 0, 1: 1}, deadlines_s=[600, 1200],
                       horizon_s=6000, **kw)


def empty_plan(problem):
    """A plan that sends nobody: every certificate is then solved as a max flow, none taken from the plan."""
    return plan_from_paths(method="none", row=[], count=[], departure_s=[], entry_s=[], arrival_s=[], safe_zone=[],
                           paths=[], unplanned=problem.demand.count.copy(), time_step_s=problem.time_step_s)


def test_shared_bottleneck_certificate_by_hand(method):
    # the street passes 60 persons per minute; the first can cross in [60 s, 120 s) and be safe in the window
    # starting at 120 s; windows starting 120 .. 540 s end by the 600 s deadline: 8 x 60 = 480 persons at most
    p = shared_problem()
    result = plan(p, method=method)
    validate_plan(p, result)
    urgent, later = result.deadlines
    assert (urgent.name, urgent.population, urgent.max_safe_by_deadline) == ("danger0", 500, 480)
    assert urgent.exact and not urgent.can_be_met
    assert urgent.safe_by_deadline <= 480 and urgent.gap == 480 - urgent.safe_by_deadline
    # who is left and why: 20 persons at node 0, the street 2->3 is the cut, +1 person/s gets them all out
    assert urgent.left_by_origin == ((0, 20),) and urgent.left_origins == 1
    assert [c.kind for c in urgent.cut] == ["street"] and urgent.cut[0].index == int(np.flatnonzero(
        (p.network.tail == 2) & (p.network.head == 3))[0])
    assert urgent.cut[0].persons == 480 and "2->3" in urgent.cut[0].name
    assert urgent.extra == ((urgent.cut[0].name, "+1 person/s", 20),)
    assert "at most 480 of 500 people can be safe by 10 min" in urgent.sentence() and "2->3" in urgent.sentence()
    # 1000 persons through 60 per minute: by 20 min, zone 1 alone could get all 500 out ...
    assert later.max_safe_by_deadline == 500 and later.can_be_met and later.cut == ()
    # ... and still once zone 0 has sent everyone it can by 20 min (all 500): windows starting 120 .. 1140 s
    # carry 18 x 60 = 1080 persons, room for all 1000
    cert = deadline_certificates(p, planning_model(p), empty_plan(p))
    assert cert[1].max_safe_after_earlier == 500


def test_cut_and_bottlenecks_name_the_street():
    # the only way out, 2->3, is a named street: the cut, the extra capacity and the bottlenecks say its name
    names = ["Triq il-Kbira", None, "Triq il-Kbira San Guzepp"]
    p = shared_problem(names=names)
    result = plan(p)
    urgent = result.deadlines[0]
    e = urgent.cut[0].index
    assert (int(p.network.tail[e]), int(p.network.head[e])) == (2, 3)
    assert urgent.cut[0].name == "Triq il-Kbira San Guzepp (from node 2 to 3)"
    assert "the limit is Triq il-Kbira San Guzepp (from node 2 to 3)" in urgent.sentence()
    assert urgent.extra == (("Triq il-Kbira San Guzepp (from node 2 to 3)", "+1 person/s", 20),)
    assert urgent.to_dict()["limits"][0]["name"].startswith("Triq il-Kbira San Guzepp")
    assert result.bottlenecks[0].startswith(f"Triq il-Kbira San Guzepp (from node 2 to 3, index {e}) at capacity")
    from evacplan.report.geodata import _plan_bottleneck_edges, edge_metrics

    assert _plan_bottleneck_edges(result) == [e]
    table = edge_metrics(p, result)
    assert table["name"].tolist() == ["Triq il-Kbira", "", "Triq il-Kbira San Guzepp"]
    assert table["bottleneck"].tolist() == [False, False, True]
    # without names the same sentences fall back to end nodes and source ids
    plain = plan(shared_problem())
    assert plain.deadlines[0].cut[0].name.startswith("edge 2->3 (source id ")
    assert plain.bottlenecks[0].startswith("edge 2->3 (source id ") and f"index {e})" in plain.bottlenecks[0]
    assert _plan_bottleneck_edges(plain) == [e]


def test_priority_figure_below_the_certificate():
    # zone 1 by 10 min as well: both zones compete for the 480 places
    p = toy_problem(4, SHARED, {0: 500, 1: 500}, {3: 0}, danger={0: 0, 1: 1}, deadlines_s=[600, 600],
                    horizon_s=6000)
    first, second = deadline_certificates(p, planning_model(p), empty_plan(p))
    assert first.max_safe_by_deadline == second.max_safe_by_deadline == 480
    assert first.max_safe_after_earlier is None  # no zone before it
    assert second.max_safe_after_earlier == 0  # zone 0 takes every place


def test_full_safe_zone_is_named_and_late_departures_counted():
    # room for 100 only; a second origin can leave only at 10 min, too late for the 5 min deadline
    cdf = [[1.0] * 101, [0.0] * 10 + [1.0] * 91]
    p = toy_problem(3, [(0, 2, 60, 10.0), (1, 2, 60, 10.0)], [(0, 300, 0), (1, 50, 1)], {2: 0},
                    safe_capacity=[100], danger={0: 0, 1: 0}, deadlines_s=[300], departure_cdf=cdf)
    (zd,) = deadline_certificates(p, planning_model(p), empty_plan(p))
    assert zd.max_safe_by_deadline == 100 and zd.late == 50
    assert zd.cut[0].kind == "safe_zone" and zd.cut[0].name == "safe zone safe0 (full)"
    assert zd.extra == (("safe zone safe0 (full)", "+10 persons of room", 10),)
    assert dict(zd.left_by_origin) == {0: 200, 1: 50}


def test_nobody_can_meet_a_deadline_shorter_than_the_walk():
    p = toy_problem(3, [(0, 1, 600, 10.0), (1, 2, 600, 10.0)], {0: 40}, {2: 0}, deadlines_s=[900], horizon_s=6000)
    (zd,) = plan(p).deadlines
    assert zd.max_safe_by_deadline == 0 and zd.safe_by_deadline == 0 and zd.late == 40
    assert "at most 0 of 40" in zd.sentence()


def test_deadlines_in_summary_and_read_back(tmp_path):
    p = shared_problem()
    result = plan(p)
    write_plan(result, p, tmp_path)
    zones = json.loads((tmp_path / "summary.json").read_text())["danger_zones"]
    assert [z["max_safe_by_deadline"] for z in zones] == [480, 500]
    assert [z["safe_by_deadline"] for z in zones] == [d.safe_by_deadline for d in result.deadlines]
    assert zones[0]["limits"][0]["kind"] == "street" and zones[0]["left_by_origin"] == [[0, 20]]
    back = read_plan(tmp_path, p)
    assert back.deadlines == result.deadlines


def test_no_deadlines_when_asked_not_to():
    assert plan(shared_problem(), deadlines=False).deadlines == ()


@st.composite
def zoned_problems(draw):
    n = draw(st.integers(3, 6))
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=12, unique=True))
    edges = [(u, v, draw(st.sampled_from([30.0, 60.0, 90.0, 150.0])), draw(st.sampled_from([0.2, 0.5, 1.0, 3.0])))
             for u, v in chosen]
    safe_nodes = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    caps = [draw(st.sampled_from([np.inf, np.inf, 40.0, 150.0])) for _ in safe_nodes]
    origins = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    curves = [[0.0, 0.3, 0.6, 1.0] + [1.0] * 57, [0.0] * 5 + [0.5] * 5 + [1.0] * 51]
    sources = [(o, draw(st.integers(1, 200)), draw(st.integers(0, 1))) for o in origins]
    danger = {o: draw(st.integers(0, 1)) for o in origins}
    if max(danger.values()) == 1 and min(danger.values()) == 1:
        danger[origins[0]] = 0
    n_zones = max(danger.values()) + 1
    deadlines = [draw(st.sampled_from([120.0, 300.0, 600.0, 1200.0])) for _ in range(n_zones)]
    return toy_problem(n, edges, sources, {s: i for i, s in enumerate(safe_nodes)}, safe_capacity=caps,
                       danger=danger, deadlines_s=deadlines, departure_cdf=curves, horizon_s=3600)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zoned_problems())
def test_certificate_is_the_referees_max_flow_by_each_deadline(problem):
    model = planning_model(problem)
    ref = Referee(problem, model.zone_price_s)
    d, dl = problem.demand, problem.zones.danger_deadline_s
    certs = deadline_certificates(problem, model, empty_plan(problem))
    assert [c.zone for c in certs] == list(range(len(dl)))
    order = sorted(range(len(dl)), key=lambda z: (dl[z], z))
    for c in certs:
        rows = [int(r) for r in np.flatnonzero(d.danger == c.zone)]
        horizon = deadline_horizon(float(dl[c.zone]), problem.time_step_s)
        assert c.exact
        assert c.max_safe_by_deadline == (ref.flow(horizon, rows) if horizon >= 0 else 0)
        earlier = [int(r) for r in np.flatnonzero(np.isin(d.danger, order[:order.index(c.zone)]))]
        if earlier and c.max_safe_after_earlier is not None:
            lex = ref.flow(horizon, earlier + rows) - ref.flow(horizon, earlier)
            assert c.max_safe_after_earlier == lex <= c.max_safe_by_deadline
    for method in ("fast", "exact"):
        result = plan(problem, method=method)
        for c, mine in zip(certs, result.deadlines, strict=True):
            assert mine.max_safe_by_deadline == c.max_safe_by_deadline
            assert mine.safe_by_deadline <= c.max_safe_by_deadline
            arrived = (d.danger[result.row] == c.zone) & (result.arrival_s <= dl[c.zone] + 1e-6)
            assert mine.safe_by_deadline == int(result.count[arrived].sum())


def test_several_classes_give_a_relaxation_bound():
    # a slower group: two travel classes, so the certificate comes from the relaxation (an upper bound)
    p = toy_problem(4, SHARED, [(0, 300, 0, 0), (0, 200, 0, 1), (1, 500, 0, 0)], {3: 0}, danger={0: 0, 1: 1},
                    deadlines_s=[600, 1200], horizon_s=6000, group_speeds_mps=[0.5])
    result = plan(p)
    urgent = result.deadlines[0]
    assert not urgent.exact
    assert urgent.safe_by_deadline <= urgent.max_safe_by_deadline <= 480
    assert urgent.max_safe_by_deadline == pytest.approx(480, abs=60)


def test_cli_prints_the_certificate(tmp_path, monkeypatch, capsys):
    import evacplan.problem
    from evacplan.cli.plan_cmd import plan_command

    p = shared_problem()
    monkeypatch.setattr(evacplan.problem, "load_problem", lambda scenario, **kw: p, raising=False)
    # the quickest objective's optimum happens to serve the later zone first
    plan_command(None, out=tmp_path / "out", method="exact", objective="quickest", time_limit=None,
                 force=False, no_cache=False)
    out = " ".join(capsys.readouterr().out.split())  # rich wraps lines at the terminal's width
    assert "Safe by each danger zone's deadline" in out and "danger0" in out and "480" in out
    assert "at most 480 of 500 people can be safe by 10 min; this plan brings 0" in out
    plan_command(None, out=tmp_path / "again", method="exact", objective="auto", time_limit=None,
                 force=False, no_cache=False)
    out = " ".join(capsys.readouterr().out.split())
    assert "at most 480 of 500 people can be safe by 10 min; this plan brings 480" in out


def test_relaxation_leaves_out_who_is_too_slow_to_make_it():
    """Ten persons walk at 1 m/s and ten at 0.5 m/s over one wide street of 600 s (1,200 s for the slow ones): by a
    900 s deadline only the fast ten can be safe, on empty streets. The relaxation moves every class at the fastest
    class's pace, so it would count all twenty; the slow ten are left out of it, and the bound is the ten the plan
    brings, all named as too late."""
    p = toy_problem(2, [(0, 1, 600.0, 10.0)], [(0, 10, 0, 0), (0, 10, 0, 1)], {1: 0}, deadlines_s=[900],
                    horizon_s=6000, group_speeds_mps=[0.5])
    result = plan(p)
    cert = result.deadlines[0]
    assert not cert.exact
    assert cert.safe_by_deadline == cert.max_safe_by_deadline == 10
    assert cert.late == 10
    # by 1,320 s the slow ten can make it too (safe in the window starting at 1,200 s)
    p = toy_problem(2, [(0, 1, 600.0, 10.0)], [(0, 10, 0, 0), (0, 10, 0, 1)], {1: 0}, deadlines_s=[1320],
                    horizon_s=6000, group_speeds_mps=[0.5])
    cert = deadline_certificates(p, planning_model(p), empty_plan(p))[0]
    assert cert.max_safe_by_deadline == 20 and cert.late == 0
