"""Build stage: from a scenario to the analysis-ready :class:`Problem` (arrays only)."""

from evacplan.problem.builder import build_problem, load_problem, validate_scenario
from evacplan.problem.problem import Problem
from evacplan.problem.toy import toy_problem

__all__ = ["Problem", "build_problem", "load_problem", "toy_problem", "validate_scenario"]
