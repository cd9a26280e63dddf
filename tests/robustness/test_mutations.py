"""Mutation test: every leaf of the tiny city's scenario file and every layer, broken in every way a careless or
unlucky user could (wrong type, negative, zero, NaN, huge, missing, wrong CRS, empty geometry, geometry elsewhere,
special file ...). For each case ``validate`` and ``plan`` either succeed with a sane result or exit 2 with a
message: never a traceback, never a hang (each command runs under a time limit; named pipes in a subprocess with a
timeout), never a plan of 0 evacuees reported as success.

The cases (``mutate.py``) run in-process through Typer's ``CliRunner`` in two worker processes. The counts are printed
(run with ``-s`` to see them) and checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
WORKERS = 2


def _load(name: str, path: Path):  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


mutate = _load("mutate", HERE / "mutate.py")


def test_every_mutation_is_valid_or_a_message(tmp_path: Path, make_city: Callable[..., Path]) -> None:
    import geopandas as gpd

    city = _load("city_conftest", HERE / "conftest.py")
    folder = make_city().parent
    columns = {layer: [c for c in gpd.read_file(folder / layer).columns if c != "geometry"]
               for layer in mutate.VECTOR_LAYERS}
    cases = mutate.all_cases(city.CITY_TOML, columns)
    assert len(cases) > 400
    env = {**os.environ, "PYTHONPATH": str(SRC), "EVACPLAN_CACHE_DIR": str(tmp_path / "cache")}
    procs = []
    for i in range(WORKERS):
        work = tmp_path / f"worker{i}"
        work.mkdir()
        (work / "cases.json").write_text(json.dumps([[c.id, c.kind, list(c.target), c.mutation]
                                                     for c in cases[i::WORKERS]]))
        procs.append(subprocess.Popen([sys.executable, str(HERE / "mutate.py"), str(work / "cases.json"),
                                       str(work / "results.json")], env=env, stderr=subprocess.PIPE, text=True))
    errors = [p.communicate(timeout=1200)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    results = [r for i in range(WORKERS) for r in json.loads((tmp_path / f"worker{i}" / "results.json").read_text())]
    assert len(results) == len(cases)
    bad = {r["id"]: mutate.verdicts(r) for r in results if mutate.verdicts(r)}
    n = len(results)
    valid = sum(r["validate"][0] == 0 for r in results)
    planned = sum(r["plan"][0] == 0 and r["sane"] is None for r in results)
    stopped = sum(r["plan"][0] == 2 for r in results)
    print(f"\nmutation test: {n} cases; validate: {valid} valid, {sum(r['validate'][0] == 2 for r in results)} "
          f"exit 2; plan: {planned} sane plans, {stopped} exit 2; {len(bad)} misbehaved")
    slow = sorted(results, key=lambda r: -r["seconds"])[:5]
    print("slowest: " + ", ".join(f"{r['id']} {r['seconds']:.1f} s" for r in slow))
    assert not bad, json.dumps(bad, indent=1)
    assert planned + stopped == n
    # validate is at least as strict as plan; stricter only for the variants' layers, which plan does not use
    lax = [r["id"] for r in results if r["plan"][0] == 2 and r["validate"][0] == 0]
    assert not lax, lax
    stricter = [r["id"] for r in results if r["plan"][0] == 0 and r["validate"][0] == 2]
    assert all("variant" in i for i in stricter), stricter
FIFO_SCRIPT = """
import json, sys
from typer.testing import CliRunner
from evacplan.cli import app
for path, out in json.loads(sys.argv[1]):
    print("case", path, flush=True)
    for args in (["validate", path], ["plan", path, "--out", out]):
        r = CliRunner().invoke(app, args)
        exc = r.exception if r.exception is not None and not isinstance(r.exception, SystemExit) else None
        print(json.dumps([path, args[0], r.exit_code, r.output, repr(exc) if exc else None]), flush=True)
"""


def test_named_pipes_in_place_of_layers(make_city: Callable[..., Path], tmp_path: Path) -> None:
    """A named pipe as the scenario file, as each layer, beside a shapefile or inside a GMNS folder: refused before
    anything opens it. One subprocess runs every case; its timeout catches a hang (its output names the case)."""
    import geopandas as gpd

    cases = []
    for layer in ("scenario.toml", "population.tif", "danger_zones.geojson", "safe_zones.geojson", "closed.geojson",
                  "variant_closed.geojson", "net/link.csv", "closed.dbf"):
        path = make_city()
        if layer.startswith("net/"):  # a pipe inside the GMNS folder
            shutil.copytree((path.parent / "network").resolve(), path.parent / "net")
            path.write_text(path.read_text().replace('path = "network"', 'path = "net"'))
        if layer == "closed.dbf":  # a pipe beside a shapefile
            gpd.read_file(path.parent / "closed.geojson").iloc[:1].to_file(path.parent / "closed.shp")
            path.write_text(path.read_text().replace('path = "closed.geojson"', 'path = "closed.shp"'))
        target = path.parent / layer
        target.unlink()
        os.mkfifo(target)
        cases.append([str(path), str(path.parent / "plan")])
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    try:
        proc = subprocess.run([sys.executable, "-c", FIFO_SCRIPT, json.dumps(cases)], env=env, capture_output=True,
                              text=True, timeout=180)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"hang; the last case started: {exc.stdout!r}")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("[")]
    assert len(rows) == 2 * len(cases)
    for path, command, code, output, exc in rows:
        assert exc is None and code == 2, (path, command, code, output, exc)
        assert "namedpipe(FIFO)" in "".join(output.split()), (path, command, output)
