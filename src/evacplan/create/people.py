"""Where the people of a new scenario are: a population raster clipped to the area, or a total spread over the
residential buildings (dasymetric, by floor area) or, where buildings are not mapped, evenly over the streets.

Every route ends in whole persons per cell (largest remainder rounding), so the layer written holds exactly the
number of people asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray

from evacplan._atomic import atomic_path
from evacplan.create.area import Area, project, project_many
from evacplan.create.osm_clip import Buildings
from evacplan.errors import ScenarioError
from evacplan.network.raw import RawNetwork
from evacplan.population.allocate import largest_remainder
from evacplan.problem.builder import main_components

__all__ = [
    "COVERAGE_MIN",
    "RESIDENTIAL",
    "SPREADS",
    "PeopleLayer",
    "clip_population_raster",
    "spread_people",
]

#: Values of ``--spread``.
SPREADS = ("auto", "buildings", "streets")
#: ``building=*`` values counted as homes; ``building=yes`` counts too unless a tag says it is a shop, office, ...
RESIDENTIAL = frozenset({"yes", "residential", "apartments", "house", "detached", "semidetached_house", "terrace",
                         "dormitory", "bungalow", "hut", "cabin", "farm", "static_caravan", "houseboat", "tent"})
#: ``--spread auto`` uses buildings when at least this share of the street nodes has a home within
#: :data:`COVERAGE_RADIUS_M` (otherwise buildings are too sparsely mapped to say where people live).
COVERAGE_MIN = 0.5
COVERAGE_RADIUS_M = 100.0
#: Buildings farther than this from every usable street node get nobody (they could not be placed on the network).
BUILDING_SNAP_M = 250.0
#: Cell size of the population raster written for ``--people``, metres.
CELL_M = 25.0


@dataclass(frozen=True)
class PeopleLayer:
    """The population layer written for a new scenario.

    Attributes
    ----------
    path
        The GeoTIFF written (persons per cell, whole numbers).
    people
        Persons in it (exact).
    method
        ``"raster"``, ``"buildings"`` or ``"streets"``.
    note
        What was done, in words (shown to the user and written into the scenario file).
    homes
        Buildings that received people (``"buildings"`` only).
    """

    path: Path
    people: int
    method: str
    note: str
    homes: int = 0


def main_nodes(raw: RawNetwork, share: float = 0.02) -> NDArray[np.bool_]:
    """Nodes of the components holding at least ``share`` of the nodes (and the largest), as the builder uses them."""
    ids = raw.nodes["id"].to_numpy(dtype=np.int64)
    pos = {int(v): i for i, v in enumerate(ids)}
    u = np.array([pos[int(a)] for a in raw.edges["u"]], dtype=np.int64)
    v = np.array([pos[int(b)] for b in raw.edges["v"]], dtype=np.int64)
    return main_components(ids.size, u, v, share)


def _street_weights(raw: RawNetwork, area: Area, usable: NDArray[np.bool_], x: NDArray[np.float64],
                    y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Metres of street inside the area credited to each usable node inside it (half an edge to each end)."""
    ids = raw.nodes["id"].to_numpy(dtype=np.int64)
    pos = {int(v): i for i, v in enumerate(ids)}
    u = np.array([pos[int(a)] for a in raw.edges["u"]], dtype=np.int64)
    v = np.array([pos[int(b)] for b in raw.edges["v"]], dtype=np.int64)
    # each street once: the reader gives one row per direction a vehicle may use
    key = np.unique(np.c_[np.minimum(u, v), np.maximum(u, v)], axis=0, return_index=True)[1]
    geoms = np.asarray(raw.geometry, dtype=object)[key] if raw.geometry is not None else None
    u, v = u[key], v[key]
    if geoms is not None:
        metric = project_many(geoms, "EPSG:4326", area.crs)
    else:
        metric = shapely.linestrings(np.stack([np.c_[x[u], y[u]], np.c_[x[v], y[v]]], axis=1))
    inside_len = shapely.length(shapely.intersection(metric, area.metric))
    node_in = usable & shapely.contains_xy(area.metric, x, y)
    w = np.zeros(ids.size, dtype=np.float64)
    ends = node_in[u].astype(np.float64) + node_in[v].astype(np.float64)
    share = np.where(ends > 0, inside_len / np.maximum(ends, 1.0), 0.0)
    np.add.at(w, u[node_in[u]], share[node_in[u]])
    np.add.at(w, v[node_in[v]], share[node_in[v]])
    return w


def _homes(buildings: Buildings, area: Area) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Residential buildings inside the area: representative points (metric) and floor areas (m2)."""
    if not len(buildings):
        z = np.zeros(0)
        return z, z, z
    home = np.array([b in RESIDENTIAL and not (b == "yes" and nr)
                     for b, nr in zip(buildings.building, buildings.non_residential, strict=True)], dtype=bool)
    polys = [p for p, h in zip(buildings.polygons, home, strict=True) if h]
    if not polys:
        z = np.zeros(0)
        return z, z, z
    levels = np.asarray(buildings.levels, dtype=np.float64)[home]
    arr = project_many(np.array(polys, dtype=object), "EPSG:4326", area.crs)
    rep = shapely.point_on_surface(arr)
    px, py = shapely.get_x(rep), shapely.get_y(rep)
    inside = shapely.contains_xy(area.metric, px, py)
    floor = shapely.area(arr) * np.where(np.isfinite(levels), levels, 1.0)
    return px[inside], py[inside], floor[inside]


def spread_people(
    people: int,
    raw: RawNetwork,
    buildings: Buildings,
    area: Area,
    out: str | Path,
    spread: str = "auto",
) -> PeopleLayer:
    """Spread ``people`` persons over the area's homes or streets and write them as a raster of persons per cell.

    Parameters
    ----------
    people
        Total persons (> 0); the raster holds exactly this many.
    raw
        The street network of the area (lon/lat), read from the clipped extract.
    buildings
        Building footprints of the area.
    area
        The area (people are placed inside it only).
    out
        The GeoTIFF to write (in the area's metric CRS, :data:`CELL_M` m cells).
    spread
        ``"buildings"``: over residential buildings by floor area (footprint x ``building:levels``, 1 level where
        untagged); ``"streets"``: evenly over the length of walkable streets; ``"auto"``: buildings when homes are
        mapped near at least :data:`COVERAGE_MIN` of the street nodes, streets otherwise.

    Returns
    -------
    PeopleLayer

    Raises
    ------
    ScenarioError
        If ``people`` is not positive or the area holds no usable street.
    """
    if spread not in SPREADS:
        raise ScenarioError(f"--spread {spread!r}: expected one of {list(SPREADS)}")
    if people <= 0:
        raise ScenarioError(f"--people {people}: expected a positive whole number of persons")
    from scipy.spatial import cKDTree

    lon = raw.nodes["x"].to_numpy(dtype=np.float64)
    lat = raw.nodes["y"].to_numpy(dtype=np.float64)
    x, y = (np.asarray(a) for a in _to(area.crs, lon, lat))
    usable = main_nodes(raw) & shapely.contains_xy(area.metric, x, y)
    if not usable.any():
        raise ScenarioError(f"{area.source}: no street of the main network lies inside the area: nowhere to place "
                            "people")
    tree = cKDTree(np.c_[x[usable], y[usable]])
    hx, hy, floor = _homes(buildings, area)
    if hx.size:
        d, _ = tree.query(np.c_[hx, hy])
        near = d <= BUILDING_SNAP_M
        hx, hy, floor = hx[near], hy[near], floor[near]
    coverage = 0.0
    if hx.size:
        d, _ = cKDTree(np.c_[hx, hy]).query(np.c_[x[usable], y[usable]])
        coverage = float(np.mean(d <= COVERAGE_RADIUS_M))
    use_buildings = hx.size > 0 and (spread == "buildings" or (spread == "auto" and coverage >= COVERAGE_MIN))
    if use_buildings:
        px, py, w = hx, hy, floor
        method = "buildings"
        note = (f"{people:,} people spread over {hx.size:,} residential buildings by floor area (footprint x "
                f"building:levels, 1 level where untagged); homes mapped near {100 * coverage:.0f} % of the streets")
    else:
        w_all = _street_weights(raw, area, usable, x, y)
        keep = w_all > 0
        px, py, w = x[keep], y[keep], w_all[keep]
        method = "streets"
        km = float(w.sum()) / 1000.0
        if not len(buildings) or hx.size == 0:
            why = "no residential buildings are mapped in the area"
        elif spread == "streets":
            why = "as asked (--spread streets)"
        else:
            why = (f"residential buildings are mapped near only {100 * coverage:.0f} % of the streets (at least "
                   f"{100 * COVERAGE_MIN:.0f} % needed; --spread buildings forces them)")
        note = f"{people:,} people spread evenly over {km:,.1f} km of streets: {why}"
        if spread == "buildings" and hx.size == 0:
            note += "; --spread buildings asked, but there are none"
    counts = largest_remainder(w, people)
    _write_counts(out, px, py, counts, area)
    return PeopleLayer(Path(out), int(counts.sum()), method, note, int(hx.size) if use_buildings else 0)


def _to(crs: str, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    from evacplan.network.projection import to_crs

    return to_crs("EPSG:4326", crs, lon, lat)


def _write_counts(out: str | Path, px: NDArray[np.float64], py: NDArray[np.float64], counts: NDArray[np.int64],
                  area: Area) -> None:
    """Sum persons into :data:`CELL_M` cells over the area's bounds and write an int32 GeoTIFF."""
    import rasterio
    from rasterio.transform import from_origin

    x0, y0, x1, y1 = area.metric.bounds
    x0, y0 = math.floor(x0 / CELL_M) * CELL_M, math.floor(y0 / CELL_M) * CELL_M
    x1, y1 = math.ceil(x1 / CELL_M) * CELL_M, math.ceil(y1 / CELL_M) * CELL_M
    nx, ny = int(round((x1 - x0) / CELL_M)), int(round((y1 - y0) / CELL_M))
    col = np.clip(((px - x0) // CELL_M).astype(np.int64), 0, nx - 1)
    row = np.clip(((y1 - py) // CELL_M).astype(np.int64), 0, ny - 1)
    grid = np.zeros(ny * nx, dtype=np.int64)
    np.add.at(grid, row * nx + col, counts)
    if grid.max(initial=0) > np.iinfo(np.int32).max:
        raise ScenarioError(f"--people: more than {np.iinfo(np.int32).max:,} persons in one {CELL_M:g} m cell")
    with atomic_path(out) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", width=nx, height=ny, count=1, dtype="int32", crs=area.crs,
                           transform=from_origin(x0, y1, CELL_M, CELL_M), compress="deflate", predictor=2) as dst:
            dst.write(grid.reshape(ny, nx).astype(np.int32), 1)


def clip_population_raster(src: str | Path, area: Area, out: str | Path, people: int | None = None) -> PeopleLayer:
    """Clip a population raster (people per cell, any CRS) to the area, as whole persons per cell.

    Cells whose centre lies outside the area, no-data cells and negative cells hold nobody. With ``people`` the
    counts are rescaled to that total (the raster then gives only the distribution).

    Raises
    ------
    ScenarioError
        If the raster is missing, unreadable, has no CRS, does not overlap the area, or holds nobody inside it.
    """
    import rasterio
    from rasterio.windows import Window, from_bounds
    from rasterio.windows import transform as window_transform

    src = Path(src)
    where = f"--population {src}"
    if not src.exists():
        raise ScenarioError(f"{where}: file not found")
    if people is not None and people <= 0:
        raise ScenarioError(f"--people {people}: expected a positive whole number of persons")
    try:
        ds = rasterio.open(src)
    except Exception as exc:  # rasterio raises RasterioIOError for files GDAL cannot open
        raise ScenarioError(f"{where}: cannot read as a raster ({type(exc).__name__}: {exc})") from exc
    with ds:
        if ds.crs is None:
            raise ScenarioError(f"{where}: the raster has no CRS; set one (e.g. EPSG:4326) in the file")
        crs = ds.crs.to_string()
        poly = project(area.lonlat, "EPSG:4326", crs)
        b = ds.bounds
        pb = poly.bounds
        if pb[2] <= b.left or pb[0] >= b.right or pb[3] <= b.bottom or pb[1] >= b.top:
            raise ScenarioError(
                f"{where}: the raster (CRS {crs}, bounds {b.left:.6g}, {b.bottom:.6g}, {b.right:.6g}, {b.top:.6g}) "
                f"does not overlap {area.source} (in {crs}: {pb[0]:.6g}, {pb[1]:.6g}, {pb[2]:.6g}, {pb[3]:.6g}); is "
                "the raster's CRS right, and does it cover this place?")
        f = from_bounds(*pb, transform=ds.transform)
        c0, r0 = math.floor(f.col_off), math.floor(f.row_off)
        win = Window(c0, r0, math.ceil(f.col_off + f.width) - c0, math.ceil(f.row_off + f.height) - r0)
        win = win.intersection(Window(0, 0, ds.width, ds.height))
        band = ds.read(1, window=win, masked=True)
        data = np.ma.filled(band.astype(np.float64), 0.0)
        data[~np.isfinite(data) | (data < 0)] = 0.0
        tr = window_transform(win, ds.transform)
        rows, cols = np.indices(data.shape)
        cx, cy = rasterio.transform.xy(tr, rows.ravel(), cols.ravel(), offset="center")
        inside = shapely.contains_xy(poly, np.asarray(cx), np.asarray(cy)).reshape(data.shape)
        data[~inside] = 0.0
        total = float(data.sum())
        if total <= 0:
            raise ScenarioError(f"{where}: the raster holds nobody inside {area.source}")
        want = int(people) if people is not None else int(round(total))
        if want <= 0:
            raise ScenarioError(f"{where}: the raster holds {total:g} persons inside {area.source}: fewer than one")
        counts = largest_remainder(data.ravel(), want).reshape(data.shape)
        with atomic_path(out) as tmp:
            with rasterio.open(tmp, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                               dtype="int32", crs=ds.crs, transform=tr, compress="deflate", predictor=2) as dst:
                dst.write(counts.astype(np.int32), 1)
    scaled = f", rescaled from {total:,.0f} to {want:,}" if people is not None else ""
    note = f"{want:,} people from {src.name} (clipped to the area{scaled}; whole persons per cell)"
    return PeopleLayer(Path(out), want, "raster", note)
