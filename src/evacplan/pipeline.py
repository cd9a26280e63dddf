"""The main job: validate, build, plan, simulate, assess and report a scenario and each of its variants.

Layout of a run folder (every file written atomically)::

    OUT/
      manifest.json             written last: which run wrote the folder (inputs' hash, options), every file's SHA-256
      run.json                  scenario, options, variants, timings, findings forced past
      report.html               the report (see :func:`evacplan.report.write_report`)
      summary.json              each variant's headline figures: the plan's and the simulation's side by side
      ete.csv                   evacuation time estimates of every variant side by side
      baseline/                 the scenario as given; then one folder per variant (slug of its name)
        plan/                   summary.json, groups.parquet, edge_flows.parquet (evacplan.planning.write_plan)
        simulation/             summary.json, clearance.parquet, edge_states.parquet (evacplan.simulation)
        assessment.json         + safe_zones.csv, vulnerable.csv, exposure.csv, border.csv, ete.csv
        edges.csv, routes.csv   per-edge flows and queues; main route per origin and safe zone
        schedule.csv            the departure schedule: per neighbourhood, when to leave, which streets, where to
        handouts.html           one printable page per danger zone: its schedule, a map of its routes, services
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evacplan._atomic import check_output_folder, replaced_folder, write_json, write_manifest
from evacplan.assessment import assess, write_assessment, write_csv
from evacplan.assessment.compare import no_plan_figures
from evacplan.errors import InputError, ScenarioInvalid
from evacplan.errors import Problem as Problem_
from evacplan.planning import Plan, write_plan
from evacplan.planning import plan as make_plan
from evacplan.problem import Problem, build_problem
from evacplan.problem.builder import variant_layer_problems
from evacplan.problem.cache import cache_key, load_cached, store_cached
from evacplan.problem.mobilization import delay_departures
from evacplan.problem.resources import check_memory
from evacplan.problem.sanity import require_sane
from evacplan.progress import Progress
from evacplan.report.geodata import edge_metrics, main_routes, map_data, scenario_layers, write_geopackage
from evacplan.report.handouts import write_handouts
from evacplan.report.schedule import departure_schedule, parse_start, write_schedule_csv
from evacplan.scenario import Scenario, load_scenario
from evacplan.scenario.variants import BASELINE, VariantSpec, slug, variant_scenario
from evacplan.simulation import DEFAULT_STUCK_S, simulate, write_simulation

__all__ = ["SUMMARY_SCHEMA_VERSION", "RunOptions", "RunResult", "run", "run_scenario", "run_summary"]

#: Version of the run's ``summary.json``.
SUMMARY_SCHEMA_VERSION = 1

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class RunOptions:
    """Settings of :func:`run_scenario`.

    Attributes
    ----------
    method
        Planning method (``"fast"`` or ``"exact"``).
    objective
        Planning objective (``"auto"``, ``"deadlines"`` or ``"quickest"``; see :func:`evacplan.planning.plan`).
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
    force
        Proceed although the sanity checks find the baseline or a variant implausible.
    start
        Clock time of the start, ``"HH:MM"``: the departure schedule, the report and the handouts then give clock
        times (``None``: minutes from the start, ``T+12 min``).
    """

    method: str = "fast"
    objective: str = "auto"
    compliance: float = 1.0
    simulate: bool = True
    variants: tuple[str, ...] | None = None
    cache: bool = True
    report: bool = True
    force: bool = False
    start: str | None = None


@dataclass
class RunResult:
    """What :func:`run_scenario` wrote: the folder, one subfolder per variant, stage timings (wall-clock seconds)."""

    out_dir: Path
    variants: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    report: Path | None = None


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

    def fraction(self, _message: str, f: float | None) -> None:
        if self.progress and f is not None:
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

    Before anything is planned: the scenario, its layers and the layers of its variants are checked; the baseline and
    every variant are built and checked for sanity (:mod:`evacplan.problem.sanity`; stop unless ``options.force``);
    and the memory of planning and simulating each is estimated against the limit
    (:func:`evacplan.problem.resources.check_memory`). The run is written into a staging folder beside ``out_dir``
    that replaces it as a whole at the end (an interrupted run leaves ``out_dir`` as it was), with ``manifest.json``
    written last.

    Parameters
    ----------
    scenario_path
        The scenario file.
    out_dir
        The run folder (created; a folder of an earlier run is replaced as a whole; a folder holding files evacplan
        did not write is refused).
    options
        :class:`RunOptions`.
    progress
        ``progress(message, fraction)`` callback (:class:`evacplan.progress.Progress`): a new stage starts with
        ``fraction=None``; within a stage, ``fraction`` in [0, 1].

    Returns
    -------
    RunResult

    Raises
    ------
    evacplan.errors.ScenarioInvalid
        When the scenario, one of its layers or a variant's layer is invalid, or an unknown variant is asked for.
    evacplan.errors.ScenarioImplausible
        When the baseline or a variant is implausible (unless ``options.force``).
    evacplan.errors.ResourceLimitError
        When planning or simulating would need more memory than the limit.
    evacplan.errors.OutputError
        When ``out_dir`` is a file, a folder evacplan did not write, or cannot be written.
    evacplan.errors.InputError
        When ``options.start`` is not a time of day ``HH:MM``.
    """
    opts = options or RunOptions()
    t_all, c_all = time.perf_counter(), time.process_time()
    try:
        parse_start(opts.start)
    except ValueError as exc:
        raise InputError(f"--start: {exc}") from None
    out = check_output_folder(out_dir)
    scenario = load_scenario(scenario_path)
    variants = _select_variants(scenario, opts.variants)
    bad = variant_layer_problems(scenario, only=[v.name for v in variants])
    if bad:
        raise ScenarioInvalid(bad)
    per_variant = 5 + int(opts.simulate)
    st = _Stages(progress, 2 + int(scenario.closed is not None) + per_variant * (1 + len(variants)) + int(opts.report)
                 + int(opts.simulate))  # the baseline is also simulated with nobody following the plan
    st.start("validate", f"validated {scenario.file.name}: {1 + len(variants)} run(s)")
    st.start("build", "building the problem")
    inputs_hash = cache_key(scenario)
    base_key = inputs_hash if opts.cache else None
    problem = _build_cached(scenario, "baseline", opts.cache, base_key)
    findings = list(problem.findings)
    require_sane(findings, opts.force)  # before building anything else
    layers = scenario_layers(scenario, problem.network.crs)
    open_problem = None
    if scenario.closed is not None:
        st.start("build_open", "building the open-border counterfactual")
        open_problem = _build_cached(dataclasses.replace(scenario, closed=None), "open", opts.cache, base_key)
    result = RunResult(out)
    manifest: dict[str, Any] = {
        "schema_version": 1, "scenario": scenario.name, "scenario_file": str(scenario.file),
        "inputs_hash": inputs_hash, "options": dataclasses.asdict(opts), "variants": [],
    }
    with replaced_folder(out) as stage:
        runs: list[tuple[VariantSpec | None, str, Path, Problem, Scenario]] = []
        for spec in [None, *variants]:  # build (and check) every variant before planning any
            name = BASELINE if spec is None else spec.name
            folder = stage / (BASELINE if spec is None else slug(spec.name))
            folder.mkdir(parents=True, exist_ok=True)
            p, sc = problem, scenario
            if spec is not None and spec.changes_network:
                st.start(f"{name}:build", f"{name}: building the variant")
                sc = variant_scenario(scenario, spec, folder / "inputs")
                p = _build_cached(sc, "variant", opts.cache, cache_key(sc) if opts.cache else None)
                seen = {(f.file, f.message) for f in findings}
                findings += [Problem_(f.file, f"variant {name!r}: {f.where}", f.message, True) for f in p.findings
                             if (f.file, f.message) not in seen]
            elif spec is not None:
                st.start(f"{name}:build", f"{name}: applying the variant")
            if spec is not None and spec.mobilization_delay_min:
                p = delay_departures(p, spec.mobilization_delay_min)
            runs.append((spec, name, folder, p, sc))
        require_sane(findings, opts.force)
        for spec, _name, _folder, p, _sc in runs:
            replan = spec is None or p is not problem
            check_memory(p, plan=replan, simulate=opts.simulate, method=opts.method)
        base_plan: Plan | None = None
        folders = {name: folder for _, name, folder, _, _ in runs}
        while runs:
            # each variant's problem and plan are let go once written (the baseline's stay: variants reuse them),
            # so that planning the next one does not sit beside them
            spec, name, folder, p, sc = runs.pop(0)
            result.variants[name] = out / folder.name
            # a variant that changes only the compliance simulates the baseline's plan: it is not planned again
            reuse = base_plan if spec is not None and p is problem else None
            pl = _run_one(p, sc, spec, folder, opts, st, open_problem, layers, scenario, reuse)
            if spec is None:
                base_plan = pl
            manifest["variants"].append({
                "name": name, "folder": folder.name, "description": "the scenario as given" if spec is None
                else spec.describe(), "changes": {} if spec is None else _changes(spec),
            })
            del p, pl
        _write_ete(stage, folders)
        write_json(stage / "summary.json", run_summary(scenario.name, folders))
        st.finish()
        manifest["timings_s"] = dict(st.timings)
        manifest["forced_findings"] = [str(f) for f in findings]
        write_json(stage / "run.json", manifest)
        if opts.report:
            from evacplan.report.html import write_report

            st.start("report", "writing the report")
            write_report([stage], stage / "report.html", start=opts.start)
            result.report = out / "report.html"
            st.finish()
        result.timings = {**st.timings, "total": round(time.perf_counter() - t_all, 3)}
        manifest["timings_s"] = result.timings
        manifest["cpu_s"] = {**st.cpu, "total": round(time.process_time() - c_all, 3)}
        write_json(stage / "run.json", manifest)
        write_manifest(stage, {"command": "run", "scenario": scenario.name, "scenario_file": str(scenario.file),
                               "inputs_hash": inputs_hash, "options": dataclasses.asdict(opts),
                               "forced_findings": manifest["forced_findings"]})
    return result


def run(
    scenario: str | Path | None = None,
    out_dir: str | Path = "evacplan-run",
    *,
    method: str = "fast",
    objective: str = "auto",
    compliance: float = 1.0,
    simulate: bool = True,
    variants: Sequence[str] | None = None,
    cache: bool = True,
    report: bool = True,
    force: bool = False,
    start: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """The main job from a notebook: :func:`run_scenario` with the :class:`RunOptions` as keyword arguments.

    Parameters
    ----------
    scenario
        The scenario file (``None``: the bundled default).
    out_dir
        The run folder (see :func:`run_scenario`).
    method, objective, compliance, simulate, variants, cache, report, force, start
        The fields of :class:`RunOptions` (``variants=()`` runs the baseline only).
    progress
        ``progress(message, fraction)`` callback (:class:`evacplan.progress.Progress`).

    Returns
    -------
    RunResult

    Examples
    --------
    >>> import evacplan as ep
    >>> result = ep.run(out_dir="rafah-run", variants=(), compliance=0.8)  # doctest: +SKIP
    >>> result.report                                                        # doctest: +SKIP
    PosixPath('rafah-run/report.html')
    """
    options = RunOptions(method=method, objective=objective, compliance=compliance, simulate=simulate,
                         variants=None if variants is None else tuple(variants), cache=cache, report=report,
                         force=force, start=start)
    return run_scenario(scenario, out_dir, options, progress=progress)


def _changes(spec: VariantSpec) -> dict[str, Any]:
    d = dataclasses.asdict(spec)
    d.pop("name")
    d.pop("description")
    d["closed"] = None if spec.closed is None else str(spec.closed)
    return {k: v for k, v in d.items() if v not in (None, 0.0, (), [])}


def _select_variants(scenario: Scenario, names: tuple[str, ...] | None) -> list[VariantSpec]:
    if names is None:
        return list(scenario.variants)
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
    if plan is None:
        st.start(f"{name}:plan", f"{name}: planning ({opts.method})")
        pl = make_plan(problem, opts.method, progress=st.fraction, objective=opts.objective)
    else:
        st.start(f"{name}:plan", f"{name}: the baseline's plan (only the compliance changes)")
        pl = plan
    st.start(f"{name}:write_plan", f"{name}: writing the plan")
    write_plan(pl, problem, folder / "plan")
    sim = None
    no_plan = None
    if opts.simulate and spec is None:
        # is the plan better than none? the same people, each on their own shortest way (only its figures are
        # kept: the two simulations are not held at once)
        st.start(f"{name}:no_plan", f"{name}: simulating with nobody following the plan")
        no_plan = no_plan_figures(problem, simulate(problem, None, stuck_s=DEFAULT_STUCK_S, progress=st.fraction))
    if opts.simulate:
        compliance = spec.compliance if spec is not None and spec.compliance is not None else opts.compliance
        st.start(f"{name}:simulate", f"{name}: simulating (compliance {compliance:g})")
        sim = simulate(problem, pl, compliance=compliance, stuck_s=DEFAULT_STUCK_S,
                       progress=st.fraction)
        write_simulation(sim, problem, folder / "simulation")
    st.start(f"{name}:assess", f"{name}: assessing")
    closed_lines = _closed_lines(base_layers)
    a = assess(problem, pl, sim, open_problem=open_problem, closed_lines=closed_lines, variant=name,
               network_changed=spec is not None and spec.changes_network, no_plan=no_plan)
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
    schedule = departure_schedule(problem, pl, opts.start)
    write_schedule_csv(folder / "schedule.csv", schedule[0])
    write_json(folder / "map.json", map_data(problem, layers, data, pl, sim, edges=em, schedule=schedule))
    write_geopackage(folder / "evacplan.gpkg", problem, layers, data, pl, sim, edges=em)
    write_handouts(folder, folder / "handouts.html", start=opts.start, title=f"{scenario.name}: {name}")
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


def _side(d: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if d is None else {k: v for k, v in d.items() if k != "curve"}


def run_summary(scenario: str, variants: dict[str, Path]) -> dict[str, Any]:
    """The content of the run's ``summary.json``: per variant, the plan's and the simulation's figures side by side.

    Each variant's entry holds the times at which 50 %, 90 % and 100 % of the evacuees are safe and the people in
    danger after a deadline (each counted once) for ``plan`` and ``simulation`` (``null`` without a simulation),
    the figures on which they differ by more than 5 % and the sentence the report shows (see
    :mod:`evacplan.assessment.compare`); for the baseline, ``plan_vs_no_plan``: its simulation beside one with
    nobody following the plan (``null`` for the variants, and without a simulation).

    Parameters
    ----------
    scenario
        Scenario name.
    variants
        Variant name to its folder (holding ``assessment.json``).

    Returns
    -------
    dict
    """
    out = []
    for name, folder in variants.items():
        path = folder / "assessment.json"
        if not path.exists():
            continue
        a = json.loads(path.read_text(encoding="utf-8"))
        s = a.get("summary", {})
        pvs = a.get("plan_vs_simulation")
        entry: dict[str, Any] = {
            "name": name, "folder": folder.name, "description": a.get("description", ""),
            "source": a["source"], "evacuees": a["evacuees"], "evacuated": a["evacuated"],
            "unreachable": a["unreachable"], "compliance": s.get("compliance"),
            "evacuation_time_min": s.get("evacuation_time_min"), "t50_min": s.get("t50_min"),
            "t90_min": s.get("t90_min"), "exposed": s.get("exposed"),
        }
        nop = a.get("plan_vs_no_plan")
        entry["plan_vs_no_plan"] = None if nop is None else {
            k: nop[k] for k in ("following", "no_plan", "worse", "causes", "sentence")}
        if pvs is not None:
            entry.update({"plan": _side(pvs["plan"]), "simulation": _side(pvs["simulation"]),
                          "agree": pvs["agree"], "differences": pvs["differences"], "causes": pvs["causes"],
                          "plan_vs_simulation": pvs["sentence"]})
        else:
            entry.update({"plan": None, "simulation": None, "agree": None, "differences": [], "causes": [],
                          "plan_vs_simulation": None})
        out.append(entry)
    return {"schema_version": SUMMARY_SCHEMA_VERSION, "scenario": scenario, "variants": out}
