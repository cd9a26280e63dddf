"""A small, readable reference engine of the simulator's core dynamics, in plain Python (the oracle of the fast one).

It implements the same model as :mod:`evacplan.simulation.kernels` with objects and deques instead of flat arrays:
departures, FIFO link queues with free travel times, the outflow server of every edge, storage and spillback, fair
merging at nodes, self-routing to the nearest open safe zone (rebuilt every ``reroute_s`` and when a zone fills)
and safe-zone capacities. It leaves out plans, events, fixed destinations, stuck times, exposure and edge records:
``tests/simulate`` runs the analytic tests on both engines and compares them on random networks, arrival by arrival.
It is slow (pure Python); use it on small problems only.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass, field
from itertools import takewhile

import numpy as np

from evacplan.problem.physics import MIN_ROOM, physics
from evacplan.problem.problem import Problem

__all__ = ["Arrival", "simulate_reference"]


@dataclass
class _Packet:
    index: int  # position in the release order of the fast engine (its parity picks nothing here)
    row: int
    count: int
    depart_s: float
    ready_s: float = 0.0  # when it may leave its current edge (or home)


@dataclass
class _Edge:
    tail: int
    head: int
    storage: float
    queue: deque[_Packet] = field(default_factory=deque)
    occupied: float = 0.0  # person-equivalents on the edge
    free_at: float = -math.inf  # when its outflow server is free again
    left_at: float = -math.inf  # when the last packet left it
    blocked_at: float = math.inf  # end of the step in which its front packet found the next edge full


@dataclass(frozen=True)
class Arrival:
    """``count`` persons of demand row ``row`` pass into safe zone ``safe_zone`` evenly over ``[start_s, end_s]``."""

    start_s: float
    end_s: float
    count: int
    safe_zone: int
    row: int


class _Visits:
    """The nodes a step visits: every node in index order, then those queued for another look."""

    def __init__(self, n: int) -> None:
        self.n, self.swept = n, 0
        self.again: deque[int] = deque()
        self.queued: set[int] = set()

    def look_again(self, node: int) -> None:
        """Visit ``node`` again in this step (a node not yet swept is visited anyway)."""
        if node < self.swept and node not in self.queued:
            self.again.append(node)
            self.queued.add(node)

    def next(self) -> int | None:
        """The next node to visit, or ``None`` when the step is done."""
        if self.swept < self.n:
            self.swept += 1
            return self.swept - 1
        if self.again:
            node = self.again.popleft()
            self.queued.discard(node)
            return node
        return None


def _merge_offset(step: int, node: int, seed: int, k: int) -> int:
    """The rotating start of the round-robin at a node (the same hash as the fast engine's)."""
    a = step ^ (seed * 7919)
    h = (a * 0x9E3779B1 + node * 0x85EBCA77 + 0x27D4EB2F) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    h ^= h >> 12
    return h % (k + 1)


def _next_hops(n: int, edges: list[_Edge], cost: list[float], targets: set[int]) -> list[int]:
    """First edge of a shortest path from every node to the nearest target (-1 at targets and where none)."""
    into: list[list[int]] = [[] for _ in range(n)]
    for e, edge in enumerate(edges):
        into[edge.head].append(e)
    dist = [math.inf] * n
    hop = [-1] * n
    heap = []
    for v in sorted(targets):
        dist[v] = 0.0
        heap.append((0.0, v))
    heapq.heapify(heap)
    while heap:
        d, v = heapq.heappop(heap)
        if d > dist[v]:
            continue
        for e in into[v]:
            u = edges[e].tail
            if d + cost[e] < dist[u]:
                dist[u] = d + cost[e]
                hop[u] = e
                heapq.heappush(heap, (dist[u], u))
    return hop


def simulate_reference(
    problem: Problem,
    *,
    packet_size: int = 10,
    dt_s: float = 10.0,
    horizon_s: float | None = None,
    reroute_s: float = 300.0,
    seed: int = 0,
) -> list[Arrival]:
    """Simulate everyone routing themselves, one mode and one demographic group at a time (walking, group 0).

    Parameters
    ----------
    problem
        A problem whose demand rows all use mode 0 and group 0.
    packet_size, dt_s, horizon_s, reroute_s, seed
        As in :func:`evacplan.simulation.simulate`.

    Returns
    -------
    list of Arrival
        In the order the arrivals happened.
    """
    from evacplan.problem.mobilization import release_times
    from evacplan.simulation.engine import _split

    d, net, zones = problem.demand, problem.network, problem.zones
    if np.any(d.mode != 0) or np.any(d.group != 0):
        raise NotImplementedError("the reference engine handles mode 0, group 0 only")
    free_time = problem.edge_time_s(0, 0)
    usage_per_person = [1.0 / c if c > 0 else math.inf for c in net.capacity_per_s[0]]
    edges = [_Edge(int(t), int(h), float(s)) for t, h, s in zip(net.tail, net.head, net.storage, strict=True)]
    rev_indptr, rev_edges = net.reverse()
    in_edges = [[int(e) for e in rev_edges[rev_indptr[v] : rev_indptr[v + 1]]] for v in range(net.n_nodes)]
    safe_left = [float(c) for c in physics(problem).safe_capacity]

    # packets, released in order of departure
    rows = np.flatnonzero(problem.reachable)
    idx, counts, _, ends = _split(rows, d.count[rows].astype(np.int64), packet_size)
    packets = []
    for i, (j, c, share) in enumerate(zip(idx, counts, ends, strict=True)):
        r = int(rows[j])
        t = float(release_times(problem.departure_cdf[d.curve[r]], problem.time_step_s, np.array([share]))[0])
        packets.append(_Packet(i, r, int(c), t))
    pending = deque(sorted(packets, key=lambda p: p.depart_s))
    home: list[deque[_Packet]] = [deque() for _ in range(net.n_nodes)]
    home_free_at = [-math.inf] * net.n_nodes
    home_blocked_at = [math.inf] * net.n_nodes

    def routes(now: float) -> list[int]:
        # the wait at each edge's end: persons queued there (the FIFO prefix that is ready) times their usage
        delay = [
            sum(p.count * usage_per_person[e] for p in takewhile(lambda q: q.ready_s <= now, edge.queue))
            for e, edge in enumerate(edges)
        ]
        cost = [free_time[e] + delay[e] if usage_per_person[e] < math.inf else math.inf for e in range(len(edges))]
        targets = {v for v in range(net.n_nodes)
                   if zones.node_safe[v] >= 0 and safe_left[zones.node_safe[v]] >= MIN_ROOM}
        return _next_hops(net.n_nodes, edges, cost, targets)

    hop = routes(0.0)
    arrivals: list[Arrival] = []
    active = 0
    horizon = problem.horizon_s if horizon_s is None else horizon_s
    n_steps = math.ceil(horizon / dt_s - 1e-9)
    every = max(1, round(reroute_s / dt_s))
    for step in range(n_steps):
        if step > 0 and step % every == 0:
            hop = routes(step * dt_s)
        end = (step + 1) * dt_s
        while pending and pending[0].depart_s <= end:  # 1. departures join their home queue
            p = pending.popleft()
            p.ready_s = p.depart_s
            home[int(d.origin[p.row])].append(p)
            active += 1
        zone_filled = False
        # 2. node transfers: every node in index order, then again whenever a packet reaches it within the step or
        # room frees up on one of its out-edges
        visits = _Visits(net.n_nodes)
        look_again = visits.look_again
        while (v := visits.next()) is not None:
            sources = [*in_edges[v], -1]  # -1: the node's home queue
            start = _merge_offset(step, v, seed, len(sources) - 1)
            blocked = [False] * len(sources)
            moved = True
            while moved:  # round-robin, one packet per source per round
                moved = False
                for jj in range(len(sources)):
                    j = (start + jj) % len(sources)
                    e = sources[j]
                    queue = home[v] if e < 0 else edges[e].queue
                    if blocked[j] or not queue or queue[0].ready_s > end:
                        blocked[j] = True
                        continue
                    p = queue[0]
                    # never moved into a past step
                    service = max(p.ready_s, home_free_at[v] if e < 0 else edges[e].free_at, end - dt_s)
                    if service > end:
                        blocked[j] = True
                        continue
                    usage = 0.0 if e < 0 else p.count * usage_per_person[e]
                    z = int(zones.node_safe[v])
                    if z >= 0 and safe_left[z] >= MIN_ROOM:  # reaching safety
                        take = min(p.count, int(safe_left[z])) if safe_left[z] < p.count else p.count
                        arrivals.append(Arrival(service, service + usage * take / p.count, take, z, p.row))
                        safe_left[z] -= take
                        zone_filled |= safe_left[z] < MIN_ROOM
                        if e >= 0:
                            edges[e].occupied -= take
                            edges[e].free_at = service + usage * take / p.count
                            edges[e].left_at = max(edges[e].left_at, service)
                            look_again(edges[e].tail)
                        p.count -= take
                        moved = True
                        if p.count == 0:
                            queue.popleft()
                            active -= 1
                            if e >= 0:
                                edges[e].blocked_at = math.inf
                            else:
                                home_blocked_at[v] = math.inf
                            continue
                        usage = 0.0 if e < 0 else p.count * usage_per_person[e]
                    nxt = hop[v]
                    if nxt < 0:  # no open route from here: wait
                        blocked[j] = True
                        continue
                    target = edges[nxt]
                    if target.occupied > 0 and target.occupied + p.count > target.storage:  # spillback
                        if e < 0:
                            home_blocked_at[v] = min(home_blocked_at[v], end)
                        else:
                            edges[e].blocked_at = min(edges[e].blocked_at, end)
                        blocked[j] = True
                        continue
                    waited = home_blocked_at[v] if e < 0 else edges[e].blocked_at
                    if waited < math.inf:
                        # it waited for room: it enters no earlier than the packet before it left
                        service = max(service, target.left_at)
                        if service > end:
                            blocked[j] = True
                            continue
                    queue.popleft()
                    if e >= 0:
                        edges[e].occupied -= p.count
                        edges[e].free_at = service + usage
                        edges[e].blocked_at = math.inf
                        edges[e].left_at = max(edges[e].left_at, service)
                        look_again(edges[e].tail)
                    else:
                        home_blocked_at[v] = math.inf
                    p.ready_s = service + free_time[nxt]
                    # the queue is in the order packets reach the edge's end (faster ones overtake on the way)
                    at = len(target.queue)
                    while at > 0 and target.queue[at - 1].ready_s > p.ready_s:
                        at -= 1
                    target.queue.insert(at, p)
                    target.occupied += p.count
                    if p.ready_s <= end:
                        look_again(target.head)
                    moved = True
        if zone_filled:
            hop = routes(end)
        if not pending and active == 0:
            break
    return arrivals
