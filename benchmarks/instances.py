"""Benchmark instances built from the real networks in ``../shared/data`` (not needed at run time).

``center_out`` is the demand of the simulator peer benchmark (``../shared/bench/uxsim_center_out.py``): node
ids sorted; d = distance of each node from the mean of all node coordinates (in the node file's own units); origins =
nodes with d below the 20 % quantile; destinations = the 8 nodes with the largest d; rng = default_rng(0); each origin,
in sorted order, sends total / len(origins) persons, spread evenly over the first hour, to
destinations[rng.integers(8)].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evacplan.network.build import compile_network
from evacplan.network.readers.tntp import read_tntp
from evacplan.network.zones import ZoneMap
from evacplan.population.demand import Demand
from evacplan.problem.problem import Problem
from evacplan.problem.reach import reachable_rows
from evacplan.scenario.schema import GroupSpec, ModeSpec

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TNTP = {
    "siouxfalls": ("tntp/SiouxFalls/SiouxFalls_net.tntp", "tntp/SiouxFalls/SiouxFalls_node.tntp"),
    "anaheim": ("tntp/Anaheim/Anaheim_net.tntp", "tntp/Anaheim/anaheim_nodes.geojson"),
    "chicago": ("tntp/Chicago-Sketch/ChicagoSketch_net.tntp", "tntp/Chicago-Sketch/ChicagoSketch_node.tntp"),
    "sydney": ("tntp/Sydney/Sydney_net.tntp", "tntp/Sydney/Sydney_node.tntp"),
    "berlin": ("tntp/Berlin-Center/berlin-center_net.tntp", "tntp/Berlin-Center/berlin-center_node.tntp"),
}
#: Per network: the ``length`` column's unit and the factor that turns its ``free_flow_time`` column into minutes,
#: where the reader's defaults do not hold. Berlin-Center's header names no units: its lengths are metres (1,609
#: of them per unit of node coordinates on the median link, coordinates in miles, which the reader would otherwise
#: take for degrees and the lengths for km), and its free-flow times read as minutes would cap every street at
#: 4 km/h (median 2.2 km/h); read as tenths of a minute they give a median of 22 km/h and a top speed of 40 km/h.
UNITS: dict[str, tuple[str, float]] = {"berlin": ("m", 0.1)}
VEHICLE = (ModeSpec("vehicle", 40.0, 1.0, 1.0),)
WALK = (ModeSpec("walk", 1.34, 1.0, 1.0),)


@dataclass
class CenterOut:
    """A center-out instance: the problem plus the peer benchmark's fixed destination of each origin."""

    problem: Problem
    destination: np.ndarray  # node index of the assigned destination per demand row


def _largest_remainder(total: int, n: int) -> np.ndarray:
    base = np.full(n, total // n, dtype=np.int64)
    base[: total - int(base.sum())] += 1
    return base


def center_out(
    name: str,
    total: int,
    *,
    modes: tuple[ModeSpec, ...] = VEHICLE,
    release_min: float = 60.0,
    time_step_s: float = 60.0,
    horizon_min: float = 720.0,
    deadline_min: float | None = None,
    shared: Path = SHARED,
) -> CenterOut:
    """Build the center-out instance on one of the TNTP networks (``siouxfalls``, ``anaheim``, ``chicago``, ``sydney``,
    ``berlin``).

    Everyone in the central fifth of the nodes must reach one of the 8 most peripheral nodes (each a safe zone of
    unlimited capacity); departures are spread evenly over ``release_min`` minutes. The danger zone (the origins)
    must be cleared by ``deadline_min`` (default: the horizon).
    """
    net_file, node_file = TNTP[name]
    unit, minutes = UNITS.get(name, ("auto", 1.0))
    raw = read_tntp(shared / net_file, shared / node_file, length_unit=unit)
    if minutes != 1.0:
        raw.edges["vehicle_speed_mps"] = raw.edges["vehicle_speed_mps"] / minutes
    net = compile_network(raw, modes)
    ids = np.sort(raw.nodes["id"].to_numpy())
    xy = raw.nodes.set_index("id").loc[ids, ["x", "y"]].to_numpy()
    d = np.hypot(*(xy - xy.mean(0)).T)
    origins = ids[d < np.quantile(d, 0.2)]
    dests = ids[np.argsort(-d)[:8]]
    rng = np.random.default_rng(0)
    choice = dests[rng.integers(len(dests), size=len(origins))]
    pos = {int(v): i for i, v in enumerate(net.node_id)}
    o_idx = np.array([pos[int(o)] for o in origins], dtype=np.int32)
    d_idx = np.array([pos[int(o)] for o in choice], dtype=np.int64)
    n = net.n_nodes
    node_safe = np.full(n, -1, dtype=np.int32)
    for i, dn in enumerate(dests):
        node_safe[pos[int(dn)]] = i
    node_danger = np.full(n, -1, dtype=np.int32)
    node_danger[o_idx] = 0
    n_steps = int(round(horizon_min * 60 / time_step_s))
    t = np.arange(n_steps + 1) * time_step_s
    cdf = np.clip(t / (release_min * 60.0), 0.0, 1.0)[None, :]
    zones = ZoneMap(
        danger_names=("center",),
        danger_deadline_s=np.array([(horizon_min if deadline_min is None else deadline_min) * 60.0]),
        node_danger=node_danger,
        safe_names=tuple(f"exit{int(x)}" for x in dests),
        safe_capacity=np.full(len(dests), np.inf),
        node_safe=node_safe,
        safe_area_m2=np.full(len(dests), np.nan),
    )
    demand = Demand(
        origin=o_idx,
        group=np.zeros(len(o_idx), dtype=np.int16),
        mode=np.zeros(len(o_idx), dtype=np.int16),
        count=_largest_remainder(total, len(o_idx)),
        danger=np.zeros(len(o_idx), dtype=np.int32),
        curve=np.zeros(len(o_idx), dtype=np.int16),
        groups=(GroupSpec("everyone", 1.0, 1.34),),
    )
    problem = Problem(
        name=f"{name}-center-out",
        network=net,
        zones=zones,
        demand=demand,
        modes=modes,
        departure_cdf=cdf,
        time_step_s=time_step_s,
        horizon_s=horizon_min * 60.0,
        reachable=reachable_rows(net, zones, demand),
    )
    problem.validate()
    return CenterOut(problem, d_idx)
