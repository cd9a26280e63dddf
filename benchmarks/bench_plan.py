"""Planner benchmark: fast vs exact on toy grids and real TNTP networks, plus the city-scale run.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_plan            # quality table (fast vs exact) + Sydney
    .venv/bin/python -m benchmarks.bench_plan --quick    # skip the Sydney run
    .venv/bin/python -m benchmarks.bench_plan --sydney 1000000 --sydney-only   # only Sydney, 1,000,000 persons

Figures go to stdout as a Markdown table (copied into ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

import numpy as np

from benchmarks.instances import center_out
from evacplan.planning import plan, validate_plan
from evacplan.problem.problem import Problem
from evacplan.problem.toy import toy_problem


def grid(side: int, persons: int, seed: int = 0) -> Problem:
    """A ``side x side`` two-way street grid, people in the central ninth, exits at the four corners."""
    rng = np.random.default_rng(seed)
    edges = []
    for i in range(side):
        for j in range(side):
            v = i * side + j
            for di, dj in ((0, 1), (1, 0)):
                a, b = i + di, j + dj
                if a < side and b < side:
                    w = a * side + b
                    t = float(rng.choice([60.0, 90.0, 120.0]))
                    c = float(rng.choice([0.5, 1.0, 2.0]))
                    edges += [(v, w, t, c), (w, v, t, c)]
    lo, hi = side // 3, 2 * side // 3
    centre = [i * side + j for i in range(lo, hi) for j in range(lo, hi)]
    share = np.full(len(centre), persons // len(centre))
    share[: persons - share.sum()] += 1
    corners = {0: 0, side - 1: 1, side * (side - 1): 2, side * side - 1: 3}
    cdf = [np.clip(np.arange(721) / 30.0, 0, 1).tolist()]  # everyone released over 30 min
    return toy_problem(side * side, edges, [(v, int(k), 0) for v, k in zip(centre, share, strict=True)], corners,
                       departure_cdf=cdf, time_step_s=60.0)


INSTANCES = [
    ("grid 15x15, 20k", lambda: grid(15, 20_000)),
    ("grid 30x30, 60k", lambda: grid(30, 60_000, seed=1)),
    ("siouxfalls, 50k", lambda: center_out("siouxfalls", 50_000).problem),
    ("anaheim, 50k", lambda: center_out("anaheim", 50_000).problem),
    ("chicago, 50k", lambda: center_out("chicago", 50_000).problem),
    ("chicago, 100k", lambda: center_out("chicago", 100_000).problem),
]


def rss_gb() -> float:
    """Peak resident memory of this process so far, GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def quality() -> None:
    """Fast vs exact on every instance, same time step."""
    print("| instance | nodes | edges | persons | exact T (min) | exact s | fast T (min) | fast/exact - 1 | "
          "fast LB (min) | fast gap | fast s | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, make in INSTANCES:
        p = make()
        f = plan(p, method="fast")
        validate_plan(p, f)
        e = plan(p, method="exact")
        validate_plan(p, e)
        ratio = f.evacuation_time_s / e.evacuation_time_s - 1
        print(f"| {name} | {p.network.n_nodes} | {p.network.n_edges} | {p.demand.total} | "
              f"{e.evacuation_time_s / 60:.0f} | {e.runtime_s:.1f} | {f.evacuation_time_s / 60:.0f} | "
              f"{100 * ratio:.2f} % | {f.lower_bound_s / 60:.0f} | {100 * f.gap:.2f} % | {f.runtime_s:.2f} | "
              f"{e.runtime_s / f.runtime_s:.0f}x |", flush=True)


def sydney(total: int) -> None:
    """The city-scale run (fast method only)."""
    t0 = time.perf_counter()
    p = center_out("sydney", total).problem
    build = time.perf_counter() - t0
    f = plan(p, method="fast")
    print(f"sydney {total:,}: build {build:.1f} s, plan {f.runtime_s:.1f} s, step {f.time_step_s:.0f} s, "
          f"T = {f.evacuation_time_s / 60:.0f} min, "
          f"LB = {f.lower_bound_s / 60:.0f} min, certified gap {100 * f.gap:.1f} %, groups {f.n_groups:,}, "
          f"unplanned {int(f.unplanned.sum()):,}, peak RSS {rss_gb():.2f} GB", flush=True)
    validate_plan(p, f)


def bundled() -> None:
    """The bundled default scenario (fast method): evacuation time, certified bound and planning time."""
    from evacplan.problem import load_problem

    p = load_problem(None)
    f = plan(p, method="fast")
    print(f"bundled: plan {f.runtime_s:.1f} s, T = {f.evacuation_time_s / 60:.0f} min, "
          f"LB = {f.lower_bound_s / 60:.0f} min, certified gap {100 * f.gap:.2f} %", flush=True)
    validate_plan(p, f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="skip the Sydney run")
    ap.add_argument("--sydney", type=int, default=100_000, help="persons in the Sydney run")
    ap.add_argument("--sydney-only", action="store_true", help="only the Sydney run")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, "
          f"python {platform.python_version()}")
    if not args.sydney_only:
        quality()
        bundled()
    if not args.quick:
        sydney(args.sydney)


if __name__ == "__main__":
    main()
