"""Small problems and uncertainty specs shared by the ensemble tests."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from evacplan.problem import toy_problem
from evacplan.problem.problem import Problem
from evacplan.scenario.uncertainty import EdgeRisk, UncertaintySpec


def grid_problem(n: int = 6, persons: int = 60, seed: int = 7) -> Problem:
    """An ``n x n`` street grid (100 m blocks, two-way): people in the western half, safety on the eastern edge.

    The western half is one danger zone (deadline 75 min), the west-centre another (deadline 70 min);
    departures follow a logistic curve over the first 15 minutes.
    """
    def node(i: int, j: int) -> int:
        return i * n + j

    edges = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((0, 1), (1, 0)):
                a, b = i + di, j + dj
                if a < n and b < n:
                    cap = 0.5 if dj else 0.3
                    edges.append((node(i, j), node(a, b), 100.0, cap, 400.0))
                    edges.append((node(a, b), node(i, j), 100.0, cap, 400.0))
    sources = [(node(i, j), persons + 7 * i + 3 * j, 0, (i + j) % 2) for i in range(n) for j in range(n // 2)]
    safe = {node(i, n - 1): 0 for i in range(n)}
    danger = {node(i, j): (0 if j < n // 3 else 1) for i in range(n) for j in range(n // 2)}
    steps = 60
    t = np.arange(steps + 1)
    f = 1 / (1 + np.exp(-(t - 6) / 2.0))
    cdf = np.clip((f - f[0]) / (1 - f[0]), 0, 1)
    cdf[-1] = 1.0
    xy = [(j * 100.0, i * 100.0) for i in range(n) for j in range(n)]
    p = toy_problem(n * n, edges, sources, safe, danger=danger, deadlines_s=[4500.0, 4200.0], departure_cdf=cdf,
                    time_step_s=60.0, horizon_s=steps * 60.0 * 3, group_speeds_mps=[0.7], xy=xy)
    return dataclasses.replace(p, seed=seed)


SPEC = UncertaintySpec(
    compliance=(0.5, 1.0),
    walk_speed_factor=(0.8, 1.2),
    danger_buffer_m=(0.0, 150.0),
    mobilization_delay_min=(-2.0, 10.0),
    mobilization_spread=(0.7, 1.6),
    blockages=EdgeRisk(rate=0.05, at_min=(0.0, 20.0)),
    capacity_loss=EdgeRisk(rate=0.1, at_min=(0.0, 20.0), loss=(0.3, 0.8)),
)


@pytest.fixture(scope="session")
def grid() -> Problem:
    """The 6 x 6 grid problem."""
    return grid_problem()


@pytest.fixture(scope="session")
def grid_plan(grid: Problem):
    """The fast plan of the grid problem."""
    from evacplan.planning import plan

    return plan(grid, "fast")


@pytest.fixture(scope="session")
def slow_grid() -> Problem:
    """A 12 x 12 grid with about 18,000 people: members that take a while when simulated person by person."""
    return grid_problem(12, 200)


@pytest.fixture(scope="session")
def spec() -> UncertaintySpec:
    """Uncertainties touching every kind of draw."""
    return SPEC
