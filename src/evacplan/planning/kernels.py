"""Numba kernels of the fast planner: schedules without waiting on the way, over free capacity per window.

Plain numpy arrays in and out (see :mod:`evacplan.planning.model` for labels, windows and the no-wait rule).
State shared by the kernels:

``resid[b, e]``
    seconds of edge ``e``'s window still free; row ``b = base window + BIN0`` (base windows start at ``-BIN0``);
    stored column by column (Fortran order: an edge's windows are contiguous), because the schedulers look up one
    edge's windows one after the other (a slide moves along an edge's windows, the union-find walks them): on Sydney
    1,000,000 route scheduling took 15-17 s against 26-36 s with rows of windows (``benchmarks/RESULTS.md``). The
    kernels index ``[b, e]`` either way; a row-major table gives the same results;
``nxt[b, e]``
    union-find "next window not full" pointers (a window is full when not even the lightest class fits);
    ``nxt[n_bins, e]`` is a sentinel;
``taken[r]``
    persons of demand row ``r`` already scheduled. A group of row ``r`` departing in label ``d`` may carry at most
    ``released(r, d) - taken[r]`` persons, which keeps every prefix of the row's departures within its release.

A group of class ``c`` departing in label ``d`` along edges ``e_1 .. e_k`` enters ``e_i`` in label
``l_i = d + tau[e_1] + ... + tau[e_{i-1}]`` and uses window ``l_i + shift[tail(e_i)]`` of it; it is safe in label
``l_k + tau[e_k]``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from evacplan.planning.model import INF_T, released_one
from evacplan.problem.kernels import heap_pop, heap_push
from evacplan.problem.physics import MIN_ROOM

EPS = 1e-7
#: Row of ``resid`` holding base window 0 (window -1, reached by rounding at clock time 0, is row 0).
BIN0 = 1


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
def free_bin(resid, nxt, e, a, w):
    """First row ``>= a`` of edge ``e`` where one more person of weight ``w`` fits (``n_bins`` when none)."""
    n_bins = resid.shape[0]
    if a >= n_bins:
        return n_bins
    if a < 0:
        a = 0
    if resid[a, e] + EPS >= w:
        return a
    t = _find(nxt, e, a)
    while t < n_bins and resid[t, e] + EPS < w:
        t = _find(nxt, e, t + 1)
    return t


@njit(cache=True)
def _use(resid, nxt, e, b, x, w, wmin):
    resid[b, e] -= x * w
    if resid[b, e] + EPS < wmin:
        nxt[b, e] = b + 1


@njit(cache=True)
def full_windows(resid, wmin):
    """Windows of each edge in which not even one more person of the lightest class fits, ``int64[m]``."""
    n_bins, m = resid.shape
    out = np.zeros(m, dtype=np.int64)
    for e in range(m):
        for b in range(n_bins):
            if resid[b, e] + EPS < wmin[e]:
                out[e] += 1
    return out


@njit(cache=True)
def next_departure(cdf, cdf_step, step, count, curve, potential, taken, first, last, lo):
    """First label ``>= lo`` at which a row (released by its curve) has someone not yet scheduled (``INF_T``)."""
    if taken >= count:
        return INF_T
    a = max(lo, first)
    if released_one(cdf, cdf_step, step, count, curve, potential, a) > taken:
        return a
    b = max(last, a)
    while a < b:  # released(a) <= taken < released(b)
        mid = (a + b) // 2
        if released_one(cdf, cdf_step, step, count, curve, potential, mid) > taken:
            b = mid
        else:
            a = mid + 1
    return a


#: Edges a slide keeps as the ones that held its departure back, checked before each full pass over the path.
SLIDE_HARD = 16


@njit(cache=True)
def slide(resid, nxt, path_e, path_bin, k, w_of, d0, first=-1):
    """Smallest departure shift ``s >= 0`` such that every ``(path_e[i], path_bin[i] + d0 + s)`` window has room.

    ``path_bin[i]`` is the window of edge ``i`` for departure label 0 plus ``BIN0``; ``w_of`` the class's per-person
    weights. Whenever an edge has no room at the current shift, the shift moves to its next window with room (so
    it never passes a feasible shift, and the result does not depend on the order in which edges are checked).
    The edges that moved it (``first`` among them, when given) are settled among themselves before each full pass
    over the path: on a street full for hours a few edges move the shift back and forth many times, and a full
    pass each time costs the whole path. Returns ``(shift, edge)``: ``edge`` the index of the last edge that moved
    the shift (``first``, or 0, when none did); shift ``-1`` when the capacity tables are too short.
    """
    n_bins = resid.shape[0]
    s = np.int64(0)
    hard = np.empty(SLIDE_HARD, dtype=np.int64)
    n_hard = 0
    moved = 0
    if 0 <= first < k:
        hard[0] = first
        n_hard = 1
        moved = first
    while True:
        ok = 0  # hard edges in a row found free at the current shift
        j = 0
        while ok < n_hard:
            i = hard[j]
            b = path_bin[i] + d0 + s
            f = free_bin(resid, nxt, path_e[i], b, w_of[path_e[i]])
            if f >= n_bins:
                return np.int64(-1), moved
            if f > b:
                s += f - b
                moved = i
                ok = 1
            else:
                ok += 1
            j += 1
            if j == n_hard:
                j = 0
        clean = True
        for i in range(k):
            b = path_bin[i] + d0 + s
            f = free_bin(resid, nxt, path_e[i], b, w_of[path_e[i]])
            if f >= n_bins:
                return np.int64(-1), moved
            if f > b:
                s += f - b
                moved = i
                known = False
                for j in range(n_hard):
                    if hard[j] == i:
                        known = True
                if not known and n_hard < SLIDE_HARD:
                    hard[n_hard] = i
                    n_hard += 1
                clean = False
                break
        if clean:
            return s, moved


@njit(cache=True)
def route_labels(route_next, tau, head, sink_shift):
    """Steps from leaving each node (in its label) to the start of the arrival window at the end of each route
    (labels on the way minus the end node's ``sink_shift``; ``INF_T`` where the route does not lead on or the class
    may not use one of its edges), ``int64[k, n]``: the horizon a group would reach with no congestion."""
    k_routes, n = route_next.shape
    out = np.full((k_routes, n), INF_T, dtype=np.int64)
    stack = np.empty(n + 1, dtype=np.int64)
    done = np.zeros((k_routes, n), dtype=np.bool_)
    for k in range(k_routes):
        for v0 in range(n):
            if done[k, v0]:
                continue
            depth = 0
            v = v0
            base = np.int64(0)
            while True:
                if done[k, v]:
                    base = out[k, v]
                    break
                e = route_next[k, v]
                if e < 0:
                    base = -sink_shift[v]
                    break
                if tau[e] < 0 or depth >= n:
                    base = INF_T
                    break
                stack[depth] = v
                depth += 1
                v = head[e]
            if not done[k, v]:  # the walk ended at v: the route's end (or a dead end)
                out[k, v] = base
                done[k, v] = True
            for i in range(depth - 1, -1, -1):
                u = stack[i]
                if base < INF_T:
                    base = base + tau[route_next[k, u]]
                out[k, u] = base
                done[k, u] = True
    return out


@njit(cache=True)
def route_reach(route_next, route_zone, head, node_safe, route_lab):
    """``route_lab`` (of :func:`route_labels`) set to ``INF_T`` where route ``k``'s walk from a node ends at a node
    that is not in its safe zone ``route_zone[k]`` (such a route leads nowhere from there), in place."""
    k_routes, n = route_next.shape
    end = np.full(n, -1, dtype=np.int64)
    stack = np.empty(n + 1, dtype=np.int64)
    for k in range(k_routes):
        end[:] = -1
        for v0 in range(n):
            if end[v0] >= 0:
                continue
            depth = 0
            v = v0
            while end[v] < 0 and route_next[k, v] >= 0 and depth < n:
                stack[depth] = v
                depth += 1
                v = head[route_next[k, v]]
            last = end[v] if end[v] >= 0 else v
            end[v] = last
            for i in range(depth):
                end[stack[i]] = last
        for v in range(n):
            if node_safe[end[v]] != route_zone[k]:
                route_lab[k, v] = INF_T


@njit(cache=True)
def route_schedule(
    t_begin, t_end, rows, origin, cdf, cdf_step, step, count, curve, potential, first, last, taken, remaining,
    next_avail, route_next, route_zone, route_lab, route_dep, route_base, tau, weight, shift, sink_shift, wmin, head,
    resid, nxt, node_safe, zone_rem, g_row, g_count, g_dep, g_arr, g_zone, g_len, g_route, n_groups, buf_e, buf_b,
    max_new, max_arr,
):
    """Schedule groups of one class along fixed candidate routes, first come first served.

    For each label ``t`` in ``[t_begin, t_end)`` and each row (in the order of ``rows``) with persons released by
    ``t`` and not yet scheduled (``next_avail[r] <= t``), the candidate routes (``route_next[k, v]``: next edge from
    ``v`` towards route ``k``'s safe node, ``-1`` at it) with room at their end are tried in the order of their
    congestion-free arrival ``t + route_lab[k, origin]``: a route's departure slides from ``t`` to the first label
    at which every window on it has room (people wait at home, never on the way), and a route that could not beat
    the best arrival found even without congestion is not walked. The route arriving first wins and carries as many
    persons as its fullest window, the zone and the row allow. A group records its route as ``route_base + k`` (its
    path is the route tree's walk from its origin). ``route_dep[0, k, v]`` remembers the earliest departure found on
    route ``k`` from ``v`` (:data:`INF_T` once the route is found not to lead from ``v`` to its zone): windows only
    fill up, so a later search on the same route starts there; ``route_dep[1, k, v]`` is the edge that held that
    departure back (``-1`` for none yet) and ``route_dep[2, k, v]`` its window offset on the way (as ``buf_b``):
    before a route is ranked, the next window with room on that edge moves its departure on (that edge alone
    must have room), which spares walking routes that others have filled since.

    A row whose best arrival (as a horizon: arrival label less the safe node's sink shift) is above ``max_arr`` is
    left for a later call (``next_avail[r]`` set past every label): windows only fill up, so its later departures
    would arrive later still (the deadlines objective's tiers; ``INF_T`` for no limit).

    Returns ``(n_groups, status, t)``: status 0 done, 1 output buffers full, 2 capacity tables too short,
    3 ``max_new`` groups made (routes may be refreshed); call again from label ``t``.
    """
    first_group = n_groups
    n_routes = route_next.shape[0]
    cap_len = buf_e.shape[0]
    order = np.empty(n_routes, dtype=np.int64)
    key = np.empty(n_routes, dtype=np.int64)
    for t in range(t_begin, t_end):
        for i in range(rows.shape[0]):
            r = rows[i]
            if t < next_avail[r]:
                continue
            while remaining[r] > 0:
                avail = released_one(cdf, cdf_step, step, count[r], curve[r], potential[r], t) - taken[r]
                if avail <= 0:
                    next_avail[r] = next_departure(cdf, cdf_step, step, count[r], curve[r], potential[r],
                                                   taken[r], first[r], last[r], t + 1)
                    break
                if n_groups + 1 >= g_row.shape[0]:
                    return n_groups, 1, t
                if n_groups - first_group >= max_new:
                    return n_groups, 3, t
                o = origin[r]
                # routes by the earliest arrival they could still give (insertion sort: a handful of routes)
                n_ok = 0
                for k in range(n_routes):
                    if zone_rem[route_zone[k]] < MIN_ROOM or route_lab[k, o] >= INF_T or route_dep[0, k, o] >= INF_T:
                        continue
                    d_from = max(np.int64(t), route_dep[0, k, o])
                    be = route_dep[1, k, o]
                    if be >= 0:  # the edge that held the last departure back must have room: a sharper bound
                        b = d_from + route_dep[2, k, o]
                        f = free_bin(resid, nxt, be, b, weight[be])
                        if b < f < resid.shape[0]:
                            d_from += f - b
                            route_dep[0, k, o] = d_from
                    key[k] = d_from + route_lab[k, o]
                    j = n_ok
                    while j > 0 and key[order[j - 1]] > key[k]:
                        order[j] = order[j - 1]
                        j -= 1
                    order[j] = k
                    n_ok += 1
                best_arr = INF_T
                best_k = -1
                best_d = np.int64(0)
                for jk in range(n_ok):
                    k = order[jk]
                    if key[k] >= best_arr:
                        break  # neither this route nor any after it can arrive earlier
                    z = route_zone[k]
                    v = o
                    ln = 0
                    off = np.int64(0)
                    i_full = -1
                    while route_next[k, v] >= 0 and ln < cap_len:
                        e = route_next[k, v]
                        if e == route_dep[1, k, o]:
                            i_full = ln
                        buf_e[ln] = e
                        buf_b[ln] = off + shift[v] + BIN0
                        off += tau[e]
                        ln += 1
                        v = head[e]
                    if node_safe[v] != z:
                        route_dep[0, k, o] = INF_T  # the route does not lead from here to its zone
                        continue
                    d_from = max(np.int64(t), route_dep[0, k, o])
                    s = np.int64(0)
                    if ln > 0:
                        s, moved = slide(resid, nxt, buf_e, buf_b, ln, weight, d_from, i_full)
                        route_dep[1, k, o] = buf_e[moved]
                        route_dep[2, k, o] = buf_b[moved]
                    if s < 0:
                        return n_groups, 2, t
                    s += d_from - t
                    route_dep[0, k, o] = t + s
                    if t + s + off - sink_shift[v] < best_arr:
                        best_arr = t + s + off - sink_shift[v]
                        best_k = k
                        best_d = t + s
                if best_k < 0:
                    next_avail[r] = t + 1  # no zone with room on its routes now: try again later
                    break
                if best_arr > max_arr:
                    next_avail[r] = INF_T  # too late for this call's limit, and later departures arrive later still
                    break
                # replay the winning route: its windows and its bottleneck
                k = best_k
                z = route_zone[k]
                x = min(avail, remaining[r])
                if zone_rem[z] < x:
                    x = np.int64(zone_rem[z])
                v = o
                ln = 0
                lab = best_d
                while route_next[k, v] >= 0:
                    e = route_next[k, v]
                    b = lab + shift[v] + BIN0
                    buf_e[ln] = e
                    buf_b[ln] = b
                    f = np.int64(np.floor((resid[b, e] + EPS) / weight[e]))
                    if f < x:
                        x = f
                    lab += tau[e]
                    ln += 1
                    v = head[e]
                if x <= 0:
                    break
                lab = best_d
                for j in range(ln):
                    e = buf_e[j]
                    _use(resid, nxt, e, buf_b[j], x, weight[e], wmin[e])
                    lab += tau[e]
                taken[r] += x
                remaining[r] -= x
                zone_rem[z] -= x
                g_row[n_groups] = r
                g_count[n_groups] = x
                g_dep[n_groups] = best_d
                g_arr[n_groups] = lab
                g_zone[n_groups] = z
                g_len[n_groups] = ln
                g_route[n_groups] = route_base + k
                n_groups += 1
    return n_groups, 0, t_end


@njit(cache=True)
def earliest_arrival_search(
    indptr, head, tau, weight, shift, sink_shift, resid, nxt, rows, origin, d0, remaining, node_safe, zone_rem,
    window, arr, pred_edge, src_row, settled, hk, hv, targets,
):
    """Multi-source earliest-arrival search over windows with room, without waiting on the way.

    Sources: rows with ``remaining > 0`` and ``d0 < INF_T`` start at their origin in label ``d0``. An edge can be
    taken from node ``v`` in label ``a`` only if its window ``a + shift[v]`` has room for one person (no waiting).
    A safe node with room settled in label ``a`` is reached by horizon ``a - sink_shift[v]``; the search stops once
    no node it could still settle can reach a horizon within ``window`` of the best found.

    Returns ``(n_targets, overflow)``: safe nodes settled (written to ``targets``, in order) and whether some window
    lay beyond the capacity tables. ``arr``, ``pred_edge`` and ``src_row`` describe the search tree.
    """
    n = indptr.shape[0] - 1
    n_bins = resid.shape[0]
    for v in range(n):
        arr[v] = INF_T
        pred_edge[v] = -1
        settled[v] = False
    size = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if remaining[r] <= 0 or d0[r] >= INF_T:
            continue
        v = origin[r]
        if d0[r] < arr[v] or (d0[r] == arr[v] and r < src_row[v]):
            arr[v] = d0[r]
            src_row[v] = r
            size = heap_push(hk, hv, size, np.float64(d0[r]), v)
    stop = INF_T
    n_t = 0
    overflow = False
    max_shift = np.int64(0)
    for v in range(n):
        if node_safe[v] >= 0 and sink_shift[v] > max_shift:
            max_shift = sink_shift[v]
    while size > 0:
        key, v, size = heap_pop(hk, hv, size)
        a = np.int64(key)
        if settled[v] or a != arr[v]:
            continue
        if a > stop:
            break
        settled[v] = True
        z = node_safe[v]
        if z >= 0 and zone_rem[z] >= MIN_ROOM:
            if n_t < targets.shape[0]:
                targets[n_t] = v
                n_t += 1
            if a - sink_shift[v] + window + max_shift < stop:
                stop = a - sink_shift[v] + window + max_shift
            continue
        b = a + shift[v] + BIN0
        if b >= n_bins:
            overflow = True
            continue
        for e in range(indptr[v], indptr[v + 1]):
            te = tau[e]
            if te < 0:
                continue
            h = head[e]
            if settled[h]:
                continue
            if resid[max(b, 0), e] + EPS < weight[e]:
                continue  # full in this window: no waiting on the way
            na = a + te
            if na < arr[h]:
                arr[h] = na
                pred_edge[h] = e
                src_row[h] = src_row[v]
                if size < hk.shape[0]:
                    size = heap_push(hk, hv, size, np.float64(na), h)
    return n_t, overflow


@njit(cache=True)
def commit_groups(
    targets, n_targets, window, arr, pred_edge, src_row, origin, tail, tau, weight, shift, sink_shift, wmin, resid, nxt,
    cdf, cdf_step, step, count, curve, potential, taken, remaining, node_safe, zone_rem,
    g_row, g_count, g_dep, g_arr, g_zone, g_len, p_edges, p_entry, n_groups, n_path,
):
    """Send groups along the search tree's paths to the targets, each also shifted later by up to ``window - 1``.

    Candidates are taken in order of arrival; each carries as many persons as its row has released and not yet
    scheduled at its departure label, its zone can still receive and every window on its path has room for.
    Returns the new ``(n_groups, n_path)`` (the caller sizes the buffers for ``n_targets * window`` more groups of
    paths up to the longest possible).
    """
    if n_targets == 0:
        return n_groups, n_path
    n_bins = resid.shape[0]
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
    pl = np.empty(total, dtype=np.int64)  # entry label for the unshifted departure
    pb = np.empty(total, dtype=np.int64)  # window row for the unshifted departure
    dep = np.empty(n_targets, dtype=np.int64)
    for j in range(n_targets):
        v = targets[j]
        k = start[j + 1] - 1
        while pred_edge[v] >= 0:
            e = pred_edge[v]
            u = tail[e]
            pe[k] = e
            pl[k] = arr[u]
            pb[k] = arr[u] + shift[u] + BIN0
            k -= 1
            v = u
        dep[j] = arr[v]
    # targets by the horizon they reach (label minus sink shift); groups shifted by up to window - 1 labels
    h_min = arr[targets[0]] - sink_shift[targets[0]]
    for j in range(n_targets):
        h = arr[targets[j]] - sink_shift[targets[j]]
        if h < h_min:
            h_min = h
    for level in range(h_min, h_min + window):
        for j in range(n_targets):
            sh = level - (arr[targets[j]] - sink_shift[targets[j]])
            if sh < 0 or sh >= window:
                continue
            v = targets[j]
            r = src_row[v]
            z = node_safe[v]
            if remaining[r] <= 0 or zone_rem[z] < MIN_ROOM:
                continue
            d = dep[j] + sh
            x = min(remaining[r], released_one(cdf, cdf_step, step, count[r], curve[r], potential[r], d) - taken[r])
            if zone_rem[z] < x:
                x = np.int64(zone_rem[z])
            for i in range(start[j], start[j + 1]):
                b = pb[i] + sh
                if b >= n_bins:
                    x = 0
                    break
                f = np.int64(np.floor((resid[max(b, 0), pe[i]] + EPS) / weight[pe[i]]))
                if f < x:
                    x = f
                if x <= 0:
                    break
            if x <= 0:
                continue
            for i in range(start[j], start[j + 1]):
                e = pe[i]
                _use(resid, nxt, e, max(pb[i] + sh, 0), x, weight[e], wmin[e])
                p_edges[n_path] = e
                p_entry[n_path] = pl[i] + sh
                n_path += 1
            taken[r] += x
            remaining[r] -= x
            zone_rem[z] -= x
            g_row[n_groups] = r
            g_count[n_groups] = x
            g_dep[n_groups] = d
            g_arr[n_groups] = arr[v] + sh
            g_zone[n_groups] = z
            g_len[n_groups] = plen[j]
            n_groups += 1
    return n_groups, n_path


@njit(cache=True)
def congestion_delay(tau, resid, nxt, wmin, tail, shift, reach, t):
    """Labels of delay before a window of each edge has room, reached from the tail in label ``reach[tail]``.

    ``reach`` is typically the earliest label at each node of the people still to leave (``INF_T``: use ``t``).
    Returns ``int64[m]`` (``0`` where closed).
    """
    n_bins = resid.shape[0]
    m = tau.shape[0]
    out = np.zeros(m, dtype=np.int64)
    for e in range(m):
        if tau[e] < 0:
            continue
        u = tail[e]
        a = reach[u] if reach[u] < INF_T else t
        b = a + shift[u] + BIN0
        if b >= n_bins:
            continue
        f = free_bin(resid, nxt, e, b, wmin[e])
        out[e] = f - max(b, 0)
    return out


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
def group_ends(route, origin, plen, edges, trees, head):
    """Node each group's path ends at: the walk of its route tree from its origin (``route >= 0``), else the head
    of the last of its explicit edges (stored in group order in ``edges``; ``origin`` for an empty path)."""
    g = route.shape[0]
    out = np.empty(g, dtype=np.int64)
    pos = 0
    for i in range(g):
        v = origin[i]
        if route[i] >= 0:
            k = route[i]
            while trees[k, v] >= 0:
                v = head[trees[k, v]]
        else:
            if plen[i] > 0:
                v = head[edges[pos + plen[i] - 1]]
            pos += plen[i]
        out[i] = v
    return out


#: Labels a key of :func:`repair_search` tells apart among equal bounds (its secondary order).
_KEY_SCALE = 1 << 20


@njit(cache=True)
def _astar_key(bound, depth):
    """Heap key: the bound first, then the deeper label (``depth`` labels past the first departure) first."""
    if depth > _KEY_SCALE - 1:
        depth = _KEY_SCALE - 1
    return np.float64(bound) * _KEY_SCALE + (_KEY_SCALE - 1 - depth)


@njit(cache=True)
def repair_search(indptr, head, tau, weight, shift, sink_shift, resid, node_safe, zone_rem, to_go, o, d_min, x, best,
                  seen, st_v, st_l, st_p, st_e, hk, hv):
    """Quickest way for ``x`` persons of one class to leave ``o`` in label ``d_min`` or later and be safe, over the
    windows with room for all of them (people wait at home, never on the way), arriving before horizon ``best``.

    An A* search over ``(node, label)`` states ordered by ``label + to_go[node]``, ``to_go`` a lower bound on the
    horizon still to come from each node (labels to go over ``tau`` to a safe node minus its ``sink_shift``; it must
    satisfy ``to_go[u] <= tau[e] + to_go[head[e]]``, so a state's key never drops along a path); among equal keys
    the later label (nearer safety) first, so that a plateau of equal keys is walked to its end. A safe node
    whose zone has room for ``x`` ends the path. ``seen`` (``uint8``, at least ``(best + max sink_shift - d_min + 1)
    * (n + 1)`` entries, all zero) marks states and is zero again on return; ``st_*`` (``int64``) and the heap
    ``hk`` / ``hv`` are work arrays of one length, the most states searched.

    Returns ``(horizon, departure, arrival label, path edges, states searched)``: ``horizon == best`` when nothing
    quicker was found.
    """
    n = indptr.shape[0] - 1
    n_bins = resid.shape[0]
    max_states = st_v.shape[0]
    n_st = 0
    size = 0
    best_h = best
    best_s = -1
    width = n + 1
    if d_min + to_go[o] < best and n < seen.shape[0] and max_states > 0:
        st_v[0] = n  # "at home": node n stands for the origin before leaving it
        st_l[0] = d_min
        st_p[0] = -1
        st_e[0] = -1
        seen[n] = 1
        n_st = 1
        size = heap_push(hk, hv, size, _astar_key(d_min + to_go[o], 0), 0)
    while size > 0:
        key, s, size = heap_pop(hk, hv, size)
        if key >= best_h * _KEY_SCALE:
            break
        v = st_v[s]
        lab = st_l[s]
        u = v
        if v == n:
            u = o
            idx = (lab + 1 - d_min) * width + n
            if lab + 1 + to_go[o] < best_h and idx < seen.shape[0] and seen[idx] == 0 and n_st < max_states:
                seen[idx] = 1  # wait at home one label more
                st_v[n_st] = n
                st_l[n_st] = lab + 1
                st_p[n_st] = -1
                st_e[n_st] = -1
                size = heap_push(hk, hv, size, _astar_key(lab + 1 + to_go[o], lab + 1 - d_min), n_st)
                n_st += 1
        z = node_safe[u]
        if z >= 0 and zone_rem[z] >= MIN_ROOM and zone_rem[z] + EPS >= x:
            if lab - sink_shift[u] < best_h:
                best_h = lab - sink_shift[u]
                best_s = s
            continue
        b = lab + shift[u] + BIN0
        if b >= n_bins:
            continue
        if b < 0:
            b = 0
        for e in range(indptr[u], indptr[u + 1]):
            te = tau[e]
            if te < 0:
                continue
            if np.floor((resid[b, e] + EPS) / weight[e]) < x:
                continue  # no room in this window: nobody waits on the way
            h = head[e]
            nl = lab + te
            if nl + to_go[h] >= best_h:
                continue
            idx = (nl - d_min) * width + h
            if idx >= seen.shape[0] or seen[idx] != 0 or n_st >= max_states:
                continue
            seen[idx] = 1
            st_v[n_st] = h
            st_l[n_st] = nl
            st_p[n_st] = s
            st_e[n_st] = e
            size = heap_push(hk, hv, size, _astar_key(nl + to_go[h], nl - d_min), n_st)
            n_st += 1
    for s in range(n_st):
        seen[(st_l[s] - d_min) * width + st_v[s]] = 0
    if best_s < 0:
        return best, np.int64(-1), np.int64(-1), np.zeros(0, dtype=np.int64), n_st
    k = 0
    s = best_s
    while st_v[s] != n:
        k += 1
        s = st_p[s]
    path = np.empty(k, dtype=np.int64)
    dep = st_l[s]
    s = best_s
    for i in range(k - 1, -1, -1):
        path[i] = st_e[s]
        s = st_p[s]
    return best_h, dep, st_l[best_s], path, n_st


@njit(cache=True)
def residual_reaches(n_nodes, tail, head, capacity, flow, source, sink):
    """Whether ``sink`` is reachable from ``source`` in the residual network of ``flow`` (arcs ``tail -> head`` with
    room ``capacity - flow``, and back ``head -> tail`` where ``flow > 0``): whether the flow can be augmented."""
    m = tail.shape[0]
    deg = np.zeros(n_nodes + 1, dtype=np.int64)
    for a in range(m):
        if capacity[a] > flow[a]:
            deg[tail[a] + 1] += 1
        if flow[a] > 0:
            deg[head[a] + 1] += 1
    for v in range(n_nodes):
        deg[v + 1] += deg[v]
    pos = deg[:-1].copy()
    adj = np.empty(deg[n_nodes], dtype=np.int64)
    for a in range(m):
        if capacity[a] > flow[a]:
            adj[pos[tail[a]]] = head[a]
            pos[tail[a]] += 1
        if flow[a] > 0:
            adj[pos[head[a]]] = tail[a]
            pos[head[a]] += 1
    seen = np.zeros(n_nodes, dtype=np.bool_)
    queue = np.empty(n_nodes, dtype=np.int64)
    seen[source] = True
    queue[0] = source
    lo, hi = 0, 1
    while lo < hi:
        v = queue[lo]
        lo += 1
        for i in range(deg[v], deg[v + 1]):
            w = adj[i]
            if not seen[w]:
                if w == sink:
                    return True
                seen[w] = True
                queue[hi] = w
                hi += 1
    return False
