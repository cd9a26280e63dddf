"""Street names: kept per edge from OSM, GraphML and GMNS, absent for TNTP, and said in words by describe_edge."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evacplan.network.build import compile_network
from evacplan.network.names import class_in_words, describe_edge, edge_names, fallback_name, street_name
from evacplan.network.readers.gmns import read_gmns
from evacplan.network.readers.graphml import read_graphml
from evacplan.network.readers.osm import edges_from_osm_tags, read_osm
from evacplan.network.readers.tntp import read_tntp
from evacplan.problem.cache import _from_arrays, _to_arrays
from evacplan.problem.toy import toy_problem

DATA = Path(__file__).parents[1] / "data"
FLORIANA = DATA / "osm" / "floriana_streets.osm.pbf"
HELSINKI = DATA / "networks"


@pytest.fixture(scope="module")
def floriana():
    return compile_network(read_osm(FLORIANA, "walking"))


def test_osm_network_keeps_street_names(floriana) -> None:
    net = floriana
    net.validate()
    assert net.edge_name.dtype == np.int32 and net.edge_name.shape == (net.n_edges,)
    names = edge_names(net)
    # every way has a highway class, so every edge has at least its class in words; most have a real name
    assert (names != "").all()
    real = ~pd.Series(names).str.startswith("unnamed ").to_numpy()
    assert real.mean() > 0.4
    assert {"Great Siege Road", "Triq Sant'Anna", "Marsamxett Street"} <= set(net.street_names)
    assert "unnamed footway" in net.street_names
    # compact: each unique name stored once
    assert len(net.street_names) == len(set(net.street_names)) < net.n_edges / 10
    # both directions of a street carry its name
    e = int(np.flatnonzero(names == "Great Siege Road")[0])
    back = np.flatnonzero((net.tail == net.head[e]) & (net.head == net.tail[e]))
    assert back.size and names[back[0]] == "Great Siege Road"
    a, b = net.node_id[net.tail[e]], net.node_id[net.head[e]]
    assert describe_edge(net, e) == f"Great Siege Road (from node {a} to {b})"
    assert describe_edge(net, e, index=True) == f"Great Siege Road (from node {a} to {b}, index {e})"
    assert street_name(net, e) == "Great Siege Road"


def test_osm_xml_and_graphml_names() -> None:
    xml = compile_network(read_osm(HELSINKI / "helsinki_small.osm", "all"))
    gml = compile_network(read_graphml(HELSINKI / "helsinki_small.graphml"))
    for net in (xml, gml):
        assert {"Aleksanterinkatu", "Keskuskatu", "Kaivokatu"} <= set(net.street_names)
        assert (net.edge_name >= 0).mean() > 0.9


def test_fallbacks_ref_then_class() -> None:
    assert fallback_name("Triq il-Kbira San Guzepp", "7", "primary") == "Triq il-Kbira San Guzepp"
    assert fallback_name(None, "170", "primary") == "road 170"
    assert fallback_name(None, "E 18", "motorway") == "E 18"
    assert fallback_name(None, None, "footway") == "unnamed footway"
    assert fallback_name(None, None, "living_street") == "unnamed living street"
    assert fallback_name(None, None, None) is None
    assert class_in_words("residential") == "unnamed residential street"
    df = pd.DataFrame({"u": [1, 2, 3], "v": [2, 3, 4], "length": [10.0, 10.0, 10.0], "id": [5, 6, 7],
                       "highway": ["primary", "footway", "residential"],
                       "name": [None, None, "Triq San Mark"], "ref": ["170", None, None]})
    edges, _ = edges_from_osm_tags(df)
    assert list(edges["name"]) == ["road 170", "unnamed footway", "Triq San Mark"]


def test_gmns_name_column(tmp_path: Path) -> None:
    dst = tmp_path / "gmns"
    shutil.copytree(HELSINKI / "helsinki_small", dst)
    assert compile_network(read_gmns(dst)).street_names == ()  # no name column: no names
    links = pd.read_csv(dst / "link.csv")
    links["name"] = ["Mannerheimintie" if i % 2 else None for i in range(len(links))]
    links.to_csv(dst / "link.csv", index=False)
    net = compile_network(read_gmns(dst))
    assert "Mannerheimintie" in net.street_names
    assert any(n.startswith("unnamed ") for n in net.street_names)  # links without one: their class in words


def test_tntp_has_no_names_and_sentences_fall_back() -> None:
    raw = read_tntp(HELSINKI / "siouxfalls" / "SiouxFalls_net.tntp", length_unit="mi")
    assert raw.edges["name"].isna().all()
    net = compile_network(raw)
    net.validate()
    assert net.street_names == () and net.edge_name.size == 0
    assert (edge_names(net) == "").all() and street_name(net, 0) is None
    a, b = net.node_id[net.tail[3]], net.node_id[net.head[3]]
    assert describe_edge(net, 3) == f"edge {a}->{b} (source id {net.edge_id[3]})"
    assert describe_edge(net, 3, index=True) == f"edge {a}->{b} (source id {net.edge_id[3]}, index 3)"


def test_names_survive_the_build_cache() -> None:
    p = toy_problem(3, [(0, 1, 60, 1.0), (1, 2, 60, 1.0), (1, 0, 60, 1.0)], {0: 10}, {2: 0},
                    names=["Triq San Mark", None, "Triq San Mark"])
    assert p.network.street_names == ("Triq San Mark",)
    arrays, meta = _to_arrays(p)
    back = _from_arrays(arrays, meta).network
    assert back.street_names == ("Triq San Mark",)
    np.testing.assert_array_equal(back.edge_name, p.network.edge_name)
    assert list(edge_names(back)) == list(edge_names(p.network))
    e = int(np.flatnonzero((back.tail == 1) & (back.head == 2))[0])
    assert street_name(back, e) is None
