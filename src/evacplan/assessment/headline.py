"""The headline of a run in plain words: who is safe by each deadline, who is not and where, what limits it, and
what the safe zones lack in units a coordinator orders.

Figures come from the simulation when there is one (the plan otherwise); times are rounded to the minute; people in
danger after a deadline are counted once per person.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from evacplan.assessment.standards import SafeZoneNeeds
from evacplan.network.names import describe_edge
from evacplan.problem.problem import Problem

if TYPE_CHECKING:
    from evacplan.planning import Plan
    from evacplan.simulation import SimulationResult

__all__ = ["Headline", "ZoneDeadline", "headline", "safe_by_deadline"]

_STREETS = 3


@dataclass(frozen=True)
class ZoneDeadline:
    """One danger zone against its deadline.

    Attributes
    ----------
    zone
        Danger zone name.
    deadline_min
        Its ``clear_by`` deadline, minutes.
    population
        Evacuees of the zone.
    safe_by_deadline
        Of them, persons in safety by the deadline.
    exposed
        Persons still inside the zone at some time after the deadline (its own people and others crossing it).
    """

    zone: str
    deadline_min: float
    population: int
    safe_by_deadline: int
    exposed: int


@dataclass(frozen=True)
class Headline:
    """A run's headline (:func:`headline`).

    Attributes
    ----------
    source
        ``"simulation"`` or ``"plan"``: where the figures come from.
    zones
        Each danger zone against its deadline.
    limits
        What limits the evacuation, in words (streets with the longest queues, full safe zones).
    lacks
        What each safe zone lacks, in words, one entry per zone that lacks something.
    sentences
        The headline, one plain sentence per entry, most important first.
    """

    source: str
    zones: list[ZoneDeadline] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    lacks: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def safe_by_deadline(problem: Problem, plan: Plan | None = None,
                     simulation: SimulationResult | None = None) -> list[int]:
    """Persons of each danger zone in safety by the zone's deadline (simulation preferred, else plan): the same
    counts as the deadline certificates' (:func:`evacplan.planning.deadlines.safe_by`) and the simulation's
    (:meth:`~evacplan.simulation.result.SimulationResult.safe_by`)."""
    from evacplan.planning.deadlines import safe_by

    z = problem.zones
    out = []
    for i in range(len(z.danger_names)):
        dl = float(z.danger_deadline_s[i])
        if simulation is not None:
            out.append(simulation.safe_by(i, dl))
        elif plan is not None:
            out.append(safe_by(problem, plan, i, dl))
        else:
            out.append(0)
    return out


def _people(n: int) -> str:
    return f"{n:,} {'person' if n == 1 else 'people'}"


def _pct(a: float, b: float) -> str:
    if b <= 0:
        return "100 %"
    p = 100.0 * a / b
    return f"{p:.0f} %" if p >= 1 or p == 0 else "under 1 %"


def _minutes(m: float | None) -> str:
    if m is None:
        return "never"
    m = round(m)
    return f"{m:,} min" if m < 120 else f"{m:,} min ({m // 60} h {m % 60:02d})"


def _street_places(problem: Problem, simulation: SimulationResult) -> list[str]:
    """The streets with the longest simulated queues, by name (:func:`describe_edge`) and position (latitude,
    longitude)."""
    rec = simulation.edge_records
    if not len(rec):
        return []
    net = problem.network
    max_q = np.zeros(net.n_edges)
    np.maximum.at(max_q, rec[:, 1].astype(np.int64), rec[:, 3])
    top = [int(e) for e in np.argsort(-max_q, kind="stable")[:_STREETS] if max_q[e] >= 1]
    if not top:
        return []
    xs = np.array([0.5 * (net.x[net.tail[e]] + net.x[net.head[e]]) for e in top])
    ys = np.array([0.5 * (net.y[net.tail[e]] + net.y[net.head[e]]) for e in top])
    where = [f"{y:.0f}, {x:.0f}" for x, y in zip(xs, ys, strict=True)]
    if net.crs:
        try:
            from pyproj import Transformer

            lon, lat = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True).transform(xs, ys)
            where = [f"{la:.4f} N, {lo:.4f} E" for lo, la in zip(np.atleast_1d(lon), np.atleast_1d(lat), strict=True)]
        except Exception:
            pass
    return [f"{describe_edge(net, e)} at {w}, queue up to {_people(int(round(max_q[e])))}"
            for w, e in zip(where, top, strict=True)]


def _lacks(s: SafeZoneNeeds) -> str | None:
    parts = []
    if s.site_gap_km2:
        parts.append(f"{s.site_gap_km2:,.2f} km2 of land")
    if s.tents_needed:
        parts.append(f"{s.tents_needed:,} family tents")
    if s.water_gap_m3_day:
        parts.append(f"{s.water_gap_m3_day:,.0f} m3 of water a day")
    if s.water_points_gap:
        parts.append(f"{s.water_points_gap:,} water points")
    if s.latrines_gap:
        parts.append(f"{s.latrines_gap:,} latrines")
    if s.health_units_gap:
        parts.append(f"{s.health_units_gap:,} basic health unit{'' if s.health_units_gap == 1 else 's'}")
    if not parts:
        return None
    return f"{s.name} ({_people(s.received + s.residents)}) lacks " + ", ".join(parts)


def headline(
    problem: Problem,
    exposed_by_zone: list[int],
    exposed: int,
    safe_zones: list[SafeZoneNeeds],
    *,
    plan: Plan | None = None,
    simulation: SimulationResult | None = None,
    t90_min: float | None = None,
    evacuation_time_min: float | None = None,
) -> Headline:
    """The plain-words headline of one run.

    Parameters
    ----------
    problem
        The built problem.
    exposed_by_zone
        Persons inside each danger zone after its deadline.
    exposed
        Persons inside some danger zone after its deadline, each counted once.
    safe_zones
        The safe zones' needs (:func:`evacplan.assessment.standards.safe_zone_needs`).
    plan, simulation
        The plan and its simulation (the simulation's figures are preferred).
    t90_min, evacuation_time_min
        Minutes until 90 % of all evacuees, and everyone with a path to safety, are safe.

    Returns
    -------
    Headline
    """
    z, d = problem.zones, problem.demand
    source = "simulation" if simulation is not None else "plan"
    safe = safe_by_deadline(problem, plan, simulation)
    zones = [ZoneDeadline(name, float(z.danger_deadline_s[i]) / 60.0, int(d.count[d.danger == i].sum()), safe[i],
                          int(exposed_by_zone[i])) for i, name in enumerate(z.danger_names)]
    total = int(d.count.sum())
    sentences = [f"Of {_people(total)} to evacuate, 90 % are safe after {_minutes(t90_min)} and everyone with a way "
                 f"to safety after {_minutes(evacuation_time_min)} ({source})."]
    for zd in zones:
        s = (f"{zd.zone}: {zd.safe_by_deadline:,} of {zd.population:,} ({_pct(zd.safe_by_deadline, zd.population)}) "
             f"safe by the deadline at {_minutes(zd.deadline_min)}")
        s += f"; {_people(zd.exposed)} still inside after it." if zd.exposed else "; nobody inside after it."
        sentences.append(s)
    if exposed:
        sentences.append(f"In all, {_people(exposed)} are inside a danger zone after its deadline (each counted "
                         "once).")
    if problem.unreachable:
        sentences.append(f"{_people(problem.unreachable)} have no path to safety at all.")
    limits = []
    if simulation is not None:
        streets = _street_places(problem, simulation)
        if streets:
            limits.append("longest queues: " + "; ".join(streets))
    for s_ in safe_zones:
        if s_.capacity is not None and s_.received + s_.residents >= s_.capacity - 0.5:
            limits.append(f"safe zone {s_.name} is full ({s_.received + s_.residents:,} of {s_.capacity:,.0f} "
                          "places)")
    if limits:
        sentences.append("What limits it: " + "; ".join(limits) + ".")
    lacks = [x for x in (_lacks(s) for s in safe_zones) if x]
    sentences += [x + " (Sphere minimums)." for x in lacks]
    return Headline(source, zones, limits, lacks, sentences)
