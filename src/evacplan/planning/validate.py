"""The invariant checker every planner's tests run (in the spirit of networkx's ``validate_flows``)."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from evacplan.errors import InvalidPlanError
from evacplan.network.names import describe_edge
from evacplan.planning.model import EPS, PlanningModel, planning_model
from evacplan.planning.result import Plan
from evacplan.planning.validate_staged import staged_errors
from evacplan.problem.problem import Problem

__all__ = ["departure_spans", "validate_plan", "window_loads"]

# kinds of path violations counted by the kernel
_START, _CONTIGUOUS, _CLOSED, _GRID, _WAIT, _ARRIVAL, _ZONE = range(7)
_MESSAGES = (
    "paths that do not start at their origin",
    "paths that are not contiguous",
    "paths on edges closed to their class (or leading nowhere safe)",
    "edge entries not on the label grid",
    "groups that wait on the way (or enter an edge before reaching it)",
    "arrival_s does not match the paths",
    "paths that do not end in their safe zone",
)


def _window_range(model: PlanningModel, plan: Plan, dep: NDArray[np.int64]) -> tuple[int, int]:
    if plan.n_groups == 0:
        return 0, 1
    pot = model.potential_s[np.isfinite(model.potential_s)]
    top = float(plan.arrival_s.max()) + (float(pot.max()) if pot.size else 0.0)
    lo = int(dep.min()) + int(model.shift.min()) - 1
    return lo, int(np.ceil(top / model.step_s)) + 2 - lo


def _departure_labels(model: PlanningModel, plan: Plan, cls: NDArray[np.int64], origin: NDArray[np.int64]
                      ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    x = (plan.departure_s + model.potential_s[cls, origin]) / model.step_s
    lab = np.rint(x).astype(np.int64)
    return lab, np.abs(x - lab) * model.step_s <= 1e-6 * max(1.0, model.step_s)


def _walk_plan(problem: Problem, model: PlanningModel, plan: Plan
               ) -> tuple[NDArray[np.float64], int, NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    rows = plan.row.astype(np.int64)
    cls = model.row_class[rows] if plan.n_groups else np.zeros(0, dtype=np.int64)
    origin = problem.demand.origin[rows].astype(np.int64)
    dep, on_grid = _departure_labels(model, plan, cls, origin)
    w0, n_w = _window_range(model, plan, dep)
    loads = np.zeros((n_w, problem.network.n_edges))
    errors = np.zeros(len(_MESSAGES), dtype=np.int64)
    _walk_counts(plan.path_start, plan.step_edge, plan.step_next, plan.step_to_go_s, cls, origin, dep,
                 plan.arrival_s, plan.safe_zone.astype(np.int64), plan.count.astype(np.float64), model.tau,
                 model.shift, model.weight_s, model.potential_s, model.tail, model.head,
                 problem.zones.node_safe.astype(np.int64), model.step_s, w0, loads, errors)
    return loads, w0, errors, dep, on_grid


@njit(cache=True)
def _walk_counts(path_start, step_edge, step_next, step_to_go, cls, origin, dep, arr_s, zone, count, tau, shift,
                 weight, potential, tail, head, node_safe, step, w0, loads, errors):
    """Check every group's path against the model and add its persons' use of each window to ``loads``."""
    n_w = loads.shape[0]
    for g in range(path_start.shape[0]):
        c = cls[g]
        s = path_start[g]
        v = origin[g]
        lab = dep[g]
        first = True
        while s >= 0:
            e = step_edge[s]
            if tail[e] != v:
                errors[_START if first else _CONTIGUOUS] += 1
                break
            if tau[c, e] < 0:
                errors[_CLOSED] += 1
                break
            x = (arr_s[g] - step - step_to_go[s] + potential[c, v]) / step
            got = np.int64(np.rint(x))
            if abs(x - got) * step > 1e-6 * max(1.0, step):
                errors[_GRID] += 1
            if got != lab:
                errors[_WAIT] += 1
            w = lab + shift[c, v] - w0
            if 0 <= w < n_w:
                loads[w, e] += count[g] * weight[c, e]
            lab += tau[c, e]
            v = head[e]
            s = step_next[s]
            first = False
        if abs(lab * step - potential[c, v] + step - arr_s[g]) > 1e-6:
            errors[_ARRIVAL] += 1
        if node_safe[v] != zone[g]:
            errors[_ZONE] += 1


@njit(cache=True)
def _path_peaks(path_start, step_edge, step_next, cls, origin, dep, tau, shift, head, w0, loads, step, out):
    """Seconds used of the busiest window on each group's path (0 for groups that do not move)."""
    n_w = loads.shape[0]
    for g in range(path_start.shape[0]):
        c = cls[g]
        s = path_start[g]
        v = origin[g]
        lab = dep[g]
        peak = 0.0
        while s >= 0:
            e = step_edge[s]
            w = lab + shift[c, v] - w0
            if 0 <= w < n_w and loads[w, e] > peak:
                peak = loads[w, e]
            lab += tau[c, e]
            v = head[e]
            s = step_next[s]
        out[g] = min(peak, step)


def _peaks(problem: Problem, model: PlanningModel, plan: Plan, loads: NDArray[np.float64], w0: int,
           dep: NDArray[np.int64]) -> NDArray[np.float64]:
    rows = plan.row.astype(np.int64)
    cls = model.row_class[rows] if plan.n_groups else np.zeros(0, dtype=np.int64)
    out = np.zeros(plan.n_groups)
    _path_peaks(plan.path_start, plan.step_edge, plan.step_next, cls, problem.demand.origin[rows].astype(np.int64),
                dep, model.tau, model.shift, model.head, w0, loads, model.step_s, out)
    return out


def departure_spans(problem: Problem, model: PlanningModel, plan: Plan) -> NDArray[np.float64]:
    """How long each group of ``plan`` (made in ``model``) needs to leave: the seconds used of the busiest window on
    its path, ``float64[g]`` (0 for groups that do not move: they are safe where they are, once released).

    Every group in an (edge, window) pair needs at least the pair's used seconds, so groups that each leave evenly
    over their span enter the edge at most as fast as its capacity lets people through, whenever each starts; a
    group on empty streets leaves at once (each person no earlier than released), and following a plan there costs
    no window against leaving at once."""
    loads, w0, _, dep, _ = _walk_plan(problem, model, plan)
    # on a microsecond grid, rounded up: written in minutes and read back, a plan replays the same
    return np.ceil(_peaks(problem, model, plan, loads, w0, dep) * 1e6 - 1e-6) / 1e6


def window_loads(problem: Problem, model: PlanningModel, plan: Plan
                 ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Seconds of each used (edge, base window) the plan's groups take: ``(edge, window, seconds)``."""
    loads, w0, _, _, _ = _walk_plan(problem, model, plan)
    w, e = np.nonzero(loads)
    return e.astype(np.int64), (w + w0).astype(np.int64), loads[w, e]


def validate_plan(problem: Problem, plan: Plan) -> None:
    """Check that ``plan`` is a plan of ``problem`` in the planning model at the plan's step.

    A staged plan (:attr:`Plan.staged`) is checked by the physical model's rules instead of the grid's
    (:func:`~evacplan.planning.validate_staged.staged_errors`), with its persons, safe zones and times as here.

    Checked: persons conserved (planned + unplanned = demand per row); departures on the label grid, every prefix
    of a row's departures within what its curve has released by the end of the window's first step (the model's
    release rule); every path starts at its row's origin, is contiguous, uses only edges open to the row's class and
    ends in its safe zone; nobody waits on the way (each edge is entered in the label the previous one leads to) and
    arrival times match; no edge over capacity in any window; no group leaving over a shorter span than the busiest
    window on its path needs; no safe zone over capacity; the evacuation time is the last arrival and the lower
    bound does not exceed it.

    Raises
    ------
    evacplan.errors.InvalidPlanError
        Listing every kind of violation found.
    """
    errors: list[str] = []
    d = problem.demand
    model = planning_model(problem, plan.time_step_s or None)
    step = model.step_s
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
    if g and np.any(~model.usable[rows]):
        errors.append("groups of rows that cannot reach safety")
        raise InvalidPlanError("invalid plan:\n  - " + "\n  - ".join(errors))

    if plan.staged:  # off the grid: the physical model's rules
        errors += staged_errors(problem, plan)
        _check_zones_and_times(problem, model, plan, errors)
        if errors:
            raise InvalidPlanError("invalid plan:\n  - " + "\n  - ".join(errors))
        return

    # paths, nobody waiting on the way, and each window's load
    loads, w0, kinds, dep, on_grid = _walk_plan(problem, model, plan)
    errors += [f"{int(k)} x {msg}" for k, msg in zip(kinds, _MESSAGES, strict=True) if k]

    # departures: on the grid, within the release of their row (every prefix of the departures)
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

    # edge capacity in every window
    over = loads > step * (1 + 1e-9) + EPS
    if over.any():
        w, e = np.nonzero(over)
        k = int(np.argmax(loads[w, e]))
        worst = describe_edge(problem.network, int(e[k]), index=True)
        errors.append(f"{w.size} (edge, window) pairs over capacity, worst {worst} in base window {w[k] + w0}: "
                      f"{loads[w[k], e[k]]:.3f} s of {step} s")

    # departure spans: no group leaves faster than the busiest window on its path lets it
    spans = plan.departure_span_s
    if spans.size and spans.shape != (g,):
        errors.append(f"departure_span_s has shape {spans.shape}, expected {(g,)}")
    elif spans.size:
        need = _peaks(problem, model, plan, loads, w0, dep)
        fast = np.flatnonzero((spans < need - 1e-6) | (spans > step + 1e-6) | (spans < 0))
        if fast.size:
            i = fast[0]
            errors.append(f"{fast.size} groups leave over spans their paths' windows do not allow, e.g. group {i}: "
                          f"{spans[i]:.3f} s, its busiest window needs {need[i]:.3f} s of {step} s")

    _check_zones_and_times(problem, model, plan, errors)
    if errors:
        raise InvalidPlanError("invalid plan:\n  - " + "\n  - ".join(errors))


def _check_zones_and_times(problem: Problem, model: PlanningModel, plan: Plan, errors: list[str]) -> None:
    """Add to ``errors`` the safe zones over capacity and the evacuation time or bound that do not match."""
    zones = problem.zones
    assigned = np.bincount(plan.safe_zone, weights=plan.count, minlength=zones.safe_capacity.size)
    over_z = np.flatnonzero(assigned > model.phys.safe_capacity + 1e-9)
    if over_z.size:
        names = [f"{zones.safe_names[z]} ({int(assigned[z])} of {model.phys.safe_capacity[z]:g})" for z in over_z]
        errors.append(f"safe zones over capacity: {', '.join(names)}")
    last_arr = float(plan.arrival_s.max()) if plan.n_groups else 0.0
    if abs(plan.evacuation_time_s - last_arr) > 1e-6:
        errors.append(f"evacuation_time_s {plan.evacuation_time_s} != last arrival {last_arr}")
    if plan.lower_bound_s > plan.evacuation_time_s + 1e-6:
        errors.append("lower bound above the evacuation time")
