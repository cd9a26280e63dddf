"""The deadlines objective's fill: more of a zone's people to safety by its deadline by any way the capacity left
allows, after the routes."""

from __future__ import annotations

import numpy as np

from evacplan.planning import validate_plan
from evacplan.planning.api import assemble
from evacplan.planning.deadlines import deadline_certificates
from evacplan.planning.fast import GroupArrays, new_state
from evacplan.planning.model import planning_model
from evacplan.planning.repair import fill_by_deadline
from evacplan.problem.toy import toy_problem

from .test_deadlines import empty_plan

# two ways from 0 to the junction 1, then one wide street to safety at 4: A = 0->2->1 (3 min), B = 0->3->1 (4 min);
# 2->1 and 3->1 pass one person a second
EDGES = [(0, 2, 60, 10.0), (2, 1, 60, 1.0), (0, 3, 120, 10.0), (3, 1, 60, 1.0), (1, 4, 60, 10.0)]
PERSONS = 1000


def edge(p, u: int, v: int) -> int:
    return int(np.flatnonzero((p.network.tail == u) & (p.network.head == v))[0])


def filled(block: tuple[tuple[int, int], ...]):
    p = toy_problem(5, EDGES, {0: PERSONS}, {4: 0}, deadlines_s=[900], horizon_s=6000)
    model = planning_model(p)
    state = new_state(p, model, 64)
    for u, v in block:  # streets whose every window is taken already
        state["resid"][:, edge(p, u, v)] = 0.0
    out = GroupArrays(16, 64)
    rows = np.flatnonzero(model.usable)
    added = fill_by_deadline(p, model, state, out, rows, horizon=14)
    return p, model, state, out, added


def test_fill_takes_the_way_left_open():
    p, model, state, out, added = filled(block=((2, 1),))
    assert state["remaining"].sum() == PERSONS - added
    # B alone: as many as the time-expanded max flow of the network without A brings to safety by the deadline
    without_a = toy_problem(5, [e for e in EDGES if e[:2] != (2, 1)], {0: PERSONS}, {4: 0}, deadlines_s=[900],
                            horizon_s=6000)
    (cert,) = deadline_certificates(without_a, planning_model(without_a), empty_plan(without_a))
    assert 0 < added == cert.max_safe_by_deadline < PERSONS
    groups = out.trimmed()
    assert set(groups["edges"].tolist()) == {edge(p, 0, 3), edge(p, 3, 1), edge(p, 1, 4)}  # all by B: A is full
    assert np.all(groups["arr"] - model.sink_shift[0, 4] <= 14)  # all safe by the horizon
    groups["trees"] = np.zeros((0, p.network.n_nodes), dtype=np.int64)
    plan = assemble(p, model, "fast", groups, p.demand.count - (PERSONS - state["remaining"]), 0.0, 0.0)
    validate_plan(p, plan)
    assert plan.evacuated == added and plan.arrival_s.max() <= 900 + 1e-9


def test_fill_adds_nobody_when_every_way_is_full(monkeypatch):
    # one person cannot make it, so no group can: one search, not one per halving of the 1,000 (ten)
    from evacplan.planning import repair

    sizes = []
    search = repair.kernels.repair_search

    def counted(*args):  # type: ignore[no-untyped-def]
        sizes.append(int(args[12]))
        return search(*args)

    monkeypatch.setattr(repair.kernels, "repair_search", counted)
    *_, state, out, added = filled(block=((2, 1), (3, 1)))
    assert added == 0 and out.n_groups == 0 and state["remaining"].sum() == PERSONS
    assert sizes == [1]
