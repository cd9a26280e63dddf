"""Downloading a new scenario's streets and buildings from OpenStreetMap through osmnx (needs a connection).

The area is a place name geocoded by Nominatim (its boundary polygon) or a bounding box; the walking network comes
from the Overpass API (osmnx ``network_type="walk"``, unsimplified, ways cut at the area's edge kept whole) and is
saved as GraphML; the buildings come from the same API. Downloads are cached by osmnx under
``$EVACPLAN_CACHE_DIR/osmnx``. OpenStreetMap data is (c) OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evacplan._atomic import atomic_path
from evacplan.create.area import Area, area_from_polygon
from evacplan.create.osm_clip import Buildings
from evacplan.errors import ScenarioError
from evacplan.problem.cache import cache_dir

__all__ = ["download_buildings", "download_streets", "geocode_place"]


def _osmnx(what: str) -> Any:
    try:
        import osmnx
    except ImportError as exc:
        raise ScenarioError(f"{what}: downloading needs the 'osmnx' package (pip install osmnx)") from exc
    return osmnx


@contextlib.contextmanager
def _settings(ox: Any) -> Iterator[None]:
    """osmnx settings for the download: evacplan's cache folder, every tag the network reader reads."""
    from evacplan.network.readers.osm import _TAGS

    old = (ox.settings.cache_folder, list(ox.settings.useful_tags_way), ox.settings.log_console)
    folder = cache_dir()
    if folder is not None:
        ox.settings.cache_folder = str(folder / "osmnx")
    ox.settings.useful_tags_way = list(dict.fromkeys([*old[1], *_TAGS, "name", "area", "service"]))
    ox.settings.log_console = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        ox.settings.cache_folder, ox.settings.useful_tags_way, ox.settings.log_console = old


def _failed(what: str, exc: Exception) -> ScenarioError:
    import requests

    if isinstance(exc, requests.RequestException):
        return ScenarioError(f"{what}: could not download from OpenStreetMap ({type(exc).__name__}: {exc}); are you "
                             "online? Without a connection, give an extract with --osm FILE.osm.pbf")
    return ScenarioError(f"{what}: the download failed ({type(exc).__name__}: {exc})")


def geocode_place(place: str) -> Area:
    """The boundary of a named place (Nominatim), as an :class:`Area`.

    Raises
    ------
    ScenarioError
        If the place is not found, is not an area (a point or a line), or the request fails.
    """
    what = f"--place {place!r}"
    if not place.strip():
        raise ScenarioError(f"{what}: expected a place name, e.g. 'Floriana, Malta'")
    ox = _osmnx(what)
    with _settings(ox):
        try:
            gdf = ox.geocode_to_gdf(place)
        except ox._errors.InsufficientResponseError as exc:
            raise ScenarioError(f"{what}: Nominatim found no such place ({exc})") from exc
        except TypeError as exc:
            raise ScenarioError(f"{what}: Nominatim knows the place but gives no boundary polygon for it; give "
                                "--bbox or --boundary instead") from exc
        except Exception as exc:  # requests' errors and osmnx's own
            raise _failed(what, exc) from exc
    polys = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        raise ScenarioError(f"{what}: Nominatim gives a {list(gdf.geom_type)} for it, not an area; give --bbox or "
                            "--boundary instead")
    import shapely

    return area_from_polygon(shapely.union_all(polys.geometry.to_numpy()), what)


def download_streets(area: Area, out: str | Path) -> Path:
    """Download the walking network of the area and save it as GraphML (atomically).

    Raises
    ------
    ScenarioError
        If nothing is found or the request fails.
    """
    what = area.source
    ox = _osmnx(what)
    with _settings(ox):
        try:
            graph = ox.graph_from_polygon(area.lonlat, network_type="walk", simplify=False, retain_all=True,
                                          truncate_by_edge=True)
        except ox._errors.InsufficientResponseError as exc:
            raise ScenarioError(f"{what}: OpenStreetMap holds no streets in the area ({exc})") from exc
        except ValueError as exc:  # osmnx: "Found no graph nodes within the requested polygon"
            raise ScenarioError(f"{what}: OpenStreetMap holds no streets in the area ({exc})") from exc
        except Exception as exc:
            raise _failed(what, exc) from exc
        out = Path(out)
        with atomic_path(out) as tmp:
            work = tmp.with_name(tmp.name + ".graphml")
            try:
                ox.save_graphml(graph, work)
                work.replace(tmp)
            finally:
                work.unlink(missing_ok=True)
    return out


def download_buildings(area: Area) -> Buildings:
    """Download the building footprints of the area (none found is not an error: the spread falls back to streets).

    Raises
    ------
    ScenarioError
        If the request fails.
    """
    what = area.source
    ox = _osmnx(what)
    with _settings(ox):
        try:
            gdf = ox.features_from_polygon(area.lonlat, tags={"building": True})
        except ox._errors.InsufficientResponseError:
            return Buildings()
        except Exception as exc:
            raise _failed(what, exc) from exc
    out = Buildings()
    if gdf is None or gdf.empty:
        return out
    gdf = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    cols = set(gdf.columns)
    for _, row in gdf.sort_index().iterrows():
        levels = row.get("building:levels") if "building:levels" in cols else None
        try:
            lv = float(str(levels).replace(",", ".").split(";")[0]) if levels is not None else math.nan
        except ValueError:
            lv = math.nan
        out.polygons.append(row.geometry)
        out.building.append(str(row.get("building", "yes")))
        out.levels.append(lv if math.isfinite(lv) and 0 < lv < 200 else math.nan)
        out.non_residential.append(any(k in cols and isinstance(row.get(k), str) and row.get(k)
                                       for k in ("amenity", "shop", "office", "tourism", "craft")))
    return out
