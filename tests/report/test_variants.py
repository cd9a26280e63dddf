"""Scenario variants: the ``[[variants]]`` syntax, its checks, and how a variant changes a scenario or problem."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from evacplan.errors import ScenarioInvalid
from evacplan.problem import toy_problem
from evacplan.scenario import load_scenario
from evacplan.scenario.variants import slug, variant_scenario

# the small Helsinki scenario (the bundled default before it moved to true scale): builds in about a second
BUNDLED = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "helsinki"
BASE = f"""
name = "variants"
horizon = 600
[network]
path = "{BUNDLED / 'helsinki.osm.pbf'}"
[population]
path = "{BUNDLED / 'population.tif'}"
[danger_zones]
path = "{BUNDLED / 'danger_zones.geojson'}"
[safe_zones]
path = "{BUNDLED / 'safe_zones.geojson'}"
[closed]
path = "{BUNDLED / 'closed.geojson'}"
"""


def write(tmp_path: Path, variants: str) -> Path:
    p = tmp_path / "scenario.toml"
    p.write_text(BASE + variants)
    return p


def problems(tmp_path: Path, variants: str) -> list[str]:
    with pytest.raises(ScenarioInvalid) as exc:
        load_scenario(write(tmp_path, variants))
    return [f"{p.where}: {p.message}" for p in exc.value.problems]


def test_valid_variants(tmp_path: Path) -> None:
    (tmp_path / "extra.geojson").write_text((BUNDLED / "closed.geojson").read_text())
    s = load_scenario(write(tmp_path, """
[[variants]]
name = "late start"
mobilization_delay = 60
[[variants]]
name = "Low compliance"
description = "only 60 % follow the plan"
compliance = 0.6
[[variants]]
name = "blocked road"
block_edges_near = [[24.945, 60.170], [24.95, 60.168]]
block_snap_m = 30
closed = "extra.geojson"
[[variants]]
name = "larger danger area"
danger_buffer_m = 500
"""))
    late, low, blocked, larger = s.variants
    assert (late.name, late.mobilization_delay_min, late.changes_network) == ("late start", 60.0, False)
    assert (low.compliance, low.describe()) == (0.6, "only 60 % follow the plan")
    assert blocked.block_points == ((24.945, 60.17), (24.95, 60.168)) and blocked.block_snap_m == 30.0
    assert blocked.closed == (tmp_path / "extra.geojson").resolve() and blocked.changes_network
    assert larger.danger_buffer_m == 500.0 and larger.describe() == "danger zones 500 m larger"
    assert slug(low.name) == "low-compliance"


def test_no_variants(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, "")).variants == ()


def test_every_problem_is_reported(tmp_path: Path) -> None:
    got = problems(tmp_path, """
[[variants]]
name = "a"
compliance = 1.5
[[variants]]
name = "a"
mobilization_delay = -3
[[variants]]
name = "baseline"
danger_buffer_m = 10
[[variants]]
name = "b"
[[variants]]
name = "c"
closed = "missing.geojson"
block_edges_near = [[24.9], [200, 10], "x"]
[[variants]]
name = "d"
compliance = 0.5
delay = 3
[[variants]]
compliance = 0.5
""")
    text = "\n".join(got)
    assert "variants[0].compliance: value 1.5 is absurd: must be <= 1" in text
    assert "variants[1].name: duplicate variant name 'a'" in text
    assert "variants[1].mobilization_delay: value -3 must be >= 0" in text
    assert "variants[2].name: duplicate variant name 'baseline'" in text and "reserved" in text
    assert "variants[3]: variant 'b' changes nothing" in text
    assert "variants[4].closed: file 'missing.geojson' does not exist" in text
    assert "variants[4].block_edges_near[0]: expected [lon, lat]" in text
    assert "variants[4].block_edges_near[1]: [200, 10] is not a WGS 84 [lon, lat] pair" in text
    assert "variants[4].block_edges_near[2]: expected [lon, lat]" in text
    assert "variants[5].delay: unknown key 'delay'" in text
    assert "variants[6].name: missing required key" in text


def test_variants_must_be_an_array_of_tables(tmp_path: Path) -> None:
    assert problems(tmp_path, '[variants]\nname = "x"\n') == [
        "variants: expected [[variants]] tables (an array of tables), found dict"]


def test_variant_scenario_writes_changed_layers(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, """
[[variants]]
name = "both"
danger_buffer_m = 200
block_edges_near = [[24.945, 60.170]]
"""))
    v = variant_scenario(s, s.variants[0], tmp_path / "inputs")
    before = gpd.read_file(s.danger_zones.path).to_crs(32635).area.to_numpy()
    after = gpd.read_file(v.danger_zones.path).to_crs(32635).area.to_numpy()
    assert np.all(after > before + 200 * 2 * 1000)  # grown by 200 m on every side of a >= 1 km long zone
    closed = gpd.read_file(v.closed.path)
    assert list(closed.geom_type) == ["LineString", "Point"]  # the border kept, the blocked point added
    assert v.closed.snap_m == s.closed.snap_m
    unchanged = load_scenario(write(tmp_path, '[[variants]]\nname = "x"\ncompliance = 0.5\n'))
    assert variant_scenario(unchanged, unchanged.variants[0], tmp_path / "x") is unchanged


def test_variant_replaces_the_danger_zones(tmp_path: Path) -> None:
    wider = gpd.read_file(BUNDLED / "danger_zones.geojson").to_crs(32635)
    safe = gpd.read_file(BUNDLED / "safe_zones.geojson").to_crs(32635).geometry.union_all()
    wider["geometry"] = [g.buffer(100).difference(safe) for g in wider.geometry]  # 100 m larger, never in safety
    wider.to_crs(4326).to_file(tmp_path / "wider.geojson", driver="GeoJSON")
    s = load_scenario(write(tmp_path, '[[variants]]\nname = "wider order"\ndanger_zones = "wider.geojson"\n'))
    spec = s.variants[0]
    assert spec.danger_zones == (tmp_path / "wider.geojson").resolve() and spec.changes_network
    assert spec.describe() == "danger zones from wider.geojson"
    # the run's manifest records the variant's changes: its layer path is written as text
    from evacplan._atomic import write_json
    from evacplan.pipeline import _changes

    write_json(tmp_path / "run.json", {"changes": _changes(spec)})
    assert json.loads((tmp_path / "run.json").read_text())["changes"]["danger_zones"] == str(spec.danger_zones)
    v = variant_scenario(s, spec, tmp_path / "inputs")
    assert v.danger_zones.path == spec.danger_zones and v.closed == s.closed
    from evacplan.problem import build_problem

    base, var = build_problem(s), build_problem(v)
    assert base.zones.danger_names == var.zones.danger_names
    assert (var.zones.node_danger >= 0).sum() > (base.zones.node_danger >= 0).sum()
    assert problems(tmp_path, '[[variants]]\nname = "w"\ndanger_zones = "nope.geojson"\n') == [
        "variants[0].danger_zones: file 'nope.geojson' does not exist (looked for "
        f"{(tmp_path / 'nope.geojson').resolve()})"]


def test_delay_departures() -> None:
    from evacplan.problem.mobilization import delay_departures

    cdf = np.array([[0.0, 0.5, 1.0, 1.0, 1.0, 1.0]])
    p = toy_problem(2, [(0, 1, 60.0, 1.0)], {0: 10}, {1: 0}, departure_cdf=cdf, time_step_s=60.0)
    late = delay_departures(p, 2.0)
    assert late.departure_cdf.tolist() == [[0.0, 0.0, 0.0, 0.5, 1.0, 1.0]]
    # half a step moves the curve by half a step (linear between steps), not by nothing or by a whole step
    assert delay_departures(p, 0.5).departure_cdf.tolist() == [[0.0, 0.25, 0.75, 1.0, 1.0, 1.0]]
    assert delay_departures(p, 0.0) is p
    assert delay_departures(p, 100.0).departure_cdf.tolist() == [[0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]


def test_variant_and_ensemble_member_delay_departures_alike() -> None:
    # a late start of 1.5 steps: `evacplan run`'s variant and an ensemble member drawing the same delay give the
    # same departure curves (one function, no rounding of a fractional step), hence the same simulated departures
    import numpy as np

    from evacplan.ensemble.draw import MemberDraw, apply_draw
    from evacplan.problem.mobilization import delay_departures
    from evacplan.problem.toy import toy_problem
    from evacplan.simulation import simulate

    cdf = [np.clip(np.arange(31) / 10, 0, 1)]
    p = toy_problem(3, [(0, 1, 60.0, 1.0), (1, 2, 60.0, 1.0)], {0: 120}, {2: 0}, departure_cdf=cdf,
                    horizon_s=3600.0)
    minutes = 1.5 * p.time_step_s / 60.0
    variant = delay_departures(p, minutes)
    draw = MemberDraw(index=0, seed=0, compliance=1.0, walk_speed_factor=1.0, danger_buffer_m=0.0,
                      mobilization_delay_min=minutes, mobilization_spread=1.0)
    member = apply_draw(p, draw)
    assert not np.array_equal(variant.departure_cdf, p.departure_cdf)
    assert np.array_equal(variant.departure_cdf, member.departure_cdf)
    a, b = simulate(variant, seed=0), simulate(member, seed=0)
    assert np.array_equal(a.arrival_start_s, b.arrival_start_s)
    assert a.arrival_start_s.min() > simulate(p, seed=0).arrival_start_s.min()
