"""Make the bundled default scenario (src/evacplan/data/default/) with ``evacplan new``.

Rafah (southern Gaza Strip) in May 2024 at true scale, on real streets that are not Rafah's: no street network of
the Gaza Strip is available offline, so the streets are those of Malta's Grand Harbour area (OpenStreetMap, August
2018), the densest 8 x 8 km window of the island, about the size of Rafah governorate. The zones follow the public
record of May 2024: the evacuation-order blocks of 6 and 11 May (real polygons, moved rigidly onto the window), a
coastal humanitarian area standing for Al-Mawasi, an inland safe zone standing for Khan Younis, the closed Egyptian
border along one landward edge. Every number and its source is in the scenario's README, which this script writes.

Run (from the repository; ``--data`` is the shared data folder holding ``osm/`` and ``gaza/``)::

    python scripts/make_default_scenario.py [--data ../shared/data]

The script is deterministic: the same inputs give byte-identical layers.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "evacplan" / "data" / "default"
UTM = "EPSG:32633"  # Malta
RAFAH_UTM = "EPSG:32636"  # Gaza Strip
#: The window: UTM 33N x 448.5-456.5 km, y 3,966.7-3,974.7 km (8 x 8 km around the Grand Harbour).
X0, Y0, X1, Y1 = 448_500.0, 3_966_700.0, 456_500.0, 3_974_700.0
PEOPLE = 1_200_000  # OCHA / UNRWA: 1.2-1.4 million people in Rafah, February-May 2024 (approx.)
#: Safe zones: boxes in UTM 33N intersected with the land of the window.
COASTAL_BOX = (455_000.0, 3_971_600.0, 456_500.0, 3_973_800.0)  # Floriana, Valletta, the Grand Harbour shore
INLAND_BOX = (454_800.0, 3_967_200.0, 456_500.0, 3_969_000.0)  # Tarxien, Santa Lucija, Fgura, Zabbar (south-east)
#: The eastern blocks' western end is placed this far inside the window's western edge.
WEST_MARGIN_M = 200.0
#: Blocked point of the "main street blocked" variant: the middle of Triq il-Kbira San Guzepp, Hamrun's high street,
#: the main street from the west toward Floriana and Valletta (midpoint of its longest merged piece in the extract).
BLOCK_LONLAT = (14.482118, 35.887809)
#: Deadlines (minutes) and departure curves; see the README.
CLEAR_EAST_MIN = 720
CLEAR_REST_MIN = 1440


def land_polygon(malta_pbf: Path) -> Any:
    """Malta's main island from the coastline ways of the extract, in UTM 33N."""
    import osmium

    tr = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    lines = []
    proc = osmium.FileProcessor(str(malta_pbf), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for o in proc.with_filter(osmium.filter.TagFilter(("natural", "coastline"))):
        if o.is_way():
            x, y = tr.transform([n.lon for n in o.nodes], [n.lat for n in o.nodes])
            lines.append(shapely.LineString(np.c_[x, y]))
    polys = list(shapely.polygonize([shapely.line_merge(shapely.union_all(lines))]).geoms)
    return max(polys, key=lambda p: p.area)


def rafah_transform(gaza: Path) -> tuple[Any, dict[str, Any]]:
    """The rigid transform of Rafah onto the window, and the order blocks of 6 and 11 May moved by it.

    The Egyptian border of Rafah governorate (from its coastal corner, the westernmost vertex, to its southern tip)
    is turned to run west along the window's northern edge; the governorate then lies south of it, and the sea,
    north-west of Rafah, falls north-east of the window, where Malta's sea is. Shapes and areas are kept (rotation
    and translation only); the blocks keep their distance from the border, and along it they are placed with their
    western end :data:`WEST_MARGIN_M` inside the window.
    """
    gov = gpd.read_file(gaza / "gaza_governorates.geojson").to_crs(RAFAH_UTM)
    rafah = gov.loc[gov["shapeName"] == "Rafah", "geometry"].iloc[0]
    ring = np.asarray(max(getattr(rafah, "geoms", [rafah]), key=lambda p: p.area).exterior.coords)
    corner, tip = ring[np.argmin(ring[:, 0])], ring[np.argmin(ring[:, 1])]
    d = tip - corner
    angle = 180.0 - math.degrees(math.atan2(d[1], d[0]))  # counter-clockwise rotation taking the border to west
    orders = gpd.read_file(gaza / "gaza_evacuation_orders_2024-05.geojson").to_crs(RAFAH_UTM)
    orders = orders[(orders["governorate"] == "Rafah") & (orders["status"] == "evacuation_ordered")].copy()
    orders["day"] = orders["order_date"].astype(str).str[:10]
    rot = orders.geometry.map(lambda g: affinity.rotate(g, angle, origin=tuple(corner)))
    dx = X0 + WEST_MARGIN_M - shapely.union_all(rot.to_numpy()).bounds[0]
    dy = Y1 - corner[1]

    def move(g: Any) -> Any:
        return affinity.translate(affinity.rotate(g, angle, origin=tuple(corner)), dx, dy)

    blocks = {day: shapely.union_all(orders.loc[orders["day"] == day, "geometry"].map(move).to_numpy())
              for day in ("2024-05-06", "2024-05-11")}
    info = {"angle_cw": (360.0 - angle) % 360.0, "border_km": float(np.hypot(*d)) / 1000.0,
            "corner_to_x_km": (corner[0] + dx - X0) / 1000.0,
            "blocks": {day: int((orders["day"] == day).sum()) for day in blocks},
            "rafah_km2": float(rafah.area) / 1e6}
    return blocks, info


def border_line(land: Any) -> Any:
    """The closed border: the window's northern edge over land, from the west to where it first meets the sea."""
    edge = shapely.LineString([(X0 - 50.0, Y1), (X1 + 50.0, Y1)])
    pieces = shapely.intersection(edge, land.buffer(1.0))
    parts = sorted(getattr(pieces, "geoms", [pieces]), key=lambda g: g.bounds[0])
    return parts[0]


def main() -> None:
    """Draw the zones, run ``evacplan new``, write the scenario file, the 11 May variant layer and the README."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data",
                    help="folder holding osm/malta-2018.osm.pbf and gaza/")
    args = ap.parse_args()
    malta, gaza = args.data / "osm" / "malta-2018.osm.pbf", args.data / "gaza"

    from evacplan.create import new_scenario
    from evacplan.create.zones import write_layer

    window = shapely.box(X0, Y0, X1, Y1)
    land = land_polygon(malta).intersection(window)
    blocks, info = rafah_transform(gaza)
    east = blocks["2024-05-06"].intersection(land)
    east11 = blocks["2024-05-11"].intersection(land).difference(east)
    coastal = land.intersection(shapely.box(*COASTAL_BOX))
    inland = land.intersection(shapely.box(*INLAND_BOX))
    rest = land.difference(east).difference(coastal).difference(inland)
    rest11 = rest.difference(east11)
    health = health_facilities(gaza)
    safe = gpd.GeoDataFrame({
        "name": ["Coastal humanitarian area", "Inland safe zone"],
        "stands_for": ["Al-Mawasi humanitarian area (coast)", "Khan Younis (inland, north-east of Rafah)"],
        "area_m2": [round(coastal.area), round(inland.area)],
        # no inventory of May 2024 is public: assumed figures, below Sphere's needs as agencies reported
        "water_l_per_day": [1_500_000.0, 3_000_000.0],
        "water_points": [300, 700],
        "latrines": [1_500, 4_000],
        "health_facilities": [health["mawasi"], health["khan_yunis"]],
    }, geometry=[coastal, inland], crs=UTM)
    danger = gpd.GeoDataFrame({"name": ["East", "Rest of Rafah"], "clear_by": [CLEAR_EAST_MIN, CLEAR_REST_MIN],
                               "order": ["IDF evacuation order of 6 May 2024, 8 blocks (real outlines, moved)",
                                         "the rest of the city (later orders; most of Rafah had left by June)"]},
                              geometry=[east, rest], crs=UTM)
    danger11 = gpd.GeoDataFrame({"name": ["East", "Rest of Rafah"], "clear_by": [CLEAR_EAST_MIN, CLEAR_REST_MIN],
                                 "order": ["IDF evacuation orders of 6 and 11 May 2024, 17 blocks (real outlines, "
                                           "moved)", "the rest of the city"]},
                                geometry=[east.union(east11), rest11], crs=UTM)
    closed = gpd.GeoDataFrame({"name": ["Egyptian border (closed)"]}, geometry=[border_line(land)], crs=UTM)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        gpd.GeoDataFrame({"name": ["window"]}, geometry=[window], crs=UTM).to_file(t / "window.geojson")
        for gdf, name in ((danger, "danger.geojson"), (safe, "safe.geojson"), (closed, "closed.geojson")):
            gdf.to_file(t / name, driver="GeoJSON")
        for f in OUT.iterdir():  # the folder holds exactly what this script makes
            if f.is_file():
                f.unlink()
        made = new_scenario(
            OUT, osm=malta, boundary=t / "window.geojson", people=PEOPLE, spread="streets",
            danger=t / "danger.geojson", safe=t / "safe.geojson", closed=t / "closed.geojson",
            name=NAME, streets=STREETS, stands_for=STANDS_FOR, force=True, validate=False,
        )
    write_layer(danger11, OUT / "danger_zones_11may.geojson")
    (OUT / "README.md").unlink()
    (OUT / "scenario.toml").write_text(scenario_toml(), encoding="utf-8")
    info.update(health=health, border_line_km=closed.length.iloc[0] / 1000.0)
    figures = measure(made, land, east, east11, coastal, inland, info)
    (OUT / "README.md").write_text(readme(figures), encoding="utf-8")
    for k, v in figures.items():
        print(f"{k}: {v}")


def health_facilities(gaza: Path) -> dict[str, int]:
    """Hospitals and clinics mapped in OpenStreetMap (HOTOSM export of 31 May 2024) inside the humanitarian area of
    May 2024 and in the rest of Khan Yunis governorate (pre-war mapping: many were damaged or closed by then)."""
    pts = gpd.read_file(gaza / "gaza_health_facilities_osm.geojson").to_crs(RAFAH_UTM)
    kind = pts["amenity"].fillna("") if "amenity" in pts.columns else pts.iloc[:, 0].astype(str)
    pts = pts[kind.isin(["hospital", "clinic"])]
    orders = gpd.read_file(gaza / "gaza_evacuation_orders_2024-05.geojson").to_crs(RAFAH_UTM)
    hum = shapely.union_all(orders.loc[orders["status"] == "humanitarian_area", "geometry"].to_numpy())
    gov = gpd.read_file(gaza / "gaza_governorates.geojson").to_crs(RAFAH_UTM)
    ky = gov.loc[gov["shapeName"] == "Khan Yunis", "geometry"].iloc[0].difference(hum)
    return {"mawasi": int(pts.within(hum).sum()), "khan_yunis": int(pts.within(ky).sum())}


NAME = "Rafah, May 2024, on Malta's streets (default)"
STREETS = "Malta, Grand Harbour area (OpenStreetMap, August 2018)"
STANDS_FOR = "Rafah governorate, southern Gaza Strip, May 2024"


def scenario_toml() -> str:
    """The scenario file of the bundled default, every choice commented."""
    return f'''\
# The bundled default scenario of evacplan: Rafah (southern Gaza Strip) in May 2024 at true scale -- 1.2 million
# people on about 64 km2 -- on REAL STREETS THAT ARE NOT RAFAH'S: no street network of the Gaza Strip is available
# offline, so the streets are Malta's, around the Grand Harbour (OpenStreetMap, 2018). Made by
# scripts/make_default_scenario.py with `evacplan new`; every number and its source: README.md beside this file.
# Times are minutes from the start; speeds m/s; areas m2.
name = "{NAME}"
description = "1.2 million people; eastern evacuation order (6 May 2024) then the whole city; coastal and inland safe zones; closed border"
time_step = 1.0        # planning time step (minutes)
horizon = 1440         # one day (minutes)
seed = 20240506        # the day of the first eastern Rafah evacuation order

[provenance]           # said by `info`, in the report's title area and in the GeoPackage
streets = "{STREETS}"
stands_for = "{STANDS_FOR}"

[network]
# Malta 2018 (Geofabrik extract, (c) OpenStreetMap contributors, ODbL 1.0) clipped to the 8 x 8 km window
# UTM 33N x 448.5-456.5 km, y 3,966.7-3,974.7 km: street and building ways only, tags evacplan reads only.
path = "streets.osm.pbf"
network_type = "walking"

[population]
# 1,200,000 people (OCHA / UNRWA: 1.2-1.4 million in Rafah, February-May 2024), spread evenly over the window's
# streets, whole persons per 25 m cell: displaced people lived in tents along every street and open space
# (OpenStreetMap's 2018 buildings of Malta are too sparsely mapped to place them by floor area).
path = "population.tif"
evacuate = "danger_zones"       # people inside a danger zone move; people in a safe zone stay and use its room
max_snap_m = 300

[[population.groups]]
name = "families"               # adults and the children walking with them: about 47 % of Gazans are under 18
share = 0.93                    # (UNFPA/PCBS, approx.)
walk_speed = 1.2                # between adults' 1.34 m/s (Weidmann 1993) and children's ~1.1 (assumed)
[[population.groups]]
name = "older_people"
share = 0.04                    # about 4-5 % aged 60+ (PCBS, approx.)
walk_speed = 0.9                # 0.9-1.0 m/s (published pedestrian studies, approx.)
vulnerable = true
[[population.groups]]
name = "reduced_mobility"
share = 0.03                    # people with disabilities or injuries (assumed)
walk_speed = 0.6                # 0.5-0.8 m/s (published pedestrian studies, approx.)
vulnerable = true

[danger_zones]
# East: the 8 blocks of the IDF order of 6 May 2024 (real outlines, 6.31 km2, moved onto the window);
# Rest of Rafah: the rest of the city outside the safe zones (later orders; most of Rafah had left by June).
path = "danger_zones.geojson"
name_column = "name"

[safe_zones]
# Coastal humanitarian area (stands for Al-Mawasi) and inland safe zone (stands for Khan Younis); area_m2 is the
# drawn land area; capacity = area / 3.5 m2 per person (Sphere covered space) minus the people already living there.
path = "safe_zones.geojson"
name_column = "name"

[closed]
path = "closed.geojson"         # the Egyptian border along the window's northern edge: no crossing

[modes.walk]
share = 0.85                    # most people left on foot (UNRWA, May 2024, approx.)
speed = 1.34
[modes.cart]
share = 0.15                    # donkey carts and hand carts (approx.); the few cars with fuel are left out
speed = 1.1
persons_per_unit = 6
units_per_lane_per_h = 600

[mobilization]
kind = "logistic"               # S-curve (NUREG/CR-7002 style); the rest of the city leaves over the day
mean = 240                      # half have left after 4 hours
spread = 60                     # everyone by mean + 7 spreads = 660 min

[mobilization.zones.East]
kind = "logistic"               # the eastern blocks were ordered out first, by leaflets, SMS and calls
mean = 90
spread = 30                     # everyone by 300 min

[standards]
# Sphere Handbook 2018 defaults; listed to show how a coordinator overrides them.
site_area_m2_per_person = 45
covered_area_m2_per_person = 3.5
water_l_per_person_day = 15
persons_per_latrine = 50
persons_per_health_unit = 10000
capacity_m2_per_person = 3.5    # a safe zone's capacity from its area: the physical floor, not 45 m2

# Variants that `evacplan run` executes beside the baseline and the report compares.
[[variants]]
name = "wider order (11 May)"
description = "the order of 11 May 2024 adds 9 blocks (6.0 km2) to the eastern zone, under the same deadline"
danger_zones = "danger_zones_11may.geojson"

[[variants]]
name = "late start"
description = "the evacuation order reaches people an hour later"
mobilization_delay = 60

[[variants]]
name = "low compliance"
description = "only 60 % of the evacuees follow the plan; the others take their own shortest way"
compliance = 0.6

[[variants]]
name = "main street blocked"
description = "Triq il-Kbira San Guzepp (Hamrun's high street, toward the coast) blocked by debris at its middle"
block_edges_near = [[{BLOCK_LONLAT[0]}, {BLOCK_LONLAT[1]}]]
block_snap_m = 40

[uncertainty]
# What the members of an ensemble (evacplan ensemble) draw; each value is fixed or [low, high], drawn uniformly.
# All ranges are assumptions for illustration (no published distribution exists for Rafah, May 2024).
compliance = [0.6, 1.0]           # share of planned evacuees following the plan (assumed)
walk_speed_factor = [0.85, 1.1]   # on every group's walking speed: crowding, loads, heat (assumed)
danger_buffer_m = [0, 300]        # growth of the danger area; nodes within it join the zone (assumed)
mobilization_delay = [-15, 60]    # minutes added to every departure: the order reaches people late (assumed)
mobilization_spread = [0.8, 1.5]  # stretch of the departure curves around their median (assumed)
[uncertainty.blockages]
rate = 0.001                      # share of streets blocked by debris or damage, about 37 of 37,000 (assumed)
at = [0, 480]                     # minutes
[uncertainty.capacity_loss]
rate = 0.01                       # streets narrowed by debris, tents, crowds (assumed)
loss = [0.3, 0.7]                 # share of the capacity lost (assumed)
at = [0, 480]
'''  # noqa: E501 (long comment lines of the TOML file)


def measure(made: Any, land: Any, east: Any, east11: Any, coastal: Any, inland: Any,
            info: dict[str, Any]) -> dict[str, Any]:
    """Figures of the built scenario for the README."""
    from evacplan.problem import load_problem
    from evacplan.problem.summary import problem_summary

    problem = load_problem(OUT / "scenario.toml", cache=False)
    s = problem_summary(problem)
    walks = walking_distances_km(problem)
    safe = {z["name"]: z for z in s["safe_zones"]}
    zones = {z["name"]: z for z in s["danger_zones"]}
    return {
        "nodes": s["nodes"], "edges": s["edges"], "network_km": s["network_km"], "closed_edges": s["closed_edges"],
        "people": s["people"], "evacuees": s["population"], "residents": s["safe_zone_residents"],
        "off_network": s["off_network"], "unreachable": s["unreachable"],
        "east": zones["East"]["population"], "rest": zones["Rest of Rafah"]["population"],
        "land_km2": land.area / 1e6, "east_km2": east.area / 1e6, "east11_km2": east11.area / 1e6,
        "coastal_km2": coastal.area / 1e6, "inland_km2": inland.area / 1e6,
        "coastal": safe["Coastal humanitarian area"], "inland": safe["Inland safe zone"],
        "safe_capacity": s["safe_capacity"], "street_ways": made.street_ways, "buildings": made.buildings,
        "pbf_kb": (OUT / "streets.osm.pbf").stat().st_size / 1024, "walks": walks, **info,
    }


def walking_distances_km(problem: Any) -> dict[str, tuple[float, float, float]]:
    """Per danger zone: median, 90th percentile and longest shortest walk (km) to a safe zone with room, by person."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    net, z, d = problem.network, problem.zones, problem.demand
    g = csr_matrix((net.length_m, (net.tail, net.head)), shape=(net.n_nodes, net.n_nodes))
    room = z.safe_capacity[np.maximum(z.node_safe, 0)] >= 1
    dist = dijkstra(g.T, indices=np.flatnonzero((z.node_safe >= 0) & room), min_only=True)
    out = {}
    for i, name in enumerate(z.danger_names):
        rows = d.danger == i
        km, w = dist[d.origin[rows]] / 1000.0, d.count[rows]
        order = np.argsort(km, kind="stable")
        cw = np.cumsum(w[order]) / w.sum()
        out[name] = (float(km[order][np.searchsorted(cw, 0.5)]), float(km[order][np.searchsorted(cw, 0.9)]),
                     float(km.max()))
    return out


def readme(f: dict[str, Any]) -> str:
    """The scenario's README with every figure and its source."""
    density = f["people"] / 64.0
    c, i = f["coastal"], f["inland"]
    return f"""\
# The bundled default scenario: Rafah, May 2024, on Malta's streets

**Rafah governorate (southern Gaza Strip) in May 2024, at true scale: {f["people"]:,} people on 64 km2, of whom
{f["evacuees"]:,} must leave.** A first eastern evacuation order with a deadline, then the whole city; a coastal
humanitarian area of limited capacity and an inland safe zone; the Egyptian border closed. The figures are
approximate public figures and the layout is schematic: use it to learn evacplan and to test it at the scale of the
case, not to plan a real operation.

## The streets are Malta's, not Rafah's

No street network of the Gaza Strip is available offline here. The network is a **real OpenStreetMap extract of
Malta, the Grand Harbour area, as of August 2018**: the densest 8 x 8 km window of the island (UTM 33N x 448.5-456.5
km, y 3,966.7-3,974.7 km; Birkirkara, Hamrun, Marsa, Floriana, Valletta, Paola, Tarxien), about the size of Rafah
governorate ({f["rafah_km2"]:.1f} km2, geoBoundaries). `info`, the report's title area and the GeoPackage say so.
To plan Rafah itself, make a scenario from an OpenStreetMap extract of the area with `evacplan new` and the zone
layers of this folder (their coordinates are Malta's: redraw them on Rafah's map).

| | this scenario | Rafah, May 2024 |
|---|---|---|
| area | 64 km2 ({f["land_km2"]:.1f} km2 of land, the rest is the Grand Harbour and Marsamxett) | 63.1 km2 (geoBoundaries) |
| people | {f["people"]:,} | 1.2-1.4 million (OCHA, UNRWA, Feb-May 2024, approx.) |
| density | {density:,.0f} per km2 ({f["people"] / f["land_km2"]:,.0f} per km2 of land) | 19,000-22,000 per km2 (1.2-1.4 million on 63 km2); OCHA gave "over 12,000" in late February 2024 |
| first order | {f["east_km2"]:.2f} km2, {f["east"]:,} people | 6.31 km2 (8 blocks of 6 May); about 100,000 people (IDF estimate, approx.) |
| wider order (variant) | + {f["east11_km2"]:.2f} km2 | + 6.01 km2 (9 blocks of 11 May) |
| people who left | {f["evacuees"]:,} evacuees | about 800,000-1,000,000 within three weeks (UNRWA, approx.) |

Street network: {f["nodes"]:,} nodes, {f["edges"]:,} directed edges, {f["network_km"]:,.0f} km of walkable streets and
paths ({f["street_ways"]:,} OpenStreetMap ways kept whole where they cross the window's edge; the clipped extract
`streets.osm.pbf` is {f["pbf_kb"]:,.0f} KB).

## How Rafah is laid onto the window

The order blocks are the **real polygons** of the IDF evacuation orders of 6 and 11 May 2024 (`gaza_evacuation_
orders_2024-05.geojson`: digitised by Gaza Maps, from the repository `mushon/nibal`, MIT licence), moved rigidly
(rotation and translation: shapes and areas kept) by this transform:

1. Rafah's border with Egypt (from the governorate's coastal corner to its southern tip, {f["border_km"]:.1f} km,
   geoBoundaries) is turned {f["angle_cw"]:.0f} degrees clockwise so that it runs west along the window's northern
   edge, which is land. Rafah then lies south of the border, as it lies north-east of it, and the sea, north-west of
   Rafah, falls to the north-east, where Malta's sea is: the coast of the window is the Grand Harbour's.
2. The blocks keep their distance from the border. Along it, their western end is placed 200 m inside the window:
   the window's northern edge runs {f["border_line_km"]:.1f} km over land before it meets the sea (Msida creek),
   Rafah's border {f["border_km"]:.1f} km, so the blocks stand about {f["corner_to_x_km"] - f["border_line_km"]:.1f}
   km closer to the coast than in Rafah.
3. The same transform puts Khan Younis (north-east of Rafah) to the south-east of the window and Al-Mawasi (the
   coast north of Rafah) on the Grand Harbour: the two safe zones stand there.

| layer | what | stands for |
|---|---|---|
| danger zone `East` | the 8 blocks of 6 May, {f["east_km2"]:.2f} km2; clear by {CLEAR_EAST_MIN} min | eastern Rafah, ordered out on 6 May 2024 |
| danger zone `Rest of Rafah` | the rest of the window's land outside the safe zones; clear by {CLEAR_REST_MIN} min | the rest of the city, ordered out in the following weeks |
| variant layer `danger_zones_11may.geojson` | `East` with the 9 blocks of 11 May ({f["east_km2"] + f["east11_km2"]:.2f} km2) | the order of 11 May 2024 |
| safe zone `Coastal humanitarian area` | Floriana, Valletta and the Grand Harbour shore: {f["coastal_km2"]:.2f} km2 of land | Al-Mawasi, the coastal "humanitarian area" |
| safe zone `Inland safe zone` | Tarxien, Santa Lucija, Fgura, Zabbar: {f["inland_km2"]:.2f} km2 of land | Khan Younis |
| closed line `Egyptian border (closed)` | the window's northern edge over land, {f["border_line_km"]:.1f} km | the Egyptian border and the Rafah crossing, closed to mass movement |

The streets beyond the northern edge (pieces of ways that cross it) stand for the Egyptian side: nobody lives there,
and the report's border counterfactual counts the people whose nearest refuge would lie across it.

## Every number and its source

| item | value | source |
|---|---|---|
| people | {f["people"]:,} | OCHA and UNRWA estimated 1.2-1.4 million people in Rafah, February-May 2024 (approx.) |
| where they are | evenly over the streets inside the window ({f["network_km"]:,.0f} km in the network) (about {f["people"] / (f["network_km"] * 1000):.1f} person per metre of street), whole persons per 25 m cell (`population.tif`) | `evacplan new --spread streets`: displaced people lived in tents along streets and on every open space; the 2018 OpenStreetMap buildings of Malta ({f["buildings"]:,} in the window) are too sparsely mapped to place people by floor area |
| evacuees | {f["evacuees"]:,}: East {f["east"]:,}, Rest of Rafah {f["rest"]:,} | people inside the danger zones |
| walks | shortest walk to a safe zone with room, by person: East median {f["walks"]["East"][0]:.1f} km, 90 % within {f["walks"]["East"][1]:.1f} km, longest {f["walks"]["East"][2]:.1f} km; Rest of Rafah {f["walks"]["Rest of Rafah"][0]:.1f} / {f["walks"]["Rest of Rafah"][1]:.1f} / {f["walks"]["Rest of Rafah"][2]:.1f} km | the network; in May 2024 people walked several km from Rafah to Al-Mawasi and Khan Younis |
| residents of the safe zones | {f["residents"]:,}: coastal {c["residents"]:,}, inland {i["residents"]:,} | people already living there stay and count against the zones' capacity |
| coastal humanitarian area | {c["area_m2"] / 1e6:.2f} km2; capacity {c["declared_capacity"]:,.0f} at 3.5 m2 per person, minus {c["residents"]:,} residents = **{c["capacity"]:,.0f}**; water 1,500 m3/day, 300 water points, 1,500 latrines (assumed); {f["health"]["mawasi"]} health facilities | Al-Mawasi: agencies reported far less than Sphere's 45 m2 per person and severe shortfalls of water and latrines (approx.); OCHA reported 30,000-34,000 people per km2 there in August 2024 (Humanitarian Situation Update #206); health facilities: hospitals and clinics mapped in OpenStreetMap inside the humanitarian area of May 2024 (HOTOSM export of 31 May 2024; pre-war mapping) |
| inland safe zone | {i["area_m2"] / 1e6:.2f} km2; capacity {i["declared_capacity"]:,.0f}, minus {i["residents"]:,} residents = **{i["capacity"]:,.0f}**; water 3,000 m3/day, 700 water points, 4,000 latrines (assumed); {f["health"]["khan_yunis"]} health facilities | Khan Younis, largely destroyed by May 2024 (approx.); health facilities: hospitals and clinics mapped in OpenStreetMap in the rest of Khan Yunis governorate (HOTOSM export of 31 May 2024; pre-war mapping, many were damaged or closed) |
| safe capacity left | {f["safe_capacity"]:,.0f} for {f["evacuees"]:,} evacuees: room for everyone in total; the coastal area alone takes {100 * c["capacity"] / f["evacuees"]:.0f} % | |
| closed border | {f["closed_edges"]:,} directed edges removed | the Egyptian border and the Rafah crossing were closed to mass movement |
| demographic groups | families 93 % at 1.2 m/s; older people 4 % at 0.9 m/s; reduced mobility 3 % at 0.6 m/s (both vulnerable) | about 47 % of Gazans are under 18 (UNFPA/PCBS, approx.); 60+ about 4-5 % (PCBS, approx.); disability share assumed; adults 1.34 m/s (Weidmann 1993), children walking with adults about 1.1 m/s (assumed); 0.9-1.0 and 0.5-0.8 m/s (published pedestrian studies, approx.) |
| modes | walk 85 %, cart 15 % (6 persons, 1.1 m/s, 600 carts/h/lane) | most people left on foot or by cart (UNRWA, May 2024, approx.); cart figures assumed; the few cars with fuel are left out so that there are few travel classes |
| mobilization | logistic S-curves: East half gone after 90 min (spread 30, all by 300 min); the rest half gone after 240 min (spread 60, all by 660 min) | NUREG/CR-7002 style mobilization curves; timings assumed |
| deadlines | East {CLEAR_EAST_MIN} min, Rest of Rafah {CLEAR_REST_MIN} min | assumed: the order of 6 May told people to move at once; the rest of the city left over the following weeks, here compressed to one day. East's deadline is tight on purpose: planned alone (the rest of the city staying put), East needs 627 min at best (a certified optimum of the fast planner at the time of writing: its slowest walkers, 0.6 m/s, leave last at 300 min and walk up to about 10 km), and the whole city's plan cleared it at 701 min |
| standards | Sphere Handbook 2018: 45 m2 site area, 3.5 m2 covered space, 15 L water per day, 1 latrine per 50, 1 health unit per 10,000 | Sphere Association, 2018 |
| time step, horizon | 1 min, 1,440 min | |

**What the capacities mean.** A safe zone's capacity is its land area at 3.5 m2 per person, Sphere's minimum of
covered living space: tents wall to wall, the physical floor, not a standard. At capacity the two zones would hold
about 286,000 people per km2, some eight times the density OCHA reported in Al-Mawasi (30,000-34,000 per km2): in
May 2024 the people of Rafah went to Al-Mawasi (about 61 km2 of designated humanitarian area), Khan Younis and Deir
al-Balah, an area several times Rafah's, which an 8 x 8 km window cannot hold. The report's Sphere table gives, for
each zone, the land, tents, water, latrines and health units missing against the standards.

Street capacities come from OpenStreetMap road classes and widths (1.3 persons per metre of width per second, SFPE
Handbook / Weidmann 1993; 5.4 persons/m2 jam density, Weidmann 1993); see `docs/scenario.md`.

## Files

| file | what | source and licence |
|---|---|---|
| `scenario.toml` | the scenario, every choice commented | |
| `streets.osm.pbf` | the window's streets and buildings (only the tags evacplan reads) | Malta extract of 2018-08-28 (Geofabrik, committed in `snodnipper/gdal-ubuntu`, sha256 30630ced...cd246), (c) OpenStreetMap contributors, Open Database License 1.0, https://www.openstreetmap.org/copyright |
| `population.tif` | {f["people"]:,} persons, whole persons per 25 m cell, UTM 33N | made by `evacplan new` |
| `danger_zones.geojson`, `danger_zones_11may.geojson` | danger zones (EPSG:4326) | order blocks: Gaza Maps via `mushon/nibal` (commit 76e29cf), MIT licence, (c) 2025 Theresa Eingartner & Marian Dork; moved as above |
| `safe_zones.geojson`, `closed.geojson` | safe zones, the closed border (EPSG:4326) | drawn by `scripts/make_default_scenario.py`; land from the extract's coastline (ODbL); health counts from the HOTOSM export of 31 May 2024 (ODbL) |

Rafah governorate's outline (for the transform): geoBoundaries PSE ADM2 (CC BY 4.0, Runfola et al. 2020).
Regenerate everything with `python scripts/make_default_scenario.py`.
"""  # noqa: E501 (Markdown table rows)


if __name__ == "__main__":
    main()
