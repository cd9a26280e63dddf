"""Bad input never looks like success: each case of issue 14's "Why" that once gave a plan of 0 evacuees with every
deadline "met", took an absurd number at face value, or ended in a traceback, now stops with a message (exit 2)
naming the file, the feature and the value; ``--force`` proceeds where the scenario is readable."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.affinity import translate
from shapely.geometry import box
from typer.testing import CliRunner, Result

from evacplan.cli import app

runner = CliRunner()


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_stops(result: Result, *fragments: str) -> None:
    """Exit code 2, no traceback, every fragment in the output (whitespace ignored: the console wraps)."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for frag in fragments:
        assert squash(frag) in squash(result.output), f"{frag!r} not in:\n{result.output}"


def rewrite(path: Path, change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> None:
    change(gpd.read_file(path)).to_file(path, driver="GeoJSON")


def relabel(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    return gdf.set_crs(crs, allow_override=True)


# ---------------------------------------------------------------------------------------------------------------
# wrong inputs that produced a "successful" plan


def test_the_tiny_city_plans(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    assert run("validate", path).exit_code == 0
    result = run("plan", path, "--out", tmp_path / "plan")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert summary["evacuees"] > 1000 and summary["evacuated"] == summary["evacuees"]


def test_danger_zones_in_degrees_labelled_as_metres(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    layer = path.parent / "danger_zones.geojson"
    # GeoJSON keeps lon/lat: a GeoPackage carries the (wrong) UTM label with the degree coordinates
    gpkg = path.parent / "danger.gpkg"
    relabel(gpd.read_file(layer), "EPSG:32635").to_file(gpkg)
    path.write_text(path.read_text().replace('path = "danger_zones.geojson"', 'path = "danger.gpkg"'))
    result = run("plan", path, "--out", tmp_path / "plan")
    assert_stops(result, str(gpkg), "danger_zones (EPSG:32635)", "from the network",
                 "it would overlap the network if its coordinates were in EPSG:4326",
                 "(degrees labelled as metres)", "nobody is placed in any danger zone (0 evacuees)")
    assert not (tmp_path / "plan").exists()


def test_danger_zones_with_latitude_and_longitude_swapped(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    layer = path.parent / "danger_zones.geojson"
    rewrite(layer, lambda g: g.set_geometry(g.geometry.map(lambda p: box(p.bounds[1], p.bounds[0], p.bounds[3],
                                                                        p.bounds[2]))))
    result = run("plan", path, "--out", tmp_path / "plan")
    assert_stops(result, str(layer), "it would overlap the network if its x and y were swapped")


def test_zones_that_miss_the_network(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    layer = path.parent / "danger_zones.geojson"
    rewrite(layer, lambda g: g.set_geometry(g.geometry.translate(0.5, 0.0)))  # 28 km east
    result = run("plan", path, "--out", tmp_path / "plan")
    assert_stops(result, str(layer), "m from the network", "nothing in it touches a street",
                 "nobody is placed in any danger zone", "no street node lies inside any danger zone")


def test_a_danger_zone_off_the_network_beside_one_on_it(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    layer = path.parent / "danger_zones.geojson"
    rewrite(layer, lambda g: g.set_geometry([translate(g.geometry.iloc[0], 0.5, 0.0), g.geometry.iloc[1]]))
    result = run("plan", path, "--out", tmp_path / "plan")
    assert_stops(result, str(layer), "danger_zones feature 0 (name='East'): lies", "no street in it")


def test_population_raster_that_lies_elsewhere(make_city: Callable[..., Path], tmp_path: Path,
                                               write_raster: Callable[..., None]) -> None:
    path = make_city()
    raster = path.parent / "population.tif"
    write_raster(raster, np.full((45, 75), 2.0), origin=(485600.0, 6672250.0))  # 100 km east
    result = run("plan", path, "--out", tmp_path / "plan")
    assert_stops(result, str(raster), "population (EPSG:32635)", "m from the network",
                 "lie farther than max_snap_m = 300 m", "nobody is placed")


def test_population_raster_holding_only_nan(make_city: Callable[..., Path], tmp_path: Path,
                                            write_raster: Callable[..., None]) -> None:
    path = make_city()
    write_raster(path.parent / "population.tif", np.full((45, 75), np.nan))
    assert_stops(run("plan", path, "--out", tmp_path / "plan"), "population.tif",
                 "raster has no valid cells (every cell is no-data or NaN)")


def test_closure_polygon_covering_everything(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    layer = path.parent / "closed.geojson"
    gpd.GeoDataFrame({"name": ["everything"]}, geometry=[box(24.93, 60.16, 24.96, 60.18)], crs=4326).to_file(
        layer, driver="GeoJSON")
    result = run("plan", path, "--out", tmp_path / "plan")
    assert_stops(result, "Implausible scenario", "nobody is placed in any danger zone (0 evacuees)")


def test_safe_zones_off_the_network(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    layer = path.parent / "safe_zones.geojson"
    rewrite(layer, lambda g: g.set_geometry(g.geometry.translate(0.0, 0.3)))  # 33 km north
    result = run("plan", path, "--out", tmp_path / "plan")
    assert_stops(result, str(layer), "safe_zones (EPSG:4326)", "nothing in it touches a street",
                 "can reach a safe zone with room", "'West': 0 node(s)")


def test_force_proceeds_and_the_folder_says_so(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    rewrite(path.parent / "safe_zones.geojson", lambda g: g.set_geometry(g.geometry.translate(0.0, 0.3)))
    result = run("plan", path, "--out", tmp_path / "plan", "--force")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "plan" / "manifest.json").read_text())
    assert any("can reach a safe zone" in f for f in manifest["forced_findings"])
    assert json.loads((tmp_path / "plan" / "summary.json").read_text())["evacuated"] == 0


def test_info_shows_the_findings_beside_the_summary(make_city: Callable[..., Path]) -> None:
    path = make_city()
    rewrite(path.parent / "safe_zones.geojson", lambda g: g.set_geometry(g.geometry.translate(0.0, 0.3)))
    result = run("info", path, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert any("can reach a safe zone" in f["message"] for f in summary["findings"])
    assert "Implausible scenario" in result.output


# ---------------------------------------------------------------------------------------------------------------
# absurd numbers


def test_raster_cell_of_1e30_people(make_city: Callable[..., Path], edit: Callable[..., str],
                                    write_raster: Callable[..., None]) -> None:
    values = np.random.default_rng(0).uniform(0, 4, (45, 75))
    values[20, 30] = 1e30
    path = make_city(edit("scale_to = 5000\n", ""))
    write_raster(path.parent / "population.tif", values)
    assert_stops(run("validate", path), "population.tif", "sum to 1e+30 people, more than the world's population")
    # with scale_to the one cell takes nearly everyone: 5,000 people on 100 m2
    path = make_city()
    write_raster(path.parent / "population.tif", values)
    assert_stops(run("validate", path), "cell at row 20, column 30 holds 1e+30 people", "after scale_to",
                 "per m2, more than a packed crowd (network.defaults.jam_density = 5.4 per m2)")


def test_raster_scaled_by_mistake(make_city: Callable[..., Path], edit: Callable[..., str],
                                  write_raster: Callable[..., None]) -> None:
    path = make_city(edit("scale_to = 5000\n", ""))
    write_raster(path.parent / "population.tif", np.random.default_rng(0).uniform(0, 4, (45, 75)) * 1e9)
    assert_stops(run("plan", path, "--out", path.parent / "plan"), "more than the world's population (8.1e9)")


def test_polygon_spanning_the_world(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    layer = path.parent / "danger_zones.geojson"
    rewrite(layer, lambda g: g.set_geometry([box(-179.0, -80.0, 179.0, 80.0), g.geometry.iloc[1]]))
    result = run("plan", path, "--out", tmp_path / "plan")
    assert_stops(result, str(layer), "danger_zones feature 0 (name='East'): spans", "a polygon spanning the world?")


def test_coordinate_of_1e300(make_city: Callable[..., Path]) -> None:
    path = make_city()
    layer = path.parent / "safe_zones.geojson"
    obj = json.loads(layer.read_text())
    obj["features"][1]["geometry"]["coordinates"][0][1] = [1e300, 60.17]
    layer.write_text(json.dumps(obj))
    assert_stops(run("validate", path), str(layer), "safe_zones feature 1 (name='North')",
                 "are not degrees of longitude and latitude")


def test_clear_by_true_is_not_one_minute(make_city: Callable[..., Path]) -> None:
    path = make_city()
    layer = path.parent / "danger_zones.geojson"
    obj = json.loads(layer.read_text())
    for f in obj["features"]:
        f["properties"]["clear_by"] = True
    layer.write_text(json.dumps(obj))
    assert_stops(run("validate", path), str(layer), "danger_zones feature 0 (name='East').clear_by: value True is "
                 "true/false, not a number")


# ---------------------------------------------------------------------------------------------------------------
# tracebacks that are now messages


def test_inf_raster_cell(make_city: Callable[..., Path], tmp_path: Path, write_raster: Callable[..., None]) -> None:
    path = make_city()
    values = np.ones((45, 75))
    values[3, 4] = np.inf
    write_raster(path.parent / "population.tif", values)
    assert_stops(run("plan", path, "--out", tmp_path / "plan"), "population.tif",
                 "raster has 1 non-finite cell(s) (value inf at row 3, column 4)")


def test_raster_whose_crs_label_contradicts_its_coordinates(make_city: Callable[..., Path], tmp_path: Path,
                                                            write_raster: Callable[..., None]) -> None:
    path = make_city()
    write_raster(path.parent / "population.tif", np.ones((45, 75)), crs="EPSG:4326")  # UTM metres labelled degrees
    assert_stops(run("plan", path, "--out", tmp_path / "plan"), "population.tif", "population (EPSG:4326)",
                 "cannot be placed on the network's map", "EPSG:32635")


def test_subnormal_cells_with_scale_to(make_city: Callable[..., Path], tmp_path: Path,
                                       write_raster: Callable[..., None]) -> None:
    path = make_city()
    values = np.zeros((45, 75))
    values[10:20, 40:60] = 1e-310  # subnormal numbers (float64): their sum cannot be scaled to 5,000 people
    write_raster(path.parent / "population.tif", values, dtype="float64")
    assert_stops(run("plan", path, "--out", tmp_path / "plan"), "population.tif", "population.scale_to",
                 "too small to rescale to 5000 people")


@pytest.mark.parametrize("names", [["East", "East"], [None, "Centre"], ["", "Centre"]], ids=["duplicate", "null",
                                                                                          "empty"])
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_duplicate_or_null_zone_names(make_city: Callable[..., Path], tmp_path: Path, names: list[str | None],
                                      command: str) -> None:
    path = make_city()
    layer = path.parent / "danger_zones.geojson"
    obj = json.loads(layer.read_text())
    for f, n in zip(obj["features"], names, strict=True):
        f["properties"]["name"] = n
    layer.write_text(json.dumps(obj))
    args = ["--out", str(tmp_path / "plan")] if command == "plan" else []
    expected = "duplicate zone name 'East'" if names[0] == "East" else "danger_zones feature 0.name: zone name missing"
    assert_stops(run(command, path, *args), str(layer), expected)


def test_plan_on_an_invalid_scenario(make_city: Callable[..., Path], edit: Callable[..., str],
                                     tmp_path: Path) -> None:
    path = make_city(edit("horizon = 600", "horizn = 600"))
    assert_stops(run("plan", path, "--out", tmp_path / "plan"), "Invalid scenario",
                 "horizn: unknown key 'horizn'; did you mean 'horizon'?")


def test_symlink_loop_as_a_layer(make_city: Callable[..., Path], tmp_path: Path) -> None:
    path = make_city()
    (path.parent / "a.geojson").symlink_to(path.parent / "b.geojson")
    (path.parent / "b.geojson").symlink_to(path.parent / "a.geojson")
    path.write_text(path.read_text().replace('path = "closed.geojson"', 'path = "a.geojson"'))
    for args in (["validate"], ["plan", "--out", str(tmp_path / "plan")]):
        assert_stops(run(args[0], path, *args[1:]), "closed.path: 'a.geojson' is a symbolic link that loops")


def test_horizon_under_120_minutes_with_default_mobilization_end(make_city: Callable[..., Path],
                                                                 edit: Callable[..., str]) -> None:
    # the user wrote neither `end` (default 120) nor `mean`/`spread`: nothing they wrote is wrong
    text = edit("horizon = 600", "horizon = 90", edit('kind = "logistic"\nmean = 30\nspread = 10\n',
                                                      'kind = "uniform"\n'))
    text = text.replace("mobilization_delay = 20", "mobilization_delay = 10")
    result = run("validate", make_city(text))
    assert result.exit_code == 0, result.output
    written = edit("horizon = 600", "horizon = 90", edit("end = 60", "end = 120"))
    assert_stops(run("validate", make_city(written)), "mobilization.zones.East.end: value 120 is absurd: must be <= 90")
