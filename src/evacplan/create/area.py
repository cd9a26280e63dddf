"""The area a new scenario covers: a bounding box or a boundary polygon, in lon/lat and in a local metric CRS."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from evacplan.errors import ScenarioError
from evacplan.network.projection import local_metric_crs, to_crs

__all__ = ["Area", "area_from_bbox", "area_from_boundary", "area_from_polygon", "parse_bbox", "project", "project_many"]

#: Largest area ``evacplan new`` accepts, km2 (a country-sized area would not plan on one machine anyway).
MAX_AREA_KM2 = 5000.0


@dataclass(frozen=True)
class Area:
    """A scenario's area.

    Attributes
    ----------
    lonlat
        The area as a (multi)polygon in EPSG:4326.
    crs
        The local metric CRS (UTM zone of the area's centre, ``"EPSG:326xx"`` / ``"EPSG:327xx"``).
    metric
        The area in :attr:`crs`.
    source
        How the area was given, in words (``"--bbox 14.43,35.84,14.52,35.92"``, ``"--boundary window.geojson"``).
    """

    lonlat: Any
    crs: str
    metric: Any
    source: str

    @property
    def km2(self) -> float:
        """Area in km2."""
        return float(self.metric.area) / 1e6

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minlon, minlat, maxlon, maxlat)``."""
        b = self.lonlat.bounds
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


def _project(geom: Any, src: str, dst: str) -> Any:
    """``geom`` from CRS ``src`` to ``dst`` (edges densified first, so that straight lines stay close)."""
    if src == dst:
        return geom
    b = geom.bounds
    span = max(b[2] - b[0], b[3] - b[1])
    dense = shapely.segmentize(geom, max(span / 200.0, 1e-9))

    def tx(xy: np.ndarray) -> np.ndarray:
        x, y = to_crs(src, dst, xy[:, 0], xy[:, 1])
        return np.c_[x, y]

    return shapely.transform(dense, tx)


def area_from_polygon(geom_lonlat: Any, source: str) -> Area:
    """An :class:`Area` from a (multi)polygon in EPSG:4326.

    Raises
    ------
    ScenarioError
        If the polygon is empty, not valid lon/lat, or larger than :data:`MAX_AREA_KM2`.
    """
    if geom_lonlat is None or geom_lonlat.is_empty or geom_lonlat.area <= 0:
        raise ScenarioError(f"{source}: the area is empty")
    minx, miny, maxx, maxy = geom_lonlat.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ScenarioError(f"{source}: bounds {minx:g},{miny:g},{maxx:g},{maxy:g} are not lon/lat degrees")
    c = geom_lonlat.centroid
    crs = local_metric_crs("EPSG:4326", np.array([c.x]), np.array([c.y]))
    metric = _project(geom_lonlat, "EPSG:4326", crs)
    area = Area(geom_lonlat, crs, metric, source)
    if area.km2 > MAX_AREA_KM2:
        raise ScenarioError(f"{source}: the area is {area.km2:,.0f} km2; at most {MAX_AREA_KM2:,.0f} km2 is supported "
                            "(choose a smaller --bbox or --boundary)")
    return area


def parse_bbox(text: str | tuple[float, float, float, float] | list[float]) -> tuple[float, float, float, float]:
    """``"minlon,minlat,maxlon,maxlat"`` (or a 4-sequence) as floats, checked.

    Raises
    ------
    ScenarioError
        If it is not four numbers, or not an ordered lon/lat box.
    """
    where = f"--bbox {text if isinstance(text, str) else ','.join(f'{v:g}' for v in text)}"
    if isinstance(text, str):
        parts = [p.strip() for p in text.replace(";", ",").split(",")]
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise ScenarioError(f"{where}: expected four numbers minlon,minlat,maxlon,maxlat (degrees)") from None
    else:
        vals = [float(v) for v in text]
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
        raise ScenarioError(f"{where}: expected four numbers minlon,minlat,maxlon,maxlat (degrees)")
    minlon, minlat, maxlon, maxlat = vals
    if not (-180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90):
        raise ScenarioError(f"{where}: expected minlon < maxlon in [-180, 180] and minlat < maxlat in [-90, 90]")
    return (minlon, minlat, maxlon, maxlat)


def area_from_bbox(text: str | tuple[float, float, float, float] | list[float]) -> Area:
    """An :class:`Area` from ``--bbox minlon,minlat,maxlon,maxlat``."""
    b = parse_bbox(text)
    return area_from_polygon(shapely.box(*b), f"--bbox {','.join(f'{v:g}' for v in b)}")


def area_from_boundary(path: str | Path) -> Area:
    """An :class:`Area` from a polygon layer in any CRS (the union of its polygons).

    Raises
    ------
    ScenarioError
        If the file is missing, unreadable, has no CRS, or holds no polygon.
    """
    p = Path(path)
    where = f"--boundary {p}"
    gdf = read_option_layer(p, "--boundary")
    polys = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        found = sorted(set(gdf.geom_type)) if len(gdf) else []
        raise ScenarioError(f"{where}: expected polygons, found {found or 'no features'}")
    geom = shapely.make_valid(shapely.union_all(polys.to_crs(4326).geometry.to_numpy()))
    return area_from_polygon(geom, where)


def read_option_layer(path: Path, option: str) -> Any:
    """The features of the layer a command-line option names, with a CRS, empty and missing geometries dropped.

    Raises
    ------
    ScenarioError
        Naming ``option`` and ``path``: the file is missing, unreadable, or has no CRS.
    """
    import geopandas as gpd

    where = f"{option} {path}"
    if not path.exists():
        raise ScenarioError(f"{where}: file not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and others for unreadable files
        raise ScenarioError(f"{where}: cannot read the layer ({type(exc).__name__}: {exc})") from exc
    if gdf.crs is None:
        raise ScenarioError(f"{where}: the layer has no CRS; set one (e.g. EPSG:4326) in the file")
    return gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].reset_index(drop=True)


def project(geom: Any, src: str, dst: str) -> Any:
    """``geom`` from CRS ``src`` to ``dst``, its edges densified first (for areas and zones drawn with few points)."""
    return _project(geom, src, dst)


def project_many(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    """An array of geometries from ``src`` to ``dst`` in one transformation (no densifying: for short segments)."""

    def tx(xy: np.ndarray) -> np.ndarray:
        x, y = to_crs(src, dst, xy[:, 0], xy[:, 1])
        return np.c_[x, y]

    return np.asarray(shapely.transform(np.asarray(geoms, dtype=object), tx), dtype=object)
