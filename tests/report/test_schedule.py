"""The departure schedule, its CSV and the printable handouts per danger zone; clock times from ``--start``."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evacplan.cli.app import app
from evacplan.report.schedule import COLUMNS, clock, departure_schedule, parse_start, route_streets

FOLDERS = ("baseline", "late-start", "blocked-road", "low-compliance")


def test_clock_times() -> None:
    assert clock(0.4) == "T+0 min" and clock(1234.6) == "T+1,235 min"
    assert clock(12.2, "06:30") == "06:42"
    assert clock(75.4, "23:30") == "00:45 (+1 day)"
    assert clock(60 * 49, "00:00") == "01:00 (+2 days)"
    assert parse_start(None) is None and parse_start("7:05") == 425
    for bad in ("24:00", "7h", "12:60", "noon"):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_start(bad)


@pytest.fixture(scope="module")
def problem_and_plan(small_run: Path):
    """The small run's baseline problem (built again from its scenario) and plan (read back)."""
    from evacplan.planning import read_plan
    from evacplan.problem import build_problem
    from evacplan.scenario import load_scenario

    problem = build_problem(load_scenario(small_run.parent / "scenario" / "scenario.toml"))
    return problem, read_plan(small_run / "baseline" / "plan", problem)


def test_schedule_rows_sum_to_the_planned_persons(problem_and_plan) -> None:
    problem, pl = problem_and_plan
    df, paths = departure_schedule(problem, pl, start="08:00", cell_m=100.0)
    assert list(df.columns) == COLUMNS and len(paths) == len(df)
    assert int(df["persons"].sum()) == int(pl.count.sum()) > 0
    assert df["area"].nunique() > 2, "100 m cells split the zones into several neighbourhoods"
    assert set(df["danger_zone"]) == {"North-east", "South-east"}
    assert (df["leave_from_min"] <= df["leave_until_min"]).all()
    assert (df["leave_until_min"] <= df["last_arrival_min"]).all()
    assert df["leave_from"].str.fullmatch(r"\d\d:\d\d").all()
    assert (df["route"].str.len() > 0).all()
    assert not df["route"].str.contains("OSM way").all(), "routes read by street names where the streets have them"
    # each route starts at one of its area's origins and ends in its safe zone
    net, zones = problem.network, problem.zones
    for nodes, safe in zip(paths, df["safe_zone"], strict=True):
        assert zones.safe_names[zones.node_safe[nodes[-1]]] == safe
    # one neighbourhood per zone with cells larger than the town
    big, _ = departure_schedule(problem, pl, cell_m=1e6)
    assert sorted(big["area"].unique()) == ["North-east, cell (0,0)", "South-east, cell (0,0)"]
    assert int(big["persons"].sum()) == int(pl.count.sum())
    assert big["leave_from"].str.startswith("T+").all()
    assert net.n_nodes > 0


def test_route_streets_names_the_longest_stretches(problem_and_plan) -> None:
    problem, pl = problem_and_plan
    gi = int(pl.count.argmax())
    edges = pl.path(gi)
    text, length = route_streets(problem, edges)
    assert 1 <= len(text.split(" > ")) <= 3
    assert length == pytest.approx(float(problem.network.length_m[edges].sum()))
    assert route_streets(problem, edges[:0])[1] == 0.0


def test_run_writes_the_schedule_and_handouts(small_run: Path) -> None:
    for folder in FOLDERS:
        path = small_run / folder / "schedule.csv"
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows and list(rows[0]) == COLUMNS
        planned = int(pd.read_parquet(small_run / folder / "plan" / "groups.parquet")["count"].sum())
        assert sum(int(r["persons"]) for r in rows) == planned
        assert all(r["leave_from"].startswith("T+") for r in rows), "no --start: minutes from the start"
        html = (small_run / folder / "handouts.html").read_text()
        a = json.loads((small_run / folder / "assessment.json").read_text())
        zones = [e["zone"] for e in a["exposure"]]
        sections = re.findall(r'<section class="handout" data-zone="([^"]+)">', html)
        assert sections == zones == ["North-east", "South-east"], "one handout per danger zone"
        for part in html.split('<section class="handout"')[1:]:
            assert '<table class=\'schedule\'>' in part and 'class="map"' in part and "Sphere" in part
            assert 'class="scalebar"' in part and 'class="north"' in part
        assert "<script" not in html and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    m = json.loads((small_run / "baseline" / "map.json").read_text())
    assert len(m["routes"]) == len(rows := list(csv.DictReader(open(small_run / "baseline" / "schedule.csv"))))
    assert all(f.get("label") for f in m["danger_zones"] + m["safe_zones"])
    assert m["streets"] and max(m["edges"]["street"]) == len(m["streets"]) - 1
    assert all("safe_by_deadline" in f["props"] for f in m["danger_zones"])
    assert rows


def test_report_shows_the_schedule(small_run: Path) -> None:
    html = (small_run / "report.html").read_text()
    assert "<section id='schedule'>" in html and 'class="sortable schedule"' in html
    assert 'href="baseline/schedule.csv"' in html and 'href="baseline/handouts.html"' in html
    assert html.index("id='schedule'") < html.index('id="map"')


def test_report_command_start(tmp_path: Path, small_run: Path) -> None:
    out = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", str(small_run), "--out", str(out), "--start", "06:15"])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "clock times from the start at 06:15" in html and ">06:15<" in html
    res = CliRunner().invoke(app, ["report", str(small_run), "--out", str(out), "--start", "25:00"])
    assert res.exit_code != 0 and "HH:MM" in res.output
