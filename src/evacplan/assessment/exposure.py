"""Exposure: people still inside a danger zone after its deadline, by zone, in persons and person-minutes.

With a simulation the figures are the simulator's own (persons inside a danger zone at some time after its onset,
and the person-minutes they spent there). From a plan they are counted the same way (:func:`plan_exposure`): at home
until the group's persons leave (spread over their span of the window, each no earlier than released, as the
simulator sends them), then edge by edge along its path (an edge lies in its tail's zone, else its head's), so that
plan and simulation can be compared figure for figure; persons the plan could not send anywhere stay exposed until
the horizon.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evacplan.assessment.kernels import plan_zone_exposure
from evacplan.problem.physics import edge_danger_zone
from evacplan.problem.problem import Problem
from evacplan.simulation.engine import DEFAULT_PACKET_SIZE, planned_packets, window_steps

if TYPE_CHECKING:
    from evacplan.planning import Plan
    from evacplan.simulation import SimulationResult

__all__ = ["PlanExposure", "ZoneExposure", "exposure", "plan_exposure"]


@dataclass(frozen=True)
class ZoneExposure:
    """Exposure in one danger zone.

    Attributes
    ----------
    zone
        Danger zone name.
    deadline_min
        The zone's ``clear_by`` deadline, minutes.
    population
        Evacuees from the zone.
    exposed
        Persons still inside after the deadline.
    person_minutes
        Person-minutes spent inside after the deadline.
    source
        ``"simulation"`` or ``"plan"``.
    """

    zone: str
    deadline_min: float
    population: int
    exposed: int
    person_minutes: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class PlanExposure:
    """Exposure of a plan's people, counted as the simulator counts it (:func:`plan_exposure`).

    Attributes
    ----------
    exposed_by_zone
        Persons inside each danger zone at some time after its deadline, ``int64[z]`` (a person crossing two zones
        counts in both).
    person_minutes_by_zone
        Person-minutes spent inside each zone after its deadline, ``float64[z]``.
    exposed
        Persons exposed in any zone, each counted once.
    group_exposed
        Whether any of each plan group's persons is exposed, ``bool[g]``.
    group_share
        Share of each plan group's persons exposed in any zone, ``float64[g]``: a group's persons leave spread over
        its departure span, so a span that straddles the deadline leaves only its later leavers exposed.
    """

    exposed_by_zone: NDArray[np.int64]
    person_minutes_by_zone: NDArray[np.float64]
    exposed: int
    group_exposed: NDArray[np.bool_]
    group_share: NDArray[np.float64]


def _held_packets(problem: Problem, plan: Plan) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.float64],
                                                           NDArray[np.float64]]:
    """The simulator's packets of the groups some of whose persons are released after their place in the window.

    The simulator sends a group in packets spread over its span, each at its place, at the release of its last
    person or one spacing after the packet before it, whichever is latest
    (:func:`~evacplan.simulation.engine.planned_packets`, at the simulator's default step and packet size). A moving
    group with a packet held back by a release is counted packet by packet: each packet's persons spread over their
    share of the group's span, centred on the packet's departure. Returns ``(held, group, persons, shift)``:
    ``held`` per group; per packet of those groups its group, its persons and how much later than the window's
    start its spread begins."""
    spread = window_steps(float(plan.time_step_s))
    moving = np.where(plan.path_start >= 0, plan.count, 0).astype(np.int64)
    g, c, depart, held_s = planned_packets(problem, plan, moving, DEFAULT_PACKET_SIZE, spread)
    held = np.zeros(plan.n_groups, dtype=bool)
    held[g[held_s > 1e-6]] = True
    keep = held[g]
    g, c, depart = g[keep], c[keep], depart[keep]
    width = c / plan.count[g] * plan.spans_s()[g]
    return held, g, c.astype(np.float64), depart - 0.5 * width - plan.departure_s[g]


def plan_exposure(problem: Problem, plan: Plan, horizon_s: float | None = None) -> PlanExposure:
    """Who the plan leaves inside a danger zone after its deadline, with the simulator's definitions.

    A planned group's persons leave home spread evenly over its span of the departure window
    (:attr:`~evacplan.planning.result.Plan.departure_span_s`), as the simulator sends them, and walk its path without
    waiting, each edge entered as far into the edge's entry window as they left into the departure window (see
    :func:`evacplan.assessment.kernels.plan_zone_exposure`), except that, as in the simulator, persons released
    late in the window leave at their release and stay that much later on every edge (the simulator's packets: see
    :func:`_held_packets`); persons and person-minutes are those expected of that spread, rounded to whole persons
    per zone. Persons the plan could not send anywhere stay at home until ``horizon_s`` (default: the problem's
    horizon), as the simulator keeps people with no route.
    """
    z, d = problem.zones, problem.demand
    n_z = len(z.danger_names)
    horizon = float(problem.horizon_s if horizon_s is None else horizon_s)
    exposed_f = np.zeros(n_z)
    person_s = np.zeros(n_z)
    share = np.zeros(plan.n_groups)
    window = float(plan.time_step_s)
    if n_z and plan.n_groups:
        leave = plan.departure_s.astype(np.float64)
        safe = (plan.arrival_s - window).astype(np.float64)
        spans = plan.spans_s()
        waits = plan.waits_s()
        held, g, x, shift = _held_packets(problem, plan)
        whole = np.flatnonzero(~held)
        zone_args = (z.node_danger.astype(np.int64), edge_danger_zone(problem), z.danger_deadline_s.astype(np.float64),
                     exposed_f, person_s)
        part = np.zeros(len(whole))
        plan_zone_exposure(plan.path_start[whole], plan.step_edge, plan.step_next, plan.step_to_go_s, waits,
                           plan.count[whole].astype(np.float64), leave[whole], safe[whole], spans[whole],
                           d.origin[plan.row[whole]].astype(np.int64), *zone_args, part)
        share[whole] = part
        if g.size:  # packet by packet: groups some of whose persons leave at their release, after their place
            part = np.zeros(len(g))
            plan_zone_exposure(plan.path_start[g], plan.step_edge, plan.step_next, plan.step_to_go_s, waits, x,
                               leave[g] + shift, safe[g] + shift, x / plan.count[g] * spans[g],
                               d.origin[plan.row[g]].astype(np.int64), *zone_args, part)
            np.add.at(share, g, part * x / plan.count[g])
    exposed = np.rint(exposed_f).astype(np.int64)
    total = int(np.rint(float(np.dot(plan.count, share)))) if plan.n_groups else 0
    if n_z:  # rounded per zone and in all: keep "at least the most in one zone, at most all zones together"
        total = min(max(total, int(exposed.max())), int(exposed.sum()))
    for i in range(n_z):  # people the plan could not send anywhere stay until the horizon
        left = int(plan.unplanned[d.danger == i].sum())
        dl = float(z.danger_deadline_s[i])
        if left and horizon > dl:
            exposed[i] += left
            total += left
            person_s[i] += left * (horizon - dl)
    return PlanExposure(exposed, person_s / 60.0, total, share > 0, share)


def exposure(problem: Problem, plan: Plan | None = None, simulation: SimulationResult | None = None) -> list[
        ZoneExposure]:
    """Persons and person-minutes inside each danger zone after its deadline.

    Parameters
    ----------
    problem
        The built problem.
    plan
        The plan (used when there is no simulation).
    simulation
        The simulation result (preferred).

    Returns
    -------
    list of ZoneExposure
    """
    d, z = problem.demand, problem.zones
    pops = [int(d.count[d.danger == i].sum()) for i in range(len(z.danger_names))]
    out = []
    if simulation is not None:
        for i, name in enumerate(z.danger_names):
            out.append(ZoneExposure(name, float(z.danger_deadline_s[i]) / 60.0, pops[i],
                                    int(simulation.exposed_by_zone[i]),
                                    round(float(simulation.exposure_person_min_by_zone[i]), 3), "simulation"))
        return out
    if plan is None:
        raise ValueError("exposure needs a plan or a simulation")
    pe = plan_exposure(problem, plan)
    for i, name in enumerate(z.danger_names):
        out.append(ZoneExposure(name, float(z.danger_deadline_s[i]) / 60.0, pops[i], int(pe.exposed_by_zone[i]),
                                round(float(pe.person_minutes_by_zone[i]), 3), "plan"))
    return out
