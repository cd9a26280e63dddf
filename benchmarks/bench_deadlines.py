"""Deadline certificates on the bundled default: the plan's persons safe by each deadline beside the certified most.

Run with ``python -m benchmarks.bench_deadlines [--deadline MIN]``: plans the default (fast, quickest objective),
then certifies each danger zone's deadline as shipped and with the earliest deadline moved to ``MIN`` minutes.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

import evacplan
from evacplan.planning import plan
from evacplan.planning.deadlines import deadline_certificates
from evacplan.planning.model import planning_model


def main() -> None:
    """Plan, certify and print one line per danger zone."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--deadline", type=float, default=240.0, help="earliest deadline to try as well, minutes")
    args = ap.parse_args()
    t = time.perf_counter()
    p = evacplan.load_problem()
    print(f"load {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    r = plan(p, deadlines=False)
    print(f"plan {time.perf_counter() - t:.1f} s: evacuation {r.evacuation_time_s / 60:.0f} min, "
          f"bound {r.lower_bound_s / 60:.0f} min", flush=True)
    model = planning_model(p)
    for minutes in (None, args.deadline):
        q = p
        if minutes is not None:
            dl = p.zones.danger_deadline_s.copy()
            dl[int(np.argmin(dl))] = minutes * 60.0
            q = replace(p, zones=replace(p.zones, danger_deadline_s=dl))
        t = time.perf_counter()
        certs = deadline_certificates(q, model, r)
        print(f"certificates ({'as shipped' if minutes is None else f'earliest at {minutes:g} min'}) "
              f"{time.perf_counter() - t:.1f} s", flush=True)
        for c in certs:
            kind = "exact" if c.exact else f"relaxation q={c.condensation}"
            print(f"  {c.sentence()} [{kind}; left at {c.left_origins} origins; extra {list(c.extra)}]", flush=True)


if __name__ == "__main__":
    main()
