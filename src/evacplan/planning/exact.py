"""The exact reference planner: the optimum of the discretised quickest transshipment on a time-expanded network.

The horizon ``T`` is searched by doubling from a proven lower bound, then bisection; each probe is one OR-Tools max
flow on the TEN of horizon ``T`` (see :mod:`evacplan.planning.ten`). The smallest feasible ``T`` is optimal; its flow is
decomposed into groups (one per source-sink path). Exact for one travel class (one mode and walking speed); with
several classes a single-commodity TEN cannot share capacity between them correctly, so it refuses.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from evacplan.planning import kernels
from evacplan.planning._discrete import Discretisation
from evacplan.planning.errors import UnsupportedProblemError
from evacplan.planning.ten import (
    ARC_EDGE,
    ARC_RELEASE,
    ARC_SAFE,
    TimeExpanded,
    build_ten,
    relaxation,
    solve_ten,
    static_target,
)
from evacplan.problem.problem import Problem

__all__ = ["decompose", "exact_groups"]


def exact_groups(
    problem: Problem, disc: Discretisation, progress: Callable[[float], None] | None = None
) -> tuple[dict[str, NDArray[np.int64]], NDArray[np.int64], int, int]:
    """Solve the discretised problem to optimality.

    Returns
    -------
    (groups, unplanned, horizon, probes)
        Group buffers in bins (as :func:`evacplan.planning.fast.fast_groups`), persons left unplanned per row, the
        optimal evacuation time in bins and the number of max-flow probes.
    """
    d = problem.demand
    rows = np.flatnonzero(disc.usable & (d.count > 0))
    if np.unique(disc.row_class[rows]).size > 1:
        raise UnsupportedProblemError(
            "method='exact' supports one travel class (one mode and walking speed); this problem has "
            f"{np.unique(disc.row_class[rows]).size}. Use method='fast'."
        )
    rel = relaxation(problem, disc, rows)
    target = static_target(problem, rel)
    if target == 0:
        return _empty(), d.count.astype(np.int64).copy(), 0, 0
    probes = 0

    def feasible(horizon: int) -> bool:
        nonlocal probes
        probes += 1
        value, _ = solve_ten(build_ten(problem, disc, rel, horizon))
        return value >= target

    lo = rel.analytic_bound(problem, disc, target)  # proven: optimum >= lo
    if feasible(lo):
        hi = lo
    else:
        infeasible, width = lo, max(4, lo // 2)
        hi = lo + width
        while not feasible(hi):
            infeasible, width = hi, 2 * width
            hi = infeasible + width
            if progress is not None:
                progress(0.1)
        while hi - infeasible > 1:
            mid = (hi + infeasible) // 2
            if feasible(mid):
                hi = mid
            else:
                infeasible = mid
            if progress is not None:
                progress(0.5)
    ten = build_ten(problem, disc, rel, hi)
    value, flows = solve_ten(ten, want_flows=True)
    probes += 1
    assert flows is not None and value >= target
    groups = decompose(ten, flows, rel.tau)
    planned = np.bincount(groups["row"], weights=groups["count"], minlength=d.n_rows).astype(np.int64)
    return groups, d.count - planned, hi, probes


def _empty() -> dict[str, NDArray[np.int64]]:
    z = np.zeros(0, dtype=np.int64)
    return {k: z.copy() for k in ("row", "count", "dep", "arr", "zone", "plen", "edges", "entry")}


def decompose(ten: TimeExpanded, flows: NDArray[np.int64], tau: NDArray[np.int64]) -> dict[str, NDArray[np.int64]]:
    """Groups (in bins) from the path decomposition of a flow on an uncondensed TEN."""
    used = np.flatnonzero(flows > 0)
    order = used[np.argsort(ten.tail[used], kind="stable")]
    indptr = np.zeros(ten.n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(ten.tail[order], minlength=ten.n_nodes), out=indptr[1:])
    start, arcs, amount = kernels.decompose_paths(indptr, order, ten.head, flows.copy(), ten.source, ten.sink)
    kind = ten.kind[arcs]
    path_id = np.repeat(np.arange(amount.size), np.diff(start))
    is_rel = kind == ARC_RELEASE
    row = ten.ref[arcs[is_rel]]
    rel_t = ten.fine_t[arcs[is_rel]]
    zone = ten.ref[arcs[kind == ARC_SAFE]]
    is_edge = kind == ARC_EDGE
    edges = ten.ref[arcs[is_edge]]
    entry = ten.fine_t[arcs[is_edge]]
    plen = np.bincount(path_id[is_edge], minlength=amount.size).astype(np.int64)
    pstart = np.concatenate([[0], np.cumsum(plen)])
    has = plen > 0
    dep = rel_t.copy()
    arr = rel_t.copy()
    dep[has] = entry[pstart[:-1][has]]
    last = pstart[1:][has] - 1
    arr[has] = entry[last] + tau[edges[last]]
    return {
        "row": row.astype(np.int64), "count": amount.astype(np.int64), "dep": dep.astype(np.int64),
        "arr": arr.astype(np.int64), "zone": zone.astype(np.int64), "plen": plen,
        "edges": edges.astype(np.int64), "entry": entry.astype(np.int64),
    }
