"""``evacplan ensemble`` end to end on a real scenario, and the report section it feeds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import evacplan.ensemble
from evacplan.cli import app
from evacplan.ensemble import UncertaintySpec, report_section, run_ensemble
from evacplan.problem.problem import Problem

runner = CliRunner()
# The small Helsinki scenario (the bundled default before it moved to true scale). The bundled default now has a
# million evacuees on 33,000 nodes: an ensemble member there takes minutes, too slow for the test suite.
HELSINKI = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "helsinki" / "scenario.toml"


def test_exported_names_exist() -> None:
    for name in evacplan.ensemble.__all__:
        assert hasattr(evacplan.ensemble, name), name


@pytest.mark.slow
def test_cli_on_a_real_scenario_resumes(tmp_path: Path) -> None:
    out = tmp_path / "ens"
    args = ["ensemble", str(HELSINKI), "--runs", "2", "--no-plan", "--workers", "0", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2 members computed, 0 found done" in result.output
    for name in ("members.parquet", "ensemble_summary.json", "edge_bottleneck.parquet", "fan_chart.svg",
                 "ensemble.json", "members/000000.json", "members/000001.json"):
        assert (out / name).exists(), name
    summary = json.loads((out / "ensemble_summary.json").read_text())
    assert summary["uncertainty"]["compliance"] == [0.6, 1.0]  # the scenario's [uncertainty]
    assert [z["name"] for z in summary["danger_zones"]] == ["East", "Centre"]
    members = pd.read_parquet(out / "members.parquet")
    assert list(members["member"]) == [0, 1] and members["mobilization_delay_min"].nunique() == 2
    edges = pd.read_parquet(out / "edge_bottleneck.parquet")
    assert {"edge", "edge_id", "tail_id", "head_id", "p_bottleneck"} <= set(edges.columns)
    again = runner.invoke(app, [*args[:3], "3", *args[4:]])
    assert again.exit_code == 0, again.output
    assert "1 members computed, 2 found done" in again.output


def test_cli_reports_a_bad_uncertainty_file(tmp_path: Path) -> None:
    bad = tmp_path / "u.toml"
    bad.write_text("[uncertainty]\ncompliance = [0.2, 1.5]\nwalk_speed = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["ensemble", "--runs", "2", "--no-plan", "--workers", "0", "--out",
                                 str(tmp_path / "o"), "--uncertainty", str(bad)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "uncertainty.compliance" in text and "1.5" in text
    assert "uncertainty.walk_speed" in text and "walk_speed_factor" in text
    assert not (tmp_path / "o").exists()


def test_report_section_is_self_contained_html(tmp_path: Path, grid: Problem, grid_plan,
                                               spec: UncertaintySpec) -> None:
    run_ensemble(grid, tmp_path, runs=4, spec=spec, plan=grid_plan, workers=0)
    html = report_section(tmp_path)
    assert html.startswith('<section class="evacplan-ensemble">') and html.rstrip().endswith("</section>")
    assert html.count("<svg") == 1 and "<script" not in html and "href=" not in html and "src=" not in html
    assert "danger0" in html and "P(missed)" in html
    assert html.count("<tr>") >= 5
    svg = (tmp_path / "fan_chart.svg").read_text()
    assert re.search(r"<polygon points=\"[0-9., ]+\"", svg) and "danger0 deadline" in svg


def test_docs_cover_every_key_and_output(tmp_path: Path, grid: Problem, spec: UncertaintySpec) -> None:
    from evacplan.scenario.uncertainty import UNCERTAINTY_KEYS

    doc = (Path(__file__).parents[2] / "docs" / "ensemble.md").read_text(encoding="utf-8")
    for key in UNCERTAINTY_KEYS:
        assert f"`{key}" in doc, key
    run_ensemble(grid, tmp_path, runs=2, spec=spec, workers=0)
    for path in tmp_path.iterdir():
        name = "members/NNNNNN.json" if path.name == "members" else path.name
        assert f"`{name}`" in doc, name
    summary = json.loads((tmp_path / "ensemble_summary.json").read_text())
    for key in ("evacuation_time_min", "t90_min", "exposed", "exposure_person_min", "p_missed_deadline"):
        assert f"`{key}`" in doc, key
    assert "p_missed_deadline" in summary["danger_zones"][0]
