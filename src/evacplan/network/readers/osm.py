"""OpenStreetMap street networks: ``.osm.pbf`` (through pyrosm) and ``.osm`` / ``.osm.bz2`` XML (osmnx).

Both paths end in the same tag interpretation (:func:`edges_from_osm_tags`), so a way gives the same edge
attributes whichever file it came from:

* ``oneway`` is True for ``oneway=yes/true/1/-1`` and roundabouts (and, in PBF files, untagged motorways);
  ``oneway=-1`` ways are turned round so that ``u -> v`` is the legal direction; ``reversible`` and
  ``alternating`` ways count as two-way, as in osmnx. Two-way roads are one row per segment in pyrosm (the
  builder adds the reverse) and two rows in osmnx; both compile to the same network.
* ``lanes`` is per direction: the ``lanes`` tag on one-way roads, ``ceil(lanes / 2)`` (at least 1) on two-way
  roads.
* ``width_m`` parses ``width`` (or ``est_width``): ``"3.5"``, ``"3 m"``, ``"3,5"``, ``"12 ft"``, ``"10'"``.
* ``vehicle_speed_mps`` parses ``maxspeed``: ``"30"`` (km/h), ``"50 mph"``, ``"walk"`` (6 km/h),
  ``"DE:urban"``.
* ``vehicle`` is False on footways, paths, steps, pedestrian streets, cycleways (and similar), and where
  ``access``, ``motor_vehicle`` or ``motorcar`` is ``no`` / ``private``; ``walk`` is False on motorways and
  where ``foot=no`` (or ``access=no`` without a ``foot`` permission).
* ``name`` is the street name: the ``name`` tag, else ``ref`` (``"road 170"`` for a bare number), else the road
  class in words (``"unnamed footway"``); see :mod:`evacplan.network.names`.

OpenStreetMap data is (c) OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evacplan.errors import ScenarioError
from evacplan.network.attributes import ROAD_CLASSES
from evacplan.network.names import fallback_names
from evacplan.network.raw import EDGE_COLUMNS, RawNetwork

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "NETWORK_TYPES",
    "edges_from_osm_tags",
    "parse_lanes",
    "parse_maxspeed",
    "parse_width",
    "read_osm",
]

#: Network types accepted by :func:`read_osm`.
NETWORK_TYPES = ("walking", "driving", "all")

#: Tags read from each way (besides ``highway``).
_TAGS = ("oneway", "lanes", "maxspeed", "width", "est_width", "access", "motor_vehicle", "motorcar", "foot",
         "junction", "name", "ref")

_NO_VEHICLE_CLASSES = frozenset(
    {"footway", "path", "steps", "pedestrian", "cycleway", "bridleway", "corridor", "elevator", "trail",
     "platform"}
)
_NO_WALK_CLASSES = frozenset({"motorway", "motorway_link"})
#: ``highway`` values that are not (yet or any more) usable ways.
_NOT_ROADS = frozenset({"proposed", "construction", "abandoned", "disused", "razed", "raceway",
                        "bus_guideway", "platform", "rest_area", "services", "no"})
_NO = frozenset({"no", "private"})
#: Rank of road classes from the widest (motorway) to the narrowest (trail).
_CLASS_RANK = {c: i for i, c in enumerate(ROAD_CLASSES)}
_ONEWAY_YES = frozenset({"yes", "true", "1", "-1", "reverse"})
#: Implicit speed limits by the suffix of ``maxspeed=XX:zone`` values, km/h.
_ZONE_KMH = {"urban": 50.0, "rural": 90.0, "living_street": 20.0, "motorway": 120.0, "trunk": 100.0,
             "walk": 6.0, "school": 30.0, "bicycle_road": 30.0}
_KMH = 1000.0 / 3600.0


def _first(value: object) -> object:
    """First element of a list-valued attribute (osmnx merges values into lists), or the value."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _text(value: object) -> str | None:
    value = _first(value)
    if value is None or value is pd.NA:
        return None
    s = str(value).strip()
    if not s or s.lower() in {"nan", "none"}:
        return None
    # osmnx GraphML stores list values as "['a', 'b']"
    if s.startswith("[") and s.endswith("]"):
        s = s[1:-1].split(",")[0].strip().strip("'\"")
    return s.split(";")[0].strip() or None


def parse_width(value: object) -> float:
    """Width in metres from an OSM ``width`` tag, NaN if it cannot be read.

    Examples: ``"3.5"`` -> 3.5, ``"3 m"`` -> 3.0, ``"3,5"`` -> 3.5, ``"12 ft"`` -> 3.66, ``"10'"`` -> 3.05.
    """
    s = _text(value)
    if s is None:
        return math.nan
    s = s.lower().replace(",", ".")
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(m|metres?|meters?|ft|feet|'|km|cm)?", s)
    if not m:
        return math.nan
    num = float(m.group(1))
    unit = m.group(2) or "m"
    factor = {"ft": 0.3048, "feet": 0.3048, "'": 0.3048, "km": 1000.0, "cm": 0.01}.get(unit, 1.0)
    width = num * factor
    return width if width > 0 else math.nan


def parse_maxspeed(value: object) -> float:
    """Speed in m/s from an OSM ``maxspeed`` tag, NaN if unknown or unlimited.

    Handles ``"30"`` (km/h), ``"50 mph"``, ``"30 km/h"``, ``"walk"``, ``"DE:urban"``, ``"RU:living_street"``,
    ``"DE:zone30"``; ``"none"``, ``"signals"`` and ``"variable"`` give NaN.
    """
    s = _text(value)
    if s is None:
        return math.nan
    s = s.lower()
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph|knots)?", s)
    if m:
        factor = {"mph": 1609.344 / 3600.0, "knots": 1852.0 / 3600.0}.get(m.group(2) or "", _KMH)
        v = float(m.group(1)) * factor
        return v if v > 0 else math.nan
    if s == "walk":
        return _ZONE_KMH["walk"] * _KMH
    zone = s.split(":", 1)[-1]
    z = re.search(r"zone:?(\d+)", zone)
    if z:
        return float(z.group(1)) * _KMH
    if zone in _ZONE_KMH:
        return _ZONE_KMH[zone] * _KMH
    return math.nan


def parse_lanes(value: object) -> float:
    """Total number of lanes from an OSM ``lanes`` tag (``"2"``, ``"2;3"``), NaN if unknown."""
    s = _text(value)
    if s is None:
        return math.nan
    m = re.match(r"^\s*(\d+(?:\.\d+)?)", s)
    if not m:
        return math.nan
    n = float(m.group(1))
    return n if n > 0 else math.nan


def _road_class(value: object) -> str | None:
    """The ``highway`` class; of several (a chain merged by osmnx), the most restrictive usable one."""
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        value = [v.strip().strip("'\"") for v in value[1:-1].split(",")]
    if not isinstance(value, (list, tuple)):
        return _text(value)
    classes = [c for c in (_text(v) for v in value) if c is not None]
    usable = [c for c in classes if c not in _NOT_ROADS]
    if not usable:
        return classes[0] if classes else None
    return max(usable, key=lambda c: _CLASS_RANK.get(c, -1))


def _column(df: pd.DataFrame, key: str) -> list[str | None]:
    """Values of tag ``key`` per row, from a column or, where that is empty, pyrosm's JSON ``tags`` column."""
    vals: list[str | None] = [_text(v) for v in df[key]] if key in df.columns else [None] * len(df)
    if "tags" in df.columns and any(v is None for v in vals):
        for i, raw in enumerate(df["tags"]):
            if vals[i] is not None or not isinstance(raw, str) or f'"{key}"' not in raw:
                continue
            try:
                vals[i] = _text(json.loads(raw).get(key))
            except (ValueError, AttributeError):
                pass
    return vals


def edges_from_osm_tags(
    df: pd.DataFrame,
    *,
    oneway_resolved: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Turn a table of OSM way segments into the edge columns of :data:`~evacplan.network.raw.EDGE_COLUMNS`.

    Parameters
    ----------
    df
        One row per segment with ``u``, ``v``, ``length`` (metres), ``id`` (way id), ``highway`` and any of
        the tags in ``_TAGS`` (as columns or in a JSON ``tags`` column, as pyrosm gives them).
    oneway_resolved
        True when ``oneway`` is already a boolean and ``u -> v`` the legal direction (osmnx graphs, which hold
        both directions of two-way roads); False for raw tags, where ``oneway=-1`` segments are turned round.

    Returns
    -------
    edges
        The edge table, one row per input row.
    reversed_
        Boolean mask of the rows whose ``u``/``v`` were swapped (their geometry must be reversed too).
    """
    n = len(df)
    highway = [_road_class(h) for h in df["highway"]] if "highway" in df.columns else [None] * n
    tags = {k: _column(df, k) for k in _TAGS}
    lanes_total = np.array([parse_lanes(v) for v in tags["lanes"]], dtype=np.float64)
    width = np.array([parse_width(v) for v in tags["width"]], dtype=np.float64)
    est = np.array([parse_width(v) for v in tags["est_width"]], dtype=np.float64)
    width = np.where(np.isfinite(width), width, est)
    speed = np.array([parse_maxspeed(v) for v in tags["maxspeed"]], dtype=np.float64)

    oneway = np.zeros(n, dtype=bool)
    flip = np.zeros(n, dtype=bool)
    if oneway_resolved:
        raw_ow = df["oneway"] if "oneway" in df.columns else pd.Series([False] * n)
        oneway = np.array([_as_bool(v) for v in raw_ow], dtype=bool)
    else:
        for i, (ow, hw, junction) in enumerate(zip(tags["oneway"], highway, tags["junction"], strict=True)):
            ow = ow.lower() if ow else None
            if ow in _ONEWAY_YES:
                oneway[i] = True
                flip[i] = ow in {"-1", "reverse"}
            elif ow is None and (hw == "motorway" or junction in {"roundabout", "circular"}):
                oneway[i] = True

    per_dir = np.where(oneway, lanes_total, np.maximum(np.ceil(lanes_total / 2.0), 1.0))

    vehicle = np.ones(n, dtype=bool)
    walk = np.ones(n, dtype=bool)
    for i in range(n):
        hw = highway[i]
        access, mv, car, foot = (tags[k][i] for k in ("access", "motor_vehicle", "motorcar", "foot"))
        if hw in _NO_VEHICLE_CLASSES or (access in _NO and mv not in {"yes", "designated", "destination"}):
            vehicle[i] = False
        if mv in _NO or car in _NO:
            vehicle[i] = False
        if foot == "no" or (hw in _NO_WALK_CLASSES and foot not in {"yes", "designated"}):
            walk[i] = False
        elif access == "no" and foot not in {"yes", "designated", "permissive"}:
            walk[i] = False

    u = df["u"].to_numpy(dtype=np.int64)
    v = df["v"].to_numpy(dtype=np.int64)
    way_id = pd.to_numeric(pd.Series([_first(x) for x in df["id"]]), errors="coerce").fillna(-1)
    edges = pd.DataFrame(
        {
            "u": np.where(flip, v, u),
            "v": np.where(flip, u, v),
            "length_m": pd.to_numeric(df["length"], errors="coerce").to_numpy(dtype=np.float64),
            "highway": pd.Series(highway, dtype=object),
            "width_m": width,
            "lanes": per_dir,
            "vehicle_speed_mps": speed,
            "capacity_vph": np.nan,
            "oneway": oneway,
            "walk": walk,
            "vehicle": vehicle,
            "edge_id": way_id.to_numpy(dtype=np.int64),
            "name": pd.Series(fallback_names(tags["name"], tags["ref"], highway), dtype=object),
        }
    )
    return edges[list(EDGE_COLUMNS)], flip


def _as_bool(value: object) -> bool:
    value = _first(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return str(value).strip().lower() in {"true", "yes", "1", "-1"}


def _is_road(highway: Iterable[object]) -> np.ndarray:
    classes = [_text(h) for h in highway]
    return np.array([h is not None and h not in _NOT_ROADS for h in classes], dtype=bool)


def _select(edges: pd.DataFrame, network_type: str) -> np.ndarray:
    keep = _is_road(edges["highway"])
    if network_type == "walking":
        keep &= edges["walk"].to_numpy(dtype=bool)
    elif network_type == "driving":
        keep &= edges["vehicle"].to_numpy(dtype=bool)
    return keep


def _check(path: Path, network_type: str) -> None:
    if not path.exists():
        raise ScenarioError(f"{path}: file not found")
    if network_type not in NETWORK_TYPES:
        raise ScenarioError(f"{path}: network_type {network_type!r} is not one of {list(NETWORK_TYPES)}")


def _finish(
    path: Path, nodes: pd.DataFrame, edges: pd.DataFrame, geometry: Iterable[object], network_type: str
) -> RawNetwork:
    import geopandas as gpd

    geoms = gpd.GeoSeries(list(geometry), crs="EPSG:4326")
    keep = _select(edges, network_type) & (edges.u != edges.v).to_numpy()
    edges = edges[keep].reset_index(drop=True)
    geoms = geoms[keep].reset_index(drop=True)
    if edges.empty:
        raise ScenarioError(f"{path}: no {network_type} ways (OSM highway=*) in the file")
    used = np.union1d(edges.u.to_numpy(), edges.v.to_numpy())
    nodes = nodes[nodes["id"].isin(used)].drop_duplicates("id").reset_index(drop=True)
    missing = np.setdiff1d(used, nodes["id"].to_numpy())
    if missing.size:
        raise ScenarioError(
            f"{path}: ways refer to {missing.size} node(s) absent from the file, e.g. {missing[:5].tolist()}"
        )
    return RawNetwork(nodes=nodes, edges=edges, crs="EPSG:4326", geometry=geoms)


def _read_pbf(path: Path, network_type: str) -> RawNetwork:
    import warnings

    import pyrosm
    from shapely import reverse

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path))
            out = osm.get_network(
                network_type="all" if network_type == "all" else network_type,
                nodes=True,
                extra_attributes=[k for k in _TAGS if k not in ("oneway", "name")],
            )
    except Exception as exc:  # pyrosm raises its own InvalidOSMFileError and others for broken files
        raise ScenarioError(f"{path}: cannot read as an OSM PBF file ({type(exc).__name__}: {exc})") from exc
    if out is None or out[1] is None or len(out[1]) == 0:
        raise ScenarioError(f"{path}: no {network_type} ways (OSM highway=*) in the file")
    gnodes, gedges = out
    edges, flip = edges_from_osm_tags(gedges, oneway_resolved=False)
    geom = np.array(gedges.geometry.to_numpy(), dtype=object)
    if flip.any():
        geom[flip] = reverse(geom[flip])
    nodes = pd.DataFrame(
        {"id": gnodes["id"].to_numpy(dtype=np.int64), "x": gnodes["lon"].to_numpy(dtype=np.float64),
         "y": gnodes["lat"].to_numpy(dtype=np.float64)}
    )
    return _finish(path, nodes, edges, geom, network_type)


def graph_to_raw(graph: nx.MultiDiGraph, path: Path, network_type: str = "all") -> RawNetwork:
    """Convert an osmnx ``MultiDiGraph`` (lon/lat, both directions of two-way roads) to a :class:`RawNetwork`.

    Parameters
    ----------
    graph
        The graph, as made by ``osmnx.graph_from_xml`` or ``osmnx.load_graphml``.
    path
        The file it came from (for messages).
    network_type
        ``"walking"``, ``"driving"`` or ``"all"``: which edges to keep.

    Returns
    -------
    RawNetwork
        In EPSG:4326, with one LineString per edge (straight where the graph stores none).
    """
    from shapely import LineString

    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    xs = np.array([float(d["x"]) for _, d in graph.nodes(data=True)], dtype=np.float64)
    ys = np.array([float(d["y"]) for _, d in graph.nodes(data=True)], dtype=np.float64)
    nodes = pd.DataFrame({"id": node_ids, "x": xs, "y": ys})
    pos = dict(zip(node_ids.tolist(), zip(xs.tolist(), ys.tolist(), strict=True), strict=True))
    rows = []
    geoms = []
    for u, v, d in graph.edges(data=True):
        row = {k: d.get(k) for k in ("highway", "length", "oneway", *_TAGS)}
        row.update(u=u, v=v, id=d.get("osmid", -1))
        rows.append(row)
        g = d.get("geometry")
        geoms.append(g if g is not None else LineString([pos[int(u)], pos[int(v)]]))
    if not rows:
        raise ScenarioError(f"{path}: the graph has no edges")
    df = pd.DataFrame(rows)
    edges, _ = edges_from_osm_tags(df, oneway_resolved=True)
    return _finish(path, nodes, edges, geoms, network_type)


def import_osmnx(path: Path) -> ModuleType:
    """Import osmnx, or say which file needs it when it is not installed."""
    try:
        import osmnx
    except ImportError as exc:
        raise ScenarioError(f"{path}: reading this file needs the 'osmnx' package (pip install osmnx)") from exc
    return osmnx


def _read_xml(path: Path, network_type: str) -> RawNetwork:
    import warnings

    ox = import_osmnx(path)

    useful = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = list(dict.fromkeys([*useful, *_TAGS]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ScenarioError(f"{path}: cannot read as OSM XML ({exc})") from exc
    except Exception as exc:  # osmnx raises its own errors and XML parse errors for broken files
        raise ScenarioError(f"{path}: cannot read as OSM XML ({type(exc).__name__}: {exc})") from exc
    finally:
        ox.settings.useful_tags_way = useful
    return graph_to_raw(graph, path, network_type)


def read_osm(path: str | Path, network_type: str = "walking") -> RawNetwork:
    """Read an OpenStreetMap extract.

    Parameters
    ----------
    path
        A ``.osm.pbf`` / ``.pbf`` file (read with pyrosm) or ``.osm`` / ``.osm.bz2`` / ``.xml`` XML (read with
        osmnx, unsimplified).
    network_type
        ``"walking"`` (ways pedestrians may use), ``"driving"`` (ways motor vehicles may use) or ``"all"``.

    Returns
    -------
    RawNetwork
        Nodes in lon/lat (``crs="EPSG:4326"``), one edge per way segment and legal vehicle direction (see the
        module notes), ``edge_id`` the OSM way id, and the segments' LineStrings as ``geometry``.

    Raises
    ------
    ScenarioError
        If the file is missing, unreadable or holds no ways of the requested type.
    """
    path = Path(path)
    _check(path, network_type)
    name = path.name.lower()
    if name.endswith(".pbf"):
        return _read_pbf(path, network_type)
    if name.endswith((".osm", ".osm.bz2", ".xml", ".osm.xml")):
        return _read_xml(path, network_type)
    from evacplan.errors import UnsupportedFormatError

    raise UnsupportedFormatError(f"{path}: not an OSM file (expected .osm.pbf, .pbf, .osm, .osm.bz2)")
