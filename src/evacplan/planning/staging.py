"""Staged plans: empty the danger zones into holding areas first, then go on to safety when the way has room.

A plan of the planning model keeps people at home until their whole route to a safe zone has room
(:mod:`evacplan.planning.model`). Where the safe zones take people in far more slowly than the streets could carry
them out of the danger zones (a few exits for a whole city), people following such a plan spend hours in danger
that people routing themselves spend queueing outside it. A *staged* plan has two legs on one network:

1. **out of danger**: the people of the danger zones go to holding areas (:mod:`evacplan.planning.holding`: side
   streets outside every danger zone that the plan's routes leave alone, each holding what its streets store) or
   straight to a safe zone, by a steady plan (:mod:`evacplan.planning.steady`): a static flow repeated over time at
   :data:`~evacplan.planning.steady.STEADY_LOAD` of every street's capacity, timed at free flow. The planning
   model's plans time this leg too late: its paths are long and cross the zone's exits at capacity for hours, and
   transit times rounded up edge by edge put their planned entries 25 minutes behind the drive on Sydney's TNTP
   network, so that people driving them met the capacity planned for others and jammed (80,000 persons queued in
   the simulator). A steady plan's people drive as planned;
2. **on to safety**: from each holding area's gate, people leave in the order they arrived, as a demand row whose
   departure curve is their arrival there, planned by the fast method around the first leg's traffic
   (:class:`~evacplan.planning.occupancy.Occupancy`: overlapping windows of the two legs on one street together
   use at most one window's capacity), never back into a danger zone; the holding areas' streets are closed to both
   legs' routes, and a holding area whose gate has no way to safety outside the danger zones is not used.

The two legs are joined group by group, first in first out at each gate: a group of the staged plan follows its
first leg's path, waits in the holding area (:attr:`~evacplan.planning.result.Plan.step_wait_s` says how long,
before which step), then follows its second leg's path to its safe zone. The evacuation time's lower bound is the one
plan of the planning model's: it is a bound of the quickest flow over time of one travel class, which intermediate
storage cannot shorten (single-commodity flows over time need no storage at intermediate nodes: Fleischer and
Skutella, *Quickest flows over time*, SIAM J. Comput. 36, 2007), and closing streets cannot shorten either.

:func:`staged_plan` makes one for a plan; :func:`evacplan.planning.plan` keeps it where it spends fewer
person-minutes in danger after the deadlines than the plan alone.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from evacplan.network.graph import Network
from evacplan.network.zones import ZoneMap
from evacplan.planning.holding import HoldingAreas, holding_areas
from evacplan.planning.occupancy import Occupancy
from evacplan.planning.paths import edge_persons, expand, first_entry_s
from evacplan.planning.result import Plan
from evacplan.planning.steady import steady_plan
from evacplan.population.demand import Demand
from evacplan.problem.physics import physics, time_to_safety
from evacplan.problem.problem import Problem
from evacplan.problem.reach import reachable_rows

__all__ = ["HOLD_FACTOR", "danger_person_s", "staged_plan"]

PACKET = 10.0

#: Holding areas are chosen to hold this many times the persons in danger (room to choose the nearest).
HOLD_FACTOR = 1.5


def _closed(problem: Problem, edges: NDArray[np.int64]) -> Network:
    """The network of ``problem`` with ``edges`` closed (no capacity for any mode), and every edge's capacity at
    most what its storage carries at free speed (storage / (space per person x free time)).

    The planning model lets a plan use an edge to capacity without waiting, which fits the edge only where its
    persons at capacity and free speed fit its storage; on streets of some networks they do not (Sydney's TNTP
    network: about 300 streets around the danger zone), and a leg that uses every street out of the zone at
    capacity would build queues there that spill back."""
    net = problem.network
    ph = physics(problem)
    cap = net.capacity_per_s.copy()
    for c in range(ph.n_classes):  # (one class in a staged plan)
        k, ft = int(ph.class_mode[c]), ph.free_time_s[c]
        with np.errstate(divide="ignore", invalid="ignore"):
            carry = np.where(ft > 0, ph.storage / (ph.space[k] * ft), np.inf)
            fit = np.maximum(np.floor(ph.storage / (ph.space[k] * PACKET)), 1.0)
            carry = np.minimum(carry, fit * PACKET / (ft + PACKET / cap[k]))
        cap[k] = np.minimum(cap[k], np.nan_to_num(carry, nan=0.0))
    cap[:, edges] = 0.0
    return dataclasses.replace(net, capacity_per_s=cap, _cache={})


def _with_zones(zones: ZoneMap, node: NDArray[np.int64], capacity: NDArray[np.float64]) -> ZoneMap:
    """``zones`` with one more safe zone per ``node`` (of ``capacity`` persons), numbered after the others."""
    s, h = len(zones.safe_names), node.size
    node_safe = zones.node_safe.copy()
    node_safe[node] = s + np.arange(h, dtype=np.int32)
    nan = np.full(h, np.nan)

    def ext(a: NDArray[np.float64], fill: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.r_[a, fill] if a.size == s else a

    return dataclasses.replace(
        zones, safe_names=zones.safe_names + tuple(f"holding area {i + 1}" for i in range(h)),
        safe_capacity=np.r_[zones.safe_capacity, capacity], node_safe=node_safe,
        safe_area_m2=ext(zones.safe_area_m2, nan),
        safe_services={k: ext(v, nan) for k, v in zones.safe_services.items()},
        safe_residents=ext(zones.safe_residents, np.zeros(h)),
        safe_declared_capacity=ext(zones.safe_declared_capacity, capacity),
        safe_drawn_area_m2=ext(zones.safe_drawn_area_m2, nan))


def _keep(areas: HoldingAreas, keep: NDArray[np.int64]) -> HoldingAreas:
    """The holding areas ``keep``, numbered anew."""
    new = np.full(areas.n_areas, -1, dtype=np.int64)
    new[keep] = np.arange(keep.size)
    on = new[areas.edge_area] >= 0
    return HoldingAreas(gate=areas.gate[keep], capacity=areas.capacity[keep], edge=areas.edge[on],
                        edge_area=new[areas.edge_area[on]])


def _subproblem(problem: Problem, **changes: object) -> Problem:
    out = dataclasses.replace(problem, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(out, reachable=reachable_rows(out.network, out.zones, out.demand))


def staged_plan(problem: Problem, base: Plan, factor: float = HOLD_FACTOR) -> Plan | None:
    """A staged plan for the persons ``base`` plans (see the module docstring), or ``None`` where none applies: not
    one travel class, nobody in danger, no holding area, or the legs do not bring everyone ``base`` brings."""
    from evacplan.planning.api import plan

    d, zones = problem.demand, problem.zones
    ph = physics(problem)
    inside = np.flatnonzero((d.danger >= 0) & (d.count > 0))
    if ph.n_classes != 1 or inside.size == 0 or base.n_groups == 0:
        return None
    used = edge_persons(base, problem.network.n_edges) > 0
    areas = holding_areas(problem, used, factor * float(d.count[inside].sum()))
    if areas.n_areas == 0:
        return None
    # leg 2 never goes back into a danger zone
    into = np.flatnonzero(zones.node_danger[problem.network.head] >= 0)
    # an area whose gate has no way to safety outside the danger zones, once the areas are closed, is no place to wait
    closed = _subproblem(problem, network=_closed(problem, np.r_[areas.edge, into]))
    on = np.isfinite(time_to_safety(closed, physics(closed).free_time_s[0]))[areas.gate]
    if not on.all():
        areas = _keep(areas, np.flatnonzero(on))
        if areas.n_areas == 0:
            return None
    net = _closed(problem, areas.edge)
    net2 = _closed(problem, np.r_[areas.edge, into])
    n_safe = len(zones.safe_names)
    # leg 1: out of danger, to a holding area or a safe zone
    dem1 = Demand(origin=d.origin[inside], group=d.group[inside], mode=d.mode[inside], count=d.count[inside],
                  danger=d.danger[inside], curve=d.curve[inside], groups=d.groups)
    p1 = _subproblem(problem, network=net, zones=_with_zones(zones, areas.gate, areas.capacity), demand=dem1)
    leg1 = steady_plan(p1)
    held = leg1.safe_zone >= n_safe
    # leg 2: from the holding areas (released as they arrive), and everyone else, to safety
    area = leg1.safe_zone[held].astype(np.int64) - n_safe
    got = np.bincount(area, weights=leg1.count[held], minlength=areas.n_areas)
    with_people = np.flatnonzero(got > 0)
    steps = problem.departure_cdf.shape[1]
    # released one step after the end of its arrival window (the departure curve is linear between steps)
    at = np.minimum(np.ceil(leg1.arrival_s[held] / problem.time_step_s - 1e-9).astype(np.int64) + 1, steps - 1)
    arrived = np.zeros((areas.n_areas, steps))
    np.add.at(arrived, (area, at), leg1.count[held])
    curves = np.cumsum(arrived[with_people], axis=1) / got[with_people, None]
    curves[:, -1] = 1.0
    rest = np.flatnonzero(d.danger < 0)
    left1 = np.zeros(d.n_rows, dtype=np.int64)
    left1[inside] = leg1.unplanned
    rest = np.r_[rest, inside[leg1.unplanned > 0]]
    r0 = int(inside[0])
    n_h = with_people.size
    dem2 = Demand(
        origin=np.r_[areas.gate[with_people], d.origin[rest]].astype(d.origin.dtype),
        group=np.r_[np.full(n_h, d.group[r0]), d.group[rest]].astype(d.group.dtype),
        mode=np.r_[np.full(n_h, d.mode[r0]), d.mode[rest]].astype(d.mode.dtype),
        count=np.r_[got[with_people], np.where(d.danger[rest] >= 0, left1[rest], d.count[rest])].astype(d.count.dtype),
        danger=np.r_[np.full(n_h, -1), d.danger[rest]].astype(d.danger.dtype),
        curve=np.r_[problem.departure_cdf.shape[0] + np.arange(n_h), d.curve[rest]].astype(d.curve.dtype),
        groups=d.groups)
    taken = np.bincount(leg1.safe_zone[~held], weights=leg1.count[~held], minlength=n_safe)
    room = np.where(np.isfinite(zones.safe_capacity), np.maximum(zones.safe_capacity - taken, 0.0), np.inf)
    p2 = _subproblem(problem, network=net2, zones=dataclasses.replace(zones, safe_capacity=room), demand=dem2,
                     departure_cdf=np.vstack([problem.departure_cdf, curves]))
    leg2 = plan(p2, method="fast", deadlines=False, occupied=Occupancy.of_plan(p1, leg1), staging=False)
    out = _join(problem, base, areas, inside, leg1, held, with_people, rest, leg2)
    if out is None or out.evacuated != base.evacuated:
        return None
    return out


def _join(problem: Problem, base: Plan, areas: HoldingAreas, inside: NDArray[np.int64], leg1: Plan,
          held: NDArray[np.bool_], with_people: NDArray[np.int64], rest: NDArray[np.int64], leg2: Plan
          ) -> Plan | None:
    """The staged plan of ``problem``: each leg-1 group to a holding area joined, first in first out at its gate,
    with the leg-2 groups leaving it; everyone else as their leg plans them."""
    if leg1.time_step_s != leg2.time_step_s:
        return None
    s = leg1.time_step_s
    n_h = with_people.size
    area_row = np.full(areas.n_areas, -1, dtype=np.int64)
    area_row[with_people] = np.arange(n_h)
    n_safe = len(problem.zones.safe_names)
    # first in, first out at each gate: (leg-1 group, leg-2 group, persons)
    p_g1, p_g2, p_n = [], [], []
    g1_all = np.flatnonzero(held)
    g1_area = leg1.safe_zone[g1_all].astype(np.int64) - n_safe
    for r in range(n_h):
        a = int(with_people[r])
        g1 = g1_all[g1_area == a]
        g1 = g1[np.lexsort((g1, leg1.arrival_s[g1]))]
        g2 = np.flatnonzero(leg2.row == r)
        g2 = g2[np.lexsort((g2, leg2.departure_s[g2]))]
        c1, c2 = np.cumsum(leg1.count[g1]), np.cumsum(leg2.count[g2])
        cuts = np.unique(np.r_[c1, c2])
        cuts = cuts[cuts <= min(c1[-1], c2[-1] if c2.size else 0)]
        lo = np.r_[0, cuts[:-1]] if cuts.size else cuts
        p_g1.append(g1[np.searchsorted(c1, lo, side="right")])
        p_g2.append(g2[np.searchsorted(c2, lo, side="right")])
        p_n.append(cuts - lo)
    pg1 = np.concatenate(p_g1).astype(np.int64) if p_g1 else np.zeros(0, np.int64)
    pg2 = np.concatenate(p_g2).astype(np.int64) if p_g2 else np.zeros(0, np.int64)
    pn = np.concatenate(p_n).astype(np.int64) if p_n else np.zeros(0, np.int64)
    k1, k2 = leg1.n_steps, leg2.n_steps
    # steps: leg 1's, then leg 2's, then one copy per joined group of its leg-1 path and of its leg-2 first step
    _, e_c, s_c = expand(leg1.path_start, leg1.step_edge, leg1.step_next, pg1)
    n_c = leg1.step_len[leg1.path_start[pg1]]
    n_c = np.where(leg1.path_start[pg1] >= 0, n_c, 0)
    pair = np.repeat(np.arange(pg1.size), n_c)
    first_copy = k1 + k2 + np.r_[0, np.cumsum(n_c)[:-1]] if pg1.size else np.zeros(0, np.int64)
    hold_step = k1 + k2 + s_c.size + np.arange(pg1.size)
    shift = (leg2.arrival_s[pg2] - leg1.arrival_s[pg1])  # both arrival windows start a step before
    idx_c = np.arange(s_c.size)
    last = np.r_[pair[1:] != pair[:-1], True] if pair.size else np.zeros(0, dtype=bool)
    next_c = np.where(last, hold_step[pair], k1 + k2 + idx_c + 1)
    s2 = leg2.path_start[pg2]
    if np.any(s2 < 0):
        return None  # a gate is never a safe node
    step_edge = np.r_[leg1.step_edge, leg2.step_edge, e_c, leg2.step_edge[s2]].astype(np.int64)
    nxt2 = np.where(leg2.step_next >= 0, leg2.step_next + k1, -1)
    step_next = np.r_[leg1.step_next, nxt2, next_c,
                      np.where(leg2.step_next[s2] >= 0, leg2.step_next[s2] + k1, -1)].astype(np.int64)
    step_to_go = np.r_[leg1.step_to_go_s, leg2.step_to_go_s, leg1.step_to_go_s[s_c] + shift[pair],
                       leg2.step_to_go_s[s2]]
    hold_len = leg2.step_len[s2]
    step_len = np.r_[leg1.step_len, leg2.step_len, leg1.step_len[s_c] + hold_len[pair], hold_len].astype(np.int64)
    step_wait = np.zeros(step_edge.size)
    # waiting from the start of the leg-1 arrival window at the gate to the leg-2 departure window
    step_wait[hold_step] = np.maximum(leg2.departure_s[pg2] - (leg1.arrival_s[pg1] - s), 0.0)
    # groups: leg 1 straight to safety, leg 2 from home, the joined ones
    d1 = np.flatnonzero(~held)
    d2 = np.flatnonzero(leg2.row >= n_h)
    row = np.r_[inside[leg1.row[d1]], rest[leg2.row[d2] - n_h], inside[leg1.row[pg1]]].astype(np.int32)
    start = np.r_[leg1.path_start[d1], np.where(leg2.path_start[d2] >= 0, leg2.path_start[d2] + k1, -1),
                  np.where(n_c > 0, first_copy, hold_step)].astype(np.int64)
    span1, span2 = leg1.spans_s(), leg2.spans_s()
    count = np.r_[leg1.count[d1], leg2.count[d2], pn].astype(np.int64)
    planned = np.bincount(row, weights=count, minlength=problem.demand.n_rows)
    return Plan(
        method="fast", row=row, count=count,
        departure_s=np.r_[leg1.departure_s[d1], leg2.departure_s[d2], leg1.departure_s[pg1]],
        arrival_s=np.r_[leg1.arrival_s[d1], leg2.arrival_s[d2], leg2.arrival_s[pg2]],
        safe_zone=np.r_[leg1.safe_zone[d1], leg2.safe_zone[d2], leg2.safe_zone[pg2]].astype(np.int32),
        path_start=start, step_edge=step_edge, step_next=step_next, step_to_go_s=step_to_go, step_len=step_len,
        evacuation_time_s=float(max(leg1.arrival_s[d1].max(initial=0.0), leg2.arrival_s.max(initial=0.0))),
        lower_bound_s=base.lower_bound_s,
        unplanned=(problem.demand.count - planned).astype(np.int64), runtime_s=leg1.runtime_s + leg2.runtime_s,
        bottlenecks=leg2.bottlenecks, time_step_s=s, bound_model=base.bound_model, objective=base.objective,
        quickest_time_s=base.quickest_time_s,
        departure_span_s=np.r_[span1[d1], span2[d2], np.maximum(span1[pg1], span2[pg2])],
        step_wait_s=step_wait, holding=areas,
    )


def danger_person_s(problem: Problem, plan: Plan) -> float:
    """Person-seconds the plan's groups spend in their danger zone after its deadline, counted from the start of
    each group's departure window to its entry into the first edge leading out of every danger zone (persons the
    plan does not send stay to the horizon): the figure :func:`evacplan.planning.plan` compares a staged plan by."""
    d, zones = problem.demand, problem.zones
    deadline = np.r_[zones.danger_deadline_s.astype(np.float64), np.inf]
    first = first_entry_s(plan, zones.node_danger[problem.network.head] < 0)
    zone = d.danger[plan.row].astype(np.int64)
    inside = zone >= 0
    leave = np.where(np.isfinite(first), first, plan.departure_s)  # a group that never moves is safe at home
    late = np.maximum(leave - deadline[zone], 0.0)
    total = float(np.dot(plan.count[inside], late[inside]))
    left = plan.unplanned[d.danger >= 0].astype(np.float64)
    dl = deadline[d.danger[d.danger >= 0].astype(np.int64)]
    return total + float(np.dot(left, np.maximum(problem.horizon_s - dl, 0.0)))
