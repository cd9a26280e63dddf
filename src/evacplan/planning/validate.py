"""The invariant checker every planner's tests run (in the spirit of networkx's ``validate_flows``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from evacplan.planning.model import EPS, PlanningModel, planning_model
from evacplan.planning.result import Plan
from evacplan.problem.problem import Problem

__all__ = ["validate_plan", "window_loads"]


def _labels(model: PlanningModel, cls: NDArray[np.int64], node: NDArray[np.int64], t: NDArray[np.float64]
            ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Labels of clock times ``t`` at ``node`` for class ``cls``, and whether each lies on the label grid."""
    x = (t + model.potential_s[cls, node]) / model.step_s
    lab = np.rint(x).astype(np.int64)
    return lab, np.abs(x - lab) * model.step_s <= 1e-6 * max(1.0, model.step_s)


def window_loads(problem: Problem, model: PlanningModel, plan: Plan
                 ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Seconds of each used (edge, base window) the plan's groups take: ``(edge, window, seconds)``."""
    if plan.path_edges.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0)
    grp = np.repeat(np.arange(plan.n_groups), np.diff(plan.path_indptr))
    cls = model.row_class[plan.row[grp].astype(np.int64)]
    tail = model.tail[plan.path_edges]
    lab, _ = _labels(model, cls, tail, plan.path_entry_s)
    window = lab + model.shift[cls, tail]
    use = plan.count[grp] * model.weight_s[cls, plan.path_edges]
    lo = int(window.min())
    span = int(window.max()) - lo + 1
    key = plan.path_edges * span + (window - lo)
    uk, inv = np.unique(key, return_inverse=True)
    loads = np.bincount(inv, weights=use).astype(np.float64)
    return (uk // span).astype(np.int64), (uk % span + lo).astype(np.int64), loads


def validate_plan(problem: Problem, plan: Plan) -> None:
    """Check that ``plan`` is a plan of ``problem`` in the planning model at the plan's step.

    Checked: persons conserved (planned + unplanned = demand per row); departures on the label grid and never
    before the departure curve releases them; every path starts at its row's origin, is contiguous, uses only edges
    open to the row's class and ends in its safe zone; nobody waits on the way (each edge is entered in the label
    the previous one leads to) and arrival times match; no edge over capacity in any window; no safe zone over
    capacity; the evacuation time is the last arrival and the lower bound does not exceed it.

    Raises
    ------
    AssertionError
        Listing every kind of violation found.
    """
    errors: list[str] = []
    zones, d = problem.zones, problem.demand
    model = planning_model(problem, plan.time_step_s or None)
    step = model.step_s
    g = plan.n_groups
    rows = plan.row.astype(np.int64)
    cls = model.row_class[rows] if g else np.zeros(0, dtype=np.int64)
    origin = d.origin[rows].astype(np.int64)

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
    if g and np.any(~model.usable[rows]):
        errors.append("groups of rows that cannot reach safety")

    # departures: on the grid, within the release of their row (every prefix of the departures)
    dep, on_grid = _labels(model, cls, origin, plan.departure_s)
    if not np.all(on_grid):
        errors.append(f"{int((~on_grid).sum())} departures not on the label grid")
    if g:
        order = np.lexsort((dep, rows))
        r_s, d_s = rows[order], dep[order]
        cum = np.cumsum(plan.count[order])
        first_of_row = np.r_[True, r_s[1:] != r_s[:-1]]
        before = np.maximum.accumulate(np.where(first_of_row, np.arange(g), 0))
        base = np.where(before > 0, cum[np.maximum(before - 1, 0)], 0)
        cum_row = cum - base
        last_of_label = np.r_[(r_s[1:] != r_s[:-1]) | (d_s[1:] != d_s[:-1]), True]
        allowed = model.released(r_s, d_s)
        late = np.flatnonzero(last_of_label & (cum_row > allowed))
        if late.size:
            i = late[0]
            errors.append(f"row {r_s[i]}: {cum_row[i]} persons departed by label {d_s[i]}, only {allowed[i]} released")

    # paths
    indptr, edges = plan.path_indptr, plan.path_edges
    if plan.path_entry_s.size != edges.size:
        errors.append("path_entry_s does not match path_edges")
    elif g:
        plen = np.diff(indptr)
        grp = np.repeat(np.arange(g), plen)
        c_e = cls[grp]
        tail, head = model.tail[edges], model.head[edges]
        first = indptr[:-1][plen > 0]
        if np.any(tail[first] != origin[plen > 0]):
            errors.append("paths that do not start at their origin")
        cont = np.ones(edges.size, dtype=bool)
        cont[first] = False
        if np.any(tail[cont] != head[np.flatnonzero(cont) - 1]):
            errors.append("paths that are not contiguous")
        tau = model.tau[c_e, edges]
        if np.any(tau < 0):
            errors.append("paths on edges closed to their class (or leading nowhere safe)")
        entry, on = _labels(model, c_e, tail, plan.path_entry_s)
        if not np.all(on):
            errors.append("edge entries not on the label grid")
        expect = np.empty(edges.size, dtype=np.int64)
        expect[first] = dep[plen > 0]
        expect[cont] = entry[np.flatnonzero(cont) - 1] + tau[np.flatnonzero(cont) - 1]
        if np.any(entry != expect):
            errors.append("groups that wait on the way (or enter an edge before reaching it)")
        end = origin.copy()
        arrive = dep.copy()
        last = indptr[1:][plen > 0] - 1
        end[plen > 0] = head[last]
        arrive[plen > 0] = entry[last] + tau[last]
        if np.any(np.abs((arrive + 1) * step - plan.arrival_s) > 1e-6):
            errors.append("arrival_s does not match the paths")
        if np.any(zones.node_safe[end] != plan.safe_zone):
            errors.append("paths that do not end in their safe zone")

    # edge capacity in every window
    if plan.path_entry_s.size == edges.size and edges.size:
        e, w, load = window_loads(problem, model, plan)
        over = np.flatnonzero(load > step * (1 + 1e-9) + EPS)
        if over.size:
            k = over[np.argmax(load[over])]
            errors.append(f"{over.size} (edge, window) pairs over capacity, worst edge {e[k]} window {w[k]}: "
                          f"{load[k]:.3f} s of {step} s")

    # safe zones
    assigned = np.bincount(plan.safe_zone, weights=plan.count, minlength=zones.safe_capacity.size)
    over_z = np.flatnonzero(assigned > model.phys.safe_capacity + 1e-9)
    if over_z.size:
        errors.append(f"safe zones over capacity: {over_z.tolist()}")

    # times
    last_arr = float(plan.arrival_s.max()) if g else 0.0
    if abs(plan.evacuation_time_s - last_arr) > 1e-6:
        errors.append(f"evacuation_time_s {plan.evacuation_time_s} != last arrival {last_arr}")
    if plan.lower_bound_s > plan.evacuation_time_s + 1e-6:
        errors.append("lower bound above the evacuation time")
    if errors:
        raise AssertionError("invalid plan:\n  - " + "\n  - ".join(errors))
