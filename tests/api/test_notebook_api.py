"""The notebook API: ``import evacplan as ep`` names, the stub, short reprs, table, map and plot views, errors."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd
import pytest

import evacplan as ep
from evacplan.errors import InvalidProblemError

matplotlib.use("Agg")

SRC = Path(ep.__file__).resolve().parent
ENV = {**os.environ, "PYTHONPATH": str(SRC.parent)}


def _toy() -> ep.Problem:
    edges = [(0, 1, 120, 1.0), (1, 3, 120, 1.0), (0, 2, 120, 1.0), (2, 3, 180, 1.0)]
    xy = [(0.0, 0.0), (100.0, 0.0), (0.0, 100.0), (100.0, 100.0)]
    return ep.toy_problem(4, edges, {0: 500, 1: 200}, {3: 0}, horizon_s=6000, xy=xy)


def test_import_is_cheap_and_the_stage_functions_load_on_use() -> None:
    code = ("import sys, evacplan as ep; heavy = [m for m in ('numpy', 'pandas', 'numba', 'geopandas') "
            "if m in sys.modules]; assert not heavy, heavy; ep.plan, ep.simulate, ep.run, ep.assess; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_all_names_resolve_and_match_the_stub() -> None:
    stub = ast.parse((SRC / "__init__.pyi").read_text())
    stubbed = {}
    for node in stub.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                assert alias.asname == alias.name, "the stub re-exports under the same name"
                stubbed[alias.name] = node.module
    assert stubbed == ep._API
    assert set(ep.__all__) == {"__version__", *ep._API}
    assert set(dir(ep)) >= set(ep.__all__)
    for name, module in stubbed.items():
        assert getattr(ep, name) is getattr(importlib.import_module(module), name), name
    with pytest.raises(AttributeError):
        ep.no_such_name  # noqa: B018


def test_the_stage_functions_are_the_stages() -> None:
    from evacplan.assessment import assess
    from evacplan.pipeline import run
    from evacplan.planning import plan
    from evacplan.simulation import simulate

    assert (ep.plan, ep.simulate, ep.assess, ep.run) == (plan, simulate, assess, run)


def test_reprs_are_short() -> None:
    problem = _toy()
    plan = ep.plan(problem)
    result = ep.simulate(problem, plan)
    assert repr(problem) == "<Problem 'toy': 4 nodes, 4 edges, 700 evacuees>"
    gap = f"{100 * plan.gap:.1f} %"
    assert repr(plan) == (f"<Plan fast: 700 people, {plan.evacuation_time_s / 60:.0f} min, "
                          f"bound {plan.lower_bound_s / 60:.0f} min, gap {gap}>")
    assert repr(result).startswith("<SimulationResult: 700 of 700 people safe, all safe by ")
    for obj in (problem, problem.network, problem.zones, problem.demand, plan, result, ep.assess(problem, plan)):
        assert len(repr(obj)) < 200 and "array(" not in repr(obj), repr(obj)


def test_plan_views() -> None:
    problem = _toy()
    plan = ep.plan(problem)
    groups = plan.to_dataframe(problem)
    assert isinstance(groups, pd.DataFrame) and len(groups) == plan.n_groups
    assert groups["count"].sum() == 700 and set(groups["destination"]) == {"safe0"}
    assert list(plan.to_dataframe()["row"]) == plan.row.tolist()
    routes = plan.to_geodataframe(problem, "routes")
    assert isinstance(routes, gpd.GeoDataFrame) and routes["persons"].sum() == 700
    assert all(g.geom_type == "LineString" for g in routes.geometry)
    edges = plan.to_geodataframe(problem, "edges")
    assert edges.geometry.length.round(6).tolist() == [100.0] * len(edges)  # every toy edge is 100 m long on the map
    assert set(edges["edge"]) <= set(range(problem.network.n_edges)) and (edges["persons"] > 0).all()
    with pytest.raises(ValueError, match="unknown layer"):
        plan.to_geodataframe(problem, "zones")
    ax = plan.plot(problem)
    assert ax.collections and "700 people" in ax.get_title()


def test_simulation_views() -> None:
    problem = _toy()
    result = ep.simulate(problem, ep.plan(problem))
    curves = result.to_dataframe(problem)
    overall = curves[curves["kind"] == "all"]
    assert overall["evacuated"].is_monotonic_increasing and overall["evacuated"].iloc[-1] == 700
    assert set(curves["zone"]) == {"", "danger0", "safe0"}
    assert set(result.to_dataframe()["kind"]) == {"all"}
    ax = result.plot(problem)
    assert [line.get_label() for line in ax.get_lines()][:2] == ["all", "danger0"]


def test_problem_views() -> None:
    problem = _toy()
    nodes = problem.to_geodataframe("nodes")
    assert nodes["evacuees"].tolist() == [500, 200, 0, 0]
    assert nodes["safe_zone"].tolist() == ["", "", "", "safe0"]
    edges = problem.to_geodataframe("edges")
    assert len(edges) == problem.network.n_edges and "capacity_p_per_s_walk" in edges


def test_one_progress_protocol() -> None:
    problem = _toy()
    seen: list[tuple[str, float | None]] = []

    def progress(message: str, fraction: float | None) -> None:
        seen.append((message, fraction))

    plan = ep.plan(problem, progress=progress)
    ep.simulate(problem, plan, progress=progress)
    messages = {m for m, _ in seen}
    assert messages == {"planning (fast)", "simulating"}
    assert all(f is not None and 0.0 <= f <= 1.0 for _, f in seen)
    assert seen[-1] == ("simulating", 1.0)


def test_broken_arrays_raise_the_projects_error_also_under_python_O() -> None:
    problem = _toy()
    net = problem.network
    import dataclasses

    broken = dataclasses.replace(net, head=net.tail.copy())  # every edge a self loop
    with pytest.raises(InvalidProblemError, match="network"):
        broken.validate()
    bad_cdf = dataclasses.replace(problem, departure_cdf=problem.departure_cdf * 0.5)
    with pytest.raises(InvalidProblemError, match="departure_cdf"):
        bad_cdf.validate()
    code = ("import dataclasses, evacplan as ep; from evacplan.errors import InvalidProblemError\n"
            "p = ep.toy_problem(2, [(0, 1, 60, 1.0)], {0: 5}, {1: 0})\n"
            "try:\n    dataclasses.replace(p.network, length_m=-p.network.length_m).validate()\n"
            "except InvalidProblemError as e:\n    print('raised', e)\n")
    out = subprocess.run([sys.executable, "-O", "-c", code], env=ENV, capture_output=True, text=True, check=False)
    assert out.stdout.startswith("raised network: length_m"), out.stderr


def test_no_assert_in_the_library() -> None:
    offenders = [f"{path.relative_to(SRC)}:{node.lineno}"
                 for path in SRC.rglob("*.py") for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Assert)]
    assert not offenders


def test_invalid_plan_error() -> None:
    problem = _toy()
    plan = ep.plan(problem)
    import dataclasses

    bad = dataclasses.replace(plan, count=plan.count * 2)
    with pytest.raises(ep.InvalidPlanError, match="persons not conserved") as info:
        ep.validate_plan(problem, bad)
    assert isinstance(info.value, ValueError) and isinstance(info.value, ep.EvacplanError)
