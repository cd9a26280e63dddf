"""The plan beside its simulation: the same figures from both, and in plain words where and why they differ.

The plan promises arrival times (its groups' ``arrival_s`` and ``count``); the simulation lets people walk it, some
of them not following it (compliance below 1), with queues where streets fill. Both sides are measured the same way:
clearance curves of all evacuees, the times at which 50 %, 90 % and 100 % are in safety (:mod:`.ete`), and the
people still inside a danger zone after its deadline, each person counted once however many zones they cross
(:func:`evacplan.assessment.exposure.plan_exposure` counts the plan as the simulator counts itself).

Two figures *differ* when a time differs by more than :data:`TOLERANCE` (5 %) of the plan's time (and by at least a
minute), or when the people in danger differ by more than 5 % of the larger figure and by at least 1 % of the
evacuees (the tolerance of the plan-holds benchmark). A time one side never reaches differs from one it does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evacplan.assessment.clearance import ZoneClearance, zone_clearance
from evacplan.assessment.ete import ClearanceCurve, clearance_curves, ete_table
from evacplan.assessment.exposure import plan_exposure
from evacplan.problem.problem import Problem

if TYPE_CHECKING:
    from evacplan.planning import Plan
    from evacplan.simulation import SimulationResult

__all__ = [
    "NO_PLAN_TOLERANCE", "TOLERANCE", "Difference", "Outcome", "PlanVsNoPlan", "PlanVsSimulation",
    "compare_plan_simulation", "compare_with_no_plan", "no_plan_figures",
]

#: Relative difference above which plan and simulation are said to differ.
TOLERANCE = 0.05
#: Smallest difference in persons in danger worth a sentence, as a share of the evacuees.
PERSONS_FLOOR = 0.01
#: Relative margin (and at least a minute, or a person-minute) by which following the plan must be worse than nobody
#: following it to be called worse.
NO_PLAN_TOLERANCE = 0.01
_TIMES = (("evacuation_time_min", "everyone with a way to safety is safe"), ("t90_min", "90 % are safe"),
          ("t50_min", "half are safe"))


@dataclass(frozen=True)
class Outcome:
    """One side of the comparison: what the plan promises, or what the simulation shows.

    Attributes
    ----------
    source
        ``"plan"`` or ``"simulation"``.
    evacuated
        Persons in safety at the end.
    t50_min, t90_min, t100_min
        Minutes until 50 %, 90 % and 100 % of all evacuees are in safety (``None``: never; people with no path to
        safety count, so ``t100_min`` is ``None`` when there are such people).
    evacuation_time_min
        Minutes until everyone with a path to safety is safe (``None``: some of them never are).
    exposed
        Persons inside a danger zone at some time after its deadline, each counted once.
    exposed_by_zone
        The same per danger zone (a person crossing two zones after their deadlines counts in both).
    person_minutes
        Person-minutes spent inside danger zones after their deadlines.
    curve
        Persons of all danger zones in safety over time.
    """

    source: str
    evacuated: int
    t50_min: float | None
    t90_min: float | None
    t100_min: float | None
    evacuation_time_min: float | None
    exposed: int
    exposed_by_zone: dict[str, int]
    person_minutes: float
    curve: ClearanceCurve

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "source": self.source, "evacuated": self.evacuated, "t50_min": self.t50_min, "t90_min": self.t90_min,
            "t100_min": self.t100_min, "evacuation_time_min": self.evacuation_time_min, "exposed": self.exposed,
            "exposed_by_zone": dict(self.exposed_by_zone),
            "person_minutes": self.person_minutes, "curve": self.curve.to_dict(),
        }


@dataclass(frozen=True)
class Difference:
    """A figure on which plan and simulation differ by more than the tolerance.

    Attributes
    ----------
    figure
        Key of the figure in :class:`Outcome` (``"evacuation_time_min"``, ``"t90_min"``, ``"t50_min"``,
        ``"exposed"``).
    plan, simulation
        The two values (``None``: a time never reached).
    relative
        ``simulation / plan - 1`` (``None`` when undefined: a time never reached, or a plan figure of 0).
    words
        The difference in plain words.
    """

    figure: str
    plan: float | None
    simulation: float | None
    relative: float | None
    words: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"figure": self.figure, "plan": self.plan, "simulation": self.simulation,
                "relative": None if self.relative is None else round(self.relative, 4), "words": self.words}


@dataclass(frozen=True)
class PlanVsSimulation:
    """A plan and its simulation side by side (:func:`compare_plan_simulation`).

    Attributes
    ----------
    plan, simulation
        The figures of each side.
    compliance
        Share of the planned evacuees who followed the plan in the simulation.
    differences
        The figures that differ by more than the tolerance, most important first (empty: they agree).
    causes
        The likely reasons, in plain words, most likely first (empty when they agree).
    sentence
        One plain-words paragraph for the report's summary: they agree, or which figures differ, by how much, and
        the likely why.
    """

    plan: Outcome
    simulation: Outcome
    compliance: float
    differences: tuple[Difference, ...]
    causes: tuple[str, ...]
    sentence: str

    @property
    def agree(self) -> bool:
        """Whether no figure differs by more than the tolerance."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``plan_vs_simulation`` of ``assessment.json`` and of the run's ``summary.json``)."""
        return {
            "tolerance": TOLERANCE, "agree": self.agree, "compliance": self.compliance,
            "plan": self.plan.to_dict(), "simulation": self.simulation.to_dict(),
            "differences": [d.to_dict() for d in self.differences], "causes": list(self.causes),
            "sentence": self.sentence,
        }


def _outcome(problem: Problem, source: str, evacuated: int, last_s: float, curve_all: ClearanceCurve,
             fine: list[ClearanceCurve], plan: Plan | None, simulation: SimulationResult | None, exposed: int,
             by_zone: np.ndarray, person_min: float) -> Outcome:
    ete = ete_table(problem, plan, simulation, curves=fine)[-1]
    names = problem.zones.danger_names
    everyone = None if not math.isfinite(last_s) else round(last_s / 60.0, 3)
    return Outcome(source, int(evacuated), ete.t50_min, ete.t90_min, ete.t100_min, everyone, int(exposed),
                   {n: int(by_zone[i]) for i, n in enumerate(names)}, round(float(person_min), 3), curve_all)


def _minutes(v: float | None) -> str:
    return "never" if v is None else f"{round(v):,} min"


def _fine_minutes(t_s: float) -> str:
    """Seconds as minutes, to a tenth below 10 min."""
    m = t_s / 60.0
    return f"{m:.1f} min" if m < 10 else f"{round(m):,} min"


def _persons(n: float) -> str:
    n = round(n)
    return f"{n:,} {'person' if n == 1 else 'people'}"


def _time_difference(key: str, what: str, p: float | None, s: float | None) -> Difference | None:
    if p is None and s is None:
        return None
    if p is None:
        return Difference(key, p, s, None, f"in the simulation {what} after {_minutes(s)}, while the plan never "
                                           "gets there")
    if s is None:
        return Difference(key, p, s, None, f"in the simulation it never happens that {what}, while the plan has it "
                                           f"after {_minutes(p)}")
    if abs(s - p) < 1.0 or abs(s - p) <= TOLERANCE * p:
        return None
    rel = s / p - 1.0 if p > 0 else None
    how = "later" if s > p else "earlier"
    pct = f"{abs(rel) * 100:.0f} % {how} than" if rel is not None else f"{how} than"
    return Difference(key, p, s, rel, f"in the simulation {what} after {_minutes(s)}, {pct} the plan's "
                                      f"{_minutes(p)}")


def _exposed_difference(p: int, s: int, evacuees: int) -> Difference | None:
    diff = abs(s - p)
    if diff == 0 or diff <= TOLERANCE * max(p, s) or diff < PERSONS_FLOOR * max(evacuees, 1):
        return None
    rel = s / p - 1.0 if p > 0 else None
    words = (f"{_persons(s)} are still inside a danger zone after its deadline in the simulation, "
             f"{'more' if s > p else 'fewer'} than the plan's {p:,}")
    return Difference("exposed", float(p), float(s), rel, words)


def _max_queue(simulation: SimulationResult) -> tuple[int, int]:
    rec = simulation.edge_records
    if not len(rec):
        return 0, 0
    i = int(np.argmax(rec[:, 3]))
    return int(rec[i, 3]), int(rec[i, 0])


def _causes(plan: Plan, simulation: SimulationResult, worse: bool, network_changed: bool) -> list[str]:
    out = []
    c = simulation.compliance
    if c < 1.0 - 1e-9:
        out.append(f"only {c * 100:.0f} % of the planned evacuees follow the plan (compliance {c:g}); the others "
                   "leave as they get ready, not at their planned time, and take their own shortest way, crowding "
                   "streets the plan kept for others" if worse else
                   f"only {c * 100:.0f} % of the planned evacuees follow the plan (compliance {c:g}); the others take "
                   "their own shortest way, which here is quicker than the plan's metered departures")
    if simulation.stranded:
        out.append(f"{_persons(simulation.stranded)} find no open way to safety from where they wait (closed roads "
                   "or full safe zones)")
    if simulation.en_route:
        out.append(f"{_persons(simulation.en_route)} are still on their way when the simulation stops")
    if worse:
        q, minute = _max_queue(simulation)
        if q > 0:
            where = " on the streets the variant leaves open (it blocks or closes roads)" if network_changed else ""
            out.append(f"queues the plan does not foresee form{where}: the longest holds {_persons(q)} "
                       f"(minute {minute:,})")
        elif network_changed:
            out.append("the variant blocks or closes roads")
    elif c >= 1.0 - 1e-9 and plan.time_step_s > 0:
        out.append(f"the plan counts time in steps of {plan.time_step_s:g} s and rounds arrivals up to the end of "
                   "a step, so it promises later times than people need")
    return out


def compare_plan_simulation(problem: Problem, plan: Plan, simulation: SimulationResult, *,
                            network_changed: bool = False) -> PlanVsSimulation:
    """The plan's figures beside its simulation's, the differences above the tolerance and their likely causes.

    Parameters
    ----------
    problem
        The built problem both were made for.
    plan
        The plan.
    simulation
        The simulation of ``plan``.
    network_changed
        Whether the run's variant blocks or closes roads (named among the causes of queues).

    Returns
    -------
    PlanVsSimulation
    """
    fine_p = clearance_curves(problem, plan, None, max_points=None)
    fine_s = clearance_curves(problem, None, simulation, max_points=None)
    pe = plan_exposure(problem, plan)
    reachable = problem.demand.total - problem.unreachable
    p_last = plan.evacuation_time_s if plan.evacuated >= reachable else math.inf
    p_side = _outcome(problem, "plan", plan.evacuated, p_last, clearance_curves(problem, plan, None)[-1], fine_p,
                      plan, None, pe.exposed, pe.exposed_by_zone, float(pe.person_minutes_by_zone.sum()))
    s_side = _outcome(problem, "simulation", simulation.evacuated, simulation.evacuation_time_s,
                      clearance_curves(problem, None, simulation)[-1], fine_s, None, simulation, simulation.exposed,
                      simulation.exposed_by_zone, float(simulation.exposure_person_min_by_zone.sum()))
    diffs = [d for key, what in _TIMES
             if (d := _time_difference(key, what, getattr(p_side, key), getattr(s_side, key))) is not None]
    ex = _exposed_difference(p_side.exposed, s_side.exposed, problem.demand.total)
    if ex is not None:
        diffs.insert(1 if diffs and diffs[0].figure == "evacuation_time_min" else 0, ex)
    if not diffs:
        sentence = ("Plan and simulation agree: the times at which half, 90 % and everyone are safe, and the people "
                    f"still in danger after the deadlines, differ by at most {TOLERANCE * 100:.0f} %.")
        return PlanVsSimulation(p_side, s_side, simulation.compliance, (), (), sentence)
    worse = any((d.simulation is None and d.plan is not None) or
                (d.simulation is not None and d.plan is not None and d.simulation > d.plan) for d in diffs)
    causes = _causes(plan, simulation, worse, network_changed)
    sentence = ("Plan and simulation differ by more than {:.0f} %: {}.".format(
        TOLERANCE * 100, "; ".join(d.words for d in diffs)))
    if causes:
        sentence += " Likely why: " + "; ".join(causes) + "."
    return PlanVsSimulation(p_side, s_side, simulation.compliance, tuple(diffs), tuple(causes), sentence)



@dataclass(frozen=True)
class PlanVsNoPlan:
    """People following the plan beside nobody following it, both in the simulator (:func:`compare_with_no_plan`).

    Attributes
    ----------
    compliance
        Share of the planned evacuees who followed the plan in the first simulation.
    following, no_plan
        The figures of each simulation: ``evacuation_time_min`` (everyone with a way to safety is safe; ``None``:
        never), ``t90_min``, ``person_minutes`` (inside danger zones after their deadlines) and ``exposed``
        (persons inside one after its deadline, each counted once).
    worse
        The figures on which following the plan is worse by more than :data:`NO_PLAN_TOLERANCE` (empty: it is
        not).
    causes
        The likely reasons, in plain words (empty when it is not worse).
    sentence
        One plain-words paragraph for the report's summary.
    clearance
        Where following the plan is worse on time in danger: how soon the danger zones could be empty if people
        could wait outside them (:func:`~evacplan.assessment.clearance.zone_clearance`); else ``None``.
    """

    compliance: float
    following: dict[str, float | None]
    no_plan: dict[str, float | None]
    worse: tuple[str, ...]
    causes: tuple[str, ...]
    sentence: str
    clearance: ZoneClearance | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``plan_vs_no_plan`` of ``assessment.json`` and of the run's ``summary.json``)."""
        return {"tolerance": NO_PLAN_TOLERANCE, "compliance": self.compliance, "following": dict(self.following),
                "no_plan": dict(self.no_plan), "worse": list(self.worse), "causes": list(self.causes),
                "sentence": self.sentence,
                "zone_clearance": None if self.clearance is None else self.clearance.to_dict()}


def no_plan_figures(problem: Problem, simulation: SimulationResult,
                    curves: list[ClearanceCurve] | None = None) -> dict[str, float | None]:
    """The figures :func:`compare_with_no_plan` sets side by side, of one simulation: ``evacuation_time_min``
    (``None``: never), ``t90_min``, ``person_minutes`` and ``exposed`` (small enough to keep where the simulation
    itself is let go). ``curves``: the simulation's unthinned clearance curves, where already drawn."""
    ete = ete_table(problem, None, simulation, curves=curves)[-1]
    last = simulation.evacuation_time_s
    return {"evacuation_time_min": round(last / 60.0, 3) if math.isfinite(last) else None, "t90_min": ete.t90_min,
            "person_minutes": round(float(simulation.exposure_person_min_by_zone.sum()), 3),
            "exposed": float(simulation.exposed)}


def _worse(key: str, a: float | None, b: float | None, evacuees: int) -> bool:
    """Whether ``a`` (following the plan) is worse than ``b`` (no plan) on figure ``key``."""
    if a is None or b is None:
        return a is None and b is not None
    floor = {"person_minutes": 1.0, "exposed": PERSONS_FLOOR * max(evacuees, 1)}.get(key, 1.0)
    return a - b > max(floor, NO_PLAN_TOLERANCE * abs(b))


_NO_PLAN_WORDS = {"evacuation_time_min": ("everyone is safe", _minutes),
                  "t90_min": ("90 % are safe", _minutes),
                  "person_minutes": ("person-minutes spent in danger after the deadlines", None),
                  "exposed": ("people still in danger after a deadline", None)}


def _worse_on_exposure(worse: list[str]) -> bool:
    """Whether following the plan is worse on time in danger (persons or person-minutes)."""
    return "person_minutes" in worse or "exposed" in worse


def _no_plan_causes(plan: Plan | None, compliance: float, worse: list[str], following: dict[str, float | None],
                    no_plan: dict[str, float | None], clearance: ZoneClearance | None = None) -> list[str]:
    out = []
    if compliance < 1.0 - 1e-9:
        out.append(f"only {compliance * 100:.0f} % of the planned evacuees follow the plan; the others crowd the "
                   "streets it kept for those who do")
    if _worse_on_exposure(worse):
        why = ("the plan keeps people at home, inside the danger zone, until their whole route has room (in the "
               "planning model nobody waits on the streets); left to themselves, people leave at once and queue on "
               "the streets outside the zone")
        if clearance is not None and math.isfinite(clearance.time_s) and \
                clearance.person_minutes < (following["person_minutes"] or 0.0):
            who = ("following the plan" if compliance >= 1.0 - 1e-9 else
                   f"with {compliance * 100:.0f} % following the plan")
            some = "" if clearance.no_way_out == 0 else (
                f" (the {_persons(clearance.persons)} with a way out of them; {_persons(clearance.no_way_out)} "
                "have none)")
            why += (f". Were people to wait outside the danger zones (in holding areas beside the way out, until "
                    f"their route to safety has room), the zones could be empty{some} by "
                    f"{_fine_minutes(clearance.time_s)} (no plan sooner than {_fine_minutes(clearance.lower_bound_s)})"
                    f", at {clearance.person_minutes:,.0f} person-minutes in danger after the deadlines in the "
                    f"planning model, against {following['person_minutes'] or 0:,.0f} in the simulation {who}")
        out.append(why)
    step = plan.time_step_s / 60.0 if plan is not None else 0.0
    late = [k for k in ("evacuation_time_min", "t90_min") if k in worse]
    if any(following[k] is None for k in late):
        out.append("some people following the plan never reach safety in the simulation (closed roads or full safe "
                   "zones on their planned way)")
    elif late:
        by = max((following[k] or 0.0) - (no_plan[k] or 0.0) for k in late)
        if 0 < step and by <= 2 * step + 1e-9:
            out.append(f"people following the plan keep to its departure windows of {step:g} min (those ready at "
                       "the start wait up to a window for their origin's first one) and to routes timed in whole "
                       "windows, where on free streets people left to themselves leave as soon as they are ready")
        else:
            out.append("the plan's departure windows and routes take longer here than the queues of people left "
                       "to themselves")
    return out


def compare_with_no_plan(problem: Problem, following: SimulationResult,
                         no_plan: SimulationResult | dict[str, float | None],
                         plan: Plan | None = None, curves: list[ClearanceCurve] | None = None) -> PlanVsNoPlan:
    """Following the plan against nobody following it: the simulation of the plan beside one in which everyone
    takes their own shortest way (re-routing around queues), on the time everyone is safe, the time 90 % are, and
    the person-minutes and persons in danger after the deadlines.

    Following the plan is called *worse* on a figure when it exceeds the other by more than
    :data:`NO_PLAN_TOLERANCE` of it and by at least a minute (times), a person-minute, or 1 % of the evacuees
    (persons); a time never reached is worse than one reached.

    Parameters
    ----------
    problem
        The built problem both simulations ran on.
    following
        The simulation of the plan (at its compliance).
    no_plan
        The simulation without a plan, or its :func:`no_plan_figures`.
    plan
        The plan (its time step, for the likely causes).
    curves
        The unthinned clearance curves of ``following``, where already drawn (:func:`no_plan_figures`).

    Returns
    -------
    PlanVsNoPlan
    """
    a = no_plan_figures(problem, following, curves)
    b = no_plan if isinstance(no_plan, dict) else no_plan_figures(problem, no_plan)
    worse = [k for k in _NO_PLAN_WORDS if _worse(k, a[k], b[k], problem.demand.total)]
    parts = []
    for k, (what, fmt) in _NO_PLAN_WORDS.items():
        if k == "exposed":
            continue
        if fmt is None:
            parts.append(f"{a[k]:,.0f} against {b[k]:,.0f} {what}")
        else:
            parts.append(f"{what} at {fmt(a[k])} against {fmt(b[k])}")
    who = ("People following the plan" if following.compliance >= 1.0 - 1e-9 else
           f"With {following.compliance * 100:.0f} % following the plan")
    head = f"{who} against nobody following it (everyone on their own shortest way): " + ", ".join(parts)
    clearance = None
    if not worse:
        causes: list[str] = []
        sentence = head + ": following the plan is no worse on any of them."
    else:
        clearance = zone_clearance(problem) if _worse_on_exposure(worse) and plan is not None else None
        causes = _no_plan_causes(plan, following.compliance, worse, a, b, clearance)
        names = [_NO_PLAN_WORDS[k][0] for k in worse]
        sentence = head + f": following the plan is worse on {', '.join(names)}."
        if causes:
            sentence += " Likely why: " + "; ".join(causes) + "."
    return PlanVsNoPlan(following.compliance, a, b, tuple(worse), tuple(causes), sentence, clearance)
