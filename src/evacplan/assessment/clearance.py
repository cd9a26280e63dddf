"""How soon the danger zones could be empty if people could wait outside them.

A plan keeps people at home, inside their danger zone, until their whole route to a safe zone has room (nobody waits
on the streets in the planning model, :mod:`evacplan.planning.model`). Where the safe zones take people in much more
slowly than the streets could carry them out of the danger zones, that costs time in danger: people routing
themselves leave at once and queue outside the zone. This module measures that gap: it plans the people in danger
who have a way out with every node outside the danger zones (and every safe zone's node) counted as safe (*leaving
only*), so the plan and its bound say how soon the zones could be empty and how many person-minutes after the
deadlines that would cost. It is a counterfactual for the report, not a plan to follow: nothing says the streets
beyond could hold everyone who left.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evacplan.assessment.exposure import plan_exposure
from evacplan.planning import plan
from evacplan.population.demand import Demand
from evacplan.problem.problem import Problem
from evacplan.problem.reach import reachable_rows

__all__ = ["ZoneClearance", "leaving_only", "zone_clearance"]


@dataclass(frozen=True)
class ZoneClearance:
    """The danger zones emptied as if leaving them were enough (:func:`zone_clearance`).

    Attributes
    ----------
    persons
        Persons starting inside a danger zone with a way out of it (to a node outside the danger zones or a safe
        zone); the others are left out of every figure.
    no_way_out
        Persons starting inside a danger zone with no way out of it.
    time_s
        When the leaving-only plan has them all out of the danger zones, seconds.
    lower_bound_s
        Its certified lower bound: no plan of the planning model gets them all out sooner.
    person_minutes
        Person-minutes they spend inside danger zones after their deadlines under the leaving-only plan (as the
        plan counts it, :func:`~evacplan.assessment.exposure.plan_exposure`).
    """

    persons: int
    no_way_out: int
    time_s: float
    lower_bound_s: float
    person_minutes: float

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON-ready figures (minutes)."""
        def minutes(s: float) -> float | None:
            return round(s / 60.0, 3) if math.isfinite(s) else None
        return {"persons": self.persons, "no_way_out": self.no_way_out, "time_min": minutes(self.time_s),
                "lower_bound_min": minutes(self.lower_bound_s), "person_minutes": round(self.person_minutes, 3)}


def leaving_only(problem: Problem, rows: NDArray[np.integer] | None = None) -> Problem:
    """``problem`` with only the demand ``rows`` (default: every row starting inside a danger zone), and one safe
    zone of unlimited room made of every node outside the danger zones and every node of a safe zone."""
    zones, d = problem.zones, problem.demand
    rows = np.flatnonzero(d.danger >= 0) if rows is None else np.asarray(rows, dtype=np.int64)
    demand = Demand(origin=d.origin[rows], group=d.group[rows], mode=d.mode[rows], count=d.count[rows],
                    danger=d.danger[rows], curve=d.curve[rows], groups=d.groups)
    safe = (zones.node_danger < 0) | (zones.node_safe >= 0)
    outside = dataclasses.replace(
        zones, safe_names=("outside the danger zones",), safe_capacity=np.array([np.inf]),
        node_safe=np.where(safe, 0, -1).astype(np.int32), safe_area_m2=np.array([np.nan]),
        safe_services={}, safe_residents=np.zeros(0), safe_declared_capacity=np.zeros(0),
        safe_drawn_area_m2=np.zeros(0))
    out = dataclasses.replace(problem, zones=outside, demand=demand)
    return dataclasses.replace(out, reachable=reachable_rows(out.network, out.zones, out.demand))


def zone_clearance(problem: Problem) -> ZoneClearance | None:
    """Plan the people inside the danger zones who have a way out as if leaving them were enough
    (:func:`leaving_only`, the fast method, quickest objective); ``None`` when none of them has one."""
    d = problem.demand
    inside = np.flatnonzero(d.danger >= 0)
    leave = leaving_only(problem, inside)
    rows = inside[leave.reachable]
    persons = int(d.count[rows].sum())
    if persons == 0:
        return None
    if rows.size < inside.size:  # only those with a way out: the plan's count keeps the others in danger for ever
        leave = leaving_only(problem, rows)
    pl = plan(leave, method="fast", deadlines=False, objective="quickest")
    pm = float(plan_exposure(leave, pl).person_minutes_by_zone.sum())
    return ZoneClearance(persons=persons, no_way_out=int(d.count[inside].sum()) - persons,
                         time_s=pl.evacuation_time_s, lower_bound_s=pl.lower_bound_s, person_minutes=pm)
