"""Geometries of a built network: straight edges and node paths as shapely lines, in the network's CRS.

The one place that turns the network's node coordinates into geometries, for the GeoPackage of a run
(:mod:`evacplan.report.geodata`) and the ``to_geodataframe()`` views of problems and plans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray

if TYPE_CHECKING:
    from evacplan.network.graph import Network

__all__ = ["edge_lines", "node_points", "path_lines"]


def _xy(network: Network) -> NDArray[np.float64]:
    return np.c_[network.x, network.y]


def edge_lines(network: Network, edges: NDArray[np.integer] | None = None) -> NDArray[Any]:
    """A straight line from tail to head of each edge (default: every edge), as an array of shapely geometries."""
    sel = np.arange(network.n_edges) if edges is None else np.asarray(edges, dtype=np.int64)
    xy = _xy(network)
    if sel.size == 0:
        return np.zeros(0, dtype=object)
    return shapely.linestrings(np.stack([xy[network.tail[sel]], xy[network.head[sel]]], axis=1))


def node_points(network: Network) -> NDArray[Any]:
    """A point at each node, as an array of shapely geometries."""
    return shapely.points(_xy(network))


def path_lines(network: Network, paths: Sequence[NDArray[np.integer]]) -> list[Any]:
    """One line through the nodes of each path (node indices); a path of one node becomes a tiny ring around it."""
    xy = _xy(network)
    return [shapely.LineString(xy[p]) if len(p) > 1 else shapely.Point(xy[p[0]]).buffer(0.5).boundary
            for p in paths]
