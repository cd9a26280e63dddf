"""A small scenario with every feature the report shows: groups, services, a closed border, variants."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from evacplan.network import read_network

NETWORK = Path(__file__).resolve().parents[1] / "data" / "networks" / "helsinki_small.graphml"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def write_small_scenario(folder: Path, variants: str = "", total: float = 3000.0) -> Path:
    """East half in danger (two zones), a safe zone in the west with services, a closed line across the south."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = read_network(NETWORK)
    x0, x1 = float(raw.nodes.x.min()), float(raw.nodes.x.max())
    y0, y1 = float(raw.nodes.y.min()), float(raw.nodes.y.max())
    w, h = x1 - x0, y1 - y0
    crs = raw.crs or "EPSG:4326"
    xm = x0 + 0.5 * w
    gpd.GeoDataFrame({"name": ["North-east", "South-east"], "clear_by": [30, 60]},
                     geometry=[box(xm, y0 + 0.5 * h, x1 + w, y1 + h), box(xm, y0 + 0.15 * h, x1 + w, y0 + 0.5 * h)],
                     crs=crs).to_file(folder / "danger.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"name": ["West"], "capacity": [1e7], "area_m2": [20000.0], "water_l_per_day": [10000.0],
                      "water_points": [2], "latrines": [10], "health_facilities": [0]},
                     geometry=[box(x0 - w, y0 - h, x0 + 0.15 * w, y1 + h)], crs=crs).to_file(
        folder / "safe.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"name": ["border"]}, geometry=[LineString([(x0 - w, y0 + 0.1 * h), (x1 + w, y0 + 0.1 * h)])],
                     crs=crs).to_file(folder / "closed.geojson", driver="GeoJSON")
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(xm, x1, 100), rng.uniform(y0 + 0.15 * h, y1, 100)
    gpd.GeoDataFrame({"population": np.full(100, total / 100)},
                     geometry=[Point(a, b) for a, b in zip(xs, ys, strict=True)], crs=crs).to_file(
        folder / "pop.geojson", driver="GeoJSON")
    text = f"""
name = "small test city"
horizon = 240
[network]
path = "{NETWORK}"
[population]
path = "pop.geojson"
max_snap_m = 100000
[[population.groups]]
name = "adults"
share = 0.9
walk_speed = 1.34
[[population.groups]]
name = "reduced_mobility"
share = 0.1
walk_speed = 0.3
vulnerable = true
[danger_zones]
path = "danger.geojson"
[safe_zones]
path = "safe.geojson"
[closed]
path = "closed.geojson"
[mobilization]
kind = "uniform"
start = 0
end = 20
{variants}
"""
    path = folder / "scenario.toml"
    path.write_text(text)
    return path


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    """The small scenario without variants."""
    return write_small_scenario(tmp_path / "scenario")


VARIANTS = """
[[variants]]
name = "late start"
mobilization_delay = 10
[[variants]]
name = "blocked road"
compliance = 0.7
block_edges_near = [[24.9440, 60.1700]]
[[variants]]
name = "low compliance"
compliance = 0.6
"""


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder of the small scenario with two variants (run once per session)."""
    from evacplan.pipeline import run_scenario

    folder = tmp_path_factory.mktemp("small_run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVACPLAN_CACHE_DIR", str(folder / "cache"))
        scenario = write_small_scenario(folder / "scenario", VARIANTS)
        run_scenario(scenario, folder / "out")
    return folder / "out"
