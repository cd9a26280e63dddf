"""Danger zones, safe zones and closures of a new scenario: from the user's polygon files, or editable starting
polygons drawn inside the area."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely

from evacplan._atomic import atomic_path
from evacplan.create.area import Area, read_option_layer
from evacplan.errors import ScenarioError

__all__ = ["ZoneLayers", "write_layer", "write_zone_layers"]


@dataclass
class ZoneLayers:
    """The zone files written and what was done.

    Attributes
    ----------
    danger, safe
        The GeoJSON files (EPSG:4326).
    closed
        The closures file, or ``None``.
    drawn
        Whether the danger and safe zones are starting polygons drawn by ``evacplan new`` (to be edited).
    notes
        What was filled in or drawn, in words.
    """

    danger: Path
    safe: Path
    closed: Path | None
    drawn: bool
    notes: list[str] = field(default_factory=list)


def _read(path: Path, option: str) -> Any:
    gdf = read_option_layer(path, option)
    if gdf.empty:
        raise ScenarioError(f"{option} {path}: the layer has no features")
    return gdf


def _polygons(gdf: Any, path: Path, option: str, prefix: str, notes: list[str]) -> Any:
    bad = sorted(set(gdf.geom_type) - {"Polygon", "MultiPolygon"})
    if bad:
        raise ScenarioError(f"{option} {path}: expected polygons, found {bad}")
    if "name" not in gdf.columns:
        gdf["name"] = [f"{prefix} {i + 1}" for i in range(len(gdf))]
        notes.append(f"{path.name} has no 'name' column: zones named '{prefix} 1' ... '{prefix} {len(gdf)}'")
    else:
        missing = gdf["name"].isna() | (gdf["name"].astype(str).str.strip() == "")
        gdf.loc[missing, "name"] = [f"{prefix} {i + 1}" for i in gdf.index[missing]]
    return gdf


def _valid(geom: Any) -> Any:
    """A valid geometry of the same kind: reprojection can make a fine-grained polygon self-intersect."""
    if geom is None or geom.is_valid:
        return geom
    fixed = shapely.make_valid(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon") and fixed.geom_type == "GeometryCollection":
        polys = [g for g in fixed.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(polys) if polys else fixed
    return fixed


def write_layer(gdf: Any, path: str | Path) -> None:
    """Write a layer as GeoJSON in EPSG:4326, atomically, its polygons made valid after reprojection.

    Parameters
    ----------
    gdf
        A GeoDataFrame with a CRS.
    path
        The ``.geojson`` file (its stem names the layer, so that the same input gives the same bytes).
    """
    path = Path(path)
    out = gdf.to_crs(4326)
    out["geometry"] = [_valid(g) for g in out.geometry]
    with atomic_path(path) as tmp:
        out.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer=path.stem)


def _clip_to(area: Area, geom: Any) -> Any:
    return shapely.make_valid(shapely.intersection(geom, area.metric))


def write_zone_layers(
    folder: str | Path,
    area: Area,
    *,
    danger: str | Path | None = None,
    safe: str | Path | None = None,
    closed: str | Path | None = None,
    clear_by_min: float = 240.0,
) -> ZoneLayers:
    """Write ``danger_zones.geojson``, ``safe_zones.geojson`` (and ``closed.geojson``) into ``folder``.

    Given layers (any CRS GDAL reads) are copied in EPSG:4326; a danger layer without ``clear_by`` gets
    ``clear_by_min`` everywhere it is missing; zones without a name are numbered. Without a danger (safe) layer,
    starting polygons are drawn: a danger zone over the middle 40 % x 40 % of the area's box, and safe zones over its
    western and eastern sevenths, all clipped to the area, safe zones with ``area_m2`` equal to their drawn area.

    Raises
    ------
    ScenarioError
        If a layer is missing, unreadable, has no CRS or holds no polygons, or ``clear_by_min`` is negative.
    """
    import geopandas as gpd

    if not (math.isfinite(clear_by_min) and clear_by_min >= 0):
        raise ScenarioError(f"--clear-by {clear_by_min:g}: expected minutes >= 0")
    out = Path(folder)
    notes: list[str] = []
    x0, y0, x1, y1 = area.metric.bounds
    w, h = x1 - x0, y1 - y0
    drawn = False
    if danger is not None:
        d = _polygons(_read(Path(danger), "--danger"), Path(danger), "--danger", "danger zone", notes)
        if "clear_by" not in d.columns:
            d["clear_by"] = float(clear_by_min)
            notes.append(f"{Path(danger).name} has no 'clear_by' column: every danger zone must be clear by "
                         f"{clear_by_min:g} min (--clear-by)")
        elif d["clear_by"].isna().any():
            n = int(d["clear_by"].isna().sum())
            d["clear_by"] = d["clear_by"].fillna(float(clear_by_min))
            notes.append(f"{n} danger zone(s) without clear_by: {clear_by_min:g} min (--clear-by)")
    else:
        drawn = True
        g = _clip_to(area, shapely.box(x0 + 0.3 * w, y0 + 0.3 * h, x0 + 0.7 * w, y0 + 0.7 * h))
        d = gpd.GeoDataFrame({"name": ["Centre"], "clear_by": [float(clear_by_min)]}, geometry=[g], crs=area.crs)
        notes.append(f"no --danger layer: drew a starting danger zone 'Centre' over the middle of the area "
                     f"({g.area / 1e6:.2f} km2, clear by {clear_by_min:g} min); edit danger_zones.geojson")
    if safe is not None:
        s = _polygons(_read(Path(safe), "--safe"), Path(safe), "--safe", "safe zone", notes)
    else:
        drawn = True
        geoms = [_clip_to(area, shapely.box(x0, y0, x0 + w / 7.0, y1)),
                 _clip_to(area, shapely.box(x1 - w / 7.0, y0, x1, y1))]
        names = ["West", "East"]
        keep = [i for i, g in enumerate(geoms) if not g.is_empty and g.area > 0]
        s = gpd.GeoDataFrame({"name": [names[i] for i in keep],
                              "area_m2": [round(float(geoms[i].area)) for i in keep]},
                             geometry=[geoms[i] for i in keep], crs=area.crs)
        notes.append("no --safe layer: drew starting safe zones 'West' and 'East' along the area's western and "
                     "eastern edges (capacity from their area at 3.5 m2 per person); edit safe_zones.geojson")
    danger_path, safe_path = out / "danger_zones.geojson", out / "safe_zones.geojson"
    write_layer(d, danger_path)
    write_layer(s, safe_path)
    closed_path = None
    if closed is not None:
        c = _read(Path(closed), "--closed")
        if "name" not in c.columns:
            c["name"] = [f"closure {i + 1}" for i in range(len(c))]
        closed_path = out / "closed.geojson"
        write_layer(c, closed_path)
    for label, gdf in (("danger", d), ("safe", s)):
        inside = gdf.to_crs(area.crs).geometry.intersects(area.metric)
        for name in gdf.loc[~inside.to_numpy(), "name"]:
            notes.append(f"{label} zone {name!r} lies outside the area: it holds no street of the scenario")
    return ZoneLayers(danger_path, safe_path, closed_path, drawn, notes)


