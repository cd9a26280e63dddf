"""Sanity of the whole scenario: findings that make a readable scenario's results implausible.

Each check below passes on any scenario a planner means, and fails on the mistakes that otherwise produce a
"successful" plan that tells a coordinator something false (0 evacuees, every deadline "met"):

* a layer whose extent does not overlap the network (with the distance, and the CRS that would make it overlap:
  swapped longitude and latitude, degrees labelled as metres, metres labelled as degrees);
* a feature spanning more than :data:`MAX_FEATURE_SPAN_M` (and ten times the network): a polygon spanning the world;
* nobody placed in any danger zone;
* most of the population (more than :data:`MAX_OFF_NETWORK_SHARE`) farther than ``max_snap_m`` from every street;
* every evacuee cut off from every safe zone;
* physically impossible densities: more people per m2 of a population cell or polygon than a packed crowd
  (``network.defaults.jam_density``, 5.4 per m2 by default), or more evacuees per m2 of street than
  :data:`MAX_EVACUEES_PER_STREET_M2`.

Each finding is an :class:`evacplan.errors.Problem` with ``forceable=True`` that names the file, the feature and the
value. :func:`require_sane` raises :class:`evacplan.errors.ScenarioImplausible` unless forced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evacplan.errors import Problem as Finding
from evacplan.errors import ScenarioImplausible

__all__ = [
    "MAX_EVACUEES_PER_STREET_M2",
    "MAX_FEATURE_SPAN_M",
    "MAX_OFF_NETWORK_SHARE",
    "LayerExtent",
    "bounds_of",
    "count_findings",
    "extent_findings",
    "polygon_density_findings",
    "require_sane",
]

#: A single zone or closure wider than this (and than ten times the network) is taken for a mistake (1,000 km).
MAX_FEATURE_SPAN_M = 1_000_000.0
#: Share of the population off the network above which the scenario is implausible.
MAX_OFF_NETWORK_SHARE = 0.5
#: Evacuees per m2 of street (length x usable width) above which the scenario is implausible: four times a packed
#: crowd (5.4 per m2, Weidmann 1993) standing on every street at once. Real cities stay far below 1.
MAX_EVACUEES_PER_STREET_M2 = 20.0
_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class LayerExtent:
    """A layer's features as bounding boxes in the layer's own CRS.

    Attributes
    ----------
    where
        The scenario key (``"danger_zones"``).
    file
        The layer file.
    crs
        The layer's CRS (``None``: none; then only the distance is checked).
    bounds
        ``float64[k, 4]``: ``minx, miny, maxx, maxy`` of each feature (``nan`` rows for empty geometries).
    labels
        A label per feature (``"1 (name='East')"``), for messages.
    margin_m
        How far from the network's extent a feature may lie and still matter (``max_snap_m`` for people).
    per_feature
        Report each feature lying off the network (zones), not only a layer lying off it as a whole.
    """

    where: str
    file: str
    crs: str | None
    bounds: NDArray[np.float64]
    labels: Sequence[str]
    margin_m: float = 0.0
    per_feature: bool = True


def _to_metric(src: str | None, dst: str, b: NDArray[np.float64], swap: bool = False) -> NDArray[np.float64] | None:
    """Bounding boxes ``b`` (rows ``minx, miny, maxx, maxy`` in ``src``) in ``dst``; ``None`` when they cannot be."""
    b = np.asarray(b, dtype=np.float64)
    if swap:
        b = b[:, [1, 0, 3, 2]]
    if not src or not dst:
        return b
    try:
        from pyproj import CRS, Transformer

        s, d = CRS.from_user_input(src), CRS.from_user_input(dst)
        if s.is_geographic and (np.nanmin(b[:, [1, 3]], initial=0) < -90 or np.nanmax(b[:, [1, 3]], initial=0) > 90
                                or np.nanmin(b[:, [0, 2]], initial=0) < -180
                                or np.nanmax(b[:, [0, 2]], initial=0) > 360):
            return None
        if s == d:
            return b
        tr = Transformer.from_crs(s, d, always_xy=True)
        out = np.full_like(b, np.nan)
        for i, row in enumerate(b):
            if np.isfinite(row).all():
                out[i] = tr.transform_bounds(row[0], row[1], row[2], row[3], densify_pts=11)
    except Exception:  # pyproj refuses coordinates its projection cannot take
        return None
    ok = np.isfinite(b).all(axis=1)
    if not np.isfinite(out[ok]).all():
        return None
    return out


def _gap(b: NDArray[np.float64], net: tuple[float, float, float, float]) -> NDArray[np.float64]:
    """Distance between each box of ``b`` and the network's box (0 when they overlap; nan for empty rows)."""
    dx = np.maximum.reduce([np.zeros(len(b)), b[:, 0] - net[2], net[0] - b[:, 2]])
    dy = np.maximum.reduce([np.zeros(len(b)), b[:, 1] - net[3], net[1] - b[:, 3]])
    return np.hypot(dx, dy)


def _suggest(layer: LayerExtent, metric_crs: str, network_crs: str | None,
             net: tuple[float, float, float, float]) -> str:
    """The reading of the layer's coordinates that would make it overlap the network, as advice."""
    rows = np.isfinite(layer.bounds).all(axis=1)
    b = layer.bounds[rows]
    if not metric_crs or b.size == 0:
        return ""
    candidates: list[tuple[str | None, bool, str]] = [
        (layer.crs, True, "its x and y were swapped (latitude given as x, longitude as y): put x first (longitude "
                          "or easting)"),
    ]
    for crs in ("EPSG:4326", network_crs, metric_crs):
        if crs and crs != layer.crs:
            label = _crs_label(layer.crs, crs)
            candidates.append((crs, False, f"its coordinates were in {crs}{label}: set the layer's CRS to {crs}"))
            candidates.append((crs, True, f"its coordinates were in {crs} with x and y swapped{label}"))
    for crs, swap, advice in candidates:
        m = _to_metric(crs, metric_crs, b, swap)
        if m is not None and np.nanmin(_gap(m, net)) <= layer.margin_m + 1.0:
            return f"; it would overlap the network if {advice}"
    return ""


def _crs_label(declared: str | None, candidate: str) -> str:
    try:
        from pyproj import CRS

        d, c = CRS.from_user_input(declared) if declared else None, CRS.from_user_input(candidate)
    except Exception:
        return ""
    if d is not None and not d.is_geographic and c.is_geographic:
        return " (degrees labelled as metres)"
    if d is not None and d.is_geographic and not c.is_geographic:
        return " (metres labelled as degrees)"
    return ""


def _span_m(layer: LayerExtent) -> NDArray[np.float64]:
    """The larger side of each feature's box, in metres (approximate for lon/lat)."""
    b = layer.bounds
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    geographic, unit = False, 1.0
    if layer.crs:
        try:
            from pyproj import CRS

            c = CRS.from_user_input(layer.crs)
            geographic = c.is_geographic
            unit = float(c.axis_info[0].unit_conversion_factor or 1.0) if c.axis_info and not geographic else 1.0
        except Exception:
            pass
    if geographic:
        lat = np.clip(np.abs((b[:, 1] + b[:, 3]) / 2), 0, 89.9)
        return np.maximum(w * _M_PER_DEG * np.cos(np.radians(lat)), h * _M_PER_DEG)
    return np.maximum(w, h) * unit


def extent_findings(layers: Sequence[LayerExtent], metric_crs: str, network_crs: str | None,
                    net: tuple[float, float, float, float]) -> list[Finding]:
    """Layers (or features) lying off the network's extent, and features spanning the world.

    Parameters
    ----------
    layers
        The layers, each with its features' boxes in its own CRS.
    metric_crs
        The network's local metric CRS (``""`` for an abstract network: nothing is reprojected).
    network_crs
        The CRS the network file gives (a candidate reading of a mislabelled layer).
    net
        ``minx, miny, maxx, maxy`` of the network's nodes in ``metric_crs``.
    """
    out: list[Finding] = []
    net_span = max(net[2] - net[0], net[3] - net[1], 1.0)
    for layer in layers:
        rows = np.isfinite(layer.bounds).all(axis=1)
        if not rows.any():
            continue
        span = _span_m(layer)
        for i in np.flatnonzero(rows & (span > max(MAX_FEATURE_SPAN_M, 10 * net_span))):
            out.append(Finding(layer.file, f"{layer.where} feature {layer.labels[int(i)]}",
                               f"spans {span[i] / 1000:,.0f} km while the network spans {net_span / 1000:,.1f} km: "
                               "a polygon spanning the world? draw the zone itself", True))
        m = _to_metric(layer.crs, metric_crs, layer.bounds)
        where = f"{layer.where} ({layer.crs or 'no CRS'})"
        box = (f"x {np.nanmin(layer.bounds[:, 0]):.6g}..{np.nanmax(layer.bounds[:, 2]):.6g}, "
               f"y {np.nanmin(layer.bounds[:, 1]):.6g}..{np.nanmax(layer.bounds[:, 3]):.6g}")
        if m is None:
            hint = _suggest(layer, metric_crs, network_crs, net)
            out.append(Finding(layer.file, where, f"the layer's coordinates ({box}) cannot be placed on the "
                               f"network's map ({metric_crs}){hint}", True))
            continue
        gap = _gap(m, net)
        off = rows & (gap > layer.margin_m + 1.0)
        net_box = f"x {net[0]:.0f}..{net[2]:.0f}, y {net[1]:.0f}..{net[3]:.0f} in {metric_crs or 'its units'}"
        if off[rows].all():
            hint = _suggest(layer, metric_crs, network_crs, net)
            out.append(Finding(layer.file, where, f"the layer ({box}) lies {np.nanmin(gap[rows]):,.0f} m from the "
                               f"network ({net_box}): nothing in it touches a street{hint}", True))
        elif layer.per_feature:
            for i in np.flatnonzero(off)[:5]:
                out.append(Finding(layer.file, f"{layer.where} feature {layer.labels[int(i)]}",
                                   f"lies {gap[i]:,.0f} m from the network ({net_box}): no street in it", True))
    return out


def bounds_of(geoms: object) -> NDArray[np.float64]:
    """``float64[k, 4]`` boxes of a GeoSeries (``nan`` rows for missing or empty geometries)."""
    import shapely

    values = np.asarray(getattr(geoms, "values", geoms), dtype=object)
    out = np.full((values.size, 4), np.nan)
    ok = np.array([g is not None and not shapely.is_empty(g) for g in values], dtype=bool)
    if ok.any():
        with np.errstate(invalid="ignore"):
            out[ok] = shapely.bounds(values[ok])
    out[~np.isfinite(out).all(axis=1)] = np.nan
    return out


def count_findings(*, population_file: str, danger_file: str, safe_file: str, closed_file: str | None, evacuate: str,
                   max_snap_m: float, total: float, placed: int, off_network: int, usable_nodes: int,
                   danger_nodes: int, danger_names: Sequence[str],
                   evacuees: int, unreachable: int, safe_nodes: Sequence[int], safe_names: Sequence[str],
                   safe_capacity: NDArray[np.float64], closed_edges: int, street_m2: float) -> list[Finding]:
    """Findings on who is placed, where, and whether they can reach safety (see the module docstring)."""
    out: list[Finding] = []
    people = total
    if people > 0 and off_network > MAX_OFF_NETWORK_SHARE * people:
        out.append(Finding(population_file, "population", f"{off_network:,} of {people:,.0f} people "
                           f"({100 * off_network / people:.0f} %) lie farther than max_snap_m = {max_snap_m:g} m from "
                           "every usable street node and are not placed: does the layer cover the network's area?",
                           True))
    if evacuees == 0:
        who = "in any danger zone" if evacuate == "danger_zones" else "outside the safe zones"
        if people <= 0:
            why = "the population layer holds no people"
            f = population_file
        elif placed == 0 and usable_nodes == 0 and closed_file:
            why = "no street node is usable: the closed areas cover every node of the network"
            f = closed_file
        elif placed == 0:
            why = (f"none of its {people:,.0f} people lies within max_snap_m = {max_snap_m:g} m of a usable street "
                   "node")
            f = population_file
        elif evacuate == "danger_zones" and danger_nodes == 0:
            why = (f"no street node lies inside any danger zone ({', '.join(map(repr, danger_names))}); "
                   f"{placed:,} people are placed elsewhere")
            f = danger_file
        else:
            why = f"{placed:,} people are placed, none of them {who}"
            f = danger_file
        out.append(Finding(f, {danger_file: "danger_zones", population_file: "population"}.get(f, "closed"),
                           f"nobody is placed {who} (0 evacuees): {why}", True))
    elif unreachable >= evacuees:
        nodes = ", ".join(f"{n!r}: {k} node(s), capacity {c:,.0f}" for n, k, c in
                          zip(safe_names, safe_nodes, safe_capacity, strict=True))
        why = "closures removed " + f"{closed_edges:,} edge(s); " if closed_edges else ""
        out.append(Finding(safe_file, "safe_zones", f"none of the {evacuees:,} evacuees can reach a safe zone with "
                           f"room ({why}safe zones: {nodes})", True))
    if evacuees > 0 and street_m2 > 0 and evacuees / street_m2 > MAX_EVACUEES_PER_STREET_M2:
        out.append(Finding(population_file, "population", f"{evacuees:,} evacuees on {street_m2:,.0f} m2 of street: "
                           f"{evacuees / street_m2:.3g} per m2, more than {MAX_EVACUEES_PER_STREET_M2:g} (four packed "
                           "crowds on every street at once)", True))
    return out


def polygon_density_findings(population_file: str, polygons: object, counts: NDArray[np.float64], factor: float,
                             limit: float, labels: Sequence[str]) -> list[Finding]:
    """Population polygons holding more people per m2 than ``limit`` (a packed crowd)."""
    area = np.asarray(getattr(polygons, "area", np.zeros(0)), dtype=np.float64)
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = counts * factor / area
    for i in np.flatnonzero(np.isfinite(dens) & (dens > limit))[:5]:
        out.append(Finding(population_file, f"population feature {labels[int(i)]}",
                           f"holds {counts[i] * factor:,.0f} people on {area[i]:,.0f} m2: {dens[i]:.3g} per m2, more "
                           f"than a packed crowd (network.defaults.jam_density = {limit:g} per m2)", True))
    return out


def require_sane(findings: Sequence[Finding], force: bool = False) -> None:
    """Raise :class:`~evacplan.errors.ScenarioImplausible` listing ``findings`` unless there are none or ``force``."""
    if findings and not force:
        raise ScenarioImplausible(list(findings))

