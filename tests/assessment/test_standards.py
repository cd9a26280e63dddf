"""Safe zones against the Sphere minimums, on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evacplan.assessment import persons_per_tent, safe_zone_needs
from evacplan.scenario.schema import StandardsSpec

SERVICES = {
    "water_l_per_day": np.array([1_000_000.0]),
    "water_points": np.array([300.0]),
    "latrines": np.array([1500.0]),
    "health_facilities": np.array([6.0]),
}


def needs(received: int, area_m2: float = 2e6, services: dict | None = None, **standards: float):
    return safe_zone_needs(("Coast",), [received], np.array([area_m2]), np.array([350_000.0]),
                           SERVICES if services is None else services, StandardsSpec(**standards))[0]


def test_site_area_90000_people_on_2_km2() -> None:
    s = needs(90_000)
    assert s.site_m2_per_person == pytest.approx(2e6 / 90_000)  # 22.2 m2 per person
    assert round(s.site_m2_per_person, 1) == 22.2
    assert s.site_gap_km2 == pytest.approx(2.05)  # 90,000 x 45 m2 = 4.05 km2, 2 km2 there


def test_every_gap_in_actionable_units() -> None:
    s = needs(90_000)
    assert s.covered_m2_needed == pytest.approx(315_000.0)  # 3.5 m2 x 90,000
    assert s.tents_needed == 22_500  # 16 m2 tent / 3.5 m2 = 4 persons per tent
    assert s.water_m3_day_needed == pytest.approx(1350.0)  # 15 L x 90,000
    assert s.water_gap_m3_day == pytest.approx(350.0)  # 1,000 m3 available
    assert (s.water_points_needed, s.water_points_gap) == (360, 60)  # 1 per 250
    assert (s.latrines_needed, s.latrines_gap) == (1800, 300)  # 1 per 50
    assert (s.latrines_later_needed, s.latrines_later_gap) == (4500, 3000)  # 1 per 20
    assert (s.health_units_needed, s.health_units_gap) == (9, 3)  # 1 per 10,000


def test_no_gap_when_the_zone_has_enough() -> None:
    s = needs(10_000, area_m2=1e6)
    assert s.site_m2_per_person == pytest.approx(100.0)
    assert s.site_gap_km2 == 0.0
    assert s.water_gap_m3_day == 0.0 and s.water_points_gap == 0 and s.latrines_gap == 0
    assert s.health_units_gap == 0


def test_unknown_inventory_gives_unknown_gaps() -> None:
    s = needs(1000, area_m2=float("nan"), services={})
    assert s.area_m2 is None and s.site_m2_per_person is None and s.site_gap_km2 is None
    assert s.water_m3_day_available is None and s.water_gap_m3_day is None
    assert s.latrines_gap is None and s.health_units_gap is None
    assert s.latrines_needed == 20 and s.health_units_needed == 1


def test_nobody_received() -> None:
    s = needs(0)
    assert s.site_m2_per_person is None
    assert s.site_gap_km2 == 0.0 and s.tents_needed == 0 and s.latrines_needed == 0


def test_overridden_standards() -> None:
    s = needs(90_000, site_area_m2_per_person=30.0, persons_per_latrine=20.0)
    assert s.site_gap_km2 == pytest.approx(0.7)  # 2.7 km2 needed
    assert s.latrines_needed == 4500


@pytest.mark.parametrize(("tent", "covered", "persons"), [(16.0, 3.5, 4), (17.5, 3.5, 5), (3.0, 3.5, 1)])
def test_persons_per_tent(tent: float, covered: float, persons: int) -> None:
    st = StandardsSpec(tent_covered_m2=tent, covered_area_m2_per_person=covered)
    assert persons_per_tent(st) == persons
    assert needs(101, tent_covered_m2=tent, covered_area_m2_per_person=covered).tents_needed == math.ceil(
        101 / persons)
