"""The ``scenario.toml`` and ``README.md`` that ``evacplan new`` writes: every choice made, commented."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

__all__ = ["Choices", "readme_text", "scenario_text"]


@dataclass
class Choices:
    """What ``evacplan new`` decided, for the scenario file and its README.

    Attributes
    ----------
    name
        Scenario name.
    network_file, population_file, danger_file, safe_file, closed_file
        File names inside the scenario folder (``closed_file`` empty when there is none).
    network_source
        Where the streets came from, in words (an extract clipped to the area, or a download).
    area_source, area_km2, crs
        The area as given, its size and its local metric CRS.
    people, people_note
        Persons in the population layer and how they were placed.
    streets
        Whose streets these are (``[provenance] streets``).
    stands_for
        The place the scenario models when the streets are another place's (``[provenance] stands_for``).
    zones_drawn
        Whether the zones are starting polygons drawn by ``evacplan new``.
    notes
        Everything else filled in or worth knowing.
    """

    name: str
    network_file: str
    population_file: str
    danger_file: str
    safe_file: str
    closed_file: str
    network_source: str
    area_source: str
    area_km2: float
    crs: str
    people: int
    people_note: str
    streets: str
    stands_for: str = ""
    zones_drawn: bool = False
    notes: list[str] = field(default_factory=list)


def _s(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str, width: int = 110) -> str:
    words, lines, line = text.split(), [], "#"
    for w in words:
        if len(line) + 1 + len(w) > width:
            lines.append(line)
            line = "#"
        line += " " + w
    lines.append(line)
    return "\n".join(lines)


def scenario_text(c: Choices) -> str:
    """The commented ``scenario.toml``."""
    closed = (f'[closed]\npath = {_s(c.closed_file)}{" " * max(1, 24 - len(c.closed_file))}# no route may enter '
              "its polygons, cross its lines or pass its points\nsnap_m = 50                    # m around a "
              "closed point (default 50)\n") if c.closed_file else (
        "# [closed]                      # no closures given; add a layer of polygons (no entry), lines (no\n"
        '# path = "closed.geojson"       # crossing) or points (closed crossings) to close streets\n')
    zones_note = ("STARTING POLYGONS drawn by `evacplan new`: edit them (QGIS, geojson.io) before relying on any "
                  "result." if c.zones_drawn else "from the layers given to `evacplan new`.")
    notes = "\n".join(_comment(n) for n in c.notes) + "\n" if c.notes else ""
    return f"""\
# Scenario made by `evacplan new` -- every choice below is commented; edit freely, then run
#   evacplan validate scenario.toml   (checks every key and layer)
#   evacplan info scenario.toml       (network, evacuees by zone, safe capacity)
#   evacplan run scenario.toml --out run   (plan, simulate, assess, report)
# Reference of every key: docs/scenario.md in evacplan.
{_comment("Area: " + c.area_source + f" ({c.area_km2:,.1f} km2; local metric CRS {c.crs}).")}
{notes}name = {_s(c.name)}
time_step = 1.0                 # planning time step, minutes
horizon = 1440                  # planning horizon, minutes (one day)
seed = 0                        # seed of every random choice (same inputs + seed = same results)

[provenance]                    # shown by `info`, in the report and in the GeoPackage
streets = {_s(c.streets)}
stands_for = {_s(c.stands_for)}{"" if c.stands_for else "                 # the place modelled, if the streets are another place's"}

[network]
{_comment(c.network_source)}
path = {_s(c.network_file)}
network_type = "walking"        # walking | driving | all: most evacuees walk

[population]
{_comment(c.people_note + ".")}
path = {_s(c.population_file)}
evacuate = "danger_zones"       # only people inside a danger zone move; people in a safe zone stay and use its room
max_snap_m = 500                # m: people farther than this from every street are reported, not placed

[[population.groups]]           # one group; split it (shares summing to 1) to model slower walkers, e.g.
name = "everyone"               # older people at 0.9 m/s and people with reduced mobility at 0.6 m/s,
share = 1.0                     # marked `vulnerable = true` (published pedestrian studies, approx.)
walk_speed = 1.34               # m/s, free walking speed of adults (Weidmann 1993)

[danger_zones]
{_comment("Areas to clear, each with `clear_by` (minutes): " + zones_note)}
path = {_s(c.danger_file)}
name_column = "name"

[safe_zones]
# Destinations: capacity from the `capacity` column, else `area_m2` (or the polygon's area) / 3.5 m2 per person
# (Sphere 2018 covered living space); people already living in a safe zone count against its capacity.
path = {_s(c.safe_file)}
name_column = "name"

{closed}
[modes.walk]                    # everyone walks; add [modes.cart] / [modes.vehicle] with shares summing to 1
share = 1.0
speed = 1.34                    # m/s (Weidmann 1993)

[mobilization]                  # when people leave: logistic S-curve (NUREG/CR-7002 style); timings assumed
kind = "logistic"
mean = 60                       # minutes by which half have left
spread = 20                     # minutes

# [standards] takes the Sphere Handbook 2018 minimums by default (45 m2 site area, 3.5 m2 covered space, 15 L of
# water a day, 1 latrine per 50, 1 health unit per 10,000); override them here.

# What-ifs that `evacplan run` executes beside the baseline, e.g.:
# [[variants]]
# name = "late start"
# mobilization_delay = 60       # every departure an hour later
"""  # noqa: E501 (long comment lines of the TOML file)


def readme_text(c: Choices) -> str:
    """The scenario folder's ``README.md``: sources and licences."""
    notes = "".join(f"- {n}\n" for n in c.notes)
    return f"""\
# {c.name}

Made by `evacplan new`. Area: {c.area_source} ({c.area_km2:,.1f} km2).

| file | what | source and licence |
|---|---|---|
| `{c.network_file}` | street network | {c.network_source}; (c) OpenStreetMap contributors, Open Database License 1.0 (https://www.openstreetmap.org/copyright) |
| `{c.population_file}` | {c.people:,} people, whole persons per cell | {c.people_note} |
| `{c.danger_file}` | danger zones | {"starting polygons drawn by `evacplan new` (edit them)" if c.zones_drawn else "given"} |
| `{c.safe_file}` | safe zones | {"starting polygons drawn by `evacplan new` (edit them)" if c.zones_drawn else "given"} |
{f"| `{c.closed_file}` | closures | given |" + chr(10) if c.closed_file else ""}| `scenario.toml` | the scenario, every choice commented | |

{notes}
Check it with `evacplan validate scenario.toml`, summarise it with `evacplan info scenario.toml`, run it with
`evacplan run scenario.toml --out run`.
"""  # noqa: E501 (Markdown table rows)
