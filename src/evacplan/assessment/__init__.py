"""Humanitarian assessment of a plan and its simulation.

Safe zones against the Sphere minimums (with gaps in units a coordinator orders), vulnerable people who cannot walk
out in time, exposure after deadlines, the closed border as a counterfactual, and evacuation time estimates in the
style of NUREG/CR-7002.

>>> from evacplan.assessment import assess, write_assessment        # doctest: +SKIP
>>> a = assess(problem, plan, simulation)                       # doctest: +SKIP
>>> write_assessment(a, "out/baseline")                         # doctest: +SKIP
"""

from evacplan.assessment.api import Assessment, assess, received_by_safe_zone
from evacplan.assessment.border import BorderCounterfactual, across_nodes, border_counterfactual
from evacplan.assessment.compare import (
    Difference,
    Outcome,
    PlanVsNoPlan,
    PlanVsSimulation,
    compare_plan_simulation,
    compare_with_no_plan,
)
from evacplan.assessment.ete import ClearanceCurve, ZoneETE, clearance_curves, ete_from_curve, ete_table
from evacplan.assessment.exposure import PlanExposure, ZoneExposure, exposure, plan_exposure
from evacplan.assessment.io import read_assessment, write_assessment, write_csv
from evacplan.assessment.standards import AREA_MISMATCH, SafeZoneNeeds, area_note, persons_per_tent, safe_zone_needs
from evacplan.assessment.vulnerable import VulnerableNeeds, departed_share, vulnerable_needs

__all__ = [
    "AREA_MISMATCH",
    "Assessment",
    "BorderCounterfactual",
    "ClearanceCurve",
    "Difference",
    "Outcome",
    "PlanExposure",
    "PlanVsNoPlan",
    "PlanVsSimulation",
    "SafeZoneNeeds",
    "VulnerableNeeds",
    "ZoneETE",
    "ZoneExposure",
    "across_nodes",
    "area_note",
    "assess",
    "border_counterfactual",
    "clearance_curves",
    "compare_plan_simulation",
    "compare_with_no_plan",
    "departed_share",
    "ete_from_curve",
    "ete_table",
    "exposure",
    "persons_per_tent",
    "plan_exposure",
    "read_assessment",
    "received_by_safe_zone",
    "safe_zone_needs",
    "vulnerable_needs",
    "write_assessment",
    "write_csv",
]
