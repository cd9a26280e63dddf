"""The bundled default scenario: Rafah in May 2024 at true scale on Malta's streets. It builds, holds the numbers its
README gives, is consistent, deterministic, and cached."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from evacplan.problem import build_problem, load_problem
from evacplan.problem.cache import cache_key, load_cached, store_cached
from evacplan.problem.summary import problem_summary
from evacplan.scenario import default_scenario_path, load_scenario

FOLDER = default_scenario_path().parent


@pytest.fixture(scope="module")
def default_problem():
    return build_problem(load_scenario())


def test_default_is_at_true_scale(default_problem) -> None:
    p = default_problem
    p.validate()
    s = problem_summary(p)
    assert 30_000 <= s["nodes"] <= 36_000 and s["edges"] > 2 * s["nodes"]  # about 32,900 walking nodes (README)
    assert s["people"] == 1_200_000  # every person of the layer accounted for, exactly
    assert s["off_network"] == 0 and s["unreachable"] == 0
    assert s["population"] >= 1_000_000  # evacuees
    # Rafah in May 2024: 1.2-1.4 million on about 64 km2 (OCHA, UNRWA)
    assert 18_000 <= s["people"] / 64.0 <= 22_000
    assert set(s["by_group"]) == {"families", "older_people", "reduced_mobility"}
    assert s["modes"] == ["walk", "cart"]
    assert [z["name"] for z in s["danger_zones"]] == ["East", "Rest of Rafah"]
    assert s["closed_edges"] > 0
    assert sum(s["by_group"].values()) == s["population"] == sum(s["by_mode"].values())
    assert "Malta" in s["provenance"] and "Rafah" in s["provenance"]


def test_safe_zone_capacity_counts_residents_and_has_room_for_everyone(default_problem) -> None:
    s = problem_summary(default_problem)
    coastal, inland = s["safe_zones"]
    for z in (coastal, inland):
        assert z["residents"] > 0
        assert z["declared_capacity"] == pytest.approx(z["area_m2"] / 3.5)  # Sphere covered space, from the area
        assert z["capacity"] == pytest.approx(z["declared_capacity"] - z["residents"])
    assert s["safe_zone_residents"] == coastal["residents"] + inland["residents"]
    # room for everyone in total, but the coastal area alone is too small (as reported of Al-Mawasi)
    assert coastal["capacity"] + inland["capacity"] >= s["population"] > coastal["capacity"]
    # evacuees + residents + people outside every zone = everyone placed
    assert s["population"] + s["safe_zone_residents"] <= default_problem.placed == 1_200_000


def test_every_layer_is_valid() -> None:
    for name in ("danger_zones", "danger_zones_11may", "safe_zones", "closed"):
        gdf = gpd.read_file(FOLDER / f"{name}.geojson")
        assert gdf.is_valid.all() and not gdf.is_empty.any(), name


def test_declared_areas_match_the_drawn_polygons() -> None:
    safe = gpd.read_file(FOLDER / "safe_zones.geojson").to_crs(32633)
    assert np.allclose(safe["area_m2"], safe.area, rtol=0.005)
    # the orders' blocks keep their real areas: 6.31 km2 on 6 May, 12.32 km2 with the 9 blocks of 11 May
    east = gpd.read_file(FOLDER / "danger_zones.geojson").to_crs(32633).set_index("name").area / 1e6
    wider = gpd.read_file(FOLDER / "danger_zones_11may.geojson").to_crs(32633).set_index("name").area / 1e6
    assert east["East"] == pytest.approx(6.31, abs=0.02)
    assert wider["East"] == pytest.approx(12.32, abs=0.03)


def test_variants_and_uncertainty_are_declared() -> None:
    s = load_scenario()
    names = [v.name for v in s.variants]
    assert names == ["wider order (11 May)", "late start", "low compliance", "main street blocked"]
    assert s.variants[0].danger_zones == FOLDER / "danger_zones_11may.geojson"
    assert s.uncertainty is not None


def test_the_wider_order_builds_and_moves_more_people_into_the_first_zone(default_problem, tmp_path) -> None:
    from evacplan.scenario.variants import variant_scenario

    s = load_scenario()
    wider = build_problem(variant_scenario(s, s.variants[0], tmp_path))
    base, var = problem_summary(default_problem), problem_summary(wider)
    assert var["population"] == base["population"]  # the same people, more of them under the first deadline
    assert var["danger_zones"][0]["population"] > 2 * base["danger_zones"][0]["population"]


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
    assert np.array_equal(again.zones.safe_capacity, default_problem.zones.safe_capacity)


def test_cache_round_trip_and_key_changes(default_problem, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(tmp_path / "cache"))
    key = cache_key(load_scenario())
    assert load_cached(key) is None
    store_cached(key, default_problem)
    cached = load_problem()  # found in the cache, not built again
    assert np.array_equal(cached.demand.count, default_problem.demand.count)
    assert np.array_equal(cached.network.indptr, default_problem.network.indptr)
    assert np.array_equal(cached.zones.safe_residents, default_problem.zones.safe_residents)
    assert cached.zones.safe_names == default_problem.zones.safe_names
    assert (cached.placed, cached.provenance) == (default_problem.placed, default_problem.provenance)
    # a copy of the scenario with one changed number gets another key
    folder = tmp_path / "copy"
    folder.mkdir()
    for f in FOLDER.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    text = (folder / "scenario.toml").read_text().replace("seed = 20240506", "seed = 1")
    (folder / "scenario.toml").write_text(text)
    assert cache_key(load_scenario(folder / "scenario.toml")) != key
