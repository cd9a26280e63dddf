"""``evacplan new --place``, offline: osmnx's Nominatim and Overpass requests answered from files in the APIs'
formats (``tests/data/osm/*.json``, made from the Floriana fixture by ``tests/data/osm/make_fixtures.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rasterio
from typer.testing import CliRunner

from evacplan.cli import app
from evacplan.problem import load_problem
from evacplan.problem.summary import problem_summary

from .conftest import DATA

runner = CliRunner()


@pytest.fixture
def offline_osm(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answer osmnx's requests from the recorded files; any real HTTP request fails the test."""
    import osmnx._nominatim
    import osmnx._overpass
    import requests

    asked: list[str] = []

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a test tried to reach the network: {args} {kwargs}")

    def nominatim(params: dict[str, Any], request_type: str = "search") -> list[dict[str, Any]]:
        asked.append(f"nominatim {params.get('q')}")
        if params.get("q") != "Floriana, Malta":
            return []
        return json.loads((DATA / "nominatim_floriana.json").read_text())

    def overpass(data: dict[str, Any]) -> dict[str, Any]:
        query = str(data["data"])
        kind = "network" if "highway" in query else "building"  # the walking-network query filters on highway
        asked.append(f"overpass {kind}")
        name = "overpass_network.json" if kind == "network" else "overpass_buildings.json"
        return json.loads((DATA / name).read_text())

    monkeypatch.setattr(requests, "get", no_network)
    monkeypatch.setattr(requests, "post", no_network)
    monkeypatch.setattr(osmnx._nominatim, "_nominatim_request", nominatim)
    monkeypatch.setattr(osmnx._overpass, "_overpass_request", overpass)
    return asked


def test_place_downloads_streets_and_buildings_and_validates(tmp_path: Path, offline_osm: list[str]) -> None:
    folder = tmp_path / "floriana"
    result = runner.invoke(app, ["new", str(folder), "--place", "Floriana, Malta", "--people", "4321"])
    assert result.exit_code == 0, result.output
    assert offline_osm == ["nominatim Floriana, Malta", "overpass network", "overpass building"]
    assert (folder / "streets.graphml").exists()
    text = (folder / "scenario.toml").read_text(encoding="utf-8")
    assert 'name = "Floriana, Malta"' in text and "downloaded through osmnx" in text
    assert "residential buildings by floor area" in text
    with rasterio.open(folder / "population.tif") as src:
        assert int(src.read(1).sum()) == 4321
    p = load_problem(folder / "scenario.toml")
    s = problem_summary(p)
    assert s["people"] == 4321 and s["nodes"] > 500 and s["population"] > 0


def test_unknown_place_is_a_clear_error(tmp_path: Path, offline_osm: list[str]) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "x"), "--place", "Atlantis", "--people", "10"])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "--place 'Atlantis'" in out and "found no such place" in out
    assert not (tmp_path / "x").exists()


def test_bbox_alone_downloads_that_box(tmp_path: Path, offline_osm: list[str]) -> None:
    from evacplan.create import new_scenario

    made = new_scenario(tmp_path / "box", bbox="14.5060,35.8935,14.5140,35.8985", people=500, spread="streets")
    assert offline_osm == ["overpass network", "overpass building"]  # no geocoding for a box
    assert made.problems == [] and made.people.method == "streets" and made.people.people == 500
    assert (made.folder / "streets.graphml").exists()
