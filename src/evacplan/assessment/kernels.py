"""Numba kernels of the assessment: walking a plan's linked paths through the danger zones.

Plain numpy arrays in, no I/O or geometry.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _clip_integral(y, cap):
    """Integral of ``clip(t, 0, cap)`` over ``t`` from 0 to ``y``."""
    if y <= 0.0:
        return 0.0
    if y <= cap:
        return 0.5 * y * y
    return 0.5 * cap * cap + cap * (y - cap)


@njit(cache=True)
def _mean_clip(y0, s, cap):
    """Mean of ``clip(y0 + u s, 0, cap)`` over ``u`` uniform in ``[0, 1]`` (``s = 0``: at ``y0``)."""
    if s <= 0.0:
        return min(max(y0, 0.0), cap)
    return (_clip_integral(y0 + s, cap) - _clip_integral(y0, cap)) / s


@njit(cache=True)
def _late_share(y0, s):
    """Share of ``u`` in ``[0, 1)`` with ``y0 + u s > 0`` (``s = 0``: 1 when ``y0 > 0``, else 0)."""
    if s <= 0.0:
        return 1.0 if y0 > 0.0 else 0.0
    return min(max((y0 + s) / s, 0.0), 1.0)


@njit(cache=True)
def _inside(z, b, span, x, window_s, deadline, last, person_s_z):
    """``x`` persons inside zone ``z`` (``-1``: none) for ``span`` seconds up to ``b + u window_s``, ``u`` uniform in
    ``[0, 1)``: adds their person-seconds after the deadline, keeps the latest end (at ``u = 0``) in ``last``."""
    if z < 0:
        return
    person_s_z[z] += x * _mean_clip(b - deadline[z], window_s, span)
    if b > last[z]:
        last[z] = b


@njit(cache=True)
def plan_zone_exposure(path_start, step_edge, step_next, step_to_go, step_wait, count, leave_s, safe_s, window_s,
                       origin, node_zone, edge_zone, deadline, exposed_z, person_s_z, group_share):
    """Exposure of every group of a plan, as the simulator counts it.

    A group's persons leave home spread evenly over its departure window (``[leave_s, leave_s + window_s)``, each
    group its own ``window_s``) and walk its path without waiting: a person leaving ``u window_s`` into the window
    (``u`` in ``[0, 1)``) is at home (in its origin's zone) from time 0 until then, on each edge of the path from
    ``u window_s`` into the edge's entry window (which starts at ``safe_s - step_to_go`` of its step) until entering
    the next edge, and on its last edge until ``u window_s`` into the arrival window (which starts at ``safe_s``).
    A group waiting ``step_wait[s]`` seconds before a step ``s`` (in a holding area, outside every danger zone) has
    left the edge before it that long before entering ``s``.
    Groups that do not move (``path_start < 0``) stay at home until ``safe_s + u window_s``. An edge lies in its
    tail's danger zone, else in its head's (``edge_zone``). A person is exposed in zone ``z`` when inside it at some
    time after its deadline, i.e. when their last moment inside is later: ``exposed_z`` adds the expected persons per
    zone, ``group_share`` the share of each group exposed in any zone, ``person_s_z`` the expected person-seconds
    spent inside after the deadline. With ``window_s = 0`` times are instants and shares 0 or 1.
    """
    n_z = deadline.shape[0]
    last = np.empty(n_z)
    for g in range(path_start.shape[0]):
        x = count[g]
        w = window_s[g]
        last[:] = -np.inf
        s = path_start[g]
        if s < 0:
            _inside(node_zone[origin[g]], safe_s[g], np.inf, x, w, deadline, last, person_s_z)
        else:
            _inside(node_zone[origin[g]], leave_s[g], np.inf, x, w, deadline, last, person_s_z)
            t = leave_s[g]
            while s >= 0:
                nxt = step_next[s]
                t_end = safe_s[g] if nxt < 0 else safe_s[g] - step_to_go[nxt] - step_wait[nxt]
                _inside(edge_zone[step_edge[s]], t_end, t_end - t, x, w, deadline, last, person_s_z)
                t = t_end
                s = nxt
        share = 0.0
        for k in range(n_z):
            if last[k] > -np.inf:
                f = _late_share(last[k] - deadline[k], w)
                exposed_z[k] += x * f
                share = max(share, f)  # later leavers are late everywhere earlier ones are
        group_share[g] = share
