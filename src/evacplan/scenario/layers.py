"""Reading and checking the vector and raster layers a scenario names."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from evacplan.errors import ScenarioInvalid
from evacplan.scenario._checks import Collector
from evacplan.scenario.schema import LayerSpec, Scenario

__all__ = ["SAFE_SERVICE_COLUMNS", "check_population", "read_layer", "read_zone_layers"]

#: Optional service-inventory columns of the safe-zone layer.
SAFE_SERVICE_COLUMNS = ("water_l_per_day", "water_points", "latrines", "health_facilities")
_POLYGONS = {"Polygon", "MultiPolygon"}


def read_layer(c: Collector, path: Path, layer: str | None, where: str) -> gpd.GeoDataFrame | None:
    """Read a vector layer, reporting unreadable files, empty layers, missing CRS and bad geometries."""
    f = str(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable data
        c.add(where, f"cannot read the layer: {exc}", file=f)
        return None
    if len(gdf) == 0:
        c.add(where, "layer has no features", file=f)
        return None
    if gdf.crs is None:
        c.add(where, "layer has no CRS; set one (e.g. EPSG:4326) in the file", file=f)
    geom = gdf.geometry
    for i in np.flatnonzero(geom.isna().to_numpy() | geom.is_empty.to_numpy()):
        c.add(f"{where} feature {_fid(gdf, int(i))}", "geometry is empty", file=f)
    bad = ~geom.is_valid.to_numpy() & ~(geom.isna().to_numpy() | geom.is_empty.to_numpy())
    for i in np.flatnonzero(bad):
        from shapely.validation import explain_validity

        c.add(f"{where} feature {_fid(gdf, int(i))}", f"invalid geometry: {explain_validity(geom.iloc[i])}", file=f)
    return gdf


def _fid(gdf: gpd.GeoDataFrame, i: int) -> str:
    for col in ("name", "id", "fid"):
        if col in gdf.columns and pd.notna(gdf[col].iloc[i]):
            return f"{i} ({col}={gdf[col].astype(object).iloc[i]!r})"
    return str(i)


def _numeric_column(
    c: Collector, gdf: gpd.GeoDataFrame, col: str, where: str, f: str, required: bool, maximum: float
) -> None:
    if col not in gdf.columns:
        if required:
            present = [k for k in gdf.columns if k != "geometry"]
            c.add(f"{where}.{col}", f"column {col!r} is missing (columns: {present})", file=f)
        return
    vals = pd.to_numeric(gdf[col], errors="coerce")
    for i in range(len(gdf)):
        raw, v = gdf[col].astype(object).iloc[i], vals.iloc[i]  # Python scalars in messages
        if pd.isna(raw):
            if required:
                c.add(f"{where} feature {_fid(gdf, i)}.{col}", "value missing", file=f)
        elif pd.isna(v) or v < 0:
            c.add(f"{where} feature {_fid(gdf, i)}.{col}", f"value {raw!r} must be a number >= 0", file=f)
        elif v > maximum:
            c.add(f"{where} feature {_fid(gdf, i)}.{col}", f"value {raw!r} is absurd (more than {maximum:g})", file=f)


def _zone_layer(c: Collector, spec: LayerSpec, where: str, polygons: bool = True) -> gpd.GeoDataFrame | None:
    gdf = read_layer(c, spec.path, spec.layer, where)
    if gdf is None:
        return None
    f = str(spec.path)
    if polygons:
        types = set(gdf.geom_type.dropna())
        if not types <= _POLYGONS:
            c.add(where, f"expected polygons, found {sorted(types - _POLYGONS)}", file=f)
    if spec.name_column not in gdf.columns:
        present = [k for k in gdf.columns if k != "geometry"]
        c.add(f"{where}.{spec.name_column}", f"name column {spec.name_column!r} is missing (columns: {present}); "
              f"set `name_column` in [{where}] to the column that names the zones", file=f)
        gdf[spec.name_column] = [f"{where} {i + 1}" for i in range(len(gdf))]
    else:
        names = gdf[spec.name_column].astype(str)
        for n in sorted(set(names[names.duplicated()])):
            c.add(f"{where}.{spec.name_column}", f"duplicate zone name {n!r}", file=f)
    gdf = gdf.rename(columns={spec.name_column: "name"})
    gdf["name"] = gdf["name"].astype(str)
    return gdf


def read_zone_layers(
    scenario: Scenario, c: Collector
) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """Read danger zones, safe zones and closed areas, reporting every problem to ``c``.

    Danger zones need a ``clear_by`` column (minutes); safe zones may carry ``area_m2``, ``capacity`` and the service
    columns of :data:`SAFE_SERVICE_COLUMNS`. Safe zones that overlap each other or a danger zone are reported.
    """
    horizon = scenario.horizon_min
    danger = _zone_layer(c, scenario.danger_zones, "danger_zones")
    if danger is not None:
        _numeric_column(c, danger, "clear_by", "danger_zones", str(scenario.danger_zones.path), True, 100 * horizon)
    safe = _zone_layer(c, scenario.safe_zones, "safe_zones")
    if safe is not None:
        f = str(scenario.safe_zones.path)
        _numeric_column(c, safe, "area_m2", "safe_zones", f, False, 1e10)
        _numeric_column(c, safe, "capacity", "safe_zones", f, False, 1e9)
        for col in SAFE_SERVICE_COLUMNS:
            _numeric_column(c, safe, col, "safe_zones", f, False, 1e10)
    closed = None
    if scenario.closed is not None:
        closed = read_layer(c, scenario.closed.path, scenario.closed.layer, "closed")
    _overlaps(c, scenario, danger, safe)
    return danger, safe, closed


def _overlaps(c: Collector, scenario: Scenario, danger: Any, safe: Any) -> None:
    if safe is None or safe.crs is None or not safe.is_valid.all():
        return
    metric = safe.to_crs(safe.estimate_utm_crs()) if safe.crs.is_geographic else safe
    f = str(scenario.safe_zones.path)
    for i in range(len(metric)):
        for j in range(i + 1, len(metric)):
            a = metric.geometry.iloc[i].intersection(metric.geometry.iloc[j]).area
            if a > 1.0:
                c.add("safe_zones", f"safe zones {metric['name'].iloc[i]!r} and {metric['name'].iloc[j]!r} overlap "
                      f"({a:,.0f} m2): a place cannot count twice", file=f)
    if danger is None or danger.crs is None or not danger.is_valid.all():
        return
    d = danger.to_crs(metric.crs)
    for i in range(len(metric)):
        for j in range(len(d)):
            a = metric.geometry.iloc[i].intersection(d.geometry.iloc[j]).area
            if a > 1.0:
                c.add("safe_zones", f"safe zone {metric['name'].iloc[i]!r} overlaps danger zone "
                      f"{d['name'].iloc[j]!r} ({a:,.0f} m2): a refuge cannot lie in danger", file=f)


def check_population(scenario: Scenario, c: Collector) -> None:
    """Check the population layer: readable, with a CRS, non-empty, counts numeric and >= 0."""
    spec = scenario.population
    f = str(spec.path)
    if spec.kind == "raster":
        import rasterio

        try:
            with rasterio.open(spec.path) as src:
                if src.crs is None:
                    c.add("population", "raster has no CRS", file=f)
                if src.count < 1:
                    c.add("population", "raster has no band", file=f)
                    return
                band = src.read(1, masked=True)
                if band.count() == 0:
                    c.add("population", "raster has no valid cells", file=f)
                elif float(band.min()) < 0:
                    c.add("population", f"raster has negative counts (min {float(band.min()):g})", file=f)
                elif float(band.sum()) <= 0:
                    c.add("population", "raster holds no people (sum is 0)", file=f)
        except rasterio.errors.RasterioIOError as exc:
            c.add("population", f"cannot read the raster: {exc}", file=f)
        return
    gdf = read_layer(c, spec.path, None, "population")
    if gdf is None:
        return
    _numeric_column(c, gdf, spec.count_column, "population", f, True, 1e8)


def raise_if(c: Collector) -> None:
    """Raise :class:`ScenarioInvalid` when ``c`` holds problems."""
    if c.problems:
        raise ScenarioInvalid(c.problems)
