"""GMNS networks (General Modeling Network Specification, github.com/zephyr-data-specs/GMNS).

Columns read. ``node.csv``: ``node_id``, ``x_coord``, ``y_coord`` (required). ``link.csv``: ``link_id``,
``from_node_id``, ``to_node_id`` (required); ``length`` (metres; computed from coordinates when missing),
``lanes`` (in the link's direction), ``free_speed`` (km/h), ``capacity`` (vehicles per hour *per lane*),
``facility_type`` or ``link_type_name`` (taken as the OSM ``highway`` class when it is one), ``allowed_uses``
(``"auto;walk"``, ``"walk"``, ...; empty means all uses), ``directed`` (links are directed unless it is
0/false, in which case vehicles may use them both ways), ``geometry`` (WKT LineString) and ``name`` (the street
name; where a link of a file with names has none, its road class in words, e.g. ``"unnamed footway"``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from evacplan.errors import ScenarioError
from evacplan.network.attributes import ROAD_CLASSES
from evacplan.network.names import fallback_names
from evacplan.network.raw import EDGE_COLUMNS, RawNetwork

__all__ = ["read_gmns"]

_NODE_REQUIRED = ("node_id", "x_coord", "y_coord")
_LINK_REQUIRED = ("link_id", "from_node_id", "to_node_id")
_WALK_USES = frozenset({"walk", "pedestrian", "ped", "foot"})
_VEHICLE_USES = frozenset({"auto", "car", "drive", "vehicle", "hov", "truck", "bus", "taxi", "sov"})
_FALSE = frozenset({"0", "false", "no", "f", "n"})


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise ScenarioError(f"{path}: file not found (a GMNS network needs node.csv and link.csv together)")
    try:
        df = pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise ScenarioError(f"{path}: cannot read as CSV ({exc})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    for col in required:
        if col not in df.columns:
            raise ScenarioError(f"{path}: required column {col!r} is missing (columns: {list(df.columns)})")
    return df


def _numeric(path: Path, df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    vals = pd.to_numeric(df[col], errors="coerce")
    return vals.to_numpy(dtype=np.float64)


def _ids(path: Path, df: pd.DataFrame, col: str) -> np.ndarray:
    vals = pd.to_numeric(df[col], errors="coerce")
    bad = vals.isna() | (vals != vals.round())
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ScenarioError(
            f"{path}: column {col!r} must hold integer ids; row {row + 2} has {df[col].iloc[row]!r}"
        )
    return vals.to_numpy().astype(np.int64)


def _uses(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    walk = np.ones(len(values), dtype=bool)
    vehicle = np.ones(len(values), dtype=bool)
    for i, raw in enumerate(values):
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or not str(raw).strip():
            continue
        tokens = {t.strip().lower() for t in re.split(r"[;,|\s]+", str(raw)) if t.strip()}
        walk[i] = bool(tokens & _WALK_USES)
        vehicle[i] = bool(tokens & _VEHICLE_USES)
    return walk, vehicle


def _highway(df: pd.DataFrame) -> pd.Series:
    out = pd.Series([None] * len(df), dtype=object)
    for col in ("facility_type", "link_type_name"):
        if col not in df.columns:
            continue
        vals = df[col].astype(object).map(lambda s: str(s).strip().lower() if pd.notna(s) else None)
        known = vals.map(lambda s: s if s in ROAD_CLASSES else None)
        out = out.where(out.notna(), known)
    return pd.Series([h if isinstance(h, str) else None for h in out], dtype=object)


def _names(df: pd.DataFrame, highway: pd.Series) -> pd.Series:
    if "name" not in df.columns:
        return pd.Series([None] * len(df), dtype=object)
    names = [str(s).strip() if pd.notna(s) and str(s).strip() else None for s in df["name"]]
    return pd.Series(fallback_names(names, [None] * len(df), list(highway)), dtype=object)


def read_gmns(path: str | Path, *, crs: str | None = None) -> RawNetwork:
    """Read a GMNS network.

    Parameters
    ----------
    path
        The folder holding ``node.csv`` and ``link.csv``, or either of those files.
    crs
        CRS of ``x_coord``/``y_coord``; default EPSG:4326 when they look like degrees, else unknown.

    Returns
    -------
    RawNetwork
        One edge per link; ``capacity_vph`` = ``capacity`` x ``lanes`` (lanes 1 when not given); ``geometry``
        from the links' WKT ``geometry`` column when every link has one, else ``None``.

    Raises
    ------
    ScenarioError
        If a file or a required column is missing, ids are not integers, or links use unknown nodes.
    """
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: file or folder not found")
    folder = path if path.is_dir() else path.parent
    node_path, link_path = folder / "node.csv", folder / "link.csv"
    ndf = _read_csv(node_path, _NODE_REQUIRED)
    ldf = _read_csv(link_path, _LINK_REQUIRED)
    nodes = pd.DataFrame(
        {"id": _ids(node_path, ndf, "node_id"), "x": _numeric(node_path, ndf, "x_coord"),
         "y": _numeric(node_path, ndf, "y_coord")}
    )
    if not np.all(np.isfinite(nodes[["x", "y"]].to_numpy())):
        raise ScenarioError(f"{node_path}: x_coord / y_coord must be numbers on every row")
    if nodes["id"].duplicated().any():
        dup = nodes["id"][nodes["id"].duplicated()].iloc[0]
        raise ScenarioError(f"{node_path}: node_id {dup} appears more than once")
    lonlat = bool(len(nodes) and nodes.x.abs().max() <= 180 and nodes.y.abs().max() <= 90)
    if crs is None and lonlat:
        crs = "EPSG:4326"

    lanes = _numeric(link_path, ldf, "lanes")
    lanes = np.where(np.isfinite(lanes) & (lanes > 0), lanes, np.nan)
    cap_lane = _numeric(link_path, ldf, "capacity")
    n_lanes = np.where(np.isfinite(lanes), lanes, 1.0)
    cap = np.where(np.isfinite(cap_lane) & (cap_lane > 0), cap_lane * n_lanes, np.nan)
    speed = _numeric(link_path, ldf, "free_speed") / 3.6
    length = _numeric(link_path, ldf, "length")
    if "directed" in ldf.columns:
        oneway = ~ldf["directed"].astype(str).str.strip().str.lower().isin(_FALSE).to_numpy()
    else:
        oneway = np.ones(len(ldf), dtype=bool)
    highway = _highway(ldf)
    walk, vehicle = _uses(ldf["allowed_uses"]) if "allowed_uses" in ldf.columns else (
        np.ones(len(ldf), bool), np.ones(len(ldf), bool))
    edges = pd.DataFrame(
        {
            "u": _ids(link_path, ldf, "from_node_id"),
            "v": _ids(link_path, ldf, "to_node_id"),
            "length_m": np.where(np.isfinite(length) & (length > 0), length, np.nan),
            "highway": highway,
            "width_m": np.nan,
            "lanes": lanes,
            "vehicle_speed_mps": np.where(np.isfinite(speed) & (speed > 0), speed, np.nan),
            "capacity_vph": cap,
            "oneway": oneway,
            "walk": walk,
            "vehicle": vehicle,
            "edge_id": _ids(link_path, ldf, "link_id"),
            "name": _names(ldf, highway),
        }
    )[list(EDGE_COLUMNS)]
    missing = np.setdiff1d(np.union1d(edges.u.to_numpy(), edges.v.to_numpy()), nodes["id"].to_numpy())
    if missing.size:
        raise ScenarioError(
            f"{link_path}: links use node ids absent from {node_path.name}: {missing[:5].tolist()}"
        )
    keep = (edges.u != edges.v).to_numpy()
    edges = edges[keep].reset_index(drop=True)
    geometry = None
    if "geometry" in ldf.columns and ldf["geometry"].notna().all():
        import geopandas as gpd

        try:
            geometry = gpd.GeoSeries.from_wkt(ldf["geometry"][keep].reset_index(drop=True), crs=crs)
        except Exception as exc:  # shapely raises GEOSException for bad WKT
            raise ScenarioError(f"{link_path}: column 'geometry' is not valid WKT ({exc})") from exc
    return RawNetwork(nodes=nodes, edges=edges, crs=crs, geometry=geometry)
