"""The deadlines objective: the most people of the earliest-deadline danger zone safe by its deadline, then of the
next zone by its own, and so on; then the quickest evacuation of everyone left.

Two plans are compared by :func:`deadline_key`: the persons of each danger zone with a deadline safe by it, zones in
order of deadline (ties: scenario order), then the persons planned, then the evacuation time (less is better).

* ``fast`` schedules the zones in *tiers* (:func:`deadline_tiers`): the persons of the earliest-deadline zone who
  could be safe by its deadline on empty streets are routed first, on empty tables; then those of the next zone,
  with the capacity the first left; finally everyone left, quickest first (:func:`evacplan.planning.fast.fast_groups`
  with ``tiers``).
* ``exact`` (one travel class) solves the phases on the exact time-expanded network (:func:`exact_deadline_groups`):
  a maximum flow of the first zone's persons by its deadline (exact: no plan brings more of them to safety by it),
  whose path decomposition is fixed; then the next zone's maximum flow on what capacity remains, and so on; then the
  quickest transshipment of everyone left on what remains (a horizon search). The first zone's figure is the
  model's maximum; the later zones' are the most that remain once the earlier zones' flows are fixed (a
  lexicographic optimum would need one flow per zone: multi-commodity), which the deadline certificates
  (:mod:`evacplan.planning.deadlines`) bound from above.

Both methods also make the quickest plan; :func:`evacplan.planning.api.plan` keeps the better of the two by
:func:`deadline_key`, so the deadlines objective is never worse than the quickest plan on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from evacplan.errors import InternalError
from evacplan.planning.deadlines import deadline_horizon, safe_by
from evacplan.planning.exact import decompose, empty_groups, horizon_search
from evacplan.planning.model import INF_T, PlanningModel
from evacplan.planning.result import Plan
from evacplan.planning.ten import (
    ARC_EDGE,
    ARC_RELEASE,
    ARC_SAFE,
    ARC_ZONE,
    TenSpec,
    TimeExpanded,
    build_ten,
    exact_spec,
    solve_ten,
)
from evacplan.planning.ten import static_target as _static_target
from evacplan.problem.problem import Problem

__all__ = ["OBJECTIVES", "deadline_key", "deadline_order", "deadline_tiers", "exact_deadline_groups",
           "resolve_objective"]

#: The planning objectives and what they optimise.
OBJECTIVES = {
    "deadlines": ("the most people of the earliest-deadline danger zone safe by its deadline, then of the next zone "
                  "by its own, and so on; then the quickest evacuation of everyone left"),
    "quickest": "the earliest time by which everyone who can reach safety is safe (quickest transshipment)",
}


def deadline_order(problem: Problem) -> list[int]:
    """Danger zones with a finite deadline, earliest deadline first (ties: scenario order)."""
    deadline = problem.zones.danger_deadline_s
    return sorted((z for z in range(len(problem.zones.danger_names)) if math.isfinite(float(deadline[z]))),
                  key=lambda z: (float(deadline[z]), z))


def resolve_objective(problem: Problem, objective: str) -> str:
    """``"auto"`` becomes ``"deadlines"`` when a danger zone with people has a finite deadline, else
    ``"quickest"``; other names are checked.

    Raises
    ------
    ValueError
        For an unknown objective.
    """
    if objective == "auto":
        d = problem.demand
        with_people = [z for z in deadline_order(problem) if d.count[d.danger == z].sum() > 0]
        return "deadlines" if with_people else "quickest"
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown planning objective {objective!r}; choose one of {sorted(OBJECTIVES)} or 'auto'")
    return objective


def deadline_tiers(problem: Problem, model: PlanningModel) -> list[tuple[NDArray[np.int64], int, int]]:
    """Per danger zone with a deadline and people with a usable path, earliest first: ``(rows, horizon, until)``.

    ``horizon`` is the zone's deadline as a TEN horizon (:func:`evacplan.planning.deadlines.deadline_horizon`);
    ``until`` the last scheduling label of a person who could be safe by the deadline on empty streets (the horizon
    plus the largest sink shift, in ``model``'s labels).
    """
    d = problem.demand
    shift = int(model.sink_shift.max(initial=0)) if model.n_classes else 0
    out = []
    for z in deadline_order(problem):
        rows = np.flatnonzero((d.danger == z) & model.usable).astype(np.int64)
        horizon = deadline_horizon(float(problem.zones.danger_deadline_s[z]), model.step_s)
        if rows.size and horizon >= 0:
            out.append((rows, horizon, horizon + shift))
    return out


def deadline_key(problem: Problem, plan: Plan) -> tuple[float, ...]:
    """What the deadlines objective maximises, in order: persons safe by each deadline (earliest zone first),
    persons planned, minus the evacuation time."""
    dl = problem.zones.danger_deadline_s
    tiers = [float(safe_by(problem, plan, z, float(dl[z]))) for z in deadline_order(problem)]
    return (*tiers, float(plan.evacuated), -round(plan.evacuation_time_s, 6))


def tiers_full(problem: Problem, model: PlanningModel, plan: Plan) -> bool:
    """Whether ``plan`` brings every person of every deadline zone who has a usable path to safety by the deadline
    (then no plan does better on the deadlines, and the quickest plan is the deadlines plan)."""
    d = problem.demand
    dl = problem.zones.danger_deadline_s
    return all(safe_by(problem, plan, z, float(dl[z])) >= int(d.count[(d.danger == z) & model.usable].sum())
               for z in deadline_order(problem))


def exact_deadline_groups(
    problem: Problem, model: PlanningModel, progress: Callable[[float], None] | None = None,
) -> tuple[dict[str, NDArray[np.integer]], NDArray[np.int64], int]:
    """The exact method's deadlines plan (one travel class): one maximum flow per deadline zone on the capacity the
    earlier zones left, then the quickest transshipment of everyone left (see the module docstring).

    Returns
    -------
    (groups, unplanned, probes)
        Group buffers in labels, persons left unplanned per row, and the number of max flows solved.
    """
    d = problem.demand
    zone_cap = np.floor(np.minimum(model.phys.safe_capacity, float(INF_T))).astype(np.int64)
    used = _Used(exact_spec(problem, model, np.flatnonzero(model.usable)).cap, zone_cap)
    parts: list[dict[str, NDArray[np.integer]]] = []
    probes = 0
    tiers = deadline_tiers(problem, model)
    for i, (rows, horizon, _) in enumerate(tiers):
        spec = exact_spec(problem, model, rows)
        ten = used.restrict(build_ten(problem, model, spec, horizon))
        value, flows = earliest_max_flow(ten)
        probes += 1
        if value and flows is not None:
            groups = decompose(ten, flows, spec.tau)
            used.add(groups)
            parts.append(groups)
        if progress is not None:
            progress(0.5 * (i + 1) / max(len(tiers), 1))
    rows = np.flatnonzero(model.usable).astype(np.int64)
    planned = used.persons(d.n_rows)
    # what the rest can still reach with unlimited time, given the room the fixed flows took (they cannot be
    # re-routed: a zone they filled may have been the only one some of the rest could reach)
    room = np.maximum(model.phys.safe_capacity - used.zone, 0.0)
    rest = replace(problem, demand=replace(d, count=(d.count - planned).astype(d.count.dtype)))
    target = _static_target(rest, replace(model, phys=replace(model.phys, safe_capacity=room)), rows)
    if rows.size and target > 0:
        spec = used.residual_releases(exact_spec(problem, model, rows), parts)
        from evacplan.planning.bounds import analytic_bound

        left = rows[(d.count[rows] - planned[rows]) > 0]
        lower = analytic_bound(model, left) if left.size else 0
        _, n, flows, ten = horizon_search(problem, model, spec, target, lower, adjust=used.restrict)
        value, early = earliest_max_flow(ten)  # the same horizon, arrivals as early as they can be
        probes += n + 1
        if value >= target and early is not None:
            flows = early
        parts.append(decompose(ten, flows, spec.tau))
    groups = _concat(parts)
    planned = np.bincount(groups["row"], weights=groups["count"], minlength=d.n_rows).astype(np.int64)
    return groups, (d.count - planned).astype(np.int64), probes


#: Most node copies of a network whose maximum flow is made earliest by a min-cost flow (measured: 35 k copies take
#: about 10 s on Anaheim, 540 k copies more than 8 min on Chicago).
EARLIEST_BUDGET = 60_000


def earliest_max_flow(ten: TimeExpanded) -> tuple[int, NDArray[np.int64] | None]:
    """A maximum flow of ``ten`` that, among maximum flows, brings people to safety as early as possible and over
    as few streets as possible (least sum of arrival labels, then of edges): a min-cost maximum flow.

    A plain maximum flow may push every person to the last window before the deadline along detours; this one leaves
    the capacity of later windows free for the zones that come next and gives plans that are easier to follow.
    Networks above :data:`EARLIEST_BUDGET` node copies get a plain maximum flow (a min-cost flow there takes
    minutes)."""
    if ten.tail.size == 0:
        return 0, np.zeros(0, dtype=np.int64)
    if ten.n_nodes > EARLIEST_BUDGET:
        return solve_ten(ten, want_flows=True)
    cost = np.zeros(ten.tail.size, dtype=np.int64)
    safe = ten.kind == ARC_SAFE
    cost[safe] = (ten.label[safe] - int(ten.label[safe].min(initial=0)) + 1) * 4
    cost[ten.kind == ARC_EDGE] = 1
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(ten.tail, ten.head, ten.capacity, cost)
    supply = int(ten.capacity[ten.kind == ARC_RELEASE].sum())
    mcf.set_node_supply(ten.source, supply)
    mcf.set_node_supply(ten.sink, -supply)
    if mcf.solve_max_flow_with_min_cost() != mcf.OPTIMAL:
        raise InternalError("OR-Tools min-cost max flow failed")
    flows = np.asarray(mcf.flows(np.arange(ten.tail.size)), dtype=np.int64)
    value = int(flows[ten.kind == ARC_RELEASE].sum())
    return value, flows


class _Used:
    """Capacity used by fixed flows: persons per (entry label, edge), per safe zone, and departures per row."""

    def __init__(self, edge_cap: NDArray[np.int64], zone_cap: NDArray[np.int64]) -> None:
        self.edge_cap, self.zone_cap = edge_cap.astype(np.int64), zone_cap.astype(np.int64)
        self.m = edge_cap.size
        n_zones = zone_cap.size
        self.keys = np.zeros(0, dtype=np.int64)
        self.amount = np.zeros(0, dtype=np.int64)
        self.zone = np.zeros(n_zones, dtype=np.int64)
        self.rows: list[NDArray[np.integer]] = []
        self.counts: list[NDArray[np.integer]] = []

    def add(self, groups: dict[str, NDArray[np.integer]]) -> None:
        """Record the groups' use of every edge window and safe zone."""
        per_edge = np.repeat(groups["count"], groups["plen"])
        keys = np.concatenate([self.keys, groups["entry"] * self.m + groups["edges"]])
        amount = np.concatenate([self.amount, per_edge])
        self.keys, inv = np.unique(keys, return_inverse=True)
        self.amount = np.bincount(inv, weights=amount).astype(np.int64)
        self.zone += np.bincount(groups["zone"], weights=groups["count"], minlength=self.zone.size).astype(np.int64)
        self.rows.append(groups["row"])
        self.counts.append(groups["count"])

    def persons(self, n_rows: int) -> NDArray[np.int64]:
        """Persons of each row already planned."""
        if not self.rows:
            return np.zeros(n_rows, dtype=np.int64)
        return np.bincount(np.concatenate(self.rows), weights=np.concatenate(self.counts),
                           minlength=n_rows).astype(np.int64)

    def restrict(self, ten: TimeExpanded) -> TimeExpanded:
        """``ten`` with the used capacity taken off its edge windows and safe zones: each such arc gets its full
        capacity (``edge_cap``, ``zone_cap``) less what is used, within the network's "unlimited"."""
        cap = ten.capacity.copy()
        big = int(cap[ten.kind == ARC_RELEASE].sum()) + 1
        e = np.flatnonzero(ten.kind == ARC_EDGE)
        full = self.edge_cap[ten.ref[e]].copy()
        if self.keys.size:
            key = ten.label[e] * self.m + ten.ref[e]
            at = np.minimum(np.searchsorted(self.keys, key), self.keys.size - 1)
            hit = self.keys[at] == key
            full[hit] -= self.amount[at[hit]]
        z = np.flatnonzero(ten.kind == ARC_ZONE)
        z_full = self.zone_cap[ten.ref[z]] - self.zone[ten.ref[z]]
        if np.any(full < 0) or np.any(z_full < 0):
            raise InternalError("fixed flows use more capacity than the time-expanded network has")
        cap[e] = np.minimum(full, big)
        cap[z] = np.minimum(z_full, big)
        return replace(ten, capacity=cap)

    def residual_releases(self, spec: TenSpec, parts: list[dict[str, NDArray[np.integer]]]) -> TenSpec:
        """``spec`` with the persons already sent taken off its releases.

        For a row released ``C(l)`` persons by label ``l`` of whom ``U(l)`` have left by ``l``, the persons still
        free to leave by ``l`` are at most ``A(l) = min over l' >= l of C(l') - U(l')`` (those who left took the
        latest releases they could); ``A`` is non-decreasing, and its increments are the new releases."""
        if not parts:
            return spec
        dep_row = np.concatenate([p["row"] for p in parts])
        dep_lab = np.concatenate([p["dep"] for p in parts])
        dep_cnt = np.concatenate([p["count"] for p in parts])
        touched = np.unique(dep_row)
        keep = ~np.isin(spec.src_row, touched)
        new_r, new_l, new_a = [spec.src_row[keep]], [spec.src_label[keep]], [spec.src_amount[keep]]
        for r in touched:
            s = spec.src_row == r
            u = dep_row == r
            labels = np.unique(np.concatenate([spec.src_label[s], dep_lab[u]]))
            c = np.cumsum(np.bincount(np.searchsorted(labels, spec.src_label[s]), weights=spec.src_amount[s],
                                      minlength=labels.size))
            used = np.cumsum(np.bincount(np.searchsorted(labels, dep_lab[u]), weights=dep_cnt[u],
                                         minlength=labels.size))
            avail = np.minimum.accumulate((c - used)[::-1])[::-1]
            inc = np.diff(np.concatenate([[0.0], avail])).round().astype(np.int64)
            pos = inc > 0
            new_r.append(np.full(int(pos.sum()), r, dtype=np.int64))
            new_l.append(labels[pos].astype(np.int64))
            new_a.append(inc[pos])
        return replace(spec, src_row=np.concatenate(new_r), src_label=np.concatenate(new_l),
                       src_amount=np.concatenate(new_a))


def _concat(parts: list[dict[str, NDArray[np.integer]]]) -> dict[str, NDArray[np.integer]]:
    """Group buffers of several plans of explicit paths, one after the other."""
    if not parts:
        return empty_groups()
    keys = ("row", "count", "dep", "arr", "zone", "plen", "edges", "entry")
    return {k: np.concatenate([p[k] for p in parts]).astype(np.int64) for k in keys}
