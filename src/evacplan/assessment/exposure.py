"""Exposure: people still inside a danger zone after its deadline, by zone, in persons and person-minutes.

With a simulation the figures are the simulator's own (persons inside a danger zone at some time after its onset,
and the person-minutes they spent there). Without one they are estimated from the plan: a planned group is exposed
from its zone's deadline until it reaches the first node of its path outside every danger zone (free-flow time on
the edge it leaves by); persons the plan could not send anywhere stay exposed until the horizon.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evacplan.problem.problem import Problem

if TYPE_CHECKING:
    from evacplan.planning import Plan
    from evacplan.simulation import SimulationResult

__all__ = ["ZoneExposure", "exposure", "plan_exit_times"]


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


def plan_exit_times(problem: Problem, plan: Plan) -> NDArray[np.float64]:
    """Time each plan group reaches the first node of its path outside every danger zone, seconds.

    A group whose origin lies outside every danger zone gets its departure time; a group whose path never leaves the
    danger zones gets its arrival time.
    """
    net, d, z = problem.network, problem.demand, problem.zones
    g = plan.n_groups
    out = plan.arrival_s.astype(np.float64).copy()
    if g == 0:
        return out
    rows = plan.row.astype(np.int64)
    outside_origin = z.node_danger[d.origin[rows]] < 0
    out[outside_origin] = plan.departure_s[outside_origin]
    if plan.path_edges.size == 0:
        return out
    grp = np.repeat(np.arange(g), np.diff(plan.path_indptr))
    e = plan.path_edges
    # first edge of each path that ends outside every danger zone (``grp`` is sorted, so is ``grp[idx]``)
    idx = np.flatnonzero(z.node_danger[net.head[e]] < 0)
    if idx.size == 0 or plan.path_entry_s.size != e.size:
        return out
    gi = grp[idx]
    keep = np.r_[True, gi[1:] != gi[:-1]]
    gi, idx = gi[keep], idx[keep]
    # free time of that edge for its group's (mode, demographic group) class
    n_groups = max(len(d.groups), 1)
    keys, cls = np.unique(d.mode[rows].astype(np.int64) * n_groups + d.group[rows], return_inverse=True)
    table = np.vstack([problem.edge_time_s(int(k // n_groups), int(k % n_groups)) for k in keys])
    t_edge = table[cls[gi], e[idx]]
    t_exit = plan.path_entry_s[idx] + np.where(np.isfinite(t_edge), t_edge, 0.0)
    has = ~outside_origin[gi]
    out[gi[has]] = np.minimum(t_exit[has], plan.arrival_s[gi[has]])
    return out


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
    t_exit = plan_exit_times(problem, plan)
    zone = d.danger[plan.row] if plan.n_groups else np.zeros(0, dtype=np.int32)
    for i, name in enumerate(z.danger_names):
        dl = float(z.danger_deadline_s[i])
        sel = (zone == i) & (t_exit > dl + 1e-9)
        late = plan.count[sel]
        pm = float((late * (t_exit[sel] - dl)).sum()) / 60.0
        left = int(plan.unplanned[d.danger == i].sum())
        pm += left * max(problem.horizon_s - dl, 0.0) / 60.0
        out.append(ZoneExposure(name, dl / 60.0, pops[i], int(late.sum()) + left, round(pm, 3), "plan"))
    return out
