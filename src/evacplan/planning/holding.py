"""Holding areas: side streets outside the danger zones where people may wait, off every route, for their way on.

A staged plan (:mod:`evacplan.planning.staging`) first empties the danger zones into holding areas, then takes
people on to safety when their route has room. A holding area is a set of two-way streets outside every danger
zone that no route of the plan uses (they are closed to its routes), reached and left through one *gate* node
that keeps an open street in and out; people park on its streets up to their storage (their area at jam density,
in the travel class's persons) and so block nobody.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from evacplan.problem.physics import physics
from evacplan.problem.problem import Problem

__all__ = ["REACH_S", "HoldingAreas", "holding_areas"]

#: Free travel time (seconds, quickest class) from its gate within which a holding area's streets lie.
REACH_S = 90.0


@dataclass(frozen=True)
class HoldingAreas:
    """Holding areas of a staged plan.

    Attributes
    ----------
    gate
        Node through which each area is entered and left, ``int64[h]``.
    capacity
        Whole persons each area holds (storage of its streets in persons of the travel class), ``float64[h]``.
    edge
        The streets (both directions) of the areas, closed to the plan's routes, ``int64[k]``.
    edge_area
        Area of each of :attr:`edge`, ``int64[k]``.
    """

    gate: NDArray[np.int64]
    capacity: NDArray[np.float64]
    edge: NDArray[np.int64]
    edge_area: NDArray[np.int64]

    @property
    def n_areas(self) -> int:
        """Number of holding areas."""
        return int(self.gate.shape[0])


def holding_areas(problem: Problem, used: NDArray[np.bool_], persons: float, reach_s: float = REACH_S
                  ) -> HoldingAreas:
    """Holding areas nearest the danger zones for about ``persons`` persons, on streets that ``used`` leaves free.

    Candidates are the two-way streets whose both directions are outside every danger zone, not ``used`` and
    usable by the (one) travel class, and whose ends are neither an origin nor a safe node. Gates (candidate ends
    with another open street) are taken by their free travel time from the danger zones, nearest first; each claims
    the candidates not yet claimed within ``reach_s`` of it (over candidates). Areas are kept in that order until
    they hold ``persons``.
    """
    net, zones, d = problem.network, problem.zones, problem.demand
    ph = physics(problem)
    ft = ph.free_time_s.min(axis=0)
    fin = np.isfinite(ft)
    space = float(ph.space[int(ph.class_mode[0])]) if ph.n_classes else 1.0
    graph = csr_matrix((np.maximum(ft[fin], 1e-6), (net.tail[fin], net.head[fin])), shape=(net.n_nodes,) * 2)
    inside = np.flatnonzero(zones.node_danger >= 0)
    dist = dijkstra(graph, indices=inside, min_only=True) if inside.size else np.full(net.n_nodes, np.inf)
    busy = np.zeros(net.n_nodes, dtype=bool)
    busy[d.origin] = True
    busy[zones.node_safe >= 0] = True
    free = fin & ~used & (zones.node_danger[net.tail] < 0) & (zones.node_danger[net.head] < 0)
    free &= ~busy[net.tail] & ~busy[net.head]
    # one entry per street with both directions free: (its lower-numbered direction, the other)
    key = net.tail.astype(np.int64) * net.n_nodes + net.head
    fe = np.flatnonzero(free)
    order = np.argsort(key[fe], kind="stable")
    fkeys, fedges = key[fe][order], fe[order]
    back_key = net.head[fe].astype(np.int64) * net.n_nodes + net.tail[fe]
    pos = np.searchsorted(fkeys, back_key)
    pos = np.minimum(pos, max(fkeys.size - 1, 0))
    has_back = fkeys.size > 0
    ok = (fkeys[pos] == back_key) & (net.tail[fe] < net.head[fe]) if has_back else np.zeros(0, dtype=bool)
    fwd, bwd = fe[ok], fedges[pos[ok]]
    cap = np.floor((ph.storage[fwd] + ph.storage[bwd]) / space)
    span = np.minimum(ft[fwd], ft[bwd])
    adj: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, (a, b) in enumerate(zip(net.tail[fwd].tolist(), net.head[fwd].tolist(), strict=True)):
        adj[a].append((b, i))
        adj[b].append((a, i))
    out_deg = np.bincount(net.tail[fin], minlength=net.n_nodes)
    in_deg = np.bincount(net.head[fin], minlength=net.n_nodes)
    gates = sorted((n for n in adj if min(out_deg[n], in_deg[n]) > len(adj[n]) and np.isfinite(dist[n])),
                   key=lambda n: dist[n])
    taken = np.zeros(fwd.size, dtype=bool)
    gate_l: list[int] = []
    cap_l: list[float] = []
    edge_l: list[NDArray[np.int64]] = []
    total = 0.0
    for gate in gates:
        if total >= persons:
            break
        best = {gate: 0.0}
        heap = [(0.0, gate)]
        claimed: list[int] = []
        while heap:
            t, v = heapq.heappop(heap)
            if t > best.get(v, np.inf):
                continue
            for w, i in adj[v]:
                if taken[i] or t + span[i] > reach_s:
                    continue
                taken[i] = True
                claimed.append(i)
                if t + span[i] < best.get(w, np.inf) and w != gate:
                    best[w] = t + span[i]
                    heapq.heappush(heap, (t + span[i], w))
        c = float(cap[claimed].sum()) if claimed else 0.0
        if c < 1.0:
            continue
        gate_l.append(gate)
        cap_l.append(c)
        edge_l.append(np.r_[fwd[claimed], bwd[claimed]].astype(np.int64))
        total += c
    edges = np.concatenate(edge_l) if edge_l else np.zeros(0, dtype=np.int64)
    area = np.repeat(np.arange(len(edge_l), dtype=np.int64), [e.size for e in edge_l])
    return HoldingAreas(gate=np.array(gate_l, dtype=np.int64), capacity=np.array(cap_l, dtype=np.float64),
                        edge=edges, edge_area=area)
