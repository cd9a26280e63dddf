"""A tiny city shaped like the bundled default scenario (every section, every kind of layer), built in each test.

The network is the GMNS fixture ``tests/data/networks/helsinki_small`` (477 nodes, about 620 m x 310 m of central
Helsinki; (c) OpenStreetMap contributors, ODbL 1.0). Every layer is generated here: two danger zones and two safe
zones (GeoJSON, lon/lat), a closure layer mixing a line and a point, a population raster in UTM zone 35N (10 m cells),
and a variant's extra closure layer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point, box

NETWORK = Path(__file__).resolve().parents[1] / "data" / "networks" / "helsinki_small"

CITY_TOML = """\
name = "tiny city"
description = "robustness tests"
time_step = 1.0
horizon = 600
seed = 11

[network]
path = "network"
format = "gmns"
network_type = "walking"
crs = "EPSG:4326"

[network.defaults]
specific_flow = 1.3
jam_density = 5.4
lane_width = 3.5
min_width = 1.0

[population]
path = "population.tif"
kind = "raster"
scale_to = 5000
evacuate = "danger_zones"
max_snap_m = 300

[[population.groups]]
name = "adults"
share = 0.8
walk_speed = 1.34

[[population.groups]]
name = "older_people"
share = 0.2
walk_speed = 0.9
vulnerable = true

[danger_zones]
path = "danger_zones.geojson"
name_column = "name"

[safe_zones]
path = "safe_zones.geojson"
name_column = "name"

[closed]
path = "closed.geojson"
snap_m = 10

[modes.walk]
share = 0.9
speed = 1.34

[modes.cart]
share = 0.1
speed = 1.1
persons_per_unit = 6
units_per_lane_per_h = 600

[mobilization]
kind = "logistic"
mean = 30
spread = 10

[mobilization.zones.East]
kind = "uniform"
start = 0
end = 60

[standards]
site_area_m2_per_person = 45
water_l_per_person_day = 15
capacity_m2_per_person = 3.5

[[variants]]
name = "late start"
mobilization_delay = 20

[[variants]]
name = "extra closure"
closed = "variant_closed.geojson"
compliance = 0.8

[uncertainty]
compliance = [0.7, 1.0]
walk_speed_factor = [0.9, 1.1]
[uncertainty.blockages]
rate = 0.01
at = [0, 60]
"""

#: Lon/lat extent of the network: 24.9399-24.9509 E, 60.1677-60.1707 N.
DANGER = {"East": ((24.9470, 60.1660, 24.9530, 60.1720), 240), "Centre": ((24.9440, 60.1660, 24.9470, 60.1720), 480)}
SAFE = {"West": ((24.9380, 60.1660, 24.9412, 60.1720), 4000.0), "North": ((24.9415, 60.1699, 24.9438, 60.1720), None)}


def write_layers(folder: Path) -> None:
    """Write the tiny city's layers (and a link to the GMNS network) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "network").symlink_to(NETWORK, target_is_directory=True)
    gpd.GeoDataFrame({"name": list(DANGER), "clear_by": [v[1] for v in DANGER.values()]},
                     geometry=[box(*v[0]) for v in DANGER.values()], crs=4326).to_file(
        folder / "danger_zones.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"name": list(SAFE), "capacity": [v[1] for v in SAFE.values()], "area_m2": [20000.0, None],
                      "water_l_per_day": [30000.0, None], "latrines": [40, 2]},
                     geometry=[box(*v[0]) for v in SAFE.values()], crs=4326).to_file(
        folder / "safe_zones.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"name": ["south line", "checkpoint"]},
                     geometry=[LineString([(24.9380, 60.16785), (24.9530, 60.16785)]), Point(24.9455, 60.1695)],
                     crs=4326).to_file(folder / "closed.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"name": ["debris"]}, geometry=[box(24.9478, 60.1690, 24.9482, 60.1694)], crs=4326).to_file(
        folder / "variant_closed.geojson", driver="GeoJSON")
    raster(folder / "population.tif", np.random.default_rng(0).uniform(0, 4, (45, 75)))


def raster(path: Path, values: np.ndarray, *, crs: str | None = "EPSG:32635",
                 origin: tuple[float, float] = (385600.0, 6672250.0), cell: float = 10.0,
                 nodata: float | None = None, dtype: str = "float32") -> None:
    """A single-band GeoTIFF of ``values`` (rows from north to south)."""
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1,
               "dtype": dtype, "transform": from_origin(*origin, cell, cell)}
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.asarray(values, dtype=dtype), 1)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def make_city(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_city(text=CITY_TOML, folder=None)`` writes the layers and the scenario, returns its path."""
    counter = {"n": 0}

    def make(text: str = CITY_TOML, folder: Path | None = None) -> Path:
        if folder is None:
            counter["n"] += 1
            folder = tmp_path / f"city{counter['n']}"
        write_layers(folder)
        path = folder / "scenario.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return make


def edited(old: str, new: str, text: str = CITY_TOML) -> str:
    """``text`` with its one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


@pytest.fixture
def edit() -> Callable[..., str]:
    """``edit(old, new, text=CITY_TOML)``: the scenario text with one change."""
    return edited


@pytest.fixture
def write_raster() -> Callable[..., None]:
    """``write_raster(path, values, crs="EPSG:32635", origin=..., cell=10.0, nodata=None, dtype="float32")``: a
    GeoTIFF in the tiny city's grid (75 x 45 cells of 10 m cover the network)."""
    return raster
