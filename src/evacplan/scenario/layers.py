"""Reading and checking the vector and raster layers a scenario names."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from evacplan.errors import ScenarioInvalid
from evacplan.scenario._checks import Collector
from evacplan.scenario._raster import RasterScan, scan_raster
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
    _coordinate_ranges(c, gdf, where, f)
    return gdf


#: Largest coordinate (in CRS units) of any place on Earth in a projected CRS, with a wide margin.
MAX_PROJECTED_COORD = 1e8


def _coordinate_ranges(c: Collector, gdf: gpd.GeoDataFrame, where: str, f: str) -> None:
    """Coordinates that are not finite, or that no place on Earth has in the layer's CRS."""
    import shapely

    present = gdf.geometry.notna().to_numpy()
    if not present.any():
        return
    b = np.full((len(gdf), 4), np.nan)
    with np.errstate(invalid="ignore"):
        b[present] = shapely.bounds(gdf.geometry.values[present])
    coords = [shapely.get_coordinates(g) if g is not None else np.zeros((0, 2)) for g in gdf.geometry.values]
    geographic = gdf.crs is not None and gdf.crs.is_geographic
    reported = 0
    for i, xy in enumerate(coords):
        if xy.size == 0:
            continue
        if not np.isfinite(xy).all():
            msg = "coordinates are not finite (nan or inf)"
        elif geographic and (b[i, 0] < -180 or b[i, 2] > 360 or b[i, 1] < -90 or b[i, 3] > 90):
            msg = (f"coordinates x {b[i, 0]:.6g}..{b[i, 2]:.6g}, y {b[i, 1]:.6g}..{b[i, 3]:.6g} are not degrees of "
                   f"longitude and latitude, yet the layer's CRS ({gdf.crs.to_string()}) is in degrees: are they "
                   "metres in a projected CRS? set the layer's real CRS")
        elif not geographic and np.abs(b[i]).max() > MAX_PROJECTED_COORD:
            msg = (f"coordinates up to {np.abs(b[i]).max():.3g} lie beyond the Earth (at most "
                   f"{MAX_PROJECTED_COORD:g} in a projected CRS)")
        else:
            continue
        reported += 1
        if reported <= 5:
            c.add(f"{where} feature {_fid(gdf, i)}", msg, file=f)
    if reported > 5:
        c.add(where, f"{reported - 5} more feature(s) with coordinates out of range", file=f)


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
        if isinstance(raw, bool | np.bool_):
            c.add(f"{where} feature {_fid(gdf, i)}.{col}", f"value {bool(raw)!r} is true/false, not a number; "
                  "expected a number >= 0", file=f)
        elif pd.isna(raw):
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
        raw = gdf[spec.name_column].astype(object)
        missing = raw.isna().to_numpy() | np.array([isinstance(v, str) and not v.strip() for v in raw])
        for i in np.flatnonzero(missing):
            c.add(f"{where} feature {int(i)}.{spec.name_column}", "zone name missing (null or empty)", file=f)
        names = raw.astype(str)
        dup = names[~missing]
        for n in sorted(set(dup[dup.duplicated()])):
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


def _utm_zone(bounds: np.ndarray) -> str:
    """The UTM zone (``"EPSG:326NN"`` north, ``"EPSG:327NN"`` south) of the centre of lon/lat ``bounds``."""
    lon, lat = (bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise ValueError("no finite coordinates")
    zone = min(max(int((lon + 180.0) // 6.0) + 1, 1), 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _overlaps(c: Collector, scenario: Scenario, danger: Any, safe: Any) -> None:
    if safe is None or safe.crs is None or not safe.is_valid.all():
        return
    try:
        metric = safe.to_crs(_utm_zone(safe.total_bounds)) if safe.crs.is_geographic else safe
    except (ValueError, RuntimeError):  # coordinates no UTM zone holds: reported by the extent checks
        return
    f = str(scenario.safe_zones.path)
    for i in range(len(metric)):
        for j in range(i + 1, len(metric)):
            a = metric.geometry.iloc[i].intersection(metric.geometry.iloc[j]).area
            if a > 1.0:
                c.add("safe_zones", f"safe zones {metric['name'].iloc[i]!r} and {metric['name'].iloc[j]!r} overlap "
                      f"({a:,.0f} m2): a place cannot count twice", file=f)
    if danger is None or danger.crs is None or not danger.is_valid.all():
        return
    try:
        d = danger.to_crs(metric.crs)
    except (ValueError, RuntimeError):
        return
    for i in range(len(metric)):
        for j in range(len(d)):
            a = metric.geometry.iloc[i].intersection(d.geometry.iloc[j]).area
            if a > 1.0:
                c.add("safe_zones", f"safe zone {metric['name'].iloc[i]!r} overlaps danger zone "
                      f"{d['name'].iloc[j]!r} ({a:,.0f} m2): a refuge cannot lie in danger", file=f)


def check_population(scenario: Scenario, c: Collector) -> RasterScan | None:
    """Check the population layer: readable, with a CRS, non-empty, counts finite, >= 0 and physically possible.

    A raster is read window by window (:func:`evacplan.scenario._raster.scan_raster`); its scan, which holds the
    populated cells, is returned so that the build does not read it again (``None`` for a vector layer or when the
    raster cannot be read).
    """
    spec = scenario.population
    f = str(spec.path)
    if spec.kind == "raster":
        import rasterio

        try:
            scan = scan_raster(spec.path)
        except (rasterio.errors.RasterioError, OSError, ValueError) as exc:
            c.add("population", f"cannot read the raster: {exc}", file=f)
            return None
        _check_raster(scenario, scan, c)
        return scan
    gdf = read_layer(c, spec.path, None, "population")
    if gdf is None:
        return None
    _numeric_column(c, gdf, spec.count_column, "population", f, True, 1e8)
    if spec.count_column in gdf.columns:
        vals = pd.to_numeric(gdf[spec.count_column], errors="coerce").to_numpy(dtype=np.float64)
        _check_total(scenario, c, float(np.nansum(np.where(vals > 0, vals, 0.0))), f, "the layer's counts")
    return None


#: More people than live on Earth (8.1e9 in 2024, UN World Population Prospects), with a margin.
MAX_TOTAL_PERSONS = 1e10


def _check_total(scenario: Scenario, c: Collector, total: float, f: str, what: str) -> None:
    """A total that is not physically possible, or that ``scale_to`` cannot rescale."""
    scale = scenario.population.scale_to
    if scale is None and total > MAX_TOTAL_PERSONS:
        c.add("population", f"{what} sum to {total:.3g} people, more than the world's population (8.1e9): a "
              "mis-scaled layer or an undeclared no-data value? (give `scale_to` for relative densities)", file=f)
    if scale is not None and total > 0 and not (total >= 1e-250 and math.isfinite(scale / total)):
        c.add("population.scale_to", f"{what} sum to {total:.3g}, too small to rescale to {scale:g} people "
              "(subnormal or near-zero values?)", file=f)


def _check_raster(scenario: Scenario, scan: RasterScan, c: Collector) -> None:
    f = str(scenario.population.path)
    if scan.crs is None:
        c.add("population", "raster has no CRS", file=f)
    if scan.bands < 1:
        c.add("population", "raster has no band", file=f)
        return
    if scan.nonfinite and scan.first_nonfinite is not None:
        r, col, v = scan.first_nonfinite
        c.add("population", f"raster has {scan.nonfinite:,} non-finite cell(s) (value {v!r} at row {r}, column "
              f"{col}); expected people per cell (declare no-data cells with the raster's nodata value)", file=f)
    if scan.valid == 0:
        c.add("population", "raster has no valid cells (every cell is no-data or NaN)", file=f)
        return
    if scan.negative and scan.min_at is not None:
        r, col = scan.min_at
        c.add("population", f"raster has negative counts (min {scan.min_value:g}), first at row {r}, column {col} "
              f"({scan.negative:,} cell(s))", file=f)
        return
    if scan.total <= 0:
        c.add("population", "raster holds no people (sum is 0)", file=f)
        return
    _check_total(scenario, c, scan.total, f, "the raster's cells")
    scale = scenario.population.scale_to
    factor = scale / scan.total if scale is not None and scan.total >= 1e-250 else 1.0
    limit = scenario.network.defaults.jam_density_p_per_m2
    if math.isfinite(factor) and scan.max_density_at is not None and scan.max_density * factor > limit:
        r, col, v, area = scan.max_density_at
        scaled = f" ({v * factor:.3g} after scale_to)" if scale is not None else ""
        c.add("population", f"cell at row {r}, column {col} holds {v:.3g} people{scaled} on {area:,.0f} m2: "
              f"{scan.max_density * factor:.3g} per m2, more than a packed crowd (network.defaults.jam_density = "
              f"{limit:g} per m2)", file=f, forceable=True)


def raise_if(c: Collector) -> None:
    """Raise :class:`ScenarioInvalid` (listing every problem) when ``c`` holds a problem nothing can override."""
    if c.errors:
        raise ScenarioInvalid(c.problems)
