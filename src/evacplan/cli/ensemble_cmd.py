"""``evacplan ensemble``: simulate many members of one plan under the scenario's declared uncertainties, on Dask."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from evacplan.cli._common import (
    FORCE_OPT,
    SCENARIO_ARG,
    console,
    err_console,
    read_plan_folder,
    scenario_label,
    user_errors,
)

if TYPE_CHECKING:
    from evacplan.planning import Plan
    from evacplan.problem.problem import Problem
    from evacplan.scenario.uncertainty import UncertaintySpec

__all__ = ["ensemble_command"]


def _uncertainty(scenario: Path | None, override: Path | None, horizon_min: float) -> UncertaintySpec | None:
    """The uncertainties: from ``--uncertainty`` when given, else the scenario's ``[uncertainty]`` table."""
    from evacplan.errors import ScenarioInvalid
    from evacplan.scenario import load_scenario
    from evacplan.scenario._checks import Collector
    from evacplan.scenario.uncertainty import parse_uncertainty

    if override is None:
        return load_scenario(scenario).uncertainty
    import tomllib

    c = Collector(str(override))
    try:
        raw = tomllib.loads(override.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        c.add("", f"not valid TOML: {exc}")
        raise ScenarioInvalid(c.problems) from None
    if "uncertainty" not in raw:
        c.add("uncertainty", "missing required table [uncertainty]")
    spec = parse_uncertainty(c, raw, horizon_min)
    if c.problems:
        raise ScenarioInvalid(c.problems)
    return spec


def _base_plan(problem: Problem, out: Path, plan_dir: Path | None, method: str) -> Plan:
    """The plan every member follows: read from ``plan_dir``, or made once and kept in ``out/plan``."""
    from evacplan.planning import plan, read_plan, write_plan

    if plan_dir is not None:
        return read_plan_folder(plan_dir, problem)
    kept = out / "plan"
    config = out / "ensemble.json"
    if config.exists():
        import json

        from evacplan.ensemble.runner import EnsembleError, problem_fingerprint

        if json.loads(config.read_text(encoding="utf-8")).get("problem") != problem_fingerprint(problem):
            raise EnsembleError(f"{out} holds an ensemble of another scenario (differs in: problem); choose another "
                                "output folder")
    if (kept / "summary.json").exists():
        console.print(f"using the plan kept in [bold]{kept}[/bold]")
        return read_plan(kept, problem)
    with Progress(TextColumn("[bold]planning ({task.fields[method]})"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("plan", total=1.0, method=method)
        made = plan(problem, method, progress=lambda _m, f: bar.update(task, completed=f))
    write_plan(made, problem, kept)
    console.print(f"plan made ({made.evacuation_time_s / 60:.0f} min) and kept in [bold]{kept}[/bold]")
    return read_plan(kept, problem)  # what a resumed run will read: same arrays, same fingerprint


def _fmt(v: float | None) -> str:
    if v is None:
        return "never"
    return f"{v:,.0f}" if abs(v) >= 1000 or float(v).is_integer() else f"{v:,.1f}"


def ensemble_command(
    scenario: Path | None = SCENARIO_ARG,
    runs: int = typer.Option(100, "--runs", "-n", min=1, help="Number of ensemble members."),
    out: Path = typer.Option(..., "--out", "-o", help="Ensemble folder (created; an existing one is resumed)."),
    plan_dir: Path | None = typer.Option(None, "--plan", help="Folder of a plan written by `evacplan plan` "
                                         "(default: plan once and keep the plan in OUT/plan)."),
    replan: bool = typer.Option(False, "--replan", help="Re-plan every member in its own world (slow)."),
    no_plan: bool = typer.Option(False, "--no-plan", help="Simulate self-routing evacuees, without a plan."),
    method: str = typer.Option("fast", "--method", help="Planning method when planning: 'fast' or 'exact'."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler, e.g. "
                                         "tcp://HOST:8786 (default: a local cluster of --workers processes)."),
    workers: int | None = typer.Option(None, "--workers", "-w", min=0, help="Worker processes of the local "
                                       "cluster (default: the number of CPUs; 0: run in this process)."),
    uncertainty: Path | None = typer.Option(None, "--uncertainty", help="A TOML file whose uncertainty table "
                                            "replaces the scenario's."),
    packet_size: int = typer.Option(50, "--packet-size", min=1, help="Most persons simulated together."),
    dt: float = typer.Option(10.0, "--dt", min=0.1, max=10.0, help="Simulation time step, seconds."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Ensemble seed (default: the scenario's)."),
    force: bool = FORCE_OPT,
) -> None:
    """Simulate RUNS members of one plan, each in a world drawn from the scenario's uncertainty table.

    Writes one record per member as it finishes (an interrupted run resumes where it stopped), then members.parquet,
    ensemble_summary.json (P50/P90/P99 of evacuation time and exposure, deadline-miss probability per danger zone),
    edge_bottleneck.parquet and fan_chart.svg. See docs/ensemble.md.
    """
    import distributed  # noqa: F401  (configures its loggers on import; quieten them after)

    from evacplan.ensemble import MemberSettings, UncertaintySpec, run_ensemble
    from evacplan.problem import load_problem
    from evacplan.problem.resources import check_memory

    logging.getLogger("distributed").setLevel(logging.ERROR)  # Dask's INFO chatter would hide the progress bar
    if sum((plan_dir is not None, replan, no_plan)) > 1:
        raise typer.BadParameter("choose at most one of --plan, --replan and --no-plan")
    with user_errors():
        problem = load_problem(scenario, force=force)
        check_memory(problem, plan=replan or (plan_dir is None and not no_plan), packet_size=packet_size,
                     method=method)
        spec = _uncertainty(scenario, uncertainty, problem.horizon_s / 60.0)
        if spec is None:
            err_console.print(f"[yellow]warning[/]: {scenario_label(scenario)} declares no [uncertainty]; every "
                              "member is the scenario as given (see docs/ensemble.md)")
            spec = UncertaintySpec()
        base = None if (replan or no_plan) else _base_plan(problem, out, plan_dir, method)
        settings = MemberSettings(packet_size=packet_size, dt_s=dt, replan=replan, method=method)
        if scheduler:
            where = f"the Dask cluster at {scheduler}"
        elif workers == 0:
            where = "this process"
        else:
            where = f"a local cluster of {workers or os.cpu_count()} worker processes"
        console.print(f"ensemble of {runs} members of {problem.name!r} on {where}")
        with Progress(TextColumn("[bold]members"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task("members", total=runs)
            try:
                run = run_ensemble(problem, out, runs=runs, spec=spec, plan=base, settings=settings, seed=seed,
                                   scheduler=scheduler, workers=workers,
                                   progress=lambda _m, f: bar.update(task, completed=round((f or 0.0) * runs)))
            except KeyboardInterrupt:
                bar.stop()
                err_console.print(f"interrupted; finished members are kept in {out}/members: run the same command "
                                  "again to resume")
                raise typer.Exit(130) from None
    s = run.summary
    table = Table(title=f"Ensemble — {problem.name}", show_header=True)
    for col in ("", "P50", "P90", "P99"):
        table.add_column(col, justify="right" if col else "left")
    for label, key in (("evacuation time (min)", "evacuation_time_min"), ("90 % in safety (min)", "t90_min"),
                       ("persons exposed", "exposed"), ("exposure (person-min)", "exposure_person_min")):
        d = s[key]
        table.add_row(label, _fmt(d["p50"]), _fmt(d["p90"]), _fmt(d["p99"]))
    console.print(table)
    for z in s["danger_zones"]:
        console.print(f"  {z['name']}: deadline {_fmt(z['deadline_min'])} min missed in "
                      f"{z['p_missed_deadline'] * 100:.0f} % of members")
    console.print(f"{len(run.computed)} members computed, {len(run.skipped)} found done; results in [bold]{out}[/bold]")
