"""Factories for scenarios on the small real networks in tests/data (zones drawn over each network's extent)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point, box

from evacplan.network import read_network

DATA = Path(__file__).resolve().parents[1] / "data" / "networks"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def write_scenario(
    folder: Path,
    network: Path,
    *,
    population: str = "points",
    extra: str = "",
    network_lines: str = "",
    closed: bool = True,
    total: float = 10_000,
) -> Path:
    """Write a scenario over ``network``: east half in danger, west tenth safe, a closure line across the south.

    ``population`` is ``"points"``, ``"polygons"`` or ``"raster"``; people are spread uniformly in the danger half.
    """
    raw = read_network(network)
    x0, x1 = float(raw.nodes.x.min()), float(raw.nodes.x.max())
    y0, y1 = float(raw.nodes.y.min()), float(raw.nodes.y.max())
    w, h = x1 - x0, y1 - y0
    crs = raw.crs or "EPSG:4326"
    gpd.GeoDataFrame({"name": ["East"], "clear_by": [120]},
                     geometry=[box(x0 + 0.5 * w, y0 - h, x1 + w, y1 + h)], crs=crs).to_file(folder / "danger.gpkg")
    gpd.GeoDataFrame({"name": ["West"], "capacity": [1e7]},
                     geometry=[box(x0 - w, y0 - h, x0 + 0.15 * w, y1 + h)], crs=crs).to_file(folder / "safe.gpkg")
    if closed:
        gpd.GeoDataFrame({"name": ["border"]}, geometry=[LineString([(x0 - w, y0 + 0.1 * h), (x1 + w, y0 + 0.1 * h)])],
                         crs=crs).to_file(folder / "closed.gpkg")
    rng = np.random.default_rng(0)
    if population == "raster":
        nx = ny = 40
        arr = rng.uniform(0, 10, (ny, nx)).astype("float32")
        with rasterio.open(folder / "pop.tif", "w", driver="GTiff", width=nx, height=ny, count=1, dtype="float32",
                           crs=crs, transform=from_origin(x0, y1, w / nx, h / ny)) as dst:
            dst.write(arr, 1)
        pop = "pop.tif"
    elif population == "polygons":
        polys = [box(x0 + i * w / 4, y0, x0 + (i + 1) * w / 4, y1) for i in range(4)]
        gpd.GeoDataFrame({"population": [total / 4] * 4}, geometry=polys, crs=crs).to_file(folder / "pop.gpkg")
        pop = "pop.gpkg"
    else:
        xs, ys = rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200)
        points = [Point(a, b) for a, b in zip(xs, ys, strict=True)]
        people = np.full(200, total / 200)
        gpd.GeoDataFrame({"population": people}, geometry=points, crs=crs).to_file(folder / "pop.gpkg")
        pop = "pop.gpkg"
    text = f"""
name = "test"
horizon = 600
[network]
path = "{network}"
{network_lines}
[population]
path = "{pop}"
evacuate = "all"
max_snap_m = 100000
[danger_zones]
path = "danger.gpkg"
[safe_zones]
path = "safe.gpkg"
{'[closed]' + chr(10) + 'path = "closed.gpkg"' if closed else ''}
{extra}
"""
    path = folder / "scenario.toml"
    path.write_text(text)
    return path


@pytest.fixture
def make_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_scenario(network_path, population="points", ...)`` -> scenario file."""
    return lambda network, **kw: write_scenario(tmp_path, Path(network), **kw)
