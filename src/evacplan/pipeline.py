"""The main job: validate, build, plan, simulate, assess and report a scenario and each of its variants.

Layout of a run folder (every file written atomically)::

    OUT/
      run.json                  manifest: scenario, options, variants, timings, files
      report.html               the report (see :func:`evacplan.report.write_report`)
      ete.csv                   evacuation time estimates of every variant side by side
      baseline/                 the scenario as given; then one folder per variant (slug of its name)
        plan/                   summary.json, groups.parquet, edge_flows.parquet (evacplan.planning.write_plan)
        simulation/             summary.json, clearance.parquet, edge_states.parquet (evacplan.simulation)
        assessment.json         + safe_zones.csv, vulnerable.csv, exposure.csv, border.csv, ete.csv
        edges.csv, routes.csv   per-edge flows and queues; main route per origin and safe zone
        map.json                what the report's map draws
        evacplan.gpkg           edges, routes, danger_zones, safe_zones, closed (network CRS)
        inputs/                 changed layers of a variant (danger zones, closures)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evacplan._atomic import write_json
from evacplan.assessment import assess, write_assessment, write_csv
from evacplan.planning import Plan, write_plan
from evacplan.planning import plan as make_plan
from evacplan.problem import Problem, build_problem
from evacplan.problem.cache import cache_key, load_cached, store_cached
from evacplan.report.geodata import edge_metrics, main_routes, map_data, scenario_layers, write_geopackage
from evacplan.scenario import Scenario, load_scenario
from evacplan.scenario.variants import BASELINE, VariantSpec, slug, variant_scenario
from evacplan.simulation import DEFAULT_STUCK_S, simulate, write_simulation

__all__ = ["RunOptions", "RunResult", "run_scenario", "shift_departures"]

log = logging.getLogger(__name__)

#: ``progress(message, fraction)``: a new stage starts with ``fraction=None``; within a stage, ``fraction`` in [0, 1].
Progress = Callable[[str, float | None], None]


@dataclass(frozen=True)
class RunOptions:
    """Settings of :func:`run_scenario`.

    Attributes
    ----------
    method
        Planning method (``"fast"`` or ``"exact"``).
    compliance
        Share of planned evacuees who follow the plan in the simulation (a variant may override it).
    simulate
        Whether to simulate (without, exposure and clearance come from the plan).
    variants
        ``None``: every variant the scenario declares; otherwise the names to run (the baseline always runs).
    cache
        Use the on-disk build cache.
    report
        Write ``report.html``.
    """

    method: str = "fast"
    compliance: float = 1.0
    simulate: bool = True
    variants: tuple[str, ...] | None = None
    cache: bool = True
    report: bool = True


@dataclass
class RunResult:
    """What :func:`run_scenario` wrote: the folder, one subfolder per variant, stage timings (wall-clock seconds)."""

    out_dir: Path
    variants: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    report: Path | None = None


def shift_departures(problem: Problem, delay_min: float) -> Problem:
    """The problem with every departure curve starting ``delay_min`` minutes later (rounded to time steps)."""
    k = int(round(delay_min * 60.0 / problem.time_step_s))
    if k <= 0:
        return problem
    cdf = problem.departure_cdf
    out = np.zeros_like(cdf)
    if k < cdf.shape[1]:
        out[:, k:] = cdf[:, : cdf.shape[1] - k]
    out[:, -1] = 1.0
    return dataclasses.replace(problem, departure_cdf=out)


def _build_cached(scenario: Scenario, tag: str, use_cache: bool, base_key: str | None) -> Problem:
    key = None
    if use_cache and base_key is not None:
        key = hashlib.sha256(f"{base_key}|{tag}".encode()).hexdigest()[:32]
        hit = load_cached(key)
        if hit is not None:
            return hit
    problem = build_problem(scenario)
    if key is not None:
        store_cached(key, problem)
    return problem


def _closed_lines(layers: dict[str, Any]) -> list[Any]:
    if "closed" not in layers:
        return []
    g = layers["closed"].geometry
    return list(g[g.geom_type.isin(["LineString", "MultiLineString"])])


class _Stages:
    """Counts stages and forwards progress."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        self.timings: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._t = time.perf_counter()
        self._c = time.process_time()
        self._name = ""

    def start(self, name: str, message: str) -> None:
        self.finish()
        self._name, self._t, self._c = name, time.perf_counter(), time.process_time()
        self.done += 1
        if self.progress:
            self.progress(f"[{self.done}/{self.total}] {message}", None)

    def fraction(self, f: float) -> None:
        if self.progress:
            self.progress("", min(max(f, 0.0), 1.0))

    def finish(self) -> None:
        if self._name:
            self.timings[self._name] = round(time.perf_counter() - self._t, 3)
            self.cpu[self._name] = round(time.process_time() - self._c, 3)
            self._name = ""


def run_scenario(
    scenario_path: str | Path | None,
    out_dir: str | Path,
    options: RunOptions | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run the whole job on a scenario file (``None``: the bundled default) and write everything into ``out_dir``.

    Parameters
    ----------
    scenario_path
        The scenario file.
    out_dir
        The run folder (created; existing files of the same names are replaced).
    options
        :class:`RunOptions`.
    progress
        ``progress(message, fraction)`` callback (see :data:`Progress`).

    Returns
    -------
    RunResult

    Raises
    ------
    evacplan.errors.ScenarioInvalid
        When the scenario or one of its layers is invalid, or an unknown variant is asked for.
    """
    opts = options or RunOptions()
    t_all, c_all = time.perf_counter(), time.process_time()
    out = Path(out_dir)
    scenario = load_scenario(scenario_path)
    variants = _select_variants(scenario, opts.variants)
    per_variant = 5 + int(opts.simulate)
    st = _Stages(progress, 2 + int(scenario.closed is not None) + per_variant * (1 + len(variants)) + int(opts.report))
    st.start("validate", f"validated {scenario.file.name}: {1 + len(variants)} run(s)")
    st.start("build", "building the problem")
    base_key = cache_key(scenario) if opts.cache else None
    problem = _build_cached(scenario, "baseline", opts.cache, base_key)
    layers = scenario_layers(scenario, problem.network.crs)
    open_problem = None
    if scenario.closed is not None:
        st.start("build_open", "building the open-border counterfactual")
        open_problem = _build_cached(dataclasses.replace(scenario, closed=None), "open", opts.cache, base_key)
    result = RunResult(out)
    base_plan: Plan | None = None
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "schema_version": 1, "scenario": scenario.name, "scenario_file": str(scenario.file),
        "options": dataclasses.asdict(opts), "variants": [],
    }
    for spec in [None, *variants]:
        name = BASELINE if spec is None else spec.name
        folder = out / (BASELINE if spec is None else slug(spec.name))
        result.variants[name] = folder
        p, sc = problem, scenario
        if spec is not None and spec.changes_network:
            st.start(f"{name}:build", f"{name}: building the variant")
            sc = variant_scenario(scenario, spec, folder / "inputs")
            p = _build_cached(sc, "variant", opts.cache, cache_key(sc) if opts.cache else None)
        elif spec is not None:
            st.start(f"{name}:build", f"{name}: applying the variant")
        if spec is not None and spec.mobilization_delay_min:
            p = shift_departures(p, spec.mobilization_delay_min)
        # a variant that changes only the compliance simulates the baseline's plan: it is not planned again
        reuse = base_plan if spec is not None and p is problem else None
        pl = _run_one(p, sc, spec, folder, opts, st, open_problem, layers, scenario, reuse)
        if spec is None:
            base_plan = pl
        manifest["variants"].append({
            "name": name, "folder": folder.name, "description": "the scenario as given" if spec is None
            else spec.describe(), "changes": {} if spec is None else _changes(spec),
        })
    _write_ete(out, result.variants)
    st.finish()
    manifest["timings_s"] = dict(st.timings)
    write_json(out / "run.json", manifest)
    if opts.report:
        from evacplan.report.html import write_report

        st.start("report", "writing the report")
        result.report = write_report([out], out / "report.html")
        st.finish()
    result.timings = {**st.timings, "total": round(time.perf_counter() - t_all, 3)}
    manifest["timings_s"] = result.timings
    manifest["cpu_s"] = {**st.cpu, "total": round(time.process_time() - c_all, 3)}
    write_json(out / "run.json", manifest)
    return result


def _changes(spec: VariantSpec) -> dict[str, Any]:
    d = dataclasses.asdict(spec)
    d.pop("name")
    d.pop("description")
    d["closed"] = None if spec.closed is None else str(spec.closed)
    return {k: v for k, v in d.items() if v not in (None, 0.0, (), [])}


def _select_variants(scenario: Scenario, names: tuple[str, ...] | None) -> list[VariantSpec]:
    if names is None:
        return list(scenario.variants)
    from evacplan.errors import Problem as Problem_
    from evacplan.errors import ScenarioInvalid

    known = {v.name: v for v in scenario.variants}
    missing = [n for n in names if n not in known and n != BASELINE]
    if missing:
        raise ScenarioInvalid([Problem_(str(scenario.file), "variants", f"no variant named {n!r} (variants: "
                                                                        f"{sorted(known)})") for n in missing])
    return [known[n] for n in names if n in known]


def _run_one(
    problem: Problem, scenario: Scenario, spec: VariantSpec | None, folder: Path, opts: RunOptions, st: _Stages,
    open_problem: Problem | None, base_layers: dict[str, Any], base_scenario: Scenario, plan: Plan | None = None,
) -> Plan:
    name = BASELINE if spec is None else spec.name
    folder.mkdir(parents=True, exist_ok=True)
    if plan is None:
        st.start(f"{name}:plan", f"{name}: planning ({opts.method})")
        pl = make_plan(problem, opts.method, progress=st.fraction)
    else:
        st.start(f"{name}:plan", f"{name}: the baseline's plan (only the compliance changes)")
        pl = plan
    st.start(f"{name}:write_plan", f"{name}: writing the plan")
    write_plan(pl, problem, folder / "plan")
    sim = None
    if opts.simulate:
        compliance = spec.compliance if spec is not None and spec.compliance is not None else opts.compliance
        st.start(f"{name}:simulate", f"{name}: simulating (compliance {compliance:g})")
        sim = simulate(problem, pl, compliance=compliance, stuck_s=DEFAULT_STUCK_S,
                       progress=lambda t, h: st.fraction(t / h if h > 0 else 1.0))
        write_simulation(sim, problem, folder / "simulation")
    st.start(f"{name}:assess", f"{name}: assessing")
    closed_lines = _closed_lines(base_layers)
    a = assess(problem, pl, sim, open_problem=open_problem, closed_lines=closed_lines, variant=name)
    data = a.to_dict()
    data["description"] = "the scenario as given" if spec is None else spec.describe()
    write_assessment(a, folder)
    write_json(folder / "assessment.json", data)
    st.start(f"{name}:geodata", f"{name}: writing tables, map and GeoPackage")
    layers = base_layers if scenario is base_scenario else scenario_layers(scenario, problem.network.crs)
    em = edge_metrics(problem, pl, sim)
    write_csv(folder / "edges.csv", em.to_dict("records"))
    routes, _ = main_routes(problem, pl)
    write_csv(folder / "routes.csv", routes.to_dict("records"), list(routes.columns))
    write_json(folder / "map.json", map_data(problem, layers, data, pl, sim, edges=em))
    write_geopackage(folder / "evacplan.gpkg", problem, layers, data, pl, sim, edges=em)
    return pl


def _write_ete(out: Path, variants: dict[str, Path]) -> None:
    rows = []
    for name, folder in variants.items():
        path = folder / "assessment.json"
        if not path.exists():
            continue
        for e in json.loads(path.read_text())["ete"]:
            rows.append({"variant": name, **e})
    write_csv(out / "ete.csv", rows)
