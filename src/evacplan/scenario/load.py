"""Reading a scenario file (TOML) into a :class:`~evacplan.scenario.schema.Scenario`."""

from __future__ import annotations

import tomllib
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from evacplan.errors import ScenarioInvalid
from evacplan.scenario._checks import Collector
from evacplan.scenario._paths import input_path_problem, resolve_input
from evacplan.scenario.schema import (
    DEFAULT_GROUPS,
    DEFAULT_MODES,
    ClosedSpec,
    GroupSpec,
    LayerSpec,
    MobilizationSpec,
    ModeSpec,
    NetworkDefaults,
    NetworkSpec,
    PopulationSpec,
    ProvenanceSpec,
    Scenario,
    StandardsSpec,
)
from evacplan.scenario.uncertainty import parse_uncertainty
from evacplan.scenario.variants import parse_variants

__all__ = ["default_scenario_path", "load_scenario", "parse_scenario"]

TOP_KEYS = ("name", "description", "time_step", "horizon", "seed", "network", "population", "danger_zones",
            "safe_zones", "closed", "modes", "mobilization", "standards", "variants", "uncertainty", "provenance")
NETWORK_FORMATS = ("auto", "osm", "graphml", "tntp", "gmns")
POPULATION_KINDS = ("auto", "raster", "polygons", "points")
MODE_NAMES = ("walk", "cart", "vehicle")
MOBILIZATION_KINDS = ("logistic", "uniform", "instant", "table")
MODE_DEFAULTS = {
    "walk": ModeSpec("walk", 1.34, 1.0, 1.0, 0.0),
    "cart": ModeSpec("cart", 1.1, 6.0, 0.0, 600.0),
    "vehicle": ModeSpec("vehicle", 8.3, 4.0, 0.0, 1800.0),
}
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".asc", ".img")


def default_scenario_path() -> Path:
    """Path of the bundled default scenario (modelled on the southern Gaza Strip, 2024)."""
    return Path(str(resources.files("evacplan") / "data" / "default" / "scenario.toml"))


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and check a scenario file; ``None`` means the bundled default.

    Raises
    ------
    ScenarioInvalid
        With every problem found (file, key, value, what was expected).
    """
    return parse_scenario(Path(path) if path is not None else default_scenario_path())


def _path(c: Collector, t: dict[str, Any], key: str, where: str, base: Path, required: bool = True) -> Path | None:
    val = t.get(key)
    if val is None:
        if required:
            c.add(f"{where}.{key}", "missing required key (a path relative to the scenario file)")
        return None
    if not isinstance(val, str) or not val:
        c.add(f"{where}.{key}", f"expected a file path, found {val!r}")
        return None
    p, why = resolve_input(base, val)
    if why is not None:
        c.add(f"{where}.{key}", why)
    elif not p.exists():
        c.add(f"{where}.{key}", f"file {val!r} does not exist (looked for {p})")
    return p


def _network(c: Collector, raw: dict[str, Any], base: Path) -> NetworkSpec | None:
    t = c.table(raw, "network", "", required=True)
    if not isinstance(raw.get("network"), dict):  # an empty [network] still needs its path
        return None
    c.unknown_keys(t, ("path", "format", "network_type", "nodes", "crs", "length_unit", "defaults"), "network")
    path = _path(c, t, "path", "network", base)
    fmt = c.string(t, "format", "network", "auto", NETWORK_FORMATS)
    ntype = c.string(t, "network_type", "network", "walking", ("walking", "driving", "all"))
    nodes = _path(c, t, "nodes", "network", base, required=False)
    crs = c.string(t, "crs", "network", None)
    unit = c.string(t, "length_unit", "network", "auto", ("auto", "m", "km", "mi", "ft"))
    d = c.table(t, "defaults", "network")
    c.unknown_keys(d, ("specific_flow", "jam_density", "lane_width", "min_width"), "network.defaults")
    base_d = NetworkDefaults()
    defaults = NetworkDefaults(
        specific_flow_p_per_m_s=c.number(d, "specific_flow", "network.defaults", base_d.specific_flow_p_per_m_s,
                                         minimum=0, strict_min=True, maximum=10),
        jam_density_p_per_m2=c.number(d, "jam_density", "network.defaults", base_d.jam_density_p_per_m2,
                                      minimum=0, strict_min=True, maximum=12),
        lane_width_m=c.number(d, "lane_width", "network.defaults", base_d.lane_width_m, minimum=0, strict_min=True,
                              maximum=10),
        min_width_m=c.number(d, "min_width", "network.defaults", base_d.min_width_m, minimum=0, strict_min=True,
                             maximum=100),
    )
    if crs is not None:
        try:
            from pyproj import CRS

            CRS.from_user_input(crs)
        except Exception:
            c.add("network.crs", f"{crs!r} is not a CRS pyproj knows (expected e.g. 'EPSG:4326')")
    if path is None:
        return None
    return NetworkSpec(path=path, format=fmt or "auto", network_type=ntype or "walking", nodes=nodes, crs=crs,
                       length_unit=unit or "auto", defaults=defaults)


def _groups(c: Collector, t: dict[str, Any]) -> tuple[GroupSpec, ...]:
    raw = t.get("groups")
    if raw is None:
        return DEFAULT_GROUPS
    if not isinstance(raw, list) or not raw:
        c.add("population.groups", f"expected a non-empty list of [[population.groups]] tables, found {raw!r}")
        return DEFAULT_GROUPS
    out = []
    names: set[str] = set()
    for i, g in enumerate(raw):
        w = f"population.groups[{i}]"
        if not isinstance(g, dict):
            c.add(w, f"expected a table, found {g!r}")
            continue
        c.unknown_keys(g, ("name", "share", "walk_speed", "vulnerable"), w)
        name = c.string(g, "name", w)
        if name in names:
            c.add(f"{w}.name", f"duplicate group name {name!r}")
        names.add(name)
        share = c.number(g, "share", w, minimum=0, maximum=1)
        speed = c.number(g, "walk_speed", w, 1.34, minimum=0, strict_min=True, maximum=3.0)
        vuln = c.boolean(g, "vulnerable", w, False)
        if name is not None and share is not None and speed is not None:
            out.append(GroupSpec(name, float(share), float(speed), vuln))
    total = sum(g.share for g in out)
    if out and len(out) == len(raw) and abs(total - 1.0) > 1e-6:
        c.add("population.groups", f"shares sum to {total:g}; expected 1")
    return tuple(out) or DEFAULT_GROUPS


def _population(c: Collector, raw: dict[str, Any], base: Path) -> PopulationSpec | None:
    t = c.table(raw, "population", "", required=True)
    if not isinstance(raw.get("population"), dict):  # an empty table still needs its path
        return None
    keys = ("path", "kind", "count_column", "scale_to", "evacuate", "max_snap_m", "groups")
    c.unknown_keys(t, keys, "population")
    path = _path(c, t, "path", "population", base)
    kind = c.string(t, "kind", "population", "auto", POPULATION_KINDS)
    if kind == "auto" and path is not None:
        kind = "raster" if path.suffix.lower() in RASTER_SUFFIXES else "vector"
    col = c.string(t, "count_column", "population", "population")
    scale = c.number(t, "scale_to", "population", None, minimum=0, strict_min=True, maximum=1e9)
    evac = c.string(t, "evacuate", "population", "danger_zones", ("danger_zones", "all"))
    snap = c.number(t, "max_snap_m", "population", 1000.0, minimum=0, strict_min=True, maximum=1e5)
    groups = _groups(c, t)
    if path is None:
        return None
    return PopulationSpec(path=path, kind=kind or "raster", count_column=col or "population", scale_to=scale,
                          evacuate=evac or "danger_zones", max_snap_m=float(snap or 1000.0), groups=groups)


def _layer(c: Collector, raw: dict[str, Any], key: str, base: Path) -> LayerSpec | None:
    t = c.table(raw, key, "", required=True)
    if not isinstance(raw.get(key), dict):  # an empty table still needs its path
        return None
    c.unknown_keys(t, ("path", "layer", "name_column"), key)
    path = _path(c, t, "path", key, base)
    layer = c.string(t, "layer", key, None)
    name_col = c.string(t, "name_column", key, "name")
    return LayerSpec(path, layer, name_col or "name") if path is not None else None


def _closed(c: Collector, raw: dict[str, Any], base: Path) -> ClosedSpec | None:
    t = c.table(raw, "closed", "")
    if not t:
        return None
    c.unknown_keys(t, ("path", "layer", "snap_m"), "closed")
    path = _path(c, t, "path", "closed", base)
    layer = c.string(t, "layer", "closed", None)
    snap = c.number(t, "snap_m", "closed", 50.0, minimum=0, maximum=5000)
    return ClosedSpec(path, layer, float(snap or 50.0)) if path is not None else None


def _modes(c: Collector, raw: dict[str, Any]) -> tuple[ModeSpec, ...]:
    t = c.table(raw, "modes", "")
    if not t:
        return DEFAULT_MODES
    c.unknown_keys(t, MODE_NAMES, "modes")
    out = []
    for name in MODE_NAMES:
        if name not in t:
            continue
        w = f"modes.{name}"
        m = c.table(t, name, "modes")
        c.unknown_keys(m, ("speed", "share", "persons_per_unit", "units_per_lane_per_h", "space_m2"), w)
        d = MODE_DEFAULTS[name]
        speed = c.number(m, "speed", w, d.speed_mps, minimum=0, strict_min=True, maximum=40)
        share = c.number(m, "share", w, minimum=0, maximum=1)
        ppu = c.number(m, "persons_per_unit", w, d.persons_per_unit, minimum=1, maximum=100)
        cap = c.number(m, "units_per_lane_per_h", w, d.units_per_lane_per_h, minimum=0, maximum=10000)
        space = c.number(m, "space_m2", w, None, minimum=0, strict_min=True, maximum=500)
        if None not in (speed, share, ppu, cap):
            out.append(ModeSpec(name, float(speed), float(ppu), float(share), float(cap),
                                None if space is None else float(space)))
    total = sum(m.share for m in out)
    if out and abs(total - 1.0) > 1e-6:
        c.add("modes", f"mode shares sum to {total:g}; expected 1")
    return tuple(out) or DEFAULT_MODES


def _mobilization_one(c: Collector, m: dict[str, Any], w: str, horizon: float) -> MobilizationSpec:
    c.unknown_keys(m, ("kind", "mean", "spread", "start", "end", "table", "zones"), w)
    kind = c.string(m, "kind", w, "logistic", MOBILIZATION_KINDS) or "logistic"
    d = MobilizationSpec()
    # a default the user never wrote is never an error: on a horizon shorter than a default, it ends at the horizon
    mean = c.number(m, "mean", w, min(d.mean_min, horizon), minimum=0, maximum=horizon)
    spread = c.number(m, "spread", w, min(d.spread_min, horizon), minimum=0, strict_min=True, maximum=horizon)
    start = c.number(m, "start", w, d.start_min, minimum=0, maximum=horizon)
    end = c.number(m, "end", w, min(d.end_min, horizon), minimum=0, maximum=horizon)
    if kind == "uniform" and start is not None and end is not None and end <= start:
        default = "" if "end" in m else " (the default; give `end`)"
        c.add(f"{w}.end", f"value {end!r}{default} must be > start ({start!r})")
    table: list[tuple[float, float]] = []
    if kind == "table":
        rows = m.get("table")
        if not isinstance(rows, list) or not rows:
            c.add(f"{w}.table", f"expected a list of [minute, cumulative_share] pairs, found {rows!r}")
        else:
            for i, r in enumerate(rows):
                if (not isinstance(r, list) or len(r) != 2
                        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in r)):
                    c.add(f"{w}.table[{i}]", f"expected [minute, cumulative_share], found {r!r}")
                    continue
                table.append((float(r[0]), float(r[1])))
            if table:
                mins = [r[0] for r in table]
                shares = [r[1] for r in table]
                if any(b <= a for a, b in pairwise(mins)):
                    c.add(f"{w}.table", f"minutes must increase strictly, found {mins}")
                if any(b < a for a, b in pairwise(shares)) or min(shares) < 0:
                    c.add(f"{w}.table", f"cumulative shares must be >= 0 and never decrease, found {shares}")
                if abs(shares[-1] - 1.0) > 1e-9:
                    c.add(f"{w}.table", f"the last cumulative share is {shares[-1]:g}; expected 1")
    return MobilizationSpec(kind, float(mean or 0), float(spread or 1), float(start or 0), float(end or 1),
                            tuple(table))


def _mobilization(
    c: Collector, raw: dict[str, Any], horizon: float
) -> tuple[MobilizationSpec, tuple[tuple[str, MobilizationSpec], ...]]:
    t = c.table(raw, "mobilization", "")
    spec = _mobilization_one(c, t, "mobilization", horizon)
    zones = c.table(t, "zones", "mobilization")
    per_zone = []
    for name, m in zones.items():
        w = f"mobilization.zones.{name}"
        if not isinstance(m, dict):
            c.add(w, f"expected a table, found {m!r}")
            continue
        per_zone.append((str(name), _mobilization_one(c, m, w, horizon)))
    return spec, tuple(per_zone)


def _standards(c: Collector, raw: dict[str, Any]) -> StandardsSpec:
    t = c.table(raw, "standards", "")
    d = StandardsSpec()
    fields = list(d.__dataclass_fields__)
    c.unknown_keys(t, fields, "standards")
    vals = {f: c.number(t, f, "standards", getattr(d, f), minimum=0, strict_min=True, maximum=1e6) for f in fields}
    return StandardsSpec(**{k: float(v) for k, v in vals.items() if v is not None})


def _provenance(c: Collector, raw: dict[str, Any]) -> ProvenanceSpec:
    t = c.table(raw, "provenance", "")
    c.unknown_keys(t, ("streets", "stands_for"), "provenance")
    streets = c.string(t, "streets", "provenance", "")
    stands_for = c.string(t, "stands_for", "provenance", "")
    return ProvenanceSpec(str(streets or "").strip(), str(stands_for or "").strip())


def parse_scenario(path: Path) -> Scenario:
    """Parse and check a scenario file (keys, types, ranges, that files exist); layers are checked by
    :func:`evacplan.problem.validate_scenario`. A folder holding a ``scenario.toml`` stands for that file.

    Raises
    ------
    ScenarioInvalid
        Listing every problem found.
    """
    path = Path(path)
    if path.is_dir() and (path / "scenario.toml").is_file():  # a scenario folder, as `evacplan new` makes one
        path = path / "scenario.toml"
    c = Collector(str(path))
    why = input_path_problem(path.absolute(), str(path), neighbours=False)
    if why is not None:
        c.add("", why)
        raise ScenarioInvalid(c.problems)
    if not path.exists():
        c.add("", "scenario file does not exist")
        raise ScenarioInvalid(c.problems)
    if path.is_dir():
        c.add("", "is a folder without a scenario.toml, not a scenario file (expected a .toml file)")
        raise ScenarioInvalid(c.problems)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        c.add("", f"not valid TOML: {exc}")
        raise ScenarioInvalid(c.problems) from None
    except OSError as exc:
        c.add("", f"cannot read the scenario file: {exc.strerror or exc}")
        raise ScenarioInvalid(c.problems) from None
    base = path.parent.resolve()
    c.unknown_keys(raw, TOP_KEYS, "")
    name = c.string(raw, "name", "", path.stem) or path.stem
    step = c.number(raw, "time_step", "", 1.0, minimum=0, strict_min=True, maximum=60)
    horizon = c.number(raw, "horizon", "", 1440.0, minimum=0, strict_min=True, maximum=60 * 24 * 60)
    seed = c.number(raw, "seed", "", 0, minimum=0, integer=True)
    if step and horizon and horizon / step > 200_000:
        c.add("horizon", f"horizon / time_step = {horizon / step:g} steps; at most 200000 are supported")
    network = _network(c, raw, base)
    population = _population(c, raw, base)
    danger = _layer(c, raw, "danger_zones", base)
    safe = _layer(c, raw, "safe_zones", base)
    closed = _closed(c, raw, base)
    modes = _modes(c, raw)
    mob, zone_mob = _mobilization(c, raw, float(horizon or 1440.0))
    standards = _standards(c, raw)
    variants = parse_variants(c, raw, base, float(horizon or 1440.0))
    uncertainty = parse_uncertainty(c, raw, float(horizon or 1440.0))
    provenance = _provenance(c, raw)
    if c.problems or network is None or population is None or danger is None or safe is None:
        raise ScenarioInvalid(c.problems)
    return Scenario(
        file=path.resolve(),
        name=str(name),
        network=network,
        population=population,
        danger_zones=danger,
        safe_zones=safe,
        closed=closed,
        modes=modes,
        mobilization=mob,
        zone_mobilization=zone_mob,
        standards=standards,
        time_step_min=float(step),
        horizon_min=float(horizon),
        seed=int(seed),
        variants=variants,
        uncertainty=uncertainty,
        provenance=provenance,
        raw=raw,
    )
