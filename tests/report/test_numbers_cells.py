"""The report's safe-zone and vulnerable-people tables say where their numbers come from (issue 15, point 4)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from evacplan.assessment import assess
from evacplan.planning.result import plan_from_paths
from evacplan.problem import toy_problem
from evacplan.report.html import VariantRun, _gaps, _vulnerable
from evacplan.simulation import simulate


def _run() -> VariantRun:
    # 200 vulnerable walkers behind a 0.05 persons/s street; the safe zone declares 70,000 m2 but is drawn 1.33 km2
    p = toy_problem(3, [(0, 1, 600.0, 10.0), (1, 2, 600.0, 0.05)], [(1, 200, 0, 1)], {2: 0}, danger={0: 0, 1: 0},
                    deadlines_s=[1800.0], group_speeds_mps=[1.0, 1.0], horizon_s=7200.0)
    groups = tuple(dataclasses.replace(g, vulnerable=i == 1) for i, g in enumerate(p.demand.groups))
    p = dataclasses.replace(p, demand=dataclasses.replace(p.demand, groups=groups),
                            zones=dataclasses.replace(p.zones, safe_area_m2=np.array([70_000.0]),
                                                      safe_drawn_area_m2=np.array([1_330_000.0])))
    plan = plan_from_paths(method="hand", row=np.array([0]), count=np.array([200]), departure_s=np.array([0.0]),
                           entry_s=[np.array([0.0])], arrival_s=np.array([600.0]), safe_zone=np.array([0]),
                           paths=[np.array([1])], unplanned=np.zeros(1, dtype=np.int64), lower_bound_s=600.0)
    a = json.loads(json.dumps(assess(p, plan, simulate(p, plan)).to_dict()))
    return VariantRun("baseline", "", a, None)


def test_tables_say_where_the_numbers_come_from() -> None:
    run = _run()
    gaps = _gaps([run])
    assert "declared area; the drawn polygon differs" in gaps and "19x smaller than the drawn polygon" in gaps
    vuln = _vulnerable([run])
    assert "from the simulation's arrivals, queues included" in vuln
    assert "late in the simulation (every mode)" in vuln
    (v,) = run.assessment["vulnerable"]
    assert v["source"] == "simulation" and v["free_flow_cannot_walk"] == 0 and v["cannot_walk_in_time"] > 100
