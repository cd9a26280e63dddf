"""The simulator's facade: turn a problem (and a plan) into packets and arrays, drive the kernel, collect results.

Each call to :func:`simulate` runs these phases:

1. *packets*: split every demand row into packets of at most ``packet_size`` persons. With a plan, a share
   ``compliance`` of each planned group (binomial draw, seeded) leaves in the plan's departure window and follows
   its path; everyone else leaves by the row's departure curve and routes itself;
2. *routing tables*: a shortest-path tree per (mode, demographic group) class towards every open safe node
   (or towards a fixed destination per row, for comparisons with OD-based simulators), on free travel time plus the
   current queue delay, rebuilt every ``reroute_s`` seconds, when an edge closes or loses capacity, and when a safe
   zone fills up;
3. *steps* (:func:`evacplan.simulation.kernels.run_steps`): release, node transfers, exposure, minute records;
4. *events* applied at step boundaries.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evacplan.errors import InternalError
from evacplan.problem.mobilization import group_release_times, release_times
from evacplan.problem.physics import MIN_ROOM, edge_danger_zone, physics
from evacplan.problem.problem import Problem
from evacplan.progress import Progress
from evacplan.simulation import kernels as K
from evacplan.simulation.events import CapacityDrop, DangerOnset, EdgeClosure, Event
from evacplan.simulation.result import SimulationResult

if TYPE_CHECKING:
    from evacplan.planning.result import Plan

__all__ = ["DEFAULT_DT_S", "DEFAULT_PACKET_SIZE", "DEFAULT_STUCK_S", "MAX_DT_S", "planned_packets", "simulate",
           "window_steps"]

MAX_DT_S = 10.0

#: The simulator's default step (seconds) and most persons per packet.
DEFAULT_DT_S = 10.0
DEFAULT_PACKET_SIZE = 10


@dataclass
class _Packets:
    row: NDArray[np.int64]
    count: NDArray[np.int64]
    tdep: NDArray[np.float64]
    path_pos: NDArray[np.int64]  # the packet's next step of its plan path (-1: routes itself)
    zone: NDArray[np.int64]  # the safe zone its plan sends it to (-1: routes itself)


def _split(rows: NDArray[np.int64], counts: NDArray[np.int64], size: int | NDArray[np.int64]
           ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Split ``counts[i]`` persons into packets of at most ``size`` (or ``size[i]``): ``(index i, packet count,
    midpoint share, end share)`` (the end share is the share of the row's persons released once the packet's last
    person is)."""
    sizes = np.broadcast_to(np.asarray(size, dtype=np.int64), counts.shape)
    n_pk = -(-counts // sizes)
    idx = np.repeat(np.arange(len(rows)), n_pk)
    first = np.cumsum(n_pk) - n_pk
    j = np.arange(len(idx)) - np.repeat(first, n_pk)
    per = sizes[idx]
    c = np.minimum(per, counts[idx] - j * per)
    total = np.maximum(counts[idx], 1)
    return idx, c.astype(np.int64), (j * per + c / 2.0) / total, (j * per + c) / total


def window_steps(window_s: float, dt_s: float = DEFAULT_DT_S) -> int:
    """The simulator's steps of ``dt_s`` in a plan window of ``window_s`` (at least 1): how finely a planned group's
    departures are spread (:func:`planned_packets`)."""
    return max(1, math.ceil(window_s / dt_s - 1e-9)) if window_s > 0 else 1


def planned_packets(problem: Problem, plan: Plan, persons: NDArray[np.int64], size: int, spread: int
                    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """The packets in which the simulator sends ``persons[g]`` persons of each planned group ``g``.

    A group departs during its plan window: its packets leave evenly spread over the group's span of the window
    (:attr:`~evacplan.planning.result.Plan.departure_span_s`), each of at most ``ceil(persons / spread)`` persons
    (``spread``: the simulator's steps in the window) and at most ``size``, so that the spread is resolved as finely
    as the simulator resolves time (one packet at the window's middle would be a burst the plan does not make). A
    packet whose last person is released later than its place (the plan sends those released by the end of the
    window's first step) leaves at that release (:func:`~evacplan.problem.mobilization.group_release_times`), and
    the packets after it keep their spacing (:func:`evacplan.simulation.kernels.space_packets`): a group never
    leaves faster than over its span, so the groups of an (edge, window) never enter faster than its capacity.

    Returns
    -------
    group, count, depart_s, held_s
        Per packet: its group, persons, departure time and how much later than its place it leaves (held by a
        release, its own or an earlier packet's).
    """
    g = np.flatnonzero(persons > 0)
    idx, c, mid, end = _split(g, persons[g], np.clip(-(-persons[g] // max(spread, 1)), 1, size))
    gi = g[idx]
    span = plan.spans_s()[gi]
    place = plan.departure_s[gi].astype(np.float64) + mid * span
    release = group_release_times(problem, plan.row, plan.count, plan.departure_s, gi, end)
    new_group = np.r_[True, idx[1:] != idx[:-1]] if idx.size else np.zeros(0, dtype=bool)
    gap = np.zeros(idx.size)
    gap[1:] = (c[1:] + c[:-1]) / (2.0 * persons[gi[1:]]) * span[1:]
    tdep = np.empty(idx.size)
    K.space_packets(new_group, place, release, gap, tdep)
    return gi, c, tdep, tdep - place


def _make_packets(
    problem: Problem, plan: Plan | None, compliance: float, size: int, rng: np.random.Generator, spread: int = 1
) -> _Packets:
    d = problem.demand
    active = problem.reachable.copy()
    free = np.where(active, d.count, 0).astype(np.int64)
    parts: list[_Packets] = []
    if plan is not None and plan.n_groups:
        keep = active[plan.row]
        comp = plan.count if compliance >= 1.0 else rng.binomial(plan.count, max(compliance, 0.0))
        comp = np.where(keep, comp, 0).astype(np.int64)
        np.subtract.at(free, plan.row, comp)
        free = np.maximum(free, 0)
        gi, c, tdep, _ = planned_packets(problem, plan, comp, size, spread)
        parts.append(_Packets(plan.row[gi].astype(np.int64), c, tdep, plan.path_start[gi].astype(np.int64),
                              plan.safe_zone[gi].astype(np.int64)))
    r = np.flatnonzero(free > 0)
    idx, c, _, end = _split(r, free[r], size)
    rows = r[idx]
    tdep = np.empty(len(rows))
    for curve in np.unique(d.curve[rows]) if len(rows) else []:
        sel = d.curve[rows] == curve
        tdep[sel] = release_times(problem.departure_cdf[curve], problem.time_step_s, end[sel])
    parts.append(_Packets(rows.astype(np.int64), c, tdep, np.full(len(rows), -1, np.int64),
                          np.full(len(rows), -1, np.int64)))
    return _Packets(*(np.concatenate([getattr(p, f) for p in parts]) for f in _Packets.__dataclass_fields__))


def _zone_index(problem: Problem, zone: int | str) -> int:
    if isinstance(zone, str):
        return problem.zones.danger_names.index(zone)
    return int(zone)


#: Stuck time the command line, ``evacplan run`` and ensembles use (seconds): a packet blocked this long at the head
#: of its edge by a full downstream edge enters it anyway, as MATSim's ``stuckTime`` does; without it a dense walking
#: network can lock up for good (cycles of full edges), which real crowds resolve by squeezing through.
DEFAULT_STUCK_S = 300.0


def simulate(
    problem: Problem,
    plan: Plan | None = None,
    *,
    compliance: float = 1.0,
    packet_size: int = DEFAULT_PACKET_SIZE,
    dt_s: float = DEFAULT_DT_S,
    events: Iterable[Event] = (),
    progress: Progress | None = None,
    horizon_s: float | None = None,
    destination: NDArray[np.integer] | None = None,
    reroute_s: float = 300.0,
    route_mix: bool = False,
    space: Sequence[float] | None = None,
    stuck_s: float | None = DEFAULT_STUCK_S,
    seed: int | None = None,
    check: bool = False,
    engine: str = "numba",
) -> SimulationResult:
    """Simulate an evacuation with mesoscopic link-queue dynamics.

    Parameters
    ----------
    problem
        The built problem.
    plan
        A plan to follow (optional). Without one everyone routes themselves.
    compliance
        Share of each planned group that follows the plan (departure time and path), in [0, 1]; the others leave by
        their row's departure curve and take their own shortest path to the nearest open safe zone.
    packet_size
        Most persons moved together (one demand row per packet). A planned group leaves in packets spread evenly
        over its span of the departure window, each of at most ``ceil(persons / k)`` persons, ``k`` the steps of
        ``dt_s`` in the window (a group of 10 in a 60 s window at 10 s steps: five packets of two), so that its
        departures are as spread as the plan makes them; a packet leaves no earlier than its last person is
        released (:func:`planned_packets`).
    dt_s
        Time step in seconds, at most 10. Packets keep exact clocks; ``dt_s`` only sets how often queues interact.
    events
        :class:`EdgeClosure`, :class:`CapacityDrop` and :class:`DangerOnset` events.
    progress
        ``progress(message, fraction)`` callback (:class:`evacplan.progress.Progress`), told the simulated share of
        the horizon from time to time.
    horizon_s
        Simulated time (default: the problem's horizon); the run stops earlier once everyone has arrived.
    destination
        Optional fixed destination node per demand row (for comparisons with OD-based simulators): people then
        route to it (with rerouting) and leave the network only there.
    reroute_s
        Interval of route updates in seconds: self-routing people follow shortest paths on free travel time plus
        the queue delay seen at the last update.
    route_mix
        With ``True`` half of the packets (by parity) keep the previous routing table after an update, damping
        route flapping (the analogue of UXsim's route-preference weight 0.5).
    space
        Storage one person of each mode takes on an edge, in the network's person-equivalents (default: the
        physical model's, :func:`evacplan.problem.physics.space_per_person`).
    stuck_s
        Stuck time in seconds: a packet blocked that long at the head of its edge by a full downstream edge enters
        it anyway (MATSim's ``stuckTime``; dissolves gridlock at the price of overfilling an edge). Default
        :data:`DEFAULT_STUCK_S`, the same in the command line, runs and ensembles; ``None``: storage is never
        exceeded and gridlock can persist.
    seed
        Seed of the compliance draw and merge order (default ``problem.seed``). Same seed, same result.
    check
        Verify conservation and storage invariants after every step (slow; for tests). A broken invariant raises
        :class:`~evacplan.errors.InternalError`.
    engine
        ``"numba"`` (compiled kernel) or ``"python"``: the same step function interpreted by Python, slow but
        steppable in a debugger and measurable by coverage; both must give identical results.

    Returns
    -------
    SimulationResult
    """
    if not 0 < dt_s <= MAX_DT_S:
        raise ValueError(f"dt_s must be in (0, {MAX_DT_S}] seconds, got {dt_s}")
    if packet_size < 1:
        raise ValueError(f"packet_size must be >= 1, got {packet_size}")
    if not 0.0 <= compliance <= 1.0:
        raise ValueError(f"compliance must be in [0, 1], got {compliance}")
    if engine not in ("numba", "python"):
        raise ValueError(f"engine must be 'numba' or 'python', got {engine!r}")
    step_fn = K.run_steps if engine == "numba" else K.run_steps.py_func
    t_start = time.perf_counter()
    seed = problem.seed if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    net, zones, d = problem.network, problem.zones, problem.demand
    n, m = net.n_nodes, net.n_edges
    horizon = float(problem.horizon_s if horizon_s is None else horizon_s)
    n_steps = int(math.ceil(horizon / dt_s - 1e-9))

    # ---- the physical model: classes (mode, group), free times, capacities, storage, space ----
    ph = physics(problem)
    row_cls = ph.row_class
    cap = ph.capacity_per_s
    ftime = ph.free_time_s if ph.n_classes else np.zeros((1, m))
    route_time = ftime
    with np.errstate(divide="ignore"):
        inv_cap = np.where(cap > 0, 1.0 / np.where(cap > 0, cap, 1.0), np.inf)
    sp = np.asarray(space if space is not None else ph.space, dtype=np.float64)

    # ---- packets ----
    spread = window_steps(plan.time_step_s, dt_s) if plan is not None else 1
    pk = _make_packets(problem, plan, compliance, int(packet_size), rng, spread)
    n_pk = len(pk.row)
    order = np.argsort(pk.tdep, kind="stable").astype(np.int64)
    pk_origin = d.origin[pk.row].astype(np.int64)
    pk_mode = d.mode[pk.row].astype(np.int64)
    pk_cls = row_cls[pk.row] if n_pk else np.zeros(0, np.int64)
    if destination is not None:
        dest_row = np.asarray(destination, dtype=np.int64)
        uniq_dest, dest_idx = np.unique(dest_row, return_inverse=True)
        table_key = np.stack([row_cls, dest_idx.ravel()], axis=1)
        tables, row_table = np.unique(table_key, axis=0, return_inverse=True)
        table_class = tables[:, 0].astype(np.int64)
        table_dest = uniq_dest[tables[:, 1]]
        pk_dest = dest_row[pk.row]
        pk.path_pos[:] = -1  # a fixed destination overrides plan paths
    else:
        table_class = np.arange(max(ph.n_classes, 1), dtype=np.int64)
        table_dest = None
        row_table = row_cls
        pk_dest = np.full(n_pk, -1, dtype=np.int64)
    pk_table = np.asarray(row_table, dtype=np.int64).ravel()[pk.row] if n_pk else np.zeros(0, np.int64)
    n_tables = len(table_class)

    # ---- mutable state ----
    safe_rem = ph.safe_capacity.astype(np.float64).copy()
    if len(safe_rem) == 0:
        safe_rem = np.zeros(1)
    node_safe = zones.node_safe.astype(np.int64)
    node_zone = zones.node_danger.astype(np.int64)
    edge_zone = edge_danger_zone(problem)
    n_zone = max(len(zones.danger_names), 1)
    deadline = np.full(n_zone, np.inf)
    deadline[: len(zones.danger_names)] = zones.danger_deadline_s
    cap_factor = np.ones(m)
    closed = np.zeros(m, dtype=np.bool_)
    q_head = np.full(m, -1, np.int64)
    q_tail = np.full(m, -1, np.int64)
    occ = np.zeros(m)
    occ_p = np.zeros(m, np.int64)
    e_free = np.full(m, -np.inf)
    e_left = np.full(m, -np.inf)
    ob_head = np.full(n, -1, np.int64)
    ob_tail = np.full(n, -1, np.int64)
    o_free = np.full(n, -np.inf)
    flow_acc = np.zeros(m, np.int64)
    e_stuck = np.full(m, np.inf)
    o_stuck = np.full(n, np.inf)
    pk_count = pk.count.copy()
    pk_edge = np.full(n_pk, K.AT_HOME, np.int64)
    pk_tready = pk.tdep.copy()
    pk_next = np.full(n_pk, -1, np.int64)
    pk_path_pos = pk.path_pos.copy()
    pk_exp_zone = np.full(n_pk, -1, np.int64)
    pk_exposed = np.zeros(n_pk, np.bool_)
    # everyone waiting at home counts in their zone from the start
    zone_pop = np.zeros(n_zone, np.int64)
    pz = node_zone[pk_origin]
    np.add.at(zone_pop, pz[pz >= 0], pk_count[pz >= 0])
    counters = np.zeros(6, np.int64)
    exposed_z = np.zeros(n_zone, np.int64)
    exposed_total = np.zeros(1, np.int64)
    exposure_ps = np.zeros(n_zone)
    n_arr = n_pk + len(safe_rem) + 1
    arr_t, arr_t_end = np.zeros(n_arr), np.zeros(n_arr)
    arr_count = np.zeros(n_arr, np.int64)
    arr_safe = np.zeros(n_arr, np.int64)
    arr_pk = np.zeros(n_arr, np.int64)
    rec = np.zeros((max(4 * m, 1024), 5))
    rec_n = np.zeros(1, np.int64)
    rev_indptr, rev_edges = net.reverse()
    rev_indptr = rev_indptr.astype(np.int64)
    rev_edges = rev_edges.astype(np.int64)
    head = net.head.astype(np.int64)
    tail = net.tail.astype(np.int64)
    step_edge = plan.step_edge.astype(np.int64) if plan is not None and plan.n_steps else np.zeros(1, np.int64)
    step_next = plan.step_next.astype(np.int64) if plan is not None and plan.n_steps else np.full(1, -1, np.int64)
    step_to_go = plan.step_to_go_s.astype(np.float64) if plan is not None and plan.n_steps else np.zeros(1)
    step_wait = plan.waits_s().astype(np.float64) if plan is not None and plan.n_steps else np.zeros(1)
    # the packet's planned clock: it enters step s at pk_t0 - step_to_go[s] (shifted as its departure is)
    on_plan = pk.path_pos >= 0
    pk_t0 = pk.tdep + np.where(on_plan, step_to_go[np.maximum(pk.path_pos, 0)], 0.0)
    nh = np.full((2, n_tables, n), -1, np.int64)
    dist = np.full((n_tables, n), np.inf)

    def rebuild(t_now: float, keep_previous: bool) -> None:
        targets = np.zeros((n_tables, n), dtype=np.bool_)
        if table_dest is None:
            open_safe = (node_safe >= 0) & (safe_rem[np.maximum(node_safe, 0)] >= MIN_ROOM)
            targets[:] = open_safe
        else:
            targets[np.arange(n_tables), table_dest] = True
        extra = K.queue_delay(q_head, pk_next, pk_count, pk_mode, pk_tready, inv_cap, cap_factor, t_now)
        usable = ~closed & (cap_factor > 0)
        fresh = np.empty((n_tables, n), np.int64)
        K.build_tables(rev_indptr, rev_edges, tail, route_time, table_class, extra, usable, targets, fresh, dist)
        nh[1] = nh[0] if keep_previous else fresh
        nh[0] = fresh

    def scan_exposure(z: int) -> None:
        """Flag everyone inside zone ``z`` when its hazard begins."""
        loc = np.where(pk_edge >= 0, edge_zone[np.maximum(pk_edge, 0)],
                       np.where(pk_edge == K.PARKED, -1, node_zone[pk_origin]))  # holding areas are outside
        hit = (loc == z) & (pk_edge != K.ARRIVED) & (pk_exp_zone != z) & (pk_count > 0)
        exposed_z[z] += int(pk_count[hit].sum())
        exposed_total[0] += int(pk_count[hit & ~pk_exposed].sum())
        pk_exp_zone[hit] = z
        pk_exposed[hit] = True

    # ---- events, as (step, kind, payload) ----
    ev_list: list[tuple[int, int, Event]] = []
    for ev in events:
        if isinstance(ev, DangerOnset):
            z = _zone_index(problem, ev.zone)
            deadline[z] = float(ev.at_s)
        else:
            ev_list.append((int(math.ceil(ev.at_s / dt_s - 1e-9)), len(ev_list), ev))
    ev_list.sort(key=lambda x: (x[0], x[1]))
    # a zone's hazard begins at its deadline (or onset): scan it at the first step ending after that time
    scans = sorted((int(math.floor(deadline[z] / dt_s)), z) for z in range(n_zone) if np.isfinite(deadline[z]))

    reroute_steps = max(1, int(round(reroute_s / dt_s)))
    rebuild(0.0, keep_previous=False)
    step = 0
    next_reroute = reroute_steps
    ev_i = 0
    sc_i = 0
    code = K.DONE
    report_every = max(1, int(600 / dt_s))
    while step < n_steps:
        changed = False
        while ev_i < len(ev_list) and ev_list[ev_i][0] <= step:
            ev = ev_list[ev_i][2]
            e_arr = ev.edge_array  # type: ignore[union-attr]
            if isinstance(ev, EdgeClosure):
                closed[e_arr] = True
            elif isinstance(ev, CapacityDrop):
                cap_factor[e_arr] = ev.factor
                closed[e_arr] = ev.factor <= 0
            ev_i += 1
            changed = True
        while sc_i < len(scans) and scans[sc_i][0] <= step:
            scan_exposure(scans[sc_i][1])
            sc_i += 1
        if changed:
            rebuild(step * dt_s, keep_previous=False)
        elif step >= next_reroute:
            rebuild(step * dt_s, keep_previous=route_mix)
        while next_reroute <= step:
            next_reroute += reroute_steps
        stop = min(n_steps, next_reroute, step + report_every)
        if ev_i < len(ev_list):
            stop = min(stop, max(ev_list[ev_i][0], step + 1))
        if sc_i < len(scans):
            stop = min(stop, max(scans[sc_i][0], step + 1))
        minutes = int((stop - step) * dt_s // 60) + 2
        if rec.shape[0] < rec_n[0] + minutes * m:
            rec = np.concatenate([rec[: rec_n[0]], np.zeros((rec_n[0] + 2 * minutes * m, 5))])
        code, step = step_fn(
            step, stop, float(dt_s), seed, check, float(stuck_s or 0.0),
            rev_indptr, rev_edges, head, tail, ftime, inv_cap, ph.storage.astype(np.float64), sp, edge_zone,
            node_zone, node_safe, step_edge, step_next, step_to_go, step_wait,
            cap_factor, closed, safe_rem, q_head, q_tail, occ, occ_p, e_free, e_left, ob_head, ob_tail, o_free,
            zone_pop,
            deadline, flow_acc, e_stuck, o_stuck,
            nh, route_mix,
            order, pk_origin, pk_mode, pk_cls, pk_table, pk_dest, pk.zone, pk.tdep, pk_t0,
            pk_count, pk_edge, pk_tready, pk_next, pk_path_pos, pk_exp_zone, pk_exposed,
            counters, exposed_z, exposed_total, exposure_ps, arr_t, arr_t_end, arr_count, arr_safe, arr_pk,
            rec, rec_n,
        )  # fmt: skip
        if code == K.CHECK_FAILED:
            raise InternalError(f"simulation invariant broken in step {step} (t = {(step + 1) * dt_s:.0f} s)")
        if code == K.TABLES_DIRTY:
            rebuild(step * dt_s, keep_previous=False)
        if progress is not None:
            progress("simulating", min(step * dt_s / horizon, 1.0) if horizon > 0 else 1.0)
        if counters[0] >= n_pk and counters[5] == 0:
            break
    end_s = min(step * dt_s, horizon)
    # stranded: still travelling at the end with no open route from where they wait
    live = np.zeros(n_pk, dtype=np.bool_)
    live[order[: counters[0]]] = True
    live &= pk_edge != K.ARRIVED
    where = np.where(pk_edge >= 0, head[np.maximum(pk_edge, 0)], pk_origin)
    on_path = pk_path_pos >= 0
    at_target = np.where(pk_dest >= 0, where == pk_dest,
                         (node_safe[where] >= 0) & (safe_rem[np.maximum(node_safe[where], 0)] >= MIN_ROOM))
    no_route = (nh[0, pk_table, where] < 0) & ~at_target
    stranded = int(pk_count[live & no_route & ~on_path].sum())
    # unreachable people never leave: they are exposed from their zone's onset to the end
    unreach = ~problem.reachable
    for z in range(len(zones.danger_names)):
        sel = unreach & (d.danger == z)
        persons = int(d.count[sel].sum())
        if persons and deadline[z] < horizon:
            exposed_z[z] += persons
            exposed_total[0] += persons
            exposure_ps[z] += persons * (horizon - deadline[z])
    a = int(counters[1])
    arr_row = pk.row[arr_pk[:a]]
    if progress is not None:
        progress("simulating", 1.0)
    return SimulationResult(
        evacuees=int(d.count.sum()),
        unreachable=int(d.count[unreach].sum()),
        stranded=stranded,
        arrival_start_s=arr_t[:a].copy(),
        arrival_end_s=arr_t_end[:a].copy(),
        arrival_count=arr_count[:a].copy(),
        arrival_safe_zone=arr_safe[:a].copy(),
        arrival_danger_zone=d.danger[arr_row].astype(np.int64),
        arrival_row=arr_row.astype(np.int64),
        exposed=int(exposed_total[0]),
        exposed_by_zone=exposed_z[: len(zones.danger_names)].copy(),
        exposure_person_min_by_zone=exposure_ps[: len(zones.danger_names)] / 60.0,
        onset_s=deadline[: len(zones.danger_names)].copy(),
        edge_records=rec[: int(rec_n[0])].copy(),
        end_s=float(end_s),
        horizon_s=horizon,
        dt_s=float(dt_s),
        packet_size=int(packet_size),
        compliance=float(compliance),
        n_packets=n_pk,
        seed=seed,
        runtime_s=time.perf_counter() - t_start,
    )
