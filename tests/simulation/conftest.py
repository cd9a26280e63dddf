"""Factories shared by the simulator tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest

from evacplan.planning.result import Plan
from evacplan.problem.problem import Problem


def edge_index(problem: Problem, u: int, v: int) -> int:
    """Index of edge ``u -> v`` in the built network."""
    net = problem.network
    hit = np.flatnonzero((net.tail == u) & (net.head == v))
    assert hit.size == 1, f"no unique edge {u}->{v}"
    return int(hit[0])


def hand_plan(problem: Problem, groups: Sequence[tuple[int, int, float, Sequence[int]]]) -> Plan:
    """A plan from ``(row, count, departure_s, node path)`` tuples, timed at free flow."""
    paths = [[edge_index(problem, a, b) for a, b in itertools.pairwise(nodes)] for *_, nodes in groups]
    indptr = np.zeros(len(groups) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(p) for p in paths])
    edges = np.array([e for p in paths for e in p], dtype=np.int64)
    rows = np.array([g[0] for g in groups], dtype=np.int32)
    t_edge = problem.edge_time_s(0, 0)
    dep = np.array([g[2] for g in groups], dtype=np.float64)
    arr = dep + np.array([t_edge[p].sum() for p in paths])
    safe = np.array([problem.zones.node_safe[g[3][-1]] for g in groups], dtype=np.int32)
    return Plan(
        method="hand",
        row=rows,
        count=np.array([g[1] for g in groups], dtype=np.int64),
        departure_s=dep,
        arrival_s=arr,
        safe_zone=safe,
        path_indptr=indptr,
        path_edges=edges,
        evacuation_time_s=float(arr.max()),
        lower_bound_s=float(arr.max()),
        unplanned=np.zeros(problem.demand.n_rows, dtype=np.int64),
    )


@pytest.fixture
def plan_of():
    """``hand_plan`` as a fixture."""
    return hand_plan


@pytest.fixture
def edge_of():
    """``edge_index`` as a fixture."""
    return edge_index
