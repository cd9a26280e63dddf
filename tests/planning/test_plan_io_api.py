"""Plan files round-trip; the public API is what it says; the CLI command writes a plan."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

import evacplan.planning as planmod
from evacplan.errors import InvalidPlanError
from evacplan.planning import plan, read_plan, validate_plan, write_plan
from evacplan.problem.toy import toy_problem


@pytest.fixture
def problem():
    edges = [(0, 1, 120, 1.0), (1, 3, 120, 1.0), (0, 2, 120, 1.0), (2, 3, 180, 1.0), (4, 0, 60, 1.0)]
    return toy_problem(5, edges, {0: 300, 1: 100, 4: 50}, {3: 0}, safe_capacity=[420], horizon_s=6000)


def test_write_read_round_trip(problem, tmp_path, method):
    result = plan(problem, method=method)
    write_plan(result, problem, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edge_flows.parquet", "groups.parquet", "steps.parquet",
                                                          "summary.json"]
    back = read_plan(tmp_path, problem)
    validate_plan(problem, back)
    for name in ("row", "count", "safe_zone", "path_start", "step_edge", "step_next", "step_len", "unplanned",
                 "edge_full_windows"):
        assert np.array_equal(getattr(back, name), getattr(result, name)), name
    for name in ("departure_s", "arrival_s", "step_to_go_s", "departure_span_s"):
        assert np.allclose(getattr(back, name), getattr(result, name)), name
    assert result.departure_span_s.shape == (result.n_groups,)
    assert back.evacuation_time_s == pytest.approx(result.evacuation_time_s)
    assert back.lower_bound_s == pytest.approx(result.lower_bound_s)
    assert back.bottlenecks == result.bottlenecks and back.method == method


def test_summary_and_tables(problem, tmp_path):
    result = plan(problem)
    write_plan(result, problem, tmp_path)
    s = json.loads((tmp_path / "summary.json").read_text())
    for key in ("evacuees", "evacuated", "unreachable", "evacuation_time_min", "lower_bound_min", "gap", "t50_min",
                "t90_min", "danger_zones", "safe_zones", "method", "runtime_s"):
        assert key in s
    assert s["evacuees"] == 450 and s["evacuated"] == 420
    assert s["t50_min"] <= s["t90_min"] <= s["evacuation_time_min"]
    dz = s["danger_zones"][0]
    assert set(dz) >= {"name", "population", "clearance_min", "deadline_min", "met"} and dz["met"] is False
    assert s["safe_zones"][0] == {"name": "safe0", "assigned": 420, "capacity": 420.0}
    groups = pq.read_table(tmp_path / "groups.parquet").to_pandas()
    assert {"origin", "group", "mode", "count", "departure_min", "destination", "arrival_min", "path_start",
            "path_edges"} <= set(groups)
    steps = pq.read_table(tmp_path / "steps.parquet").to_pandas()
    first = groups.iloc[0]
    nodes, s = [first["origin"]], first["path_start"]
    while s >= 0:  # follow the linked steps from the group's first one
        assert steps["from"][s] == nodes[-1]
        nodes.append(steps["to"][s])
        s = steps["next"][s]
    assert nodes[-1] == 3 and len(nodes) == first["path_edges"] + 1
    flows = pq.read_table(tmp_path / "edge_flows.parquet").to_pandas()
    assert list(flows.columns) == ["edge", "from", "to", "bin_start_min", "persons"]
    # persons entering the first edge of every path add up to the persons that had to move
    assert flows["persons"].sum() == result.count @ result.path_length()


def test_exported_names():
    assert set(planmod.__all__) == {
        "METHODS", "OBJECTIVES", "Plan", "UnsupportedProblemError", "plan", "read_plan", "validate_plan", "write_plan"
    }
    for name in planmod.__all__:
        assert getattr(planmod, name) is not None


def test_validate_plan_catches_overload(problem):
    from dataclasses import replace

    result = plan(problem)
    bad = replace(result, count=result.count * 5, unplanned=result.unplanned - 0)
    with pytest.raises(InvalidPlanError, match="invalid plan"):
        validate_plan(problem, bad)


def test_cli_plan_command(problem, tmp_path, monkeypatch):
    import evacplan.problem
    from evacplan.cli.plan_cmd import plan_command

    monkeypatch.setattr(evacplan.problem, "load_problem", lambda scenario, **kw: problem, raising=False)
    plan_command(None, out=tmp_path / "out", method="fast", objective="auto", time_limit=None,
                 force=False, no_cache=False)
    assert (tmp_path / "out" / "summary.json").exists()


def test_validate_plan_names_the_street_and_the_zone():
    from dataclasses import replace

    from evacplan.problem.toy import toy_problem

    # one named street of 1 person/s into a safe zone with room for 100: five times the people overload both
    p = toy_problem(3, [(0, 1, 60, 10.0), (1, 2, 60, 1.0)], {0: 100}, {2: 0}, safe_capacity=[100],
                    names=["Triq il-Kbira", "Triq San Pawl"], horizon_s=6000)
    result = plan(p)
    validate_plan(p, result)
    bad = replace(result, count=result.count * 5)
    with pytest.raises(InvalidPlanError) as info:
        validate_plan(p, bad)
    text = str(info.value)
    assert "worst Triq San Pawl (from node 1 to 2, index 1)" in text
    assert "safe zones over capacity: safe0 (500 of 100)" in text


def grid_problem(k: int = 12, persons: int = 20000):
    """A k x k grid of two-way streets of 1 person/s, walkers of two speeds in the middle row, safe zones at the
    four corners (two travel classes: the certificate probes the relaxation)."""
    edges = []
    for i in range(k):
        for j in range(k):
            v = i * k + j
            if j + 1 < k:
                edges += [(v, v + 1, 60, 1.0), (v + 1, v, 60, 1.0)]
            if i + 1 < k:
                edges += [(v, v + k, 60, 1.0), (v + k, v, 60, 1.0)]
    src = [((k // 2) * k + j, persons // k, 0, g) for j in range(1, k - 1) for g in (0, 1)]
    corners = {0: 0, k - 1: 1, k * (k - 1): 2, k * k - 1: 3}
    return toy_problem(k * k, edges, src, corners, horizon_s=40000, group_speeds_mps=[0.6])


def test_time_limit_keeps_tightening_the_bound():
    import time

    from evacplan.planning.api import plan_horizon
    from evacplan.planning.bounds import certify
    from evacplan.planning.model import planning_model

    p = grid_problem(14)  # a grid whose flow bound beats the analytic ones
    model = planning_model(p)
    none = plan(p, time_limit_s=0.0, deadlines=False)  # no max flow at all: the analytic bounds only
    default = plan(p, deadlines=False)
    validate_plan(p, none)
    assert none.lower_bound_s < default.lower_bound_s
    # a fixed budget of one probe stops early; a time budget keeps bisecting until every horizon is decided
    upper = plan_horizon(default, p.time_step_s)
    one = certify(p, model, default.evacuated, upper, max_probes=1)
    timed = certify(p, model, default.evacuated, upper, max_probes=1, stop_at=time.perf_counter() + 120)
    assert one.probes == 1 and timed.probes > 1
    assert one.bins <= timed.bins == default.lower_bound_s / p.time_step_s


def test_a_plan_without_spans_reads_back_without_spans(problem, tmp_path):
    """A hand-made plan does not say how long its groups take to leave: written and read back it still does not
    (an empty ``departure_span_s``: the whole window), rather than spans of 0 its paths would not allow."""
    from evacplan.planning.result import plan_from_paths

    e = int(np.flatnonzero((problem.network.tail == 0) & (problem.network.head == 1))[0])
    hand = plan_from_paths(method="hand", row=np.array([0]), count=np.array([10]), departure_s=np.array([0.0]),
                           entry_s=[np.array([0.0])], arrival_s=np.array([120.0]), safe_zone=np.array([0]),
                           paths=[np.array([e])], unplanned=problem.demand.count - np.array([10, 0, 0]))
    write_plan(hand, problem, tmp_path)
    back = read_plan(tmp_path, problem)
    assert hand.departure_span_s.size == back.departure_span_s.size == 0
    assert np.array_equal(back.spans_s(), hand.spans_s())
