"""Planner benchmark: fast vs exact on toy grids and real TNTP networks, plus the city-scale run.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_plan            # quality table (fast vs exact) + Sydney
    .venv/bin/python -m benchmarks.bench_plan --quick    # skip the Sydney run
    .venv/bin/python -m benchmarks.bench_plan --sydney 1000000 --sydney-only   # only Sydney, 1,000,000 persons
    .venv/bin/python -m benchmarks.bench_plan --city     # Berlin-Center and Sydney at 20k/60k/100k: fast vs exact

Figures go to stdout as a Markdown table (copied into ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import resource
import subprocess
import sys
import threading
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
    warm = grid(6, 500)  # load numba's cached kernels of both methods before the first timed plan
    plan(warm, method="fast")
    plan(warm, method="exact")
    for name, make in INSTANCES:
        p = make()
        f = plan(p, method="fast")
        validate_plan(p, f)
        e = plan(p, method="exact")
        validate_plan(p, e)
        ratio = f.evacuation_time_s / e.evacuation_time_s - 1
        print(f"| {name} | {p.network.n_nodes} | {p.network.n_edges} | {p.demand.total} | "
              f"{e.evacuation_time_s / 60:.0f} | {e.runtime_s:.2f} | {f.evacuation_time_s / 60:.0f} | "
              f"{100 * ratio:.2f} % | {f.lower_bound_s / 60:.0f} | {100 * f.gap:.2f} % | {f.runtime_s:.2f} | "
              f"{e.runtime_s / f.runtime_s:.1f}x |", flush=True)


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


#: The city suite: (label, TNTP network, persons), vehicles, 60 s steps, center-out.
CITY = [(f"{label}, {k}k", name, k * 1000) for label, name in (("Berlin-Center", "berlin"), ("Sydney", "sydney"))
        for k in (20, 60, 100)]
#: Horizon (and so the danger zone's deadline) of the city instances, minutes: two days, well beyond any plan of
#: the suite (the slowest, Sydney 100k, ends near 1,250 min), so that the deadline never binds and both methods
#: plan everyone by the quickest evacuation. ``center_out``'s default of 720 min is shorter than Sydney 100k needs.
CITY_HORIZON_MIN = 2880.0
#: Wall-clock limit of one ``exact`` run (the bar: "where exact finishes in 10 minutes"), after the instance is built.
EXACT_LIMIT_S = 600.0


def city_one(name: str, total: int, method: str) -> None:
    """Child process of :func:`city`: build one city instance, plan it with ``method``, validate, print JSON."""
    import logging

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    p = center_out(name, total, horizon_min=CITY_HORIZON_MIN).problem
    print("BUILT", flush=True)
    c0 = time.process_time()
    f = plan(p, method=method)
    cpu = time.process_time() - c0
    validate_plan(p, f)
    out = {"nodes": p.network.n_nodes, "edges": p.network.n_edges, "persons": int(p.demand.total),
           "T": f.evacuation_time_s / 60, "LB": f.lower_bound_s / 60, "gap": f.gap, "s": f.runtime_s, "cpu": cpu,
           "rss_gb": rss_gb(), "evacuated": int(f.evacuated), "unplanned": int(f.unplanned.sum()),
           "step": f.time_step_s, "groups": int(f.n_groups)}
    print("RESULT " + json.dumps(out), flush=True)


def _child(name: str, total: int, method: str, limit_s: float | None, log: str) -> dict | str:
    """Run :func:`city_one` in a fresh process; kill it ``limit_s`` seconds after its instance is built."""
    cmd = [sys.executable, "-m", "benchmarks.bench_plan", "--city-one", name, str(total), method]
    with open(log, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            for x in proc.stdout or ():
                lines.put(x)

        threading.Thread(target=pump, daemon=True).start()
        deadline = None
        t0 = time.perf_counter()
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.perf_counter())
            try:
                line = lines.get(timeout=wait if wait is not None else 3600)
            except queue.Empty:
                if deadline is not None and time.perf_counter() >= deadline:
                    proc.kill()
                    proc.wait()
                    return f"did not finish in {limit_s / 60:.0f} min"
                if proc.poll() is not None:
                    break
                continue
            if line.startswith("BUILT"):
                t0 = time.perf_counter()
                deadline = None if limit_s is None else t0 + limit_s
            elif line.startswith("RESULT "):
                proc.wait()
                res: dict = json.loads(line[7:])
                res["wall"] = time.perf_counter() - t0
                return res
        proc.wait()
    return f"failed (exit {proc.returncode}, see {log})"


def city(logdir: str = "/tmp/bench_city", exact_from: str | None = None) -> None:
    """Fast against exact on the city suite: each run in a fresh process (its own peak RSS and CPU time); exact is
    stopped 10 minutes after its instance is built. Every plan is checked by ``validate_plan``. Results also go to
    ``logdir/results.json``; ``exact_from`` (such a file) reuses its exact runs instead of running exact again."""
    os.makedirs(logdir, exist_ok=True)
    earlier = json.loads(open(exact_from).read()) if exact_from else {}
    results: dict[str, dict] = {}
    print(f"horizon {CITY_HORIZON_MIN:.0f} min, vehicles, 60 s step, exact stopped after {EXACT_LIMIT_S:.0f} s; "
          f"logs in {logdir}", flush=True)
    print("| instance | nodes | edges | persons | exact T (min) | exact s (CPU s) | exact RSS GB | fast T (min) | "
          "fast/exact - 1 | fast LB (min) | fast gap | fast s (CPU s) | fast RSS GB | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, name, total in CITY:
        tag = f"{logdir}/{name}-{total // 1000}k"
        f = _child(name, total, "fast", None, f"{tag}-fast.log")
        if exact_from:
            e = earlier[label]["exact"] if label in earlier else "not run (--exact-from has no such instance)"
        else:
            e = _child(name, total, "exact", EXACT_LIMIT_S, f"{tag}-exact.log")
        results[label] = {"fast": f, "exact": e}
        with open(f"{logdir}/results.json", "w") as fh:
            json.dump(results, fh, indent=1)
        if isinstance(f, str):
            print(f"| {label} | | | {total} | | | | fast {f} | | | | | | |", flush=True)
            continue
        fast_cells = (f"{f['T']:.0f}", f"{f['LB']:.0f}", f"{100 * f['gap']:.2f} %", f"{f['s']:.1f} ({f['cpu']:.1f})",
                      f"{f['rss_gb']:.2f}")
        if isinstance(e, str):
            ecells = (e, "", "")
            ratio = speed = ""
        else:
            ecells = (f"{e['T']:.0f}", f"{e['s']:.1f} ({e['cpu']:.1f})", f"{e['rss_gb']:.2f}")
            ratio = f"{100 * (f['T'] / e['T'] - 1):.2f} %"
            speed = f"{e['s'] / f['s']:.2f}x"
        print(f"| {label} | {f['nodes']} | {f['edges']} | {f['persons']} | {ecells[0]} | {ecells[1]} | {ecells[2]} | "
              f"{fast_cells[0]} | {ratio} | {fast_cells[1]} | {fast_cells[2]} | {fast_cells[3]} | {fast_cells[4]} | "
              f"{speed} |", flush=True)
        print(f"<!-- {label}: fast {json.dumps(f)}; exact {json.dumps(e)} -->", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="skip the Sydney run")
    ap.add_argument("--sydney", type=int, default=100_000, help="persons in the Sydney run")
    ap.add_argument("--sydney-only", action="store_true", help="only the Sydney run")
    ap.add_argument("--city", action="store_true", help="only the city suite (Berlin-Center, Sydney; fast vs exact)")
    ap.add_argument("--city-logs", default="/tmp/bench_city", help="folder for the city suite's logs and results")
    ap.add_argument("--exact-from", help="city suite: reuse the exact runs of this results.json")
    ap.add_argument("--city-one", nargs=3, metavar=("NETWORK", "PERSONS", "METHOD"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.city_one:
        city_one(args.city_one[0], int(args.city_one[1]), args.city_one[2])
        return
    print(f"machine: {platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, "
          f"python {platform.python_version()}")
    if args.city:
        city(args.city_logs, args.exact_from)
        return
    if not args.sydney_only:
        quality()
        bundled()
    if not args.quick:
        sydney(args.sydney)


if __name__ == "__main__":
    main()
