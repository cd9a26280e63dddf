"""Shared pieces of the command line: the one error path, the scenario argument and ``--force``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from evacplan.errors import EvacplanError, ResourceLimitError, ScenarioInvalid

if TYPE_CHECKING:
    from evacplan.planning import Plan
    from evacplan.problem.problem import Problem

__all__ = [
    "FORCE_OPT",
    "SCENARIO_ARG",
    "console",
    "err_console",
    "print_problems",
    "read_plan_folder",
    "scenario_label",
    "user_errors",
    "write_run_manifest",
]

console = Console()
err_console = Console(stderr=True)

SCENARIO_ARG = typer.Argument(
    None, help="Scenario file (TOML). Omitted: the bundled default scenario.", show_default=False
)
FORCE_OPT = typer.Option(
    False, "--force", help="Proceed although the sanity checks find the scenario implausible (nobody in danger, "
    "every safe zone unreachable, impossible densities, layers off the network); errors still stop.",
)


OBJECTIVE_OPT = typer.Option(
    "auto", "--objective", help="Planning objective: 'deadlines' (the most people of the earliest-deadline danger "
    "zone safe by its deadline, then the next zone's, then the quickest evacuation of the rest), 'quickest' (the "
    "earliest time everyone is safe) or 'auto' (default: deadlines when a danger zone has one).",
)


def check_objective(objective: str) -> None:
    """Refuse an unknown ``--objective`` with the choices."""
    choices = ("auto", "deadlines", "quickest")
    if objective not in choices:
        raise typer.BadParameter(f"unknown objective {objective!r}; choose one of {', '.join(choices)}",
                                 param_hint="--objective")


def print_problems(exc: ScenarioInvalid) -> None:
    """Print every problem of ``exc``: errors first, then the sanity findings."""
    errors = [p for p in exc.problems if not p.forceable]
    findings = [p for p in exc.problems if p.forceable]
    if errors:
        err_console.print(f"[bold red]Invalid scenario[/]: {len(errors)} problem(s)")
        for p in errors:
            err_console.print(f"  [red]-[/] {escape(str(p))}", highlight=False)
    if findings:
        err_console.print(f"[bold yellow]Implausible scenario[/]: {len(findings)} finding(s) (check each; "
                          "`--force` proceeds anyway where a command has it)")
        for p in findings:
            err_console.print(f"  [yellow]-[/] {escape(str(p))}", highlight=False)


def _os_message(exc: OSError) -> str:
    if isinstance(exc, EvacplanError) or not exc.strerror:
        return str(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror}{where}"


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn user errors into a clear message and exit code 2, never a traceback.

    User errors are evacplan's own errors (an invalid or implausible scenario, a resource limit, an unwritable
    output) and operating-system errors (an unreadable input, a read-only folder, a full disk). Anything else is a
    bug and keeps its traceback.
    """
    try:
        yield
    except ScenarioInvalid as exc:  # also ScenarioImplausible
        print_problems(exc)
        raise typer.Exit(2) from None
    except ResourceLimitError as exc:
        err_console.print(f"[bold red]Not enough memory[/]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    except EvacplanError as exc:
        err_console.print(f"[bold red]Error[/]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        err_console.print(f"[bold red]Error[/]: {escape(_os_message(exc))}", highlight=False)
        raise typer.Exit(2) from None


def scenario_label(path: Path | None) -> str:
    """How to name the scenario in messages."""
    return str(path) if path is not None else "the bundled default scenario"


def write_run_manifest(folder: Path, command: str, scenario: Path | None, options: dict[str, object],
                       problem: Problem) -> None:
    """Write ``folder/manifest.json`` last: the command, the scenario, the hash of its inputs (evacplan's version and
    every input file's bytes), the options, any sanity finding forced past, and every file with its SHA-256."""
    from evacplan._atomic import write_manifest
    from evacplan.problem.cache import cache_key
    from evacplan.scenario import load_scenario

    sc = load_scenario(scenario)
    write_manifest(folder, {
        "command": command, "scenario": sc.name, "scenario_file": str(sc.file), "inputs_hash": cache_key(sc),
        "options": options, "forced_findings": [str(f) for f in problem.findings],
    })


def read_plan_folder(folder: Path, problem: Problem, option: str = "--plan") -> Plan:
    """The plan in ``folder``, or :class:`~evacplan.errors.InputError` saying why it cannot be read."""
    import pyarrow as pa

    from evacplan.errors import InputError
    from evacplan.planning import read_plan

    if not folder.is_dir():
        raise InputError(f"{option} {folder} is not a folder (expected one written by `evacplan plan`)")
    try:
        return read_plan(folder, problem)
    except (OSError, ValueError, KeyError, IndexError, pa.ArrowException) as exc:
        raise InputError(f"{option} {folder}: cannot read a plan of this scenario there ({type(exc).__name__}: "
                         f"{exc}); plan it again with `evacplan plan`") from None
