"""One ensemble member, end to end: draw, perturb, (re-plan,) simulate, summarise as a JSON-ready record.

:func:`run_member` is the unit of work a Dask worker runs. It is a pure function of its arguments: the same
``(problem, plan, spec, index, seed, settings)`` always gives the same record (``runtime_s`` aside), so a task that
Dask re-runs after a worker died yields exactly what the lost one would have.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from evacplan.ensemble.draw import apply_draw, draw_member
from evacplan.problem.problem import Problem
from evacplan.scenario.uncertainty import UncertaintySpec
from evacplan.simulation import DEFAULT_STUCK_S, SimulationResult, simulate

if TYPE_CHECKING:
    from evacplan.planning import Plan

__all__ = ["RECORD_SCHEMA", "MemberSettings", "member_record", "queue_stats", "run_member"]

#: Version of the per-member record layout (``members/NNNNNN.json``).
RECORD_SCHEMA = 1


@dataclass(frozen=True)
class MemberSettings:
    """How each member is simulated (the same for every member of an ensemble).

    Attributes
    ----------
    packet_size
        Most persons moved together in the simulation.
    dt_s
        Simulation time step, seconds (at most 10).
    replan
        Re-plan every member on its own world (blockages and capacity losses known from the start) instead of
        following the one plan given.
    method
        Planning method when re-planning.
    curve_points
        Most points of each member's stored clearance curve (the step is a whole number of minutes).
    numba_threads
        Threads of the simulator's parallel kernels inside a member (1: the ensemble's parallelism comes from
        running members side by side, one per worker process); ``None`` leaves numba's setting alone.
    """

    packet_size: int = 50
    dt_s: float = 10.0
    replan: bool = False
    method: str = "fast"
    curve_points: int = 720
    numba_threads: int | None = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        return asdict(self)


def _minutes(seconds: float) -> float | None:
    return None if not math.isfinite(seconds) else round(seconds / 60.0, 4)


def queue_stats(records: NDArray[np.float64], n_edges: int) -> dict[str, list[float]]:
    """Per edge with a queue at some minute: minutes with a queue, queued person-minutes, largest queue."""
    q = records[records[:, 3] > 0] if len(records) else np.zeros((0, 5))
    e = q[:, 1].astype(np.int64)
    minutes = np.bincount(e, minlength=n_edges)
    person_min = np.bincount(e, weights=q[:, 3], minlength=n_edges)
    largest = np.zeros(n_edges)
    np.maximum.at(largest, e, q[:, 3])
    edges = np.flatnonzero(minutes)
    return {
        "edge": edges.tolist(),
        "queue_min": minutes[edges].tolist(),
        "queue_person_min": np.round(person_min[edges], 1).tolist(),
        "max_queue": largest[edges].tolist(),
    }


def member_record(
    world: Problem, result: SimulationResult, draw_record: dict[str, Any], index: int, seed: int, curve_points: int
) -> dict[str, Any]:
    """The JSON-ready summary of one member's simulation (see ``docs/ensemble.md`` for every field)."""
    s = result.summary(world)
    horizon_min = result.horizon_s / 60.0
    step = max(1, math.ceil(horizon_min / max(curve_points, 1)))
    grid = np.arange(math.ceil(horizon_min / step) + 1, dtype=np.float64) * step * 60.0
    curve = result.cumulative(grid)
    return {
        "schema": RECORD_SCHEMA,
        "member": int(index),
        "seed": int(seed),
        "draw": draw_record,
        "evacuees": s["evacuees"],
        "evacuated": s["evacuated"],
        "unreachable": s["unreachable"],
        "stranded": s["stranded"],
        "en_route_at_end": s["en_route_at_end"],
        "evacuation_time_min": s["evacuation_time_min"],
        "last_arrival_min": s["last_arrival_min"],
        "t50_min": s["t50_min"],
        "t90_min": s["t90_min"],
        "exposed": s["exposed"],
        "exposure_person_min": s["exposure_person_min"],
        "zones": [
            {"name": z["name"], "population": z["population"], "clearance_min": z["clearance_min"],
             "deadline_min": z["deadline_min"], "missed": not z["met"], "exposed": z["exposed"]}
            for z in s["danger_zones"]
        ],
        "curve_step_min": step,
        "curve": np.round(curve, 1).tolist(),
        "queues": queue_stats(result.edge_records, world.network.n_edges),
        "runtime_s": round(result.runtime_s, 3),
    }


def run_member(
    problem: Problem,
    plan: Plan | None,
    spec: UncertaintySpec,
    index: int,
    *,
    seed: int | None = None,
    settings: MemberSettings | None = None,
) -> dict[str, Any]:
    """Draw, build, (re-plan,) simulate and summarise member ``index``.

    Parameters
    ----------
    problem
        The built problem, as given by the scenario.
    plan
        The plan every member follows (a share ``compliance`` of its groups does), or ``None`` for self-routing
        evacuees (ignored when ``settings.replan``).
    spec
        The declared uncertainties.
    index
        Member index.
    seed
        Ensemble seed (default: the scenario's seed).
    settings
        Simulation settings.

    Returns
    -------
    dict
        The member's record (:func:`member_record`), ``runtime_s`` being the wall time of the whole member.
    """
    start = time.perf_counter()
    settings = settings or MemberSettings()
    if settings.numba_threads:
        import numba

        previous = numba.get_num_threads()
        numba.set_num_threads(min(settings.numba_threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
        try:
            return run_member(problem, plan, spec, index, seed=seed,
                              settings=dataclasses.replace(settings, numba_threads=None))
        finally:
            numba.set_num_threads(previous)
    draw = draw_member(problem, spec, index, seed)
    world = apply_draw(problem, draw)
    follow = plan
    if settings.replan:
        from evacplan.planning import plan as make_plan

        follow = make_plan(apply_draw(problem, draw, capacity_known=True), settings.method)
    result = simulate(
        world,
        follow,
        compliance=draw.compliance if follow is not None else 1.0,
        packet_size=settings.packet_size,
        dt_s=settings.dt_s,
        events=draw.events(),
        seed=draw.seed,
        stuck_s=DEFAULT_STUCK_S,
    )
    rec = member_record(world, result, draw.record(), index, draw.seed, settings.curve_points)
    rec["runtime_s"] = round(time.perf_counter() - start, 3)
    return rec
