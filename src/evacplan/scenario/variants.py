"""Scenario variants: named what-ifs (a larger danger area, lower compliance, a blocked road, a later start).

A scenario file may declare any number of ``[[variants]]`` tables; ``evacplan run`` executes the scenario as given
(the *baseline*) and then every variant, and the report compares them. Each variant changes the baseline by one or
more of these keys (the syntax and examples are in ``docs/report.md``):

``name``
    Unique, non-empty; also names the variant's output folder.
``description``
    Free text shown in the report.
``compliance``
    Share of the planned evacuees who follow the plan in the simulation, in [0, 1] (the others leave by the
    mobilization curve and route themselves).
``mobilization_delay``
    Minutes by which every departure curve starts later (everyone's departure is shifted; deadlines stay).
``danger_zones``
    A danger-zone layer replacing the scenario's (path relative to the scenario file; same name column), e.g. a
    wider evacuation order. Per-zone mobilization curves apply to its zones by name.
``danger_buffer_m``
    Metres by which every danger zone grows (a larger danger area; deadlines stay).
``closed``
    An extra closure layer (path relative to the scenario file), added to the scenario's ``[closed]`` layer.
``block_edges_near``
    ``[[lon, lat], ...]`` points (WGS 84); every street within ``block_snap_m`` metres of one is blocked
    (default: the ``[closed]`` layer's ``snap_m``, itself 50 m by default).

Variants change the scenario only here, at the edge: :func:`variant_scenario` writes the changed layers into a folder
and returns a new :class:`~evacplan.scenario.schema.Scenario` that the build stage builds like any other.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evacplan.scenario._checks import Collector

if TYPE_CHECKING:
    from evacplan.scenario.schema import Scenario

__all__ = ["BASELINE", "VARIANT_KEYS", "VariantSpec", "parse_variants", "slug", "variant_scenario"]

#: Name of the scenario as given, without any variant.
BASELINE = "baseline"
#: Keys a ``[[variants]]`` table may hold.
VARIANT_KEYS = ("name", "description", "compliance", "mobilization_delay", "danger_zones", "danger_buffer_m",
                "closed", "block_edges_near", "block_snap_m")
_CHANGES = ("compliance", "mobilization_delay", "danger_zones", "danger_buffer_m", "closed", "block_edges_near")


@dataclass(frozen=True)
class VariantSpec:
    """One named variant of a scenario.

    Attributes
    ----------
    name
        Variant name (unique within the scenario, not ``"baseline"``).
    description
        Free text.
    compliance
        Share of planned evacuees who follow the plan, or ``None`` to keep the run's setting.
    mobilization_delay_min
        Minutes added to every departure time (0: none).
    danger_buffer_m
        Metres added around every danger zone (0: none).
    danger_zones
        Danger-zone layer replacing the scenario's (absolute path), or ``None``.
    closed
        Extra closure layer (absolute path), or ``None``.
    block_points
        ``(lon, lat)`` points in WGS 84 near which streets are blocked.
    block_snap_m
        Blocking radius around each point, in metres (``None``: the ``[closed]`` layer's ``snap_m``, default 50).
    """

    name: str
    description: str = ""
    compliance: float | None = None
    mobilization_delay_min: float = 0.0
    danger_buffer_m: float = 0.0
    closed: Path | None = None
    block_points: tuple[tuple[float, float], ...] = ()
    block_snap_m: float | None = None
    danger_zones: Path | None = None

    @property
    def changes_network(self) -> bool:
        """Whether the variant needs the scenario built again (zones or closures change)."""
        return (self.danger_buffer_m > 0 or self.closed is not None or bool(self.block_points)
                or self.danger_zones is not None)

    def describe(self) -> str:
        """The variant's changes in words (its description when it has one)."""
        if self.description:
            return self.description
        parts = []
        if self.compliance is not None:
            parts.append(f"compliance {self.compliance:g}")
        if self.mobilization_delay_min:
            parts.append(f"departures {self.mobilization_delay_min:g} min later")
        if self.danger_zones is not None:
            parts.append(f"danger zones from {self.danger_zones.name}")
        if self.danger_buffer_m:
            parts.append(f"danger zones {self.danger_buffer_m:g} m larger")
        if self.closed is not None:
            parts.append(f"extra closures from {self.closed.name}")
        if self.block_points:
            parts.append(f"{len(self.block_points)} blocked point(s)")
        return "; ".join(parts)


def slug(name: str) -> str:
    """A folder-safe form of a variant name (``"late start"`` -> ``"late-start"``)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-.")
    return s.lower() or "variant"


def parse_variants(c: Collector, raw: dict[str, Any], base: Path, horizon_min: float) -> tuple[VariantSpec, ...]:
    """Read and check the ``[[variants]]`` tables of a parsed TOML document, reporting every problem to ``c``."""
    items = raw.get("variants")
    if items is None:
        return ()
    if not isinstance(items, list):
        c.add("variants", f"expected [[variants]] tables (an array of tables), found {type(items).__name__}")
        return ()
    out: list[VariantSpec] = []
    names: set[str] = set()
    slugs: set[str] = {BASELINE}
    for i, v in enumerate(items):
        w = f"variants[{i}]"
        if not isinstance(v, dict):
            c.add(w, f"expected a table, found {v!r}")
            continue
        c.unknown_keys(v, VARIANT_KEYS, w)
        name = c.string(v, "name", w)
        if isinstance(name, str):
            if not name.strip():
                c.add(f"{w}.name", "a variant name may not be empty")
            elif name in names or slug(name) in slugs:
                c.add(f"{w}.name", f"duplicate variant name {name!r} (names must differ, also as folder names, "
                                   f"and {BASELINE!r} is reserved)")
            names.add(name)
            slugs.add(slug(name))
        desc = c.string(v, "description", w, "")
        comp = c.number(v, "compliance", w, None, minimum=0, maximum=1)
        delay = c.number(v, "mobilization_delay", w, 0.0, minimum=0, maximum=horizon_min)
        buf = c.number(v, "danger_buffer_m", w, 0.0, minimum=0, maximum=100_000)
        snap = c.number(v, "block_snap_m", w, None, minimum=0, strict_min=True, maximum=5000)
        closed = None
        if "closed" in v:
            closed = _closed_path(c, v["closed"], f"{w}.closed", base)
        danger = None
        if "danger_zones" in v:
            danger = _closed_path(c, v["danger_zones"], f"{w}.danger_zones", base)
        points = _points(c, v.get("block_edges_near"), f"{w}.block_edges_near")
        if not any(k in v for k in _CHANGES):
            c.add(w, f"variant {name!r} changes nothing; give at least one of {list(_CHANGES)}")
        if isinstance(name, str) and name.strip():
            out.append(VariantSpec(
                name=name.strip(), description=desc or "", compliance=None if comp is None else float(comp),
                mobilization_delay_min=float(delay or 0.0), danger_buffer_m=float(buf or 0.0), closed=closed,
                block_points=points, block_snap_m=None if snap is None else float(snap), danger_zones=danger,
            ))
    return tuple(out)


def _closed_path(c: Collector, val: Any, where: str, base: Path) -> Path | None:
    if not isinstance(val, str) or not val:
        c.add(where, f"expected a file path relative to the scenario file, found {val!r}")
        return None
    from evacplan.scenario._paths import resolve_input

    p, why = resolve_input(base, val)
    if why is not None:
        c.add(where, why)
    elif not p.exists():
        c.add(where, f"file {val!r} does not exist (looked for {p})")
    return p


def _points(c: Collector, val: Any, where: str) -> tuple[tuple[float, float], ...]:
    if val is None:
        return ()
    if not isinstance(val, list) or not val:
        c.add(where, f"expected a non-empty list of [lon, lat] pairs, found {val!r}")
        return ()
    out = []
    for j, pt in enumerate(val):
        ok = (isinstance(pt, list) and len(pt) == 2
              and all(isinstance(x, int | float) and not isinstance(x, bool) for x in pt))
        if not ok:
            c.add(f"{where}[{j}]", f"expected [lon, lat] (two numbers, WGS 84 degrees), found {pt!r}")
            continue
        lon, lat = float(pt[0]), float(pt[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            c.add(f"{where}[{j}]", f"[{lon:g}, {lat:g}] is not a WGS 84 [lon, lat] pair (lon in [-180, 180], "
                                   f"lat in [-90, 90])")
            continue
        out.append((lon, lat))
    return tuple(out)


def variant_scenario(scenario: Scenario, variant: VariantSpec, folder: str | Path) -> Scenario:
    """The scenario with the variant's zone and closure changes applied (layers written into ``folder`` as GeoJSON).

    ``compliance`` and ``mobilization_delay`` do not change the scenario's layers: the run applies them to the
    simulation and to the built problem's departure curves.

    Parameters
    ----------
    scenario
        The baseline scenario.
    variant
        The variant.
    folder
        Where the changed layers are written (``danger_zones.geojson``, ``closed.geojson``).

    Returns
    -------
    Scenario
        A new scenario (the baseline itself when the variant changes no layer).
    """
    if not variant.changes_network:
        return scenario
    import geopandas as gpd
    import shapely

    from evacplan._atomic import atomic_path
    from evacplan.scenario.schema import ClosedSpec, LayerSpec

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    changes: dict[str, Any] = {}
    if variant.danger_zones is not None and variant.danger_buffer_m <= 0:
        changes["danger_zones"] = LayerSpec(variant.danger_zones, None, scenario.danger_zones.name_column)
    if variant.danger_buffer_m > 0:
        spec = scenario.danger_zones
        gdf = _read(spec.path, spec.layer) if variant.danger_zones is None else _read(variant.danger_zones, None)
        metric = gdf.estimate_utm_crs() if gdf.crs is not None and gdf.crs.is_geographic else gdf.crs
        gdf = gdf.to_crs(metric)
        gdf["geometry"] = gdf.geometry.buffer(variant.danger_buffer_m)
        path = out / "danger_zones.geojson"
        with atomic_path(path) as tmp:
            gdf.to_crs(4326).to_file(tmp, driver="GeoJSON")
        changes["danger_zones"] = LayerSpec(path, None, spec.name_column)
    if variant.closed is not None or variant.block_points:
        parts = []
        snap = scenario.closed.snap_m if scenario.closed is not None else 50.0
        # Blocked points are closed crossings: every edge within the snap radius closes (the variant's radius, when
        # given, applies to the scenario's own closed crossings too: one layer has one radius).
        if scenario.closed is not None:
            parts.append(_read(scenario.closed.path, scenario.closed.layer).to_crs(4326))
        if variant.closed is not None:
            parts.append(_read(variant.closed, None).to_crs(4326))
        geoms = [g for p in parts for g in p.geometry]
        if variant.block_points:
            geoms += list(shapely.points(list(variant.block_points)))
            snap = variant.block_snap_m if variant.block_snap_m is not None else snap
        gdf = gpd.GeoDataFrame({"name": [f"closure {i}" for i in range(len(geoms))]}, geometry=geoms, crs=4326)
        path = out / "closed.geojson"
        with atomic_path(path) as tmp:
            gdf.to_file(tmp, driver="GeoJSON")
        changes["closed"] = ClosedSpec(path, None, snap)
    return dataclasses.replace(scenario, **changes)


def _read(path: Path, layer: str | None) -> Any:
    import warnings

    import geopandas as gpd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
