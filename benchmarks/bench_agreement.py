"""Plans that hold: the plan's figures against the simulator's, following the plan, and against self-routing.

For each instance: plan it (fast method), check the plan (``validate_plan``), count its exposure as the simulator
counts it (:func:`evacplan.assessment.exposure.plan_exposure`), then simulate it at compliance 1.0, 0.8 and 0.6
(the share following the plan; the others route themselves) and with nobody following it (0.0: everyone on their
own shortest way, re-routing on congestion). Printed as a Markdown table for ``benchmarks/RESULTS.md``.

Instances: the bundled default scenario and each of its variants that changes the problem (the compliance-only
variant is the 0.6 row of the baseline), the center-out demand of the simulator's peer benchmark on four TNTP
networks (vehicles; Chicago also walking), and an OpenStreetMap area made by ``evacplan new`` (walking).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_agreement            # everything (about 30-60 min on 2 cores)
    .venv/bin/python -m benchmarks.bench_agreement --quick    # without the bundled scenario and its variants

Bars (issue 17): at compliance 1 the simulated evacuation time and 90 % time within 5 % of the plan's, the
persons inside a danger zone after its deadline within 1 % of the evacuees; following the plan never worse than
self-routing (evacuation time, 90 % time, person-minutes of exposure).
"""

from __future__ import annotations

import argparse
import math
import platform
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.instances import SHARED, WALK, center_out
from evacplan.assessment.exposure import plan_exposure
from evacplan.planning import plan, validate_plan
from evacplan.problem.problem import Problem
from evacplan.simulation import simulate

COMPLIANCE = (1.0, 0.8, 0.6, 0.0)
#: Deadline of the center-out danger zone (people are released over its first hour), minutes.
DEADLINE = 45.0


def _minutes(s: float) -> str:
    return "never" if not math.isfinite(s) else f"{s / 60:.1f}"


def _pct(a: float, b: float) -> str:
    if not (math.isfinite(a) and math.isfinite(b)) or b == 0:
        return "-"
    return f"{100 * (a / b - 1):+.1f} %"


def measure(name: str, problem: Problem, out: list[dict[str, object]], seed: int = 0) -> None:
    """Plan ``problem``, simulate it at each compliance of :data:`COMPLIANCE`, print one table row per run."""
    pl = plan(problem, method="fast")
    validate_plan(problem, pl)
    pe = plan_exposure(problem, pl)
    ev = problem.demand.total
    p_t, p90 = pl.evacuation_time_s, pl.time_to_share(0.9)
    p_pm = float(pe.person_minutes_by_zone.sum())
    runs: dict[float, dict[str, float]] = {}
    for c in COMPLIANCE:
        t0 = time.perf_counter()
        sim = simulate(problem, pl if c > 0 else None, compliance=c, seed=seed)
        wall = time.perf_counter() - t0
        s_t, s90 = sim.evacuation_time_s, sim.time_to_share(0.9)
        s_pm = float(sim.exposure_person_min_by_zone.sum())
        runs[c] = {"T": s_t, "t90": s90, "pm": s_pm}
        row = {
            "instance": name, "compliance": c, "evacuees": ev, "plan_T": p_t, "sim_T": s_t, "plan_t90": p90,
            "sim_t90": s90, "plan_exposed": pe.exposed, "sim_exposed": sim.exposed, "plan_pm": p_pm, "sim_pm": s_pm,
            "plan_s": pl.runtime_s, "sim_s": wall, "lb": pl.lower_bound_s,
        }
        out.append(row)
        d_exp = 100 * (sim.exposed - pe.exposed) / max(ev, 1)
        print(f"| {name} | {problem.network.n_nodes:,} | {ev:,} | {c:.1f} | {_minutes(p_t)} | {_minutes(s_t)} | "
              f"{_pct(s_t, p_t)} | {_minutes(p90)} | {_minutes(s90)} | {_pct(s90, p90)} | {pe.exposed:,} | "
              f"{sim.exposed:,} | {d_exp:+.2f} % | {p_pm:,.0f} | {s_pm:,.0f} | {pl.runtime_s:.1f} | {wall:.1f} |",
              flush=True)
    follow, own = runs[1.0], runs[0.0]
    better = all(follow[k] <= own[k] + 1e-6 for k in ("T", "t90", "pm"))
    print(f"|  | {name}: following the plan {'never worse than' if better else '**worse than**'} self-routing "
          f"(T {_minutes(follow['T'])} vs {_minutes(own['T'])}, 90 % {_minutes(follow['t90'])} vs "
          f"{_minutes(own['t90'])}, person-min {follow['pm']:,.0f} vs {own['pm']:,.0f}) |", flush=True)


def bundled_instances() -> Iterator[tuple[str, Callable[[], Problem]]]:
    """The bundled default and its variants that change the problem (as ``evacplan run`` builds them)."""
    from evacplan.problem import build_problem, load_problem
    from evacplan.problem.mobilization import delay_departures
    from evacplan.scenario import load_scenario
    from evacplan.scenario.variants import variant_scenario

    yield "bundled (Rafah on Malta)", lambda: load_problem(None)
    scenario = load_scenario(None)
    for spec in scenario.variants:
        if spec.changes_network:
            def make(spec=spec) -> Problem:  # type: ignore[no-untyped-def]
                with tempfile.TemporaryDirectory(prefix="bench-variant-") as tmp:
                    return build_problem(variant_scenario(scenario, spec, tmp))
            yield f"bundled: {spec.name}", make
        elif spec.mobilization_delay_min:
            yield f"bundled: {spec.name}", lambda spec=spec: delay_departures(load_problem(None),  # type: ignore[misc]
                                                                               spec.mobilization_delay_min)


def osm_instance() -> Problem:
    """Sliema and St Julian's (Malta, OSM 2018): 150,000 people spread over the streets, a central danger zone."""
    from evacplan.create import new_scenario
    from evacplan.problem import load_problem

    with tempfile.TemporaryDirectory(prefix="bench-osm-") as tmp:
        folder = Path(tmp) / "sliema"
        new_scenario(folder, osm=SHARED / "osm" / "malta-2018.osm.pbf", bbox="14.47,35.895,14.515,35.925",
                     people=150_000, spread="streets", clear_by_min=120.0, name="sliema")
        return load_problem(folder / "scenario.toml")


REAL: list[tuple[str, Callable[[], Problem]]] = [
    ("SiouxFalls 50k vehicles", lambda: center_out("siouxfalls", 50_000, deadline_min=DEADLINE).problem),
    ("Anaheim 50k vehicles", lambda: center_out("anaheim", 50_000, deadline_min=DEADLINE).problem),
    ("Chicago 100k vehicles", lambda: center_out("chicago", 100_000, deadline_min=DEADLINE).problem),
    ("Chicago 50k walking",
     lambda: center_out("chicago", 50_000, modes=WALK, deadline_min=DEADLINE, horizon_min=3000).problem),
    ("Sydney 200k vehicles",
     lambda: center_out("sydney", 200_000, deadline_min=DEADLINE, horizon_min=3000).problem),
    ("Sliema OSM 33k walking", osm_instance),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="skip the bundled scenario and its variants")
    ap.add_argument("--only", default="", help="run only instances whose name contains this text")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {__import__('os').cpu_count()} cores, python {platform.python_version()}")
    print("| instance | nodes | evacuees | compliance | plan T (min) | sim T (min) | sim/plan | plan 90 % | sim 90 % | "
          "sim/plan | plan exposed | sim exposed | (sim-plan)/evacuees | plan person-min | sim person-min | "
          "plan s | sim s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    instances = list(REAL) if args.quick else [*bundled_instances(), *REAL]
    out: list[dict[str, object]] = []
    for name, make in instances:
        if args.only and args.only.lower() not in name.lower():
            continue
        measure(name, make(), out)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
