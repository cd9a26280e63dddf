"""Figures that describe a built problem (for ``evacplan info`` and reports)."""

from __future__ import annotations

from typing import Any

import numpy as np

from evacplan.problem.problem import Problem

__all__ = ["problem_summary"]


def problem_summary(p: Problem) -> dict[str, Any]:
    """A JSON-ready summary: network size, population per danger zone and group, safe capacity, unreachable.

    ``population`` counts the evacuees; ``people`` everyone the population layer holds (evacuees, people who stay
    outside the danger zones, safe-zone residents and people too far from any street to place). A safe zone's
    ``capacity`` is the room left once its ``residents`` are deducted from its ``declared_capacity``.
    """
    net, z, d = p.network, p.zones, p.demand
    # each undirected street counted once: half the length of edges that have a reverse twin
    key = net.tail.astype(np.int64) * net.n_nodes + net.head
    rkey = net.head.astype(np.int64) * net.n_nodes + net.tail
    twin = np.isin(key, rkey)
    km = float(net.length_m[~twin].sum() + net.length_m[twin].sum() / 2) / 1000.0
    per_zone = []
    for i, name in enumerate(z.danger_names):
        rows = d.danger == i
        per_zone.append({
            "name": name,
            "deadline_min": float(z.danger_deadline_s[i] / 60.0),
            "population": int(d.count[rows].sum()),
            "by_group": {g.name: int(d.count[rows & (d.group == gi)].sum()) for gi, g in enumerate(d.groups)},
            "unreachable": int(d.count[rows & ~p.reachable].sum()),
        })
    def num(a: np.ndarray, i: int) -> float | None:
        return float(a[i]) if a.size > i and np.isfinite(a[i]) else None

    safe = [
        {"name": name, "capacity": num(z.safe_capacity, i), "declared_capacity": num(z.safe_declared_capacity, i),
         "residents": int(z.safe_residents[i]) if z.safe_residents.size else 0,
         "area_m2": num(z.safe_area_m2, i), "nodes": int((z.node_safe == i).sum())}
        for i, name in enumerate(z.safe_names)
    ]
    capacity = float(z.safe_capacity.sum())
    return {
        "name": p.name,
        "provenance": p.provenance,
        "crs": net.crs,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "network_km": round(km, 3),
        "closed_edges": p.closed_edges,
        "modes": list(net.modes),
        "population": d.total,
        "people": p.placed + p.off_network,
        "safe_zone_residents": int(z.safe_residents.sum()) if z.safe_residents.size else 0,
        "by_group": {g.name: int(d.count[d.group == gi].sum()) for gi, g in enumerate(d.groups)},
        "by_mode": {m: int(d.count[d.mode == k].sum()) for k, m in enumerate(net.modes)},
        "danger_zones": per_zone,
        "safe_zones": safe,
        "safe_capacity": capacity if np.isfinite(capacity) else None,
        "unreachable": p.unreachable,
        "off_network": p.off_network,
        "time_step_min": p.time_step_s / 60.0,
        "horizon_min": p.horizon_s / 60.0,
        "findings": [{"file": f.file, "where": f.where, "message": f.message} for f in p.findings],
    }
