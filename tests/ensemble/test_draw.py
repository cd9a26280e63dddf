"""Member draws: seeded by (scenario seed, index) only; each uncertainty changes the member's world as documented."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from evacplan.ensemble import MemberSettings, apply_draw, draw_member, run_member
from evacplan.ensemble.draw import check_spec
from evacplan.errors import ScenarioError, ScenarioInvalid
from evacplan.problem.mobilization import shift_curves
from evacplan.problem.problem import Problem
from evacplan.scenario._checks import Collector
from evacplan.scenario.uncertainty import EdgeRisk, UncertaintySpec, parse_uncertainty_table


def _same(a, b) -> bool:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if not np.array_equal(x, y) if isinstance(x, np.ndarray) else x != y:
            return False
    return True


def test_a_draw_depends_only_on_seed_and_index(grid: Problem, spec: UncertaintySpec) -> None:
    a = draw_member(grid, spec, 5)
    draw_member(grid, spec, 4)  # drawing other members first changes nothing
    b = draw_member(grid, spec, 5)
    assert _same(a, b)
    assert not _same(a, draw_member(grid, spec, 6))
    assert not _same(a, draw_member(grid, spec, 5, seed=grid.seed + 1))
    # adding an uncertainty leaves the other draws unchanged (one random stream per quantity)
    c = draw_member(grid, dataclasses.replace(spec, walk_speed_factor=(1.0, 1.0)), 5)
    assert c.compliance == a.compliance and c.mobilization_delay_min == a.mobilization_delay_min
    assert np.array_equal(c.blocked_edges, a.blocked_edges)


def test_draws_stay_in_their_ranges(grid: Problem, spec: UncertaintySpec) -> None:
    draws = [draw_member(grid, spec, i) for i in range(40)]
    for name, attr in (("compliance", "compliance"), ("walk_speed_factor", "walk_speed_factor"),
                       ("danger_buffer_m", "danger_buffer_m"), ("mobilization_delay_min", "mobilization_delay_min"),
                       ("mobilization_spread", "mobilization_spread")):
        lo, hi = getattr(spec, name)
        vals = np.array([getattr(d, attr) for d in draws])
        assert np.all((vals >= lo) & (vals <= hi)), name
        assert vals.std() > 0, name
    for d in draws:
        assert not set(d.blocked_edges.tolist()) & set(d.loss_edges.tolist())
        assert np.all((d.loss_share >= 0.3) & (d.loss_share <= 0.8))
        assert np.all((d.blocked_at_s >= 0) & (d.blocked_at_s <= 20 * 60))
    n_blocked = np.mean([d.blocked_edges.size for d in draws])
    assert 0 < n_blocked < 0.2 * grid.network.n_edges  # rate 0.05 per street


def test_candidate_streets_limit_blockages(grid: Problem) -> None:
    ids = tuple(int(e) for e in grid.network.edge_id[:4])
    spec = UncertaintySpec(blockages=EdgeRisk(rate=1.0, edges=ids, at_min=(5.0, 5.0)))
    d = draw_member(grid, spec, 0)
    assert sorted(grid.network.edge_id[d.blocked_edges].tolist()) == sorted(ids)
    assert np.all(d.blocked_at_s == 300.0)
    assert all(ev.at_s == 300.0 for ev in d.events())
    with pytest.raises(ScenarioError, match=r"uncertainty\.blockages\.edges.*999999"):
        check_spec(grid, UncertaintySpec(blockages=EdgeRisk(rate=0.5, edges=(999999,))))


def test_no_uncertainty_leaves_the_problem_as_given(grid: Problem) -> None:
    d = draw_member(grid, UncertaintySpec(), 3)
    world = apply_draw(grid, d)
    assert world.departure_cdf is grid.departure_cdf and world.demand is grid.demand and world.zones is grid.zones
    assert d.compliance == 1.0 and not d.events()


def test_applied_draw_changes_departures_speeds_and_zones(grid: Problem) -> None:
    spec = UncertaintySpec(walk_speed_factor=(0.5, 0.5), danger_buffer_m=(150.0, 150.0),
                           mobilization_delay_min=(5.0, 5.0))
    world = apply_draw(grid, draw_member(grid, spec, 0))
    world.validate()
    assert [g.walk_speed_mps for g in world.demand.groups] == [0.5 * g.walk_speed_mps for g in grid.demand.groups]
    # departures: nobody leaves before minute 5, then the old curve, 5 minutes late
    assert np.all(world.departure_cdf[:, :5] == 0)
    assert np.allclose(world.departure_cdf[:, 5:-1], grid.departure_cdf[:, :-6])
    # the danger zones grew by one block (100 m) into the centre, never into safety
    grown = (world.zones.node_danger >= 0) & (grid.zones.node_danger < 0)
    assert grown.sum() == 6
    assert np.all(world.zones.node_safe[grown] < 0)
    assert np.array_equal(grid.zones.node_danger[grid.zones.node_danger >= 0],
                          world.zones.node_danger[grid.zones.node_danger >= 0])


def test_spread_stretches_around_the_median() -> None:
    t = np.arange(101.0)
    cdf = np.clip((t - 20) / 40, 0, 1)[None, :]  # uniform 20..60, median 40
    out = shift_curves(cdf, 1.0, 0.0, 2.0)  # now uniform 0..80
    assert np.interp(0.5, out[0], t) == pytest.approx(40, abs=0.5)
    assert out[0, 20] == pytest.approx(0.25, abs=0.01) and out[0, 80] == pytest.approx(1.0)


def test_capacity_known_when_replanning(grid: Problem) -> None:
    spec = UncertaintySpec(blockages=EdgeRisk(rate=1.0, edges=(int(grid.network.edge_id[0]),)))
    d = draw_member(grid, spec, 0)
    assert np.all(apply_draw(grid, d, capacity_known=True).network.capacity_per_s[:, d.blocked_edges] == 0)
    assert np.all(apply_draw(grid, d).network.capacity_per_s[:, d.blocked_edges] > 0)


def test_run_member_is_deterministic_and_replans(grid: Problem, grid_plan, spec: UncertaintySpec) -> None:
    a = run_member(grid, grid_plan, spec, 2)
    b = run_member(grid, grid_plan, spec, 2)
    a.pop("runtime_s"), b.pop("runtime_s")
    assert a == b
    assert a["evacuated"] + a["stranded"] + a["en_route_at_end"] + a["unreachable"] == a["evacuees"]
    assert a["curve"][-1] == pytest.approx(a["evacuated"], abs=0.5)
    r = run_member(grid, None, spec, 2, settings=MemberSettings(replan=True))
    assert r["evacuees"] == a["evacuees"] and r["evacuated"] > 0


@pytest.mark.parametrize(
    ("table", "where", "words"),
    [
        ({"compliance": [0.5, 1.2]}, "uncertainty.compliance", ["1.2", "<= 1"]),
        ({"compliance": [0.9, 0.5]}, "uncertainty.compliance", ["low 0.9 > high 0.5"]),
        ({"walk_speed_factor": 0}, "uncertainty.walk_speed_factor", ["0", "> 0"]),
        ({"danger_buffer_m": "wide"}, "uncertainty.danger_buffer_m", ["'wide'", "a number or [low, high]"]),
        ({"mobilization_delay": [1, 2, 3]}, "uncertainty.mobilization_delay", ["[1, 2, 3]"]),
        ({"blockages": {"rate": 2}}, "uncertainty.blockages.rate", ["2", "<= 1"]),
        ({"blockages": {"edges": [1, "a"]}}, "uncertainty.blockages.edges", ["integer street ids"]),
        ({"blockages": {"loss": [0.1, 0.2]}}, "uncertainty.blockages.loss", ["unknown key"]),
        ({"capacity_loss": {"at": [0, 5000]}}, "uncertainty.capacity_loss.at", ["5000", "<= 1440"]),
        ({"complience": 0.5}, "uncertainty.complience", ["did you mean 'compliance'"]),
    ],
)
def test_invalid_uncertainty_is_reported_clearly(table: dict, where: str, words: list[str]) -> None:
    c = Collector("scenario.toml")
    parse_uncertainty_table(c, table, 1440.0)
    assert c.problems, table
    text = str(ScenarioInvalid(c.problems))
    assert where in text
    for w in words:
        assert w in text, (w, text)


def test_valid_uncertainty_parses() -> None:
    c = Collector("scenario.toml")
    spec = parse_uncertainty_table(c, {"compliance": 0.8, "mobilization_delay": [-10, 30],
                                       "capacity_loss": {"rate": 0.1, "edges": [3, 1, 3], "loss": [0.2, 0.4]}},
                                   1440.0)
    assert not c.problems
    assert spec.compliance == (0.8, 0.8) and spec.mobilization_delay_min == (-10.0, 30.0)
    assert spec.capacity_loss == EdgeRisk(0.1, (1, 3), (0.0, 0.0), (0.2, 0.4))
