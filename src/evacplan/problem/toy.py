"""Small hand-made problems for tests, examples and notebooks (no files needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evacplan.network.graph import Network, csr_from_edges
from evacplan.network.zones import ZoneMap
from evacplan.population.demand import Demand
from evacplan.problem.physics import whole_persons
from evacplan.problem.problem import Problem
from evacplan.problem.reach import reachable_rows
from evacplan.scenario.schema import GroupSpec, ModeSpec

__all__ = ["toy_problem"]


def _edge_names(names: Sequence[str | None] | None, order: np.ndarray) -> dict[str, Any]:
    if names is None:
        return {}
    if len(names) != len(order):
        raise ValueError(f"names: {len(names)} given for {len(order)} edges")
    table = list(dict.fromkeys(n for n in names if n))
    index = np.array([table.index(n) if n else -1 for n in names], dtype=np.int32)
    return {"edge_name": index[order], "street_names": tuple(table)}


def toy_problem(
    n_nodes: int,
    edges: Sequence[tuple[int, int, float, float]] | Sequence[tuple[int, int, float, float, float]],
    sources: Mapping[int, int] | Sequence[tuple[int, int, int]],
    safe: Mapping[int, int],
    *,
    safe_capacity: Sequence[float] | None = None,
    danger: Mapping[int, int] | None = None,
    deadlines_s: Sequence[float] = (),
    departure_cdf: Sequence[Sequence[float]] | None = None,
    time_step_s: float = 60.0,
    horizon_s: float | None = None,
    group_speeds_mps: Sequence[float] = (),
    xy: Sequence[tuple[float, float]] | None = None,
    names: Sequence[str | None] | None = None,
) -> Problem:
    """Build a one-mode (walking) problem from an edge list.

    Parameters
    ----------
    n_nodes
        Number of nodes, indexed ``0..n_nodes-1``.
    edges
        ``(tail, head, free_time_s, capacity_per_s)`` or ``(..., storage)`` per directed edge. Lengths are set so that
        the free time holds at 1 m/s.
    sources
        ``{node: persons}``, or ``(node, persons, curve)`` triples to give rows their own departure curve. With
        ``group_speeds_mps``, ``(node, persons, curve, group)`` quadruples.
    safe
        ``{node: safe_zone_index}``.
    safe_capacity
        Capacity of each safe zone (default unlimited).
    danger
        ``{node: danger_zone_index}`` (default: every source node in zone 0).
    deadlines_s
        Deadline of each danger zone (default one zone with deadline ``horizon_s``).
    departure_cdf
        Cumulative departed share per curve and step (default: everyone leaves at time 0).
    time_step_s
        Time step in seconds.
    horizon_s
        Horizon in seconds (default: the length of ``departure_cdf``, or 1000 steps).
    group_speeds_mps
        Walking speeds of extra demographic groups (group 0 walks at 1 m/s, the edges' own speed).
    xy
        Node coordinates (default: nodes on a line 100 m apart).
    names
        Street name of each edge (``None`` for none), in the order of ``edges`` (default: no names).
    """
    tail = np.array([e[0] for e in edges], dtype=np.int64)
    head = np.array([e[1] for e in edges], dtype=np.int64)
    time_s = np.array([e[2] for e in edges], dtype=np.float64)
    cap = np.array([e[3] for e in edges], dtype=np.float64)
    storage = np.array([e[4] if len(e) > 4 else 1e12 for e in edges], dtype=np.float64)
    order, indptr = csr_from_edges(n_nodes, tail, head)
    if xy is None:
        coords = np.c_[np.arange(n_nodes) * 100.0, np.zeros(n_nodes)]
    else:
        coords = np.asarray(xy, dtype=np.float64)
    net = Network(
        node_id=np.arange(n_nodes, dtype=np.int64),
        x=coords[:, 0].copy(),
        y=coords[:, 1].copy(),
        crs="",
        indptr=indptr,
        tail=tail[order].astype(np.int32),
        head=head[order].astype(np.int32),
        length_m=time_s[order].copy(),
        modes=("walk",),
        speed_mps=np.ones((1, len(edges))),
        capacity_per_s=cap[order][None, :].copy(),
        storage=storage[order].copy(),
        edge_id=order.copy(),
        **_edge_names(names, order),
    )
    if departure_cdf is None:
        n_steps = int(np.ceil(horizon_s / time_step_s)) if horizon_s is not None else 1000
        cdf = np.ones((1, n_steps + 1))
    else:
        cdf = np.asarray(departure_cdf, dtype=np.float64)
        if cdf.ndim == 1:
            cdf = cdf[None, :]
    horizon = float(horizon_s if horizon_s is not None else (cdf.shape[1] - 1) * time_step_s)

    given: list[tuple[int, ...]] = (
        [(n, c) for n, c in sources.items()] if isinstance(sources, Mapping) else [tuple(r) for r in sources]
    )
    rows = [(*r, *(0,) * (4 - len(r))) for r in given]
    node_danger = np.full(n_nodes, -1, dtype=np.int32)
    if danger is None:
        for r in rows:
            node_danger[r[0]] = 0
        n_danger = 1 if rows else 0
    else:
        for n, z in danger.items():
            node_danger[n] = z
        n_danger = int(node_danger.max()) + 1
    deadlines = np.array(list(deadlines_s) or [horizon] * n_danger, dtype=np.float64)
    node_safe = np.full(n_nodes, -1, dtype=np.int32)
    for n, z in safe.items():
        node_safe[n] = z
    n_safe = int(node_safe.max()) + 1
    capacity = whole_persons(np.array(safe_capacity if safe_capacity is not None else [np.inf] * n_safe,
                                      dtype=np.float64))
    zones = ZoneMap(
        danger_names=tuple(f"danger{i}" for i in range(len(deadlines))),
        danger_deadline_s=deadlines,
        node_danger=node_danger,
        safe_names=tuple(f"safe{i}" for i in range(n_safe)),
        safe_capacity=capacity,
        node_safe=node_safe,
        safe_area_m2=np.full(n_safe, np.nan),
    )
    groups = (
        GroupSpec("everyone", 1.0, 1.0),
        *(GroupSpec(f"group{i + 1}", 0.0, float(v)) for i, v in enumerate(group_speeds_mps)),
    )
    origin = np.array([r[0] for r in rows], dtype=np.int32)
    demand = Demand(
        origin=origin,
        group=np.array([r[3] for r in rows], dtype=np.int16),
        mode=np.zeros(len(rows), dtype=np.int16),
        count=np.array([r[1] for r in rows], dtype=np.int64),
        danger=node_danger[origin].astype(np.int32),
        curve=np.array([r[2] for r in rows], dtype=np.int16),
        groups=groups,
    )
    modes = (ModeSpec("walk", 1.0, 1.0, 1.0),)
    problem = Problem(
        name="toy",
        network=net,
        zones=zones,
        demand=demand,
        modes=modes,
        departure_cdf=cdf,
        time_step_s=float(time_step_s),
        horizon_s=horizon,
        reachable=reachable_rows(net, zones, demand),
    )
    problem.validate()
    return problem
