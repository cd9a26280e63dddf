"""Plan files: ``summary.json``, ``groups.parquet``, ``steps.parquet`` and ``edge_flows.parquet``, written atomically,
read back."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numba import njit
from numpy.typing import NDArray

from evacplan._atomic import atomic_path, write_json
from evacplan.planning.deadlines import ZoneDeadline, safe_by
from evacplan.planning.holding import HoldingAreas
from evacplan.planning.paths import expand
from evacplan.planning.result import Plan
from evacplan.problem.problem import Problem

__all__ = ["SCHEMA_VERSION", "groups_table", "plan_summary", "read_plan", "write_plan"]

#: Version of the plan file layout.
SCHEMA_VERSION = 2


def _minutes(seconds: float) -> float | None:
    return None if not math.isfinite(seconds) else round(seconds / 60.0, 4)


def plan_summary(plan: Plan, problem: Problem) -> dict[str, Any]:
    """The figures of ``summary.json`` (times in minutes; ``null`` where undefined)."""
    d, zones = problem.demand, problem.zones
    no_path = int(d.count[~problem.reachable].sum()) if problem.reachable.size else 0
    danger = []
    grp_zone = d.danger[plan.row] if plan.n_groups else np.zeros(0, dtype=np.int32)
    certified = {c.zone: c for c in plan.deadlines}
    for z, name in enumerate(zones.danger_names):
        sel = d.danger == z
        pop = int(d.count[sel].sum())
        left = int(plan.unplanned[sel].sum())
        arr = plan.arrival_s[grp_zone == z]
        clear = float(arr.max()) if arr.size else 0.0
        clear_min = _minutes(clear) if left == 0 else None
        deadline = float(zones.danger_deadline_s[z])
        entry: dict[str, Any] = {
            "name": name, "population": pop, "clearance_min": clear_min, "deadline_min": _minutes(deadline),
            "met": bool(left == 0 and clear <= deadline + 1e-9), "unplanned": left,
            "safe_by_deadline": safe_by(problem, plan, z, deadline) if math.isfinite(deadline) else None,
            "max_safe_by_deadline": None,
        }
        if z in certified:
            entry.update(certified[z].to_dict())
        danger.append(entry)
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
        "objective": plan.objective,
        "quickest_time_min": _minutes(plan.quickest_time_s),
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
        "holding_areas": _holding_summary(plan, problem),
        "edge_full_windows": [[int(e), int(plan.edge_full_windows[e])] for e in np.flatnonzero(plan.edge_full_windows)],
        "runtime_s": round(plan.runtime_s, 3),
        "unplanned_by_row": [[int(r), int(plan.unplanned[r])] for r in np.flatnonzero(plan.unplanned)],
    }


def _holding_summary(plan: Plan, problem: Problem) -> list[dict[str, Any]]:
    """The holding areas of a staged plan (empty for another plan): gate node id and persons it holds."""
    if plan.holding is None:
        return []
    node_id = problem.network.node_id
    return [{"gate": int(node_id[g]), "capacity": float(c)} for g, c in zip(plan.holding.gate, plan.holding.capacity,
                                                                             strict=True)]


def _group_holding(plan: Plan, problem: Problem) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Gate node id of the holding area each group waits in (-1: none) and how long it waits there, seconds."""
    gate = np.full(plan.n_groups, -1, dtype=np.int64)
    wait = np.zeros(plan.n_groups)
    if plan.holding is None or plan.n_groups == 0:
        return gate, wait
    waits = plan.waits_s()
    g, e, s = expand(plan.path_start, plan.step_edge, plan.step_next, np.arange(plan.n_groups, dtype=np.int64))
    at = waits[s] > 0
    gate[g[at]] = problem.network.node_id[problem.network.tail[e[at]]]
    np.add.at(wait, g[at], waits[s[at]])
    return gate, wait


def groups_table(plan: Plan, problem: Problem) -> pa.Table:
    """One row per group: ``origin`` (node id), ``group``, ``mode``, ``count``, ``departure_min``,
    ``departure_span_min`` (its persons leave evenly over that many minutes from ``departure_min``; empty where the
    plan does not say: the whole window), ``destination``
    (safe zone), ``arrival_min``, ``path_start`` (first step, -1 when it does not move), ``path_edges``, ``row``
    (demand row); the table of ``groups.parquet`` and of :meth:`Plan.to_dataframe`."""
    net, d, zones = problem.network, problem.demand, problem.zones
    rows = plan.row.astype(np.int64)
    group_names = np.array([g.name for g in d.groups], dtype=object)
    mode_names = np.array(list(net.modes), dtype=object)
    hold_gate, hold_s = _group_holding(plan, problem)
    safe_names = np.array(list(zones.safe_names), dtype=object)
    return pa.table({
        "origin": pa.array(net.node_id[d.origin[rows]], pa.int64()),
        "group": pa.array(group_names[d.group[rows]].tolist() if rows.size else [], pa.string()),
        "mode": pa.array(mode_names[d.mode[rows]].tolist() if rows.size else [], pa.string()),
        "count": pa.array(plan.count, pa.int64()),
        "departure_min": pa.array(plan.departure_s / 60.0, pa.float64()),
        "departure_span_min": pa.array(plan.departure_span_s / 60.0 if plan.departure_span_s.shape == (len(rows),)
                                       else np.full(len(rows), np.nan), pa.float64()),
        "destination": pa.array(safe_names[plan.safe_zone].tolist() if rows.size else [], pa.string()),
        "arrival_min": pa.array(plan.arrival_s / 60.0, pa.float64()),
        "path_start": pa.array(plan.path_start, pa.int64()),
        "path_edges": pa.array(plan.path_length(), pa.int64()),
        "row": pa.array(rows, pa.int64()),
        "holding_gate": pa.array(hold_gate, pa.int64()),
        "holding_min": pa.array(hold_s / 60.0, pa.float64()),
    })


def write_plan(plan: Plan, problem: Problem, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``summary.json``, ``groups.parquet``, ``steps.parquet`` and ``edge_flows.parquet`` (atomically each),
    and for a staged plan ``holding_streets.parquet`` (the streets of its holding areas, whose gates and capacities
    are in the summary).

    ``groups.parquet`` holds one row per group with its first step (``path_start``, -1 when it does not move);
    ``steps.parquet`` the linked steps of the paths (:mod:`evacplan.planning.paths`): follow ``next`` from a
    group's first step to read its path (``wait_min``: minutes waited in a holding area before entering the step's
    edge); ``edge_flows.parquet`` the persons entering each edge per time step.

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    net = problem.network
    table = groups_table(plan, problem)
    steps = pa.table({
        "edge": pa.array(plan.step_edge, pa.int64()),
        "from": pa.array(net.node_id[net.tail[plan.step_edge]], pa.int64()),
        "to": pa.array(net.node_id[net.head[plan.step_edge]], pa.int64()),
        "next": pa.array(plan.step_next, pa.int64()),
        "to_go_min": pa.array(plan.step_to_go_s / 60.0, pa.float64()),
        "length": pa.array(plan.step_len, pa.int64()),
        "wait_min": pa.array(plan.waits_s() / 60.0, pa.float64()),
    })
    with atomic_path(out / "groups.parquet") as tmp:
        pq.write_table(table, tmp)
    with atomic_path(out / "steps.parquet") as tmp:
        pq.write_table(steps, tmp)
    write_edge_flows(plan, problem, out / "edge_flows.parquet")
    if plan.holding is not None:
        h = plan.holding
        with atomic_path(out / "holding_streets.parquet") as tmp:
            pq.write_table(pa.table({
                "edge": pa.array(h.edge, pa.int64()),
                "from": pa.array(net.node_id[net.tail[h.edge]], pa.int64()),
                "to": pa.array(net.node_id[net.head[h.edge]], pa.int64()),
                "area": pa.array(h.edge_area, pa.int64()),
            }), tmp)
    else:
        (out / "holding_streets.parquet").unlink(missing_ok=True)  # not left over from a staged plan written before
    write_json(out / "summary.json", plan_summary(plan, problem))
    return out


@njit(cache=True)
def _entry_bins(path_start, step_edge, step_next, step_to_go, arrival_s, count, step, b0, table):
    for g in range(path_start.shape[0]):
        s = path_start[g]
        while s >= 0:
            b = np.int64(np.floor((arrival_s[g] - step - step_to_go[s]) / step + 1e-9)) - b0
            if 0 <= b < table.shape[0]:
                table[b, step_edge[s]] += count[g]
            s = step_next[s]


def edge_flows(plan: Plan, n_edges: int) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Persons entering each edge per time step of the plan: ``(edge, step index, persons)``, non-zero only; step
    ``k`` covers ``[k * time_step_s, (k + 1) * time_step_s)``."""
    step = plan.time_step_s or 60.0
    if plan.n_groups == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    b0 = int(np.floor(plan.departure_s.min() / step)) - 1
    n_b = int(np.ceil(plan.arrival_s.max() / step)) + 2 - b0
    table = np.zeros((max(n_b, 1), n_edges), dtype=np.int32 if plan.evacuated < 2**31 else np.int64)
    _entry_bins(plan.path_start, plan.step_edge, plan.step_next, plan.step_to_go_s, plan.arrival_s,
                plan.count.astype(np.int64), float(step), b0, table)
    b, e = np.nonzero(table)
    return e.astype(np.int64), (b + b0).astype(np.int64), table[b, e].astype(np.int64)


def write_edge_flows(plan: Plan, problem: Problem, path: Path) -> None:
    """Persons entering each edge per time step (only non-zero steps)."""
    net = problem.network
    step = plan.time_step_s or 60.0
    e, k, persons = edge_flows(plan, net.n_edges)
    table = pa.table({
        "edge": pa.array(e, pa.int64()),
        "from": pa.array(net.node_id[net.tail[e]], pa.int64()),
        "to": pa.array(net.node_id[net.head[e]], pa.int64()),
        "bin_start_min": pa.array(k * step / 60.0, pa.float64()),
        "persons": pa.array(persons, pa.int64()),
    })
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def _spans(groups: pa.Table) -> NDArray[np.float64]:
    """The departure spans of ``groups.parquet`` in seconds (empty where not given: the whole window)."""
    if "departure_span_min" not in groups.column_names:
        return np.zeros(0)
    spans = groups.column("departure_span_min").to_numpy(zero_copy_only=False).astype(np.float64)
    if np.isnan(spans).any():
        return np.zeros(0)
    return np.rint(spans * 60.0 * 1e6) / 1e6


def read_plan(out_dir: str | os.PathLike[str], problem: Problem) -> Plan:
    """Read a plan written by :func:`write_plan` for ``problem``."""
    out = Path(out_dir)
    summary = json.loads((out / "summary.json").read_text())
    t = pq.read_table(out / "groups.parquet")
    st = pq.read_table(out / "steps.parquet")
    unplanned = np.zeros(problem.demand.n_rows, dtype=np.int64)
    for r, k in summary.get("unplanned_by_row", []):
        unplanned[r] = k
    zone_index = {n: i for i, n in enumerate(problem.zones.safe_names)}
    evac = summary["evacuation_time_min"]
    lb = summary["lower_bound_min"]
    full = np.zeros(problem.network.n_edges, dtype=np.int64)
    for e, k in summary.get("edge_full_windows", []):
        full[e] = k
    deadlines = tuple(ZoneDeadline.from_dict(z, entry) for z, entry in enumerate(summary.get("danger_zones", []))
                      if entry.get("max_safe_by_deadline") is not None)
    return Plan(
        method=summary["method"],
        row=t.column("row").to_numpy().astype(np.int32),
        count=t.column("count").to_numpy().astype(np.int64),
        departure_s=np.rint(t.column("departure_min").to_numpy() * 60.0 * 1e6) / 1e6,
        arrival_s=np.rint(t.column("arrival_min").to_numpy() * 60.0 * 1e6) / 1e6,
        safe_zone=np.array([zone_index[n] for n in t.column("destination").to_pylist()], dtype=np.int32),
        path_start=t.column("path_start").to_numpy().astype(np.int64),
        step_edge=st.column("edge").to_numpy().astype(np.int64),
        step_next=st.column("next").to_numpy().astype(np.int64),
        step_to_go_s=np.rint(st.column("to_go_min").to_numpy() * 60.0 * 1e6) / 1e6,
        step_len=st.column("length").to_numpy().astype(np.int64),
        evacuation_time_s=float(evac) * 60.0 if evac is not None else 0.0,
        lower_bound_s=float(lb) * 60.0 if lb is not None else 0.0,
        unplanned=unplanned,
        runtime_s=float(summary["runtime_s"]),
        bottlenecks=tuple(summary.get("bottlenecks", [])),
        time_step_s=float(summary.get("time_step_s", 0.0)),
        bound_model=str(summary.get("bound_model", "")),
        edge_full_windows=full,
        deadlines=deadlines,
        objective=str(summary.get("objective", "quickest")),
        quickest_time_s=float(q) * 60.0 if (q := summary.get("quickest_time_min")) is not None else float("nan"),
        departure_span_s=_spans(t),
        step_wait_s=(np.rint(st.column("wait_min").to_numpy() * 60.0 * 1e6) / 1e6
                     if "wait_min" in st.column_names else np.zeros(0)),
        holding=_read_holding(out, summary, problem),
    )


def _read_holding(out: Path, summary: dict[str, Any], problem: Problem) -> HoldingAreas | None:
    """The holding areas of a staged plan written by :func:`write_plan` (``None`` for another plan)."""
    areas = summary.get("holding_areas") or []
    if not areas:
        return None
    index = {int(v): i for i, v in enumerate(problem.network.node_id)}
    streets = pq.read_table(out / "holding_streets.parquet")
    return HoldingAreas(
        gate=np.array([index[int(a["gate"])] for a in areas], dtype=np.int64),
        capacity=np.array([float(a["capacity"]) for a in areas]),
        edge=streets.column("edge").to_numpy().astype(np.int64),
        edge_area=streets.column("area").to_numpy().astype(np.int64))
