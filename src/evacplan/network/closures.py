"""Closed areas, lines and crossings: edges no route may use."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from evacplan.network.projection import to_crs
from evacplan.network.raw import RawNetwork

__all__ = ["closed_edge_mask"]


def closed_edge_mask(raw: RawNetwork, crs: str, closed: Iterable[Any], snap_m: float) -> NDArray[np.bool_]:
    """Which raw edges enter or cross a closed area or line, or touch a closed crossing.

    Parameters
    ----------
    raw
        The network as read (any CRS).
    crs
        The metric CRS ``closed`` is given in (the network's target CRS).
    closed
        A ``GeoSeries`` (or sequence) of shapely geometries in ``crs``: polygons (no entry), lines (no crossing) and
        points (closed crossings: every edge within ``snap_m`` of the point is closed).
    snap_m
        Radius around a closed crossing point.

    Returns
    -------
    numpy.ndarray
        ``bool[len(raw.edges)]``.
    """
    items = list(closed)
    geoms = np.empty(len(items), dtype=object)
    geoms[:] = items
    if geoms.size == 0:
        return np.zeros(len(raw.edges), dtype=bool)
    kinds = shapely.get_type_id(geoms)
    points = geoms[kinds == 0]
    others = geoms[kinds != 0]
    barrier = shapely.union_all(others) if others.size else None
    if points.size:
        buf = shapely.union_all(shapely.buffer(points, snap_m))
        barrier = buf if barrier is None else shapely.union(barrier, buf)
    if barrier is None or shapely.is_empty(barrier):
        return np.zeros(len(raw.edges), dtype=bool)
    shapely.prepare(barrier)
    lines = _edge_lines(raw, crs)
    return np.asarray(shapely.intersects(barrier, lines), dtype=bool)


def _edge_lines(raw: RawNetwork, crs: str) -> NDArray[np.object_]:
    geom: Any = raw.geometry
    if geom is not None and len(geom) == len(raw.edges):
        gs = geom.to_crs(crs) if crs and getattr(geom, "crs", None) is not None else geom
        return np.asarray(gs.values)
    nodes = raw.nodes.set_index("id")
    x, y = to_crs(raw.crs, crs, nodes.x.to_numpy(dtype=np.float64), nodes.y.to_numpy(dtype=np.float64))
    pos = {int(k): i for i, k in enumerate(nodes.index)}
    u = np.array([pos.get(int(a), -1) for a in raw.edges.u], dtype=np.int64)
    v = np.array([pos.get(int(b), -1) for b in raw.edges.v], dtype=np.int64)
    coords = np.stack([np.c_[x[u], y[u]], np.c_[x[v], y[v]]], axis=1)
    return shapely.linestrings(coords)
