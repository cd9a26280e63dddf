"""evacplan: plan large-scale civilian evacuations with humanitarian standards built in.

The pipeline, one subpackage per stage: :mod:`evacplan.scenario` (schema, loading, validation) ->
:mod:`evacplan.network` and :mod:`evacplan.population` (arrays) -> :mod:`evacplan.problem` (the analysis-ready
:class:`Problem`) -> :mod:`evacplan.planning` -> :mod:`evacplan.simulation` -> :mod:`evacplan.assessment` ->
:mod:`evacplan.report`. Importing the package does nothing observable (unless numba could not cache its compiled
kernels anywhere: then one notice says where they go); names below load on first use.

Examples
--------
>>> import evacplan
>>> problem = evacplan.load_problem()          # the bundled default scenario  # doctest: +SKIP
>>> evacplan.problem_summary(problem)["nodes"]  # doctest: +SKIP
32905
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "EvacplanError": "evacplan.errors",
    "ResourceLimitError": "evacplan.errors",
    "ScenarioError": "evacplan.errors",
    "ScenarioImplausible": "evacplan.errors",
    "ScenarioInvalid": "evacplan.errors",
    "Scenario": "evacplan.scenario.schema",
    "load_scenario": "evacplan.scenario.load",
    "default_scenario_path": "evacplan.scenario.load",
    "Network": "evacplan.network.graph",
    "ZoneMap": "evacplan.network.zones",
    "Demand": "evacplan.population.demand",
    "Problem": "evacplan.problem.problem",
    "load_problem": "evacplan.problem.builder",
    "build_problem": "evacplan.problem.builder",
    "validate_scenario": "evacplan.problem.builder",
    "problem_summary": "evacplan.problem.summary",
    "toy_problem": "evacplan.problem.toy",
}

__all__ = ["__version__", *sorted(_API)]

# numba reads NUMBA_CACHE_DIR when it is imported: make sure, before any kernel is, that it can cache somewhere (this
# changes nothing where the package folder or the home folder is writable; see evacplan._env)
from evacplan._env import ensure_numba_cache  # noqa: E402

ensure_numba_cache()


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'evacplan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
