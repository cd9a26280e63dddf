"""Regenerate the OpenStreetMap fixtures of the ``evacplan new`` tests from the Malta extract of 2018.

* ``floriana.osm.pbf``: a 0.6 km2 box of Floriana and Valletta (streets and buildings), clipped by evacplan itself
  (:func:`evacplan.create.clip_osm`);
* ``floriana_streets.osm.pbf``: the same box, streets only (no building mapped);
* ``overpass_network.json``, ``overpass_buildings.json``, ``nominatim_floriana.json``: what the Overpass API and
  Nominatim answer to osmnx for ``--place "Floriana, Malta"``, in their JSON formats, made from ``floriana.osm.pbf``
  (no network is reachable where the tests run; the place's "boundary" is the fixture's box).

Run: ``python tests/data/osm/make_fixtures.py [path/to/malta-2018.osm.pbf]``. OpenStreetMap data (c) OpenStreetMap
contributors, ODbL 1.0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import osmium

from evacplan.create import area_from_bbox, clip_osm

HERE = Path(__file__).resolve().parent
MALTA = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3] / "shared" / "data" / "osm" / "malta-2018.osm.pbf"
BBOX = (14.5050, 35.8930, 14.5150, 35.8990)


def main() -> None:
    """Write the fixtures."""
    area = area_from_bbox(BBOX)
    clip_osm(MALTA, area, HERE / "floriana.osm.pbf")
    streets = HERE / "floriana_streets.osm.pbf"
    streets.unlink(missing_ok=True)
    nodes: dict[int, tuple[float, float]] = {}
    ways = []
    for o in osmium.FileProcessor(str(HERE / "floriana.osm.pbf")).with_locations():
        if o.is_way():
            tags = {t.k: t.v for t in o.tags}
            ways.append((o.id, [n.ref for n in o.nodes], tags, [(n.lon, n.lat) for n in o.nodes]))
    with osmium.SimpleWriter(str(streets)) as w:
        keep = [x for x in ways if "highway" in x[2]]
        for _, refs, _, coords in keep:
            nodes.update(zip(refs, coords, strict=True))
        for nid in sorted(nodes):
            w.add_node(osmium.osm.mutable.Node(id=nid, location=nodes[nid]))
        for wid, refs, tags, _ in keep:
            w.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    # Overpass answers: every node of the ways, then the ways, as the API's JSON output gives them
    for name, key in (("overpass_network.json", "highway"), ("overpass_buildings.json", "building")):
        sel = [x for x in ways if key in x[2]]
        pts = {r: c for _, refs, _, coords in sel for r, c in zip(refs, coords, strict=True)}
        elements = [{"type": "node", "id": r, "lat": round(c[1], 7), "lon": round(c[0], 7)}
                    for r, c in sorted(pts.items())]
        elements += [{"type": "way", "id": wid, "nodes": refs, "tags": tags} for wid, refs, tags, _ in sel]
        doc = {"version": 0.6, "generator": "evacplan test fixture (Overpass API JSON format)",
               "osm3s": {"copyright": "The data included in this document is from www.openstreetmap.org. The data "
                                      "is made available under ODbL."}, "elements": elements}
        (HERE / name).write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    w0, s0, e0, n0 = BBOX
    ring = [[w0, s0], [e0, s0], [e0, n0], [w0, n0], [w0, s0]]
    nominatim = [{"place_id": 1, "licence": "Data (c) OpenStreetMap contributors, ODbL 1.0.", "osm_type": "relation",
                  "osm_id": 1, "lat": str((s0 + n0) / 2), "lon": str((w0 + e0) / 2), "class": "boundary",
                  "type": "administrative", "place_rank": 16, "importance": 0.5, "addresstype": "town",
                  "name": "Floriana", "display_name": "Floriana, Malta",
                  "boundingbox": [str(s0), str(n0), str(w0), str(e0)],
                  "geojson": {"type": "Polygon", "coordinates": [ring]}}]
    (HERE / "nominatim_floriana.json").write_text(json.dumps(nominatim, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
