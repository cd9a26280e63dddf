"""The bundled default scenario builds, is consistent, deterministic, and cached."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from evacplan.problem import build_problem, load_problem
from evacplan.problem.cache import cache_key, load_cached
from evacplan.problem.summary import problem_summary
from evacplan.scenario import default_scenario_path, load_scenario


@pytest.fixture(scope="module")
def default_problem():
    return build_problem(load_scenario())


def test_default_builds_with_expected_shape(default_problem) -> None:
    p = default_problem
    p.validate()
    s = problem_summary(p)
    assert s["nodes"] == 5559
    assert set(s["by_group"]) == {"adults", "children", "older_people", "reduced_mobility"}
    assert [z["name"] for z in s["danger_zones"]] == ["East", "Centre"]
    assert s["closed_edges"] > 0
    # evacuees are the people in the danger zones: more than 40 % of the 1.2 million, not everyone
    assert 480_000 < s["population"] < 1_200_000
    assert s["unreachable"] == 0
    assert sum(s["by_group"].values()) == s["population"] == sum(s["by_mode"].values())


def test_group_shares_are_respected(default_problem) -> None:
    d = default_problem.demand
    shares = {g.name: g.share for g in d.groups}
    total = d.total
    for gi, g in enumerate(d.groups):
        assert d.count[d.group == gi].sum() / total == pytest.approx(shares[g.name], abs=0.01)


def test_nobody_routed_across_the_border(default_problem) -> None:
    p = default_problem
    net = p.network
    scenario = load_scenario()
    border = gpd.read_file(scenario.closed.path).to_crs(net.crs).geometry.union_all()
    segs = shapely.linestrings(np.stack([np.c_[net.x[net.tail], net.y[net.tail]],
                                         np.c_[net.x[net.head], net.y[net.head]]], axis=1))
    # straight segments are an approximation of the curved streets the mask was computed on
    assert not shapely.intersects(segs, border).any()


def test_build_is_deterministic(default_problem) -> None:
    again = build_problem(load_scenario())
    for name in ("origin", "group", "mode", "count", "curve"):
        assert np.array_equal(getattr(again.demand, name), getattr(default_problem.demand, name))
    assert np.array_equal(again.network.capacity_per_s, default_problem.network.capacity_per_s)


def test_cache_round_trip_and_key_changes(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(tmp_path / "cache"))
    first = load_problem()
    key = cache_key(load_scenario())
    cached = load_cached(key)
    assert cached is not None
    assert np.array_equal(cached.demand.count, first.demand.count)
    assert np.array_equal(cached.network.indptr, first.network.indptr)
    assert cached.zones.safe_names == first.zones.safe_names
    # a copy of the scenario with one changed number gets another key
    folder = tmp_path / "copy"
    folder.mkdir()
    for f in default_scenario_path().parent.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    text = (folder / "scenario.toml").read_text().replace("seed = 20240506", "seed = 1")
    (folder / "scenario.toml").write_text(text)
    assert cache_key(load_scenario(folder / "scenario.toml")) != key
