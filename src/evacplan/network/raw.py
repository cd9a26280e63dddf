"""The common shape every network reader returns, before edge attributes are derived."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["EDGE_COLUMNS", "RawNetwork"]

#: Columns of :attr:`RawNetwork.edges`; optional ones may hold NaN where the source says nothing.
EDGE_COLUMNS = {
    "u": "tail node id (required)",
    "v": "head node id (required)",
    "length_m": "length in metres (required; computed from coordinates when missing)",
    "highway": "road class (OSM highway tag), optional",
    "width_m": "carriageway or path width in metres, optional",
    "lanes": "number of lanes in this direction, optional",
    "vehicle_speed_mps": "free speed of motor vehicles in m/s, optional",
    "capacity_vph": "vehicle capacity of the edge in vehicles per hour (all lanes), optional",
    "oneway": "True when vehicles may only use the edge from u to v",
    "walk": "whether pedestrians may use the edge",
    "vehicle": "whether motor vehicles (and carts) may use the edge",
    "edge_id": "identifier in the source (row number, OSM way id)",
    "name": "street name (OSM name, else ref, else the road class in words), optional",
}


@dataclass
class RawNetwork:
    """Nodes and edges as read from a source, in the source's CRS.

    Attributes
    ----------
    nodes
        ``DataFrame`` with columns ``id`` (int64), ``x``, ``y``.
    edges
        ``DataFrame`` with the columns of :data:`EDGE_COLUMNS`; one row per direction a vehicle may use (walkers
        may use every edge in both directions; the builder adds the reverse edges it needs).
    crs
        CRS of ``x, y`` (``"EPSG:4326"`` for lon/lat), or ``None`` when the source does not say.
    geometry
        Optional shapely geometries of the edges (same order as ``edges``), in ``crs``; used to test closures.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    crs: str | None
    geometry: object | None = None
