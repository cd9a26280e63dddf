"""Shortest travel times to a set of nodes (multi-source Dijkstra on the reversed network)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from evacplan.network.graph import Network

__all__ = ["time_to_nodes"]


def time_to_nodes(net: Network, edge_time_s: NDArray[np.float64], targets: NDArray[np.integer]) -> NDArray[np.float64]:
    """Shortest travel time from every node to the nearest of ``targets``, in seconds.

    Parameters
    ----------
    net
        The network.
    edge_time_s
        Travel time of each edge, ``float64[m]``; ``inf`` (or any non-finite value) marks an edge that may not be used.
    targets
        Node indices.

    Returns
    -------
    numpy.ndarray
        ``float64[n]``; ``inf`` where no target can be reached, 0 at the targets.
    """
    n = net.n_nodes
    targets = np.unique(np.asarray(targets, dtype=np.int64))
    if targets.size == 0:
        return np.full(n, np.inf)
    ok = np.isfinite(edge_time_s)
    # reversed graph (head -> tail) plus a super source n linked to every target at zero cost
    rows = np.concatenate([net.head[ok].astype(np.int64), np.full(targets.size, n)])
    cols = np.concatenate([net.tail[ok].astype(np.int64), targets])
    w = np.concatenate([np.maximum(edge_time_s[ok], 1e-9), np.full(targets.size, 1e-9)])
    # parallel edges: keep the quickest (a sparse matrix would add them up)
    key = rows * (n + 1) + cols
    order = np.lexsort((w, key))
    key, rows, cols, w = key[order], rows[order], cols[order], w[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    g = csr_matrix((w[first], (rows[first], cols[first])), shape=(n + 1, n + 1))
    dist = dijkstra(g, directed=True, indices=n)
    out = np.asarray(dist[:n], dtype=np.float64) - 1e-9
    return np.where(np.isfinite(out), np.maximum(out, 0.0), np.inf)
