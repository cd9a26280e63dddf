"""Evacuation planning: who leaves when, by which route, to which safe zone, certified by a lower bound.

>>> from evacplan.plan import plan, validate_plan   # doctest: +SKIP
>>> p = plan(problem)                                # doctest: +SKIP
>>> validate_plan(problem, p)                        # doctest: +SKIP
"""

from evacplan.plan.api import METHODS, plan
from evacplan.plan.errors import UnsupportedProblemError
from evacplan.plan.io import read_plan, write_plan
from evacplan.plan.result import Plan
from evacplan.plan.validate import validate_plan

__all__ = ["METHODS", "Plan", "UnsupportedProblemError", "plan", "read_plan", "validate_plan", "write_plan"]
