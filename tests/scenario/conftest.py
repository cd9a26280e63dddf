"""Fixtures for the scenario-file tests: writable copies of scenario layers, and a private cache.

Most tests edit the layers of the small Helsinki scenario (``tests/data/scenarios/helsinki``, the bundled default
before the default moved to true scale): it builds in about a second, where the bundled default (1.2 million people
on 33,000 nodes) takes several.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evacplan.scenario.load import default_scenario_path

BUNDLED = default_scenario_path().parent
HELSINKI = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "helsinki"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every build cache of these tests under ``tmp_path`` (never ``~/.cache/evacplan``)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def layers_dir(tmp_path: Path) -> Path:
    """A folder holding a copy of every layer of the small Helsinki scenario (but no scenario file)."""
    folder = tmp_path / "scenario"
    shutil.copytree(HELSINKI, folder, ignore=shutil.ignore_patterns("*.toml", "README*"))
    return folder


@pytest.fixture
def bundled_layers_dir(tmp_path: Path) -> Path:
    """A folder holding a copy of every layer of the bundled default scenario (but no scenario file)."""
    folder = tmp_path / "bundled"
    shutil.copytree(BUNDLED, folder, ignore=shutil.ignore_patterns("*.toml", "README*"))
    return folder
