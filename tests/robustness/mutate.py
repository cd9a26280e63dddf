"""The mutations of ``test_mutations.py`` and their worker: ``python mutate.py CASES.json RESULTS.json`` runs each case
(a JSON list of ``[id, kind, target, mutation]``) in this process through Typer's ``CliRunner`` and writes what
``validate`` and ``plan`` did. A separate script, not a test module: worker processes import it by path.
"""

from __future__ import annotations

import copy
import json
import math
import re
import shutil
import signal
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
#: Seconds one command may take before the case counts as a hang.
TIME_LIMIT_S = 60
_MISSING = object()


# ---------------------------------------------------------------------------------------------------------------
# a small TOML writer (the standard library only reads TOML)


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dump_toml(d: dict[str, Any], prefix: str = "") -> str:
    lines = [f"{_key(k)} = {_value(v)}" for k, v in d.items() if not isinstance(v, dict) and not _is_table_array(v)]
    for k, v in d.items():
        if isinstance(v, dict):
            lines.append(f"\n[{prefix}{_key(k)}]")
            lines.append(dump_toml(v, f"{prefix}{_key(k)}."))
        elif _is_table_array(v):
            for item in v:
                lines.append(f"\n[[{prefix}{_key(k)}]]")
                lines.append(dump_toml(item, f"{prefix}{_key(k)}."))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# the cases


@dataclass(frozen=True)
class Case:
    """One mutation: ``kind`` is ``"toml"`` (``target`` a key path) or ``"layer"`` (``target`` a file)."""

    id: str
    kind: str
    target: tuple[Any, ...]
    mutation: str


def leaves(d: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every leaf (and every table, to delete) of a parsed TOML document, with its key path."""
    if isinstance(d, dict):
        if path:
            yield path, d
        for k, v in d.items():
            yield from leaves(v, (*path, k))
    elif _is_table_array(d):
        yield path, d
        for i, v in enumerate(d):
            yield from leaves(v, (*path, i))
    else:
        yield path, d


def value_mutations(v: Any) -> dict[str, Any]:
    if isinstance(v, dict) or _is_table_array(v):
        return {"missing": _MISSING, "wrong_type": "x"}
    if isinstance(v, bool):
        return {"wrong_type": "yes", "number": 1, "missing": _MISSING}
    if isinstance(v, int | float):
        return {"wrong_type": "x", "bool": True, "negative": -1, "zero": 0, "nan": math.nan, "huge": 1e300,
                "missing": _MISSING}
    if isinstance(v, str):
        return {"wrong_type": 7, "empty": "", "elsewhere": "no/such/thing.geojson", "missing": _MISSING}
    if isinstance(v, list):
        return {"wrong_type": "x", "empty": [], "reversed": list(reversed(v)), "nan": [math.nan] * len(v),
                "huge": [1e300] * len(v), "negative": [-1] * len(v), "missing": _MISSING}
    raise TypeError(v)


VECTOR_LAYERS = ("danger_zones.geojson", "safe_zones.geojson", "closed.geojson", "variant_closed.geojson")
VECTOR_MUTATIONS = ("missing", "wrong_type_file", "empty_layer", "empty_geometry", "elsewhere", "swapped", "wrong_crs",
                    "huge_coordinates", "points", "self_intersecting", "no_crs")
COLUMN_MUTATIONS = ("wrong_type", "negative", "zero", "null", "huge", "missing")
RASTER_MUTATIONS = ("missing", "wrong_type_file", "negative", "zero", "nan", "huge", "inf", "wrong_crs", "no_crs",
                    "elsewhere", "subnormal")
NETWORK_MUTATIONS = ("missing_links", "wrong_type", "negative_length", "zero_lanes", "nan_coordinates", "huge_length",
                     "elsewhere", "empty_links", "wrong_crs")


def all_cases(city_toml: str, columns: dict[str, list[str]]) -> list[Case]:
    doc = tomllib.loads(city_toml)
    out = []
    for path, v in leaves(doc):
        for name in value_mutations(v):
            out.append(Case(f"toml:{'.'.join(map(str, path))}:{name}", "toml", path, name))
    for layer in VECTOR_LAYERS:
        for name in VECTOR_MUTATIONS:
            out.append(Case(f"layer:{layer}:{name}", "layer", (layer,), name))
        for col in columns[layer]:
            for name in COLUMN_MUTATIONS:
                out.append(Case(f"layer:{layer}.{col}:{name}", "layer", (layer, col), name))
    for name in RASTER_MUTATIONS:
        out.append(Case(f"layer:population.tif:{name}", "layer", ("population.tif",), name))
    for name in NETWORK_MUTATIONS:
        out.append(Case(f"layer:network:{name}", "layer", ("network",), name))
    return out


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if value is _MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


def _geojson(folder: Path, layer: str) -> dict[str, Any]:
    return json.loads((folder / layer).read_text())


def _map_coords(geom: dict[str, Any], f: Callable[[list[float]], list[float]]) -> dict[str, Any]:
    def walk(c: Any) -> Any:
        return f(c) if c and isinstance(c[0], int | float) else [walk(x) for x in c]

    return {**geom, "coordinates": walk(geom["coordinates"])}


def mutate_vector(folder: Path, layer: str, col: str | None, name: str) -> None:
    path = folder / layer
    obj = _geojson(folder, layer)
    feats = obj["features"]
    if col is not None:
        for f in feats:
            props = f["properties"]
            if name == "missing":
                props.pop(col, None)
            else:
                props[col] = {"wrong_type": "x", "negative": -1, "zero": 0, "null": None, "huge": 1e300}[name]
    elif name == "missing":
        path.unlink()
        return
    elif name == "wrong_type_file":
        path.write_bytes(bytes(range(256)) * 8)
        return
    elif name == "empty_layer":
        obj["features"] = []
    elif name == "empty_geometry":
        feats[0]["geometry"] = None
    elif name == "elsewhere":
        for f in feats:
            f["geometry"] = _map_coords(f["geometry"], lambda c: [c[0] + 40.0, c[1] - 30.0])
    elif name == "swapped":
        for f in feats:
            f["geometry"] = _map_coords(f["geometry"], lambda c: [c[1], c[0]])
    elif name == "wrong_crs":
        obj["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32635"}}
    elif name == "huge_coordinates":
        feats[0]["geometry"] = _map_coords(feats[0]["geometry"], lambda c: [c[0] * 1e298, c[1]])
    elif name == "points":
        for f in feats:
            f["geometry"] = {"type": "Point", "coordinates": [24.945, 60.169]}
    elif name == "self_intersecting":
        g = feats[0]["geometry"]
        if g["type"] == "Polygon":
            ring = g["coordinates"][0]
            g["coordinates"] = [[ring[0], ring[2], ring[1], ring[3], ring[0]]]
        else:
            g["coordinates"] = [g["coordinates"][0], [1e3, 1e3]]
    elif name == "no_crs":  # a shapefile without its .prj (GeoJSON always implies EPSG:4326)
        import geopandas as gpd

        gdf = gpd.read_file(path)
        shp = folder / "nocrs.shp"
        gdf.set_crs(None, allow_override=True).iloc[:1].to_file(shp)
        toml = folder / "scenario.toml"
        toml.write_text(toml.read_text().replace(f'"{layer}"', '"nocrs.shp"'))
        return
    path.write_text(json.dumps(obj))


def mutate_raster(folder: Path, name: str, write_raster: Callable[..., None]) -> None:
    path = folder / "population.tif"
    values = np.random.default_rng(0).uniform(0, 4, (45, 75))
    if name == "missing":
        path.unlink()
    elif name == "wrong_type_file":
        path.write_text("population,x,y\n100,1,2\n")
    elif name == "negative":
        write_raster(path, -values)
    elif name == "zero":
        write_raster(path, values * 0)
    elif name == "nan":
        write_raster(path, values * np.nan)
    elif name == "huge":
        values[5, 5] = 1e30
        write_raster(path, values)
    elif name == "inf":
        values[5, 5] = np.inf
        write_raster(path, values)
    elif name == "wrong_crs":
        write_raster(path, values, crs="EPSG:4326")
    elif name == "no_crs":
        write_raster(path, values, crs=None)
    elif name == "elsewhere":
        write_raster(path, values, origin=(685600.0, 6272250.0))
    elif name == "subnormal":
        write_raster(path, values * 1e-310, dtype="float64")


def mutate_network(folder: Path, name: str, edit: Callable[[str, str, str], str]) -> None:
    import pandas as pd

    src = folder / "network"
    dst = folder / "net"
    shutil.copytree(src.resolve(), dst)
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text().replace('path = "network"', 'path = "net"'))
    nodes, links = pd.read_csv(dst / "node.csv"), pd.read_csv(dst / "link.csv")
    if name == "missing_links":
        (dst / "link.csv").unlink()
        return
    if name == "wrong_type":
        nodes["x_coord"] = "east"
    elif name == "negative_length":
        links["length"] = -5.0
    elif name == "zero_lanes":
        links["lanes"] = 0
    elif name == "nan_coordinates":
        nodes.loc[:10, "y_coord"] = np.nan
    elif name == "huge_length":
        links["length"] = 1e300
    elif name == "elsewhere":
        nodes["x_coord"] += 40.0
    elif name == "empty_links":
        links = links.iloc[:0]
    elif name == "wrong_crs":
        toml.write_text(toml.read_text().replace('crs = "EPSG:4326"', 'crs = "EPSG:32635"'))
    nodes.to_csv(dst / "node.csv", index=False)
    links.to_csv(dst / "link.csv", index=False)


# ---------------------------------------------------------------------------------------------------------------
# running a case


class Hang(Exception):
    """A command ran past :data:`TIME_LIMIT_S`."""


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def _invoke(args: list[str]) -> tuple[int | None, str, str | None]:
    """(exit code, output, unexpected exception) of one command in-process, under the time limit."""
    from typer.testing import CliRunner

    from evacplan.cli import app

    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        result = CliRunner().invoke(app, args)
    except Hang:
        return None, "", "hang"
    finally:
        signal.alarm(0)
    exc = result.exception
    if isinstance(exc, Hang):
        return None, result.output, "hang"
    bad = None if exc is None or isinstance(exc, SystemExit) else f"{type(exc).__name__}: {exc}"
    return result.exit_code, result.output, bad


def _no_nan(text: str) -> Any:
    def refuse(c: str) -> None:
        raise ValueError(f"non-finite number {c} in summary.json")

    return json.loads(text, parse_constant=refuse)


def _sane_plan(folder: Path) -> str | None:
    """Why the plan in ``folder`` is not a sane result (``None`` when it is)."""
    try:
        s = _no_nan((folder / "summary.json").read_text())
    except (OSError, ValueError) as exc:
        return f"summary.json: {exc}"
    if not (folder / "manifest.json").is_file():
        return "no manifest.json"
    if not s["evacuees"] > 0:
        return f"{s['evacuees']} evacuees reported as success"
    if not 0 < s["evacuated"] <= s["evacuees"]:
        return f"{s['evacuated']} of {s['evacuees']} evacuated"
    t = s["evacuation_time_min"]
    if t is None or not (math.isfinite(t) and t >= 0):
        return f"evacuation time {t!r}"
    return None


def load(name: str, path: Path) -> Any:
    """The module in the file ``path`` (tests are not a package: load by path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def run_case(case: Case, base: Path) -> dict[str, Any]:
    """Build the case's scenario in a fresh folder and run ``validate`` and ``plan`` on it."""
    city = load("city_conftest", HERE / "conftest.py")
    folder = base / re.sub(r"[^A-Za-z0-9._-]+", "_", case.id)
    city.write_layers(folder)
    toml = folder / "scenario.toml"
    if case.kind == "toml":
        doc = tomllib.loads(city.CITY_TOML)
        value = value_mutations(_get(doc, case.target))[case.mutation]
        _set(doc, case.target, value if value is _MISSING else copy.deepcopy(value))
        toml.write_text(dump_toml(doc), encoding="utf-8")
    else:
        toml.write_text(city.CITY_TOML, encoding="utf-8")
        layer = case.target[0]
        if layer == "population.tif":
            mutate_raster(folder, case.mutation, city.raster)
        elif layer == "network":
            mutate_network(folder, case.mutation, city.edited)
        else:
            mutate_vector(folder, layer, case.target[1] if len(case.target) > 1 else None, case.mutation)
    out: dict[str, Any] = {"id": case.id}
    t0 = time.perf_counter()
    out["validate"] = _invoke(["validate", str(toml)])
    out["plan"] = _invoke(["plan", str(toml), "--out", str(folder / "plan")])
    out["sane"] = _sane_plan(folder / "plan") if out["plan"][0] == 0 else None
    out["seconds"] = round(time.perf_counter() - t0, 2)
    shutil.rmtree(folder, ignore_errors=True)
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def verdicts(result: dict[str, Any]) -> list[str]:
    """What is wrong with a case's outcome (empty when both commands behaved)."""
    wrong = []
    for cmd in ("validate", "plan"):
        code, output, exc = result[cmd]
        if exc is not None:
            wrong.append(f"{cmd}: {exc}")
        elif code not in (0, 2):
            wrong.append(f"{cmd}: exit {code}")
        elif code == 2 and not output.strip():
            wrong.append(f"{cmd}: exit 2 without a message")
        elif "Traceback" in output:
            wrong.append(f"{cmd}: traceback in the output")
    if result["plan"][0] == 0 and result["sane"] is not None:
        wrong.append(f"plan: insane result: {result['sane']}")
    return wrong


def main(cases_file: str, results_file: str) -> None:
    """Run the cases of ``cases_file`` in folders beside it; write the results to ``results_file``."""
    cases = [Case(c[0], c[1], tuple(c[2]), c[3]) for c in json.loads(Path(cases_file).read_text())]
    base = Path(cases_file).parent
    Path(results_file).write_text(json.dumps([run_case(c, base) for c in cases]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
