"""Scenario stage: the scenario file's schema, loading and validation."""

from evacplan.scenario.load import default_scenario_path, load_scenario, parse_scenario
from evacplan.scenario.schema import GroupSpec, MobilizationSpec, ModeSpec, Scenario, StandardsSpec

__all__ = [
    "GroupSpec",
    "MobilizationSpec",
    "ModeSpec",
    "Scenario",
    "StandardsSpec",
    "default_scenario_path",
    "load_scenario",
    "parse_scenario",
]
