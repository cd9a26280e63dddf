"""``evacplan plan``: load a scenario, plan its evacuation, write the plan files and print a short summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evacplan.cli._common import (
    FORCE_OPT,
    OBJECTIVE_OPT,
    SCENARIO_ARG,
    check_objective,
    console,
    scenario_label,
    user_errors,
    write_run_manifest,
)

if TYPE_CHECKING:
    from evacplan.planning.deadlines import ZoneDeadline

__all__ = ["deadline_table", "plan_command"]


def deadline_table(deadlines: Sequence[ZoneDeadline]) -> Table:
    """Per danger zone: the plan's persons safe by the deadline beside the certified maximum and the gap."""
    table = Table(title="Safe by each danger zone's deadline")
    for col in ("danger zone", "deadline (min)", "evacuees", "plan: safe by deadline", "at most (certified)",
                "gap"):
        table.add_column(col, justify="left" if col == "danger zone" else "right")
    for zd in deadlines:
        mark = "" if zd.gap == 0 else "[yellow]"
        table.add_row(zd.name, f"{zd.deadline_s / 60:.0f}", f"{zd.population:,}", f"{zd.safe_by_deadline:,}",
                      f"{zd.max_safe_by_deadline:,}" + ("" if zd.exact else " (bound)"),
                      f"{mark}{zd.gap:,}")
    return table


def plan_command(
    scenario: Path | None = SCENARIO_ARG,
    out: Path = typer.Option(..., "--out", help="Folder for summary.json, groups.parquet, edge_flows.parquet and "
                             "manifest.json (created; a folder of an earlier run is replaced as a whole)."),
    method: str = typer.Option("fast", "--method", help="Planning method: 'fast' (default) or 'exact'."),
    objective: str = OBJECTIVE_OPT,
    time_limit: float | None = typer.Option(None, "--time-limit", min=0.0, metavar="SECONDS", help="Fast method: "
                                            "keep tightening the bound and improving the plan until the gap is "
                                            "within 1 % or this many seconds have passed (default: a fixed number "
                                            "of max flows)."),
    force: bool = FORCE_OPT,
    no_cache: bool = typer.Option(False, "--no-cache", help="Rebuild the scenario even if a cached build exists."),
) -> None:
    """Plan the evacuation of SCENARIO and write the plan to --out."""
    from evacplan._atomic import check_output_folder, replaced_folder
    from evacplan.planning import METHODS, plan, write_plan
    from evacplan.problem import load_problem
    from evacplan.problem.resources import check_memory

    if method not in METHODS:
        raise typer.BadParameter(f"choose one of {sorted(METHODS)}", param_hint="--method")
    check_objective(objective)
    with user_errors():
        check_output_folder(out)
        with console.status(f"Building {scenario_label(scenario)} ...", spinner="dots") as status:
            problem = load_problem(scenario, cache=not no_cache, progress=lambda m, _f: status.update(m), force=force)
        check_memory(problem, simulate=False, method=method)
        with Progress(
            TextColumn("[bold]planning ({task.fields[method]})"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("plan", total=1.0, method=method)
            result = plan(problem, method=method, progress=lambda _m, f: bar.update(task, completed=f),
                          objective=objective, time_limit_s=time_limit)
        with replaced_folder(out) as stage:
            write_plan(result, problem, stage)
            write_run_manifest(stage, "plan", scenario, {"method": method, "objective": objective,
                                                         "time_limit_s": time_limit, "force": force},
                               problem)

    table = Table(title=f"Evacuation plan — {problem.name}", show_header=False)
    table.add_row("evacuees", f"{problem.demand.total:,}")
    table.add_row("planned to safety", f"{result.evacuated:,}")
    if result.unplanned.sum():
        table.add_row("not planned", f"[red]{int(result.unplanned.sum()):,}[/red]")
    table.add_row("evacuation time", f"{result.evacuation_time_s / 60:.1f} min")
    table.add_row("lower bound", f"{result.lower_bound_s / 60:.1f} min")
    table.add_row("certified gap", f"{100 * result.gap:.2f} %")
    if result.objective == "deadlines" and result.quickest_time_s != result.evacuation_time_s:
        table.add_row("quickest plan found", f"{result.quickest_time_s / 60:.1f} min (deadlines first cost "
                      f"{(result.evacuation_time_s - result.quickest_time_s) / 60:+.1f} min at the end)")
    table.add_row("objective", result.objective)
    table.add_row("method / runtime", f"{result.method} / {result.runtime_s:.1f} s")
    console.print(table)
    if result.deadlines:
        console.print(deadline_table(result.deadlines))
        for zd in result.deadlines:
            if not zd.can_be_met:
                console.print(f"  [red]deadline[/red]: {zd.sentence()}")
    for line in result.bottlenecks[:3]:
        console.print(f"  [yellow]bottleneck[/yellow]: {line}")
    if problem.findings:
        console.print(f"[yellow]forced[/yellow] despite {len(problem.findings)} sanity finding(s) (see manifest.json)")
    console.print(f"plan written to [bold]{out}[/bold]")

