"""Uncertainty ensembles: many simulated members of one plan, each in a world drawn from declared uncertainties.

>>> from evacplan.ensemble import run_ensemble, report_section        # doctest: +SKIP
>>> run = run_ensemble(problem, "out/ens", runs=100, spec=spec, plan=p, workers=2)   # doctest: +SKIP
>>> html = report_section("out/ens")                                  # doctest: +SKIP

Members run as Dask tasks (a local cluster of processes, or an existing cluster); each member draws from its own
seed, derived from the scenario seed and its index, so results never depend on the workers or on finishing order.
The folder layout and every output are described in ``docs/ensemble.md``.
"""

from evacplan.ensemble.aggregate import load_members, members_table, summarize
from evacplan.ensemble.draw import MemberDraw, apply_draw, draw_member, member_seed
from evacplan.ensemble.member import MemberSettings, run_member
from evacplan.ensemble.report import fan_chart_svg, report_section
from evacplan.ensemble.runner import EnsembleError, EnsembleRun, dask_client, done_members, run_ensemble
from evacplan.scenario.uncertainty import EdgeRisk, UncertaintySpec

__all__ = [
    "EdgeRisk",
    "EnsembleError",
    "EnsembleRun",
    "MemberDraw",
    "MemberSettings",
    "UncertaintySpec",
    "apply_draw",
    "dask_client",
    "done_members",
    "draw_member",
    "fan_chart_svg",
    "load_members",
    "member_seed",
    "members_table",
    "report_section",
    "run_ensemble",
    "run_member",
    "summarize",
]
