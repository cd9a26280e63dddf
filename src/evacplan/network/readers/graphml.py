"""GraphML street networks: osmnx-style files (``osmnx.save_graphml``) and plain networkx GraphML.

osmnx files are loaded with ``osmnx.load_graphml`` and interpreted like OSM (see
:mod:`evacplan.network.readers.osm`). Plain GraphML needs node attributes ``x`` and ``y`` (or
``lon``/``lat``); edges may carry ``length`` (metres), ``highway``, ``lanes``, ``maxspeed``, ``width`` and
``oneway``. In a directed plain graph without ``oneway`` attributes every edge is taken as one-way for
vehicles (the file lists the directions); in an undirected one, as two-way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evacplan.errors import ScenarioError
from evacplan.network.raw import RawNetwork
from evacplan.network.readers.osm import NETWORK_TYPES, edges_from_osm_tags, graph_to_raw, import_osmnx

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["read_graphml"]


def _is_osmnx(graph: nx.Graph) -> bool:
    return "osmnx" in str(graph.graph.get("created_with", "")).lower()


def _coords(path: Path, graph: nx.Graph) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for n, d in graph.nodes(data=True):
        x = d.get("x", d.get("lon"))
        y = d.get("y", d.get("lat"))
        if x is None or y is None:
            raise ScenarioError(f"{path}: node {n!r} has no 'x'/'y' (or 'lon'/'lat') attributes")
        try:
            xs.append(float(x))
            ys.append(float(y))
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"{path}: node {n!r} has non-numeric coordinates ({x!r}, {y!r})") from exc
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)


def _node_ids(graph: nx.Graph) -> tuple[np.ndarray, dict[object, int]]:
    labels = list(graph.nodes)
    try:
        ids = [int(str(n)) for n in labels]
        if len(set(ids)) == len(ids):
            return np.array(ids, dtype=np.int64), dict(zip(labels, ids, strict=True))
    except ValueError:
        pass
    ids = list(range(len(labels)))
    return np.array(ids, dtype=np.int64), dict(zip(labels, ids, strict=True))


def _read_plain(path: Path, graph: nx.Graph, crs: str | None, network_type: str) -> RawNetwork:
    import geopandas as gpd
    from shapely import LineString

    x, y = _coords(path, graph)
    ids, mapping = _node_ids(graph)
    nodes = pd.DataFrame({"id": ids, "x": x, "y": y})
    pos = {mapping[n]: (xi, yi) for n, xi, yi in zip(graph.nodes, x.tolist(), y.tolist(), strict=True)}
    if crs is None:
        crs = graph.graph.get("crs")
    if crs is None and len(nodes) and np.abs(x).max() <= 180 and np.abs(y).max() <= 90:
        crs = "EPSG:4326"
    rows = []
    for i, (u, v, d) in enumerate(graph.edges(data=True)):
        row = dict(d)
        row.update(u=mapping[u], v=mapping[v], id=d.get("osmid", d.get("id", i)), length=d.get("length"))
        if "oneway" not in d:
            row["oneway"] = bool(graph.is_directed())
        rows.append(row)
    if not rows:
        raise ScenarioError(f"{path}: the graph has no edges")
    df = pd.DataFrame(rows)
    if "highway" not in df.columns:
        df["highway"] = None
    edges, _ = edges_from_osm_tags(df, oneway_resolved=True)
    edges["edge_id"] = pd.to_numeric(edges["edge_id"], errors="coerce").fillna(-1).astype(np.int64)
    if network_type == "walking":
        edges = edges[edges["walk"]]
    elif network_type == "driving":
        edges = edges[edges["vehicle"]]
    edges = edges[edges.u != edges.v].reset_index(drop=True)
    lines = [LineString([pos[u], pos[v]]) for u, v in zip(edges.u, edges.v, strict=True)]
    geometry = gpd.GeoSeries(lines, crs=crs)
    return RawNetwork(nodes=nodes, edges=edges, crs=crs, geometry=geometry)


def read_graphml(path: str | Path, network_type: str = "all", *, crs: str | None = None) -> RawNetwork:
    """Read a GraphML street network.

    Parameters
    ----------
    path
        The ``.graphml`` file.
    network_type
        ``"walking"``, ``"driving"`` or ``"all"`` (default): which edges to keep.
    crs
        CRS of plain GraphML coordinates; default: the graph's ``crs`` attribute, else EPSG:4326 when the
        coordinates look like degrees, else unknown. osmnx files are always lon/lat.

    Returns
    -------
    RawNetwork
        Nodes, one edge per graph edge, and the edges' LineStrings (straight lines where the file has none).

    Raises
    ------
    ScenarioError
        If the file is missing, not GraphML, or its nodes lack coordinates.
    """
    import networkx as nx

    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: file not found")
    if network_type not in NETWORK_TYPES:
        raise ScenarioError(f"{path}: network_type {network_type!r} is not one of {list(NETWORK_TYPES)}")
    try:
        graph = nx.read_graphml(path)
    except Exception as exc:  # networkx raises XML parse errors and NetworkXError for broken files
        raise ScenarioError(f"{path}: cannot read as GraphML ({type(exc).__name__}: {exc})") from exc
    if _is_osmnx(graph):
        ox = import_osmnx(path)
        try:
            graph = ox.load_graphml(path)
        except Exception as exc:  # conversion errors of osmnx on malformed attributes
            msg = f"{path}: cannot read as osmnx GraphML ({type(exc).__name__}: {exc})"
            raise ScenarioError(msg) from exc
        return graph_to_raw(graph, path, network_type)
    return _read_plain(path, graph, crs, network_type)
