"""The invariant checker of staged plans (:mod:`evacplan.planning.staging`), which leave the planning model's grid.

A staged plan's first leg is timed at free flow (:mod:`evacplan.planning.steady`), its second on the planning
model's grid, and its groups wait in holding areas between the two; :func:`evacplan.planning.validate_plan` hands
such a plan here. The rules are those of the physical model rather than the grid: nobody faster than free flow,
waits only in holding areas, every queue within the storage of the street it forms on.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from evacplan.network.names import describe_edge
from evacplan.planning.occupancy import window_seconds
from evacplan.planning.paths import expand
from evacplan.planning.result import Plan
from evacplan.problem.physics import physics
from evacplan.problem.problem import Problem

__all__ = ["staged_errors"]

_EPS = 1e-5  # plans written in minutes and read back keep times to the microsecond
#: Path edges the checker expands at once (a run of groups).
_CHUNK_STEPS = 2_000_000


@njit(cache=True)
def _backlogs(key, used, n_k, step, out):
    """Most seconds of outflow still owed at the end of any window, per edge: the queue of a server that passes
    ``step`` seconds' worth of persons per window (Lindley's recursion over the windows, in ``key`` order)."""
    prev_e = -1
    prev_k = 0
    b = 0.0
    for i in range(key.shape[0]):
        e = key[i] // n_k
        k = key[i] % n_k
        if e != prev_e:
            b = 0.0
        else:
            b = max(b - (k - prev_k - 1) * step, 0.0)
        b = max(b + used[i] - step, 0.0)
        if b > out[e]:
            out[e] = b
        prev_e = e
        prev_k = k


def _release_errors(problem: Problem, plan: Plan) -> list[str]:
    """Departure windows by whose first step's end more of a row has left than its curve has released (the planning
    model's release rule)."""
    d = problem.demand
    rows = plan.row.astype(np.int64)
    order = np.lexsort((plan.departure_s, rows))
    r_s, t_s = rows[order], plan.departure_s[order]
    cum = np.cumsum(plan.count[order])
    new_row = np.r_[True, r_s[1:] != r_s[:-1]]
    cum -= np.repeat(np.r_[0, cum[:-1]][new_row], np.diff(np.r_[np.flatnonzero(new_row), r_s.size]))
    cdf = problem.departure_cdf
    last = cdf.shape[1] - 1
    pos = np.clip(t_s / problem.time_step_s + 1.0, 0.0, float(last))  # released by the end of the window's first step
    i0 = np.minimum(np.floor(pos).astype(np.int64), max(last - 1, 0))
    i1 = np.minimum(i0 + 1, last)
    c = d.curve[r_s].astype(np.int64)
    allowed = (cdf[c, i0] + (cdf[c, i1] - cdf[c, i0]) * (pos - i0)) * d.count[r_s]
    late = np.flatnonzero(cum > np.floor(allowed + 1e-6))
    if not late.size:
        return []
    i = int(late[0])
    return [f"{late.size} departure windows beyond their row's release, e.g. row {r_s[i]}: {cum[i]} persons gone by "
            f"{t_s[i]:.0f} s, {allowed[i]:.1f} released"]


def _group_chunks(plan: Plan) -> list[NDArray[np.int64]]:
    """The plan's groups in consecutive runs whose paths hold at most :data:`_CHUNK_STEPS` edges together (a group
    with a longer path alone), so that the checker never expands every path at once."""
    lens = plan.path_length()
    if lens.size == 0:
        return []
    cum = np.cumsum(lens)
    cuts, start = [], 0
    while start < lens.size:
        base = cum[start - 1] if start else 0
        end = max(int(np.searchsorted(cum, base + _CHUNK_STEPS, side="right")), start + 1)
        cuts.append(end)
        start = end
    return np.split(np.arange(lens.size, dtype=np.int64), cuts[:-1])


def _entries(plan: Plan, groups: NDArray[np.int64]
             ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """``(group, edge, step, entry_s)`` of every edge on the paths of ``groups``, in path order."""
    g, e, s = expand(plan.path_start, plan.step_edge, plan.step_next, groups)
    return g, e, s, plan.arrival_s[g] - plan.time_step_s - plan.step_to_go_s[s]


def _merge(keys: list[NDArray[np.int64]], used: list[NDArray[np.float64]]
           ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Sum the seconds of equal (edge, window) keys of several :func:`window_seconds` calls, in key order."""
    key, val = np.concatenate(keys), np.concatenate(used)
    uniq, inv = np.unique(key, return_inverse=True)
    return uniq.astype(np.int64), np.bincount(inv, weights=val).astype(np.float64)


def staged_errors(problem: Problem, plan: Plan) -> list[str]:
    """Every rule a staged plan of ``problem`` breaks, in words (empty: none).

    Checked: no row's persons leave before its departure curve releases them (by the end of each window's first
    step, as in the planning model); every path
    starts at its row's origin, is contiguous, uses only edges open to its class and off the holding areas' streets,
    and ends in its safe zone; nobody enters their first edge before their departure window, an edge before reaching
    it at free speed, or safety before the end of the path at free speed; waits only at holding areas' gates; the
    persons sent to each holding area within what it holds; every queue fits where it forms: persons entering an
    edge (each group evenly over its departure span) beyond its capacity in a window of one time step wait at its
    end, and those waiting never exceed its storage (plus one person of rounding). Paths are expanded a run of
    groups at a time (:data:`_CHUNK_STEPS` edges), so memory stays that of the plan and its busy windows.
    """
    net, zones, d = problem.network, problem.zones, problem.demand
    ph = physics(problem)
    areas = plan.holding
    if ph.n_classes != 1 or areas is None:
        return ["a staged plan has one travel class and its holding areas"]
    ft = ph.free_time_s[0]
    fin_ft = np.where(np.isfinite(ft), ft, 0.0)
    cap = ph.capacity_per_s[int(ph.class_mode[0])]
    with np.errstate(divide="ignore"):
        per_edge = np.where(cap > 0, 1.0 / np.where(cap > 0, cap, 1.0), np.inf)
    errors = _release_errors(problem, plan) if plan.n_groups else []
    chunks = _group_chunks(plan)
    if plan.n_steps == 0 or not chunks:
        return errors
    on_area = np.zeros(net.n_edges, dtype=bool)
    on_area[areas.edge] = True
    area_of = np.full(net.n_nodes, -1, dtype=np.int64)
    area_of[areas.gate] = np.arange(areas.n_areas)
    waits = plan.waits_s()
    spans = plan.spans_s()
    step = float(plan.time_step_s)
    # one key frame for all runs of groups: every entry lies within these windows (entry = arrival - step - to go)
    k_lo = int(np.floor((plan.arrival_s.min() - step - plan.step_to_go_s.max()) / step))
    k_hi = int(np.floor((plan.arrival_s.max() - step - plan.step_to_go_s.min()) / step))
    frame = (k_lo, k_hi - k_lo + 2)
    n = dict.fromkeys(("origin", "broken", "shut", "end", "first", "early", "arrive", "outside"), 0)
    sent = np.zeros(areas.n_areas)
    keys: list[NDArray[np.int64]] = []
    used: list[NDArray[np.float64]] = []
    for groups in chunks:
        g, e, s, t = _entries(plan, groups)
        if g.size == 0:
            continue
        first = np.r_[True, g[1:] != g[:-1]]
        last = np.r_[g[1:] != g[:-1], True]
        n["origin"] += int(np.count_nonzero(net.tail[e[first]] != d.origin[plan.row[g[first]]]))
        n["broken"] += int(np.count_nonzero(~last[:-1] & (net.head[e[:-1]] != net.tail[e[1:]])))
        n["shut"] += int(np.count_nonzero(~np.isfinite(ft[e]) | on_area[e]))
        n["end"] += int(np.count_nonzero(zones.node_safe[net.head[e[last]]] != plan.safe_zone[g[last]]))
        # times: never faster than free flow; waits only at holding gates
        n["first"] += int(np.count_nonzero(t[first] < plan.departure_s[g[first]] - _EPS))
        n["early"] += int(np.count_nonzero(~last[:-1] & (t[1:] < t[:-1] + fin_ft[e[:-1]] - _EPS)))
        n["arrive"] += int(np.count_nonzero(plan.arrival_s[g[last]] - step < t[last] + fin_ft[e[last]] - _EPS))
        waiting = np.flatnonzero(waits[s] > 0)
        a = area_of[net.tail[e[waiting]]]
        n["outside"] += int(np.count_nonzero(a < 0))
        sent += np.bincount(a[a >= 0], weights=plan.count[g[waiting]][a >= 0], minlength=areas.n_areas)
        k, u, _, _ = window_seconds(t, spans[g], per_edge[e] * plan.count[g], e, step, frame)
        keys.append(k)
        used.append(u)
        if sum(x.size for x in keys[1:]) > max(keys[0].size, _CHUNK_STEPS):  # merged as the first grows
            merged = _merge(keys, used)
            keys, used = [merged[0]], [merged[1]]
    for name, words in (("origin", "paths that do not start at their origin"),
                        ("broken", "paths that are not contiguous"),
                        ("shut", "path edges closed to the class or inside a holding area"),
                        ("end", "paths that do not end in their safe zone"),
                        ("first", "groups that enter their first edge before their departure window"),
                        ("early", "edge entries faster than free flow"),
                        ("arrive", "groups that arrive faster than free flow")):
        if n[name]:
            errors.append(f"{n[name]} {words}")
    if np.any(waits < 0):
        errors.append("negative waits")
    if n["outside"]:
        errors.append(f"{n['outside']} waits outside the holding areas")
    # holding areas: persons sent to each within what it holds
    full = np.flatnonzero(sent > areas.capacity + _EPS)
    if full.size:
        errors.append(f"{full.size} holding areas over what they hold, e.g. the one at node "
                      f"{int(net.node_id[areas.gate[full[0]]])}: {sent[full[0]]:.0f} of {areas.capacity[full[0]]:.0f}")
    # queues: entries over an edge's capacity in a window wait at its end; what waits fits in its storage
    key, sec = _merge(keys, used)
    backlog = np.zeros(net.n_edges)
    _backlogs(key, sec, frame[1], step, backlog)
    queued = backlog * cap
    room = np.maximum(ph.storage / ph.space[int(ph.class_mode[0])], 1.0)
    over = np.flatnonzero(queued > room + 1.0)  # one person of rounding
    if over.size:
        i = int(over[np.argmax(queued[over] / room[over])])
        errors.append(f"{over.size} edges whose queues do not fit in their storage, worst "
                      f"{describe_edge(net, i, index=True)}: {queued[i]:.0f} persons queued, room for {room[i]:.0f}")
    return errors
