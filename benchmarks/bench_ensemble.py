"""Ensemble benchmark: members of the bundled scenario on 1 and 2 Dask worker processes; time per member, speed-up.

usage::

    /work/venv/bin/python -m benchmarks.bench_ensemble                   # 100 self-routing members; 1, 2 workers
    /work/venv/bin/python -m benchmarks.bench_ensemble --plan PLAN_DIR   # members follow a plan (evacplan plan)
    /work/venv/bin/python -m benchmarks.bench_ensemble --runs 20 --workers 2   # other sizes

For each worker count the benchmark starts a local Dask cluster of that many processes (one thread each; timed apart
as *startup*), then runs the ensemble on it through its scheduler address (``run_ensemble(scheduler=...)``) into a
fresh folder: the *run* time includes sending the problem (and plan) to the workers, each worker's first member
(numba loads its compiled kernels from the on-disk cache) and combining the results. Members draw from the bundled
scenario's ``[uncertainty]`` table. The benchmark then checks that both runs gave identical members.

On a shared machine other programs take CPU from the workers; each case therefore also reports the worker processes'
CPU seconds per member and ``others_cores``, the average number of cores other programs kept busy during the run
(from ``/proc/stat``), and ``--wait-idle S`` waits for idle CPUs before each case.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evacplan.ensemble import MemberSettings, UncertaintySpec, dask_client, load_members, run_ensemble  # noqa: E402
from evacplan.problem import load_problem  # noqa: E402
from evacplan.scenario import load_scenario  # noqa: E402


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine since boot (``/proc/stat``), all cores together."""
    fields = [float(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _worker_cpu(client: Any) -> float:
    return float(sum(client.run(_own_cpu).values()))


def wait_idle(max_wait_s: float, busy_below: float = 0.15) -> bool:
    """Wait (at most ``max_wait_s``) until the machine's CPUs are busy less than ``busy_below`` of 5 s."""
    deadline = time.monotonic() + max_wait_s
    while True:
        b0, t0 = _machine_cpu()
        time.sleep(5)
        b1, t1 = _machine_cpu()
        if (b1 - b0) / max(t1 - t0, 1e-9) < busy_below:
            return True
        if time.monotonic() > deadline:
            return False


def bench(problem: Any, spec: UncertaintySpec, plan: Any, runs: int, workers: int, out: Path,
          settings: MemberSettings) -> dict[str, Any]:
    """Time one ensemble of ``runs`` members on a fresh local cluster of ``workers`` processes.

    Besides wall times, measures the CPU seconds of the worker processes and of this process (which also hosts the
    scheduler), and the CPU seconds the rest of the machine used meanwhile (``others_cores``: the average number of
    cores other programs kept busy during the run), since the machine may be shared.
    """
    shutil.rmtree(out, ignore_errors=True)
    load_before = _load()
    t0 = time.perf_counter()
    with dask_client(None, workers) as client:
        client.wait_for_workers(workers)
        startup = time.perf_counter() - t0
        w0, own0, (m0, _) = _worker_cpu(client), _own_cpu(), _machine_cpu()
        t1 = time.perf_counter()
        run = run_ensemble(problem, out, runs=runs, spec=spec, plan=plan, settings=settings,
                           scheduler=client.scheduler.address)
        wall = time.perf_counter() - t1
        w1, own1, (m1, _) = _worker_cpu(client), _own_cpu(), _machine_cpu()
    recs = load_members(out, runs)
    member_s = [r["runtime_s"] for r in recs]
    worker_cpu, own_cpu = w1 - w0, own1 - own0
    others = max((m1 - m0) - worker_cpu - own_cpu, 0.0)
    return {
        "workers": workers,
        "runs": runs,
        "startup_s": round(startup, 2),
        "run_s": round(wall, 2),
        "wall_per_member_s": round(wall / runs, 3),
        "member_runtime_mean_s": round(sum(member_s) / runs, 3),
        "member_runtime_min_s": round(min(member_s), 3),
        "worker_cpu_s": round(worker_cpu, 1),
        "worker_cpu_per_member_s": round(worker_cpu / runs, 3),
        "client_cpu_s": round(own_cpu, 1),
        "others_cores": round(others / wall, 2),
        "members_computed": len(run.computed),
        "load_before": load_before,
        "load_after": _load(),
    }


def main() -> None:
    """Run the benchmark and print its figures as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--plan", type=Path, default=None, help="plan folder (default: self-routing evacuees)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "ensemble")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="before each case, wait up to S seconds for the machine's CPUs to be idle (shared machines)")
    args = ap.parse_args()

    problem = load_problem(None)
    spec = load_scenario(None).uncertainty or UncertaintySpec()
    plan = None
    if args.plan is not None:
        from evacplan.planning import read_plan

        plan = read_plan(args.plan, problem)
    settings = MemberSettings()
    rows = []
    for k in args.workers:
        idle = wait_idle(args.wait_idle) if args.wait_idle > 0 else None
        rows.append({**bench(problem, spec, plan, args.runs, k, args.out / f"w{k}", settings), "idle_at_start": idle})
    result: dict[str, Any] = {
        "scenario": problem.name,
        "evacuees": int(problem.demand.total),
        "plan": str(args.plan) if args.plan else "none (self-routing)",
        "packet_size": settings.packet_size,
        "dt_s": settings.dt_s,
        "cpus": os.cpu_count(),
        "results": rows,
    }
    if len(rows) >= 2:
        base = rows[0]
        for r in rows[1:]:
            r["speedup"] = round(base["run_s"] / r["run_s"], 2)
            r["speedup_with_startup"] = round((base["run_s"] + base["startup_s"]) / (r["run_s"] + r["startup_s"]), 2)
        ref = load_members(args.out / f"w{rows[0]['workers']}", args.runs)
        for r in rows[1:]:
            other = load_members(args.out / f"w{r['workers']}", args.runs)
            same = all({k: v for k, v in a.items() if k != "runtime_s"} == {k: v for k, v in b.items()
                                                                           if k != "runtime_s"}
                       for a, b in zip(ref, other, strict=True))
            r["identical_to_first"] = same
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
