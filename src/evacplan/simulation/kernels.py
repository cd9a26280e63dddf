"""Numba kernels of the mesoscopic simulator: link queues, node transfers, shortest-path trees.

Everything here works on plain numpy arrays (no pandas, no I/O); :mod:`evacplan.simulation.engine` prepares them.

Model (a queue simulation in the family of MATSim's QSim and UXsim's platoons):

* people move in *packets* of at most ``packet_size`` persons of one demand row;
* every edge is a queue in the order packets reach its end: a packet entering edge ``e`` at time ``t`` reaches its
  end at ``t + free_time`` (its own class's free time: modes and demographic groups have their own speeds, and
  faster people overtake slower ones on the way) and then waits its turn (FIFO);
* an edge's outflow is a server: a packet of ``c`` persons of mode ``k`` holds it ``c / capacity[k, e]`` seconds
  (times the edge's capacity factor), so no edge ever passes more than its capacity (plus one packet);
* an edge stores at most ``storage[e]`` person-equivalents; a packet may enter a non-empty edge only if it fits (an
  empty edge always takes one packet). A packet that cannot enter blocks its edge (spillback, FIFO); optionally,
  after ``stuck_s`` seconds blocked it enters anyway (MATSim's stuck time, which dissolves gridlock);
* at every node the in-edges (and the node's queue of people leaving home) take turns packet by packet, starting at
  a rotating position (fair merging);
* packets carry exact clocks: time is discretised only in when interactions are resolved (every ``dt`` seconds).

Packet states in ``pk_edge``: ``>= 0`` on that edge, ``-1`` not yet left home or waiting at home, ``-2`` arrived
in safety, ``-3`` parked in a holding area (in its node's queue of packets waiting to leave). A packet with no open
route from where it stands (closures, full safe zones) waits there, blocking its edge, until a route opens.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from evacplan.problem.kernels import tree_to_targets
from evacplan.problem.physics import MIN_ROOM

INF = np.inf
AT_HOME = -1
ARRIVED = -2
PARKED = -3
# return codes of run_steps
DONE = 0
TABLES_DIRTY = 1
CHECK_FAILED = 2


@njit(cache=True, parallel=True)
def build_tables(rev_indptr, rev_edges, tail, base_time, table_class, extra, usable, targets, next_edge, dist):
    """Shortest-path trees of every routing table, in parallel.

    ``base_time[table_class[t]] + extra`` (``inf`` where not ``usable``) is the cost of table ``t``; its targets are
    ``targets[t]`` (``bool[n_tables, n]``). Fills ``next_edge[t]`` and ``dist[t]``.
    """
    n_tables = table_class.shape[0]
    m = tail.shape[0]
    for t in prange(n_tables):
        w = np.empty(m, dtype=np.float64)
        c = table_class[t]
        for e in range(m):
            w[e] = base_time[c, e] + extra[e] if usable[e] else INF
        tree_to_targets(rev_indptr, rev_edges, tail, w, targets[t], next_edge[t], dist[t])


@njit(cache=True)
def space_packets(new_group, place, release, gap, out):
    """Departure of each planned packet: at its place, or at its last person's release, or one ``gap`` after the
    packet before it in its group (``gap[k]``: the spacing of packets ``k - 1`` and ``k`` at their places), whichever
    is latest. Packets come group by group in order (``new_group`` marks each group's first); a group held by a
    release thus goes on at its planned rate instead of leaving in a burst as its releases come."""
    prev = -np.inf
    for k in range(place.shape[0]):
        if new_group[k]:
            prev = -np.inf
        t = max(place[k], release[k], prev + gap[k])
        out[k] = t
        prev = t


@njit(cache=True)
def queue_delay(q_head, pk_next, pk_count, pk_mode, pk_tready, inv_cap, cap_factor, t_now):
    """Seconds a packet reaching the end of each edge now would wait behind its queue (persons already waiting)."""
    m = q_head.shape[0]
    out = np.zeros(m, dtype=np.float64)
    for e in range(m):
        p = q_head[e]
        wait = 0.0
        while p >= 0 and pk_tready[p] <= t_now:
            wait += pk_count[p] * inv_cap[pk_mode[p], e]
            p = pk_next[p]
        f = cap_factor[e]
        out[e] = wait / f if f > 0 else INF
    return out


@njit(cache=True)
def _mix(a, b):
    h = (a * 0x9E3779B1 + b * 0x85EBCA77 + 0x27D4EB2F) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    h ^= h >> 12
    return h


@njit(cache=True)
def _in_zone(p, z, pk_count, pk_exp_zone, pk_exposed, zone_deadline, t_now, exposed_z, exposed_total):
    """Flag packet ``p`` as exposed if zone ``z`` is past its deadline at ``t_now``."""
    if z >= 0 and t_now > zone_deadline[z] and pk_exp_zone[p] != z:
        pk_exp_zone[p] = z
        exposed_z[z] += pk_count[p]
        if not pk_exposed[p]:
            pk_exposed[p] = True
            exposed_total[0] += pk_count[p]


@njit(cache=True)
def _enqueue(q_head, q_tail, pk_next, pk_tready, e, p):
    """Put packet ``p`` into edge ``e``'s queue, kept in the order packets reach the edge's end (faster ones
    overtake slower ones on the way; equal times keep their order of entry); also a node's queue of packets parked
    until their planned time (``e`` the node)."""
    pk_next[p] = -1
    last = q_tail[e]
    if last < 0:
        q_head[e] = p
        q_tail[e] = p
        return
    if pk_tready[p] >= pk_tready[last]:
        pk_next[last] = p
        q_tail[e] = p
        return
    prev = -1
    cur = q_head[e]
    while cur >= 0 and pk_tready[cur] <= pk_tready[p]:
        prev = cur
        cur = pk_next[cur]
    pk_next[p] = cur
    if prev < 0:
        q_head[e] = p
    else:
        pk_next[prev] = p


@njit(cache=True)
def _push(work, inq, wst, x, sweep):
    """Queue node ``x`` for another look in this step (nodes not yet swept will be visited anyway)."""
    if x < sweep and not inq[x]:
        n = work.shape[0]
        work[(wst[0] + wst[1]) % n] = x
        wst[1] += 1
        inq[x] = True


@njit(cache=True)
def run_steps(
    step0, step1, dt, seed, check, stuck_s,
    # network (static)
    rev_indptr, rev_edges, head, tail, ftime, inv_cap, storage, space, edge_zone, node_zone, node_safe, step_edge,
    step_next, step_to_go, step_wait,
    # mutable network state
    cap_factor, closed, safe_rem, q_head, q_tail, occ, occ_p, e_free, e_left, ob_head, ob_tail, o_free, zone_pop,
    zone_deadline, flow_acc, e_stuck, o_stuck,
    # routing
    nh, route_mix,
    # packets (static)
    pk_order, pk_origin, pk_mode, pk_cls, pk_table, pk_dest, pk_zone, pk_tdep, pk_t0,
    # packets (mutable)
    pk_count, pk_edge, pk_tready, pk_next, pk_path_pos, pk_exp_zone, pk_exposed,
    # counters and logs
    counters, exposed_z, exposed_total, exposure_ps, arr_t, arr_t_end, arr_count, arr_safe, arr_pk,
    rec, rec_n,
):
    """Advance the simulation from step ``step0`` to ``step1`` (exclusive).

    Returns ``(code, step)``: ``DONE`` after ``step1``; ``TABLES_DIRTY`` after the step in which a safe zone filled
    up (the caller rebuilds the routing tables and continues from ``step``); ``CHECK_FAILED`` with ``check`` when an
    invariant broke in ``step``. ``counters`` = ``[next packet to release, arrival log length, persons released,
    persons arrived, (unused), packets active]``. Minute records ``(minute, edge, outflow persons, queued
    persons, persons on edge)`` go to ``rec`` (grown by the caller when ``rec_n`` nears its size).

    Within a step every node is visited in index order, then again whenever a packet reaches it with its clock
    still inside the step or room frees up on one of its out-edges, so that a packet crosses as many edges in a
    step as its clock allows (short edges do not cost a step each). A packet that found its next edge full enters
    it no earlier than the moment the packet before it left (``e_left``).

    A packet whose plan waits before its next step (``step_wait > 0``: a holding area at this node) and that is
    there before its planned entry (``pk_t0 - step_to_go`` of the step) leaves its edge and parks: it joins the
    node's queue of packets waiting to leave (kept in order of their time), off every street, until then.
    """
    n = o_free.shape[0]
    n_pk = pk_order.shape[0]
    dirty = False
    work = np.empty(max(n, 1), dtype=np.int64)
    inq = np.zeros(n, dtype=np.bool_)
    wst = np.zeros(2, dtype=np.int64)  # ring buffer: first, count
    for step in range(step0, step1):
        t_end = (step + 1) * dt
        # ---- phase 1: release departures into the origin queues ----
        while counters[0] < n_pk and pk_tdep[pk_order[counters[0]]] <= t_end:
            p = pk_order[counters[0]]
            counters[0] += 1
            counters[2] += pk_count[p]
            counters[5] += 1
            v = pk_origin[p]
            pk_tready[p] = pk_tdep[p]
            pk_next[p] = -1
            if ob_tail[v] >= 0 and pk_tready[ob_tail[v]] > pk_tready[p]:
                _enqueue(ob_head, ob_tail, pk_next, pk_tready, v, p)  # behind packets parked until later: not last
            elif ob_tail[v] >= 0:
                pk_next[ob_tail[v]] = p
                ob_tail[v] = p
            else:
                ob_head[v] = p
                ob_tail[v] = p
            # people waiting at home were counted in their zone from the start
            _in_zone(p, node_zone[v], pk_count, pk_exp_zone, pk_exposed, zone_deadline, t_end, exposed_z,
                     exposed_total)
        # ---- phase 2: node transfers with fair merging ----
        sweep = 0
        while True:
            if sweep < n:
                v = sweep
                sweep += 1
            elif wst[1] > 0:
                v = work[wst[0]]
                wst[0] = (wst[0] + 1) % n
                wst[1] -= 1
                inq[v] = False
            else:
                break
            lo = rev_indptr[v]
            k = rev_indptr[v + 1] - lo
            # quick skip: nothing ready at this node
            any_ready = ob_head[v] >= 0
            if not any_ready:
                for j in range(k):
                    p = q_head[rev_edges[lo + j]]
                    if p >= 0 and pk_tready[p] <= t_end:
                        any_ready = True
                        break
            if not any_ready:
                continue
            off = _mix(step ^ (seed * 7919), v) % (k + 1)
            blocked = np.zeros(k + 1, dtype=np.bool_)
            progress = True
            while progress:
                progress = False
                for jj in range(k + 1):
                    idx = (off + jj) % (k + 1)
                    if blocked[idx]:
                        continue
                    if idx == k:
                        e = -1
                        p = ob_head[v]
                        if p < 0:
                            blocked[idx] = True
                            continue
                        s = max(pk_tready[p], o_free[v], t_end - dt)  # never moved into a past step
                        if s > t_end:  # parked until later
                            blocked[idx] = True
                            continue
                    else:
                        e = rev_edges[lo + idx]
                        p = q_head[e]
                        if p < 0 or pk_tready[p] > t_end:
                            blocked[idx] = True
                            continue
                        s = max(pk_tready[p], e_free[e], t_end - dt)
                        if s > t_end:
                            blocked[idx] = True
                            continue
                    c = pk_count[p]
                    md = pk_mode[p]
                    usage = c * inv_cap[md, e] / cap_factor[e] if e >= 0 else 0.0
                    # -- reaching safety? --
                    take = 0
                    z = node_safe[v]
                    if pk_dest[p] >= 0:
                        if v == pk_dest[p]:
                            take = c
                    elif z >= 0 and safe_rem[z] >= MIN_ROOM and (pk_path_pos[p] < 0 or z == pk_zone[p]):
                        # the physical model's one "has room" rule; people on their plan's way to another zone walk
                        # on through this one
                        take = c if safe_rem[z] >= c else int(safe_rem[z])
                    nxt = -1
                    if take < c:
                        pos = pk_path_pos[p]
                        if pos >= 0 and take == 0:
                            nxt = step_edge[pos]
                            if closed[nxt]:
                                pk_path_pos[p] = -1
                                nxt = -1
                        else:
                            pk_path_pos[p] = -1
                        if nxt < 0:
                            nxt = nh[(p & 1) if route_mix else 0, pk_table[p], v]
                            if nxt >= 0 and closed[nxt]:
                                nxt = -1
                    if take > 0:
                        # log the arrival of `take` persons; their passage spreads over the packet's usage
                        a = counters[1]
                        counters[1] += 1
                        arr_t[a] = s
                        arr_t_end[a] = s + usage * take / c
                        arr_count[a] = take
                        arr_safe[a] = z
                        arr_pk[a] = p
                        if pk_dest[p] < 0:
                            safe_rem[z] -= take
                            if safe_rem[z] < MIN_ROOM:
                                dirty = True
                        counters[3] += take
                        pk_count[p] = c - take
                        if e >= 0:
                            occ[e] -= take * space[md]
                            occ_p[e] -= take
                            if edge_zone[e] >= 0:
                                zone_pop[edge_zone[e]] -= take
                            flow_acc[e] += take
                            e_free[e] = s + usage * take / c
                            e_left[e] = max(e_left[e], s)
                            _push(work, inq, wst, tail[e], sweep)
                        else:
                            if node_zone[v] >= 0:
                                zone_pop[node_zone[v]] -= take
                        if take == c:
                            # pop the packet
                            if e >= 0:
                                q_head[e] = pk_next[p]
                                if q_head[e] < 0:
                                    q_tail[e] = -1
                                e_stuck[e] = INF
                            else:
                                ob_head[v] = pk_next[p]
                                if ob_head[v] < 0:
                                    ob_tail[v] = -1
                                o_stuck[v] = INF
                            pk_edge[p] = ARRIVED
                            counters[5] -= 1
                            progress = True
                            continue
                        c = c - take
                        usage = c * inv_cap[md, e] / cap_factor[e] if e >= 0 else 0.0
                        progress = True
                    if nxt < 0:
                        # no open route from here (closures, full safe zones): wait where it stands
                        blocked[idx] = True
                        continue
                    if e >= 0 and pk_path_pos[p] >= 0 and step_wait[pk_path_pos[p]] > 0.0:
                        t_go = pk_t0[p] - step_to_go[pk_path_pos[p]]
                        if t_go > s:
                            # park in the holding area until the planned entry of the next step
                            q_head[e] = pk_next[p]
                            if q_head[e] < 0:
                                q_tail[e] = -1
                            occ[e] -= c * space[md]
                            occ_p[e] -= c
                            if edge_zone[e] >= 0:
                                zone_pop[edge_zone[e]] -= c
                            flow_acc[e] += c
                            e_free[e] = s + usage
                            e_stuck[e] = INF
                            e_left[e] = max(e_left[e], s)
                            _push(work, inq, wst, tail[e], sweep)
                            pk_edge[p] = PARKED
                            pk_tready[p] = t_go
                            _enqueue(ob_head, ob_tail, pk_next, pk_tready, v, p)
                            progress = True
                            continue
                    need = c * space[md]
                    if occ[nxt] > 0 and occ[nxt] + need > storage[nxt]:
                        # spillback: the front packet waits, and so does everyone behind it; with a stuck time
                        # (MATSim's stuckTime) a front packet blocked that long enters anyway (gridlock release)
                        since = e_stuck[e] if e >= 0 else o_stuck[v]
                        if since > t_end:
                            since = t_end
                            if e >= 0:
                                e_stuck[e] = t_end
                            else:
                                o_stuck[v] = t_end
                        if not (stuck_s > 0 and t_end - since >= stuck_s):
                            blocked[idx] = True
                            continue
                    waited = e_stuck[e] if e >= 0 else o_stuck[v]
                    if waited < INF:
                        # it waited for room: it enters no earlier than the packet before it left
                        s = max(s, e_left[nxt])
                        if s > t_end:
                            blocked[idx] = True
                            continue
                    # ---- move p from e (or home) onto nxt ----
                    if e >= 0:
                        q_head[e] = pk_next[p]
                        if q_head[e] < 0:
                            q_tail[e] = -1
                        occ[e] -= need
                        occ_p[e] -= c
                        if edge_zone[e] >= 0:
                            zone_pop[edge_zone[e]] -= c
                        flow_acc[e] += c
                        e_free[e] = s + usage
                        e_stuck[e] = INF
                        e_left[e] = max(e_left[e], s)
                        _push(work, inq, wst, tail[e], sweep)
                    else:
                        o_stuck[v] = INF
                        ob_head[v] = pk_next[p]
                        if ob_head[v] < 0:
                            ob_tail[v] = -1
                        if node_zone[v] >= 0:
                            zone_pop[node_zone[v]] -= c
                    pk_edge[p] = nxt
                    pk_tready[p] = s + ftime[pk_cls[p], nxt]
                    _enqueue(q_head, q_tail, pk_next, pk_tready, nxt, p)
                    occ[nxt] += need
                    occ_p[nxt] += c
                    zn = edge_zone[nxt]
                    if zn >= 0:
                        zone_pop[zn] += c
                    _in_zone(p, zn, pk_count, pk_exp_zone, pk_exposed, zone_deadline, t_end, exposed_z,
                             exposed_total)
                    if pk_path_pos[p] >= 0:
                        pk_path_pos[p] = step_next[pk_path_pos[p]]
                    if pk_tready[p] <= t_end:
                        _push(work, inq, wst, head[nxt], sweep)
                    progress = True
        # ---- phase 3: exposure ----
        for z in range(zone_pop.shape[0]):
            if t_end > zone_deadline[z] and zone_pop[z] > 0:
                exposure_ps[z] += zone_pop[z] * dt
        # ---- phase 4: minute records (and a last one when everyone is done) ----
        finished = counters[0] >= n_pk and counters[5] == 0
        if finished or int(t_end // 60.0) > int((t_end - dt) // 60.0):
            minute = int(np.ceil(t_end / 60.0 - 1e-9))
            m = q_head.shape[0]
            for e in range(m):
                if occ_p[e] > 0 or flow_acc[e] > 0:
                    queued = 0
                    p = q_head[e]
                    while p >= 0 and pk_tready[p] <= t_end:
                        queued += pk_count[p]
                        p = pk_next[p]
                    r = rec_n[0]
                    if r < rec.shape[0]:
                        rec[r, 0] = minute
                        rec[r, 1] = e
                        rec[r, 2] = flow_acc[e]
                        rec[r, 3] = queued
                        rec[r, 4] = occ_p[e]
                    rec_n[0] = r + 1
                    flow_acc[e] = 0
        # ---- phase 5: invariants (tests) ----
        if check:
            if not _check_state(head, storage, space, occ, occ_p, q_head, pk_next, pk_count, pk_mode, pk_edge,
                                ob_head, counters, arr_count, pk_order, stuck_s > 0):
                return CHECK_FAILED, step
        if dirty:
            return TABLES_DIRTY, step + 1
        if finished:
            return DONE, step + 1
    return DONE, step1


@njit(cache=True)
def _check_state(head, storage, space, occ, occ_p, q_head, pk_next, pk_count, pk_mode, pk_edge, ob_head, counters,
                 arr_count, pk_order, may_overfill):
    """Conservation and storage invariants, recomputed from the packets themselves.

    Storage is not checked when ``may_overfill`` (a stuck time lets blocked packets into full edges).
    """
    m = q_head.shape[0]
    on_edges = 0
    for e in range(m):
        p = q_head[e]
        persons = 0
        sp = 0.0
        npk = 0
        while p >= 0:
            if pk_edge[p] != e:
                return False
            persons += pk_count[p]
            sp += pk_count[p] * space[pk_mode[p]]
            npk += 1
            p = pk_next[p]
        if persons != occ_p[e] or abs(sp - occ[e]) > 1e-6 * max(1.0, sp):
            return False
        # an edge holds no more than its storage, except one packet on an otherwise empty edge
        if npk > 1 and occ[e] > storage[e] + 1e-9 and not may_overfill:
            return False
        on_edges += persons
    at_home = 0
    for v in range(ob_head.shape[0]):
        p = ob_head[v]
        while p >= 0:
            at_home += pk_count[p]
            p = pk_next[p]
    arrived = 0
    for a in range(counters[1]):
        arrived += arr_count[a]
    if arrived != counters[3]:
        return False
    return on_edges + at_home + arrived + counters[4] == counters[2]


@njit(cache=True)
def cumulative_ramps(t0, t1, count, grid):
    """Persons arrived by each time of ``grid`` when arrival ``a`` spreads ``count[a]`` evenly over ``[t0, t1]``.

    ``grid`` must be evenly spaced from 0.
    """
    g = grid.shape[0]
    out = np.zeros(g, dtype=np.float64)
    if g == 0:
        return out
    step = grid[1] - grid[0] if g > 1 else 1.0
    full = np.zeros(g + 1, dtype=np.float64)
    for a in range(t0.shape[0]):
        a0 = t0[a]
        a1 = t1[a]
        c = count[a]
        # first grid index with grid >= a1: fully arrived from there on
        j1 = int(np.ceil(a1 / step - 1e-9))
        if j1 < 0:
            j1 = 0
        if j1 < g:
            full[j1] += c
        if a1 > a0:
            j = int(np.floor(a0 / step)) + 1
            if j < 0:
                j = 0
            while j < j1 and j < g:
                out[j] += c * (grid[j] - a0) / (a1 - a0)
                j += 1
    acc = 0.0
    for j in range(g):
        acc += full[j]
        out[j] += acc
    return out
