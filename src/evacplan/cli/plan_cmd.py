"""``evacplan plan``: load a scenario, plan its evacuation, write the plan files and print a short summary."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["plan_command"]


def plan_command(
    scenario: Path | None = typer.Argument(None, help="Scenario file (default: the bundled example scenario)."),
    out: Path = typer.Option(..., "--out", help="Directory for summary.json, groups.parquet, edge_flows.parquet."),
    method: str = typer.Option("fast", "--method", help="Planning method: 'fast' (default) or 'exact'."),
) -> None:
    """Plan the evacuation of SCENARIO and write the plan to --out."""
    from evacplan.planning import METHODS, plan, write_plan
    from evacplan.problem import load_problem

    console = Console()
    if method not in METHODS:
        raise typer.BadParameter(f"choose one of {sorted(METHODS)}", param_hint="--method")
    problem = load_problem(scenario)
    with Progress(
        TextColumn("[bold]planning ({task.fields[method]})"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("plan", total=1.0, method=method)
        result = plan(problem, method=method, progress=lambda f: bar.update(task, completed=f))
    write_plan(result, problem, out)

    table = Table(title=f"Evacuation plan — {problem.name}", show_header=False)
    table.add_row("evacuees", f"{problem.demand.total:,}")
    table.add_row("planned to safety", f"{result.evacuated:,}")
    if result.unplanned.sum():
        table.add_row("not planned", f"[red]{int(result.unplanned.sum()):,}[/red]")
    table.add_row("evacuation time", f"{result.evacuation_time_s / 60:.1f} min")
    table.add_row("lower bound", f"{result.lower_bound_s / 60:.1f} min")
    table.add_row("certified gap", f"{100 * result.gap:.2f} %")
    table.add_row("method / runtime", f"{result.method} / {result.runtime_s:.1f} s")
    console.print(table)
    for line in result.bottlenecks[:3]:
        console.print(f"  [yellow]bottleneck[/yellow]: {line}")
    console.print(f"plan written to [bold]{out}[/bold]")
