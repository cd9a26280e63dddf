"""GraphML reader: an osmnx-saved graph of central Helsinki and plain networkx GraphML."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from evacplan.errors import ScenarioError
from evacplan.network.build import compile_network
from evacplan.network.raw import EDGE_COLUMNS, RawNetwork
from evacplan.network.readers.graphml import read_graphml
from evacplan.network.readers.osm import read_osm
from evacplan.scenario.schema import ModeSpec

DATA = Path(__file__).parents[1] / "data" / "networks"
GRAPHML = DATA / "helsinki_small.graphml"
MODES = (ModeSpec("walk", 1.34, 1.0, 0.5), ModeSpec("vehicle", 8.3, 4.0, 0.5))


def check_raw(raw: RawNetwork) -> None:
    assert list(raw.edges.columns) == list(EDGE_COLUMNS)
    assert raw.nodes["id"].dtype == np.int64 and raw.edges["edge_id"].dtype == np.int64
    assert raw.edges[["oneway", "walk", "vehicle"]].dtypes.eq(bool).all()
    ids = set(raw.nodes["id"].tolist())
    assert set(raw.edges.u.tolist()) <= ids and set(raw.edges.v.tolist()) <= ids
    assert (raw.edges.length_m.dropna() > 0).all()
    assert raw.geometry is not None and len(raw.geometry) == len(raw.edges)
    compile_network(raw, MODES).validate()


@pytest.mark.parametrize("nt", ["walking", "driving", "all"])
def test_osmnx_graphml(nt: str) -> None:
    raw = read_graphml(GRAPHML, nt)
    assert raw.crs == "EPSG:4326"
    assert raw.nodes.x.between(24.9, 25.0).all() and raw.nodes.y.between(60.1, 60.2).all()
    assert raw.edges.length_m.notna().all()
    check_raw(raw)


def test_osmnx_graphml_matches_osm_xml() -> None:
    """The simplified graph covers the same streets as the XML it was made from."""
    g = read_graphml(GRAPHML, "all")
    x = read_osm(DATA / "helsinki_small.osm", "all")
    assert g.edges.length_m.sum() == pytest.approx(x.edges.length_m.sum(), rel=0.01)
    assert set(g.nodes.id) <= set(x.nodes.id)
    assert set(g.edges.highway) == set(x.edges.highway)
    d = read_graphml(GRAPHML, "driving").edges
    assert d.vehicle.all() and not ({"footway", "steps", "pedestrian"} & set(d.highway))
    pairs = set(zip(d.u, d.v, strict=True))
    assert all((v, u) in pairs for u, v in zip(d.u[~d.oneway], d.v[~d.oneway], strict=True))
    # geometries follow the curved streets: not shorter than the straight line
    assert g.geometry.to_crs(3067).length.sum() == pytest.approx(g.edges.length_m.sum(), rel=0.01)


def test_plain_graphml_undirected(tmp_path: Path) -> None:
    g = nx.Graph(crs="EPSG:3067")
    g.add_node("a", x=385000.0, y=6672000.0)
    g.add_node("b", x=385100.0, y=6672000.0)
    g.add_node("c", x=385100.0, y=6672100.0)
    g.add_edge("a", "b", highway="residential", lanes="2", maxspeed="40")
    g.add_edge("b", "c", length=120.0)
    p = tmp_path / "plain.graphml"
    nx.write_graphml(g, p)
    raw = read_graphml(p)
    assert raw.crs == "EPSG:3067"
    assert len(raw.nodes) == 3 and len(raw.edges) == 2
    assert not raw.edges.oneway.any()
    row = raw.edges.iloc[0]
    assert row.highway == "residential" and row.lanes == 1.0
    assert row.vehicle_speed_mps == pytest.approx(40 / 3.6)
    assert raw.edges.length_m.iloc[1] == 120.0
    net = compile_network(raw, MODES)
    net.validate()
    assert net.n_edges == 4
    assert net.length_m.min() == pytest.approx(100.0)


def test_plain_graphml_directed_lonlat(tmp_path: Path) -> None:
    g = nx.DiGraph()
    g.add_node(1, x=24.94, y=60.17)
    g.add_node(2, x=24.941, y=60.17)
    g.add_edge(1, 2)
    p = tmp_path / "dir.graphml"
    nx.write_graphml(g, p)
    raw = read_graphml(p)
    assert raw.crs == "EPSG:4326" and raw.edges.oneway.all()
    assert list(raw.nodes.id) == [1, 2]


def test_plain_graphml_without_coordinates(tmp_path: Path) -> None:
    g = nx.Graph()
    g.add_edge(1, 2)
    p = tmp_path / "nocoords.graphml"
    nx.write_graphml(g, p)
    with pytest.raises(ScenarioError, match=r"nocoords\.graphml.*'x'"):
        read_graphml(p)


def test_missing_and_broken(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"absent\.graphml"):
        read_graphml(tmp_path / "absent.graphml")
    p = tmp_path / "broken.graphml"
    p.write_text("<graphml><graph")
    with pytest.raises(ScenarioError, match=r"broken\.graphml"):
        read_graphml(p)
