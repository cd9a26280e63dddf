"""The Typer application; each command lives in its own module."""

from __future__ import annotations

import logging

import typer

from evacplan.cli.ensemble_cmd import ensemble_command
from evacplan.cli.info_cmd import info_command, validate_command
from evacplan.cli.new_cmd import new_command
from evacplan.cli.plan_cmd import plan_command
from evacplan.cli.report_cmd import report_command
from evacplan.cli.run_cmd import run_command
from evacplan.cli.simulate_cmd import simulate_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="evacplan",
    help="Plan large-scale civilian evacuations with humanitarian standards built in.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("new")(new_command)
app.command("info")(info_command)
app.command("validate")(validate_command)
app.command("plan")(plan_command)
app.command("simulate")(simulate_command)
app.command("run")(run_command)
app.command("report")(report_command)
app.command("ensemble")(ensemble_command)


def main() -> None:
    """Entry point of the ``evacplan`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
