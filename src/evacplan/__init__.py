"""evacplan: plan large-scale civilian evacuations with humanitarian standards built in.

The pipeline, one subpackage per stage: :mod:`evacplan.scenario` (schema, loading, validation) ->
:mod:`evacplan.network` and :mod:`evacplan.population` (arrays) -> :mod:`evacplan.problem` (the analysis-ready
:class:`Problem`) -> :mod:`evacplan.planning` -> :mod:`evacplan.simulation` -> :mod:`evacplan.assessment` ->
:mod:`evacplan.report`, driven as a whole by :mod:`evacplan.pipeline`. The names below are the notebook API: each
loads on first use (``import evacplan`` stays cheap: the command line starts fast), and ``__init__.pyi`` gives
editors and type checkers their signatures. Importing the package does nothing observable (unless numba could not
cache its compiled kernels anywhere: then one notice says where they go).

Examples
--------
>>> import evacplan as ep
>>> problem = ep.load_problem()                 # the bundled default scenario  # doctest: +SKIP
>>> plan = ep.plan(problem)                     # doctest: +SKIP
>>> plan                                        # doctest: +SKIP
<Plan fast: 1,086,805 people, 890 min, bound 889 min, gap 0.1 %>
>>> result = ep.simulate(problem, plan, compliance=0.8)       # doctest: +SKIP
>>> result.to_dataframe(problem).head()                       # doctest: +SKIP
>>> plan.to_geodataframe(problem, "routes").plot()            # doctest: +SKIP
>>> ep.run(out_dir="rafah-run")                               # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    # errors
    "BoundError": "evacplan.errors",
    "EvacplanError": "evacplan.errors",
    "Finding": "evacplan.errors",
    "InputError": "evacplan.errors",
    "InternalError": "evacplan.errors",
    "InvalidPlanError": "evacplan.errors",
    "InvalidProblemError": "evacplan.errors",
    "OutputError": "evacplan.errors",
    "ResourceLimitError": "evacplan.errors",
    "ScenarioError": "evacplan.errors",
    "ScenarioImplausible": "evacplan.errors",
    "ScenarioInvalid": "evacplan.errors",
    "UnsupportedProblemError": "evacplan.errors",
    # progress
    "Progress": "evacplan.progress",
    # scenario and problem
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
    # planning
    "Plan": "evacplan.planning.result",
    "plan": "evacplan.planning.api",
    "validate_plan": "evacplan.planning.validate",
    "read_plan": "evacplan.planning.io",
    "write_plan": "evacplan.planning.io",
    # simulation
    "SimulationResult": "evacplan.simulation.result",
    "simulate": "evacplan.simulation.engine",
    "write_simulation": "evacplan.simulation.io",
    "CapacityDrop": "evacplan.simulation.events",
    "DangerOnset": "evacplan.simulation.events",
    "EdgeClosure": "evacplan.simulation.events",
    # assessment, the whole run, reports
    "Assessment": "evacplan.assessment.api",
    "assess": "evacplan.assessment.api",
    "RunOptions": "evacplan.pipeline",
    "RunResult": "evacplan.pipeline",
    "run": "evacplan.pipeline",
    "run_scenario": "evacplan.pipeline",
    "write_report": "evacplan.report.html",
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
