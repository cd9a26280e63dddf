"""``evacplan report``: one offline HTML report from one or more run folders."""

from __future__ import annotations

from pathlib import Path

import typer

from evacplan.cli._common import console, user_errors

__all__ = ["report_command"]

_RUN_DIRS = typer.Argument(..., help="Run folders written by `evacplan run` (variants side by side).")
_OUT = typer.Option(None, "--out", "-o", help="HTML file to write (default: RUN_DIR/report.html for one folder, "
                    "report.html here for several).")


def report_command(
    run_dirs: list[Path] = _RUN_DIRS,
    out: Path | None = _OUT,
    title: str | None = typer.Option(None, "--title", help="Title of the report (default: the scenario name)."),
    start: str | None = typer.Option(None, "--start", metavar="HH:MM", help="Clock time of the start for the "
                                     "departure schedule (default: the run's --start, else T+ minutes)."),
) -> None:
    """Write a self-contained HTML report (map, clearance curves, ETE table, humanitarian gaps) that works offline."""
    from evacplan.report.html import write_report
    from evacplan.report.schedule import parse_start

    target = out if out is not None else (run_dirs[0] / "report.html" if len(run_dirs) == 1 else Path("report.html"))
    with user_errors():
        if start is not None:
            try:
                parse_start(start)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--start") from None
        path = write_report(list(run_dirs), target, title=title, start=start)
    console.print(f"Report: [bold]{path}[/]")
