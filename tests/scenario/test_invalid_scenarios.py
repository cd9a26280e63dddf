"""``evacplan validate`` on malformed scenarios: exit code 2 and a message naming the file, the key or feature, the
value found and what was expected; every problem at once; never a traceback.

Each test copies the layers of the small Helsinki scenario (``tests/data/scenarios/helsinki``) to ``tmp_path``, writes
:data:`BASE_TOML` (a complete, valid scenario over those layers) with one change, or changes one layer, and runs the
command line on it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from typer.testing import CliRunner, Result

from evacplan.cli import app

runner = CliRunner()

BASE_TOML = """\
name = "test city"
time_step = 1.0
horizon = 1440
seed = 7

[network]
path = "helsinki.osm.pbf"
format = "osm"
network_type = "walking"

[population]
path = "population.tif"
scale_to = 100000
evacuate = "danger_zones"
max_snap_m = 300

[[population.groups]]
name = "adults"
share = 0.9
walk_speed = 1.34

[[population.groups]]
name = "older_people"
share = 0.1
walk_speed = 0.9
vulnerable = true

[danger_zones]
path = "danger_zones.geojson"
name_column = "name"

[safe_zones]
path = "safe_zones.geojson"

[closed]
path = "closed.geojson"
snap_m = 50

[modes.walk]
share = 0.85
speed = 1.34

[modes.cart]
share = 0.15
speed = 1.1
persons_per_unit = 6

[mobilization]
kind = "logistic"
mean = 180
spread = 45

[mobilization.zones.East]
kind = "uniform"
start = 0
end = 120

[standards]
water_l_per_person_day = 15
"""


# ---------------------------------------------------------------------------------------------------------------
# helpers


def write_scenario(folder: Path, text: str = BASE_TOML) -> Path:
    """Write ``text`` as ``scenario.toml`` in ``folder``."""
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str, text: str = BASE_TOML) -> str:
    """``text`` with its one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} must occur once in the base scenario"
    return text.replace(old, new)


def validate(path: Path | str) -> Result:
    return runner.invoke(app, ["validate", str(path)])


def squash(text: str) -> str:
    """``text`` without whitespace: the console wraps long lines (even inside paths) at its width."""
    return re.sub(r"\s+", "", text)


def assert_reports(result: Result, *fragments: str, problems: int | None = None) -> None:
    """Exit code 2, no traceback, and every fragment in the output (whitespace ignored)."""
    out = result.output
    assert result.exit_code == 2, out
    assert "Traceback" not in out, out
    assert "Invalid scenario" in out, out
    flat = squash(out)
    for frag in fragments:
        assert squash(frag) in flat, f"{frag!r} not in:\n{out}"
    if problems is not None:
        assert f"{problems} problem(s)" in out, out


def load_geojson(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def save_geojson(path: Path, obj: dict[str, Any]) -> None:
    path.write_text(json.dumps(obj), encoding="utf-8")


def rewrite_raster(src: Path, dst: Path, *, set_cell: float | None = None, drop_crs: bool = False) -> None:
    """Copy a GeoTIFF, optionally setting cell (0, 0) to ``set_cell`` or writing it without a CRS."""
    with rasterio.open(src) as r:
        band = r.read(1)
        profile = r.profile
    if set_cell is not None:
        band[0, 0] = set_cell
    if drop_crs:
        profile.pop("crs", None)
    with rasterio.open(dst, "w", **profile) as w:
        w.write(band, 1)


# ---------------------------------------------------------------------------------------------------------------
# the valid cases


def test_bundled_default_is_valid() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_base_scenario_of_these_tests_is_valid(layers_dir: Path) -> None:
    # every malformed scenario below differs from this one by one change
    path = write_scenario(layers_dir)
    result = validate(path)
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "Traceback" not in result.output


def test_info_json_of_bundled_default(_private_cache: Path) -> None:
    result = runner.invoke(app, ["info", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for key in ("nodes", "edges", "population"):
        assert key in summary
    # the default at true scale: a million evacuees or more on a city's real street network
    assert summary["nodes"] >= 20_000 and summary["edges"] > summary["nodes"]
    assert summary["population"] >= 1_000_000
    assert [z["name"] for z in summary["danger_zones"]] == ["East", "Rest of Rafah"]
    assert "Malta" in summary["provenance"] and "Rafah" in summary["provenance"]
    # the build went to EVACPLAN_CACHE_DIR, keyed by the hash of the inputs
    assert list(_private_cache.glob("*.npz")) and list(_private_cache.glob("*.json"))


def test_provenance_keys_are_checked(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, BASE_TOML + '\n[provenance]\nstreet = "Helsinki"\nstands_for = 3\n')
    assert_reports(validate(path), "provenance.street: unknown key 'street'; did you mean 'streets'?",
                   "provenance.stands_for: expected a string, found int 3")


def test_nonexistent_scenario_file(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent.toml"
    assert_reports(validate(missing), str(missing), "scenario file does not exist")


# ---------------------------------------------------------------------------------------------------------------
# the scenario file itself


def test_invalid_toml_syntax(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("horizon = 1440", "horizon = = 1440"))
    assert_reports(validate(path), str(path), "not valid TOML", "line 3")


def test_unknown_top_level_key_suggests_the_right_one(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("horizon = 1440", "horizn = 1440"))
    assert_reports(validate(path), str(path), "horizn: unknown key 'horizn'", "did you mean 'horizon'?")


def test_unknown_nested_key_suggests_the_right_one(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("share = 0.85\nspeed = 1.34", "share = 0.85\nsped = 1.34"))
    assert_reports(validate(path), str(path), "modes.walk.sped: unknown key 'sped'", "did you mean 'speed'?")


def test_missing_required_network_table(layers_dir: Path) -> None:
    text = edited('[network]\npath = "helsinki.osm.pbf"\nformat = "osm"\nnetwork_type = "walking"\n', "")
    path = write_scenario(layers_dir, text)
    assert_reports(validate(path), str(path), "network: missing required table [network]", problems=1)


@pytest.mark.parametrize(
    ("table", "old"),
    [("network", 'path = "helsinki.osm.pbf"\nformat = "osm"\nnetwork_type = "walking"\n'),
     ("safe_zones", 'path = "safe_zones.geojson"\n')],
)
def test_required_table_left_empty(layers_dir: Path, table: str, old: str) -> None:
    # a required table with no key at all is reported, not taken as valid
    path = write_scenario(layers_dir, edited(old, ""))
    assert_reports(validate(path), str(path), f"{table}.path: missing required key", problems=1)


def test_path_to_a_missing_file(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited('path = "population.tif"', 'path = "people.tif"'))
    assert_reports(validate(path), str(path), "population.path: file 'people.tif' does not exist",
                   str(layers_dir / "people.tif"))


def test_string_where_a_number_is_expected(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("horizon = 1440", 'horizon = "one day"'))
    assert_reports(validate(path), str(path), "horizon: expected a number, found str 'one day'")


def test_negative_number(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("time_step = 1.0", "time_step = -1.0"))
    assert_reports(validate(path), str(path), "time_step: value -1.0 must be > 0")


def test_absurd_walking_speed(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("share = 0.85\nspeed = 1.34", "share = 0.85\nspeed = 50"))
    assert_reports(validate(path), str(path), "modes.walk.speed: value 50 is absurd: must be <= 40")


def test_absurd_group_walking_speed(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("walk_speed = 0.9", "walk_speed = 9"))
    assert_reports(validate(path), "population.groups[1].walk_speed: value 9 is absurd: must be <= 3")


def test_seed_must_be_an_integer(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("seed = 7", "seed = 7.5"))
    assert_reports(validate(path), "seed: expected an integer, found float 7.5")


def test_unsupported_network_format_name(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited('format = "osm"', 'format = "shp"'))
    assert_reports(validate(path), str(path), "network.format: value 'shp' is not one of",
                   "['auto', 'osm', 'graphml', 'tntp', 'gmns']")


def test_mobilization_kind_typo_suggests_the_right_one(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited('kind = "logistic"', 'kind = "logistc"'))
    assert_reports(validate(path), str(path), "mobilization.kind: value 'logistc' is not one of",
                   "did you mean 'logistic'?")


def test_group_shares_must_sum_to_one(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("share = 0.9\n", "share = 0.8\n"))
    assert_reports(validate(path), str(path), "population.groups: shares sum to 0.9; expected 1")


def test_mode_shares_must_sum_to_one(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("share = 0.15", "share = 0.25"))
    assert_reports(validate(path), str(path), "modes: mode shares sum to 1.1; expected 1")


def test_uniform_mobilization_ending_before_it_starts(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("end = 120", "end = 0"))
    assert_reports(validate(path), "mobilization.zones.East.end: value 0 must be > start (0)")


def test_mobilization_table_not_monotone_and_not_ending_at_one(layers_dir: Path) -> None:
    table = 'kind = "table"\ntable = [[0, 0.0], [60, 0.5], [30, 0.4], [120, 0.9]]'
    path = write_scenario(layers_dir, edited('kind = "uniform"\nstart = 0\nend = 120', table))
    assert_reports(
        validate(path),
        str(path),
        "mobilization.zones.East.table: minutes must increase strictly, found [0.0, 60.0, 30.0, 120.0]",
        "mobilization.zones.East.table: cumulative shares must be >= 0 and never decrease, found [0.0, 0.5, 0.4, 0.9]",
        "mobilization.zones.East.table: the last cumulative share is 0.9; expected 1",
        problems=3,
    )


def test_mobilization_table_row_of_the_wrong_shape(layers_dir: Path) -> None:
    table = 'kind = "table"\ntable = [[0, 0.0], [60], [120, 1.0]]'
    path = write_scenario(layers_dir, edited('kind = "uniform"\nstart = 0\nend = 120', table))
    assert_reports(validate(path), "mobilization.zones.East.table[1]: expected [minute, cumulative_share], found [60]")


def test_horizon_too_many_steps(layers_dir: Path) -> None:
    text = edited("time_step = 1.0", "time_step = 0.01", edited("horizon = 1440", "horizon = 14400"))
    path = write_scenario(layers_dir, text)
    assert_reports(validate(path), "horizon: horizon / time_step = 1.44e+06 steps; at most 200000 are supported")


def test_unknown_crs(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited('format = "osm"', 'format = "osm"\ncrs = "EPSG:999999"'))
    assert_reports(validate(path), "network.crs: 'EPSG:999999' is not a CRS pyproj knows")


# ---------------------------------------------------------------------------------------------------------------
# the layers


def test_danger_zone_layer_with_no_features(layers_dir: Path) -> None:
    layer = layers_dir / "danger_zones.geojson"
    obj = load_geojson(layer)
    obj["features"] = []
    save_geojson(layer, obj)
    assert_reports(validate(write_scenario(layers_dir)), str(layer), "danger_zones: layer has no features")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_zone_layer_without_crs(layers_dir: Path) -> None:
    # GeoJSON always implies EPSG:4326; a shapefile without its .prj has no CRS
    shp = layers_dir / "danger.shp"
    gpd.read_file(layers_dir / "danger_zones.geojson").set_crs(None, allow_override=True).to_file(shp)
    assert not shp.with_suffix(".prj").exists()
    path = write_scenario(layers_dir, edited('path = "danger_zones.geojson"', 'path = "danger.shp"'))
    assert_reports(validate(path), str(shp), "danger_zones: layer has no CRS", "EPSG:4326")


def test_self_intersecting_bowtie_polygon(layers_dir: Path) -> None:
    layer = layers_dir / "danger_zones.geojson"
    obj = load_geojson(layer)
    ring = obj["features"][1]["geometry"]["coordinates"][0]
    obj["features"][1]["geometry"]["coordinates"] = [[ring[0], ring[2], ring[1], ring[3], ring[0]]]
    save_geojson(layer, obj)
    assert_reports(validate(write_scenario(layers_dir)), str(layer),
                   "danger_zones feature 1 (name='Centre'): invalid geometry: Self-intersection")


def test_empty_geometry(layers_dir: Path) -> None:
    layer = layers_dir / "safe_zones.geojson"
    obj = load_geojson(layer)
    obj["features"][1]["geometry"] = None
    save_geojson(layer, obj)
    assert_reports(validate(write_scenario(layers_dir)), str(layer),
                   "safe_zones feature 1 (name='North'): geometry is empty")


def test_danger_zones_without_clear_by_column(layers_dir: Path) -> None:
    layer = layers_dir / "danger_zones.geojson"
    obj = load_geojson(layer)
    for feature in obj["features"]:
        del feature["properties"]["clear_by"]
    save_geojson(layer, obj)
    assert_reports(validate(write_scenario(layers_dir)), str(layer),
                   "danger_zones.clear_by: column 'clear_by' is missing (columns: ['name'])")


def test_clear_by_that_is_not_a_number(layers_dir: Path) -> None:
    layer = layers_dir / "danger_zones.geojson"
    obj = load_geojson(layer)
    obj["features"][0]["properties"]["clear_by"] = "soon"
    save_geojson(layer, obj)
    assert_reports(validate(write_scenario(layers_dir)),
                   "danger_zones feature 0 (name='East').clear_by: value 'soon' must be a number >= 0")


def test_negative_safe_zone_capacity(layers_dir: Path) -> None:
    layer = layers_dir / "safe_zones.geojson"
    obj = load_geojson(layer)
    obj["features"][0]["properties"]["capacity"] = -5
    save_geojson(layer, obj)
    assert_reports(validate(write_scenario(layers_dir)), str(layer),
                   "safe_zones feature 0 (name='Coastal zone').capacity: value -5 must be a number >= 0")


def test_overlapping_safe_zones(layers_dir: Path) -> None:
    layer = layers_dir / "safe_zones.geojson"
    obj = load_geojson(layer)
    obj["features"][1]["geometry"] = obj["features"][0]["geometry"]
    save_geojson(layer, obj)
    assert_reports(validate(write_scenario(layers_dir)), str(layer),
                   "safe_zones: safe zones 'Coastal zone' and 'North' overlap", "a place cannot count twice")


def test_safe_zone_overlapping_a_danger_zone(layers_dir: Path) -> None:
    layer = layers_dir / "safe_zones.geojson"
    obj = load_geojson(layer)
    obj["features"][1]["geometry"] = load_geojson(layers_dir / "danger_zones.geojson")["features"][0]["geometry"]
    save_geojson(layer, obj)
    assert_reports(validate(write_scenario(layers_dir)), str(layer),
                   "safe zone 'North' overlaps danger zone 'East'", "a refuge cannot lie in danger")


def test_duplicate_zone_names(layers_dir: Path) -> None:
    layer = layers_dir / "danger_zones.geojson"
    obj = load_geojson(layer)
    obj["features"][1]["properties"]["name"] = "East"
    save_geojson(layer, obj)
    assert_reports(validate(write_scenario(layers_dir)), str(layer), "danger_zones.name: duplicate zone name 'East'")


def test_zone_layer_without_its_name_column(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited('name_column = "name"', 'name_column = "zone"'))
    assert_reports(validate(path), str(layers_dir / "danger_zones.geojson"),
                   "danger_zones.zone: name column 'zone' is missing")


def test_per_zone_mobilization_for_an_unknown_zone(layers_dir: Path) -> None:
    path = write_scenario(layers_dir, edited("[mobilization.zones.East]", "[mobilization.zones.West]"))
    assert_reports(validate(path), str(path),
                   "mobilization.zones.West: no danger zone is named 'West' (zones: ['East', 'Centre'])")


def test_population_raster_with_negative_counts(layers_dir: Path) -> None:
    raster = layers_dir / "population.tif"
    rewrite_raster(raster, raster, set_cell=-7.0)
    assert_reports(validate(write_scenario(layers_dir)), str(raster),
                   "population: raster has negative counts (min -7)")


def test_population_raster_without_crs(layers_dir: Path) -> None:
    raster = layers_dir / "pop_nocrs.tif"
    rewrite_raster(layers_dir / "population.tif", raster, drop_crs=True)
    path = write_scenario(layers_dir, edited('path = "population.tif"', 'path = "pop_nocrs.tif"'))
    assert_reports(validate(path), str(raster), "population: raster has no CRS")


def test_population_polygons_without_the_count_column(layers_dir: Path) -> None:
    polygons = layers_dir / "people.geojson"
    gdf = gpd.read_file(layers_dir / "danger_zones.geojson")[["geometry"]]
    gdf["people"] = [1000, 2000]
    gdf.to_file(polygons)
    path = write_scenario(layers_dir, edited('path = "population.tif"', 'path = "people.geojson"'))
    assert_reports(validate(path), str(polygons),
                   "population.population: column 'population' is missing (columns: ['people'])")


def test_population_polygons_with_the_count_column_are_valid(layers_dir: Path) -> None:
    polygons = layers_dir / "people.geojson"
    gdf = gpd.read_file(layers_dir / "danger_zones.geojson")[["geometry"]]
    gdf["people"] = [1000, 2000]
    gdf.to_file(polygons)
    text = edited('path = "population.tif"', 'path = "people.geojson"\ncount_column = "people"')
    result = validate(write_scenario(layers_dir, text))
    assert result.exit_code == 0, result.output


def test_unsupported_network_file_extension(layers_dir: Path) -> None:
    streets = layers_dir / "streets.shp"
    streets.write_bytes(b"not a street network")
    path = write_scenario(layers_dir, edited('path = "helsinki.osm.pbf"\nformat = "osm"\n', 'path = "streets.shp"\n'))
    assert_reports(validate(path), str(streets), "network.path", "unrecognised network format",
                   "accepted network formats: osm (.osm.pbf")


# ---------------------------------------------------------------------------------------------------------------
# every problem at once


def test_several_problems_in_the_scenario_file_are_reported_together(layers_dir: Path) -> None:
    text = BASE_TOML
    for old, new in (("horizon = 1440", "horizn = 1440"), ("share = 0.85\nspeed = 1.34", "share = 0.85\nsped = 1.34"),
                     ("time_step = 1.0", "time_step = -1.0"), ('format = "osm"', 'format = "shp"'),
                     ("share = 0.15", "share = 0.25")):
        text = edited(old, new, text)
    assert_reports(
        validate(write_scenario(layers_dir, text)),
        "did you mean 'horizon'?",
        "modes.walk.sped",
        "time_step: value -1.0 must be > 0",
        "network.format: value 'shp'",
        "mode shares sum to 1.1",
        problems=5,
    )


def test_several_problems_in_the_layers_are_reported_together(layers_dir: Path) -> None:
    danger = layers_dir / "danger_zones.geojson"
    obj = load_geojson(danger)
    ring = obj["features"][1]["geometry"]["coordinates"][0]
    obj["features"][1]["geometry"]["coordinates"] = [[ring[0], ring[2], ring[1], ring[3], ring[0]]]
    for feature in obj["features"]:
        del feature["properties"]["clear_by"]
    save_geojson(danger, obj)
    safe = layers_dir / "safe_zones.geojson"
    obj = load_geojson(safe)
    obj["features"][0]["properties"]["capacity"] = -5
    save_geojson(safe, obj)
    rewrite_raster(layers_dir / "population.tif", layers_dir / "population.tif", drop_crs=True)
    path = write_scenario(layers_dir, edited("[mobilization.zones.East]", "[mobilization.zones.West]"))
    assert_reports(
        validate(path),
        "invalid geometry: Self-intersection",
        "column 'clear_by' is missing",
        "capacity: value -5 must be a number >= 0",
        "population: raster has no CRS",
        "no danger zone is named 'West'",
        problems=5,
    )


@pytest.mark.parametrize("value", [np.nan, float("inf")], ids=["nan", "inf"])
def test_non_finite_number(layers_dir: Path, value: float) -> None:
    literal = "nan" if np.isnan(value) else "inf"
    path = write_scenario(layers_dir, edited("max_snap_m = 300", f"max_snap_m = {literal}"))
    assert_reports(validate(path), "population.max_snap_m: expected a finite number")
