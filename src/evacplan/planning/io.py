"""Plan files: ``summary.json``, ``groups.parquet`` and ``edge_flows.parquet``, written atomically, read back."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from evacplan._atomic import atomic_path, write_json
from evacplan.planning.result import Plan
from evacplan.problem.problem import Problem

__all__ = ["SCHEMA_VERSION", "plan_summary", "read_plan", "write_plan"]

#: Version of the plan file layout.
SCHEMA_VERSION = 1


def _minutes(seconds: float) -> float | None:
    return None if not math.isfinite(seconds) else round(seconds / 60.0, 4)


def plan_summary(plan: Plan, problem: Problem) -> dict[str, Any]:
    """The figures of ``summary.json`` (times in minutes; ``null`` where undefined)."""
    d, zones = problem.demand, problem.zones
    no_path = int(d.count[~problem.reachable].sum()) if problem.reachable.size else 0
    danger = []
    grp_zone = d.danger[plan.row] if plan.n_groups else np.zeros(0, dtype=np.int32)
    for z, name in enumerate(zones.danger_names):
        sel = d.danger == z
        pop = int(d.count[sel].sum())
        left = int(plan.unplanned[sel].sum())
        arr = plan.arrival_s[grp_zone == z]
        clear = float(arr.max()) if arr.size else 0.0
        clear_min = _minutes(clear) if left == 0 else None
        deadline = float(zones.danger_deadline_s[z])
        danger.append({
            "name": name, "population": pop, "clearance_min": clear_min, "deadline_min": _minutes(deadline),
            "met": bool(left == 0 and clear <= deadline + 1e-9), "unplanned": left,
        })
    assigned = np.bincount(plan.safe_zone, weights=plan.count, minlength=len(zones.safe_names))
    safe = [
        {"name": n, "assigned": int(assigned[i]),
         "capacity": None if not math.isfinite(zones.safe_capacity[i]) else float(zones.safe_capacity[i])}
        for i, n in enumerate(zones.safe_names)
    ]
    gap = plan.gap
    return {
        "schema_version": SCHEMA_VERSION,
        "scenario": problem.name,
        "method": plan.method,
        "evacuees": int(d.count.sum()),
        "evacuated": plan.evacuated,
        "unreachable": no_path,
        "unplanned": int(plan.unplanned.sum()),
        "evacuation_time_min": _minutes(plan.evacuation_time_s),
        "lower_bound_min": _minutes(plan.lower_bound_s),
        "gap": None if not math.isfinite(gap) else round(gap, 6),
        "t50_min": _minutes(plan.time_to_share(0.5)),
        "t90_min": _minutes(plan.time_to_share(0.9)),
        "time_step_s": plan.time_step_s,
        "bound_model": plan.bound_model,
        "groups": plan.n_groups,
        "danger_zones": danger,
        "safe_zones": safe,
        "bottlenecks": list(plan.bottlenecks),
        "runtime_s": round(plan.runtime_s, 3),
        "unplanned_by_row": [[int(r), int(plan.unplanned[r])] for r in np.flatnonzero(plan.unplanned)],
    }


def write_plan(plan: Plan, problem: Problem, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``summary.json``, ``groups.parquet`` and ``edge_flows.parquet`` into ``out_dir`` (atomically each).

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    net, d, zones = problem.network, problem.demand, problem.zones
    rows = plan.row.astype(np.int64)
    indptr = plan.path_indptr.astype(np.int64)
    # node path = origin + head of each edge
    plen = np.diff(indptr)
    node_off = indptr + np.arange(indptr.size)
    nodes = np.empty(int(plen.sum()) + plan.n_groups, dtype=np.int64)
    first = node_off[:-1]
    nodes[first] = net.node_id[d.origin[rows]]
    mask = np.ones(nodes.size, dtype=bool)
    mask[first] = False
    nodes[mask] = net.node_id[net.head[plan.path_edges]]
    group_names = np.array([g.name for g in d.groups], dtype=object)
    mode_names = np.array(list(net.modes), dtype=object)
    safe_names = np.array(list(zones.safe_names), dtype=object)
    table = pa.table({
        "origin": pa.array(net.node_id[d.origin[rows]], pa.int64()),
        "group": pa.array(group_names[d.group[rows]].tolist() if rows.size else [], pa.string()),
        "mode": pa.array(mode_names[d.mode[rows]].tolist() if rows.size else [], pa.string()),
        "count": pa.array(plan.count, pa.int64()),
        "departure_min": pa.array(plan.departure_s / 60.0, pa.float64()),
        "destination": pa.array(safe_names[plan.safe_zone].tolist() if rows.size else [], pa.string()),
        "arrival_min": pa.array(plan.arrival_s / 60.0, pa.float64()),
        "path": pa.ListArray.from_arrays(pa.array(node_off, pa.int64()).cast(pa.int32()), pa.array(nodes)),
        "row": pa.array(rows, pa.int64()),
        "path_edges": pa.ListArray.from_arrays(pa.array(indptr.astype(np.int32)), pa.array(plan.path_edges)),
        "path_entry_min": pa.ListArray.from_arrays(
            pa.array(indptr.astype(np.int32)), pa.array(plan.path_entry_s / 60.0, pa.float64())
        ),
    })
    with atomic_path(out / "groups.parquet") as tmp:
        pq.write_table(table, tmp)
    write_edge_flows(plan, problem, out / "edge_flows.parquet")
    write_json(out / "summary.json", plan_summary(plan, problem))
    return out


def write_edge_flows(plan: Plan, problem: Problem, path: Path) -> None:
    """Persons entering each edge per time bin (only non-zero bins)."""
    net = problem.network
    step = plan.time_step_s or 60.0
    grp = np.repeat(np.arange(plan.n_groups), np.diff(plan.path_indptr))
    bins = np.rint(plan.path_entry_s / step).astype(np.int64)
    n_b = int(bins.max()) + 1 if bins.size else 1
    uk, inv = np.unique(plan.path_edges * n_b + bins, return_inverse=True)
    persons = np.bincount(inv, weights=plan.count[grp]).astype(np.int64) if uk.size else np.zeros(0, np.int64)
    e = uk // n_b
    table = pa.table({
        "edge": pa.array(e, pa.int64()),
        "from": pa.array(net.node_id[net.tail[e]], pa.int64()),
        "to": pa.array(net.node_id[net.head[e]], pa.int64()),
        "bin_start_min": pa.array((uk % n_b) * step / 60.0, pa.float64()),
        "persons": pa.array(persons, pa.int64()),
    })
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_plan(out_dir: str | os.PathLike[str], problem: Problem) -> Plan:
    """Read a plan written by :func:`write_plan` for ``problem``."""
    out = Path(out_dir)
    summary = json.loads((out / "summary.json").read_text())
    t = pq.read_table(out / "groups.parquet")
    pe = t.column("path_edges").combine_chunks()
    pt = t.column("path_entry_min").combine_chunks()
    indptr = np.asarray(pe.offsets, dtype=np.int64)
    unplanned = np.zeros(problem.demand.n_rows, dtype=np.int64)
    for r, k in summary.get("unplanned_by_row", []):
        unplanned[r] = k
    zone_index = {n: i for i, n in enumerate(problem.zones.safe_names)}
    evac = summary["evacuation_time_min"]
    lb = summary["lower_bound_min"]
    return Plan(
        method=summary["method"],
        row=t.column("row").to_numpy().astype(np.int32),
        count=t.column("count").to_numpy().astype(np.int64),
        departure_s=np.rint(t.column("departure_min").to_numpy() * 60.0 * 1e6) / 1e6,
        arrival_s=np.rint(t.column("arrival_min").to_numpy() * 60.0 * 1e6) / 1e6,
        safe_zone=np.array([zone_index[n] for n in t.column("destination").to_pylist()], dtype=np.int32),
        path_indptr=indptr - indptr[0],
        path_edges=np.asarray(pe.values, dtype=np.int64),
        evacuation_time_s=float(evac) * 60.0 if evac is not None else 0.0,
        lower_bound_s=float(lb) * 60.0 if lb is not None else 0.0,
        unplanned=unplanned,
        runtime_s=float(summary["runtime_s"]),
        bottlenecks=tuple(summary.get("bottlenecks", [])),
        path_entry_s=np.rint(np.asarray(pt.values, dtype=np.float64) * 60.0 * 1e6) / 1e6,
        time_step_s=float(summary.get("time_step_s", 0.0)),
        bound_model=str(summary.get("bound_model", "")),
    )
