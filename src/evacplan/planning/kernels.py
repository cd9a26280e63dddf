"""Numba kernels of the fast planner: capacity-aware earliest-arrival search and reservation (CCRP family).

Plain numpy arrays in and out. State shared by the kernels:

``resid[t, e]``
    seconds of edge ``e``'s one-bin outflow budget still free in bin ``t`` (starts at the step length); bins are
    rows so that a node's out-edges (contiguous in CSR) share cache lines;
``nxt[t, e]``
    union-find "next bin not full" pointers (a bin is full when not even the lightest class fits); ``nxt[T, e]`` is a
    sentinel;
``cumdep[r, t]``
    persons of row ``r`` departed by bin ``t``; ``release[r, t]`` the persons allowed to have departed by then.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EPS = 1e-7
INF_T = np.int64(1) << 60


@njit(cache=True)
def _find(nxt, e, t):
    r = t
    while nxt[r, e] != r:
        r = nxt[r, e]
    while nxt[t, e] != r:
        nx = nxt[t, e]
        nxt[t, e] = r
        t = nx
    return r


@njit(cache=True)
def _free_bin(resid, nxt, e, a, w, n_bins):
    """First bin ``>= a`` of edge ``e`` where one more person of weight ``w`` fits (``n_bins`` when none)."""
    if a >= n_bins:
        return n_bins
    if resid[a, e] + EPS >= w:
        return a
    t = _find(nxt, e, a)
    while t < n_bins and resid[t, e] + EPS < w:
        t = _find(nxt, e, t + 1)
    return t


@njit(cache=True)
def _heap_push(heap, size, key):
    i = size
    heap[i] = key
    while i > 0:
        p = (i - 1) >> 1
        if heap[p] <= heap[i]:
            break
        heap[p], heap[i] = heap[i], heap[p]
        i = p
    return size + 1


@njit(cache=True)
def _heap_pop(heap, size):
    top = heap[0]
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        c = left
        if left + 1 < size and heap[left + 1] < heap[left]:
            c = left + 1
        if heap[i] <= heap[c]:
            break
        heap[i], heap[c] = heap[c], heap[i]
        i = c
    return top, size


@njit(cache=True)
def earliest_arrival_search(
    indptr, head, tau, weight, resid, nxt, rows, origin, d0, remaining, node_safe, zone_rem, window,
    arr, pred_edge, pred_entry, src_row, settled, heap, targets,
):
    """Multi-source earliest-arrival search over free capacity, waiting allowed at nodes.

    Parameters
    ----------
    indptr, head
        Network CSR.
    tau, weight
        Transit bins (``-1`` closed) and per-person budget use of the searched class, ``[m]``.
    resid, nxt
        Capacity state (see module docstring).
    rows
        Demand rows of the class; those with ``remaining > 0`` and ``d0 < T`` are sources at bin ``d0``.
    origin, d0, remaining
        Per-row origin node, earliest departure bin with a person free to leave, persons not yet planned.
    node_safe, zone_rem
        Safe zone of each node (-1 none) and persons each zone can still receive.
    window
        The search stops ``window`` bins after the first safe node it settles.
    arr, pred_edge, pred_entry, src_row, settled, heap
        Work arrays (outputs): arrival bin, edge into the node, its entry bin, source row, settled flag; ``heap``
        of length >= ``m + n``.
    targets
        Output: safe nodes settled, in order.

    Returns
    -------
    (n_targets, overflow)
        Number of targets written; whether some edge had no free bin before ``T``.
    """
    n = indptr.shape[0] - 1
    n_bins = resid.shape[0]
    n1 = np.int64(n + 1)
    arr[:] = INF_T
    pred_edge[:] = -1
    settled[:] = 0
    size = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if remaining[r] <= 0 or d0[r] >= n_bins:
            continue
        v = origin[r]
        if d0[r] < arr[v]:
            arr[v] = d0[r]
            src_row[v] = r
            size = _heap_push(heap, size, np.int64(d0[r]) * n1 + v)
    stop = INF_T
    n_t = 0
    overflow = False
    while size > 0:
        key, size = _heap_pop(heap, size)
        v = key % n1
        a = key // n1
        if settled[v] or a != arr[v]:
            continue
        if a > stop:
            break
        settled[v] = 1
        z = node_safe[v]
        if z >= 0 and zone_rem[z] >= 1.0:
            if n_t < targets.shape[0]:
                targets[n_t] = v
                n_t += 1
            if stop == INF_T:
                stop = a + window
            continue
        for e in range(indptr[v], indptr[v + 1]):
            te = tau[e]
            if te < 0:
                continue
            h = head[e]
            if settled[h]:
                continue
            t = _free_bin(resid, nxt, e, a, weight[e], n_bins)
            if t >= n_bins:
                overflow = True
                continue
            na = t + te
            if na < arr[h]:
                arr[h] = na
                pred_edge[h] = e
                pred_entry[h] = t
                src_row[h] = src_row[v]
                if size >= heap.shape[0]:
                    continue
                size = _heap_push(heap, size, np.int64(na) * n1 + h)
    return n_t, overflow


@njit(cache=True)
def _slack(release, cumdep, r, d):
    """Persons of row ``r`` that may still depart at bin ``d``: ``min_{t >= d} release - cumdep``."""
    s = INF_T
    for t in range(d, release.shape[1]):
        x = release[r, t] - cumdep[r, t]
        if x < s:
            s = x
    return s


@njit(cache=True)
def first_departure(release, cumdep, r, need):
    """Earliest bin at which row ``r`` has ``need`` persons free to depart together (``T`` when none)."""
    n_bins = release.shape[1]
    smin = INF_T
    d0 = n_bins
    need = max(need, 1)
    for d in range(n_bins - 1, -1, -1):
        x = release[r, d] - cumdep[r, d]
        if x < smin:
            smin = x
        if smin >= need:
            d0 = d
        else:
            break
    return d0


@njit(cache=True)
def commit_groups(
    targets, n_targets, window, arr, pred_edge, pred_entry, src_row, tail, tau, weight, wmin, resid, nxt,
    release, cumdep, d0, remaining, node_safe, zone_rem, chunk,
    g_row, g_count, g_dep, g_arr, g_zone, g_len, p_edges, p_entry, n_groups, n_path,
):
    """Send groups along the search tree's paths to the targets, each also shifted by up to ``window - 1`` bins.

    Candidates are taken in order of arrival; each carries as many persons as its row may release at its departure
    bin, its zone can still receive and every (edge, bin) on its path lets through. Returns the new
    ``(n_groups, n_path)`` counts of the output buffers (the caller sizes them for
    ``n_targets * window`` more groups of paths up to the longest possible).
    """
    if n_targets == 0:
        return n_groups, n_path
    n_bins = resid.shape[0]
    # trace the paths once
    plen = np.zeros(n_targets, dtype=np.int64)
    total = 0
    for j in range(n_targets):
        v = targets[j]
        k = 0
        while pred_edge[v] >= 0:
            k += 1
            v = tail[pred_edge[v]]
        plen[j] = k
        total += k
    start = np.zeros(n_targets + 1, dtype=np.int64)
    for j in range(n_targets):
        start[j + 1] = start[j] + plen[j]
    pe = np.empty(total, dtype=np.int64)
    pt = np.empty(total, dtype=np.int64)
    dep = np.empty(n_targets, dtype=np.int64)
    for j in range(n_targets):
        v = targets[j]
        k = start[j + 1] - 1
        while pred_edge[v] >= 0:
            pe[k] = pred_edge[v]
            pt[k] = pred_entry[v]
            k -= 1
            v = tail[pred_edge[v]]
        dep[j] = pt[start[j]] if plen[j] > 0 else arr[targets[j]]
    a_min = arr[targets[0]]
    for j in range(n_targets):
        if arr[targets[j]] < a_min:
            a_min = arr[targets[j]]
    for level in range(a_min, a_min + window):
        for j in range(n_targets):
            shift = level - arr[targets[j]]
            if shift < 0 or shift >= window:
                continue
            v = targets[j]
            r = src_row[v]
            z = node_safe[v]
            if remaining[r] <= 0 or zone_rem[z] < 1.0:
                continue
            d = dep[j] + shift
            if d >= n_bins:
                continue
            x = min(remaining[r], _slack(release, cumdep, r, d))
            if zone_rem[z] < x:
                x = np.int64(zone_rem[z])
            for i in range(start[j], start[j + 1]):
                b = pt[i] + shift
                if b >= n_bins:
                    x = 0
                    break
                f = np.int64(np.floor((resid[b, pe[i]] + EPS) / weight[pe[i]]))
                if f < x:
                    x = f
                if x <= 0:
                    break
            if x <= 0:
                continue
            for i in range(start[j], start[j + 1]):
                e = pe[i]
                b = pt[i] + shift
                resid[b, e] -= x * weight[e]
                if resid[b, e] + EPS < wmin[e]:
                    nxt[b, e] = b + 1
                p_edges[n_path] = e
                p_entry[n_path] = b
                n_path += 1
            for t in range(d, n_bins):
                cumdep[r, t] += x
            remaining[r] -= x
            zone_rem[z] -= x
            d0[r] = first_departure(release, cumdep, r, min(chunk, remaining[r]))
            g_row[n_groups] = r
            g_count[n_groups] = x
            g_dep[n_groups] = d
            g_arr[n_groups] = arr[v] + shift
            g_zone[n_groups] = z
            g_len[n_groups] = plen[j]
            n_groups += 1
    return n_groups, n_path


@njit(cache=True)
def static_dijkstra(indptr, adj_node, adj_edge, weight, init):
    """Shortest distances over CSR adjacency (``adj_node``/``adj_edge`` per slot; ``weight[edge] < 0`` closed).

    ``init[v]`` is the starting distance of node ``v`` (``INF_T`` when not a source). Integer weights. Returns
    ``(dist, pred)`` with ``pred[v]`` the edge through which ``v`` was reached (``-1`` for sources).
    """
    n = indptr.shape[0] - 1
    n1 = np.int64(n + 1)
    dist = init.copy()
    pred = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=np.int8)
    heap = np.empty(adj_node.shape[0] + n + 1, dtype=np.int64)
    size = 0
    for v in range(n):
        if dist[v] < INF_T:
            size = _heap_push(heap, size, dist[v] * n1 + v)
    while size > 0:
        key, size = _heap_pop(heap, size)
        v = key % n1
        a = key // n1
        if done[v] or a != dist[v]:
            continue
        done[v] = 1
        for s in range(indptr[v], indptr[v + 1]):
            w = weight[adj_edge[s]]
            if w < 0:
                continue
            h = adj_node[s]
            if a + w < dist[h]:
                dist[h] = a + w
                pred[h] = adj_edge[s]
                size = _heap_push(heap, size, dist[h] * n1 + h)
    return dist, pred


@njit(cache=True)
def decompose_paths(indptr, arcs, head, flow, source, sink):
    """Decompose an acyclic flow into source-sink paths.

    Parameters
    ----------
    indptr, arcs
        Out-arcs of each node (``arcs[indptr[v]:indptr[v + 1]]``), only arcs with flow.
    head, flow
        Arc heads and flows (``flow`` is consumed).
    source, sink
        Terminals.

    Returns
    -------
    (path_start, path_arcs, amount)
        Path ``i`` is ``path_arcs[path_start[i]:path_start[i + 1]]`` carrying ``amount[i]``.
    """
    ptr = indptr.copy()
    cap_p = 1024
    cap_a = 16384
    start = np.zeros(cap_p + 1, dtype=np.int64)
    amount = np.zeros(cap_p, dtype=np.int64)
    out = np.zeros(cap_a, dtype=np.int64)
    buf = np.zeros(head.shape[0] + 1, dtype=np.int64)
    n_p = 0
    n_a = 0
    for s in range(indptr[source], indptr[source + 1]):
        a0 = arcs[s]
        while flow[a0] > 0:
            k = 0
            buf[k] = a0
            k += 1
            amt = flow[a0]
            v = head[a0]
            while v != sink:
                while flow[arcs[ptr[v]]] == 0:
                    ptr[v] += 1
                b = arcs[ptr[v]]
                buf[k] = b
                k += 1
                if flow[b] < amt:
                    amt = flow[b]
                v = head[b]
            for i in range(k):
                flow[buf[i]] -= amt
            if n_p + 1 > cap_p:
                cap_p *= 2
                s2 = np.zeros(cap_p + 1, dtype=np.int64)
                s2[: n_p + 1] = start[: n_p + 1]
                start = s2
                a2 = np.zeros(cap_p, dtype=np.int64)
                a2[:n_p] = amount[:n_p]
                amount = a2
            while n_a + k > cap_a:
                cap_a *= 2
                o2 = np.zeros(cap_a, dtype=np.int64)
                o2[:n_a] = out[:n_a]
                out = o2
            out[n_a : n_a + k] = buf[:k]
            n_a += k
            amount[n_p] = amt
            n_p += 1
            start[n_p] = n_a
    return start[: n_p + 1], out[:n_a], amount[:n_p]


@njit(cache=True)
def route_schedule(
    t_begin, t_end, rows, origin, release, taken, remaining, chunk, route_next, route_zone, tau, weight, wmin,
    head, resid, nxt, node_safe, zone_rem,
    g_row, g_count, g_dep, g_arr, g_zone, g_len, p_edges, p_entry, n_groups, n_path, buf_e, buf_t, max_new,
):
    """Schedule groups along fixed candidate routes, origins served in order of release (first come, first served).

    For each bin ``t`` in ``[t_begin, t_end)`` and each row with at least ``min(chunk, remaining)`` persons released
    and not yet sent, every candidate route (``route_next[k, v]``: next edge from ``v`` towards route ``k``'s safe
    node, ``-1`` at it) is walked from the origin taking the first bin with room on each edge (waiting allowed);
    the route arriving first wins and carries as many persons as its bottleneck bin, the zone and the row allow.

    Returns ``(n_groups, n_path, status, t)``: status 0 done, 1 output buffers nearly full, 2 capacity tables too
    short, 3 ``max_new`` groups made (routes may be refreshed); call again from bin ``t``.
    """
    n_bins = resid.shape[0]
    first_group = n_groups
    n_routes = route_next.shape[0]
    for t in range(t_begin, t_end):
        for i in range(rows.shape[0]):
            r = rows[i]
            while remaining[r] > 0:
                col = min(t, release.shape[1] - 1)
                avail = release[r, col] - taken[r]
                need = min(chunk, remaining[r])
                if avail < need:
                    break
                if n_groups + 1 >= g_row.shape[0] or n_path + buf_e.shape[0] >= p_edges.shape[0]:
                    return n_groups, n_path, 1, t
                if n_groups - first_group >= max_new:
                    return n_groups, n_path, 3, t
                best_arr = INF_T
                best_k = -1
                best_len = 0
                o = origin[r]
                for k in range(n_routes):
                    z = route_zone[k]
                    if zone_rem[z] < 1.0:
                        continue
                    v = o
                    cur = np.int64(t)
                    ln = 0
                    ok = True
                    while route_next[k, v] >= 0:
                        e = route_next[k, v]
                        if tau[e] < 0 or ln >= buf_e.shape[0]:
                            ok = False
                            break
                        b = _free_bin(resid, nxt, e, cur, weight[e], n_bins)
                        if b >= n_bins:
                            return n_groups, n_path, 2, t
                        cur = b + tau[e]
                        ln += 1
                        v = head[e]
                        if cur >= best_arr:
                            ok = False
                            break
                    if not ok or node_safe[v] != z:
                        continue
                    if cur < best_arr:
                        best_arr = cur
                        best_k = k
                        best_len = ln
                if best_k < 0:
                    break
                # replay the winning route to record its bins and its bottleneck
                k = best_k
                z = route_zone[k]
                v = o
                cur = np.int64(t)
                x = min(avail, remaining[r])
                if zone_rem[z] < x:
                    x = np.int64(zone_rem[z])
                for j in range(best_len):
                    e = route_next[k, v]
                    b = _free_bin(resid, nxt, e, cur, weight[e], n_bins)
                    buf_e[j] = e
                    buf_t[j] = b
                    f = np.int64(np.floor((resid[b, e] + EPS) / weight[e]))
                    if f < x:
                        x = f
                    cur = b + tau[e]
                    v = head[e]
                if x <= 0:
                    break
                for j in range(best_len):
                    e = buf_e[j]
                    b = buf_t[j]
                    resid[b, e] -= x * weight[e]
                    if resid[b, e] + EPS < wmin[e]:
                        nxt[b, e] = b + 1
                    p_edges[n_path] = e
                    p_entry[n_path] = b
                    n_path += 1
                taken[r] += x
                remaining[r] -= x
                zone_rem[z] -= x
                g_row[n_groups] = r
                g_count[n_groups] = x
                g_dep[n_groups] = buf_t[0] if best_len > 0 else t
                g_arr[n_groups] = cur
                g_zone[n_groups] = z
                g_len[n_groups] = best_len
                n_groups += 1
    return n_groups, n_path, 0, t_end


@njit(cache=True)
def congestion_weights(tau, resid, nxt, wmin, tail, pi, t):
    """Transit plus the wait for a free bin of each edge, reached at bin ``t + pi[tail]`` (``-1`` closed).

    ``pi`` is typically the earliest arrival at each node from the people still to leave, minus ``t``.
    """
    n_bins = resid.shape[0]
    m = tau.shape[0]
    out = np.empty(m, dtype=np.int64)
    for e in range(m):
        if tau[e] < 0:
            out[e] = -1
            continue
        p = pi[tail[e]]
        a = t + p if p < INF_T else t
        if a >= n_bins:
            out[e] = tau[e]
            continue
        b = _free_bin(resid, nxt, e, a, wmin[e], n_bins)
        out[e] = tau[e] + (b - a)
    return out
