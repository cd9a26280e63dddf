"""``evacplan simulate``: run the mesoscopic simulator on a scenario (optionally following a plan)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from evacplan.cli._common import (
    FORCE_OPT,
    SCENARIO_ARG,
    console,
    read_plan_folder,
    scenario_label,
    user_errors,
    write_run_manifest,
)
from evacplan.errors import OutputError

__all__ = ["simulate_command"]

PLAN_OPT = typer.Option(
    None, "--plan", help="Plan directory (with groups.parquet) to follow; omitted: everyone routes themselves."
)
OUT_OPT = typer.Option(..., "--out", help="Output folder (summary.json, clearance.parquet, edge_states.parquet, "
                       "manifest.json; a folder of an earlier run is replaced as a whole).")


def simulate_command(
    scenario: Path | None = SCENARIO_ARG,
    plan: Path | None = PLAN_OPT,
    out: Path = OUT_OPT,
    compliance: float = typer.Option(1.0, min=0.0, max=1.0, help="Share of each planned group that follows the plan."),
    packet_size: int = typer.Option(10, "--packet-size", min=1, help="Most persons moved together."),
    dt: float = typer.Option(10.0, "--dt", min=0.1, max=10.0, help="Time step in seconds (at most 10)."),
    horizon_min: float | None = typer.Option(
        None, "--horizon-min", min=1.0, help="Simulated minutes (default: the scenario's horizon)."
    ),
    seed: int | None = typer.Option(None, help="Seed of the compliance draw (default: the scenario's seed)."),
    stuck_time: float | None = typer.Option(
        None, "--stuck-time", min=0.0,
        help="Seconds a blocked packet waits before squeezing into a full edge (MATSim's stuck time; 0: never; "
        "default: evacplan.simulation.DEFAULT_STUCK_S, 300 s, as in `run`, `ensemble` and `simulate()`).",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Rebuild the scenario even if a cached build exists."),
    force: bool = FORCE_OPT,
) -> None:
    """Simulate the evacuation with queues and spillback; write clearance curves, edge states and a summary."""
    from evacplan._atomic import check_output_folder, replaced_folder
    from evacplan.problem import load_problem
    from evacplan.problem.resources import check_memory
    from evacplan.simulation import DEFAULT_STUCK_S, simulate, write_simulation

    stuck_s = DEFAULT_STUCK_S if stuck_time is None else stuck_time
    with user_errors():
        if plan is not None and plan.absolute() == out.absolute():
            raise OutputError(f"--out {out} is the --plan folder: write the simulation into another folder")
        check_output_folder(out)
        with console.status(f"Building {scenario_label(scenario)} ...", spinner="dots") as status:
            problem = load_problem(scenario, cache=not no_cache, progress=lambda m, _f: status.update(m), force=force)
        the_plan = None
        if plan is not None:
            the_plan = read_plan_folder(plan, problem)
        check_memory(problem, plan=False, packet_size=packet_size)
        horizon = problem.horizon_s if horizon_min is None else horizon_min * 60.0
        with Progress(
            TextColumn("[bold]simulating[/]"), BarColumn(), TextColumn("{task.fields[clock]}"), TimeElapsedColumn(),
            console=console, transient=True,
        ) as bar:
            task = bar.add_task("sim", total=horizon, clock="0 min")

            def tick(_message: str, fraction: float | None) -> None:
                t_s = (fraction or 0.0) * horizon
                bar.update(task, completed=t_s, clock=f"{t_s / 60:,.0f} / {horizon / 60:,.0f} min")

            result = simulate(problem, the_plan, compliance=compliance, packet_size=packet_size, dt_s=dt,
                              horizon_s=horizon, seed=seed, progress=tick, stuck_s=stuck_s or None)
        with replaced_folder(out) as stage:
            write_simulation(result, problem, stage)
            write_run_manifest(stage, "simulate", scenario, {
                "plan": None if plan is None else str(plan.absolute()), "compliance": compliance,
                "packet_size": packet_size, "dt_s": dt, "horizon_min": horizon_min, "seed": seed,
                "stuck_time_s": stuck_s, "force": force,
            }, problem)
    s = result.summary(problem)

    def fmt(v: float | None) -> str:
        return "not reached" if v is None else f"{v:,.1f} min"

    console.print(f"Evacuated [bold]{s['evacuated']:,}[/] of {s['evacuees']:,} "
                  f"(no path: {s['unreachable']:,}, still out at the end: {s['en_route_at_end']:,}).")
    console.print(f"Evacuation time {fmt(s['evacuation_time_min'])}; 50 % by {fmt(s['t50_min'])}, "
                  f"90 % by {fmt(s['t90_min'])}.")
    for z in s["danger_zones"]:
        verdict = "[green]met[/]" if z["met"] else "[red]missed[/]"
        console.print(f"  {z['name']}: cleared {fmt(z['clearance_min'])} (deadline {fmt(z['deadline_min'])}) "
                      f"{verdict}; exposed {z['exposed']:,}")
    console.print(f"Wrote {out}/summary.json, clearance.parquet, edge_states.parquet "
                  f"({s['runtime_s']:.1f} s).")

