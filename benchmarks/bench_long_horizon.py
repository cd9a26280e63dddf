"""A long horizon costs the planner nothing by itself: the bundled default planned with a 60-day horizon.

The default problem's departure curves are padded with ones to 60 days (86,400 one-minute steps); the memory
estimate (:func:`evacplan.problem.resources.estimate_memory`) and the plan's peak resident memory are printed.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_long_horizon
"""

from __future__ import annotations

import dataclasses
import resource
import time

import numpy as np

from evacplan.planning import plan
from evacplan.problem import load_problem
from evacplan.problem.resources import estimate_memory

DAYS = 60


def main() -> None:
    p = load_problem(None)
    steps = int(DAYS * 24 * 3600 / p.time_step_s)
    cdf = np.ones((p.departure_cdf.shape[0], steps + 1))
    cdf[:, : p.departure_cdf.shape[1]] = p.departure_cdf
    p = dataclasses.replace(p, departure_cdf=cdf, horizon_s=steps * p.time_step_s)
    est = estimate_memory(p)
    print(f"{DAYS} days = {p.n_steps:,} steps; planner estimate {est.planner / 1e9:.2f} GB {est.parts}")
    t0 = time.perf_counter()
    f = plan(p)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"plan {time.perf_counter() - t0:.1f} s, T = {f.evacuation_time_s / 60:.0f} min, "
          f"LB = {f.lower_bound_s / 60:.0f} min, peak RSS {peak:.2f} GB")


if __name__ == "__main__":
    main()
