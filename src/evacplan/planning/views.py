"""Tabular and geographic views of a plan: groups, main routes and edge flows as (Geo)DataFrames, and a route map.

What :meth:`Plan.to_dataframe`, :meth:`Plan.to_geodataframe` and :meth:`Plan.plot` return; the run's GeoPackage
(:mod:`evacplan.report.geodata`) draws its routes from :func:`main_routes` too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evacplan.planning.paths import edge_persons
from evacplan.problem.problem import Problem

if TYPE_CHECKING:
    import geopandas as gpd

    from evacplan.planning.result import Plan

__all__ = ["LAYERS", "edge_flow_frame", "groups_frame", "main_routes", "plan_geodataframe", "plot_routes"]

#: Layers of :meth:`Plan.to_geodataframe`.
LAYERS = ("routes", "edges")


def groups_frame(plan: Plan, problem: Problem | None = None) -> pd.DataFrame:
    """One row per group (see :meth:`Plan.to_dataframe`)."""
    if problem is not None:
        from evacplan.planning.io import groups_table

        return groups_table(plan, problem).to_pandas()
    return pd.DataFrame({
        "row": plan.row.astype(np.int64),
        "count": plan.count,
        "departure_min": plan.departure_s / 60.0,
        "departure_span_min": plan.spans_s() / 60.0,
        "safe_zone": plan.safe_zone.astype(np.int64),
        "arrival_min": plan.arrival_s / 60.0,
        "path_start": plan.path_start,
        "path_edges": plan.path_length(),
    })


def edge_flow_frame(plan: Plan, problem: Problem) -> pd.DataFrame:
    """One row per edge the plan uses: ``edge``, ``from_id``, ``to_id``, ``length_m``, ``capacity_p_per_s``
    (walking, or the first mode), ``persons`` planned through it and ``full_windows`` (time steps at capacity)."""
    net = problem.network
    persons = edge_persons(plan, net.n_edges) if plan.n_steps else np.zeros(net.n_edges)
    used = np.flatnonzero(persons > 0)
    walk = net.modes.index("walk") if "walk" in net.modes else 0
    full = plan.edge_full_windows[used] if plan.edge_full_windows.size == net.n_edges else np.zeros(used.size)
    return pd.DataFrame({
        "edge": used.astype(np.int64),
        "from_id": net.node_id[net.tail[used]],
        "to_id": net.node_id[net.head[used]],
        "length_m": net.length_m[used],
        "capacity_p_per_s": net.capacity_per_s[walk, used],
        "persons": np.rint(persons[used]).astype(np.int64),
        "full_windows": np.asarray(full, dtype=np.int64),
    })


def main_routes(problem: Problem, plan: Plan) -> tuple[pd.DataFrame, list[NDArray[np.int64]]]:
    """The main route from each origin node to each safe zone: the path of the group carrying most persons.

    Returns
    -------
    (pandas.DataFrame, list of numpy.ndarray)
        One row per (origin node, safe zone) with ``origin_id``, ``danger_zone``, ``safe_zone``, ``persons`` (all
        groups from the origin to the zone), ``groups``, ``first_departure_min``, ``last_arrival_min``,
        ``length_m``; and the node indices of each route's path.
    """
    net, d, z = problem.network, problem.demand, problem.zones
    if plan.n_groups == 0:
        return pd.DataFrame(columns=["origin_id", "danger_zone", "safe_zone", "persons", "groups",
                                     "first_departure_min", "last_arrival_min", "length_m"]), []
    origin = d.origin[plan.row].astype(np.int64)
    key = origin * max(len(z.safe_names), 1) + plan.safe_zone
    uniq, inv = np.unique(key, return_inverse=True)
    persons = np.bincount(inv, weights=plan.count)
    groups = np.bincount(inv)
    first_dep = np.full(uniq.size, np.inf)
    np.minimum.at(first_dep, inv, plan.departure_s)
    last_arr = np.zeros(uniq.size)
    np.maximum.at(last_arr, inv, plan.arrival_s)
    order = np.lexsort((-plan.count, inv))
    best = order[np.r_[0, np.flatnonzero(np.diff(inv[order])) + 1]]
    paths, lengths = [], []
    for gi in best:
        e = plan.path(int(gi))
        nodes = np.r_[d.origin[plan.row[gi]], net.head[e]].astype(np.int64)
        paths.append(nodes)
        lengths.append(float(net.length_m[e].sum()))
    zone = d.danger[plan.row[best]]
    df = pd.DataFrame({
        "origin_id": net.node_id[origin[best]],
        "danger_zone": [z.danger_names[i] if i >= 0 else "" for i in zone],
        "safe_zone": [z.safe_names[i] for i in plan.safe_zone[best]],
        "persons": np.rint(persons).astype(np.int64),
        "groups": groups.astype(np.int64),
        "first_departure_min": np.round(first_dep / 60.0, 2),
        "last_arrival_min": np.round(last_arr / 60.0, 2),
        "length_m": np.round(lengths, 1),
    })
    return df, paths


def plan_geodataframe(plan: Plan, problem: Problem, layer: str = "routes") -> gpd.GeoDataFrame:
    """The ``routes`` (:func:`main_routes`) or ``edges`` (:func:`edge_flow_frame`) of a plan with their geometry, in
    the network's CRS."""
    import geopandas as gpd

    from evacplan.network.geometry import edge_lines, path_lines

    net = problem.network
    if layer == "routes":
        routes, paths = main_routes(problem, plan)
        return gpd.GeoDataFrame(routes, geometry=path_lines(net, paths), crs=net.crs or None)
    if layer == "edges":
        edges = edge_flow_frame(plan, problem)
        return gpd.GeoDataFrame(edges, geometry=edge_lines(net, edges["edge"].to_numpy()), crs=net.crs or None)
    raise ValueError(f"unknown layer {layer!r}; choose one of {LAYERS}")


def plot_routes(plan: Plan, problem: Problem, ax: Any = None, max_width: float = 6.0) -> Any:
    """Draw the street network, the edges the plan uses (width by persons) and the danger and safe nodes."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    net, zones = problem.network, problem.zones
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7))
    xy = np.c_[net.x, net.y]
    segments = np.stack([xy[net.tail], xy[net.head]], axis=1)
    ax.add_collection(LineCollection(list(segments), colors="0.85", linewidths=0.5, zorder=1))
    edges = edge_flow_frame(plan, problem)
    if len(edges):
        e = edges["edge"].to_numpy()
        width = 0.5 + max_width * edges["persons"].to_numpy() / max(int(edges["persons"].max()), 1)
        ax.add_collection(LineCollection(list(segments[e]), colors="tab:blue", linewidths=width, zorder=2,
                                         label="planned routes (width: persons)"))
    danger, safe = zones.node_danger >= 0, zones.node_safe >= 0
    ax.scatter(net.x[danger], net.y[danger], s=1, color="tab:red", alpha=0.5, zorder=1.5, label="danger zone nodes")
    ax.scatter(net.x[safe], net.y[safe], s=1, color="tab:green", alpha=0.5, zorder=1.5, label="safe zone nodes")
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_title(f"{problem.name}: {plan.method} plan, {plan.evacuated:,} people")
    ax.legend(loc="best", fontsize="small")
    return ax
