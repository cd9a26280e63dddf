"""``evacplan new``: a complete scenario folder from an OpenStreetMap extract or a place name."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from evacplan.cli._common import console, err_console, user_errors

__all__ = ["new_command"]


def new_command(
    folder: Path = typer.Argument(..., help="The scenario folder to create.", show_default=False),
    osm: Path | None = typer.Option(None, "--osm", help="OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2) to clip."),
    place: str | None = typer.Option(None, "--place", help="Place name to download through osmnx (needs a "
                                     "connection), e.g. 'Floriana, Malta'."),
    bbox: str | None = typer.Option(None, "--bbox", help="Area minlon,minlat,maxlon,maxlat (degrees); without --osm "
                                    "it is downloaded through osmnx."),
    boundary: Path | None = typer.Option(None, "--boundary", help="Area as a polygon layer (any CRS)."),
    population: Path | None = typer.Option(None, "--population", help="Raster of people per cell (any CRS)."),
    people: int | None = typer.Option(None, "--people", help="Total persons: spread over residential buildings by "
                                      "floor area, or over the streets; with --population, the raster's total."),
    spread: str = typer.Option("auto", "--spread", help="How --people is spread without a raster: auto | buildings "
                               "| streets (auto: buildings when homes are mapped near half the streets)."),
    danger: Path | None = typer.Option(None, "--danger", help="Danger-zone polygons (name, clear_by minutes); "
                                       "default: a starting polygon to edit."),
    safe: Path | None = typer.Option(None, "--safe", help="Safe-zone polygons (name, optional capacity, area_m2); "
                                     "default: starting polygons to edit."),
    closed: Path | None = typer.Option(None, "--closed", help="Closures: polygons, lines or points."),
    clear_by: float = typer.Option(240.0, "--clear-by", help="Deadline of danger zones without clear_by, minutes."),
    name: str | None = typer.Option(None, "--name", help="Scenario name (default: the place or the folder name)."),
    streets: str | None = typer.Option(None, "--streets", help="Whose streets these are, said in reports."),
    stands_for: str = typer.Option("", "--stands-for", help="The place the scenario models, if the streets are "
                                   "another place's."),
    force: bool = typer.Option(False, "--force", help="Replace the files of an existing, non-empty folder."),
) -> None:
    """Make a complete, valid scenario folder: streets, people, zones and a commented scenario.toml."""
    from evacplan.create import new_scenario

    with user_errors():
        with console.status(f"Making {folder} ...", spinner="dots"):
            made = new_scenario(folder, osm=osm, place=place, bbox=bbox, boundary=boundary, population=population,
                                people=people, spread=spread, danger=danger, safe=safe, closed=closed,
                                clear_by_min=clear_by, name=name, streets=streets, stands_for=stands_for,
                                force=force)
    console.print(f"[bold]{escape(str(made.scenario))}[/]: {made.area.km2:,.1f} km2, {made.people.people:,} people",
                  highlight=False)
    for note in made.notes:
        console.print(f"  - {escape(note)}", highlight=False)
    if made.problems:
        err_console.print(f"[bold red]The folder was written, but the scenario is not valid[/]: "
                          f"{len(made.problems)} problem(s) to fix in the layers given")
        for p in made.problems:
            err_console.print(f"  [red]-[/] {escape(str(p))}", highlight=False)
        raise typer.Exit(2)
    err_console.print(f"[green]valid[/]: {made.scenario}; next: evacplan info {made.scenario}")
