"""Simulator benchmark: evacplan against UXsim on Chicago-Sketch (center-out), and the Sydney scale bar.

usage::

    /work/venv/bin/python benchmarks/bench_simulate.py                 # Chicago: evacplan, UXsim cpp2 and py
    /work/venv/bin/python benchmarks/bench_simulate.py --skip-py       # without UXsim's Python engine (~3 min)
    /work/venv/bin/python benchmarks/bench_simulate.py --sydney        # also 1,000,000 persons on Sydney, 12 h

Chicago-Sketch, 100,000 persons from the central fifth of the nodes to the 8 most peripheral ones over one hour
(``center_out``), platoon/packet 10, 6 h horizon, 2 threads. The network is built here exactly as
``shared/bench/uxsim_center_out.py`` builds UXsim's: length = max(TNTP length, 20 m), free speed clipped to
[3, 33] m/s, lanes = round(capacity / 1800) in [1, 4], jam density kappa = 0.2 veh/m; UXsim's capacity is then
``u w kappa / (u + w)`` with backward wave speed ``w = lanes / (tau kappa)`` and reaction time ``tau = 1 s``
(uxsim.py ``Link.__init__``), and its storage ``kappa * length``. Every person drives (1 person per vehicle).

evacplan routes each origin to UXsim's destination for it (``destination=``) and re-routes every 600 s (UXsim's
``duo_update_time``) on free time plus queue delay, with half of the packets keeping the previous routes
(``route_mix``, UXsim's route-preference weight 0.5). UXsim runs as a subprocess of its unchanged script; arrival
times are read from its vehicles afterwards. Timings exclude numba's one-off compilation (cached on disk; measured
and reported separately).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.instances import SHARED, TNTP, center_out  # noqa: E402
from evacplan.network.graph import Network, csr_from_edges  # noqa: E402
from evacplan.network.zones import ZoneMap  # noqa: E402
from evacplan.population.demand import Demand  # noqa: E402
from evacplan.problem.problem import Problem  # noqa: E402
from evacplan.problem.reach import reachable_rows  # noqa: E402

PEER = ROOT.parent / "shared" / "bench" / "uxsim_center_out.py"
KAPPA, TAU = 0.2, 1.0

_UXSIM_DUMP = r"""
import json, runpy, sys
import numpy as np
sys.argv = [sys.argv[1]] + sys.argv[2:]
g = runpy.run_path(sys.argv[0], run_name="__main__")
W = g["W"]
t = [v.arrival_time * W.DELTAT for v in W.VEHICLES.values() if v.state == "end" and v.arrival_time >= 0]
hours = np.bincount((np.asarray(t) // 3600).astype(int), minlength=7) * W.DELTAN
print("ARRIVALS_PER_HOUR " + json.dumps(hours.tolist()))
"""


def read_tntp_like_uxsim(name: str):
    """Links and nodes parsed exactly as the UXsim script does (same skips, same order)."""
    net_file, node_file = TNTP[name]
    rows, started = [], False
    for line in open(SHARED / net_file):
        if line.startswith("~"):
            started = True
            continue
        if not started or not line.strip() or line.lstrip().startswith("<"):
            continue
        t = line.replace(";", "").split()
        rows.append((int(t[0]), int(t[1]), float(t[2]), float(t[3]), float(t[4])))
    xy = {}
    for line in open(SHARED / node_file):
        t = line.replace(";", "").split()
        if t and t[0].isdigit():
            xy[int(t[0])] = (float(t[1]), float(t[2]))
    return rows, xy


def uxsim_network(name: str) -> tuple[Network, dict[int, int]]:
    """The peer's network as an evacplan :class:`Network` (one mode, ``vehicle``, 1 person per vehicle)."""
    links, xy = read_tntp_like_uxsim(name)
    lonlat = abs(next(iter(xy.values()))[0]) < 200
    km_per = 1.0 if lonlat else 1.609
    ids = sorted(xy)
    pos = {v: i for i, v in enumerate(ids)}
    tail, head, length, speed, cap, store = [], [], [], [], [], []
    for a, b, c, L, fftt in links:
        if a == b or a not in xy or b not in xy:
            continue
        le = max(L * km_per * 1000, 20.0)
        v = le / max(fftt * 60, 1.0) if fftt > 0 else 13.9
        v = min(max(v, 3.0), 33.0)
        lanes = max(1, min(4, int(round(c / 1800)))) if c > 0 else 1
        w = lanes / (TAU * KAPPA)
        tail.append(pos[a])
        head.append(pos[b])
        length.append(le)
        speed.append(v)
        cap.append(v * w * KAPPA / (v + w))
        store.append(KAPPA * le)
    tail_a, head_a = np.array(tail), np.array(head)
    order, indptr = csr_from_edges(len(ids), tail_a, head_a)
    net = Network(
        node_id=np.array(ids, dtype=np.int64),
        x=np.array([xy[i][0] for i in ids]),
        y=np.array([xy[i][1] for i in ids]),
        crs="",
        indptr=indptr,
        tail=tail_a[order].astype(np.int32),
        head=head_a[order].astype(np.int32),
        length_m=np.array(length)[order],
        modes=("vehicle",),
        speed_mps=np.array(speed)[order][None, :],
        capacity_per_s=np.array(cap)[order][None, :],
        storage=np.array(store)[order],
        edge_id=order.astype(np.int64),
    )
    net.validate()
    return net, pos


def chicago_problem(total: int) -> tuple[Problem, np.ndarray]:
    """center_out's demand on the peer's network, with each row's fixed destination node index."""
    inst = center_out("chicago", total, horizon_min=360.0)
    base = inst.problem
    net, pos = uxsim_network("chicago")
    remap = np.array([pos[int(i)] for i in base.network.node_id])
    # cross-check center_out's destinations against the script's sequential draws
    _, xy = read_tntp_like_uxsim("chicago")
    ids = np.array(sorted(xy))
    P = np.array([xy[i] for i in ids])
    d = np.hypot(*(P - P.mean(0)).T)
    orig, dest = ids[d < np.quantile(d, 0.2)], ids[np.argsort(-d)[:8]]
    rng = np.random.default_rng(0)
    script_dest = np.array([pos[int(dest[rng.integers(len(dest))])] for _ in orig])
    dest_idx = remap[inst.destination]
    assert np.array_equal(script_dest, dest_idx), "center_out destinations differ from the peer script's"
    assert np.array_equal(np.array([pos[int(o)] for o in orig]), remap[base.demand.origin])
    z = base.zones
    zones = ZoneMap(z.danger_names, z.danger_deadline_s, z.node_danger[np.argsort(remap)],
                    z.safe_names, z.safe_capacity, z.node_safe[np.argsort(remap)], z.safe_area_m2)
    dm = base.demand
    demand = Demand(remap[dm.origin].astype(np.int32), dm.group, dm.mode, dm.count, dm.danger, dm.curve, dm.groups)
    problem = Problem(
        name="chicago-center-out-uxsim-net", network=net, zones=zones, demand=demand, modes=base.modes,
        departure_cdf=base.departure_cdf, time_step_s=base.time_step_s, horizon_s=6 * 3600.0,
        reachable=reachable_rows(net, zones, demand),
    )
    problem.validate()
    return problem, dest_idx


def run_uxsim(mode: str, total: int) -> dict:
    net_file, node_file = TNTP["chicago"]
    cmd = [sys.executable, "-c", _UXSIM_DUMP, str(PEER), str(SHARED / net_file), str(SHARED / node_file),
           str(total), "10", mode]
    env = dict(os.environ, TMAX_H="6")
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    wall = time.perf_counter() - t0
    line = next(s for s in out.splitlines() if s.startswith("mode="))
    fields = dict(kv.split("=") for kv in line.split())
    hours = json.loads(next(s for s in out.splitlines() if s.startswith("ARRIVALS_PER_HOUR")).split(" ", 1)[1])
    return {"engine": f"uxsim-{mode}", "build_s": float(fields["build_s"]), "sim_s": float(fields["sim_s"]),
            "maxrss_MB": float(fields["maxrss_MB"]), "trips": float(fields["trips"]),
            "completed": float(fields["completed"]), "wall_s": wall, "per_hour": hours}


def run_evacplan(problem: Problem, dest: np.ndarray) -> dict:
    from evacplan.simulation import simulate

    t0 = time.perf_counter()
    r = simulate(problem, destination=dest, packet_size=10, dt_s=10.0, horizon_s=6 * 3600.0, reroute_s=600.0,
                 route_mix=True, space=[1.0])
    sim = time.perf_counter() - t0
    hours = np.diff(r.cumulative(np.arange(8) * 3600.0))[:7]
    return {"engine": "evacplan", "sim_s": sim, "completed": r.evacuated, "trips": r.evacuees,
            "per_hour": np.round(hours).astype(int).tolist(), "packets": r.n_packets,
            "maxrss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def sydney(total: int = 1_000_000) -> dict:
    from evacplan.simulation import simulate

    t0 = time.perf_counter()
    inst = center_out("sydney", total, horizon_min=720.0)
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    r = simulate(inst.problem, packet_size=10, dt_s=10.0, horizon_s=12 * 3600.0)
    sim = time.perf_counter() - t1
    return {"instance": "sydney center-out", "nodes": inst.problem.network.n_nodes,
            "edges": inst.problem.network.n_edges, "persons": total, "build_s": round(build, 1),
            "sim_s": round(sim, 1), "evacuated": r.evacuated, "stranded": r.stranded, "en_route": r.en_route,
            "last_arrival_h": round(r.last_arrival_s / 3600, 2), "packets": r.n_packets,
            "maxrss_MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--total", type=int, default=100_000)
    ap.add_argument("--skip-py", action="store_true", help="skip UXsim's Python engine")
    ap.add_argument("--skip-uxsim", action="store_true", help="skip UXsim entirely")
    ap.add_argument("--sydney", action="store_true", help="also run the Sydney scale bar")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import numba

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    from evacplan.problem.toy import toy_problem
    from evacplan.simulation import simulate

    t0 = time.perf_counter()
    simulate(toy_problem(2, [(0, 1, 10.0, 1.0)], {0: 5}, {1: 0}, horizon_s=60), destination=np.array([1]))
    print(f"numba warm-up (compile or load cache): {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    problem, dest = chicago_problem(args.total)
    print(f"chicago: {problem.network.n_nodes} nodes, {problem.network.n_edges} links, "
          f"{problem.demand.total} persons, problem built in {time.perf_counter() - t0:.1f} s")
    rows = [run_evacplan(problem, dest)]
    if not args.skip_uxsim:
        rows.append(run_uxsim("cpp2", args.total))
        if not args.skip_py:
            rows.append(run_uxsim("py", args.total))
    ours = rows[0]
    for row in rows:
        print(json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}))
    for row in rows[1:]:
        cum_a, cum_b = np.cumsum(ours["per_hour"]), np.cumsum(row["per_hour"])
        diff = np.abs(cum_a - cum_b).max() / args.total
        print(f"vs {row['engine']}: speed-up {row['sim_s'] / ours['sim_s']:.1f}x (simulation), "
              f"max |cumulative arrivals difference| per hour = {100 * diff:.2f} % of the total")
    if args.sydney:
        print(json.dumps(sydney()))


if __name__ == "__main__":
    main()
