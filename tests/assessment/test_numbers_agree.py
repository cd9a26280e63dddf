"""Safe-zone figures that agree with the map and the population layer (issue 15, point 4): residents already inside a
safe zone are counted in its needs, and a declared area that contradicts the drawn polygon is flagged."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from evacplan.assessment import AREA_MISMATCH, area_note, assess, safe_zone_needs
from evacplan.problem import toy_problem
from evacplan.scenario.schema import StandardsSpec

EDGES = [(0, 1, 600.0, 10.0), (1, 2, 600.0, 10.0)]


def _problem(**zones: object):
    p = toy_problem(3, EDGES, [(0, 100, 0)], {2: 0}, danger={0: 0}, deadlines_s=[3600.0], horizon_s=7200.0)
    return dataclasses.replace(p, zones=dataclasses.replace(p.zones, **zones))


def test_a_safe_zone_with_residents_needs_for_them_too(plan_of) -> None:
    p = _problem(safe_residents=np.array([400.0]), safe_area_m2=np.array([10_000.0]))
    a = assess(p, plan_of(p, [(0, 100, 0.0, [0, 1])]))
    (s,) = a.safe_zones
    assert (s.received, s.residents) == (100, 400)
    assert s.site_m2_per_person == pytest.approx(10_000 / 500)  # the residents share the land
    assert s.latrines_needed == 10 and s.water_points_needed == 2  # 500 / 50, ceil(500 / 250)
    assert s.water_m3_day_needed == pytest.approx(500 * 15 / 1000)
    assert s.tents_needed == 125 and s.health_units_needed == 1
    assert a.to_dict()["safe_zones"][0]["residents"] == 400
    # without residents the same zone needs for the 100 arrivals only
    (t,) = assess(_problem(), plan_of(_problem(), [(0, 100, 0.0, [0, 1])])).safe_zones
    assert (t.residents, t.latrines_needed) == (0, 2)


def test_a_declared_area_that_differs_from_the_polygon_is_flagged(plan_of) -> None:
    # declared 70,000 m2, drawn 1.33 km2 (19 times more): the declared area is used, and said to differ
    p = _problem(safe_area_m2=np.array([70_000.0]), safe_drawn_area_m2=np.array([1_330_000.0]))
    a = assess(p, plan_of(p, [(0, 100, 0.0, [0, 1])]))
    (s,) = a.safe_zones
    assert s.area_source == "declared" and s.area_m2 == 70_000.0 and s.drawn_area_m2 == 1_330_000.0
    assert s.site_m2_per_person == pytest.approx(700.0)
    assert "19x smaller than the drawn polygon" in s.area_note and "uses the declared area" in s.area_note
    d = a.to_dict()
    assert d["summary"]["safe_zone_area_notes"] == [s.area_note]
    assert d["safe_zones"][0]["area_note"] == s.area_note


def test_the_drawn_polygon_is_used_when_no_area_is_declared(plan_of) -> None:
    p = _problem(safe_area_m2=np.array([50_000.0]), safe_drawn_area_m2=np.array([50_000.0]))
    (s,) = assess(p, plan_of(p, [(0, 100, 0.0, [0, 1])])).safe_zones
    assert (s.area_source, s.area_note, s.site_m2_per_person) == ("drawn", "", pytest.approx(500.0))


@pytest.mark.parametrize(("declared", "drawn", "flagged"), [
    (105_000.0, 100_000.0, False), (95_000.0, 100_000.0, False), (111_000.0, 100_000.0, True),
    (90_000.0, 100_000.0, True), (50_000.0, math.nan, False),
])
def test_the_mismatch_threshold(declared: float, drawn: float, flagged: bool) -> None:
    (s,) = safe_zone_needs(("A",), [10], np.array([declared]), np.array([np.inf]), {}, StandardsSpec(),
                           drawn_area_m2=np.array([drawn]))
    assert bool(s.area_note) is flagged
    assert s.area_source == "declared"
    assert AREA_MISMATCH == 0.10


def test_area_note_words() -> None:
    assert area_note("B", 300_000.0, 200_000.0).startswith("B: the declared area (0.30 km2) is 1.5x larger")
    assert area_note("B", None, 200_000.0) == ""
