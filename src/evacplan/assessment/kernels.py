"""Numba kernels of the assessment: walking a plan's linked paths through the danger zones.

Plain numpy arrays in, no I/O or geometry.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _inside(z, a, b, x, deadline, hit, person_s_z):
    """``x`` persons inside zone ``z`` (``-1``: none) from ``a`` to ``b``."""
    if z >= 0 and b > deadline[z]:
        hit[z] = True
        person_s_z[z] += x * (b - max(a, deadline[z]))


@njit(cache=True)
def plan_zone_exposure(path_start, step_edge, step_next, step_to_go, count, leave_s, safe_s, window_s, origin,
                       node_zone, edge_zone, deadline, exposed_z, person_s_z, group_exposed):
    """Exposure of every group of a plan, as the simulator counts it.

    A group is at home (in its origin's zone) from time 0 until it leaves (``leave_s``), then on each edge of its
    path from the moment it enters it (the middle of its entry window: ``safe_s - step_to_go - window_s / 2``) until
    it enters the next, and on its last edge until it is safe (``safe_s``, the middle of its arrival window). An edge
    lies in its tail's danger zone, else in its head's (``edge_zone``). A person is exposed in zone ``z`` when inside
    it at some time after its deadline: ``exposed_z`` counts persons per zone, ``group_exposed`` flags the groups
    exposed in any zone, ``person_s_z`` adds the person-seconds spent inside after the deadline.
    """
    n_z = deadline.shape[0]
    hit = np.zeros(n_z, dtype=np.bool_)
    for g in range(path_start.shape[0]):
        x = count[g]
        hit[:] = False
        s = path_start[g]
        if s < 0:
            _inside(node_zone[origin[g]], 0.0, safe_s[g], x, deadline, hit, person_s_z)
        else:
            _inside(node_zone[origin[g]], 0.0, leave_s[g], x, deadline, hit, person_s_z)
            t = leave_s[g]
            while s >= 0:
                nxt = step_next[s]
                t_end = safe_s[g] if nxt < 0 else safe_s[g] - step_to_go[nxt] - 0.5 * window_s
                _inside(edge_zone[step_edge[s]], t, t_end, x, deadline, hit, person_s_z)
                t = t_end
                s = nxt
        any_hit = False
        for k in range(n_z):
            if hit[k]:
                exposed_z[k] += x
                any_hit = True
        group_exposed[g] = any_hit
