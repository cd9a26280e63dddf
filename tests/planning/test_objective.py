"""The deadlines objective: the earliest-deadline zone first, then the next, then the quickest evacuation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from evacplan.planning import plan, read_plan, validate_plan, write_plan
from evacplan.planning.deadlines import deadline_horizon
from evacplan.planning.model import planning_model
from evacplan.planning.priority import deadline_key, exact_deadline_groups, resolve_objective
from evacplan.problem.toy import toy_problem

from .referee import Referee
from .test_deadlines import SHARED, zoned_problems


def urgent_second_problem():
    # two zones share the street 2->3 (60 persons a minute); the urgent zone (out by 10 min) lives at node 1, the
    # other (out by 20 min) at node 0, listed first: first come first served gives the street to node 0
    return toy_problem(4, SHARED, {0: 500, 1: 500}, {3: 0}, danger={0: 1, 1: 0}, deadlines_s=[600, 1200],
                       horizon_s=6000)


def test_auto_objective_follows_the_deadlines():
    p = urgent_second_problem()
    assert resolve_objective(p, "auto") == "deadlines"
    free = toy_problem(3, [(0, 1, 60, 1.0), (1, 2, 60, 1.0)], {0: 10}, {2: 0}, deadlines_s=[np.inf], horizon_s=6000)
    assert resolve_objective(free, "auto") == "quickest"
    with pytest.raises(ValueError, match="unknown planning objective 'soonest'"):
        resolve_objective(p, "soonest")


@pytest.mark.parametrize("method", ["fast", "exact"])
def test_urgent_zone_goes_first_and_reaches_its_bound(method):
    # by 10 min the street lets 480 through (windows starting 120 .. 540 s); the deadlines plan gives them all to
    # the urgent zone, and still brings the other zone's 500 out by 20 min, finishing as early as the quickest plan
    p = urgent_second_problem()
    result = plan(p, method=method, objective="deadlines")
    validate_plan(p, result)
    urgent, later = result.deadlines
    assert urgent.max_safe_by_deadline == 480 and urgent.safe_by_deadline == 480
    assert later.safe_by_deadline == 500
    assert result.objective == "deadlines" and result.evacuation_time_s == result.quickest_time_s == 19 * 60
    quickest = plan(p, method=method, objective="quickest")
    assert quickest.objective == "quickest" and np.isnan(quickest.quickest_time_s)
    assert deadline_key(p, result) >= deadline_key(p, quickest)


def test_routed_quickest_plan_serves_the_first_listed_zone():
    # what the objective changes: the route scheduler serves first come first served, so its quickest plan sends
    # node 0 first. Two travel classes (of the same speed) keep fast on its routes: for one class it solves the
    # exact network, whose quickest plan favours neither zone by design
    p = toy_problem(4, SHARED, [(0, 500, 0, 0), (1, 500, 0, 1)], {3: 0}, danger={0: 1, 1: 0},
                    deadlines_s=[600, 1200], horizon_s=6000, group_speeds_mps=[1.0, 1.0])
    quickest = plan(p, objective="quickest")
    assert quickest.deadlines[0].safe_by_deadline == 0 and quickest.evacuation_time_s == 19 * 60
    by_deadlines = plan(p, objective="deadlines")
    assert by_deadlines.deadlines[0].safe_by_deadline == 480 and by_deadlines.evacuation_time_s == 19 * 60


def test_objective_in_summary_and_read_back(tmp_path):
    p = urgent_second_problem()
    result = plan(p)
    write_plan(result, p, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["objective"] == "deadlines" and summary["quickest_time_min"] == 19.0
    back = read_plan(tmp_path, p)
    assert back.objective == "deadlines" and back.quickest_time_s == result.quickest_time_s


def test_exact_phases_leave_no_capacity_used_twice():
    # three zones through one street: each phase plans on what the earlier ones left; the plan validates
    p = toy_problem(5, [*SHARED, (4, 2, 60, 10.0)], {0: 300, 1: 300, 4: 300}, {3: 0},
                    danger={0: 2, 1: 0, 4: 1}, deadlines_s=[360, 600, 900], horizon_s=6000)
    _groups, unplanned, probes = exact_deadline_groups(p, planning_model(p))
    assert unplanned.sum() == 0 and probes >= 4
    result = plan(p, method="exact", objective="deadlines")
    validate_plan(p, result)
    # windows starting 120 .. 300 s end by 6 min: 240 of zone 0; then 600 s: 480 - 240 = 240 of zone 1
    assert [z.safe_by_deadline for z in result.deadlines] == [240, 240, 300]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zoned_problems())
def test_first_zone_reaches_the_referees_maximum(problem):
    # against an independent time-expanded max flow: the exact deadlines plan brings the earliest-deadline zone's
    # maximum to safety by its deadline; no plan exceeds a certificate; both plans are valid; the deadlines plan is
    # never worse than the quickest one on the objective
    model = planning_model(problem)
    ref = Referee(problem, model.zone_price_s)
    d, dl = problem.demand, problem.zones.danger_deadline_s
    first = min(range(len(dl)), key=lambda z: (dl[z], z))
    rows = [int(r) for r in np.flatnonzero(d.danger == first)]
    horizon = deadline_horizon(float(dl[first]), problem.time_step_s)
    best = ref.flow(horizon, rows) if horizon >= 0 else 0
    for method in ("exact", "fast"):
        result = plan(problem, method=method, objective="deadlines")
        validate_plan(problem, result)
        quickest = plan(problem, method=method, objective="quickest", deadlines=False)
        assert deadline_key(problem, result) >= deadline_key(problem, quickest)
        for c in result.deadlines:
            assert c.safe_by_deadline <= c.max_safe_by_deadline
        mine = next(c for c in result.deadlines if c.zone == first)
        assert mine.max_safe_by_deadline == best
        if method == "exact":
            assert mine.safe_by_deadline == best


def test_cli_objective(tmp_path, monkeypatch, capsys):
    import typer

    import evacplan.problem
    from evacplan.cli.plan_cmd import plan_command

    p = urgent_second_problem()
    monkeypatch.setattr(evacplan.problem, "load_problem", lambda scenario, **kw: p, raising=False)
    plan_command(None, out=tmp_path / "out", method="fast", objective="deadlines", time_limit=None,
                 force=False, no_cache=False)
    out = " ".join(capsys.readouterr().out.split())
    assert "│ objective │ deadlines │" in out
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["objective"] == "deadlines" and summary["danger_zones"][0]["safe_by_deadline"] == 480
    with pytest.raises(typer.BadParameter, match="unknown objective 'first'"):
        plan_command(None, out=tmp_path / "again", method="fast", objective="first", time_limit=None, force=False,
                     no_cache=False)
    assert not (tmp_path / "again").exists()


@pytest.mark.parametrize("method", ["fast", "exact"])
def test_fixed_flows_can_fill_the_only_zone_some_can_reach(method):
    # people at node 2 (a safe zone with room for 75) cannot leave it; the first phase's max flow may send others
    # there: the rest is then planned for what it can still reach (found by the referee test)
    cdf = [[0.0, 0.3, 0.6, 1.0] + [1.0] * 57, [0.0] * 6 + [0.5] * 4 + [1.0] * 51]
    p = toy_problem(3, [(0, 1, 200, 0.05), (0, 2, 60, 0.05), (1, 2, 75, 0.2)],
                    [(1, 300, 0), (0, 361, 0), (2, 292, 1)], {1: 0, 2: 1}, safe_capacity=[np.inf, 75.0],
                    departure_cdf=cdf, horizon_s=3600)
    _, unplanned, _ = exact_deadline_groups(p, planning_model(p))
    assert int(unplanned.sum()) >= 953 - 736
    result = plan(p, method=method, objective="deadlines")
    validate_plan(p, result)
    assert result.evacuated == 736  # the quickest plan is kept: it is as good on the deadline and plans more


def test_coarse_windows_make_one_tiered_schedule(monkeypatch):
    # tables over the memory budget: fast coarsens its windows and, for the deadlines objective, makes the tiered
    # schedule only (no quickest plan beside it): the urgent zone still first, its time reported as the quickest
    from evacplan.planning import api

    calls = []
    schedule = api.fast_groups

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(bool(kwargs.get("tiers")))
        return schedule(*args, **kwargs)

    monkeypatch.setattr(api, "fast_groups", counted)
    p = urgent_second_problem()
    model = planning_model(p)
    monkeypatch.setattr(api, "TABLE_BUDGET", 1.0)  # the coarsening is then the tables' bytes
    monkeypatch.setattr(api, "TABLE_BUDGET", api.coarsening(p, model, np.flatnonzero(model.usable)) / 2.0)
    result = plan(p, objective="deadlines")
    validate_plan(p, result)
    assert result.time_step_s == 120.0 and calls == [True]
    assert result.deadlines[0].safe_by_deadline == result.deadlines[0].max_safe_by_deadline > 0
    assert result.quickest_time_s == result.evacuation_time_s
