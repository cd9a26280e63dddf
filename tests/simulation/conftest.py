"""Factories shared by the simulator tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest

from evacplan.planning.result import Plan, plan_from_paths
from evacplan.problem.problem import Problem


def edge_index(problem: Problem, u: int, v: int) -> int:
    """Index of edge ``u -> v`` in the built network."""
    net = problem.network
    hit = np.flatnonzero((net.tail == u) & (net.head == v))
    assert hit.size == 1, f"no unique edge {u}->{v}"
    return int(hit[0])


def hand_plan(problem: Problem, groups: Sequence[tuple[int, int, float, Sequence[int]]]) -> Plan:
    """A plan from ``(row, count, departure_s, node path)`` tuples, timed at free flow (instants, not windows)."""
    paths = [[edge_index(problem, a, b) for a, b in itertools.pairwise(nodes)] for *_, nodes in groups]
    t_edge = problem.edge_time_s(0, 0)
    dep = np.array([g[2] for g in groups], dtype=np.float64)
    entry = [d + np.r_[0.0, np.cumsum(t_edge[p])[:-1]] if p else np.zeros(0) for d, p in zip(dep, paths, strict=True)]
    arr = dep + np.array([t_edge[p].sum() for p in paths])
    return plan_from_paths(
        method="hand", row=np.array([g[0] for g in groups]), count=np.array([g[1] for g in groups]),
        departure_s=dep, entry_s=entry, arrival_s=arr,
        safe_zone=np.array([problem.zones.node_safe[g[3][-1]] for g in groups]), paths=[np.array(p) for p in paths],
        unplanned=np.zeros(problem.demand.n_rows, dtype=np.int64), lower_bound_s=float(arr.max()),
    )


@pytest.fixture
def plan_of():
    """``hand_plan`` as a fixture."""
    return hand_plan


@pytest.fixture
def edge_of():
    """``edge_index`` as a fixture."""
    return edge_index
