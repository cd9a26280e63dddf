"""``docs/scenario.md`` stays true to the code, and the build cache follows its inputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
from typer.testing import CliRunner

from evacplan.cli import app
from evacplan.scenario.load import MOBILIZATION_KINDS, NETWORK_FORMATS, TOP_KEYS
from evacplan.scenario.schema import StandardsSpec

DOC = Path(__file__).parents[2] / "docs" / "scenario.md"
runner = CliRunner()
SPHERE_2018 = ("site_area_m2_per_person", "covered_area_m2_per_person", "water_l_per_person_day",
               "persons_per_water_point", "persons_per_latrine", "persons_per_latrine_later", "persons_per_health_unit",
               "capacity_m2_per_person")


def doc_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"## A complete annotated example.*?```toml\n(.*?)```", text, re.S)
    assert match, "docs/scenario.md has no annotated TOML example"
    return match.group(1)


def test_annotated_example_in_the_docs_is_valid(bundled_layers_dir: Path) -> None:
    path = bundled_layers_dir / "scenario.toml"
    path.write_text(doc_example(), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_docs_cover_every_key_and_default() -> None:
    text = DOC.read_text(encoding="utf-8")
    example = doc_example()
    for key in TOP_KEYS:
        assert re.search(rf"^\[*{key}\b", example, re.M), f"top-level key {key!r} missing from the example"
    for word in (*NETWORK_FORMATS, *MOBILIZATION_KINDS, "EVACPLAN_CACHE_DIR", "clear_by", "capacity_m2_per_person",
                 "max_snap_m", "snap_m", "specific_flow", "jam_density", "lane_width", "min_width"):
        assert word in text, word
    for name, field in StandardsSpec.__dataclass_fields__.items():
        row = re.search(rf"^\| `{name}` \| `([0-9.]+)` \| [^|]+ \| ([^|]+) \|$", text, re.M)
        assert row, f"standard {name!r} has no row with its default, meaning and source"
        assert float(row.group(1)) == field.default, name
        if name in SPHERE_2018:
            assert "Sphere 2018" in row.group(2), name


def _info(path: Path, *args: str) -> dict[str, object]:
    result = runner.invoke(app, ["info", "--json", str(path), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _deadlines(summary: dict[str, object]) -> list[float]:
    return [z["deadline_min"] for z in summary["danger_zones"]]  # type: ignore[attr-defined, index]


def test_editing_a_layer_invalidates_the_cache(layers_dir: Path, _private_cache: Path) -> None:
    scenario = Path(__file__).parents[1] / "data" / "scenarios" / "helsinki" / "scenario.toml"
    path = layers_dir / "scenario.toml"
    path.write_text(scenario.read_text(encoding="utf-8"), encoding="utf-8")
    assert _deadlines(_info(path)) == [240.0, 480.0]
    assert len(list(_private_cache.glob("*.npz"))) == 1
    layer = layers_dir / "danger_zones.geojson"
    obj = json.loads(layer.read_text(encoding="utf-8"))
    obj["features"][0]["properties"]["clear_by"] = 30
    layer.write_text(json.dumps(obj), encoding="utf-8")
    assert _deadlines(_info(path)) == [30.0, 480.0]
    assert len(list(_private_cache.glob("*.npz"))) == 2


def test_editing_a_shapefile_attribute_invalidates_the_cache(layers_dir: Path) -> None:
    scenario = Path(__file__).parents[1] / "data" / "scenarios" / "helsinki" / "scenario.toml"
    text = scenario.read_text(encoding="utf-8").replace('path = "danger_zones.geojson"', 'path = "danger.shp"')
    path = layers_dir / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    zones = gpd.read_file(layers_dir / "danger_zones.geojson")
    zones.to_file(layers_dir / "danger.shp")
    assert _deadlines(_info(path)) == [240.0, 480.0]
    zones["clear_by"] = [30, 60]
    zones.to_file(layers_dir / "danger.shp")  # same geometries: the .shp bytes do not change, the .dbf does
    assert _deadlines(_info(path, "--no-cache")) == [30.0, 60.0]
    assert _deadlines(_info(path)) == [30.0, 60.0]
