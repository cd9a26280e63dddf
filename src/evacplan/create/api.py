"""``new_scenario()``: a complete, valid scenario folder from what a user has."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from evacplan._atomic import atomic_path
from evacplan.create.area import Area, area_from_bbox, area_from_boundary
from evacplan.create.osm_clip import Buildings, clip_osm, extract_bounds
from evacplan.create.people import SPREADS, PeopleLayer, clip_population_raster, spread_people
from evacplan.create.template import Choices, readme_text, scenario_text
from evacplan.create.zones import write_zone_layers
from evacplan.errors import InternalError, Problem, ScenarioError

__all__ = ["NewScenario", "new_scenario"]

log = logging.getLogger(__name__)


@dataclass
class NewScenario:
    """What :func:`new_scenario` made.

    Attributes
    ----------
    folder
        The scenario folder.
    scenario
        Its ``scenario.toml``.
    area
        The area covered.
    people
        The population layer written.
    street_ways, buildings
        Street ways and building footprints in the area (``street_ways`` is 0 for downloads, counted by osmnx).
    notes
        Everything filled in or drawn, in words; the first is how people were placed.
    problems
        What ``evacplan validate`` finds in the result (empty when it is valid, as it is unless given layers
        contradict each other, e.g. a safe zone overlapping a danger zone).
    """

    folder: Path
    scenario: Path
    area: Area
    people: PeopleLayer
    street_ways: int = 0
    buildings: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _whole(value: int | float | None, option: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or float(value) != int(value) or int(value) <= 0:
        raise ScenarioError(f"{option} {value}: expected a positive whole number of persons")
    return int(value)


def new_scenario(
    folder: str | Path,
    *,
    osm: str | Path | None = None,
    place: str | None = None,
    bbox: str | tuple[float, float, float, float] | None = None,
    boundary: str | Path | None = None,
    population: str | Path | None = None,
    people: int | None = None,
    spread: str = "auto",
    danger: str | Path | None = None,
    safe: str | Path | None = None,
    closed: str | Path | None = None,
    clear_by_min: float = 240.0,
    name: str | None = None,
    streets: str | None = None,
    stands_for: str = "",
    force: bool = False,
    validate: bool = True,
) -> NewScenario:
    """Make a complete scenario folder: network, population, zones and a commented ``scenario.toml``.

    Parameters
    ----------
    folder
        The folder to create (it may exist only when empty, or with ``force``).
    osm
        An OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``), clipped to ``bbox`` or ``boundary`` (the
        bounding box of its streets when neither is given).
    place
        A place name to geocode and download through osmnx (needs a connection); or give ``bbox`` alone to
        download a bounding box.
    bbox
        ``"minlon,minlat,maxlon,maxlat"`` (degrees, WGS 84).
    boundary
        A polygon layer in any CRS (the union of its polygons is the area).
    population
        A raster of people per cell (any CRS), clipped to the area; with ``people`` it gives only the distribution.
    people
        Total persons; without ``population`` they are spread over the residential buildings or the streets
        (``spread``).
    spread
        ``"auto"``, ``"buildings"`` or ``"streets"`` (see :func:`evacplan.create.people.spread_people`).
    danger, safe, closed
        Polygon layers of danger zones (with ``clear_by`` minutes, else ``clear_by_min``) and safe zones, and a
        closure layer; without ``danger`` / ``safe``, starting polygons are drawn.
    clear_by_min
        Deadline of danger zones that have none, minutes.
    name
        Scenario name (default: the place, or the folder's name).
    streets, stands_for
        ``[provenance]``: whose streets these are (default: from the source) and which place they stand in for.
    force
        Replace the files of an existing, non-empty folder.
    validate
        Check the result as ``evacplan validate`` does (builds it once).

    Returns
    -------
    NewScenario

    Raises
    ------
    ScenarioError
        For contradictory or bad arguments, with the option, the value and what was expected; the folder is then
        left untouched.
    """
    out = Path(folder)
    if sum(x is not None for x in (osm, place)) > 1:
        raise ScenarioError("--osm and --place: give one source of streets, not both")
    if bbox is not None and boundary is not None:
        raise ScenarioError("--bbox and --boundary: give one area, not both")
    if place is not None and (bbox is not None or boundary is not None):
        raise ScenarioError(f"--place {place!r}: the place's boundary is the area; do not give --bbox or --boundary")
    if osm is None and place is None and bbox is None:
        raise ScenarioError("no streets: give --osm FILE.osm.pbf (with --bbox or --boundary), --place NAME, or "
                            "--bbox alone to download a bounding box")
    if osm is None and place is None and boundary is not None:
        raise ScenarioError("--boundary without --osm: give the extract to clip with --osm FILE.osm.pbf")
    if population is None and people is None:
        raise ScenarioError("no people: give --population FILE.tif (people per cell) or --people N")
    n_people = _whole(people, "--people")
    if spread not in SPREADS:
        raise ScenarioError(f"--spread {spread!r}: expected one of {list(SPREADS)}")
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise ScenarioError(f"{out}: the folder exists and is not empty (--force replaces its files)")

    if boundary is not None:
        area = area_from_boundary(boundary)
    elif bbox is not None:
        area = area_from_bbox(bbox)
    elif place is not None:
        from evacplan.create.download import geocode_place

        area = geocode_place(place)
    else:
        if osm is None:  # checked at the top: one of boundary, bbox, place, osm is given
            raise InternalError("no source of streets")
        b = extract_bounds(osm)
        area = area_from_bbox(b)
        area = Area(area.lonlat, area.crs, area.metric, f"the bounding box of the streets of {Path(osm).name}")

    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    try:
        result = _make(work, out, area, osm=osm, place=place, population=population, people=n_people,
                       spread=spread, danger=danger, safe=safe, closed=closed, clear_by_min=clear_by_min, name=name,
                       streets=streets, stands_for=stands_for)
        if validate:
            from evacplan.problem.builder import validate_scenario

            result.problems = validate_scenario(result.scenario)
        _move_into(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.folder = out
    result.scenario = out / "scenario.toml"
    result.people = PeopleLayer(out / result.people.path.name, result.people.people, result.people.method,
                                result.people.note, result.people.homes)
    result.problems = [Problem(p.file.replace(str(work), str(out)), p.where, p.message) for p in result.problems]
    return result


def _move_into(work: Path, out: Path) -> None:
    """Move every file of ``work`` into ``out`` (each an atomic rename), then drop ``work``."""
    out.mkdir(parents=True, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    for f in sorted(work.iterdir()):
        os.chmod(f, 0o666 & ~umask)
        os.replace(f, out / f.name)


def _make(
    work: Path, out: Path, area: Area, *, osm: str | Path | None, place: str | None, population: str | Path | None,
    people: int | None, spread: str, danger: str | Path | None, safe: str | Path | None,
    closed: str | Path | None, clear_by_min: float, name: str | None, streets: str | None, stands_for: str,
) -> NewScenario:
    from evacplan.network.readers.detect import read_network

    notes: list[str] = []
    buildings = Buildings()
    street_ways = 0
    if osm is not None:
        clip = clip_osm(osm, area, work / "streets.osm.pbf")
        network_file = clip.path.name
        buildings = clip.buildings
        street_ways = clip.street_ways
        network_source = (f"OpenStreetMap extract {Path(osm).name} clipped to {area.source}: {clip.street_ways:,} "
                          f"street ways (kept whole where they cross the edge) and {clip.building_ways:,} building "
                          "footprints, only the tags evacplan reads")
        default_streets = f"{Path(osm).name}, clipped to {area.source} (OpenStreetMap)"
    else:
        from evacplan.create.download import download_buildings, download_streets

        path = download_streets(area, work / "streets.graphml")
        network_file = path.name
        if population is None:
            buildings = download_buildings(area)
        what = f"place {place!r}" if place is not None else area.source
        network_source = f"OpenStreetMap walking network of {what}, downloaded through osmnx (Overpass API)"
        default_streets = f"{place if place is not None else area.source} (OpenStreetMap)"
    pop_path = work / "population.tif"
    if population is not None:
        layer = clip_population_raster(population, area, pop_path, people)
    else:
        if people is None:  # checked at the top: a raster or a number of people is given
            raise InternalError("no source of people")
        raw = read_network(work / network_file, "auto", network_type="walking")
        layer = spread_people(people, raw, buildings, area, pop_path, spread)
    notes.append(layer.note)
    zones = write_zone_layers(work, area, danger=danger, safe=safe, closed=closed, clear_by_min=clear_by_min)
    notes.extend(zones.notes)
    choices = Choices(
        name=name or (place if place is not None else out.resolve().name),
        network_file=network_file, population_file=pop_path.name, danger_file=zones.danger.name,
        safe_file=zones.safe.name, closed_file=zones.closed.name if zones.closed is not None else "",
        network_source=network_source, area_source=area.source, area_km2=area.km2, crs=area.crs,
        people=layer.people, people_note=layer.note, streets=streets or default_streets, stands_for=stands_for,
        zones_drawn=zones.drawn, notes=notes[1:],
    )
    with atomic_path(work / "scenario.toml") as tmp:
        tmp.write_text(scenario_text(choices), encoding="utf-8")
    with atomic_path(work / "README.md") as tmp:
        tmp.write_text(readme_text(choices), encoding="utf-8")
    return NewScenario(work, work / "scenario.toml", area, layer, street_ways, len(buildings), notes)
