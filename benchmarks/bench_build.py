"""Benchmark: loading and building networks and population (issue: scenario ingest).

Cases, each measured in a fresh Python process (wall time of ``load_problem`` and peak resident memory):

* ``sydney``: the Sydney TNTP network from ../shared/data (33,113 nodes, 75,379 links) with a population raster of
  1,000 x 1,000 = 1,000,000 cells over its extent, built without cache;
* ``sydney-cached``: the same scenario again, from the on-disk cache;
* ``default``: the bundled default scenario (Malta's Grand Harbour window, 32,905 walking nodes, 1.2 million people
  on a 25 m raster, 1,086,805 evacuees), built without cache.

Run: ``python -m benchmarks.bench_build`` (writes nothing but a temp folder; prints a Markdown table).
"""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def make_sydney_scenario(folder: Path) -> Path:
    """Sydney TNTP + a 1e6-cell population raster + zones over its extent."""
    import geopandas as gpd
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import box

    from evacplan.network.readers.tntp import read_tntp

    net = SHARED / "tntp" / "Sydney" / "Sydney_net.tntp"
    nodes = SHARED / "tntp" / "Sydney" / "Sydney_node.tntp"
    raw = read_tntp(net, nodes)
    x0, x1 = raw.nodes.x.min(), raw.nodes.x.max()
    y0, y1 = raw.nodes.y.min(), raw.nodes.y.max()
    w, h = x1 - x0, y1 - y0
    n = 1000
    rng = np.random.default_rng(0)
    pop = rng.gamma(0.5, 4.0, (n, n)).astype("float32")
    with rasterio.open(folder / "pop.tif", "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(x0, y1, w / n, h / n)) as dst:
        dst.write(pop, 1)
    gpd.GeoDataFrame({"name": ["centre"], "clear_by": [240]}, crs="EPSG:4326",
                     geometry=[box(x0 + 0.3 * w, y0 + 0.3 * h, x0 + 0.7 * w, y0 + 0.7 * h)]).to_file(folder / "d.gpkg")
    gpd.GeoDataFrame({"name": ["west", "east"]}, crs="EPSG:4326",
                     geometry=[box(x0 - 1, y0 - 1, x0 + 0.1 * w, y1 + 1), box(x1 - 0.1 * w, y0 - 1, x1 + 1, y1 + 1)],
                     ).to_file(folder / "s.gpkg")
    text = f"""name = "Sydney benchmark"
[network]
path = "{net}"
nodes = "{nodes}"
[population]
path = "pop.tif"
scale_to = 1000000
evacuate = "all"
max_snap_m = 50000
[danger_zones]
path = "d.gpkg"
[safe_zones]
path = "s.gpkg"
[modes.walk]
share = 0.7
[modes.vehicle]
share = 0.3
"""
    path = folder / "scenario.toml"
    path.write_text(text)
    return path


def _child(scenario: str, cache_dir: str) -> None:
    import os

    os.environ["EVACPLAN_CACHE_DIR"] = cache_dir
    from evacplan.problem import load_problem

    t = time.perf_counter()
    p = load_problem(scenario or None)
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": dt, "peak_rss_mb": rss, "nodes": p.network.n_nodes, "edges": p.network.n_edges,
                      "evacuees": p.demand.total}))


def run(scenario: str, cache_dir: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_build", "--child", scenario, cache_dir],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scen = make_sydney_scenario(folder)
        cache = folder / "cache"
        rows = [
            ("Sydney TNTP + 1,000,000-cell raster, cold build", run(str(scen), str(cache)), "30 s, 4 GB"),
            ("Sydney, cached rebuild", run(str(scen), str(cache)), "2 s"),
            ("Bundled default (Malta OSM walking, 1.2 M people), cold build", run("", ""), "10 s"),
        ]
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}")
    print("| case | nodes | edges | evacuees | seconds | peak RSS (MB) | bar |")
    print("|---|---|---|---|---|---|---|")
    for name, r, bar in rows:
        print(f"| {name} | {r['nodes']:,} | {r['edges']:,} | {r['evacuees']:,} | {r['seconds']:.2f} | "
              f"{r['peak_rss_mb']:,.0f} | {bar} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
    else:
        main()
