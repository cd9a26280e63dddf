"""From a scenario file to a :class:`~evacplan.problem.problem.Problem`: read, check, project, allocate."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from evacplan.errors import InternalError, ScenarioInvalid
from evacplan.errors import Problem as Problem_
from evacplan.network.build import compile_network
from evacplan.network.closures import closed_edge_mask
from evacplan.network.graph import Network
from evacplan.network.projection import local_metric_crs
from evacplan.network.raw import RawNetwork
from evacplan.network.readers.detect import read_network
from evacplan.network.zones import ZoneMap
from evacplan.population.allocate import people_per_node, split_demand
from evacplan.population.demand import Demand
from evacplan.population.sources import PopulationPoints, read_population
from evacplan.problem.cache import cache_key, load_cached, store_cached
from evacplan.problem.mobilization import departure_curve
from evacplan.problem.physics import whole_persons
from evacplan.problem.problem import Problem
from evacplan.problem.reach import reachable_nodes, reachable_rows
from evacplan.problem.sanity import (
    LayerExtent,
    bounds_of,
    count_findings,
    extent_findings,
    polygon_density_findings,
    require_sane,
)
from evacplan.progress import Progress
from evacplan.scenario._checks import Collector
from evacplan.scenario._raster import RasterScan
from evacplan.scenario.layers import (
    MAX_PROJECTED_COORD,
    SAFE_SERVICE_COLUMNS,
    check_population,
    raise_if,
    read_zone_layers,
)
from evacplan.scenario.load import load_scenario
from evacplan.scenario.schema import Scenario

__all__ = [
    "build_problem",
    "load_problem",
    "main_components",
    "validate_scenario",
    "variant_layer_problems",
    "variant_problems",
]

log = logging.getLogger(__name__)


def load_problem(
    path: str | Path | None = None, *, cache: bool = True, progress: Progress | None = None, force: bool = False
) -> Problem:
    """Read, check and build a scenario file (``None``: the bundled default), using the on-disk cache.

    Parameters
    ----------
    path
        The scenario file.
    cache
        Use the on-disk build cache (``EVACPLAN_CACHE_DIR``).
    progress
        Called with a message as each step starts.
    force
        Return the problem even when the sanity checks find it implausible (its ``findings`` list them).

    Raises
    ------
    evacplan.errors.ScenarioInvalid
        Listing every problem in the scenario file and its layers.
    evacplan.errors.ScenarioImplausible
        Listing every sanity finding (nobody in danger, every refuge unreachable, ...), unless ``force``.
    """
    scenario = load_scenario(path)
    key = cache_key(scenario) if cache else None
    problem = load_cached(key) if key is not None else None
    if problem is None:
        problem = build_problem(scenario, progress=progress)
        if key is not None:
            store_cached(key, problem)
    require_sane(problem.findings, force)
    return problem


def build_problem(scenario: Scenario, *, progress: Progress | None = None) -> Problem:
    """Build the arrays of a parsed scenario (no cache).

    Steps: read the network; choose a local metric CRS; read and check zone, closure and population layers; drop
    closed edges; compile per-mode CSR arrays; map zones to nodes; allocate people to nodes, groups and modes;
    evaluate departure curves; find who cannot reach safety; run the sanity checks (:mod:`evacplan.problem.sanity`),
    whose findings the problem carries in ``findings`` (this function does not stop on them: see
    :func:`load_problem` and :func:`evacplan.problem.sanity.require_sane`).

    Raises
    ------
    evacplan.errors.ScenarioInvalid
        Listing every problem of the layers.
    """
    def say(message: str) -> None:
        if progress is not None:
            progress(message, None)

    c = Collector(str(scenario.file))
    say("reading the network")
    ns = scenario.network
    raw: RawNetwork | None
    try:
        raw = read_network(ns.path, ns.format, network_type=ns.network_type, nodes=ns.nodes, crs=ns.crs,
                           length_unit=ns.length_unit)
    except (ValueError, KeyError, OSError) as exc:  # ScenarioError and friends; a reader's surprise at bad data
        c.add("network.path", _reader_message(exc), file=str(ns.path))
        raw = None
    if raw is not None:
        _check_network(raw, c, str(ns.path))
    say("reading zones and population")
    danger, safe, closed = read_zone_layers(scenario, c)
    scan = check_population(scenario, c)
    _check_zone_mobilization(scenario, danger, c)
    raise_if(c)
    findings = [p for p in c.problems if p.forceable]
    if raw is None or danger is None or safe is None:  # raise_if(c) above raises when a layer could not be read
        raise InternalError("a layer could not be read but no problem was recorded")
    crs = local_metric_crs(raw.crs, raw.nodes.x.to_numpy(), raw.nodes.y.to_numpy())
    layers_in = (danger, safe, closed)
    if crs:
        danger, safe = _project(danger, crs), _project(safe, crs)
        closed = _project(closed, crs) if closed is not None else None

    say("compiling the network")
    drop = None
    if closed is not None:
        drop = closed_edge_mask(raw, crs, closed.geometry, scenario.closed.snap_m if scenario.closed else 50.0)
    net = compile_network(raw, scenario.modes, ns.defaults, crs=crs, drop_edges=drop)
    zones = _zone_map(scenario, net.x, net.y, danger, safe, metric=bool(crs))

    say("allocating the population")
    pts = read_population(scenario.population, crs, scan)
    usable = main_components(net.n_nodes, net.tail, net.head)
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
    reachable = reachable_rows(net, zones, demand)
    findings += _sanity(scenario, raw, crs, net, zones, layers_in, scan, pts, (placed, off, int(usable.sum())),
                        demand, reachable, int(drop.sum()) if drop is not None else 0)
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
        reachable=reachable,
        off_network=off,
        standards=scenario.standards,
        closed_edges=int(drop.sum()) if drop is not None else 0,
        jam_density_p_per_m2=scenario.network.defaults.jam_density_p_per_m2,
        placed=placed,
        provenance=scenario.provenance.sentence(),
        findings=tuple(findings),
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
def _reader_message(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, KeyError):
        return f"the network file lacks a field its format needs: {text}"
    if isinstance(exc, OSError):
        return f"cannot read the network: {exc.strerror or text}"
    return text


#: No street edge is longer than this (1,000 km); a longer one is a length in the wrong unit.
MAX_EDGE_LENGTH_M = 1e6


def _check_network(raw: RawNetwork, c: Collector, f: str) -> None:
    """Node coordinates that are not finite or that the network's CRS cannot hold; a network with no edge; edges
    of absurd length."""
    x = pd.to_numeric(raw.nodes.x, errors="coerce").to_numpy(dtype=np.float64)
    y = pd.to_numeric(raw.nodes.y, errors="coerce").to_numpy(dtype=np.float64)
    if x.size == 0 or len(raw.edges) == 0:
        c.add("network.path", f"the network has {x.size} node(s) and {len(raw.edges)} edge(s); expected streets",
              file=f)
        return
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        i = int(np.argmax(bad))
        c.add("network.path", f"{int(bad.sum())} node(s) have coordinates that are not numbers (node "
              f"{raw.nodes['id'].iloc[i]!r}: x={raw.nodes.x.iloc[i]!r}, y={raw.nodes.y.iloc[i]!r})", file=f)
        return
    if "length_m" in raw.edges.columns:
        length = pd.to_numeric(raw.edges["length_m"], errors="coerce").to_numpy(dtype=np.float64)
        long = np.isfinite(length) & (length > MAX_EDGE_LENGTH_M) | np.isinf(length)
        if long.any():
            i = int(np.argmax(long))
            edge = raw.edges["edge_id"].astype(object).iloc[i]
            c.add("network.path", f"{int(long.sum())} edge(s) longer than {MAX_EDGE_LENGTH_M / 1000:,.0f} km (edge "
                  f"{edge!r}: length {length[i]:.3g} m): a length in the wrong unit?", file=f)
    box = f"x {x.min():.6g}..{x.max():.6g}, y {y.min():.6g}..{y.max():.6g}"
    if raw.crs:
        from pyproj import CRS

        geographic = CRS.from_user_input(raw.crs).is_geographic
        if geographic and (x.min() < -180 or x.max() > 360 or y.min() < -90 or y.max() > 90):
            c.add("network.crs", f"node coordinates ({box}) are not degrees of longitude and latitude, yet the "
                  f"network's CRS is {raw.crs}: set network.crs to the CRS of the coordinates", file=f)
        elif not geographic and max(np.abs(x).max(), np.abs(y).max()) > MAX_PROJECTED_COORD:
            c.add("network.path", f"node coordinates ({box}) lie beyond the Earth in {raw.crs}", file=f)


def _project(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """``gdf`` in ``crs``; coordinates the projection cannot take become empty geometries (never placed)."""
    with np.errstate(all="ignore"):
        out = gdf.to_crs(crs)
    b = bounds_of(out.geometry)
    bad = ~np.isfinite(b).all(axis=1) & out.geometry.notna().to_numpy()
    if bad.any():
        out = out.copy()
        out.loc[bad, "geometry"] = None
    return out


def _labels(gdf: gpd.GeoDataFrame | None) -> list[str]:
    if gdf is None:
        return []
    col = "name" if "name" in gdf.columns else None
    return [f"{i} (name={gdf[col].iloc[i]!r})" if col else str(i) for i in range(len(gdf))]


def _sanity(
    scenario: Scenario, raw: RawNetwork, crs: str, net: Network, zones: ZoneMap,
    layers: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame | None],
    scan: RasterScan | None, pts: PopulationPoints, placement: tuple[int, int, int], demand: Demand,
    reachable: NDArray[np.bool_], closed_edges: int,
) -> list[Problem_]:
    """The sanity findings of a built scenario (see :mod:`evacplan.problem.sanity`); ``placement`` is (people
    placed, people off the network, usable nodes)."""
    placed, off, usable_nodes = placement
    danger, safe, closed = layers
    pop = scenario.population
    extents = [
        LayerExtent("danger_zones", str(scenario.danger_zones.path), _crs(danger), bounds_of(danger.geometry),
                    _labels(danger)),
        LayerExtent("safe_zones", str(scenario.safe_zones.path), _crs(safe), bounds_of(safe.geometry),
                    _labels(safe)),
    ]
    if closed is not None and scenario.closed is not None:
        extents.append(LayerExtent("closed", str(scenario.closed.path), _crs(closed), bounds_of(closed.geometry),
                                   _labels(closed), margin_m=scenario.closed.snap_m, per_feature=False))
    if scan is not None and scan.count.size:
        box = np.array([[scan.x.min(), scan.y.min(), scan.x.max(), scan.y.max()]])
        extents.append(LayerExtent("population", str(pop.path), scan.crs, box, ["cells"], margin_m=pop.max_snap_m,
                                   per_feature=False))
    elif scan is None and pop.kind != "raster":
        gdf = gpd.read_file(pop.path)
        extents.append(LayerExtent("population", str(pop.path), _crs(gdf), bounds_of(gdf.geometry), _labels(gdf),
                                   margin_m=pop.max_snap_m, per_feature=False))
    net_box = (float(net.x.min()), float(net.y.min()), float(net.x.max()), float(net.y.max()))
    out = extent_findings(extents, crs, raw.crs, net_box)
    off_layers = {f.where.split(" ")[0] for f in out if "touches a street" in f.message or "cannot be placed" in
                  f.message}
    if {"danger_zones", "safe_zones", "population"} <= off_layers:
        # the network, not each layer, is likely the one in the wrong place: no advice to move every layer
        out = [dataclasses.replace(f, message=f.message.split("; it would overlap")[0]) for f in out]
        out.insert(0, Problem_(str(scenario.network.path), "network", "every layer lies off the network: is "
                               f"network.crs right? (the network's nodes: x {raw.nodes.x.min():.6g}.."
                               f"{raw.nodes.x.max():.6g}, y {raw.nodes.y.min():.6g}..{raw.nodes.y.max():.6g} in "
                               f"{raw.crs or 'no CRS'})", True))
    total = float(pts.count.sum())
    factor = pop.scale_to / total if pop.scale_to is not None and total > 0 else 1.0
    if pts.polygons is not None and crs:
        out += polygon_density_findings(str(pop.path), pts.polygons, pts.count, factor,
                                        scenario.network.defaults.jam_density_p_per_m2,
                                        [str(i) for i in range(len(pts.count))])
    safe_nodes = np.bincount(zones.node_safe[zones.node_safe >= 0], minlength=len(zones.safe_names))
    jam = scenario.network.defaults.jam_density_p_per_m2
    street_m2 = float(net.storage.sum()) / 2.0 / jam if crs else 0.0
    out += count_findings(
        population_file=str(pop.path), danger_file=str(scenario.danger_zones.path),
        safe_file=str(scenario.safe_zones.path),
        closed_file=str(scenario.closed.path) if scenario.closed is not None else None, evacuate=pop.evacuate,
        max_snap_m=pop.max_snap_m, total=total * factor, placed=placed, off_network=off, usable_nodes=usable_nodes,
        danger_nodes=int((zones.node_danger >= 0).sum()),
        danger_names=zones.danger_names, evacuees=demand.total, unreachable=int(demand.count[~reachable].sum()),
        safe_nodes=[int(k) for k in safe_nodes], safe_names=zones.safe_names, safe_capacity=zones.safe_capacity,
        closed_edges=closed_edges, street_m2=street_m2,
    )
    return out


def _crs(gdf: object) -> str | None:
    crs = getattr(gdf, "crs", None)
    return crs.to_string() if crs is not None else None


def main_components(n: int, tail: np.ndarray, head: np.ndarray, share: float = 0.02) -> np.ndarray:
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
    return ZoneMap(d_names, deadlines, node_danger, s_names, capacity, node_safe, area, services,
                   safe_drawn_area_m2=geo_area.astype(np.float64))


def _column(gdf: object, col: str, default: np.ndarray) -> np.ndarray:
    if col not in gdf.columns:  # type: ignore[attr-defined]
        return default.astype(np.float64)
    vals = gdf[col].astype(float).to_numpy()  # type: ignore[index]
    return np.where(np.isnan(vals), default, vals).astype(np.float64)


def validate_scenario(path: str | Path | None = None) -> list[Problem_]:
    """Every problem and sanity finding of a scenario file, its layers and its variants (empty when it is valid).

    The scenario is built (without the cache) so that every layer is read and checked; then every variant's layers
    are checked exactly like the baseline's, and each variant that changes the network or the zones is built and
    checked for sanity too. Findings have ``forceable=True``.
    """
    try:
        scenario = load_scenario(path)
    except ScenarioInvalid as exc:
        return exc.problems
    try:
        problem = build_problem(scenario)
    except ScenarioInvalid as exc:
        return exc.problems + variant_layer_problems(scenario)
    return list(problem.findings) + variant_problems(scenario, known=problem.findings)


def variant_layer_problems(scenario: Scenario, only: Iterable[str] | None = None) -> list[Problem_]:
    """Problems of the layers the variants add (read and checked like the baseline's layers).

    ``only``: the names of the variants to check (default: every variant).
    """
    from evacplan.scenario.layers import read_layer

    c = Collector(str(scenario.file))
    names = None if only is None else set(only)
    for i, spec in enumerate(scenario.variants):
        if spec.closed is not None and (names is None or spec.name in names):
            read_layer(c, spec.closed, None, f"variants[{i}].closed ({spec.name})")
    return c.problems


def variant_problems(scenario: Scenario, known: Iterable[Problem_] = ()) -> list[Problem_]:
    """:func:`variant_layer_problems`, then each layer-changing variant built and checked for sanity (findings
    already ``known`` from the baseline, same file and message, are not repeated)."""
    import tempfile

    from evacplan.scenario.variants import variant_scenario

    out = variant_layer_problems(scenario)
    if [p for p in out if not p.forceable]:
        return out
    for i, spec in enumerate(scenario.variants):
        if not spec.changes_network:
            continue
        with tempfile.TemporaryDirectory(prefix="evacplan-variant-") as tmp:
            try:
                problem = build_problem(variant_scenario(scenario, spec, tmp))
            except ScenarioInvalid as exc:
                found = exc.problems
            else:
                found = list(problem.findings)
            seen = {(p.file, p.message) for p in known}
            for p in found:
                if (p.file, p.message) in seen:
                    continue
                file = p.file
                if spec.closed is not None and Path(file).parent == Path(tmp):
                    file = str(spec.closed)  # the variant's closures merged with the scenario's
                out.append(Problem_(file, f"variants[{i}] ({spec.name}): {p.where}", p.message, p.forceable))
    return out
