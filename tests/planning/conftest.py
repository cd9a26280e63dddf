"""Shared fixtures of the planner tests: a factory for planned-and-validated toy problems."""

from __future__ import annotations

import pytest

from evacplan.planning import Plan, plan, validate_plan

METHODS = ("fast", "exact")


@pytest.fixture(params=METHODS)
def method(request: pytest.FixtureRequest) -> str:
    """Each planning method in turn."""
    return request.param


@pytest.fixture
def planned():
    """``planned(problem, method)``: plan and run the shared invariant checker on the result."""

    def run(problem, method: str = "fast") -> Plan:
        result = plan(problem, method=method)
        validate_plan(problem, result)
        return result

    return run
