"""The repair of a schedule's last arrivals (:mod:`evacplan.planning.repair`)."""

from __future__ import annotations

import numpy as np

from evacplan.planning import kernels, repair, routes, validate_plan
from evacplan.planning.api import assemble, plan_horizon
from evacplan.planning.fast import GroupArrays, fast_groups
from evacplan.planning.model import planning_model
from evacplan.problem.toy import toy_problem

from .referee import Referee


def _edge(p, u, v):
    net = p.network
    return int(np.flatnonzero((net.tail == u) & (net.head == v))[0])


def _state(p, model, n_bins=16):
    return {"resid": np.full((n_bins, p.network.n_edges), model.step_s),
            "zone_rem": model.phys.safe_capacity.astype(np.float64).copy()}


def test_repair_moves_a_group_off_a_detour():
    """Ten persons at node 0 sent the long way (0 -> 2 -> 1, ten steps) although the direct street (one step) has
    room for them all: the repair frees the detour and sends them direct, departing as soon as released."""
    p = toy_problem(3, [(0, 1, 60.0, 1.0), (0, 2, 300.0, 1.0), (2, 1, 300.0, 1.0)], {0: 10}, {1: 0},
                    horizon_s=3600)
    model = planning_model(p)
    direct, out1, out2 = _edge(p, 0, 1), _edge(p, 0, 2), _edge(p, 2, 1)
    trees = np.full((1, 3), -1, dtype=np.int64)
    trees[0, 0], trees[0, 2] = out1, out2
    state = _state(p, model)
    dep = int(model.row_first[0])
    out = GroupArrays(4, 4)
    out.row[0], out.count[0], out.dep[0], out.zone[0], out.route[0], out.plen[0] = 0, 10, dep, 0, 0, 2
    out.arr[0] = dep + model.tau[0, out1] + model.tau[0, out2]
    out.n_groups = 1
    bins = repair._path_bins(model, 0, 0, dep, np.array([out1, out2]), p.network.head.astype(np.int64))
    state["resid"][bins, [out1, out2]] -= 10 * model.weight_s[0, [out1, out2]]
    state["zone_rem"][0] -= 10
    before = assemble(p, model, "fast", {**out.trimmed(), "trees": trees}, np.zeros(1, dtype=np.int64), 0, 0.0)
    validate_plan(p, before)

    assert repair.repair_late(p, model, state, out, trees) == 1
    groups = out.trimmed()
    assert groups["route"].tolist() == [-1] and groups["edges"].tolist() == [direct]
    assert groups["dep"].tolist() == [dep] and groups["arr"].tolist() == [dep + model.tau[0, direct]]
    after = assemble(p, model, "fast", {**groups, "trees": trees}, np.zeros(1, dtype=np.int64), 0, 0.0)
    validate_plan(p, after)
    assert plan_horizon(before, 60.0) == 10 and plan_horizon(after, 60.0) == 1
    # the detour's windows are free again, the direct street's taken, the zone's room counted once
    assert np.all(state["resid"][:, [out1, out2]] == 60.0)
    assert state["zone_rem"][0] == np.inf


def test_repair_keeps_a_group_that_cannot_be_quicker():
    """The only street holds five persons a step: the second group of five cannot leave before the first is through."""
    p = toy_problem(2, [(0, 1, 60.0, 5 / 60)], {0: 10}, {1: 0}, horizon_s=3600)
    model = planning_model(p)
    groups, _, _ = fast_groups(p, model, n_bins=8, mode="routes")
    assert groups["count"].tolist() == [5, 5] and groups["route"].min() >= 0  # neither was moved


def test_earliest_departure_keeps_the_release_prefix():
    """A row releasing 0.3, 0.6 and 1.0 of its 10 persons in three steps: a group with 6 persons of its row ahead of
    it (itself included) cannot depart before the second release."""
    p = toy_problem(2, [(0, 1, 60.0, 1.0)], [(0, 10, 0)], {1: 0},
                    departure_cdf=[[0.0, 0.3, 0.6, 1.0] + [1.0] * 57], horizon_s=3600)
    model = planning_model(p)
    labels = [repair.earliest_departure(model, 0, k) for k in (1, 3, 4, 6, 7, 10)]
    released = model.released(0, np.array(labels))
    assert released.tolist() == [3, 3, 6, 6, 10, 10]
    assert labels[0] == model.row_first[0] and labels[-1] == model.row_last[0]


def _detoured_instance():
    # found by a random search: the route scheduler's plan takes 13 steps, its repair 9; the optimum is 6 (with the
    # quickest-route trees alone: the trees along the static maximum flow reach 8 without a repair)
    edges = [(0, 3, 130.0, 1.0), (3, 5, 60.0, 0.2), (3, 0, 45.0, 0.2), (1, 3, 20.0, 0.2), (5, 2, 20.0, 0.2),
             (2, 5, 60.0, 0.5), (0, 2, 45.0, 0.5)]
    curves = [[0.0, 0.3, 0.6, 1.0] + [1.0] * 57, [0.0] * 6 + [0.5] * 4 + [1.0] * 51]
    return toy_problem(6, edges, [(3, 174, 0), (5, 103, 1)], {5: 0}, safe_capacity=[150.0],
                       departure_cdf=curves, horizon_s=3600)


def test_repair_shortens_the_route_schedule(monkeypatch):
    p = _detoured_instance()
    model = planning_model(p)
    horizons = []
    monkeypatch.setattr(routes, "FLOW_TREES", 0)
    for limit in (0, repair.MAX_REPAIRS):
        monkeypatch.setattr(repair, "MAX_REPAIRS", limit)
        groups, unplanned, _ = fast_groups(p, model, n_bins=8, mode="routes")
        result = assemble(p, model, "fast", groups, unplanned, 0, 0.0)
        validate_plan(p, result)
        assert result.evacuated == 150
        horizons.append(plan_horizon(result, 60.0))
    saved, optimum = Referee(p, model.zone_price_s).optimum()
    assert saved == 150 and optimum == 6
    assert horizons == [13, 9]


def test_repair_search_needs_room_for_the_whole_group():
    """Two ways from 0 to safety: direct (one step, room for 3 a step) and a detour (five steps, room for 60): a
    group of 4 must take the detour, a group of 3 the direct street."""
    p = toy_problem(3, [(0, 1, 60.0, 3 / 60), (0, 2, 150.0, 1.0), (2, 1, 150.0, 1.0)], {0: 4}, {1: 0},
                    horizon_s=3600)
    model = planning_model(p)
    net = p.network
    state = _state(p, model)
    to_go = np.zeros(3, dtype=np.int64)
    seen = np.zeros(64 * 4, dtype=np.uint8)
    work = [np.empty(1000, dtype=np.int64) for _ in range(4)] + [np.empty(1000), np.empty(1000, dtype=np.int64)]
    args = (net.indptr.astype(np.int64), net.head.astype(np.int64), model.tau[0], model.weight_s[0], model.shift[0],
            model.sink_shift[0], state["resid"], p.zones.node_safe.astype(np.int64), state["zone_rem"], to_go, 0,
            int(model.row_first[0]))
    assert model.row_first[0] == 1  # released at time 0: label 1 at node 0, a step from safety
    h4, dep4, arr4, path4, _ = kernels.repair_search(*args, 4, 40, seen, *work)
    h3, dep3, arr3, path3, _ = kernels.repair_search(*args, 3, 40, seen, *work)
    assert path4.tolist() == [_edge(p, 0, 2), _edge(p, 2, 1)] and h4 == arr4 == 5 and dep4 == 1
    assert path3.tolist() == [_edge(p, 0, 1)] and h3 == arr3 == 1 and dep3 == 1
    assert not seen.any()  # the marks are cleared for the next search
    # nothing quicker than the horizon asked for: the search says so
    h, dep, _, path, _ = kernels.repair_search(*args, 3, 1, seen, *work)
    assert (h, dep, path.size) == (1, -1, 0)


def _two_detoured_groups(p, model):
    """Two groups of 5 at node 0 sent the long way (0 -> 2 -> 1, ten steps): both safe last, at the same horizon."""
    out1, out2 = _edge(p, 0, 2), _edge(p, 2, 1)
    trees = np.full((1, 3), -1, dtype=np.int64)
    trees[0, 0], trees[0, 2] = out1, out2
    state = _state(p, model)
    dep = int(model.row_first[0])
    out = GroupArrays(4, 4)
    for g in range(2):
        out.row[g], out.count[g], out.dep[g], out.zone[g], out.route[g], out.plen[g] = 0, 5, dep, 0, 0, 2
        out.arr[g] = dep + model.tau[0, out1] + model.tau[0, out2]
    out.n_groups = 2
    bins = repair._path_bins(model, 0, 0, dep, np.array([out1, out2]), p.network.head.astype(np.int64))
    state["resid"][bins, [out1, out2]] -= 10 * model.weight_s[0, [out1, out2]]
    state["zone_rem"][0] -= 10
    return state, out, trees


def test_repair_stops_when_the_budget_cannot_move_every_last_group(monkeypatch):
    """Moving one of two groups safe last does not bring the plan's time down: with a budget of one and a half
    searches the repair stops after the first (spending the rest would not change the plan's time); with two it
    moves both."""
    p = toy_problem(3, [(0, 1, 60.0, 1.0), (0, 2, 300.0, 1.0), (2, 1, 300.0, 1.0)], {0: 10}, {1: 0},
                    horizon_s=3600)
    model = planning_model(p)
    states: list[int] = []
    search = kernels.repair_search

    def counted(*args):  # type: ignore[no-untyped-def]
        found = search(*args)
        states.append(int(found[4]))
        return found

    monkeypatch.setattr(kernels, "repair_search", counted)
    assert repair.repair_late(p, model, *_two_detoured_groups(p, model)) == 2
    assert len(states) == 3 and states[0] >= 2 and states[2] == 0  # the third: nothing is quicker than one step
    first = states[0]
    monkeypatch.setattr(repair, "STATE_BUDGET", first + first // 2)
    states.clear()
    assert repair.repair_late(p, model, *_two_detoured_groups(p, model)) == 1
    assert len(states) == 1
    monkeypatch.setattr(repair, "STATE_BUDGET", 2 * first + 1)
    assert repair.repair_late(p, model, *_two_detoured_groups(p, model)) == 2


def test_reroute_early_tries_every_group():
    """Node 0 reaches safety (node 1) only by a detour (0 -> 2 -> 1, ten steps); node 3 directly (one step) or by a
    detour (3 -> 4 -> 1, six steps). A plan sending both by their detours: node 0's group, safe last, cannot be
    quicker, and the re-routing goes on to node 3's, which takes the direct street (the repair of the last arrivals
    would stop at the first)."""
    edges = [(0, 2, 300.0, 1.0), (2, 1, 300.0, 1.0), (3, 1, 60.0, 1.0), (3, 4, 180.0, 1.0), (4, 1, 180.0, 1.0)]
    p = toy_problem(5, edges, [(0, 10, 0), (3, 10, 0)], {1: 0}, horizon_s=3600)
    model = planning_model(p)
    paths = [[_edge(p, 0, 2), _edge(p, 2, 1)], [_edge(p, 3, 4), _edge(p, 4, 1)]]
    dep = model.row_first[[0, 1]].astype(np.int64)
    entry = [d + np.concatenate(([0], np.cumsum(model.tau[0, pa])[:-1])) for d, pa in zip(dep, paths, strict=True)]
    groups = {"row": np.array([0, 1]), "count": np.array([10, 10]), "dep": dep,
              "arr": np.array([e[-1] + model.tau[0, pa[-1]] for e, pa in zip(entry, paths, strict=True)]),
              "zone": np.array([0, 0]), "plen": np.array([2, 2]), "edges": np.concatenate(paths),
              "entry": np.concatenate(entry).astype(np.int64)}
    before = assemble(p, model, "fast", groups, np.zeros(2, dtype=np.int64), 0, 0.0)
    validate_plan(p, before)
    moved = repair.reroute_early(p, model, groups)
    after = assemble(p, model, "fast", moved, np.zeros(2, dtype=np.int64), 0, 0.0)
    validate_plan(p, after)
    by_row = {int(r): (int(k), e) for r, k, e in zip(moved["row"], moved["plen"], np.split(moved["edges"],
                                                                                         np.cumsum(moved["plen"])[:-1]),
                                                     strict=True)}
    assert by_row[0][1].tolist() == paths[0]  # kept
    assert by_row[1][1].tolist() == [_edge(p, 3, 1)]  # moved to the direct street
    assert after.evacuation_time_s == before.evacuation_time_s
    assert sorted(after.arrival_s.tolist()) < sorted(before.arrival_s.tolist())
