"""An independent referee of the planning model: a plain time-expanded network in networkx.

Built apart from ``evacplan.planning`` (it shares none of its code, only the problem's data and the model's written
definition in :mod:`evacplan.planning.model`), for one travel class (mode 0, group 0) at step ``s``:

* ``b(v)``: free time from ``v`` to safety, each safe zone's time raised by its price (the model's
  ``zone_price_s``, the one figure taken from the planner: prices only choose which zone a label frame points at),
  by networkx Dijkstra on the reversed graph of the edges that pass at least one person per step;
* edge ``(u, v)`` takes ``tau = ceil((t + b(v) - b(u)) / s)`` labels; it passes ``floor(capacity * s)`` persons
  per label;
* a demand row may send ``floor(count * F(l * s + s0 - b(origin)))`` persons by label ``l``: those released by the
  end of its window's first step ``s0`` (the problem's step; ``F`` its departure curve, linear between steps, 0
  before time 0), in windows starting at time 0 or later;
* people wait only at home; reaching a safe node with room is safety; zones take at most their (floored) capacity.

Every node has a copy for every label ``0 .. T + max b / s`` (no pruning); a copy of safe node ``w`` in label ``l``
counts as safe by horizon ``T`` when its window starts by ``T * s``: ``l * s - b(w) <= T * s``. The optimum is the
smallest ``T`` at which the max flow carries everyone who can be saved at all.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from evacplan.problem.problem import Problem


def _curve(cdf: np.ndarray, step_s: float, t: float) -> float:
    if t < 0:
        return 0.0
    x = t / step_s
    i = int(math.floor(x))
    if i >= len(cdf) - 1:
        return float(cdf[-1])
    f = x - i
    return float(cdf[i] * (1 - f) + cdf[i + 1] * f)


class Referee:
    """The plain TEN of ``problem`` at step ``step_s`` (see the module docstring)."""

    def __init__(self, problem: Problem, zone_price_s: np.ndarray, step_s: float | None = None) -> None:
        self.p = problem
        self.s = float(step_s or problem.time_step_s)
        net, zones = problem.network, problem.zones
        speed = net.speed_mps[0]
        cap = net.capacity_per_s[0]
        self.edges = []
        for e in range(net.n_edges):
            per = math.floor(cap[e] * self.s + 1e-7)
            if speed[e] > 0 and per >= 1:
                t = float(net.length_m[e] / min(speed[e], problem.demand.groups[0].walk_speed_mps))
                self.edges.append((int(net.tail[e]), int(net.head[e]), t, per))
        room = [math.floor(c + 1e-9) if math.isfinite(c) else math.inf for c in zones.safe_capacity]
        self.room = room
        self.safe = {v: int(zones.node_safe[v]) for v in range(net.n_nodes)
                     if zones.node_safe[v] >= 0 and room[int(zones.node_safe[v])] >= 1}
        g = nx.DiGraph()
        g.add_nodes_from(range(net.n_nodes))
        for u, v, t, _ in self.edges:
            if not g.has_edge(v, u) or g[v][u]["t"] > t:
                g.add_edge(v, u, t=t)
        # a super source joined to each safe node by its zone's price
        for v, zone in self.safe.items():
            g.add_edge("prices", v, t=float(zone_price_s[zone]))
        dist = nx.single_source_dijkstra_path_length(g, "prices", weight="t") if self.safe else {}
        self.b = {v: float(dist[v]) for v in dist if v != "prices"}

    def tau(self, u: int, v: int, t: float) -> int:
        return max(0, math.ceil((t + self.b[v] - self.b[u]) / self.s - 1e-9))

    def released(self, row: int, label: int) -> int:
        d = self.p.demand
        o = int(d.origin[row])
        start = label * self.s - self.b[o]
        if start < -1e-9:  # windows start at clock time 0 or later
            return 0
        f = _curve(self.p.departure_cdf[int(d.curve[row])], self.p.time_step_s, start + self.p.time_step_s)
        return min(int(d.count[row]), math.floor(int(d.count[row]) * f + 1e-7))

    def network(self, horizon: int, rows: list[int] | None = None) -> nx.DiGraph:
        """The TEN for arrivals by label ``horizon`` (of the demand rows ``rows``, default all)."""
        d = self.p.demand
        g = nx.DiGraph()
        top = horizon + int(max(self.b.values(), default=0.0) // self.s) + 1
        labels = range(top + 1)
        for u, v, t, per in self.edges:
            if u not in self.b or v not in self.b:
                continue
            k = self.tau(u, v, t)
            for lab in labels:
                if lab + k <= top:
                    a, z = ("v", u, lab), ("v", v, lab + k)
                    cap = g[a][z]["capacity"] + per if g.has_edge(a, z) else per
                    g.add_edge(a, z, capacity=cap)
        for v, zone in self.safe.items():
            for lab in labels:
                if lab * self.s - self.b[v] <= horizon * self.s + 1e-6:
                    g.add_edge(("v", v, lab), ("zone", zone))
        for zone in set(self.safe.values()):
            if math.isfinite(self.room[zone]):
                g.add_edge(("zone", zone), "sink", capacity=self.room[zone])
            else:
                g.add_edge(("zone", zone), "sink")
        for r in range(d.n_rows) if rows is None else rows:
            o = int(d.origin[r])
            if o not in self.b:
                continue
            prev = 0
            for lab in labels:
                now = self.released(r, lab)
                if now > prev:
                    a = ("home", o, lab)
                    cap = g["source"][a]["capacity"] + now - prev if g.has_edge("source", a) else now - prev
                    g.add_edge("source", a, capacity=cap)
                prev = now
            for lab in labels:
                g.add_edge(("home", o, lab), ("v", o, lab))
                if lab < top:
                    g.add_edge(("home", o, lab), ("home", o, lab + 1))
        return g

    def flow(self, horizon: int, rows: list[int] | None = None) -> int:
        """Max flow of the TEN at ``horizon`` (of the demand rows ``rows``, default all)."""
        g = self.network(horizon, rows)
        if "source" not in g or "sink" not in g:
            return 0
        return int(nx.maximum_flow_value(g, "source", "sink"))

    def saveable(self) -> int:
        """Persons that can reach a safe zone with room at all (a static max flow, time ignored)."""
        d = self.p.demand
        g = nx.DiGraph()
        for u, v, _, _ in self.edges:
            g.add_edge(u, v)
        for v, zone in self.safe.items():
            g.add_edge(v, ("zone", zone))
        for zone in set(self.safe.values()):
            if math.isfinite(self.room[zone]):
                g.add_edge(("zone", zone), "sink", capacity=self.room[zone])
            else:
                g.add_edge(("zone", zone), "sink")
        for r in range(d.n_rows):
            o = int(d.origin[r])
            if o in self.b:
                cap = g["source"][o]["capacity"] + int(d.count[r]) if g.has_edge("source", o) else int(d.count[r])
                g.add_edge("source", o, capacity=cap)
        if "source" not in g or "sink" not in g:
            return 0
        return int(nx.maximum_flow_value(g, "source", "sink"))

    def optimum(self) -> tuple[int, int]:
        """``(saved, T)``: the most persons that can be saved and the smallest horizon (labels) saving them all
        (``T = -1`` when nobody can be saved)."""
        target = self.saveable()
        if target == 0:
            return 0, -1
        hi = 4
        lo = -int(max(self.b.values(), default=0.0) // self.s) - 2  # flow(lo) < target: nothing starts so early
        while self.flow(hi) < target:
            hi *= 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.flow(mid) >= target:
                hi = mid
            else:
                lo = mid
        return target, hi
