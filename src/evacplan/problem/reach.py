"""Which demand rows can reach a safe zone at all."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from evacplan.network.graph import Network
from evacplan.network.zones import ZoneMap
from evacplan.population.demand import Demand

__all__ = ["reachable_nodes", "reachable_over", "reachable_rows"]


def reachable_nodes(net: Network, zones: ZoneMap, mode: int) -> NDArray[np.bool_]:
    """Nodes from which some safe zone with capacity can be reached using edges open to ``mode``."""
    ok = (net.speed_mps[mode] > 0) & (net.capacity_per_s[mode] > 0)
    return reachable_over(net, zones, ok)


def reachable_over(
    net: Network, zones: ZoneMap, open_edges: NDArray[np.bool_], min_room: float = 0.0
) -> NDArray[np.bool_]:
    """Nodes from which a safe zone with more than ``min_room`` capacity can be reached over ``open_edges``.

    A reverse breadth-first search from a virtual super-sink linked to every node of such a safe zone.
    """
    n = net.n_nodes
    ok = np.asarray(open_edges, dtype=bool)
    room = zones.safe_capacity[np.maximum(zones.node_safe, 0)]
    sinks = np.flatnonzero((zones.node_safe >= 0) & (room > min_room))
    if sinks.size == 0:
        return np.zeros(n, dtype=bool)
    # reversed graph plus super node n -> every sink
    rows = np.concatenate([net.head[ok].astype(np.int64), np.full(sinks.size, n)])
    cols = np.concatenate([net.tail[ok].astype(np.int64), sinks])
    g = csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1))
    order = breadth_first_order(g, n, directed=True, return_predecessors=False)
    out = np.zeros(n + 1, dtype=bool)
    out[order] = True
    return out[:n]


def reachable_rows(net: Network, zones: ZoneMap, demand: Demand) -> NDArray[np.bool_]:
    """Whether each demand row has a path to a safe zone by its own mode, ``bool[k]``."""
    out = np.zeros(demand.n_rows, dtype=bool)
    for k in np.unique(demand.mode):
        rows = demand.mode == k
        out[rows] = reachable_nodes(net, zones, int(k))[demand.origin[rows]]
    return out
