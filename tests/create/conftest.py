"""Fixtures of the ``evacplan new`` tests: the small OpenStreetMap extracts and a private build cache."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "osm"
#: 0.6 km2 of Floriana and Valletta (Malta, OpenStreetMap 2018), streets and buildings; see tests/data/osm/.
FLORIANA = DATA / "floriana.osm.pbf"
#: The same box, streets only.
FLORIANA_STREETS = DATA / "floriana_streets.osm.pbf"
#: The box the fixtures were clipped to (minlon, minlat, maxlon, maxlat).
BBOX = "14.5050,35.8930,14.5150,35.8990"
#: A box inside it.
INNER = "14.5060,35.8935,14.5140,35.8985"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep build caches (and osmnx's) under ``tmp_path``."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(folder))
    return folder
