"""The invariant checker of staged plans (:mod:`evacplan.planning.staging`), which leave the planning model's grid.

A staged plan's first leg is timed at free flow (:mod:`evacplan.planning.steady`), its second on the planning
model's grid, and its groups wait in holding areas between the two; :func:`evacplan.planning.validate_plan` hands
such a plan here. The rules are those of the physical model rather than the grid: nobody faster than free flow,
waits only in holding areas, every queue within the storage of the street it forms on.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from evacplan.network.names import describe_edge
from evacplan.planning.occupancy import window_seconds
from evacplan.planning.paths import expand
from evacplan.planning.result import Plan
from evacplan.problem.physics import physics
from evacplan.problem.problem import Problem

__all__ = ["staged_errors"]

_EPS = 1e-5  # plans written in minutes and read back keep times to the microsecond


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


def staged_errors(problem: Problem, plan: Plan) -> list[str]:
    """Every rule a staged plan of ``problem`` breaks, in words (empty: none).

    Checked: no row's persons leave before its departure curve releases them (by the end of each window's first
    step, as in the planning model); every path
    starts at its row's origin, is contiguous, uses only edges open to its class and off the holding areas' streets,
    and ends in its safe zone; nobody enters their first edge before their departure window, an edge before reaching
    it at free speed, or safety before the end of the path at free speed; waits only at holding areas' gates; the
    persons sent to each holding area within what it holds; every queue fits where it forms: persons entering an
    edge (each group evenly over its departure span) beyond its capacity in a window of one time step wait at its
    end, and those waiting never exceed its storage (plus one person of rounding).
    """
    net, zones, d = problem.network, problem.zones, problem.demand
    ph = physics(problem)
    areas = plan.holding
    if ph.n_classes != 1 or areas is None:
        return ["a staged plan has one travel class and its holding areas"]
    ft = ph.free_time_s[0]
    cap = ph.capacity_per_s[int(ph.class_mode[0])]
    errors = _release_errors(problem, plan) if plan.n_groups else []
    g, e, s = expand(plan.path_start, plan.step_edge, plan.step_next, np.arange(plan.n_groups, dtype=np.int64))
    if g.size == 0:
        return errors
    t = plan.arrival_s[g] - plan.time_step_s - plan.step_to_go_s[s]
    first = np.r_[True, g[1:] != g[:-1]]
    last = np.r_[g[1:] != g[:-1], True]
    origin = d.origin[plan.row[g]].astype(np.int64)
    wrong = np.count_nonzero(net.tail[e[first]] != origin[first])
    if wrong:
        errors.append(f"{wrong} paths that do not start at their origin")
    broken = ~last[:-1] & (net.head[e[:-1]] != net.tail[e[1:]])
    if broken.any():
        errors.append(f"{int(broken.sum())} paths that are not contiguous")
    on_area = np.zeros(net.n_edges, dtype=bool)
    on_area[areas.edge] = True
    shut = ~np.isfinite(ft[e]) | on_area[e]
    if shut.any():
        errors.append(f"{int(shut.sum())} path edges closed to the class or inside a holding area")
    if np.any(zones.node_safe[net.head[e[last]]] != plan.safe_zone[g[last]]):
        errors.append("paths that do not end in their safe zone")
    # times: never faster than free flow; waits only at holding gates
    if np.any(t[first] < plan.departure_s[g[first]] - _EPS):
        errors.append("groups that enter their first edge before their departure window")
    fin = np.where(np.isfinite(ft[e]), ft[e], 0.0)
    early = ~last[:-1] & (t[1:] < t[:-1] + fin[:-1] - _EPS)
    if early.any():
        errors.append(f"{int(early.sum())} edge entries faster than free flow")
    if np.any(plan.arrival_s[g[last]] - plan.time_step_s < t[last] + fin[last] - _EPS):
        errors.append("groups that arrive faster than free flow")
    waits = plan.waits_s()
    if np.any(waits < 0):
        errors.append("negative waits")
    waiting = np.flatnonzero(waits[s] > 0)
    area_of = np.full(net.n_nodes, -1, dtype=np.int64)
    area_of[areas.gate] = np.arange(areas.n_areas)
    a = area_of[net.tail[e[waiting]]]
    if np.any(a < 0):
        errors.append(f"{int(np.count_nonzero(a < 0))} waits outside the holding areas")
    # holding areas: persons sent to each within what it holds
    sent = np.bincount(a[a >= 0], weights=plan.count[g[waiting]][a >= 0], minlength=areas.n_areas)
    full = np.flatnonzero(sent > areas.capacity + _EPS)
    if full.size:
        errors.append(f"{full.size} holding areas over what they hold, e.g. the one at node "
                      f"{int(net.node_id[areas.gate[full[0]]])}: {sent[full[0]]:.0f} of {areas.capacity[full[0]]:.0f}")
    # queues: entries over an edge's capacity in a window wait at its end; what waits fits in its storage
    step = float(plan.time_step_s)
    with np.errstate(divide="ignore"):
        per = np.where(cap[e] > 0, 1.0 / np.where(cap[e] > 0, cap[e], 1.0), np.inf)
    key, used, n_k, _ = window_seconds(t, plan.spans_s()[g], plan.count[g] * per, e, step)
    backlog = np.zeros(net.n_edges)
    _backlogs(key, used, n_k, step, backlog)
    queued = backlog * cap
    room = np.maximum(ph.storage / ph.space[int(ph.class_mode[0])], 1.0)
    over = np.flatnonzero(queued > room + 1.0)  # one person of rounding
    if over.size:
        i = int(over[np.argmax(queued[over] / room[over])])
        errors.append(f"{over.size} edges whose queues do not fit in their storage, worst "
                      f"{describe_edge(net, i, index=True)}: {queued[i]:.0f} persons queued, room for {room[i]:.0f}")
    return errors
