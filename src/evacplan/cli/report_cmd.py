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
) -> None:
    """Write a self-contained HTML report (map, clearance curves, ETE table, humanitarian gaps) that works offline."""
    from evacplan.report.html import write_report

    target = out if out is not None else (run_dirs[0] / "report.html" if len(run_dirs) == 1 else Path("report.html"))
    with user_errors():
        path = write_report(list(run_dirs), target, title=title)
    console.print(f"Report: [bold]{path}[/]")
