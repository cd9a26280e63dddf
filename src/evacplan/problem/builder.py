"""From a scenario file to a :class:`~evacplan.problem.problem.Problem`: read, check, project, allocate."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

from evacplan.errors import Problem as Problem_
from evacplan.errors import ScenarioInvalid
from evacplan.network.build import compile_network
from evacplan.network.closures import closed_edge_mask
from evacplan.network.graph import Network
from evacplan.network.projection import local_metric_crs
from evacplan.network.readers.detect import read_network
from evacplan.network.zones import ZoneMap
from evacplan.population.allocate import people_per_node, split_demand
from evacplan.population.demand import Demand
from evacplan.population.sources import read_population
from evacplan.problem.cache import cache_key, load_cached, store_cached
from evacplan.problem.mobilization import departure_curve
from evacplan.problem.physics import whole_persons
from evacplan.problem.problem import Problem
from evacplan.problem.reach import reachable_nodes, reachable_rows
from evacplan.scenario._checks import Collector
from evacplan.scenario.layers import SAFE_SERVICE_COLUMNS, check_population, raise_if, read_zone_layers
from evacplan.scenario.load import load_scenario
from evacplan.scenario.schema import Scenario

__all__ = ["build_problem", "load_problem", "validate_scenario"]

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def load_problem(
    path: str | Path | None = None, *, cache: bool = True, progress: Progress | None = None
) -> Problem:
    """Read, check and build a scenario file (``None``: the bundled default), using the on-disk cache.

    Raises
    ------
    evacplan.errors.ScenarioInvalid
        Listing every problem in the scenario file and its layers.
    """
    scenario = load_scenario(path)
    key = cache_key(scenario) if cache else None
    if key is not None:
        cached = load_cached(key)
        if cached is not None:
            return cached
    problem = build_problem(scenario, progress=progress)
    if key is not None:
        store_cached(key, problem)
    return problem


def build_problem(scenario: Scenario, *, progress: Progress | None = None) -> Problem:
    """Build the arrays of a parsed scenario (no cache).

    Steps: read the network; choose a local metric CRS; read and check zone, closure and population layers; drop
    closed edges; compile per-mode CSR arrays; map zones to nodes; allocate people to nodes, groups and modes;
    evaluate departure curves; find who cannot reach safety.
    """
    say = progress or (lambda _msg: None)
    c = Collector(str(scenario.file))
    say("reading the network")
    ns = scenario.network
    try:
        raw = read_network(ns.path, ns.format, network_type=ns.network_type, nodes=ns.nodes, crs=ns.crs,
                           length_unit=ns.length_unit)
    except ValueError as exc:  # ScenarioError and friends
        c.add("network.path", str(exc), file=str(ns.path))
        raw = None
    say("reading zones and population")
    danger, safe, closed = read_zone_layers(scenario, c)
    check_population(scenario, c)
    _check_zone_mobilization(scenario, danger, c)
    raise_if(c)
    assert raw is not None and danger is not None and safe is not None
    crs = local_metric_crs(raw.crs, raw.nodes.x.to_numpy(), raw.nodes.y.to_numpy())
    if crs:
        danger, safe = danger.to_crs(crs), safe.to_crs(crs)
        closed = closed.to_crs(crs) if closed is not None else None

    say("compiling the network")
    drop = None
    if closed is not None:
        drop = closed_edge_mask(raw, crs, closed.geometry, scenario.closed.snap_m if scenario.closed else 50.0)
    net = compile_network(raw, scenario.modes, ns.defaults, crs=crs, drop_edges=drop)
    zones = _zone_map(scenario, net.x, net.y, danger, safe, metric=bool(crs))

    say("allocating the population")
    pts = read_population(scenario.population, crs)
    usable = _main_components(net.n_nodes, net.tail, net.head)
    if closed is not None and len(closed):
        polys = closed.geometry[closed.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(polys):
            usable &= ~shapely.contains_xy(shapely.union_all(polys.values), net.x, net.y)
    persons, off = people_per_node(net, pts, usable, scenario.population.max_snap_m, scenario.population.scale_to)
    zones = _deduct_residents(zones, persons)
    placed = int(persons.sum())
    if scenario.population.evacuate == "danger_zones":
        persons = np.where(zones.node_danger >= 0, persons, 0)
    persons = np.where(zones.node_safe >= 0, 0, persons)  # people already in a safe zone stay
    node_curve = np.zeros(net.n_nodes, dtype=np.int16)
    for i, (zone_name, _spec) in enumerate(scenario.zone_mobilization):
        z = zones.danger_names.index(zone_name)
        node_curve[zones.node_danger == z] = i + 1
    demand = split_demand(persons, zones.node_danger, node_curve, scenario.population.groups, scenario.modes)
    demand = _walk_if_stuck(net, zones, demand)
    dt = scenario.time_step_min * 60.0
    n_steps = int(np.ceil(scenario.horizon_min * 60.0 / dt))
    t_min = np.arange(n_steps + 1, dtype=np.float64) * scenario.time_step_min
    specs = [scenario.mobilization] + [s for _, s in scenario.zone_mobilization]
    cdf = np.vstack([departure_curve(s, t_min) for s in specs])
    problem = Problem(
        name=scenario.name,
        network=net,
        zones=zones,
        demand=demand,
        modes=scenario.modes,
        departure_cdf=cdf,
        time_step_s=dt,
        horizon_s=n_steps * dt,
        seed=scenario.seed,
        reachable=reachable_rows(net, zones, demand),
        off_network=off,
        standards=scenario.standards,
        closed_edges=int(drop.sum()) if drop is not None else 0,
        jam_density_p_per_m2=scenario.network.defaults.jam_density_p_per_m2,
        placed=placed,
        provenance=scenario.provenance.sentence(),
    )
    problem.validate()
    return problem


def _deduct_residents(zones: ZoneMap, persons: np.ndarray) -> ZoneMap:
    """Residents of a safe zone count against its capacity: room left = declared capacity - residents (>= 0)."""
    inside = zones.node_safe >= 0
    residents = np.bincount(zones.node_safe[inside], weights=persons[inside].astype(np.float64),
                            minlength=len(zones.safe_names)).astype(np.float64)
    declared = zones.safe_capacity.astype(np.float64)
    left = np.maximum(declared - residents, 0.0)
    return dataclasses.replace(zones, safe_capacity=left, safe_residents=residents, safe_declared_capacity=declared)


def _main_components(n: int, tail: np.ndarray, head: np.ndarray, share: float = 0.02) -> np.ndarray:
    """Nodes of the weakly connected components holding at least ``share`` of the nodes (or the largest one).

    People are placed on these nodes only: a scrap of footpath cut off from everything is not where people start;
    they start on the nearest street of the real network. A sizeable part cut off by a closure keeps its people, who
    are then reported as having no path to safety.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    g = csr_matrix((np.ones(tail.size, dtype=np.int8), (tail, head)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    size = np.bincount(label)
    big = size >= max(share * n, 1)
    big[np.argmax(size)] = True
    has_edge = np.zeros(n, dtype=bool)
    has_edge[tail] = True
    has_edge[head] = True
    return big[label] & has_edge


def _walk_if_stuck(net: Network, zones: ZoneMap, demand: Demand) -> Demand:
    """People whose cart or vehicle cannot reach safety from their node walk instead (rows merged)."""
    if "walk" not in net.modes:
        return demand
    walk = net.modes.index("walk")
    ok = reachable_rows(net, zones, demand)
    walk_ok = reachable_nodes(net, zones, walk)[demand.origin]
    switch = (~ok) & walk_ok & (demand.mode != walk)
    if not switch.any():
        return demand
    mode = demand.mode.copy()
    mode[switch] = walk
    key = np.c_[demand.origin, demand.group, mode, demand.danger, demand.curve]
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    count = np.bincount(inv.ravel(), weights=demand.count, minlength=len(uniq)).astype(np.int64)
    return Demand(
        origin=uniq[:, 0].astype(np.int32), group=uniq[:, 1].astype(np.int16), mode=uniq[:, 2].astype(np.int16),
        count=count, danger=uniq[:, 3].astype(np.int32), curve=uniq[:, 4].astype(np.int16), groups=demand.groups,
    )


def _check_zone_mobilization(scenario: Scenario, danger: object, c: Collector) -> None:
    if danger is None:
        return
    names = list(danger["name"])  # type: ignore[index]
    for zone_name, _ in scenario.zone_mobilization:
        if zone_name not in names:
            c.add(f"mobilization.zones.{zone_name}", f"no danger zone is named {zone_name!r} (zones: {names})")


def _zone_map(
    scenario: Scenario, x: np.ndarray, y: np.ndarray, danger: object, safe: object, metric: bool
) -> ZoneMap:
    n = x.size
    d_names = tuple(str(v) for v in danger["name"])  # type: ignore[index]
    deadlines = danger["clear_by"].astype(float).to_numpy() * 60.0  # type: ignore[index]
    node_danger = np.full(n, -1, dtype=np.int32)
    best = np.full(n, np.inf)
    for z, geom in enumerate(danger.geometry):  # type: ignore[attr-defined]
        inside = shapely.contains_xy(geom, x, y) & (deadlines[z] < best)
        node_danger[inside] = z
        best[inside] = deadlines[z]
    s_names = tuple(str(v) for v in safe["name"])  # type: ignore[index]
    node_safe = np.full(n, -1, dtype=np.int32)
    for z, geom in enumerate(safe.geometry):  # type: ignore[attr-defined]
        node_safe[shapely.contains_xy(geom, x, y) & (node_safe < 0)] = z
    # polygon areas mean something only in a metric CRS; abstract networks need `area_m2` or `capacity`
    geo_area = safe.geometry.area.to_numpy() if metric else np.full(len(s_names), np.nan)  # type: ignore[attr-defined]
    area = _column(safe, "area_m2", geo_area)
    per_person = scenario.standards.capacity_m2_per_person
    capacity = _column(safe, "capacity", np.where(np.isfinite(area), area / per_person, np.inf))
    capacity = np.where(np.isnan(capacity), np.where(np.isfinite(area), area / per_person, np.inf), capacity)
    capacity = whole_persons(capacity)
    services = {col: _column(safe, col, np.full(len(s_names), np.nan)) for col in SAFE_SERVICE_COLUMNS}
    return ZoneMap(d_names, deadlines, node_danger, s_names, capacity, node_safe, area, services)


def _column(gdf: object, col: str, default: np.ndarray) -> np.ndarray:
    if col not in gdf.columns:  # type: ignore[attr-defined]
        return default.astype(np.float64)
    vals = gdf[col].astype(float).to_numpy()  # type: ignore[index]
    return np.where(np.isnan(vals), default, vals).astype(np.float64)


def validate_scenario(path: str | Path | None = None) -> list[Problem_]:
    """Every problem in a scenario file and its layers (empty when it is valid).

    The scenario is built (without the cache) so that every layer is read and checked.
    """
    try:
        build_problem(load_scenario(path))
    except ScenarioInvalid as exc:
        return exc.problems
    return []
