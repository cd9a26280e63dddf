"""Fixtures for the scenario-file tests: a writable copy of the bundled scenario's layers, and a private cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evacplan.scenario.load import default_scenario_path

BUNDLED = default_scenario_path().parent


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every build cache of these tests under ``tmp_path`` (never ``~/.cache/evacplan``)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def layers_dir(tmp_path: Path) -> Path:
    """A folder holding a copy of every layer of the bundled scenario (but no scenario file)."""
    folder = tmp_path / "scenario"
    shutil.copytree(BUNDLED, folder, ignore=shutil.ignore_patterns("*.toml", "README*"))
    return folder
