"""Steady and staged plans: exact small cases, the invariant checker, files, and the simulator replaying them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from evacplan.errors import InvalidPlanError
from evacplan.planning import plan, read_plan, validate_plan
from evacplan.planning.io import write_plan
from evacplan.planning.paths import expand
from evacplan.planning.staging import danger_person_s
from evacplan.planning.steady import STEADY_LOAD, STEADY_SLACK, steady_flow, steady_plan
from evacplan.problem.toy import toy_problem
from evacplan.simulation import simulate


def _line(persons: int = 600, capacity: float = 1.0) -> object:
    """Origin 0 -> 1 -> safe 2, 30 s per edge, released evenly over 10 min."""
    cdf = [np.clip(np.arange(301) / 10.0, 0.0, 1.0).tolist()]
    return toy_problem(3, [(0, 1, 30.0, capacity), (1, 2, 30.0, capacity)], {0: persons}, {2: 0},
                       departure_cdf=cdf)


def test_steady_flow_duration_is_the_cut_at_its_load():
    # one path: everyone through capacity 0.5 p/s at 90 % takes 1000 / 0.45 s
    p = _line(1000, 0.5)
    x, y, supply, dur = steady_flow(p)
    assert dur == pytest.approx(1000 / (STEADY_LOAD * 0.5) * (1 + STEADY_SLACK), rel=1e-6)
    assert np.allclose(x, 1000) and y[2] == pytest.approx(1000) and supply[0] == 1000


def test_steady_flow_splits_over_parallel_streets_by_capacity():
    # two ways from 0 to safe 3: through 1 (capacity 1) and through 2 (capacity 0.5)
    p = toy_problem(4, [(0, 1, 30.0, 1.0), (1, 3, 30.0, 1.0), (0, 2, 60.0, 0.5), (2, 3, 60.0, 0.5)], {0: 900},
                    {3: 0})
    x, _, _, dur = steady_flow(p)
    net = p.network
    quick, slow = (int(np.flatnonzero((net.tail == 0) & (net.head == v))[0]) for v in (1, 2))
    assert dur == pytest.approx(900 / (STEADY_LOAD * 1.5) * (1 + STEADY_SLACK), rel=1e-6)
    # the flow of least free time fills the quick way first, at its load over the duration
    assert x[quick] == pytest.approx(STEADY_LOAD * 1.0 * dur, rel=1e-6)
    assert x[quick] + x[slow] == pytest.approx(900)


def test_steady_plan_is_timed_at_free_flow_and_never_outruns_its_rate():
    p = _line(600, 1.0)
    sp = steady_plan(p)
    assert sp.evacuated == 600 and int(sp.unplanned.sum()) == 0
    _, e, t = sp.expanded()
    # each person enters the second edge 30 s after the first: free flow, no grid
    first, second = t[e == 0], t[e == 1]
    assert np.allclose(second - first, 30.0)
    assert np.allclose(sp.arrival_s, sp.departure_s + 60.0 + 60.0)
    # per window of one step, at most the load's share of capacity plus one person of rounding
    per_window = np.bincount((sp.departure_s // 60).astype(int), weights=sp.count)
    assert per_window.max() <= STEADY_LOAD * 60.0 + 1
    # and never ahead of the release (everyone released over 10 min; the rate is the slower here)
    released = np.clip((sp.departure_s + 60.0) / 600.0, 0.0, 1.0) * 600
    order = np.argsort(sp.departure_s, kind="stable")
    assert np.all(np.cumsum(sp.count[order]) <= np.floor(released[order] + 1e-9))


def _grid(n: int = 8, per: int = 200, exit_capacity: float = 0.3) -> object:
    """A street grid of 30 s blocks; 4 x ``per`` persons in the central danger zone (deadline 0), one exit of low
    capacity at a corner: the safe zone, not the streets, sets the pace."""
    def idx(i: int, j: int) -> int:
        return i * n + j

    edges = []
    for i in range(n):
        for j in range(n):
            for a, b in ((i, j + 1), (i + 1, j)):
                if a < n and b < n:
                    edges += [(idx(i, j), idx(a, b), 30.0, 1.0, 60.0), (idx(a, b), idx(i, j), 30.0, 1.0, 60.0)]
    edges.append((idx(n - 1, n - 1), n * n, 30.0, exit_capacity, 60.0))
    c = n // 2
    centre = [idx(i, j) for i in (c - 1, c) for j in (c - 1, c)]
    xy = [(j * 30.0, i * 30.0) for i in range(n) for j in range(n)] + [(n * 30.0, n * 30.0)]
    cdf = [np.clip(np.arange(401) / 10.0, 0.0, 1.0).tolist()]
    return toy_problem(n * n + 1, edges, {v: per for v in centre}, {n * n: 0}, danger={v: 0 for v in centre},
                       deadlines_s=[0.0], departure_cdf=cdf, xy=xy)


@pytest.fixture(scope="module")
def grid_plans():
    p = _grid()
    return p, plan(p, staging=False), plan(p)


def test_staged_plan_keeps_people_out_of_danger_and_passes_the_checker(grid_plans):
    p, base, staged = grid_plans
    assert staged.staged and not base.staged
    validate_plan(p, staged)
    assert staged.evacuated == base.evacuated
    assert danger_person_s(p, staged) <= 0.9 * danger_person_s(p, base)
    assert staged.lower_bound_s == base.lower_bound_s <= staged.evacuation_time_s
    assert staged.bottlenecks[0].startswith("staged:")
    waits = staged.waits_s()
    assert np.count_nonzero(waits > 0) > 0
    # waits happen only at the holding areas' gates
    gates = set(staged.holding.gate.tolist())
    assert {int(p.network.tail[e]) for e in staged.step_edge[waits > 0]} <= gates


def test_simulator_replays_a_staged_plan(grid_plans):
    p, _, staged = grid_plans
    sim = simulate(p, staged, seed=0)
    assert sim.evacuation_time_s == pytest.approx(staged.evacuation_time_s, rel=0.05)
    assert sim.time_to_share(0.9) == pytest.approx(staged.time_to_share(0.9), rel=0.05)
    # without parking (waits dropped) people reach the exit early and queue on the streets instead
    unparked = dataclasses.replace(staged, step_wait_s=np.zeros(0))
    sim_u = simulate(p, unparked, seed=0)
    assert sim_u.stranded == sim.stranded == 0
    assert not np.array_equal(sim_u.edge_records, sim.edge_records)


def test_staged_plan_round_trips_through_files(grid_plans, tmp_path):
    p, _, staged = grid_plans
    write_plan(staged, p, tmp_path)
    back = read_plan(tmp_path, p)
    assert back.staged
    validate_plan(p, back)
    np.testing.assert_allclose(back.waits_s(), staged.waits_s(), atol=1e-6)
    np.testing.assert_array_equal(back.holding.gate, staged.holding.gate)
    np.testing.assert_array_equal(back.holding.edge, staged.holding.edge)
    a, b = simulate(p, staged, seed=3), simulate(p, back, seed=3)
    assert a.evacuation_time_s == pytest.approx(b.evacuation_time_s, abs=1e-3)
    # a plain plan written over it leaves no holding streets behind
    write_plan(plan(p, staging=False), p, tmp_path)
    assert not (tmp_path / "holding_streets.parquet").exists()
    assert not read_plan(tmp_path, p).staged


def test_checker_catches_waits_outside_holding_areas_and_queues_that_do_not_fit(grid_plans):
    p, _, staged = grid_plans
    waits = staged.waits_s().copy()
    gate = np.zeros(p.network.n_nodes, dtype=bool)
    gate[staged.holding.gate] = True
    used = np.zeros(staged.n_steps, dtype=bool)
    used[expand(staged.path_start, staged.step_edge, staged.step_next, np.arange(staged.n_groups))[2]] = True
    off = np.flatnonzero(used & ~gate[p.network.tail[staged.step_edge]])[0]
    waits[off] = 30.0
    with pytest.raises(InvalidPlanError, match="waits outside the holding areas"):
        validate_plan(p, dataclasses.replace(staged, step_wait_s=waits))
    # everyone leaving in the first window: the streets out of the zone cannot take them
    crowd = dataclasses.replace(staged, departure_s=np.zeros(staged.n_groups),
                                arrival_s=staged.arrival_s - staged.departure_s)
    with pytest.raises(InvalidPlanError, match="queues do not fit"):
        validate_plan(p, crowd)


def test_checker_by_runs_of_groups_says_what_it_says_at_once(grid_plans, monkeypatch):
    # the checker expands paths a run of groups at a time; runs of a few edges give the same words, counts included
    from evacplan.planning import validate_staged

    p, _, staged = grid_plans
    crowd = dataclasses.replace(staged, departure_s=np.zeros(staged.n_groups),
                                arrival_s=staged.arrival_s - staged.departure_s)
    fast = dataclasses.replace(staged, arrival_s=staged.arrival_s - 45.0)
    plans = (staged, crowd, fast)
    whole = [validate_staged.staged_errors(p, x) for x in plans]
    assert whole[0] == [] and whole[1] and whole[2]
    monkeypatch.setattr(validate_staged, "_CHUNK_STEPS", 7)
    assert len(validate_staged._group_chunks(staged)) > 10
    assert [validate_staged.staged_errors(p, x) for x in plans] == whole


def test_path_walks_agree_with_expanded_paths(grid_plans):
    # the staged planner reads edges used and the first exit from the danger zone by walking paths, not expanding them
    from evacplan.planning.paths import edge_persons, first_entry_s

    p, base, staged = grid_plans
    leaving = p.zones.node_danger[p.network.head] < 0
    for pl in (base, staged):
        g, e, t = pl.expanded()
        used = np.zeros(p.network.n_edges, dtype=bool)
        used[e] = True
        np.testing.assert_array_equal(edge_persons(pl, p.network.n_edges) > 0, used)
        first = np.full(pl.n_groups, np.inf)
        np.minimum.at(first, g[leaving[e]], t[leaving[e]])
        np.testing.assert_array_equal(first_entry_s(pl, leaving), first)
        assert np.isfinite(first).all()
