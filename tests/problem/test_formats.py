"""Scenarios on each network format and each population source build consistent problems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from evacplan.problem import build_problem
from evacplan.scenario import load_scenario

DATA = Path(__file__).resolve().parents[1] / "data" / "networks"

NETWORKS = {
    "osm_pbf": DATA / "test.osm.pbf",
    "osm_xml": DATA / "helsinki_small.osm",
    "osm_bz2": DATA / "helsinki_small.osm.bz2",
    "graphml": DATA / "helsinki_small.graphml",
    "gmns": DATA / "helsinki_small",
    "tntp": DATA / "siouxfalls" / "SiouxFalls_net.tntp",
}


@pytest.mark.parametrize("fmt", sorted(NETWORKS))
def test_every_network_format_builds(fmt: str, make_scenario) -> None:
    problem = build_problem(load_scenario(make_scenario(NETWORKS[fmt], total=5_000)))
    problem.validate()
    assert problem.network.n_edges > 0
    assert problem.zones.node_safe.max() == 0, "some node lies in the safe zone"
    # evacuate = "all": everyone placed is in the demand, no one lost, minus those already safe
    assert 0 < problem.demand.total <= 5_000
    assert problem.network.crs.startswith("EPSG:326"), "projected to a UTM zone"


@pytest.mark.parametrize("population", ["points", "polygons", "raster"])
def test_every_population_source_counts_everyone_once(population: str, make_scenario) -> None:
    problem = build_problem(load_scenario(make_scenario(NETWORKS["osm_xml"], population=population, total=8_000)))
    safe_nodes = problem.zones.node_safe >= 0
    placed = problem.demand.total
    expected = 8_000 if population != "raster" else None
    if expected is not None:
        # people placed on safe nodes stay where they are; everyone else is demand exactly once
        assert placed <= expected and placed > 0.5 * expected
    rows = np.c_[problem.demand.origin, problem.demand.group, problem.demand.mode]
    assert len(np.unique(rows, axis=0)) == len(rows), "each (origin, group, mode) appears once"
    assert not safe_nodes[problem.demand.origin].any()


def test_closed_line_cuts_every_crossing_edge(make_scenario) -> None:
    path = make_scenario(NETWORKS["osm_xml"])
    scenario = load_scenario(path)
    problem = build_problem(scenario)
    import geopandas as gpd

    line = gpd.read_file(scenario.closed.path).to_crs(problem.network.crs).geometry.iloc[0]
    net = problem.network
    segs = shapely.linestrings(np.stack([np.c_[net.x[net.tail], net.y[net.tail]],
                                         np.c_[net.x[net.head], net.y[net.head]]], axis=1))
    assert problem.closed_edges > 0
    assert not shapely.intersects(segs, line).any(), "no remaining edge crosses the closed line"


def test_tntp_units_and_capacities() -> None:
    from evacplan.network import compile_network, read_network
    from evacplan.scenario.schema import ModeSpec

    raw = read_network(NETWORKS["tntp"])
    net = compile_network(raw, (ModeSpec("vehicle", 30.0, 1.0, 1.0),))
    # Sioux Falls link 1->2: capacity 25900.2 veh/h, lengths read in km (lon/lat node file) -> 6 km
    e = np.flatnonzero((net.node_id[net.tail] == 1) & (net.node_id[net.head] == 2))[0]
    assert net.capacity_per_s[0, e] == pytest.approx(25900.20064 / 3600)
    assert net.length_m[e] == pytest.approx(6000.0)


@pytest.mark.parametrize("fmt", ["osm_pbf", "tntp", "gmns"])
@pytest.mark.parametrize("population", ["raster", "polygons"])
def test_cli_info_and_validate_on_real_networks(fmt: str, population: str, make_scenario) -> None:
    import json

    from typer.testing import CliRunner

    from evacplan.cli import app

    path = make_scenario(NETWORKS[fmt], population=population)
    runner = CliRunner()
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["info", str(path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["nodes"] > 0 and data["edges"] > 0 and data["population"] > 0
    assert data["population"] == sum(data["by_group"].values()) == sum(data["by_mode"].values())
    assert sum(z["population"] for z in data["danger_zones"]) <= data["population"]
