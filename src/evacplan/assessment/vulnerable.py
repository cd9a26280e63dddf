"""Vulnerable people who cannot walk to safety before their zone's deadline, and the vehicle seats they need.

For each walking demand row of a vulnerable group (``[[population.groups]] vulnerable = true``), the shortest free
walking time ``T`` to the nearest safe zone with room is taken at the group's own speed. People of the row leave by
their departure curve ``F`` (share departed by time ``t``); someone leaving at ``t`` is safe in time when
``t + T <= deadline``, so a share ``F(deadline - T)`` makes it on foot and ``1 - F(deadline - T)`` does not. These
people need a seat. The same test with the vehicle's free travel time tells how many would still be late when carried
(they need an earlier start, not only a seat). Queues are ignored: these are lower bounds on the need.

When a simulation is given, its own arrival records (queues included) decide instead: people of the group and zone
not in safety by the zone's deadline (arrival batches spread evenly over their span; people who never arrive, such as
the stranded, non-compliant or unreachable, included) are late. Walkers late in the simulation need a seat
(``cannot_walk_in_time``); ``late_in_simulation`` counts every mode, and the free-flow estimate stays beside it
(``free_flow_cannot_walk``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evacplan.assessment._paths import time_to_nodes
from evacplan.problem.problem import Problem

if TYPE_CHECKING:
    from evacplan.simulation import SimulationResult

__all__ = ["DEFAULT_VEHICLE_MPS", "DEFAULT_VEHICLE_SEATS", "VulnerableNeeds", "departed_share", "late_by_row",
           "vulnerable_needs"]

#: Vehicle speed and seats assumed when the scenario has no vehicle mode: 8.3 m/s (30 km/h in evacuation traffic,
#: assumed) and 4 seats (a car, assumed).
DEFAULT_VEHICLE_MPS = 8.3
DEFAULT_VEHICLE_SEATS = 4.0


@dataclass(frozen=True)
class VulnerableNeeds:
    """Vulnerable people of one danger zone and group.

    Attributes
    ----------
    zone
        Danger zone name.
    group
        Demographic group name.
    persons
        Persons of the group in the zone (every mode).
    on_foot
        Of them, persons assigned to walk.
    cannot_walk_in_time
        Walking persons who cannot reach safety on foot before the deadline (seats needed): late in the simulation
        when there is one (queues included), else the free-flow estimate.
    late_even_by_vehicle
        Of those, persons who would be late even when carried by vehicle from their departure time.
    vehicles_needed
        ``ceil(cannot_walk_in_time / seats per vehicle)``, one trip each.
    free_flow_cannot_walk
        Walking persons who cannot make it even in free flow (no queues): a lower bound.
    late_in_simulation
        Persons of every mode not in safety by the deadline in the simulation (``None`` without one).
    source
        ``"simulation"`` when ``cannot_walk_in_time`` comes from the simulation's arrivals, else ``"free flow"``.
    """

    zone: str
    group: str
    persons: int
    on_foot: int
    cannot_walk_in_time: int
    late_even_by_vehicle: int
    vehicles_needed: int
    free_flow_cannot_walk: int = 0
    late_in_simulation: int | None = None
    source: str = "free flow"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def departed_share(problem: Problem, curve: NDArray[np.integer], t_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of people on departure curve ``curve[i]`` who have left by ``t_s[i]`` (linear between steps)."""
    cdf = problem.departure_cdf
    step = problem.time_step_s
    k = np.asarray(t_s, dtype=np.float64) / step
    out = np.zeros(k.shape)
    n = cdf.shape[1] - 1
    for c in np.unique(curve):
        sel = curve == c
        kk = k[sel]
        vals = np.interp(np.where(np.isfinite(kk), kk, -1.0), np.arange(n + 1), cdf[c])
        vals = np.where(kk < 0, 0.0, vals)  # before the start, or never (-inf)
        out[sel] = np.where(kk >= n, 1.0, vals)
    return out


def _safe_targets(problem: Problem) -> NDArray[np.int64]:
    z = problem.zones
    return np.flatnonzero((z.node_safe >= 0) & (z.safe_capacity[np.maximum(z.node_safe, 0)] > 0))


def late_by_row(problem: Problem, simulation: SimulationResult) -> NDArray[np.float64]:
    """Persons of each demand row not in safety by their danger zone's deadline in ``simulation`` (rows outside
    danger zones, and zones without a deadline: by the end of the run). Arrival batches are spread evenly between
    their start and end; people who never arrive are late."""
    d, z = problem.demand, problem.zones
    deadline = np.append(z.danger_deadline_s, np.inf)  # index -1: outside every danger zone
    row = simulation.arrival_row
    ok = (row >= 0) & (row < d.n_rows)
    row = row[ok]
    start, end = simulation.arrival_start_s[ok], simulation.arrival_end_s[ok]
    dl = deadline[d.danger[row]]
    span = end - start
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(span > 0, (dl - start) / np.where(span > 0, span, 1.0), np.where(end <= dl, 1.0, 0.0))
    share = np.where(np.isinf(dl), 1.0, np.clip(share, 0.0, 1.0))
    safe = np.bincount(row, weights=simulation.arrival_count[ok] * share, minlength=d.n_rows)
    return np.maximum(d.count.astype(np.float64) - safe, 0.0)


def vulnerable_needs(problem: Problem, simulation: SimulationResult | None = None) -> list[VulnerableNeeds]:
    """Per danger zone and vulnerable group: who cannot walk out in time, and the seats and vehicles needed.

    Parameters
    ----------
    problem
        The built problem.
    simulation
        When given, lateness is read from its arrival records (queues included) instead of free-flow times.

    Returns
    -------
    list of VulnerableNeeds
        One entry per (danger zone, vulnerable group) with people in it.
    """
    net, d, z = problem.network, problem.demand, problem.zones
    vuln = [g for g, spec in enumerate(d.groups) if spec.vulnerable]
    if not vuln or d.n_rows == 0:
        return []
    walk = net.modes.index("walk") if "walk" in net.modes else -1
    targets = _safe_targets(problem)
    if "vehicle" in net.modes:
        k = net.modes.index("vehicle")
        t_veh = time_to_nodes(net, problem.edge_time_s(k, 0), targets)
        seats = problem.modes[k].persons_per_unit
    else:
        ref = walk if walk >= 0 else 0
        usable = net.speed_mps[ref] > 0
        t_veh = time_to_nodes(net, np.where(usable, net.length_m / DEFAULT_VEHICLE_MPS, np.inf), targets)
        seats = DEFAULT_VEHICLE_SEATS
    deadline = np.append(z.danger_deadline_s, problem.horizon_s)  # rows outside danger zones: the horizon
    late_row = late_by_row(problem, simulation) if simulation is not None else None
    out = []
    for g in vuln:
        t_walk = time_to_nodes(net, problem.edge_time_s(walk, g), targets) if walk >= 0 else None
        for zone in range(len(z.danger_names)):
            rows = np.flatnonzero((d.group == g) & (d.danger == zone))
            if rows.size == 0:
                continue
            foot = rows[d.mode[rows] == walk] if walk >= 0 else rows[:0]
            dl = deadline[d.danger[foot]]
            if t_walk is not None and foot.size:
                ok_walk = departed_share(problem, d.curve[foot], dl - t_walk[d.origin[foot]])
                ok_veh = departed_share(problem, d.curve[foot], dl - t_veh[d.origin[foot]])
            else:
                ok_walk = ok_veh = np.zeros(foot.size)
            cnt = d.count[foot].astype(np.float64)
            free = int(round(float((cnt * (1.0 - ok_walk)).sum())))
            late = int(round(float((cnt * (1.0 - np.maximum(ok_veh, ok_walk))).sum())))
            sim_all: int | None = None
            cannot = free
            if late_row is not None:
                sim_all = int(round(float(late_row[rows].sum())))
                cannot = int(round(float(late_row[foot].sum())))
            out.append(VulnerableNeeds(
                zone=z.danger_names[zone], group=d.groups[g].name, persons=int(d.count[rows].sum()),
                on_foot=int(cnt.sum()), cannot_walk_in_time=cannot, late_even_by_vehicle=min(late, cannot),
                vehicles_needed=int(math.ceil(cannot / seats - 1e-9)) if cannot else 0,
                free_flow_cannot_walk=free, late_in_simulation=sim_all,
                source="free flow" if late_row is None else "simulation",
            ))
    return out
