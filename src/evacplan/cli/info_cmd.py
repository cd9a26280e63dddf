"""``evacplan info`` and ``evacplan validate``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from evacplan.cli._common import SCENARIO_ARG, console, err_console, print_problems, scenario_label, user_errors
from evacplan.errors import Problem, ScenarioInvalid
from evacplan.problem import load_problem, validate_scenario
from evacplan.problem.summary import problem_summary

__all__ = ["info_command", "validate_command"]


def info_command(
    scenario: Path | None = SCENARIO_ARG,
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Rebuild even if a cached build exists."),
) -> None:
    """Summarise a scenario: network, population by zone and group, safe capacity, people with no path.

    The sanity findings (nobody in danger, every safe zone unreachable, ...) are listed after the summary (and under
    ``findings`` in the JSON); they do not stop `info`, whose job is to show what the scenario holds.
    """
    with user_errors():
        with console.status(f"Building {scenario_label(scenario)} ...", spinner="dots") as status:
            problem = load_problem(scenario, cache=not no_cache, progress=lambda m, _f: status.update(m), force=True)
        s = problem_summary(problem)
    if as_json:
        print(json.dumps(s, indent=2))
        _findings(problem.findings)
        return
    console.print(f"[bold]{escape(s['name'])}[/]  ({s['crs'] or 'abstract coordinates'})")
    if s["provenance"]:
        console.print(escape(s["provenance"]), highlight=False)
    t = Table(title="Network", show_header=False)
    for k, v in (("nodes", f"{s['nodes']:,}"), ("edges (directed)", f"{s['edges']:,}"),
                 ("streets", f"{s['network_km']:,.1f} km"), ("closed edges removed", f"{s['closed_edges']:,}"),
                 ("modes", ", ".join(s["modes"]))):
        t.add_row(k, v)
    console.print(t)
    groups = list(s["by_group"])
    t = Table(title=f"Evacuees: {s['population']:,}")
    t.add_column("danger zone")
    t.add_column("clear by", justify="right")
    for g in groups:
        t.add_column(g, justify="right")
    t.add_column("total", justify="right")
    t.add_column("no path to safety", justify="right")
    for z in s["danger_zones"]:
        t.add_row(z["name"], f"{z['deadline_min']:g} min", *[f"{z['by_group'][g]:,}" for g in groups],
                  f"{z['population']:,}", f"{z['unreachable']:,}")
    console.print(t)
    t = Table(title="Safe zones")
    t.add_column("safe zone")
    t.add_column("area", justify="right")
    t.add_column("declared capacity", justify="right")
    t.add_column("residents", justify="right")
    t.add_column("room left", justify="right")
    t.add_column("network nodes inside", justify="right")

    def cap(v: float | None) -> str:
        return "unlimited" if v is None else f"{v:,.0f}"

    for z in s["safe_zones"]:
        area = "" if z["area_m2"] is None else f"{z['area_m2'] / 1e6:,.2f} km2"
        t.add_row(z["name"], area, cap(z["declared_capacity"]), f"{z['residents']:,}", cap(z["capacity"]),
                  f"{z['nodes']:,}")
    console.print(t)
    console.print(f"People in the population layer: {s['people']:,} ({s['population']:,} evacuees, "
                  f"{s['safe_zone_residents']:,} already in safe zones, "
                  f"{s['people'] - s['population'] - s['safe_zone_residents'] - s['off_network']:,} staying "
                  f"outside the danger zones).")
    cap = s["safe_capacity"]
    verdict = "enough" if cap is None or cap >= s["population"] else "[red]NOT enough[/]"
    console.print(f"Safe capacity {('unlimited' if cap is None else f'{cap:,.0f}')} for {s['population']:,} "
                  f"evacuees: {verdict}.")
    console.print(f"People with no path to safety: [bold]{s['unreachable']:,}[/]; "
                  f"people too far from any street to place: {s['off_network']:,}.")
    _findings(problem.findings)


def _findings(findings: tuple[Problem, ...]) -> None:
    if findings:
        print_problems(ScenarioInvalid(list(findings)))


def validate_command(scenario: Path | None = SCENARIO_ARG) -> None:
    """Check a scenario, every layer it names and every variant; list every problem and implausible finding (exit
    code 2) or confirm it is valid."""
    with user_errors():
        problems = validate_scenario(scenario)
        if problems:
            raise ScenarioInvalid(problems)
    err_console.print(f"[green]valid[/]: {scenario_label(scenario)}")
