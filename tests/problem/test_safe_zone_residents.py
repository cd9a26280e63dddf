"""People already living in a safe zone stay there and count against its capacity."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from evacplan.network import read_network
from evacplan.problem import load_problem
from evacplan.problem.summary import problem_summary

NETWORK = Path(__file__).resolve().parents[1] / "data" / "networks" / "helsinki_small.graphml"


def scenario(folder: Path, resident_people: float, capacity: float | None, evacuate: str = "danger_zones") -> Path:
    """Danger in the east half, a safe zone in the west fifth; 3,000 people in the east, ``resident_people`` on one
    point in the middle of the safe zone."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = read_network(NETWORK)
    x0, x1 = float(raw.nodes.x.min()), float(raw.nodes.x.max())
    y0, y1 = float(raw.nodes.y.min()), float(raw.nodes.y.max())
    w, h = x1 - x0, y1 - y0
    gpd.GeoDataFrame({"name": ["East"], "clear_by": [60]}, geometry=[box(x0 + 0.5 * w, y0 - h, x1 + w, y1 + h)],
                     crs=4326).to_file(folder / "danger.geojson", driver="GeoJSON")
    cols = {"name": ["West"], "area_m2": [70_000.0]}
    if capacity is not None:
        cols["capacity"] = [capacity]
    gpd.GeoDataFrame(cols, geometry=[box(x0 - w, y0 - h, x0 + 0.2 * w, y1 + h)], crs=4326).to_file(
        folder / "safe.geojson", driver="GeoJSON")
    rng = np.random.default_rng(1)
    pts = [Point(a, b) for a, b in zip(rng.uniform(x0 + 0.55 * w, x1, 60), rng.uniform(y0, y1, 60), strict=True)]
    inside = raw.nodes[(raw.nodes.x < x0 + 0.1 * w)].iloc[0]
    gpd.GeoDataFrame({"population": [50.0] * 60 + [resident_people]},
                     geometry=[*pts, Point(inside.x, inside.y)], crs=4326).to_file(folder / "pop.geojson",
                                                                                     driver="GeoJSON")
    path = folder / "scenario.toml"
    path.write_text(f'''name = "residents"
horizon = 240
[network]
path = "{NETWORK}"
[population]
path = "pop.geojson"
max_snap_m = 100000
evacuate = "{evacuate}"
[danger_zones]
path = "danger.geojson"
[safe_zones]
path = "safe.geojson"
''')
    return path


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", "")


def test_residents_are_deducted_from_a_declared_capacity(tmp_path: Path) -> None:
    s = problem_summary(load_problem(scenario(tmp_path, 1234, capacity=10_000)))
    zone = s["safe_zones"][0]
    assert zone["residents"] == 1234 and zone["declared_capacity"] == 10_000 and zone["capacity"] == 10_000 - 1234
    assert s["population"] == 3000 and s["people"] == 3000 + 1234


def test_residents_are_deducted_from_a_capacity_derived_from_the_area(tmp_path: Path) -> None:
    s = problem_summary(load_problem(scenario(tmp_path, 5000, capacity=None)))
    zone = s["safe_zones"][0]
    assert zone["declared_capacity"] == pytest.approx(70_000 / 3.5)
    assert zone["capacity"] == pytest.approx(70_000 / 3.5 - 5000)


def test_a_zone_full_of_residents_takes_nobody(tmp_path: Path) -> None:
    from evacplan.errors import ScenarioImplausible

    with pytest.raises(ScenarioImplausible, match="can reach a safe zone with room"):
        load_problem(scenario(tmp_path, 12_000, capacity=10_000))
    p = load_problem(scenario(tmp_path, 12_000, capacity=10_000), force=True)
    assert p.zones.safe_capacity.tolist() == [0.0] and p.zones.safe_residents.tolist() == [12_000.0]
    assert p.unreachable == p.demand.total == 3000  # no room anywhere: nobody has a path to a safe zone with room


def test_everyone_outside_the_safe_zones_evacuates_with_evacuate_all(tmp_path: Path) -> None:
    p = load_problem(scenario(tmp_path, 777, capacity=None, evacuate="all"))
    assert p.demand.total + int(p.zones.safe_residents.sum()) == p.placed == 3000 + 777


def test_the_safe_zone_assessment_counts_residents_and_flags_the_declared_area(tmp_path: Path) -> None:
    from evacplan.assessment import safe_zone_needs

    p = load_problem(scenario(tmp_path, 1234, capacity=10_000))
    z = p.zones
    drawn = float(z.safe_drawn_area_m2[0])
    assert z.safe_area_m2.tolist() == [70_000.0] and drawn > 1.1 * 70_000.0  # the drawn box is much larger
    (s,) = safe_zone_needs(z.safe_names, [0], z.safe_area_m2, z.safe_declared_capacity, z.safe_services,
                           p.standards, residents=z.safe_residents, drawn_area_m2=z.safe_drawn_area_m2)
    assert s.residents == 1234 and s.latrines_needed == 25  # ceil(1,234 / 50), nobody received yet
    assert s.area_source == "declared" and s.drawn_area_m2 == pytest.approx(drawn)
    assert "than the drawn polygon" in s.area_note
