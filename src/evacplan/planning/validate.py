"""The invariant checker every planner's tests run (in the spirit of networkx's ``validate_flows``)."""

from __future__ import annotations

import numpy as np

from evacplan.planning._discrete import EPS, discretise
from evacplan.planning.result import Plan
from evacplan.problem.problem import Problem

__all__ = ["validate_plan"]


def validate_plan(problem: Problem, plan: Plan) -> None:
    """Check that ``plan`` is a feasible plan of ``problem`` in the shared discretisation.

    Checked: persons conserved (planned + unplanned = demand per row); no departure before the departure curve
    releases it; every path starts at its row's origin, is contiguous, uses only edges open to the row's mode,
    respects transit times and ends in its safe zone; no edge over capacity in any time step; no safe zone over
    capacity; the evacuation time is the last arrival and the lower bound does not exceed it.

    Raises
    ------
    AssertionError
        Listing every violation found.
    """
    errors: list[str] = []
    net, zones, d = problem.network, problem.zones, problem.demand
    disc = discretise(problem, plan.time_step_s or None)
    step = disc.step_s
    g = plan.n_groups
    rows = plan.row.astype(np.int64)

    # persons conserved
    if np.any(plan.count <= 0):
        errors.append("groups with no persons")
    planned = np.bincount(rows, weights=plan.count, minlength=d.n_rows).astype(np.int64)
    if plan.unplanned.shape != (d.n_rows,):
        errors.append(f"unplanned has shape {plan.unplanned.shape}, expected {(d.n_rows,)}")
    else:
        bad = np.flatnonzero(planned + plan.unplanned != d.count)
        if bad.size:
            errors.append(f"persons not conserved in rows {bad[:10].tolist()}")
        if np.any(plan.unplanned < 0):
            errors.append("negative unplanned")

    # departures respect the release schedule
    dep = np.rint(plan.departure_s / step).astype(np.int64)
    if np.any(np.abs(dep * step - plan.departure_s) > 1e-6):
        errors.append("departures not on the time grid")
    if g:
        n_cols = max(int(dep.max()) + 1, disc.release.shape[1])
        cum = np.zeros((d.n_rows, n_cols), dtype=np.int64)
        np.add.at(cum, (rows, np.maximum(dep, 0)), plan.count)
        cum = np.cumsum(cum, axis=1)
        rel = np.concatenate(
            [disc.release, np.repeat(disc.release[:, -1:], n_cols - disc.release.shape[1], axis=1)], axis=1
        )[:, :n_cols]
        late = np.argwhere(cum > rel)
        if late.size:
            r, t = late[0]
            errors.append(f"row {r}: {cum[r, t]} persons departed by step {t}, only {rel[r, t]} released")

    # paths
    indptr, edges = plan.path_indptr, plan.path_edges
    entry = np.rint(plan.path_entry_s / step).astype(np.int64) if plan.path_entry_s.size == edges.size else None
    if entry is None:
        errors.append("path_entry_s does not match path_edges")
    for i in range(g):
        r = rows[i]
        c = disc.row_class[r]
        pe = edges[indptr[i] : indptr[i + 1]]
        node = int(d.origin[r])
        z = int(plan.safe_zone[i])
        if pe.size:
            if net.tail[pe[0]] != node:
                errors.append(f"group {i}: path does not start at the origin")
            if np.any(net.tail[pe[1:]] != net.head[pe[:-1]]):
                errors.append(f"group {i}: path not contiguous")
            if np.any(disc.tau[c, pe] < 0):
                errors.append(f"group {i}: uses an edge closed to its mode")
            node = int(net.head[pe[-1]])
            if entry is not None:
                en = entry[indptr[i] : indptr[i + 1]]
                tau = disc.tau[c, pe]
                if en[0] < dep[i] or np.any(en[1:] < en[:-1] + tau[:-1]):
                    errors.append(f"group {i}: enters an edge before reaching it")
                if abs((en[-1] + tau[-1]) * step - plan.arrival_s[i]) > 1e-6:
                    errors.append(f"group {i}: arrival_s does not match its path")
        elif abs(plan.arrival_s[i] - plan.departure_s[i]) > 1e-6:
            errors.append(f"group {i}: empty path but arrival != departure")
        if zones.node_safe[node] != z:
            errors.append(f"group {i}: ends at node {node}, not in its safe zone {z}")
        if len(errors) > 50:
            break

    # edge capacity in every bin
    if entry is not None and edges.size:
        grp = np.repeat(np.arange(g), np.diff(indptr))
        use = plan.count[grp] * disc.weight_s[disc.row_class[rows[grp]], edges]
        n_b = int(entry.max()) + 1
        uk, inv = np.unique(edges * n_b + entry, return_inverse=True)
        load = np.bincount(inv, weights=use)
        over = np.flatnonzero(load > step * (1 + 1e-9) + EPS)
        if over.size:
            k = over[np.argmax(load[over])]
            errors.append(
                f"{over.size} (edge, step) pairs over capacity, worst edge {uk[k] // n_b} step {uk[k] % n_b}: "
                f"{load[k]:.3f} s of {step} s"
            )

    # safe zones
    assigned = np.bincount(plan.safe_zone, weights=plan.count, minlength=zones.safe_capacity.size)
    over_z = np.flatnonzero(assigned > zones.safe_capacity + 1e-9)
    if over_z.size:
        errors.append(f"safe zones over capacity: {over_z.tolist()}")

    # times
    last = float(plan.arrival_s.max()) if g else 0.0
    if abs(plan.evacuation_time_s - last) > 1e-6:
        errors.append(f"evacuation_time_s {plan.evacuation_time_s} != last arrival {last}")
    if plan.lower_bound_s > plan.evacuation_time_s + 1e-6:
        errors.append("lower bound above the evacuation time")
    if errors:
        raise AssertionError("invalid plan:\n  - " + "\n  - ".join(errors))
