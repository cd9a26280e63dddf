"""Geodata of a run: per-edge flows and queues, main routes, zones with their metrics.

Written two ways: a GeoPackage for QGIS (:func:`write_geopackage`, geometries in the network's CRS) and the compact
``map.json`` the HTML report draws (:func:`map_data`).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from evacplan._atomic import atomic_path
from evacplan.network.geometry import edge_lines, path_lines
from evacplan.network.names import edge_names
from evacplan.planning.paths import edge_persons
from evacplan.planning.views import main_routes
from evacplan.problem.problem import Problem
from evacplan.report.streets import street_label
from evacplan.scenario.schema import Scenario

if TYPE_CHECKING:
    from evacplan.planning import Plan
    from evacplan.simulation import SimulationResult

__all__ = ["GPKG_LAYERS", "edge_metrics", "main_routes", "map_data", "safe_by_deadline", "scenario_layers",
           "write_geopackage"]

#: Layers of the GeoPackage.
GPKG_LAYERS = ("edges", "routes", "danger_zones", "safe_zones", "closed")
_N_BOTTLENECKS = 15


def scenario_layers(scenario: Scenario, crs: str) -> dict[str, gpd.GeoDataFrame]:
    """The scenario's danger zones, safe zones and closures, in ``crs`` (``"closed"`` only when there is one)."""

    def read(path: Path, layer: str | None) -> gpd.GeoDataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
        return gdf.to_crs(crs) if crs and gdf.crs is not None else gdf

    out = {
        "danger_zones": read(scenario.danger_zones.path, scenario.danger_zones.layer),
        "safe_zones": read(scenario.safe_zones.path, scenario.safe_zones.layer),
    }
    for key, spec in (("danger_zones", scenario.danger_zones), ("safe_zones", scenario.safe_zones)):
        if spec.name_column != "name" and spec.name_column in out[key].columns:
            out[key] = out[key].rename(columns={spec.name_column: "name"})
    if scenario.closed is not None:
        out["closed"] = read(scenario.closed.path, scenario.closed.layer)
    return out


def _plan_bottleneck_edges(plan: Plan | None) -> list[int]:
    if plan is None:
        return []
    out = []
    for text in plan.bottlenecks:
        m = re.search(r"\bindex (\d+)\)", text)  # describe_edge(..., index=True); older plans: "(index k)"
        if m:
            out.append(int(m.group(1)))
    return out


def edge_metrics(problem: Problem, plan: Plan | None = None, simulation: SimulationResult | None = None) -> (
        pd.DataFrame):
    """One row per directed edge: persons planned through it, simulated flow, queues, whether it is a bottleneck.

    Columns: ``edge``, ``from_id``, ``to_id``, ``name`` (the street name, ``""`` where the network has none),
    ``length_m``, ``capacity_p_per_s`` (walking, or the first mode),
    ``plan_persons``, ``sim_persons`` (persons who left the edge), ``max_queue`` and ``queue_minutes`` (minutes with
    a queue), ``bottleneck`` (among the edges with the longest queues, or named by the planner).
    """
    net = problem.network
    m = net.n_edges
    walk = net.modes.index("walk") if "walk" in net.modes else 0
    plan_p: NDArray[np.float64] = np.zeros(m)
    if plan is not None and plan.n_steps:
        plan_p = edge_persons(plan, m)
    sim_p: NDArray[np.float64] = np.zeros(m)
    max_q = np.zeros(m)
    q_min: NDArray[np.float64] = np.zeros(m)
    if simulation is not None and len(simulation.edge_records):
        rec = simulation.edge_records
        e = rec[:, 1].astype(np.int64)
        sim_p = np.bincount(e, weights=rec[:, 2], minlength=m).astype(np.float64)
        np.maximum.at(max_q, e, rec[:, 3])
        q_min = np.bincount(e, weights=(rec[:, 3] > 0).astype(np.float64), minlength=m).astype(np.float64)
    bottleneck = np.zeros(m, dtype=bool)
    if max_q.any():
        top = np.argsort(-max_q, kind="stable")[:_N_BOTTLENECKS]
        bottleneck[top[max_q[top] > 0]] = True
    for k in _plan_bottleneck_edges(plan):
        if 0 <= k < m:
            bottleneck[k] = True
    return pd.DataFrame({
        "edge": np.arange(m, dtype=np.int64),
        "from_id": net.node_id[net.tail],
        "to_id": net.node_id[net.head],
        "name": edge_names(net),
        "length_m": np.round(net.length_m, 2),
        "capacity_p_per_s": np.round(net.capacity_per_s[walk], 4),
        "plan_persons": np.rint(plan_p).astype(np.int64),
        "sim_persons": np.rint(sim_p).astype(np.int64),
        "max_queue": np.rint(max_q).astype(np.int64),
        "queue_minutes": np.rint(q_min).astype(np.int64),
        "bottleneck": bottleneck,
    })


def _zone_frames(layers: dict[str, gpd.GeoDataFrame], assessment: dict[str, Any]) -> dict[str, gpd.GeoDataFrame]:
    """Danger and safe zone polygons joined with their metrics from ``assessment`` (by name)."""
    ete = {e["zone"]: e for e in assessment["ete"]}
    exp = {e["zone"]: e for e in assessment["exposure"]}
    danger = layers["danger_zones"][["name", "geometry"]].copy()
    danger["name"] = danger["name"].astype(str)
    for col, src, key in (("population", ete, "population"), ("deadline_min", ete, "deadline_min"),
                          ("t50_min", ete, "t50_min"), ("t90_min", ete, "t90_min"), ("t100_min", ete, "t100_min"),
                          ("met", ete, "met"), ("exposed", exp, "exposed"), ("person_minutes", exp, "person_minutes")):
        danger[col] = [src.get(n, {}).get(key) for n in danger["name"]]
    for col in ("population", "exposed"):
        danger[col] = pd.to_numeric(danger[col]).fillna(0).astype(np.int64)
    for col in ("deadline_min", "t50_min", "t90_min", "t100_min", "person_minutes"):
        danger[col] = pd.to_numeric(danger[col], errors="coerce").astype(np.float64)
    danger["met"] = danger["met"].map(lambda v: bool(v) if v is not None else False)
    danger["safe_by_deadline"] = pd.to_numeric(pd.Series([safe_by_deadline(assessment, n) for n in danger["name"]],
                                                         dtype=object), errors="coerce").to_numpy(dtype=np.float64)
    needs = {s["name"]: s for s in assessment["safe_zones"]}
    safe = layers["safe_zones"][["name", "geometry"]].copy()
    safe["name"] = safe["name"].astype(str)
    cols = [k for k in (assessment["safe_zones"][0] if assessment["safe_zones"] else {}) if k != "name"]
    for col in cols:
        safe[col] = pd.to_numeric(pd.Series([needs.get(n, {}).get(col) for n in safe["name"]]), errors="coerce"
                                  ).to_numpy(dtype=np.float64)
    return {"danger_zones": danger, "safe_zones": safe}


def safe_by_deadline(assessment: dict[str, Any], zone: str) -> int | None:
    """Persons of ``zone`` in a safe zone by its deadline: the simulation's count, else the plan's (``None`` when the
    assessment has no deadline figures)."""
    for z in assessment.get("deadlines") or []:
        if z["name"] == zone:
            v = z.get("simulated_safe")
            v = z.get("plan_safe") if v is None else v
            return None if v is None else int(v)
    return None


def write_geopackage(
    path: str | Path,
    problem: Problem,
    layers: dict[str, gpd.GeoDataFrame],
    assessment: dict[str, Any],
    plan: Plan | None = None,
    simulation: SimulationResult | None = None,
    edges: pd.DataFrame | None = None,
) -> Path:
    """Write the run's GeoPackage (layers :data:`GPKG_LAYERS`, ``closed`` only when the scenario has closures).

    Parameters
    ----------
    path
        The ``.gpkg`` file; written under a temporary name and renamed when complete.
    problem
        The built problem (network and CRS).
    layers
        :func:`scenario_layers` of the scenario, in the network's CRS.
    assessment
        The assessment as a dict (:meth:`evacplan.assessment.Assessment.to_dict`).
    plan, simulation
        The run's plan and simulation (optional).
    edges
        :func:`edge_metrics` of the run when already computed.
    """
    net = problem.network
    crs = net.crs or None
    edges = edges if edges is not None else edge_metrics(problem, plan, simulation)
    frames: dict[str, gpd.GeoDataFrame] = {"edges": gpd.GeoDataFrame(edges, geometry=edge_lines(net), crs=crs)}
    if plan is not None:
        routes, paths = main_routes(problem, plan)
        frames["routes"] = gpd.GeoDataFrame(routes, geometry=path_lines(net, paths), crs=crs)
    frames.update({k: v.set_crs(crs, allow_override=True) for k, v in _zone_frames(layers, assessment).items()})
    if "closed" in layers:
        closed = layers["closed"].copy()
        keep = [c for c in closed.columns if c in ("name", "geometry")]
        frames["closed"] = closed[keep].set_crs(crs, allow_override=True)
    final = Path(path)
    with atomic_path(final) as tmp:
        # GDAL wants a .gpkg name: write beside the temporary file, then move it onto the temporary name
        work = tmp.with_name(tmp.name + ".gpkg")
        try:
            meta = {"scenario": problem.name, "provenance": problem.provenance}
            for name, gdf in frames.items():
                desc = f"{problem.name}: {name}" + (f". {problem.provenance}" if problem.provenance else "")
                gdf.to_file(work, layer=name, driver="GPKG", engine="pyogrio", layer_options={"DESCRIPTION": desc},
                            dataset_metadata=meta)
            os.replace(work, tmp)
        finally:
            work.unlink(missing_ok=True)
    return final


def _coords(geom: Any, origin: tuple[float, float]) -> list[list[list[float]]]:
    """Rings or lines of a geometry as lists of ``[x, y]`` relative to ``origin`` (points become one-point lines)."""
    out = []
    parts = getattr(geom, "geoms", [geom])
    for g in parts:
        if g.geom_type == "Polygon":
            rings = [g.exterior, *g.interiors]
        elif g.geom_type == "Point":
            rings = [g]
        else:
            rings = [g]
        for r in rings:
            xy = shapely.get_coordinates(r)
            out.append([[round(float(x) - origin[0], 1), round(float(y) - origin[1], 1)] for x, y in xy])
    return out


def map_data(
    problem: Problem,
    layers: dict[str, gpd.GeoDataFrame],
    assessment: dict[str, Any],
    plan: Plan | None = None,
    simulation: SimulationResult | None = None,
    edges: pd.DataFrame | None = None,
    schedule: tuple[pd.DataFrame, list[NDArray[np.int64]]] | None = None,
) -> dict[str, Any]:
    """The compact map the HTML report draws: nodes, undirected edges with flows, zones, closures, exposure.

    Edges carry ``name``, an index into ``names`` (the network's street names), -1 where there is none.

    Coordinates are metres in the network's CRS relative to ``origin`` (the lower-left corner), y up. ``edges`` is
    :func:`edge_metrics` of the run when already computed; ``schedule`` the run's
    :func:`~evacplan.report.schedule.departure_schedule`, whose routes the handouts draw. Every zone has a ``label``
    point (inside it); streets that carry people have a name (``edges.street`` indexes ``streets``).
    """
    net, d = problem.network, problem.demand
    x0 = float(net.x.min()) if net.n_nodes else 0.0
    y0 = float(net.y.min()) if net.n_nodes else 0.0
    em = edges if edges is not None else edge_metrics(problem, plan, simulation)
    flow = em["sim_persons"].to_numpy() if simulation is not None else em["plan_persons"].to_numpy()
    a = np.minimum(net.tail, net.head).astype(np.int64)
    b = np.maximum(net.tail, net.head).astype(np.int64)
    uniq, inv = np.unique(a * net.n_nodes + b, return_inverse=True)
    u_flow = np.bincount(inv, weights=flow)
    u_queue = np.zeros(uniq.size)
    np.maximum.at(u_queue, inv, em["max_queue"].to_numpy())
    u_bn = np.zeros(uniq.size, dtype=bool)
    np.logical_or.at(u_bn, inv, em["bottleneck"].to_numpy())
    u_edge = np.zeros(uniq.size, dtype=np.int64)
    u_edge[inv] = np.arange(net.n_edges)
    exposed_nodes: list[list[float]] = []
    if plan is not None:
        from evacplan.assessment.exposure import plan_exposure

        late = plan_exposure(problem, plan).group_share  # share of each group exposed
        # float even when nobody is late (numpy's bincount of nothing is an integer array)
        per_node = np.bincount(d.origin[plan.row], weights=plan.count * late,
                               minlength=net.n_nodes).astype(np.float64)
        per_node += np.bincount(d.origin, weights=plan.unplanned, minlength=net.n_nodes)
        for i in np.flatnonzero(np.rint(per_node) > 0):
            exposed_nodes.append([int(i), int(np.rint(per_node[i]))])
    zones = _zone_frames(layers, assessment)

    frame = shapely.box(x0, y0, float(net.x.max()), float(net.y.max())) if net.n_nodes else shapely.box(0, 0, 1, 1)

    def features(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
        out = []
        for _, row in gdf.iterrows():
            props = {k: _jsonable(v) for k, v in row.items() if k != "geometry"}
            feat: dict[str, Any] = {"props": props, "rings": _coords(row.geometry, (x0, y0))}
            shown = None if row.geometry is None else row.geometry.intersection(frame)
            if shown is not None and not shown.is_empty:  # a label inside the part of the zone the map shows
                pt = shown.representative_point()
                feat["label"] = [round(float(pt.x) - x0, 1), round(float(pt.y) - y0, 1)]
            out.append(feat)
        return out

    streets: list[str] = []
    street_of = np.full(uniq.size, -1, dtype=np.int64)
    seen: dict[str, int] = {}
    for k in np.flatnonzero((u_flow > 0) | u_bn).tolist():
        label = street_label(problem, int(u_edge[k]))
        if label not in seen:
            seen[label] = len(streets)
            streets.append(label)
        street_of[k] = seen[label]
    routes = []
    if schedule is not None:
        for row, nodes in zip(schedule[0].to_dict("records"), schedule[1], strict=True):
            routes.append({"danger_zone": row["danger_zone"], "area": row["area"], "safe_zone": row["safe_zone"],
                           "persons": int(row["persons"]), "nodes": [int(v) for v in nodes]})

    closed = []
    if "closed" in layers:
        for g in layers["closed"].geometry:
            closed.append({"type": g.geom_type, "rings": _coords(g, (x0, y0))})
    return {
        "crs": net.crs,
        "origin": [x0, y0],
        "x": np.round(net.x - x0, 1).tolist(),
        "y": np.round(net.y - y0, 1).tolist(),
        "edges": {
            "a": (uniq // net.n_nodes).tolist(),
            "b": (uniq % net.n_nodes).tolist(),
            "flow": np.rint(u_flow).astype(np.int64).tolist(),
            "queue": np.rint(u_queue).astype(np.int64).tolist(),
            "bottleneck": np.flatnonzero(u_bn).tolist(),
            "edge": u_edge.tolist(),
            "street": street_of.tolist(),
        },
        "streets": streets,
        "routes": routes,
        "flow_source": "simulation" if simulation is not None else "plan",
        "danger_zones": features(zones["danger_zones"]),
        "safe_zones": features(zones["safe_zones"]),
        "closed": closed,
        "exposed_nodes": exposed_nodes,
    }


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
