"""Outputs of a simulation (files, schema, sparsity) and the ``simulate`` command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import evacplan.problem
import evacplan.simulation
from evacplan.cli.simulate_cmd import simulate_command
from evacplan.problem.toy import toy_problem
from evacplan.simulation import simulate, write_simulation

SUMMARY_KEYS = {
    "evacuees", "evacuated", "unreachable", "evacuation_time_min", "t50_min", "t90_min", "danger_zones",
    "safe_zones", "exposed", "exposure_person_min", "max_queue", "runtime_s",
}


@pytest.fixture
def problem():
    edges = [(0, 1, 60.0, 2.0), (1, 2, 60.0, 1.0, 30.0), (2, 1, 60.0, 1.0), (3, 1, 30.0, 2.0), (1, 4, 200.0, 3.0)]
    cdf = [np.clip(np.arange(31) / 10, 0, 1)]
    return toy_problem(5, edges, {0: 300, 3: 200}, {2: 0, 4: 1}, safe_capacity=[250, np.inf],
                       departure_cdf=cdf, deadlines_s=[1200.0], horizon_s=3 * 3600.0)


def test_exported_names_match_all():
    assert sorted(evacplan.simulation.__all__) == sorted(
        ["DEFAULT_STUCK_S", "CapacityDrop", "DangerOnset", "EdgeClosure", "Event", "SimulationResult", "simulate",
         "write_simulation"]
    )
    for name in evacplan.simulation.__all__:
        assert hasattr(evacplan.simulation, name)


def test_write_simulation(problem, tmp_path):
    r = simulate(problem)
    paths = write_simulation(r, problem, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clearance.parquet", "edge_states.parquet", "summary.json"]
    s = json.loads(paths["summary"].read_text())
    assert SUMMARY_KEYS <= set(s)
    assert s["evacuees"] == 500 and s["evacuated"] == 500
    assert [z["name"] for z in s["safe_zones"]] == ["safe0", "safe1"]
    assert s["safe_zones"][0]["assigned"] == 250 and s["safe_zones"][0]["capacity"] == 250
    zone = s["danger_zones"][0]
    assert set(zone) >= {"name", "population", "clearance_min", "deadline_min", "met"}
    clear = pd.read_parquet(paths["clearance"])
    allz = clear[clear.kind == "all"].sort_values("minute")
    assert np.all(np.diff(allz.evacuated) >= -1e-9)
    assert allz.evacuated.iloc[-1] == pytest.approx(500)
    assert clear[clear.kind == "safe"].groupby("zone").evacuated.max().to_dict() == pytest.approx(
        {"safe0": 250, "safe1": 250}
    )
    states = pd.read_parquet(paths["edge_states"])
    assert {"minute", "edge", "flow_persons", "queue_persons", "persons"} <= set(states.columns)
    assert ((states.flow_persons > 0) | (states.persons > 0)).all()  # sparse: only active edges
    assert states.groupby("edge").flow_persons.sum().max() <= 500
    assert s["max_queue"]["persons"] == states.queue_persons.max()


def test_no_partial_files_left(problem, tmp_path):
    write_simulation(simulate(problem), problem, tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_simulate_command(problem, tmp_path, monkeypatch):
    monkeypatch.setattr(evacplan.problem, "load_problem", lambda scenario, **kw: problem)
    app = typer.Typer()
    app.command()(simulate_command)
    out = tmp_path / "sim"
    res = CliRunner().invoke(app, ["--out", str(out), "--compliance", "0.5"])
    assert res.exit_code == 0, res.output
    assert "Evacuated" in res.output
    assert json.loads((out / "summary.json").read_text())["evacuated"] == 500


def test_command_and_library_agree(problem, tmp_path, monkeypatch):
    # `evacplan simulate --plan` and `simulate()` with the same inputs and seed give the same result (one stuck-time
    # default, one compliance draw, the plan read back exactly)
    from evacplan.planning import plan, read_plan, write_plan

    monkeypatch.setattr(evacplan.problem, "load_problem", lambda scenario, **kw: problem)
    p = plan(problem)
    write_plan(p, problem, tmp_path / "plan")
    app = typer.Typer()
    app.command()(simulate_command)
    out = tmp_path / "sim"
    res = CliRunner().invoke(app, ["--plan", str(tmp_path / "plan"), "--out", str(out), "--compliance", "0.5",
                                   "--seed", "3"])
    assert res.exit_code == 0, res.output
    from_cli = json.loads((out / "summary.json").read_text())
    lib = simulate(problem, read_plan(tmp_path / "plan", problem), compliance=0.5, seed=3)
    expected = json.loads(json.dumps(lib.summary(problem)))
    for d in (from_cli, expected):
        d.pop("runtime_s", None)
    assert {k: v for k, v in from_cli.items() if k not in ("schema", "scenario")} == expected
    assert from_cli["evacuated"] == 500
    # and the plan read back is the plan simulated: same result as the plan in memory
    direct = simulate(problem, p, compliance=0.5, seed=3)
    assert np.array_equal(direct.arrival_end_s, lib.arrival_end_s)
    assert np.array_equal(direct.arrival_count, lib.arrival_count)
