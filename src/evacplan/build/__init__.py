"""Build stage: from a scenario to the analysis-ready :class:`Problem` (arrays only)."""

from evacplan.build.builder import build_problem, load_problem, validate_scenario
from evacplan.build.problem import Problem
from evacplan.build.toy import toy_problem

__all__ = ["Problem", "build_problem", "load_problem", "toy_problem", "validate_scenario"]
