"""The public names of the assessment and report stages exist, and the documented file names match the code."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "report.md"


@pytest.mark.parametrize("module", ["evacplan.assessment", "evacplan.report", "evacplan.scenario.variants"])
def test_all_names_exist(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_documented_outputs() -> None:
    from evacplan.assessment.io import TABLES
    from evacplan.report import GPKG_LAYERS
    from evacplan.scenario.variants import VARIANT_KEYS

    text = DOCS.read_text()
    for name in TABLES:
        assert name in text, name
    for layer in GPKG_LAYERS:
        assert f"| `{layer}` |" in text, layer
    for key in VARIANT_KEYS:
        assert f"| `{key}` |" in text, key
