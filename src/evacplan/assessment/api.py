"""``assess()``: the humanitarian assessment of a plan and, where present, its simulation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from evacplan.assessment.border import BorderCounterfactual, border_counterfactual
from evacplan.assessment.compare import PlanVsNoPlan, PlanVsSimulation, compare_plan_simulation, compare_with_no_plan
from evacplan.assessment.ete import ClearanceCurve, ZoneETE, clearance_curves, ete_table
from evacplan.assessment.exposure import ZoneExposure, exposure, plan_exposure
from evacplan.assessment.headline import Headline, headline
from evacplan.assessment.standards import SafeZoneNeeds, persons_per_tent, safe_zone_needs
from evacplan.assessment.vulnerable import VulnerableNeeds, vulnerable_needs
from evacplan.problem.problem import Problem

if TYPE_CHECKING:
    from evacplan.planning import Plan
    from evacplan.simulation import SimulationResult

__all__ = ["SCHEMA_VERSION", "Assessment", "assess", "deadline_figures", "received_by_safe_zone"]

#: Version of ``assessment.json``.
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Assessment:
    """Everything the report shows about one run (one scenario variant).

    Attributes
    ----------
    scenario
        Scenario name.
    provenance
        Whose streets stand in for which place (empty when the scenario does not say).
    variant
        Variant name (``"baseline"`` for the scenario as given).
    source
        ``"simulation"`` when the figures come from a simulation, ``"plan"`` otherwise.
    evacuees, evacuated, unreachable
        Persons to evacuate, brought to safety, with no path to safety.
    standards
        The minimums used (``StandardsSpec`` as a dict) and the tent assumption.
    safe_zones, vulnerable, exposure, border, ete, curves
        The parts of the assessment (see their classes).
    summary
        Headline figures: evacuation time, times to 50/90 %, compliance, plan method and lower bound, persons in
        danger after a deadline (``exposed``, each counted once), and ``safe_zone_area_notes``: a sentence per safe
        zone whose declared area differs from its drawn polygon (see :func:`~evacplan.assessment.standards.area_note`).
    deadlines
        Per danger zone with a deadline (:func:`deadline_figures`): persons safe by it in the plan, at most (the
        plan's certificate) and in the simulation, with the plan's sentence on who is left and why.
    plan_vs_simulation
        The plan's figures beside its simulation's (``None`` without one of them).
    plan_vs_no_plan
        The simulation of the plan beside one with nobody following it (``None`` unless both were run).
    headline
        The run in plain words (``None`` only for an assessment built by hand).
    """

    scenario: str
    variant: str
    source: str
    evacuees: int
    evacuated: int
    unreachable: int
    standards: dict[str, Any]
    safe_zones: list[SafeZoneNeeds]
    vulnerable: list[VulnerableNeeds]
    exposure: list[ZoneExposure]
    border: list[BorderCounterfactual] | None
    ete: list[ZoneETE]
    curves: list[ClearanceCurve]
    summary: dict[str, Any] = field(default_factory=dict)
    provenance: str = ""
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    plan_vs_simulation: PlanVsSimulation | None = None
    headline: Headline | None = None
    plan_vs_no_plan: PlanVsNoPlan | None = None

    def __repr__(self) -> str:
        return (f"<Assessment {self.scenario!r} {self.variant} ({self.source}): {self.evacuated:,} of "
                f"{self.evacuees:,} evacuated, {self.unreachable:,} unreachable>")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the content of ``assessment.json``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "scenario": self.scenario,
            "provenance": self.provenance,
            "variant": self.variant,
            "source": self.source,
            "evacuees": self.evacuees,
            "evacuated": self.evacuated,
            "unreachable": self.unreachable,
            "summary": self.summary,
            "standards": self.standards,
            "safe_zones": [s.to_dict() for s in self.safe_zones],
            "vulnerable": [v.to_dict() for v in self.vulnerable],
            "exposure": [e.to_dict() for e in self.exposure],
            "border": None if self.border is None else [b.to_dict() for b in self.border],
            "ete": [e.to_dict() for e in self.ete],
            "curves": [c.to_dict() for c in self.curves],
            "deadlines": self.deadlines,
            "headline": None if self.headline is None else self.headline.to_dict(),
            "plan_vs_simulation": None if self.plan_vs_simulation is None else self.plan_vs_simulation.to_dict(),
            "plan_vs_no_plan": None if self.plan_vs_no_plan is None else self.plan_vs_no_plan.to_dict(),
        }


def deadline_figures(problem: Problem, plan: Plan | None = None,
                     simulation: SimulationResult | None = None) -> list[dict[str, Any]]:
    """Per danger zone with a finite deadline: persons safe by it in the plan (``plan_safe``), at most by any plan
    (``max_safe``, the plan's certificate, ``None`` when the plan was not certified) and in the simulation
    (``simulated_safe``, ``None`` without one), with the certificate's sentence, limits and extra-capacity
    figures."""
    from evacplan.planning.deadlines import safe_by

    z, d = problem.zones, problem.demand
    cert = {c.zone: c for c in plan.deadlines} if plan is not None else {}
    out: list[dict[str, Any]] = []
    for i, name in enumerate(z.danger_names):
        dl = float(z.danger_deadline_s[i])
        if not math.isfinite(dl):
            continue
        c = cert.get(i)
        out.append({
            "name": name,
            "deadline_min": _minutes(dl),
            "population": int(d.count[d.danger == i].sum()),
            "plan_safe": safe_by(problem, plan, i, dl) if plan is not None else None,
            "max_safe": c.max_safe_by_deadline if c is not None else None,
            "certificate": None if c is None else ("exact" if c.exact else "relaxation"),
            "simulated_safe": simulation.safe_by(i, dl) if simulation is not None else None,
            "sentence": c.sentence() if c is not None else "",
            "limits": [p.to_dict() for p in c.cut] if c is not None else [],
            "extra_capacity": ([{"on": w, "added": a, "more_safe": m} for w, a, m in c.extra]
                               if c is not None else []),
            "left_by_origin": [[o, k] for o, k in c.left_by_origin] if c is not None else [],
        })
    return out


def received_by_safe_zone(problem: Problem, plan: Plan | None = None,
                          simulation: SimulationResult | None = None) -> np.ndarray:
    """Persons received by each safe zone: arrivals in the simulation, else persons the plan sends there."""
    s = len(problem.zones.safe_names)
    if simulation is not None:
        sel = simulation.arrival_safe_zone >= 0
        return np.bincount(simulation.arrival_safe_zone[sel], weights=simulation.arrival_count[sel],
                           minlength=s).astype(np.int64)
    if plan is not None:
        return np.bincount(plan.safe_zone, weights=plan.count, minlength=s).astype(np.int64)
    return np.zeros(s, dtype=np.int64)


def _minutes(t_s: float) -> float | None:
    return None if not math.isfinite(t_s) else round(t_s / 60.0, 3)


def assess(
    problem: Problem,
    plan: Plan | None = None,
    simulation: SimulationResult | None = None,
    *,
    open_problem: Problem | None = None,
    closed_lines: list[Any] | None = None,
    variant: str = "baseline",
    network_changed: bool = False,
    no_plan: SimulationResult | dict[str, float | None] | None = None,
) -> Assessment:
    """Assess a plan (and its simulation) against humanitarian standards and deadlines.

    Parameters
    ----------
    problem
        The built problem.
    plan
        The plan; needed when there is no simulation.
    simulation
        The simulation of the plan; its figures take precedence over the plan's where both exist.
    open_problem
        The same scenario built without its closures, for the border counterfactual (skipped when ``None``).
    closed_lines
        Line geometries of the closures in the network's CRS (see :func:`evacplan.assessment.border.across_nodes`).
    variant
        Variant name recorded in the result.
    network_changed
        Whether the variant blocks or closes roads (said among the likely causes when plan and simulation differ).
    no_plan
        A simulation of the same problem with nobody following the plan, or its
        :func:`~evacplan.assessment.compare.no_plan_figures`, to set ``simulation`` against
        (:func:`~evacplan.assessment.compare.compare_with_no_plan`).

    Returns
    -------
    Assessment

    Raises
    ------
    ValueError
        When neither a plan nor a simulation is given.
    """
    if plan is None and simulation is None:
        raise ValueError("assess needs a plan, a simulation or both")
    z = problem.zones
    received = received_by_safe_zone(problem, plan, simulation)
    fine = clearance_curves(problem, plan, simulation, max_points=None)
    ete = ete_table(problem, plan, simulation, curves=fine)
    curves = clearance_curves(problem, plan, simulation)
    st = problem.standards
    standards = {**{k: getattr(st, k) for k in st.__dataclass_fields__}, "persons_per_tent": persons_per_tent(st)}
    summary: dict[str, Any] = {}
    if plan is not None:
        summary.update({
            "plan_method": plan.method,
            "plan_objective": plan.objective,
            "plan_quickest_time_min": _minutes(plan.quickest_time_s),
            "plan_evacuation_time_min": _minutes(plan.evacuation_time_s),
            "plan_lower_bound_min": _minutes(plan.lower_bound_s),
            "plan_unplanned": int(plan.unplanned.sum()),
            "plan_runtime_s": round(plan.runtime_s, 3),
            "bottlenecks": list(plan.bottlenecks),
        })
    if simulation is not None:
        summary.update({
            "compliance": simulation.compliance,
            "evacuation_time_min": _minutes(simulation.evacuation_time_s),
            "last_arrival_min": _minutes(simulation.last_arrival_s),
            "stranded": simulation.stranded,
            "en_route_at_end": simulation.en_route,
            "simulation_runtime_s": round(simulation.runtime_s, 3),
        })
    else:
        summary["evacuation_time_min"] = _minutes(plan.evacuation_time_s) if plan is not None else None
    exp = exposure(problem, plan, simulation)
    compared = None
    if simulation is not None:
        summary["exposed"] = int(simulation.exposed)
        summary["exposure_person_min"] = round(float(simulation.exposure_person_min_by_zone.sum()), 3)
        if plan is not None:
            compared = compare_plan_simulation(problem, plan, simulation, network_changed=network_changed)
            summary["plan_exposed"] = compared.plan.exposed
            summary["plan_vs_simulation"] = compared.sentence
    elif plan is not None:
        pe = plan_exposure(problem, plan)
        summary["exposed"] = pe.exposed
        summary["exposure_person_min"] = round(float(pe.person_minutes_by_zone.sum()), 3)
        summary["plan_exposed"] = pe.exposed
    all_ete = ete[-1]
    summary.update({"t50_min": all_ete.t50_min, "t90_min": all_ete.t90_min, "t100_min": all_ete.t100_min})
    evacuated = simulation.evacuated if simulation is not None else (plan.evacuated if plan is not None else 0)
    needs = safe_zone_needs(
        z.safe_names, received, z.safe_area_m2,
        z.safe_declared_capacity if z.safe_declared_capacity.size else z.safe_capacity, z.safe_services, st,
        residents=z.safe_residents, drawn_area_m2=z.safe_drawn_area_m2)
    summary["safe_zone_area_notes"] = [s.area_note for s in needs if s.area_note]
    if simulation is not None:
        everyone = _minutes(simulation.evacuation_time_s)
    else:
        everyone = _minutes(plan.evacuation_time_s if plan is not None and
                            plan.evacuated >= problem.demand.total - problem.unreachable else math.inf)
    head = headline(problem, [e.exposed for e in exp], int(summary["exposed"]), needs, plan=plan,
                    simulation=simulation, t90_min=all_ete.t90_min, evacuation_time_min=everyone)
    if compared is not None:
        head.sentences.insert(1, compared.sentence)
    against = None
    if simulation is not None and no_plan is not None:
        against = compare_with_no_plan(problem, simulation, no_plan, plan, curves=fine)  # the simulation's curves
        summary["plan_vs_no_plan"] = against.sentence
        head.sentences.insert(2 if compared is not None else 1, against.sentence)
    return Assessment(
        scenario=problem.name,
        variant=variant,
        source="simulation" if simulation is not None else "plan",
        evacuees=problem.demand.total,
        evacuated=int(evacuated),
        unreachable=problem.unreachable,
        standards=standards,
        safe_zones=needs,
        vulnerable=vulnerable_needs(problem, simulation),
        exposure=exp,
        border=None if open_problem is None else border_counterfactual(problem, open_problem, closed_lines),
        ete=ete,
        curves=curves,
        summary=summary,
        provenance=problem.provenance,
        deadlines=deadline_figures(problem, plan, simulation),
        plan_vs_simulation=compared,
        headline=head,
        plan_vs_no_plan=against,
    )
