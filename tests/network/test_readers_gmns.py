"""GMNS reader on node.csv / link.csv derived from real OpenStreetMap data of central Helsinki."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evacplan.errors import ScenarioError
from evacplan.network.build import compile_network
from evacplan.network.raw import EDGE_COLUMNS
from evacplan.network.readers.gmns import read_gmns
from evacplan.scenario.schema import ModeSpec

FOLDER = Path(__file__).parents[1] / "data" / "networks" / "helsinki_small"
MODES = (ModeSpec("walk", 1.34, 1.0, 0.5), ModeSpec("vehicle", 8.3, 4.0, 0.5))


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dst = tmp_path / "gmns"
    shutil.copytree(FOLDER, dst)
    return dst


@pytest.mark.parametrize("target", [FOLDER, FOLDER / "link.csv", FOLDER / "node.csv"])
def test_read_fixture(target: Path) -> None:
    raw = read_gmns(target)
    links = pd.read_csv(FOLDER / "link.csv")
    assert raw.crs == "EPSG:4326" and raw.geometry is None
    assert list(raw.edges.columns) == list(EDGE_COLUMNS)
    assert len(raw.nodes) == len(pd.read_csv(FOLDER / "node.csv")) and len(raw.edges) == len(links)
    assert raw.nodes["id"].dtype == np.int64 and raw.edges["edge_id"].dtype == np.int64
    assert raw.edges[["oneway", "walk", "vehicle"]].dtypes.eq(bool).all()
    ids = set(raw.nodes.id)
    assert set(raw.edges.u) <= ids and set(raw.edges.v) <= ids
    assert (raw.edges.length_m > 0).all()
    assert raw.edges.oneway.all()  # directed links
    assert raw.edges.walk.all() and raw.edges.vehicle.any() and not raw.edges.vehicle.all()
    foot = raw.edges.highway.isin(["footway", "steps", "pedestrian"])
    assert foot.any() and not raw.edges.vehicle[foot].any()
    speed = raw.edges.vehicle_speed_mps.dropna()
    assert len(speed) and speed.between(1, 40).all()
    compile_network(raw, MODES).validate()


def test_capacity_lanes_directed_and_uses(copy: Path) -> None:
    pd.DataFrame(
        {"node_id": [1, 2, 3], "x_coord": [0.0, 100.0, 100.0], "y_coord": [0.0, 0.0, 100.0]}
    ).to_csv(copy / "node.csv", index=False)
    pd.DataFrame(
        {
            "link_id": [10, 11, 12],
            "from_node_id": [1, 2, 3],
            "to_node_id": [2, 3, 1],
            "length": [100.0, None, 150.0],
            "lanes": [2, None, 1],
            "free_speed": [36.0, 50.0, None],
            "capacity": [1000, 900, None],
            "facility_type": ["primary", "7", "footway"],
            "allowed_uses": ["auto", "auto;walk", "walk"],
            "directed": [1, 0, 1],
        }
    ).to_csv(copy / "link.csv", index=False)
    raw = read_gmns(copy, crs="EPSG:3067")
    e = raw.edges
    assert raw.crs == "EPSG:3067"
    assert list(e.capacity_vph.fillna(-1)) == [2000.0, 900.0, -1.0]
    assert e.vehicle_speed_mps[0] == pytest.approx(10.0)
    assert list(e.highway) == ["primary", None, "footway"]
    assert list(e.oneway) == [True, False, True]
    assert list(e.walk) == [False, True, True] and list(e.vehicle) == [True, True, False]
    assert np.isnan(e.length_m[1])
    net = compile_network(raw, MODES)
    net.validate()


def test_missing_column(copy: Path) -> None:
    links = pd.read_csv(copy / "link.csv").drop(columns=["to_node_id"])
    links.to_csv(copy / "link.csv", index=False)
    with pytest.raises(ScenarioError, match=r"link\.csv.*to_node_id"):
        read_gmns(copy)


def test_missing_node_file(copy: Path) -> None:
    (copy / "node.csv").unlink()
    with pytest.raises(ScenarioError, match=r"node\.csv"):
        read_gmns(copy / "link.csv")


def test_unknown_node(copy: Path) -> None:
    links = pd.read_csv(copy / "link.csv")
    links.loc[0, "to_node_id"] = 999
    links.to_csv(copy / "link.csv", index=False)
    with pytest.raises(ScenarioError, match=r"link\.csv.*999"):
        read_gmns(copy)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="nothing_here"):
        read_gmns(tmp_path / "nothing_here")
