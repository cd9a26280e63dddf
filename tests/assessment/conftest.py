"""Small hand-made problems for the assessment tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pytest

from evacplan.planning.result import Plan, plan_from_paths
from evacplan.problem.problem import Problem


def mark_vulnerable(problem: Problem, groups: Sequence[int]) -> Problem:
    """The problem with the demographic groups of index ``groups`` marked vulnerable."""
    d = problem.demand
    specs = tuple(dataclasses.replace(g, vulnerable=i in groups) for i, g in enumerate(d.groups))
    return dataclasses.replace(problem, demand=dataclasses.replace(d, groups=specs))


def line_plan(problem: Problem, groups: Sequence[tuple[int, int, float, Sequence[int]]],
              unplanned: dict[int, int] | None = None) -> Plan:
    """A plan from ``(row, count, departure_s, edge path)``, timed at free flow for group 0 (no waiting), with
    instants rather than windows (``time_step_s = 0``)."""
    t_edge = problem.edge_time_s(0, 0)
    entry, arr = [], []
    for _, _, dep, path in groups:
        t = dep
        times = []
        for e in path:
            times.append(t)
            t += t_edge[e]
        entry.append(np.array(times))
        arr.append(t)
    un = np.zeros(problem.demand.n_rows, dtype=np.int64)
    for r, k in (unplanned or {}).items():
        un[r] = k
    head = problem.network.head
    return plan_from_paths(
        method="hand",
        row=np.array([g[0] for g in groups]),
        count=np.array([g[1] for g in groups]),
        departure_s=np.array([g[2] for g in groups], dtype=np.float64),
        entry_s=entry,
        arrival_s=np.array(arr, dtype=np.float64),
        safe_zone=np.array([problem.zones.node_safe[head[g[3][-1]]] for g in groups]),
        paths=[np.asarray(g[3]) for g in groups],
        unplanned=un,
        lower_bound_s=float(max(arr)),
    )


@pytest.fixture
def make_vulnerable():
    """``mark_vulnerable`` as a fixture."""
    return mark_vulnerable


@pytest.fixture
def plan_of():
    """``line_plan`` as a fixture."""
    return line_plan
