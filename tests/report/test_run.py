"""``run_scenario`` and the two commands end to end on a small scenario: files, tables, GeoPackage, HTML."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from typer.testing import CliRunner

from evacplan.cli.app import app
from evacplan.report import GPKG_LAYERS

VARIANT_FILES = ("assessment.json", "safe_zones.csv", "vulnerable.csv", "exposure.csv", "border.csv", "ete.csv",
                 "edges.csv", "routes.csv", "map.json", "evacplan.gpkg", "plan/summary.json", "plan/groups.parquet",
                 "simulation/summary.json", "simulation/clearance.parquet")
FOLDERS = ("baseline", "late-start", "blocked-road", "low-compliance")


def test_run_folder_layout(small_run: Path) -> None:
    run = json.loads((small_run / "run.json").read_text())
    assert [v["name"] for v in run["variants"]] == ["baseline", "late start", "blocked road", "low compliance"]
    assert [v["folder"] for v in run["variants"]] == list(FOLDERS)
    assert run["variants"][1]["changes"] == {"mobilization_delay_min": 10.0}
    assert run["timings_s"]["total"] > 0 and "baseline:plan" in run["timings_s"]
    assert (small_run / "report.html").exists() and (small_run / "ete.csv").exists()
    for folder in FOLDERS:
        for name in VARIANT_FILES:
            assert (small_run / folder / name).is_file(), f"{folder}/{name}"
    assert (small_run / "blocked-road" / "inputs" / "closed.geojson").is_file()
    assert not list(small_run.rglob("*.part")), "temporary files left behind"


def test_variants_change_the_results(small_run: Path) -> None:
    a = {f: json.loads((small_run / f / "assessment.json").read_text()) for f in FOLDERS}
    base, late, blocked, _ = (a[f]["summary"] for f in FOLDERS)
    assert late["t50_min"] > base["t50_min"] + 5  # everybody leaves 10 minutes later
    assert blocked["compliance"] == 0.7 and base["compliance"] == 1.0
    assert a["baseline"]["border"] is not None  # the scenario closes a line: the counterfactual is reported
    rows = list(csv.DictReader((small_run / "ete.csv").open()))
    assert {r["variant"] for r in rows} == {"baseline", "late start", "blocked road", "low compliance"}
    assert {r["zone"] for r in rows} == {"North-east", "South-east", "all"}


def test_csv_tables(small_run: Path) -> None:
    safe = list(csv.DictReader((small_run / "baseline" / "safe_zones.csv").open()))
    assert safe[0]["name"] == "West" and int(safe[0]["received"]) > 0
    assert float(safe[0]["site_m2_per_person"]) == pytest.approx(20000.0 / int(safe[0]["received"]))
    vul = list(csv.DictReader((small_run / "baseline" / "vulnerable.csv").open()))
    assert {r["group"] for r in vul} == {"reduced_mobility"}
    edges = list(csv.DictReader((small_run / "baseline" / "edges.csv").open()))
    assert sum(int(r["plan_persons"]) for r in edges) > 0
    names = {r["name"] for r in edges}
    assert {"Aleksanterinkatu", "Keskuskatu"} <= names and "" not in names  # the GraphML's street names


def test_geopackage_layers(small_run: Path) -> None:
    path = small_run / "baseline" / "evacplan.gpkg"
    names = [name for name, _ in pyogrio.list_layers(path)]
    assert names == list(GPKG_LAYERS)
    want = {
        "edges": {"edge", "from_id", "to_id", "name", "plan_persons", "sim_persons", "max_queue", "bottleneck"},
        "routes": {"origin_id", "danger_zone", "safe_zone", "persons", "first_departure_min", "last_arrival_min"},
        "danger_zones": {"name", "population", "deadline_min", "t90_min", "t100_min", "exposed", "person_minutes"},
        "safe_zones": {"name", "received", "site_m2_per_person", "site_gap_km2", "tents_needed", "water_gap_m3_day",
                       "latrines_gap", "health_units_gap"},
        "closed": {"name"},
    }
    for layer in GPKG_LAYERS:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
        assert len(gdf) > 0, layer
        assert gdf.crs is not None and gdf.crs.to_epsg() == 32635, layer  # the network's CRS (UTM 35N)
        assert gdf.geometry.notna().all() and not gdf.geometry.is_empty.any(), layer
        assert want[layer] <= set(gdf.columns), (layer, want[layer] - set(gdf.columns))
    edges = gpd.read_file(path, layer="edges")
    assert edges["plan_persons"].sum() > 0 and edges["bottleneck"].any()
    assert (edges["name"] != "").all() and edges.loc[edges["bottleneck"], "name"].str.len().gt(0).all()
    assert edges.geom_type.eq("LineString").all()
    zones = gpd.read_file(path, layer="danger_zones")
    assert zones.geom_type.isin(["Polygon", "MultiPolygon"]).all() and zones["population"].sum() > 0


def test_report_is_self_contained(small_run: Path) -> None:
    html = (small_run / "report.html").read_text()
    assert "<svg" in html and 'id="mapdata"' in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the report must not load anything"
    assert "<link" not in html and "@import" not in html
    for label in ("baseline", "late start", "blocked road", "low compliance"):
        assert label in html


def test_run_command(tmp_path: Path, small_scenario: Path) -> None:
    res = CliRunner().invoke(app, ["run", str(small_scenario), "--out", str(tmp_path / "out"), "--no-simulate"])
    assert res.exit_code == 0, res.output
    a = json.loads((tmp_path / "out" / "baseline" / "assessment.json").read_text())
    assert a["source"] == "plan" and not (tmp_path / "out" / "baseline" / "simulation").exists()
    assert "Report:" in res.output


def test_run_command_rejects_unknown_variant(tmp_path: Path, small_scenario: Path) -> None:
    res = CliRunner().invoke(app, ["run", str(small_scenario), "--out", str(tmp_path / "o"), "--variant", "nope"])
    assert res.exit_code == 2
    assert "no variant named 'nope'" in res.output


def test_report_command_side_by_side(tmp_path: Path, small_run: Path) -> None:
    out = tmp_path / "both.html"
    res = CliRunner().invoke(app, ["report", str(small_run), str(small_run / "late-start"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert f"{small_run.name} / baseline" in html and "late-start" in html


def test_report_command_on_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2
    assert "not a run folder" in res.output


def test_a_compliance_only_variant_reuses_the_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   small_scenario: Path) -> None:
    from evacplan import pipeline
    from evacplan.pipeline import run_scenario

    small_scenario.write_text(small_scenario.read_text() + '\n[[variants]]\nname = "half"\ncompliance = 0.5\n')
    calls = []
    real = pipeline.make_plan
    monkeypatch.setattr(pipeline, "make_plan", lambda *a, **k: calls.append(1) or real(*a, **k))
    result = run_scenario(small_scenario, tmp_path / "out", pipeline.RunOptions(report=False))
    assert len(calls) == 1 and list(result.variants) == ["baseline", "half"]
    out = tmp_path / "out"
    plans = [json.loads((out / f / "plan" / "summary.json").read_text()) for f in ("baseline", "half")]
    assert plans[0] == plans[1]
    sims = [json.loads((out / f / "simulation" / "summary.json").read_text()) for f in ("baseline", "half")]
    assert sims[1]["settings"]["compliance"] == 0.5
    assert not (tmp_path / "out" / "report.html").exists()


def test_deadlines_side_by_side(small_run: Path) -> None:
    a = json.loads((small_run / "baseline" / "assessment.json").read_text())
    zones = a["deadlines"]
    assert [z["name"] for z in zones] == ["North-east", "South-east"]
    plan_zones = json.loads((small_run / "baseline" / "plan" / "summary.json").read_text())["danger_zones"]
    sim_zones = json.loads((small_run / "baseline" / "simulation" / "summary.json").read_text())["danger_zones"]
    for z, p, s in zip(zones, plan_zones, sim_zones, strict=True):
        assert z["plan_safe"] == p["safe_by_deadline"] <= p["max_safe_by_deadline"] == z["max_safe"] <= z["population"]
        assert z["simulated_safe"] == s["safe_by_deadline"] is not None
        assert z["sentence"].startswith(f"{z['name']}: at most {z['max_safe']:,} of {z['population']:,} people")
    html = (small_run / "report.html").read_text()
    assert "Safe by the deadlines" in html and zones[0]["sentence"].split(";")[0] in html
    # the scenario has deadlines: planned for them, the quickest plan's time beside
    summary = a["summary"]
    assert summary["plan_objective"] == "deadlines"
    assert summary["plan_quickest_time_min"] is not None
    assert "planned for the deadlines, earliest first" in html


def test_sentences_name_the_streets(small_run: Path) -> None:
    a = json.loads((small_run / "baseline" / "assessment.json").read_text())
    queues = [s for s in a["headline"]["sentences"] if "longest queues: " in s]
    assert queues, a["headline"]["sentences"]
    places = queues[0].split("longest queues: ", 1)[1].split("; ")
    # the GraphML names every street: "<name> (from node A to B) at <lat> N, <lon> E, queue up to N people"
    assert all(re.match(r"^[^(]+ \(from node \d+ to \d+\) at [\d.]+ N, [\d.]+ E, queue up to ", p) for p in places)
    html = (small_run / "report.html").read_text()
    assert "Aleksanterinkatu" in html  # the map's street names
