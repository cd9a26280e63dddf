"""``evacplan run``: the main job in one command."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from evacplan.cli._common import (
    FORCE_OPT,
    OBJECTIVE_OPT,
    SCENARIO_ARG,
    check_objective,
    console,
    err_console,
    scenario_label,
    user_errors,
)

__all__ = ["run_command"]

_OUT = typer.Option(Path("evacplan-run"), "--out", "-o", help="Run folder to write (created; a folder of an earlier "
                    "run is replaced as a whole).")
_VARIANT = typer.Option(None, "--variant", help="Run only these variants (repeatable); default: every variant the "
                        "scenario declares.")


def run_command(
    scenario: Path | None = SCENARIO_ARG,
    out: Path = _OUT,
    method: str = typer.Option("fast", "--method", help="Planning method: fast or exact."),
    objective: str = OBJECTIVE_OPT,
    compliance: float = typer.Option(1.0, "--compliance", min=0.0, max=1.0,
                                     help="Share of planned evacuees who follow the plan in the simulation."),
    variant: list[str] | None = _VARIANT,
    no_variants: bool = typer.Option(False, "--no-variants", help="Run the scenario as given only."),
    no_simulate: bool = typer.Option(False, "--no-simulate", help="Skip the simulation (figures from the plan)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Rebuild even if a cached build exists."),
    force: bool = FORCE_OPT,
    start: str | None = typer.Option(None, "--start", metavar="HH:MM", help="Clock time of the start: the "
                                     "departure schedule and handouts give clock times (default: T+ minutes)."),
) -> None:
    """Validate, build, plan, simulate, assess and report a scenario and its variants into one folder."""
    from evacplan.pipeline import RunOptions, run_scenario

    names = () if no_variants else (tuple(variant) if variant else None)
    opts = RunOptions(method=method, objective=objective, compliance=compliance, simulate=not no_simulate,
                      variants=names, cache=not no_cache, force=force, start=start)
    with user_errors():
        if method not in ("fast", "exact"):
            raise typer.BadParameter(f"unknown method {method!r}; choose fast or exact", param_hint="--method")
        check_objective(objective)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=err_console, transient=False) as bar:
            task = bar.add_task(f"Running {scenario_label(scenario)}", total=1.0)

            def progress(message: str, fraction: float | None) -> None:
                if fraction is None:
                    bar.update(task, description=message, completed=0.0)
                else:
                    bar.update(task, completed=fraction)

            try:
                result = run_scenario(scenario, out, opts, progress=progress)
            except KeyboardInterrupt:
                bar.stop()
                err_console.print(f"[bold red]Interrupted[/]: {out} is as it was before this run (an interrupted "
                                  "run leaves no partial output).")
                raise typer.Exit(130) from None
            bar.update(task, description="done", completed=1.0)
    t = Table(title=f"Run written to {result.out_dir}")
    t.add_column("variant")
    t.add_column("folder")
    for name, folder in result.variants.items():
        t.add_row(name, str(folder))
    console.print(t)
    if result.report is not None:
        console.print(f"Report: [bold]{result.report}[/]")
    console.print(f"Total time: {result.timings.get('total', 0.0):.1f} s")
