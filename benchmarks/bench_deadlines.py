"""The deadlines objective and its certificates, on the bundled default and on real networks with two danger zones.

Run with ``python -m benchmarks.bench_deadlines [--quick] [--only TEXT]``. For each instance:

1. plan with the quickest objective (fast) and note its persons safe by each deadline and its evacuation time;
2. plan with the deadlines objective (fast, with the certificates): per danger zone the certified most persons safe
   by its deadline, the plan's figure and its share of the certificate, the quickest plan's figure;
3. simulate the deadlines plan at compliance 1 and count the persons of each zone safe by its deadline.

Where the plan's certificate of the first-priority zone is the relaxation's bound (the exact network above the
planner's budget) and the problem has one travel class, the benchmark also solves that zone's exact network with a
larger budget (``--referee-budget`` node copies; Sydney 100k: 10 M copies, about 2 min and 4.3 GB) and reports the
share against that exact maximum too.

Instances: the bundled default as shipped and with East's deadline moved to 240 min; and the center-out demand of
the simulator's peer benchmark (:func:`benchmarks.instances.center_out`) on SiouxFalls, Anaheim, Chicago (vehicles,
and walking) and Sydney, with its danger zone split at the median latitude of its origins into "north" and
"south" (two evacuation orders): north must be out by the time the quickest plan has 40 % of all evacuees safe,
south by the time it has 90 % safe (whole minutes), so that no plan can meet the first and the objective matters.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np

from benchmarks.instances import WALK, center_out
from evacplan.planning import plan
from evacplan.planning.deadlines import deadline_certificates, safe_by
from evacplan.planning.model import planning_model
from evacplan.planning.priority import deadline_order
from evacplan.planning.result import Plan
from evacplan.problem.problem import Problem
from evacplan.simulation import simulate

HEADER = ("| instance | zone | deadline (min) | evacuees | at most (certificate) | deadlines plan | share of the "
          "certificate | quickest plan | simulated (compliance 1) | sim vs plan | T deadlines plan (min) | T quickest "
          "plan (min) | plan s |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def two_zones(problem: Problem) -> Problem:
    """Split a center-out instance's danger zone at the median latitude of its origins: north (0) and south (1)."""
    net, d, z = problem.network, problem.demand, problem.zones
    y = net.y[d.origin]
    north = y >= np.median(y)
    danger = np.where(north, 0, 1).astype(np.int32)
    node_danger = z.node_danger.copy()
    node_danger[d.origin] = danger
    zones = replace(z, danger_names=("north", "south"), danger_deadline_s=np.array([np.inf, np.inf]),
                    node_danger=node_danger)
    return replace(problem, zones=zones, demand=replace(d, danger=danger))


def with_deadlines(problem: Problem, deadlines_s: list[float]) -> Problem:
    """The problem with new danger-zone deadlines (seconds)."""
    return replace(problem, zones=replace(problem.zones, danger_deadline_s=np.asarray(deadlines_s, float)))


#: Most node copies of the exact network the benchmark solves for the first-priority zone.
REFEREE_BUDGET = 12_000_000


def exact_first(p: Problem, pl: Plan, zone: int, budget: int) -> int | None:
    """The exact maximum of ``zone`` (the first-priority zone) by its deadline, on a network of at most ``budget``
    node copies; ``None`` where the problem has several travel classes or the network is larger."""
    alone = with_deadlines(p, [float(p.zones.danger_deadline_s[z]) if z == zone else math.inf
                               for z in range(len(p.zones.danger_names))])
    model = planning_model(alone)
    if model.n_classes != 1:
        return None
    (cert,) = deadline_certificates(alone, model, pl, node_budget=budget)
    return cert.max_safe_by_deadline if cert.exact else None


def run(name: str, problem: Problem, deadlines: Callable[[Problem, Plan], list[float]],
        referee_budget: int = REFEREE_BUDGET) -> None:
    """Plan quickest, set the deadlines, plan for them, simulate; print one row per danger zone."""
    quick = plan(problem, objective="quickest", deadlines=False)
    p = with_deadlines(problem, deadlines(problem, quick))
    t0 = time.perf_counter()
    pl = plan(p, objective="deadlines")
    wall = time.perf_counter() - t0
    sim = simulate(p, pl, compliance=1.0, seed=0)
    certs = {c.zone: c for c in pl.deadlines}
    for k, z in enumerate(deadline_order(p)):
        c = certs[z]
        dl = float(p.zones.danger_deadline_s[z])
        q_safe = safe_by(p, quick, z, dl)
        s_safe = sim.safe_by(z, dl)
        share = 100.0 * c.safe_by_deadline / c.max_safe_by_deadline if c.max_safe_by_deadline else 100.0
        diff = 100.0 * (s_safe - c.safe_by_deadline) / max(c.safe_by_deadline, 1)
        cert = f"{c.max_safe_by_deadline:,}" + ("" if c.exact else f" (relaxation q={c.condensation})")
        share_txt = f"{share:.2f} %"
        best = exact_first(p, pl, z, referee_budget) if k == 0 and not c.exact else None
        if best is not None:
            cert += f"; exact: {best:,}"
            share_txt += f" (of the exact: {100.0 * c.safe_by_deadline / best if best else 100.0:.2f} %)"
        print(f"| {name} | {'**' if k == 0 else ''}{c.name}{'**' if k == 0 else ''} | {dl / 60:.0f} | "
              f"{c.population:,} | {cert} | {c.safe_by_deadline:,} | {share_txt} | {q_safe:,} | {s_safe:,} | "
              f"{diff:+.2f} % | {pl.evacuation_time_s / 60:.0f} | {quick.evacuation_time_s / 60:.0f} | {wall:.1f} |",
              flush=True)


def _split(first: float, second: float) -> Callable[[Problem, Plan], list[float]]:
    """Deadlines at the times the quickest plan has ``first`` and ``second`` of all evacuees safe, whole minutes."""
    def make(_p: Problem, quick: Plan) -> list[float]:
        return [60.0 * math.floor(quick.time_to_share(first) / 60.0),
                60.0 * math.floor(quick.time_to_share(second) / 60.0)]
    return make


def _bundled(east_min: float | None) -> Callable[[Problem, Plan], list[float]]:
    def make(p: Problem, _quick: Plan) -> list[float]:
        dl = p.zones.danger_deadline_s.astype(float).copy()
        if east_min is not None:
            dl[int(np.argmin(dl))] = east_min * 60.0
        return list(dl)
    return make


def instances(quick: bool) -> Iterator[tuple[str, Callable[[], Problem], Callable[[Problem, Plan], list[float]]]]:
    """``(name, build, deadlines)`` of every instance."""
    half = _split(0.4, 0.9)
    yield "SiouxFalls 50k vehicles", lambda: two_zones(center_out("siouxfalls", 50_000).problem), half
    yield "Anaheim 50k vehicles", lambda: two_zones(center_out("anaheim", 50_000).problem), half
    yield "Chicago 100k vehicles", lambda: two_zones(center_out("chicago", 100_000).problem), half
    yield ("Chicago 50k walking",
           lambda: two_zones(center_out("chicago", 50_000, modes=WALK, horizon_min=3000).problem), half)
    yield ("Sydney 100k vehicles",
           lambda: two_zones(center_out("sydney", 100_000, horizon_min=3000).problem), half)
    if not quick:
        from evacplan.problem import load_problem

        yield "bundled (as shipped)", lambda: load_problem(None), _bundled(None)
        yield "bundled, East by 240 min", lambda: load_problem(None), _bundled(240.0)


def main() -> None:
    """Run every instance (or those whose name contains ``--only``) and print the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="skip the bundled scenario")
    ap.add_argument("--only", default="", help="run only instances whose name contains this text")
    ap.add_argument("--referee-budget", type=int, default=REFEREE_BUDGET,
                    help="most node copies of the exact network solved for a first-priority zone")
    args = ap.parse_args()
    print(HEADER, flush=True)
    for name, build, deadlines in instances(args.quick):
        if args.only and args.only not in name:
            continue
        run(name, build(), deadlines, args.referee_budget)


if __name__ == "__main__":
    main()
