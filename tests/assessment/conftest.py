"""Small hand-made problems for the assessment tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pytest

from evacplan.planning.result import Plan
from evacplan.problem.problem import Problem


def mark_vulnerable(problem: Problem, groups: Sequence[int]) -> Problem:
    """The problem with the demographic groups of index ``groups`` marked vulnerable."""
    d = problem.demand
    specs = tuple(dataclasses.replace(g, vulnerable=i in groups) for i, g in enumerate(d.groups))
    return dataclasses.replace(problem, demand=dataclasses.replace(d, groups=specs))


def line_plan(problem: Problem, groups: Sequence[tuple[int, int, float, Sequence[int]]],
              unplanned: dict[int, int] | None = None) -> Plan:
    """A plan from ``(row, count, departure_s, edge path)``, timed at free flow for group 0 (no waiting)."""
    t_edge = problem.edge_time_s(0, 0)
    indptr = np.zeros(len(groups) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(g[3]) for g in groups])
    edges = np.array([e for g in groups for e in g[3]], dtype=np.int64)
    entry = []
    arr = []
    for _, _, dep, path in groups:
        t = dep
        for e in path:
            entry.append(t)
            t += t_edge[e]
        arr.append(t)
    un = np.zeros(problem.demand.n_rows, dtype=np.int64)
    for r, k in (unplanned or {}).items():
        un[r] = k
    head = problem.network.head
    return Plan(
        method="hand",
        row=np.array([g[0] for g in groups], dtype=np.int32),
        count=np.array([g[1] for g in groups], dtype=np.int64),
        departure_s=np.array([g[2] for g in groups], dtype=np.float64),
        arrival_s=np.array(arr, dtype=np.float64),
        safe_zone=np.array([problem.zones.node_safe[head[g[3][-1]]] for g in groups], dtype=np.int32),
        path_indptr=indptr,
        path_edges=edges,
        evacuation_time_s=float(max(arr)),
        lower_bound_s=float(max(arr)),
        unplanned=un,
        path_entry_s=np.array(entry, dtype=np.float64),
        time_step_s=problem.time_step_s,
    )


@pytest.fixture
def make_vulnerable():
    """``mark_vulnerable`` as a fixture."""
    return mark_vulnerable


@pytest.fixture
def plan_of():
    """``line_plan`` as a fixture."""
    return line_plan
