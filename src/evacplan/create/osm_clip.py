"""Clipping an OpenStreetMap extract to an area: only what the street network and the buildings need.

Ways tagged ``highway=*`` or ``building=*`` with at least one node inside the area are kept whole (a street that
crosses the edge keeps its nodes outside, so that nothing is cut mid-way); their nodes are written without tags; only
the tags evacplan reads are kept (lists below); no metadata (user, version, timestamps) is written. Building
relations (multipolygons) are not kept: they are few and rarely residential. The result is an ``.osm.pbf`` file,
identical for identical inputs. OpenStreetMap data is (c) OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from evacplan._atomic import atomic_path
from evacplan.create.area import Area
from evacplan.errors import ScenarioError

__all__ = ["BUILDING_TAGS", "STREET_TAGS", "Buildings", "ClipResult", "clip_osm", "extract_bounds"]

#: Tags kept on street ways: what the network reader and pyrosm's walking and driving filters read, and names.
STREET_TAGS = frozenset({"highway", "name", "ref", "oneway", "lanes", "maxspeed", "width", "est_width", "access",
                         "motor_vehicle", "motorcar", "foot", "junction", "area", "service"})
#: Tags kept on building ways: what the population spread reads.
BUILDING_TAGS = frozenset({"building", "building:levels", "amenity", "shop", "office", "tourism", "craft", "name"})


@dataclass
class Buildings:
    """Building footprints (closed ways) inside the area.

    Attributes
    ----------
    polygons
        Footprints in EPSG:4326 (shapely polygons).
    building
        The ``building`` tag of each.
    levels
        Parsed ``building:levels`` (NaN where absent or unreadable).
    non_residential
        True where a tag says the building is not a home (``amenity``, ``shop``, ``office``, ``tourism``, ``craft``).
    """

    polygons: list[Any] = field(default_factory=list)
    building: list[str] = field(default_factory=list)
    levels: list[float] = field(default_factory=list)
    non_residential: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.polygons)


@dataclass
class ClipResult:
    """What :func:`clip_osm` wrote.

    Attributes
    ----------
    path
        The clipped ``.osm.pbf``.
    street_ways, building_ways, nodes
        Counts written.
    buildings
        The building footprints kept (for the population spread).
    """

    path: Path
    street_ways: int
    building_ways: int
    nodes: int
    buildings: Buildings


def _levels(value: str | None) -> float:
    if not value:
        return math.nan
    try:
        v = float(value.replace(",", ".").split(";")[0].strip())
    except ValueError:
        return math.nan
    return v if 0 < v < 200 else math.nan


def extract_bounds(src: str | Path) -> tuple[float, float, float, float]:
    """``(minlon, minlat, maxlon, maxlat)`` of the streets of an extract (for ``--osm`` without an area).

    Raises
    ------
    ScenarioError
        If the file is missing, unreadable, empty or holds no streets.
    """
    import osmium

    src = Path(src)
    if not src.exists():
        raise ScenarioError(f"--osm {src}: file not found")
    ext = [math.inf, math.inf, -math.inf, -math.inf]
    n_objects = 0
    try:
        for obj in osmium.FileProcessor(str(src), osmium.osm.NODE | osmium.osm.WAY).with_locations():
            n_objects += 1
            if not isinstance(obj, osmium.osm.Way) or "highway" not in obj.tags:
                continue
            try:
                lons = [n.lon for n in obj.nodes]
                lats = [n.lat for n in obj.nodes]
            except osmium.InvalidLocationError:
                continue
            if lons:
                ext = [min(ext[0], *lons), min(ext[1], *lats), max(ext[2], *lons), max(ext[3], *lats)]
    except Exception as exc:  # osmium raises RuntimeError and others for files it cannot parse
        raise ScenarioError(f"--osm {src}: cannot read as an OpenStreetMap file ({type(exc).__name__}: {exc})"
                            ) from exc
    if n_objects == 0:
        raise ScenarioError(f"--osm {src}: the extract is empty (no OpenStreetMap nodes or ways)")
    if not math.isfinite(ext[0]) or ext[0] >= ext[2] or ext[1] >= ext[3]:
        raise ScenarioError(f"--osm {src}: the extract holds no streets (no way tagged highway=*)")
    return (ext[0], ext[1], ext[2], ext[3])


def clip_osm(src: str | Path, area: Area, out: str | Path) -> ClipResult:
    """Clip an OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``) to ``area`` and write ``out`` (PBF).

    Parameters
    ----------
    src
        The extract.
    area
        The area (its lon/lat polygon decides which ways are kept).
    out
        The ``.osm.pbf`` file to write (atomically).

    Returns
    -------
    ClipResult

    Raises
    ------
    ScenarioError
        If the file is missing or unreadable, holds no data or no streets, or its streets do not overlap the area.
    """
    import osmium

    src = Path(src)
    if not src.exists():
        raise ScenarioError(f"--osm {src}: file not found")
    minlon, minlat, maxlon, maxlat = area.bounds
    ext = [math.inf, math.inf, -math.inf, -math.inf]  # bounds of every street node of the extract
    n_objects = 0
    n_streets = 0
    cand: dict[int, tuple[list[int], dict[str, str], list[float], list[float], bool]] = {}
    try:
        fp = osmium.FileProcessor(str(src), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for obj in fp:
            n_objects += 1
            if not isinstance(obj, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in obj.tags}
            street = "highway" in tags
            if not street and "building" not in tags:
                continue
            try:
                lons = [n.lon for n in obj.nodes]
                lats = [n.lat for n in obj.nodes]
            except osmium.InvalidLocationError:
                continue  # a way whose nodes are missing from the extract
            if not lons:
                continue
            lo0, lo1, la0, la1 = min(lons), max(lons), min(lats), max(lats)
            if street:
                n_streets += 1
                ext = [min(ext[0], lo0), min(ext[1], la0), max(ext[2], lo1), max(ext[3], la1)]
            if lo1 < minlon or lo0 > maxlon or la1 < minlat or la0 > maxlat:
                continue
            keep = STREET_TAGS if street else BUILDING_TAGS
            cand[obj.id] = ([n.ref for n in obj.nodes], {k: v for k, v in tags.items() if k in keep}, lons, lats,
                            street)
    except ScenarioError:
        raise
    except Exception as exc:  # osmium raises RuntimeError and others for files it cannot parse
        raise ScenarioError(f"--osm {src}: cannot read as an OpenStreetMap file ({type(exc).__name__}: {exc})"
                            ) from exc
    if n_objects == 0:
        raise ScenarioError(f"--osm {src}: the extract is empty (no OpenStreetMap nodes or ways)")
    if n_streets == 0:
        raise ScenarioError(f"--osm {src}: the extract holds no streets (no way tagged highway=*)")
    ids = np.array(sorted(cand), dtype=np.int64)
    kept: list[int] = []
    if ids.size:
        counts = np.array([len(cand[i][2]) for i in ids])
        lon = np.concatenate([cand[i][2] for i in ids])
        lat = np.concatenate([cand[i][3] for i in ids])
        inside = shapely.contains_xy(area.lonlat, lon, lat).astype(np.int64)
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        kept = ids[np.add.reduceat(inside, starts) > 0].tolist()
    street_ids = [i for i in kept if cand[i][4]]
    if not street_ids:
        raise ScenarioError(
            f"--osm {src}: none of its streets lies inside {area.source} (area lon {minlon:.4f} to {maxlon:.4f}, lat "
            f"{minlat:.4f} to {maxlat:.4f}; the extract's streets span lon {ext[0]:.4f} to {ext[2]:.4f}, lat "
            f"{ext[1]:.4f} to {ext[3]:.4f}): the area does not overlap the extract")
    nodes: dict[int, tuple[float, float]] = {}
    buildings = Buildings()
    for i in kept:
        refs, tags, lons, lats, street = cand[i]
        for r, a, b in zip(refs, lons, lats, strict=True):
            nodes[r] = (a, b)
        if not street and len(refs) >= 4 and refs[0] == refs[-1]:
            poly = shapely.Polygon(list(zip(lons, lats, strict=True)))
            if not poly.is_valid:
                poly = shapely.make_valid(poly)
            if poly.is_empty or poly.area <= 0:
                continue
            buildings.polygons.append(poly)
            buildings.building.append(tags.get("building", "yes"))
            buildings.levels.append(_levels(tags.get("building:levels")))
            buildings.non_residential.append(any(k in tags for k in ("amenity", "shop", "office", "tourism", "craft")))
    out = Path(out)
    with atomic_path(out) as tmp:
        # osmium picks the format from the name and refuses to overwrite: write to a fresh .osm.pbf name
        work = tmp.with_name(tmp.name + ".osm.pbf")
        try:
            writer = osmium.SimpleWriter(str(work))
            try:
                for nid in sorted(nodes):
                    writer.add_node(osmium.osm.mutable.Node(id=nid, location=nodes[nid]))
                for i in kept:
                    refs, tags, _, _, _ = cand[i]
                    writer.add_way(osmium.osm.mutable.Way(id=i, nodes=refs, tags=tags))
            finally:
                writer.close()
            os.replace(work, tmp)
        finally:
            work.unlink(missing_ok=True)
    return ClipResult(out, len(street_ids), len(kept) - len(street_ids), len(nodes), buildings)
