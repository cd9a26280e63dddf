"""Shared pieces of the command line: error reporting and the scenario argument."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from evacplan.errors import EvacplanError, ScenarioInvalid

__all__ = ["SCENARIO_ARG", "console", "err_console", "user_errors"]

console = Console()
err_console = Console(stderr=True)

SCENARIO_ARG = typer.Argument(
    None, help="Scenario file (TOML). Omitted: the bundled default scenario.", show_default=False
)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn evacplan's own errors into a clear message and exit code 2 (never a traceback)."""
    try:
        yield
    except ScenarioInvalid as exc:
        err_console.print(f"[bold red]Invalid scenario[/]: {len(exc.problems)} problem(s)")
        for p in exc.problems:
            err_console.print(f"  [red]-[/] {escape(str(p))}", highlight=False)
        raise typer.Exit(2) from None
    except EvacplanError as exc:
        err_console.print(f"[bold red]Error[/]: {exc}", highlight=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        err_console.print(f"[bold red]Error[/]: {exc}", highlight=False)
        raise typer.Exit(2) from None


def scenario_label(path: Path | None) -> str:
    """How to name the scenario in messages."""
    return str(path) if path is not None else "the bundled default scenario"
