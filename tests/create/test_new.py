"""``evacplan new``: a complete, valid scenario from a small OpenStreetMap extract, exact head counts, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin
from typer.testing import CliRunner

from evacplan.cli import app
from evacplan.create import new_scenario
from evacplan.problem import load_problem
from evacplan.problem.summary import problem_summary

from .conftest import BBOX, FLORIANA, FLORIANA_STREETS, INNER

runner = CliRunner()


def raster_sum(path: Path) -> int:
    with rasterio.open(path) as src:
        band = src.read(1)
        assert band.dtype == np.int32 and band.min() >= 0
        return int(band.sum())


def accounted(scenario: Path) -> int:
    """Everyone the built scenario accounts for: placed on the network (evacuees, stayers, residents) or off it."""
    p = load_problem(scenario)
    s = problem_summary(p)
    assert s["people"] == p.placed + p.off_network
    # residents plus evacuees plus stayers are the placed people, each counted once
    assert s["population"] + s["safe_zone_residents"] <= p.placed
    return int(s["people"])


def test_people_over_buildings_are_conserved_and_the_result_is_valid(tmp_path: Path) -> None:
    made = new_scenario(tmp_path / "city", osm=FLORIANA, bbox=INNER, people=12_345)
    assert made.problems == []
    assert made.people.method == "buildings" and made.people.homes > 50
    assert "residential buildings by floor area" in made.notes[0]
    assert raster_sum(made.people.path) == 12_345
    assert accounted(made.scenario) == 12_345
    files = {f.name for f in made.folder.iterdir()}
    assert files == {"scenario.toml", "README.md", "streets.osm.pbf", "population.tif", "danger_zones.geojson",
                     "safe_zones.geojson"}
    text = made.scenario.read_text(encoding="utf-8")
    assert "STARTING POLYGONS" in text and "residential buildings" in text and "[provenance]" in text
    assert "Open Database License" in (made.folder / "README.md").read_text(encoding="utf-8")


def test_an_area_without_buildings_falls_back_to_the_streets_and_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "city"), "--osm", str(FLORIANA_STREETS), "--bbox", INNER,
                                 "--people", "777"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "spread evenly over" in out and "no residential buildings are mapped" in out
    assert raster_sum(tmp_path / "city" / "population.tif") == 777
    assert "no residential buildings are mapped" in (tmp_path / "city" / "scenario.toml").read_text()
    assert accounted(tmp_path / "city" / "scenario.toml") == 777


def test_spread_streets_even_where_buildings_are_mapped(tmp_path: Path) -> None:
    made = new_scenario(tmp_path / "city", osm=FLORIANA, bbox=INNER, people=1000, spread="streets", validate=False)
    assert made.people.method == "streets" and "as asked" in made.notes[0]
    with_b = new_scenario(tmp_path / "b", osm=FLORIANA, bbox=INNER, people=1000, validate=False)
    a, b = (rasterio.open(m.people.path).read(1) for m in (made, with_b))
    assert a.sum() == b.sum() == 1000 and not np.array_equal(a, b)


def _raster(path: Path, crs: str, x0: float, y1: float, cell: float, shape: tuple[int, int], seed: int = 0) -> float:
    data = np.random.default_rng(seed).gamma(2.0, 3.0, shape).astype(np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=shape[1], height=shape[0], count=1, dtype="float32", crs=crs,
                       transform=from_origin(x0, y1, cell, cell)) as dst:
        dst.write(data, 1)
    return float(data.sum())


def test_population_raster_is_clipped_and_optionally_rescaled(tmp_path: Path) -> None:
    # a 100 m raster in UTM 33N covering the fixture and beyond: only the cells inside the area count
    tif = tmp_path / "people.tif"
    whole = _raster(tif, "EPSG:32633", 455_000.0, 3_973_500.0, 100.0, (20, 20))
    made = new_scenario(tmp_path / "a", osm=FLORIANA, bbox=INNER, population=tif)
    assert made.problems == [] and made.people.method == "raster"
    inside = raster_sum(made.people.path)
    assert 0 < inside < whole
    assert accounted(made.scenario) == inside
    scaled = new_scenario(tmp_path / "b", osm=FLORIANA, bbox=INNER, population=tif, people=50_001)
    assert raster_sum(scaled.people.path) == 50_001 and accounted(scaled.scenario) == 50_001
    assert "rescaled" in scaled.notes[0]


def test_given_zone_layers_are_used_and_completed(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    # zones in UTM 33N, the danger layer without clear_by and without names
    gpd.GeoDataFrame({"kind": ["x"]}, geometry=[box(455_300, 3_972_250, 455_700, 3_972_650)], crs=32633).to_file(
        tmp_path / "d.gpkg")
    gpd.GeoDataFrame({"name": ["Harbour"], "capacity": [5000]}, geometry=[box(455_900, 3_972_000, 456_200, 3_972_900)],
                     crs=32633).to_file(tmp_path / "s.gpkg")
    made = new_scenario(tmp_path / "city", osm=FLORIANA, bbox=INNER, people=3000, danger=tmp_path / "d.gpkg",
                        safe=tmp_path / "s.gpkg", clear_by_min=90)
    assert made.problems == []
    d = json.loads((made.folder / "danger_zones.geojson").read_text())
    assert [f["properties"]["name"] for f in d["features"]] == ["danger zone 1"]
    assert d["features"][0]["properties"]["clear_by"] == 90
    s = problem_summary(load_problem(made.scenario))
    assert s["danger_zones"][0]["deadline_min"] == 90 and s["population"] > 0
    zone = s["safe_zones"][0]
    assert zone["declared_capacity"] == 5000 and zone["capacity"] == 5000 - zone["residents"]


def test_same_inputs_give_identical_files(tmp_path: Path) -> None:
    a = new_scenario(tmp_path / "a", osm=FLORIANA, bbox=INNER, people=999, name="same", validate=False)
    b = new_scenario(tmp_path / "b", osm=FLORIANA, bbox=INNER, people=999, name="same", validate=False)
    for f in sorted(a.folder.iterdir()):
        assert f.read_bytes() == (b.folder / f.name).read_bytes(), f.name


def test_new_then_validate_info_and_run_from_the_command_line(tmp_path: Path) -> None:
    folder = tmp_path / "city"
    r = runner.invoke(app, ["new", str(folder), "--osm", str(FLORIANA), "--bbox", BBOX, "--people", "2000",
                            "--name", "Floriana test", "--stands-for", "a test town"])
    assert r.exit_code == 0, r.output
    scenario = folder / "scenario.toml"
    assert runner.invoke(app, ["validate", str(scenario)]).exit_code == 0
    info = runner.invoke(app, ["info", "--json", str(scenario)])
    assert info.exit_code == 0, info.output
    s = json.loads(info.stdout)
    assert s["people"] == 2000 and s["name"] == "Floriana test" and "a test town" in s["provenance"]
    run = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "standing in for a test town" in html  # the provenance in the report's title area
    import pyogrio

    gpkg = tmp_path / "run" / "baseline" / "evacplan.gpkg"
    for layer in ("edges", "danger_zones", "safe_zones"):
        info = pyogrio.read_info(gpkg, layer=layer)
        assert "standing in for a test town" in info["layer_metadata"]["DESCRIPTION"]
        assert "a test town" in info["dataset_metadata"]["provenance"]
    assert json.loads((tmp_path / "run" / "baseline" / "assessment.json").read_text())["evacuees"] == s["population"]


def test_existing_folder_needs_force(tmp_path: Path) -> None:
    folder = tmp_path / "city"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    r = runner.invoke(app, ["new", str(folder), "--osm", str(FLORIANA), "--bbox", INNER, "--people", "1000"])
    assert r.exit_code == 2 and "--force" in r.output
    r = runner.invoke(app, ["new", str(folder), "--osm", str(FLORIANA), "--bbox", INNER, "--people", "1000", "--force"])
    assert r.exit_code == 0, r.output
    assert (folder / "keep.txt").read_text() == "mine" and (folder / "scenario.toml").exists()
