"""City-scale machinery on small cases: the minimum-cut bound and capacity tables that grow in place."""

from __future__ import annotations

import numpy as np

from evacplan.planning import kernels, plan, repair, routes, validate_plan
from evacplan.planning.api import assemble, plan_horizon
from evacplan.planning.bounds import cut_bound, flow_cut_bound
from evacplan.planning.fast import _grow, fast_groups, new_pointers
from evacplan.planning.model import planning_model
from evacplan.planning.ten import relaxed_spec
from evacplan.problem.toy import toy_problem


def _crossed_bottlenecks():
    """Two ways from 0 to the exit 3, each with one street of 0.5 persons/s, near home on one way and near the exit
    on the other: every level cut (nodes within some distance of safety) crosses a wide street, the minimum cut
    crosses both narrow ones (1 person/s in all)."""
    edges = [(0, 1, 60, 0.5), (1, 3, 600, 10.0), (0, 2, 600, 10.0), (2, 3, 60, 0.5)]
    return toy_problem(4, edges, {0: 1200}, {3: 0}, horizon_s=6000)


def test_flow_cut_bound_sees_a_bottleneck_the_level_cuts_miss():
    p = _crossed_bottlenecks()
    model = planning_model(p)
    rows = np.flatnonzero(model.usable)
    spec = relaxed_spec(p, model, rows)
    # 1,200 persons through 1 person/s: 20 steps of crossings after the first possible one (step 10 of 11)
    assert cut_bound(p, model, spec, rows, 1200) < 20
    assert flow_cut_bound(p, model, spec, rows, 1200) == 30
    exact = plan(p, method="exact")
    assert exact.lower_bound_s == 30 * 60.0  # the bound is the optimum here
    fast = plan(p, method="fast")
    validate_plan(p, fast)
    assert fast.lower_bound_s == 30 * 60.0


def test_flow_cut_bound_counts_only_those_who_must_cross():
    """People already at the exit need no street; a target below the total asks fewer crossings."""
    edges = [(0, 1, 60, 0.5), (1, 2, 60, 10.0)]
    p = toy_problem(3, edges, [(0, 120, 0), (2, 500, 0)], {2: 0}, horizon_s=6000)
    model = planning_model(p)
    rows = np.flatnonzero(model.usable)
    spec = relaxed_spec(p, model, rows)
    full = flow_cut_bound(p, model, spec, rows, 620)
    assert full == flow_cut_bound(p, model, spec, rows, 120 + 500)
    assert flow_cut_bound(p, model, spec, rows, 500) == 0
    assert 0 < flow_cut_bound(p, model, spec, rows, 560) < full
    assert full <= plan(p, method="exact").lower_bound_s / 60.0


def test_tables_grow_and_keep_their_windows():
    rng = np.random.default_rng(3)
    resid = rng.uniform(0, 60, size=(8, 5))
    nxt = new_pointers(8, 5)
    nxt[2, 1] = 3
    before_r, before_n = resid.copy(), nxt.copy()
    resid, nxt = _grow(resid, nxt, 60.0)
    assert resid.shape == (10, 5) and nxt.shape == (11, 5)
    assert resid.flags.f_contiguous and nxt.flags.f_contiguous  # an edge's windows lie together
    assert np.array_equal(resid[:8], before_r) and np.all(resid[8:] == 60.0)
    assert np.array_equal(nxt[:8], before_n[:8])
    assert np.array_equal(nxt[8:], np.repeat(np.arange(8, 11, dtype=np.int32)[:, None], 5, axis=1))
    assert np.array_equal(kernels.full_windows(resid, np.full(5, 30.0)), (resid + kernels.EPS < 30.0).sum(axis=0))


def test_schedule_does_not_depend_on_the_initial_tables():
    """Tables that start short and grow many times give the same plan as tables long enough from the start."""
    edges = [(0, 1, 120, 0.5), (1, 2, 120, 0.5), (0, 3, 300, 0.2), (3, 2, 60, 1.0)]
    p = toy_problem(4, edges, {0: 900, 1: 300}, {2: 0}, horizon_s=6000)
    model = planning_model(p)
    short, _, _ = fast_groups(p, model, n_bins=8)
    long, _, _ = fast_groups(p, model, n_bins=4000)
    for key in ("row", "count", "dep", "arr", "zone", "route", "edges"):
        assert np.array_equal(short[key], long[key]), key
    assert np.array_equal(short["full_windows"], long["full_windows"])


def _detour():
    """One exit (4) behind a wide street; two ways to it from 0: quick through 1 and slow through 2, each narrow
    (0.5 persons/s). Everyone is released at once, so the quickest routes (refreshed only later) all lead through 1;
    the static maximum flow uses both."""
    edges = [(0, 1, 60, 0.5), (1, 3, 60, 0.5), (0, 2, 300, 0.5), (2, 3, 300, 0.5), (3, 4, 60, 10.0)]
    return toy_problem(5, edges, {0: 1200}, {4: 0}, horizon_s=9000)


def test_flow_routes_follow_the_maximum_flow():
    p = _detour()
    model = planning_model(p)
    nxt, zone = routes.flow_routes(p, model, 0, np.flatnonzero(model.usable), 4)
    assert nxt.shape == (4, 5) and np.all(zone == 0)
    first = {int(p.network.head[nxt[k, 0]]) for k in range(4)}
    assert first == {1, 2}  # the trees split the origin's flow over both ways
    for k in range(4):  # every walk from the origin reaches the exit
        v, steps = 0, 0
        while nxt[k, v] >= 0 and steps < 5:
            v, steps = int(p.network.head[nxt[k, v]]), steps + 1
        assert v == 4


def test_schedule_uses_both_ways_with_flow_routes(monkeypatch):
    p = _detour()
    model = planning_model(p)
    horizons = {}
    monkeypatch.setattr(repair, "MAX_REPAIRS", 0)  # the scheduler alone
    monkeypatch.setattr(routes, "FLOW_MIN_EDGES", 0)  # as on a city network
    for n_trees in (0, routes.FLOW_TREES):
        monkeypatch.setattr(routes, "FLOW_TREES", n_trees)
        groups, unplanned, _ = fast_groups(p, model, n_bins=64)
        result = assemble(p, model, "fast", groups, unplanned, 0.0, 0.0)
        validate_plan(p, result)
        horizons[n_trees] = plan_horizon(result, model.step_s)
    # one way: 1,200 persons at 30 a minute, 40 minutes; both ways: about 20 minutes plus the detour's 8
    assert horizons[routes.FLOW_TREES] < horizons[0] - 8


def test_pointers_are_narrow_and_widen_when_the_tables_outgrow_them():
    assert new_pointers(8, 5).dtype == np.int16
    resid = np.full((32_766, 2), 60.0)
    nxt = new_pointers(32_766, 2)
    assert nxt.dtype == np.int16 and nxt[-1, 0] == 32_766
    resid, nxt = _grow(resid, nxt, 60.0)
    assert nxt.dtype == np.int32 and nxt.shape == (resid.shape[0] + 1, 2)
    assert np.array_equal(nxt[:, 1], np.arange(resid.shape[0] + 1))
