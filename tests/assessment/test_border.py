"""The closed border as a counterfactual, on hand-made networks.

Node 0 (danger, at y = 100) has a 600 s walk to the safe node 1 as things are. A closed line runs along y = 0.
With it open, node 2 (y = -100, across the line) is 200 s away, and node 3 offers a 200 s way round to node 1.
"""

from __future__ import annotations

from shapely.geometry import LineString

from evacplan.assessment import across_nodes, border_counterfactual
from evacplan.problem import toy_problem

XY = [(0.0, 100.0), (-500.0, 100.0), (0.0, -100.0), (-200.0, 50.0)]
LINE = LineString([(-1000.0, 0.0), (1000.0, 0.0)])


def make(edges):
    return toy_problem(4, edges, {0: 70}, {1: 0}, danger={0: 0}, xy=XY, horizon_s=3600.0)


def test_across_nodes_lie_on_the_far_side() -> None:
    p = make([(0, 1, 600.0, 1.0), (0, 2, 200.0, 1.0)])
    assert across_nodes(p, [LINE]).tolist() == [2]
    assert across_nodes(p, []).tolist() == []


def test_nearest_refuge_across_the_border() -> None:
    closed = make([(0, 1, 600.0, 1.0)])
    opened = make([(0, 1, 600.0, 1.0), (0, 2, 200.0, 1.0)])
    zone, total = border_counterfactual(closed, opened, [LINE])
    assert (zone.evacuees, zone.shorter_open, zone.nearest_across, zone.either) == (70, 0, 70, 70)
    assert zone.minutes_saved_mean == round((600 - 200) / 60, 3)
    assert total.zone == "all" and total.either == 70


def test_shorter_way_to_safety_when_open() -> None:
    closed = make([(0, 1, 600.0, 1.0)])
    opened = make([(0, 1, 600.0, 1.0), (0, 3, 100.0, 1.0), (3, 1, 100.0, 1.0)])
    zone, _ = border_counterfactual(closed, opened, [LINE])
    assert (zone.shorter_open, zone.nearest_across, zone.either) == (70, 0, 70)


def test_nothing_changes() -> None:
    p = make([(0, 1, 600.0, 1.0)])
    zone, _ = border_counterfactual(p, p, [LINE])
    assert (zone.shorter_open, zone.nearest_across, zone.either, zone.minutes_saved_mean) == (0, 0, 0, 0.0)
