"""Numba kernels shared by the planner and the simulator: a binary heap and shortest paths over CSR arrays.

Plain numpy arrays in and out; no I/O, geometry or pandas. The heap orders ``(key, value)`` pairs
lexicographically, so that ties between equal keys break on the value (a node index): every search that uses it
is deterministic.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["dijkstra", "heap_pop", "heap_push", "tree_to_targets"]

INF = np.inf


@njit(cache=True)
def _less(hk, hv, i, j):
    return hk[i] < hk[j] or (hk[i] == hk[j] and hv[i] < hv[j])


@njit(cache=True)
def heap_push(hk, hv, n, key, val):
    """Push ``(key, val)`` onto the heap of size ``n`` held in ``hk`` (keys) and ``hv`` (values); return ``n + 1``."""
    i = n
    hk[i] = key
    hv[i] = val
    while i > 0:
        parent = (i - 1) >> 1
        if not _less(hk, hv, i, parent):
            break
        hk[parent], hk[i] = hk[i], hk[parent]
        hv[parent], hv[i] = hv[i], hv[parent]
        i = parent
    return n + 1


@njit(cache=True)
def heap_pop(hk, hv, n):
    """Pop the smallest ``(key, val)`` of a heap of size ``n > 0``; return ``(key, val, n - 1)``."""
    key = hk[0]
    val = hv[0]
    n -= 1
    hk[0] = hk[n]
    hv[0] = hv[n]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            break
        child = left
        if left + 1 < n and _less(hk, hv, left + 1, left):
            child = left + 1
        if not _less(hk, hv, child, i):
            break
        hk[child], hk[i] = hk[i], hk[child]
        hv[child], hv[i] = hv[i], hv[child]
        i = child
    return key, val, n


@njit(cache=True)
def dijkstra(indptr, adj_node, adj_edge, weight, init):
    """Shortest distances over CSR adjacency from several sources.

    Parameters
    ----------
    indptr, adj_node, adj_edge
        Adjacency: the neighbours of node ``v`` are ``adj_node[indptr[v]:indptr[v + 1]]`` over edges
        ``adj_edge[...]`` (pass the in-edge CSR to search backwards).
    weight
        Cost of every edge (``inf`` or negative = unusable), ``float64[m]``.
    init
        Starting distance of every node, ``float64[n]`` (``inf`` when not a source).

    Returns
    -------
    (dist, pred)
        Distances ``float64[n]`` and the edge through which each node was reached (``-1`` for sources and
        unreached nodes).
    """
    n = indptr.shape[0] - 1
    dist = init.copy()
    pred = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.bool_)
    hk = np.empty(adj_node.shape[0] + n + 1, dtype=np.float64)
    hv = np.empty(adj_node.shape[0] + n + 1, dtype=np.int64)
    size = 0
    for v in range(n):
        if dist[v] < INF:
            size = heap_push(hk, hv, size, dist[v], v)
    while size > 0:
        d, v, size = heap_pop(hk, hv, size)
        if done[v] or d > dist[v]:
            continue
        done[v] = True
        for s in range(indptr[v], indptr[v + 1]):
            w = weight[adj_edge[s]]
            if not (w >= 0.0 and w < INF):
                continue
            h = adj_node[s]
            nd = d + w
            if nd < dist[h]:
                dist[h] = nd
                pred[h] = adj_edge[s]
                size = heap_push(hk, hv, size, nd, h)
    return dist, pred


@njit(cache=True)
def tree_to_targets(rev_indptr, rev_edges, tail, weight, is_target, next_edge, dist):
    """Reverse shortest-path tree towards a set of target nodes.

    Fills ``next_edge[v]`` (the first edge of a shortest path from ``v`` to a target; ``-1`` at targets and where
    none) and ``dist[v]`` (its cost; ``inf`` where none). ``weight`` is the cost of every edge (``inf`` = unusable).
    """
    n = dist.shape[0]
    init = np.full(n, INF)
    for v in range(n):
        if is_target[v]:
            init[v] = 0.0
    adj = np.empty(rev_edges.shape[0], dtype=np.int64)
    for s in range(rev_edges.shape[0]):
        adj[s] = tail[rev_edges[s]]
    d, pred = dijkstra(rev_indptr, adj, rev_edges, weight, init)
    for v in range(n):
        dist[v] = d[v]
        next_edge[v] = pred[v]
    return next_edge
