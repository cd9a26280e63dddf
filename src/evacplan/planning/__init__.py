"""Evacuation planning: who leaves when, by which route, to which safe zone, certified by a lower bound.

>>> from evacplan.planning import plan, validate_plan   # doctest: +SKIP
>>> p = plan(problem)                                # doctest: +SKIP
>>> validate_plan(problem, p)                        # doctest: +SKIP
"""

from evacplan.errors import UnsupportedProblemError
from evacplan.planning.api import METHODS, OBJECTIVES, plan
from evacplan.planning.io import read_plan, write_plan
from evacplan.planning.result import Plan
from evacplan.planning.validate import validate_plan

__all__ = ["METHODS", "OBJECTIVES", "Plan", "UnsupportedProblemError", "plan", "read_plan", "validate_plan",
           "write_plan"]
