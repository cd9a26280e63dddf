"""Evacuation time estimates in the style of US nuclear-plant ETE studies (NUREG/CR-7002).

An ETE is the time to clear a share of a zone's population: here 50 %, 90 % and 100 % of the evacuees of each danger
zone (and of all of them) are in safety. The population counted includes people with no path to safety, so a zone
with such people never reaches 100 % (reported as ``None``, "not cleared"). Clearance curves (the share of a zone's
evacuees in safety by minute) come from the simulation when there is one, from the plan's arrival times otherwise.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evacplan.problem.problem import Problem

if TYPE_CHECKING:
    from evacplan.planning import Plan
    from evacplan.simulation import SimulationResult

__all__ = ["ETE_SHARES", "ClearanceCurve", "ZoneETE", "clearance_curves", "ete_from_curve", "ete_table"]

#: The shares of NUREG/CR-7002's ETE tables (90 % and 100 %) and the median.
ETE_SHARES = (0.5, 0.9, 1.0)
_MAX_POINTS = 400


@dataclass(frozen=True)
class ClearanceCurve:
    """Persons in safety over time for one danger zone (or ``"all"``).

    Attributes
    ----------
    zone
        Danger zone name or ``"all"``.
    population
        Evacuees of the zone (with those who have no path).
    minutes
        Times, minutes from the start, increasing.
    evacuated
        Persons of the zone in safety at each time, non-decreasing.
    """

    zone: str
    population: int
    minutes: list[float] = field(default_factory=list)
    evacuated: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class ZoneETE:
    """Times to clear 50 %, 90 % and 100 % of a zone, minutes (``None``: not reached within the horizon).

    Attributes
    ----------
    zone
        Danger zone name or ``"all"``.
    population
        Evacuees of the zone.
    deadline_min
        The zone's deadline (``None`` for ``"all"``).
    t50_min, t90_min, t100_min
        The ETEs.
    met
        Whether 100 % were in safety by the deadline (``None`` for ``"all"``).
    source
        ``"simulation"`` or ``"plan"``.
    """

    zone: str
    population: int
    deadline_min: float | None
    t50_min: float | None
    t90_min: float | None
    t100_min: float | None
    met: bool | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _thin(t: NDArray[np.float64], v: NDArray[np.float64], max_points: int | None) -> tuple[list[float], list[float]]:
    if max_points is not None and t.size > max_points:
        idx = np.unique(np.r_[np.linspace(0, t.size - 1, max_points).astype(np.int64), t.size - 1])
        t, v = t[idx], v[idx]
    return [round(float(x), 3) for x in t], [round(float(x), 3) for x in v]


def _step_curve(times_s: NDArray[np.float64], counts: NDArray[np.int64]) -> tuple[NDArray, NDArray]:
    """A cumulative step curve (people arrive at ``times_s``) as points: a vertical jump at each time."""
    if times_s.size == 0:
        return np.zeros(1), np.zeros(1)
    order = np.argsort(times_s, kind="stable")
    t, c = times_s[order], np.cumsum(counts[order]).astype(np.float64)
    uniq, last = np.unique(t[::-1], return_index=True)
    cum = c[::-1][last]
    tt = np.repeat(uniq, 2)
    before = np.r_[0.0, cum[:-1]]
    vv = np.column_stack([before, cum]).ravel()
    return np.r_[0.0, tt / 60.0], np.r_[0.0, vv]


def clearance_curves(problem: Problem, plan: Plan | None = None, simulation: SimulationResult | None = None,
                     max_points: int | None = _MAX_POINTS) -> list[ClearanceCurve]:
    """Clearance curves of every danger zone and of all evacuees (simulation preferred, else plan).

    Simulated curves are sampled every simulation step (at most 10 s); ``max_points`` thins every curve to about
    that many points (``None``: keep all).
    """
    d, z = problem.demand, problem.zones
    zones = [*range(len(z.danger_names)), -2]
    out = []
    if simulation is not None:
        end = simulation.last_arrival_s if simulation.evacuated else 0.0
        step = simulation.dt_s
        grid = np.arange(0.0, end + 2 * step, step)
        for i in zones:
            mask = None if i < 0 else simulation.arrival_danger_zone == i
            pop = int(d.count.sum()) if i < 0 else int(d.count[d.danger == i].sum())
            t, v = _thin(grid / 60.0, simulation.cumulative(grid, mask), max_points)
            out.append(ClearanceCurve("all" if i < 0 else z.danger_names[i], pop, t, v))
        return out
    if plan is None:
        raise ValueError("clearance curves need a plan or a simulation")
    zone = d.danger[plan.row] if plan.n_groups else np.zeros(0, dtype=np.int32)
    for i in zones:
        sel = np.ones(plan.n_groups, dtype=bool) if i < 0 else zone == i
        pop = int(d.count.sum()) if i < 0 else int(d.count[d.danger == i].sum())
        t, v = _thin(*_step_curve(plan.arrival_s[sel], plan.count[sel]), max_points)
        out.append(ClearanceCurve("all" if i < 0 else z.danger_names[i], pop, t, v))
    return out


def ete_from_curve(minutes: NDArray[np.float64] | list[float], evacuated: NDArray[np.float64] | list[float],
                   population: int, share: float) -> float | None:
    """First time a cumulative curve (linear between points) reaches ``share`` of ``population``, minutes.

    ``None`` when it never does. 0 when the population is 0.

    Examples
    --------
    >>> ete_from_curve([0, 10, 20], [0, 50, 100], 100, 0.9)
    18.0
    """
    t = np.asarray(minutes, dtype=np.float64)
    v = np.asarray(evacuated, dtype=np.float64)
    target = share * population
    if population <= 0 or target <= 0:
        return 0.0
    hit = np.flatnonzero(v >= target - 1e-6)
    if hit.size == 0:
        return None
    j = int(hit[0])
    if j == 0 or v[j] <= v[j - 1]:
        return round(float(t[j]), 3)
    frac = (target - v[j - 1]) / (v[j] - v[j - 1])
    return round(float(t[j - 1] + frac * (t[j] - t[j - 1])), 3)


def ete_table(problem: Problem, plan: Plan | None = None, simulation: SimulationResult | None = None,
              curves: list[ClearanceCurve] | None = None) -> list[ZoneETE]:
    """Times to clear 50, 90 and 100 % of each danger zone and of all evacuees.

    With a simulation the 100 % time is the simulator's exact clearance time of the zone; the others are read off the
    clearance curve (exact at its points, linear between them); pass unthinned ``curves`` (``max_points=None``).
    """
    z = problem.zones
    curves = curves if curves is not None else clearance_curves(problem, plan, simulation, max_points=None)
    source = "simulation" if simulation is not None else "plan"
    out = []
    for i, c in enumerate(curves):
        named = c.zone != "all"
        t = {s: ete_from_curve(c.minutes, c.evacuated, c.population, s) for s in ETE_SHARES}
        if simulation is not None and c.population > 0:
            full = simulation.clearance_time_s(i, c.population) if named else simulation.evacuation_time_s
            unreachable_left = (simulation.unreachable > 0) and not named
            t[1.0] = None if not math.isfinite(full) or unreachable_left else round(full / 60.0, 3)
        deadline = float(z.danger_deadline_s[i]) / 60.0 if named else None
        t100 = t[1.0]
        met = None if deadline is None else (t100 is not None and t100 <= deadline + 1e-9)
        out.append(ZoneETE(c.zone, c.population, deadline, t[0.5], t[0.9], t100, met, source))
    return out
