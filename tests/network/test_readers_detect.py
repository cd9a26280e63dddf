"""Format detection and dispatch of network files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evacplan.errors import ScenarioError, UnsupportedFormatError
from evacplan.network.build import compile_network
from evacplan.network.readers.detect import detect_format, read_network

DATA = Path(__file__).parents[1] / "data" / "networks"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("test.osm.pbf", "osm"),
        ("helsinki_small.osm", "osm"),
        ("helsinki_small.osm.bz2", "osm"),
        ("helsinki_small.graphml", "graphml"),
        ("siouxfalls/SiouxFalls_net.tntp", "tntp"),
        ("helsinki_small", "gmns"),
        ("helsinki_small/link.csv", "gmns"),
        ("helsinki_small/node.csv", "gmns"),
    ],
)
def test_detect_and_read(name: str, fmt: str) -> None:
    assert detect_format(DATA / name) == fmt
    raw = read_network(DATA / name)
    assert len(raw.edges) > 0
    compile_network(raw).validate()


def test_tntp_dispatch() -> None:
    raw = read_network(DATA / "siouxfalls" / "SiouxFalls_net.tntp", length_unit="mi")
    assert len(raw.nodes) == 24 and len(raw.edges) == 76
    assert raw.edges.capacity_vph.notna().all()


def test_network_type_passed() -> None:
    walk = read_network(DATA / "helsinki_small.osm", network_type="walking")
    drive = read_network(DATA / "helsinki_small.osm", "osm", network_type="driving")
    assert len(walk.edges) > len(drive.edges)


def test_sniff_xml_without_osm_suffix(tmp_path: Path) -> None:
    p = tmp_path / "export.xml"
    shutil.copy(DATA / "helsinki_small.osm", p)
    assert detect_format(p) == "osm"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"ghost\.osm\.pbf"):
        read_network(tmp_path / "ghost.osm.pbf")


def test_wrong_extension(tmp_path: Path) -> None:
    p = tmp_path / "streets.shp"
    p.write_bytes(b"\x00\x00\x27\x0a")
    with pytest.raises(UnsupportedFormatError, match=r"streets\.shp.*graphml.*gmns"):
        read_network(p)


def test_unknown_format_name() -> None:
    with pytest.raises(UnsupportedFormatError, match=r"test\.osm\.pbf.*'shapefile'"):
        read_network(DATA / "test.osm.pbf", format="shapefile")


def test_folder_without_gmns(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match=tmp_path.name):
        read_network(tmp_path)


def test_tntp_without_tilde_line(tmp_path: Path) -> None:
    p = tmp_path / "Broken_net.tntp"
    p.write_text("<NUMBER OF NODES> 2\n<END OF METADATA>\n1 2 100 1 1 0.15 4 0 0 1 ;\n")
    (tmp_path / "Broken_node.tntp").write_text("node x y ;\n1 0 0 ;\n2 1 1 ;\n")
    with pytest.raises(ScenarioError, match=r"Broken_net\.tntp.*~"):
        read_network(p)
