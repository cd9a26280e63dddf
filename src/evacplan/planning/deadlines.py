"""Deadlines with a certificate: how many people of each danger zone can be safe by its deadline, whatever anyone
does, how many the plan brings, and, where nobody can meet the deadline, who is left and what limits them.

For danger zone ``z`` with deadline ``D`` (seconds) and the demand rows ``R_z`` of its people, the certificate is
the maximum flow over time of ``R_z`` alone to safety with every arrival window ending by ``D``, on a time-expanded
network (TEN, :mod:`evacplan.planning.ten`) of the planning model at the problem's step:

* for one travel class (and a plan made at the problem's step) the **exact** TEN of the model (people wait only at
  home): the certificate *is* the most persons of ``z`` any plan of the model brings to safety by ``D``, and a plan
  of the model attaining it exists (its path decomposition);
* otherwise, or when the exact network would exceed :data:`NODE_BUDGET` node copies, the **relaxation** (every
  class in the base frame, waiting allowed on the way, labels condensed by ``q``; without the persons whose own
  class cannot be safe by ``D`` even on empty streets, :func:`evacplan.planning.ten.in_time`): every plan of the
  model maps onto one of its flows, so its maximum is an *upper bound* on the persons of ``z`` any plan brings to
  safety by ``D``; :attr:`ZoneDeadline.exact` says which.

Both count the people of ``z`` alone, as if every other zone waited: the figure holds for *every* plan, so a plan's
own figure never exceeds it. With earlier deadlines served first (Hoppe and Tardos' lexicographic maximum flow over
time, at the common horizon ``D``), zone ``z`` gets at most ``F(E + z, D) - F(E, D)``, ``E`` the zones whose
deadline comes before ``z``'s (ties: scenario order) and ``F(S, D)`` the maximum flow of the rows of ``S`` by ``D``:
augmenting paths from the super source never lower the flow already sent by earlier sources, so one maximum flow
attains both terms. That figure (:attr:`ZoneDeadline.max_safe_after_earlier`) bounds zone ``z`` for plans that
bring ``F(E, D)`` persons of the earlier zones to safety by ``D``; it is never above the certificate.

A person counts as safe by ``D`` when their arrival window ends by ``D`` (:attr:`Plan.arrival_s`): in the TEN, a
copy of safe node ``v`` in label ``l`` is safe by horizon ``T = ceil(D / s) - 1`` when ``l <= T + floor(b(v) / s)``,
which admits every window ending by ``D``.

Where the certificate is below the zone's population, the witness maximum flow says who is left inside at the
deadline by origin, and its minimum cut (the side of the source reachable in the residual network) names what
limits the outflow: streets (by name and end nodes, :func:`evacplan.network.names.describe_edge`), full
safe zones (by name), and departures (people who leave too late for the deadline by the mobilisation curve). What
extra capacity buys is measured by solving again with one more person per second on a cut street (or 10 % more
room in a full safe zone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow

from evacplan.errors import BoundError
from evacplan.network.names import describe_edge
from evacplan.planning.kernels import residual_reaches
from evacplan.planning.model import PlanningModel
from evacplan.planning.result import Plan
from evacplan.planning.ten import (
    ARC_EDGE,
    ARC_RELEASE,
    ARC_ZONE,
    TenSpec,
    TimeExpanded,
    build_ten,
    exact_spec,
    in_time,
    relaxed_spec,
    ten_size,
)
from evacplan.problem.problem import Problem

__all__ = ["NODE_BUDGET", "CutPart", "ZoneDeadline", "deadline_certificates", "deadline_horizon", "safe_by"]

#: Most node copies of one network solved for a certificate; above it the relaxation is condensed.
NODE_BUDGET = 1_500_000

#: Cut streets whose extra capacity is measured by solving again (the widest first).
EXTRA_EDGES = 2

#: Origins listed among those who are left, and cut parts listed, most first.
TOP = 10


@dataclass(frozen=True)
class CutPart:
    """One part of the binding cut of a zone's maximum flow.

    Attributes
    ----------
    kind
        ``"street"`` (an edge of the network), ``"safe_zone"`` (a safe zone at capacity) or ``"departures"``
        (people who leave too late by the mobilisation curve).
    name
        What a planner calls it.
    persons
        Persons this part lets through by the deadline in the maximum flow (its capacity in the cut).
    index
        Edge index (streets), safe zone index (safe zones) or -1.
    """

    kind: str
    name: str
    persons: int
    index: int = -1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"kind": self.kind, "name": self.name, "persons": self.persons, "index": self.index}


@dataclass(frozen=True)
class ZoneDeadline:
    """One danger zone's deadline: the certificate, the plan's figure and, when the deadline cannot be met, why.

    Attributes
    ----------
    zone, name, deadline_s, population
        Danger zone index and name, its deadline (seconds) and its evacuees.
    safe_by_deadline
        Persons of the zone the plan brings to safety by the deadline (arrival window ending by it).
    max_safe_by_deadline
        The certificate: the most persons of the zone any plan of the model brings to safety by the deadline (or an
        upper bound on it when :attr:`exact` is false); see the module docstring.
    max_safe_after_earlier
        The most persons of the zone safe by the deadline once the zones with earlier deadlines bring as many as
        they can to safety by it (lexicographic maximum flow); ``None`` where not computed.
    exact
        Whether the certificate is the model's exact maximum (one travel class) or the relaxation's upper bound.
    condensation
        Labels merged per copy in the network solved (1: uncondensed).
    no_path
        Persons of the zone with no usable path to a safe zone with room.
    late
        Persons who cannot be safe by the deadline even on empty streets (they leave too late, or live too far).
    left_by_origin
        ``(origin node id, persons)`` left inside at the deadline in the witness maximum flow, most first (at most
        :data:`TOP`); empty when the deadline can be met.
    left_origins
        Number of origins with someone left.
    cut
        The binding cut (:class:`CutPart`), most persons first; empty when the deadline can be met.
    extra
        ``(what, extra capacity, more persons safe by the deadline)`` from solving again with that capacity added.
    """

    zone: int
    name: str
    deadline_s: float
    population: int
    safe_by_deadline: int
    max_safe_by_deadline: int
    max_safe_after_earlier: int | None = None
    exact: bool = True
    condensation: int = 1
    no_path: int = 0
    late: int = 0
    left_by_origin: tuple[tuple[int, int], ...] = ()
    left_origins: int = 0
    cut: tuple[CutPart, ...] = ()
    extra: tuple[tuple[str, str, int], ...] = field(default_factory=tuple)

    @property
    def gap(self) -> int:
        """Persons the certificate allows beyond the plan's figure."""
        return self.max_safe_by_deadline - self.safe_by_deadline

    @property
    def can_be_met(self) -> bool:
        """Whether some plan could bring everyone of the zone to safety by the deadline (by the certificate)."""
        return self.max_safe_by_deadline >= self.population

    def sentence(self) -> str:
        """One plain sentence for the report: the limit, the plan's figure and what limits it."""
        hours = self.deadline_s / 3600.0
        when = f"{hours:g} h" if abs(hours - round(hours)) < 1e-9 else f"{self.deadline_s / 60:.0f} min"
        head = (f"{self.name}: at most {self.max_safe_by_deadline:,} of {self.population:,} people can be safe by "
                f"{when}; this plan brings {self.safe_by_deadline:,}")
        if self.can_be_met:
            return head + "."
        why = []
        limits = [c.name for c in self.cut if c.kind != "departures"][:3]
        if limits:
            why.append("the limit is " + ", ".join(limits))
        if self.late:
            why.append(f"{self.late:,} leave too late to make it")
        if self.no_path:
            why.append(f"{self.no_path:,} have no path to a safe zone with room")
        return head + "".join("; " + w for w in why) + "."

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the deadline fields of a ``summary.json`` danger-zone entry)."""
        return {
            "safe_by_deadline": self.safe_by_deadline,
            "max_safe_by_deadline": self.max_safe_by_deadline,
            "deadline_gap": self.gap,
            "max_safe_after_earlier": self.max_safe_after_earlier,
            "certificate": "exact" if self.exact else "relaxation",
            "certificate_condensation": self.condensation,
            "no_path": self.no_path,
            "late": self.late,
            "left_by_origin": [[int(o), int(k)] for o, k in self.left_by_origin],
            "left_origins": self.left_origins,
            "limits": [c.to_dict() for c in self.cut],
            "extra_capacity": [{"on": w, "added": a, "more_safe": m} for w, a, m in self.extra],
            "sentence": self.sentence(),
        }

    @classmethod
    def from_dict(cls, zone: int, entry: dict[str, Any]) -> ZoneDeadline:
        """Read back from a ``summary.json`` danger-zone entry written with :meth:`to_dict`."""
        return cls(
            zone=zone, name=str(entry["name"]), deadline_s=float(entry["deadline_min"]) * 60.0,
            population=int(entry["population"]), safe_by_deadline=int(entry["safe_by_deadline"]),
            max_safe_by_deadline=int(entry["max_safe_by_deadline"]),
            max_safe_after_earlier=entry.get("max_safe_after_earlier"),
            exact=entry.get("certificate", "exact") == "exact",
            condensation=int(entry.get("certificate_condensation", 1)), no_path=int(entry.get("no_path", 0)),
            late=int(entry.get("late", 0)),
            left_by_origin=tuple((int(o), int(k)) for o, k in entry.get("left_by_origin", [])),
            left_origins=int(entry.get("left_origins", 0)),
            cut=tuple(CutPart(c["kind"], c["name"], int(c["persons"]), int(c.get("index", -1)))
                      for c in entry.get("limits", [])),
            extra=tuple((str(x["on"]), str(x["added"]), int(x["more_safe"])) for x in entry.get("extra_capacity", [])),
        )


def deadline_horizon(deadline_s: float, step_s: float) -> int:
    """Horizon (labels) of a TEN whose safe copies are those with an arrival window ending by ``deadline_s``."""
    return int(math.ceil(deadline_s / step_s - 1e-9)) - 1


def safe_by(problem: Problem, plan: Plan, zone: int, deadline_s: float) -> int:
    """Persons of danger zone ``zone`` the plan brings to safety by ``deadline_s`` (arrival windows ending by it)."""
    if plan.n_groups == 0:
        return 0
    sel = (problem.demand.danger[plan.row] == zone) & (plan.arrival_s <= deadline_s + 1e-6)
    return int(plan.count[sel].sum())


@dataclass
class _Solved:
    value: int
    ten: TimeExpanded
    flows: NDArray[np.int64]
    source_side: NDArray[np.bool_]


def _solve(ten: TimeExpanded, cut: bool = False) -> _Solved:
    """Max flow of ``ten`` with the flow on every arc and, with ``cut``, the source side of a minimum cut."""
    side = np.zeros(ten.n_nodes, dtype=bool)
    if ten.tail.size == 0:
        return _Solved(0, ten, np.zeros(0, dtype=np.int64), side)
    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(ten.tail, ten.head, ten.capacity)
    if smf.solve(ten.source, ten.sink) != smf.OPTIMAL:
        raise RuntimeError("OR-Tools max flow failed")
    flows = np.asarray(smf.flows(np.arange(ten.tail.size)), dtype=np.int64)
    if cut:
        side[np.asarray(smf.get_source_side_min_cut(), dtype=np.int64)] = True
    return _Solved(int(smf.optimal_flow()), ten, flows, side)


class _Certifier:
    """Builds and solves the TENs of row sets at one horizon, exact where possible, else relaxed and condensed."""

    def __init__(self, problem: Problem, model: PlanningModel, min_condensation: int, node_budget: int) -> None:
        self.problem, self.model = problem, model
        self.min_q, self.budget = max(1, min_condensation), node_budget
        self.one_class = model.n_classes == 1

    def spec(self, rows: NDArray[np.int64], horizon: int) -> tuple[TenSpec, int, bool]:
        """The network to solve for ``rows`` at ``horizon``: ``(spec, q, exact)``."""
        if self.one_class and self.min_q == 1:
            ex = exact_spec(self.problem, self.model, rows)
            if ten_size(ex, horizon) <= self.budget:
                return ex, 1, True
        rel = in_time(self.problem, self.model, relaxed_spec(self.problem, self.model, rows), horizon)
        q = self.min_q
        while ten_size(rel, horizon, q) > self.budget:
            q += 1 if q < 4 else q // 2
        return rel, q, False

    def solve(self, spec: TenSpec, horizon: int, q: int, cut: bool = False) -> _Solved:
        return _solve(build_ten(self.problem, self.model, spec, horizon, q), cut)


def deadline_certificates(
    problem: Problem, model: PlanningModel, plan: Plan, *, node_budget: int = NODE_BUDGET,
    extra_edges: int = EXTRA_EDGES,
) -> tuple[ZoneDeadline, ...]:
    """Certificate, plan figure and (for deadlines nobody can meet) who is left and why, per danger zone.

    Parameters
    ----------
    problem, model
        The problem and its planning model at the problem's own step.
    plan
        The plan whose figures are certified (made at the model's step or a whole multiple of it).
    node_budget
        Most node copies of one network solved.
    extra_edges
        Cut streets on which one more person per second is tried (each one more max flow).

    Returns
    -------
    tuple of ZoneDeadline
        One per danger zone with a finite deadline, in scenario order.
    """
    zones, d = problem.zones, problem.demand
    step = model.step_s
    k = max(1, int(round(plan.time_step_s / step))) if plan.time_step_s > 0 else 1
    cert = _Certifier(problem, model, k, node_budget)
    deadline = zones.danger_deadline_s.astype(np.float64)
    order = sorted((z for z in range(len(zones.danger_names)) if math.isfinite(deadline[z])),
                   key=lambda z: (deadline[z], z))
    usable = model.usable
    out: dict[int, ZoneDeadline] = {}
    for i, z in enumerate(order):
        rows_all = np.flatnonzero(d.danger == z)
        rows = rows_all[usable[rows_all]]
        pop = int(d.count[rows_all].sum())
        no_path = pop - int(d.count[rows].sum())
        mine = safe_by(problem, plan, z, float(deadline[z]))
        horizon = deadline_horizon(float(deadline[z]), step)
        earlier = np.asarray(order[:i], dtype=np.int64)
        e_rows = np.flatnonzero(np.isin(d.danger, earlier) & usable)
        base = ZoneDeadline(z, zones.danger_names[z], float(deadline[z]), pop, mine, mine, no_path=no_path)
        if rows.size == 0 or horizon < 0:
            out[z] = replace(base, max_safe_by_deadline=0, max_safe_after_earlier=0 if i else None,
                             late=pop - no_path)
            continue
        e_safe = sum(safe_by(problem, plan, int(j), float(deadline[z])) for j in earlier)
        if mine == int(d.count[rows].sum()):
            # the plan brings everyone who can be brought: it attains the maximum (and the priority figure when
            # it brings every usable person of the earlier zones by this deadline too)
            after = mine if (i == 0 or e_safe == int(d.count[e_rows].sum())) else None
            out[z] = replace(base, max_safe_after_earlier=after if i else None)
            continue
        spec, q, exact = cert.spec(rows, horizon)
        got = cert.solve(spec, horizon, q, cut=True)
        ten = got.ten
        released = int(ten.capacity[ten.kind == ARC_RELEASE].sum())
        late = int(d.count[rows].sum()) - released
        after = None
        if i:
            both = np.concatenate([e_rows, rows])
            s_both, q_b, ex_b = cert.spec(both, horizon)
            s_e, q_e, ex_e = cert.spec(e_rows, horizon) if e_rows.size else (None, 1, True)
            if q_b == q_e == q and ex_b == ex_e == exact:
                f_both = cert.solve(s_both, horizon, q).value
                f_e = cert.solve(s_e, horizon, q).value if s_e is not None else 0
                after = min(max(f_both - f_e, 0), got.value)
        left, n_orig = _left_by_origin(problem, got, rows)
        cut = _cut_parts(problem, got) if got.value + no_path < pop else ()
        extra = _extra(cert, spec, horizon, q, got, cut, extra_edges) if cut else ()
        if got.value < mine:
            raise BoundError(f"{base.name}: the plan brings {mine} persons to safety by the deadline, above the "
                             f"certified maximum {got.value}; please report this with the scenario")
        out[z] = replace(base, max_safe_by_deadline=got.value, max_safe_after_earlier=after, exact=exact,
                         condensation=q, late=late,
                         left_by_origin=left if got.value + no_path < pop else (),
                         left_origins=n_orig if got.value + no_path < pop else 0, cut=cut, extra=extra)
    return tuple(out[z] for z in sorted(out))


def _left_by_origin(problem: Problem, got: _Solved, rows: NDArray[np.int64]
                    ) -> tuple[tuple[tuple[int, int], ...], int]:
    """Persons of ``rows`` the witness flow leaves behind, by origin node id (most first)."""
    d, net = problem.demand, problem.network
    ten = got.ten
    rel = ten.kind == ARC_RELEASE
    sent = np.bincount(ten.ref[rel], weights=got.flows[rel], minlength=d.n_rows) if got.flows.size else \
        np.zeros(d.n_rows)
    left = d.count[rows].astype(np.int64) - sent[rows].astype(np.int64)
    per = np.bincount(d.origin[rows], weights=left, minlength=net.n_nodes).astype(np.int64)
    nodes = np.flatnonzero(per > 0)
    order = nodes[np.lexsort((net.node_id[nodes], -per[nodes]))]
    return tuple((int(net.node_id[o]), int(per[o])) for o in order[:TOP]), int(nodes.size)


def _cut_parts(problem: Problem, got: _Solved) -> tuple[CutPart, ...]:
    """The arcs leaving the source side of the minimum cut, summed per street, safe zone and for departures."""
    ten, side = got.ten, got.source_side
    at = side[ten.tail] & ~side[ten.head] & (ten.capacity > 0)
    parts: list[CutPart] = []
    e_sel = at & (ten.kind == ARC_EDGE)
    per_edge = np.bincount(ten.ref[e_sel], weights=ten.capacity[e_sel], minlength=problem.network.n_edges)
    for e in np.flatnonzero(per_edge > 0):
        parts.append(CutPart("street", describe_edge(problem.network, int(e)), int(per_edge[e]), int(e)))
    z_sel = at & (ten.kind == ARC_ZONE)
    for a in np.flatnonzero(z_sel):
        z = int(ten.ref[a])
        parts.append(CutPart("safe_zone", f"safe zone {problem.zones.safe_names[z]} (full)", int(ten.capacity[a]), z))
    r_sel = at & (ten.kind == ARC_RELEASE)
    if r_sel.any():
        parts.append(CutPart("departures", "departures by the mobilisation curve", int(ten.capacity[r_sel].sum())))
    parts.sort(key=lambda c: (-c.persons, c.kind, c.index))
    return tuple(parts[:TOP])


def _extra(cert: _Certifier, spec: TenSpec, horizon: int, q: int, got: _Solved, cut: tuple[CutPart, ...],
           n_edges: int) -> tuple[tuple[str, str, int], ...]:
    """More persons safe by the deadline with one more person per second on the widest cut streets, or 10 % more
    room in a full safe zone of the cut: one max flow each, unless the witness flow ``got`` cannot be augmented
    with the capacity added (then none: :func:`_more`)."""
    out: list[tuple[str, str, int]] = []
    step = cert.model.step_s
    for c in [c for c in cut if c.kind == "street"][:n_edges]:
        cap = spec.cap.copy()
        cap[c.index] += int(math.floor(step + 1e-9))  # one person per second for a window of `step` seconds
        more = _more(build_ten(cert.problem, cert.model, replace(spec, cap=cap), horizon, q), got)
        out.append((c.name, "+1 person/s", int(more)))
    for c in [c for c in cut if c.kind == "safe_zone"][:1]:
        zcap = cert.model.phys.safe_capacity
        add = max(1, int(0.1 * zcap[c.index]))
        room = zcap.copy()
        room[c.index] += add
        model = replace(cert.model, phys=replace(cert.model.phys, safe_capacity=room))
        more = _more(build_ten(cert.problem, model, spec, horizon, q), got)
        out.append((c.name, f"+{add:,} persons of room", int(more)))
    return tuple(out)


def _more(ten: TimeExpanded, got: _Solved) -> int:
    """Persons the maximum flow of ``ten`` carries beyond ``got``'s, where ``ten`` is ``got``'s network with some
    capacities raised: none when no augmenting path exists for ``got``'s flow in ``ten`` (a search of its residual
    network, the same answer as solving again, in a fraction of the time), else solved again."""
    same = ten.tail.size == got.ten.tail.size and np.array_equal(ten.tail, got.ten.tail) and \
        np.array_equal(ten.head, got.ten.head) and bool(np.all(ten.capacity >= got.ten.capacity))
    if same and got.flows.size == ten.tail.size and not residual_reaches(
            ten.n_nodes, ten.tail, ten.head, ten.capacity, got.flows, ten.source, ten.sink):
        return 0
    return _solve(ten).value - got.value
