"""Paths of a plan stored once: linked steps whose shared ends are kept a single time.

A plan of a million people is a million small groups whose routes share most of their length (every route into a
safe zone ends on a few streets). A :class:`~evacplan.planning.result.Plan` therefore stores *steps*: a step is an
edge with the step that follows it (``-1`` after the last) and the time still to go from entering it; a group points
at its first step. Two routes that end the same way share those steps, so the store grows with the number of
distinct route ends, not with people times route length (1.09 million groups of 138 million path edges on the
bundled default take 0.8 million steps).

Nobody waits on the way (:mod:`evacplan.planning.model`), so a step's time to go is the same for every group that
uses it, and a group enters each edge at its arrival window's start minus that step's time to go.

Kernels here are numba, fed plain arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.typed import Dict
from numpy.typing import NDArray

__all__ = ["edge_persons", "expand", "first_entry_s", "link_paths", "step_persons"]


@njit(cache=True)
def _link(g_route, g_origin, g_class, g_start, g_len, p_edges, trees, tau, n, tail, head, m, n_classes):
    n_g = g_route.shape[0]
    start = np.full(n_g, -1, dtype=np.int64)
    cap = 1024
    s_edge = np.empty(cap, dtype=np.int64)
    s_next = np.empty(cap, dtype=np.int64)
    s_lab = np.empty(cap, dtype=np.int64)  # labels still to go after entering the edge
    s_len = np.empty(cap, dtype=np.int64)
    s_end = np.empty(cap, dtype=np.int64)  # the node the suffix ends at
    n_s = 0
    by_suffix = Dict.empty(key_type=types.int64, value_type=types.int64)
    by_node = Dict.empty(key_type=types.int64, value_type=types.int64)
    longest = n + 1  # a route walk is a simple path; an explicit path (a time-expanded one) may revisit nodes
    for g in range(n_g):
        if g_len[g] + 1 > longest:
            longest = g_len[g] + 1
    buf = np.empty(longest, dtype=np.int64)
    for g in range(n_g):
        c = g_class[g]
        k = 0
        hit = -1
        if g_route[g] >= 0:
            tree = g_route[g]
            v = g_origin[g]
            while True:
                key = (tree * n_classes + c) * n + v
                if key in by_node:
                    hit = by_node[key]
                    break
                e = trees[tree, v]
                if e < 0:
                    break
                buf[k] = e
                k += 1
                v = head[e]
        else:
            for i in range(g_start[g], g_start[g] + g_len[g]):
                buf[k] = p_edges[i]
                k += 1
        nxt = hit
        # create (or find) the steps backwards, from the end of the path
        for i in range(k - 1, -1, -1):
            e = buf[i]
            key = ((nxt + 1) * m + e) * n_classes + c
            if key in by_suffix:
                sid = by_suffix[key]
            else:
                if n_s == cap:
                    cap *= 2
                    s_edge = _grown(s_edge, cap)
                    s_next = _grown(s_next, cap)
                    s_lab = _grown(s_lab, cap)
                    s_len = _grown(s_len, cap)
                    s_end = _grown(s_end, cap)
                sid = n_s
                n_s += 1
                s_edge[sid] = e
                s_next[sid] = nxt
                s_lab[sid] = tau[c, e] + (s_lab[nxt] if nxt >= 0 else 0)
                s_len[sid] = 1 + (s_len[nxt] if nxt >= 0 else 0)
                s_end[sid] = s_end[nxt] if nxt >= 0 else head[e]
                by_suffix[key] = sid
            if g_route[g] >= 0:
                by_node[(g_route[g] * n_classes + c) * n + tail[e]] = sid
            nxt = sid
        start[g] = nxt
    end = np.empty(n_g, dtype=np.int64)
    for g in range(n_g):
        end[g] = s_end[start[g]] if start[g] >= 0 else g_origin[g]
    return start, s_edge[:n_s].copy(), s_next[:n_s].copy(), s_lab[:n_s].copy(), s_len[:n_s].copy(), end


@njit(cache=True)
def _grown(a, cap):
    out = np.empty(cap, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


def link_paths(
    groups: dict[str, NDArray[np.integer]], origin: NDArray[np.int64], cls: NDArray[np.int64],
    trees: NDArray[np.integer] | None, tau: NDArray[np.int64], potential: NDArray[np.float64],
    tail: NDArray[np.int64], head: NDArray[np.int64], step_s: float,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64],
           NDArray[np.int64]]:
    """Linked steps of the groups' paths.

    Parameters
    ----------
    groups
        Group buffers (labels): ``route`` (row of ``trees`` the group follows from its origin, or ``-1`` for an
        explicit path in ``plen`` / ``edges``), ``plen``, ``edges``, ``arr``.
    origin, cls
        Origin node and travel class of each group.
    trees
        Route trees: ``trees[k, v]`` is the next edge from ``v`` on route ``k`` (``-1`` at its end).
    tau, potential
        Transit labels per class and edge, and each class's time to safety per node (the planning model).
    tail, head
        Edge end points.
    step_s
        The model's step.

    Returns
    -------
    (path_start, step_edge, step_next, step_to_go_s, step_len, end_node)
        ``path_start[g]`` is the group's first step (``-1``: empty path); a step's time to go is the seconds from
        entering its edge to the start of the group's arrival window; ``step_len`` counts the edges from a step to
        the end; ``end_node[g]`` is the node each group's path ends at.
    """
    g = groups["arr"].shape[0]
    route = groups.get("route", np.full(g, -1, dtype=np.int64)).astype(np.int64)
    # explicit paths are stored only for groups without a route (route groups keep no edges in the buffers)
    explicit = np.where(route >= 0, 0, groups["plen"].astype(np.int64))
    offs = np.zeros(g, dtype=np.int64)
    if g:
        np.cumsum(explicit[:-1], out=offs[1:])
    tr = trees if trees is not None and trees.size else np.full((1, max(potential.shape[1], 1)), -1, np.int32)
    start, edge, nxt, lab, length, end = _link(
        route, origin.astype(np.int64), cls.astype(np.int64), offs, explicit, groups["edges"].astype(np.int64),
        tr, tau, int(potential.shape[1]), tail, head, int(tail.shape[0]), int(max(tau.shape[0], 1)),
    )
    # the class of a step is that of every group using it: take it from the groups that start there and follow
    step_cls = _spread(start, nxt, cls, edge.size)
    to_go = (lab * float(step_s) + potential[np.maximum(step_cls, 0), tail[edge]]
             - potential[np.maximum(step_cls, 0), _spread(start, nxt, end, edge.size)]) if edge.size else np.zeros(0)
    return start, edge, nxt, to_go.astype(np.float64), length, end


@njit(cache=True)
def _spread_kernel(start, nxt, value, out):
    for g in range(start.shape[0]):
        s = start[g]
        while s >= 0 and out[s] < 0:
            out[s] = value[g]
            s = nxt[s]


def _spread(start: NDArray[np.int64], nxt: NDArray[np.int64], value: NDArray[np.int64], n_steps: int
            ) -> NDArray[np.int64]:
    """A per-group value (>= 0) on every step of the group's path: the value of every group using a step is the same
    (its class, the node its path ends at), so the first group found to reach a step sets it."""
    out = np.full(n_steps, -1, dtype=np.int64)
    _spread_kernel(start, nxt, value.astype(np.int64), out)
    return out


@njit(cache=True)
def expand(path_start, step_edge, step_next, groups):
    """Flat ``(group, edge, step)`` triples of the paths of ``groups`` (in path order)."""
    total = 0
    for i in range(groups.shape[0]):
        s = path_start[groups[i]]
        while s >= 0:
            total += 1
            s = step_next[s]
    out_g = np.empty(total, dtype=np.int64)
    out_e = np.empty(total, dtype=np.int64)
    out_s = np.empty(total, dtype=np.int64)
    k = 0
    for i in range(groups.shape[0]):
        s = path_start[groups[i]]
        while s >= 0:
            out_g[k] = groups[i]
            out_e[k] = step_edge[s]
            out_s[k] = s
            k += 1
            s = step_next[s]
    return out_g, out_e, out_s


@njit(cache=True)
def _step_persons(path_start, step_next, count, n_steps):
    out = np.zeros(n_steps)
    for g in range(path_start.shape[0]):
        s = path_start[g]
        while s >= 0:
            out[s] += count[g]
            s = step_next[s]
    return out


def step_persons(plan) -> NDArray[np.float64]:  # type: ignore[no-untyped-def]
    """Persons of a plan walking each step, ``float64[k]``."""
    return _step_persons(plan.path_start, plan.step_next, plan.count.astype(np.float64), plan.n_steps)


def edge_persons(plan, n_edges: int) -> NDArray[np.float64]:  # type: ignore[no-untyped-def]
    """Persons of a plan using each edge, ``float64[m]``."""
    return np.bincount(plan.step_edge, weights=step_persons(plan), minlength=n_edges).astype(np.float64)


@njit(cache=True)
def _first_entry(path_start, step_next, step_edge, to_go, arrival, step_s, mark):
    out = np.full(path_start.shape[0], np.inf)
    for g in range(path_start.shape[0]):
        s = path_start[g]
        while s >= 0:
            if mark[step_edge[s]]:
                out[g] = arrival[g] - step_s - to_go[s]
                break
            s = step_next[s]
    return out


def first_entry_s(plan, edge_mask: NDArray[np.bool_]) -> NDArray[np.float64]:  # type: ignore[no-untyped-def]
    """When each group of a plan enters the first edge of its path in ``edge_mask``, seconds, ``float64[g]``
    (``inf``: none on its path); entries along a path never come earlier, so this is also the earliest."""
    return _first_entry(plan.path_start, plan.step_next, plan.step_edge, plan.step_to_go_s, plan.arrival_s,
                        float(plan.time_step_s), np.asarray(edge_mask, dtype=np.bool_))
