"""The exact reference planner: the optimum of the planning model on its time-expanded network.

The horizon ``T`` is searched by doubling from a proven lower bound, then bisection; each probe is one OR-Tools max
flow on the exact TEN at ``T`` (:func:`evacplan.planning.ten.exact_spec`: transit of the planning model, people
wait only at home). The smallest feasible ``T`` is optimal; its flow is decomposed into groups (one per source-sink
path). Exact for one travel class (one mode and walking speed); with several classes a single-commodity network
cannot share capacity between them correctly, so it refuses.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from evacplan.errors import InternalError, UnsupportedProblemError
from evacplan.planning import kernels
from evacplan.planning.model import PlanningModel
from evacplan.planning.ten import (
    ARC_EDGE,
    ARC_LEAVE,
    ARC_RELEASE,
    ARC_SAFE,
    TenSpec,
    TimeExpanded,
    build_ten,
    exact_spec,
    solve_ten,
    static_target,
)
from evacplan.problem.problem import Problem

__all__ = ["MAX_HORIZON", "decompose", "exact_groups", "horizon_search"]

#: Horizon (labels) beyond which the doubling search gives up: a target no horizon reaches is a defect.
MAX_HORIZON = 1 << 24


def exact_groups(
    problem: Problem, model: PlanningModel, progress: Callable[[float], None] | None = None,
    lower: int | None = None,
) -> tuple[dict[str, NDArray[np.integer]], NDArray[np.int64], int, int]:
    """Solve the planning model to optimality.

    Parameters
    ----------
    problem, model
        The problem and its planning model.
    progress
        Called with a rough fraction done.
    lower
        A proven lower bound on the optimal horizon (labels) to start the search from (default: the analytic one).

    Returns
    -------
    (groups, unplanned, horizon, probes)
        Group buffers in labels (as :func:`evacplan.planning.fast.fast_groups`), persons left unplanned per row, the
        optimal evacuation time in labels and the number of max-flow probes.
    """
    d = problem.demand
    rows = np.flatnonzero(model.usable)
    n_cls = np.unique(model.row_class[rows]).size
    if n_cls > 1:
        raise UnsupportedProblemError(
            "method='exact' supports one travel class (one mode and walking speed); this problem has "
            f"{n_cls}. Use method='fast'."
        )
    target = static_target(problem, model, rows)
    if target == 0:
        return empty_groups(), d.count.astype(np.int64).copy(), 0, 0
    spec = exact_spec(problem, model, rows)
    if lower is None:
        from evacplan.planning.bounds import analytic_bound

        lower = analytic_bound(model, rows, target)
    hi, probes, flows, ten = horizon_search(problem, model, spec, target, lower, progress=progress)
    groups = decompose(ten, flows, spec.tau)
    planned = np.bincount(groups["row"], weights=groups["count"], minlength=d.n_rows).astype(np.int64)
    return groups, d.count - planned, hi, probes


def horizon_search(
    problem: Problem, model: PlanningModel, spec: TenSpec, target: int, lower: int, *, upper: int | None = None,
    progress: Callable[[float], None] | None = None,
    adjust: Callable[[TimeExpanded], TimeExpanded] | None = None,
) -> tuple[int, int, NDArray[np.int64], TimeExpanded]:
    """Smallest horizon in ``[lower, upper]`` at which the exact TEN carries ``target`` persons.

    ``lower`` must be a proven lower bound; without ``upper`` the search doubles until feasible. ``adjust``
    (optional) changes each network built before it is solved (e.g. takes off capacity used by fixed flows).
    Returns ``(horizon, probes, flows, ten)`` with the flow of that horizon's network.

    Raises
    ------
    InternalError
        When doubling reaches :data:`MAX_HORIZON` labels without a feasible network (``target`` unreachable).
    """
    probes = 0

    def solve(horizon: int) -> tuple[bool, NDArray[np.int64] | None, TimeExpanded]:
        nonlocal probes
        probes += 1
        if horizon > MAX_HORIZON:
            raise InternalError(f"no network up to {MAX_HORIZON} labels carries {target} persons")
        ten = build_ten(problem, model, spec, horizon)
        if adjust is not None:
            ten = adjust(ten)
        value, flows = solve_ten(ten, want_flows=True)
        return value >= target, flows, ten

    ok, flows, ten = solve(lower)
    if ok:
        if flows is None:
            raise InternalError("the max-flow solver returned no flows")
        return lower, probes, flows, ten
    infeasible = lower
    if upper is None:
        width = max(4, lower // 2)
        hi = lower + width
        ok, f_hi, t_hi = solve(hi)
        while not ok:
            infeasible, width = hi, 2 * width
            hi = infeasible + width
            ok, f_hi, t_hi = solve(hi)
            if progress is not None:
                progress(0.1)
    else:
        hi = upper
        ok, f_hi, t_hi = solve(hi)
        if not ok:
            raise ValueError(f"no plan finishes by the upper horizon {upper}")
    while hi - infeasible > 1:
        mid = (hi + infeasible) // 2
        ok, f_mid, t_mid = solve(mid)
        if ok:
            hi, f_hi, t_hi = mid, f_mid, t_mid
        else:
            infeasible = mid
        if progress is not None:
            progress(0.5)
    if f_hi is None:
        raise InternalError("the max-flow solver returned no flows")
    return hi, probes, f_hi, t_hi


def empty_groups() -> dict[str, NDArray[np.integer]]:
    """Group buffers with no group."""
    z = np.zeros(0, dtype=np.int64)
    return {k: z.copy() for k in ("row", "count", "dep", "arr", "zone", "plen", "edges", "entry")}


def decompose(ten: TimeExpanded, flows: NDArray[np.int64], tau: NDArray[np.int64]) -> dict[str, NDArray[np.integer]]:
    """Groups (labels) from the path decomposition of a flow on an exact TEN."""
    used = np.flatnonzero(flows > 0)
    order = used[np.argsort(ten.tail[used], kind="stable")]
    indptr = np.zeros(ten.n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(ten.tail[order], minlength=ten.n_nodes), out=indptr[1:])
    start, arcs, amount = kernels.decompose_paths(indptr, order, ten.head, flows.copy(), ten.source, ten.sink)
    kind = ten.kind[arcs]
    path_id = np.repeat(np.arange(amount.size), np.diff(start))
    row = ten.ref[arcs[kind == ARC_RELEASE]]
    dep = ten.label[arcs[kind == ARC_LEAVE]]
    zone = ten.ref[arcs[kind == ARC_SAFE]]
    is_edge = kind == ARC_EDGE
    edges = ten.ref[arcs[is_edge]]
    entry = ten.label[arcs[is_edge]]
    plen = np.bincount(path_id[is_edge], minlength=amount.size).astype(np.int64)
    pstart = np.concatenate([[0], np.cumsum(plen)])
    has = plen > 0
    arr = dep.copy()
    last = pstart[1:][has] - 1
    arr[has] = entry[last] + tau[edges[last]]
    return {
        "row": row.astype(np.int64), "count": amount.astype(np.int64), "dep": dep.astype(np.int64),
        "arr": arr.astype(np.int64), "zone": zone.astype(np.int64), "plen": plen,
        "edges": edges.astype(np.int64), "entry": entry.astype(np.int64),
    }
