"""The fast planner: capacity-constrained earliest-arrival routing (CCRP family) on per-bin residual capacities.

Repeat, per travel class, until everyone is planned or nothing more can reach safety:

1. search earliest arrivals from every origin that still has people free to leave (a super-source at their release
   bins) over the capacity still free in each (edge, bin), waiting allowed at nodes;
2. send groups along the search-tree paths to the safe nodes settled within ``window`` bins of the first, each also
   shifted later by up to ``window - 1`` bins, in order of arrival, each as large as the path's free capacity, its
   row's release schedule and its safe zone allow.

Groups therefore adapt to the instance: their size is the free capacity of their path's bottleneck bin (or what
the release schedule has let go). Deterministic: ties break on node and row index.

On large instances (many origins on a large network) a search per batch is too slow; ``fast_groups`` then
schedules over candidate routes instead (:mod:`evacplan.planning.routes`). :func:`evacplan.planning.plan` runs the
search mode with a small portfolio of windows and certifies (and possibly improves) the result with
:mod:`evacplan.planning.bounds`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from evacplan.planning import kernels
from evacplan.planning._discrete import Discretisation
from evacplan.planning.routes import route_groups
from evacplan.problem.problem import Problem

__all__ = ["GroupArrays", "fast_groups"]

#: Bins after the earliest arrival within which one search's paths are used.
WINDOW = 2


class GroupArrays:
    """Growable flat buffers of planned groups (bins, not seconds)."""

    def __init__(self, cap_groups: int, cap_path: int) -> None:
        self.row = np.zeros(cap_groups, dtype=np.int64)
        self.count = np.zeros(cap_groups, dtype=np.int64)
        self.dep = np.zeros(cap_groups, dtype=np.int64)
        self.arr = np.zeros(cap_groups, dtype=np.int64)
        self.zone = np.zeros(cap_groups, dtype=np.int64)
        self.plen = np.zeros(cap_groups, dtype=np.int64)
        self.edges = np.zeros(cap_path, dtype=np.int64)
        self.entry = np.zeros(cap_path, dtype=np.int64)
        self.n_groups = 0
        self.n_path = 0

    def reserve(self, groups: int, path: int) -> None:
        """Make room for ``groups`` more groups with ``path`` more path edges."""
        if self.n_groups + groups > self.row.shape[0]:
            new = max(2 * self.row.shape[0], self.n_groups + groups)
            for name in ("row", "count", "dep", "arr", "zone", "plen"):
                old = getattr(self, name)
                arr = np.zeros(new, dtype=old.dtype)
                arr[: self.n_groups] = old[: self.n_groups]
                setattr(self, name, arr)
        if self.n_path + path > self.edges.shape[0]:
            new = max(2 * self.edges.shape[0], self.n_path + path)
            for name in ("edges", "entry"):
                old = getattr(self, name)
                arr = np.zeros(new, dtype=old.dtype)
                arr[: self.n_path] = old[: self.n_path]
                setattr(self, name, arr)

    def trimmed(self) -> dict[str, NDArray[np.int64]]:
        """The filled part of every buffer."""
        g, p = self.n_groups, self.n_path
        return {
            "row": self.row[:g], "count": self.count[:g], "dep": self.dep[:g], "arr": self.arr[:g],
            "zone": self.zone[:g], "plen": self.plen[:g], "edges": self.edges[:p], "entry": self.entry[:p],
        }


def _extend(release: NDArray[np.int64], n_bins: int) -> NDArray[np.int64]:
    """Release table padded (with the row totals) or cut to ``n_bins`` columns."""
    out = np.empty((release.shape[0], n_bins), dtype=np.int64)
    k = min(n_bins, release.shape[1])
    out[:, :k] = release[:, :k]
    out[:, k:] = release[:, -1:]
    return out


def fast_groups(
    problem: Problem,
    disc: Discretisation,
    *,
    n_bins: int,
    window: int = WINDOW,
    chunk: int | None = None,
    mode: str = "auto",
    progress: Callable[[float], None] | None = None,
    reserve: tuple[NDArray[np.float64], NDArray[np.int64]] | None = None,
) -> tuple[dict[str, NDArray[np.int64]], NDArray[np.int64], str]:
    """Plan every usable row; return the group buffers (in bins), the persons left unplanned per row and the mode.

    Parameters
    ----------
    problem, disc
        The problem and its discretisation.
    n_bins
        Initial number of time bins of the capacity tables (doubled whenever a search runs past it).
    window
        See :data:`WINDOW`.
    chunk
        Smallest group a row gathers before leaving in ``"routes"`` mode (default 1: groups are as large as the
        release schedule and the route's bottleneck allow; gathering larger groups measurably lengthens
        evacuations). The search mode sends whatever is released.
    mode
        ``"search"`` (an earliest-arrival search per batch of groups), ``"routes"`` (candidate routes, see
        :mod:`evacplan.planning.routes`) or ``"auto"``: search while edges x demand rows (a proxy of searches x
        search size) stays below :data:`SEARCH_WORK`.
    progress
        Called with the fraction of persons planned so far.
    reserve
        ``(room, need_from)``: safe-zone room held back from early releases for the rows that need it in ``"routes"``
        mode (see :mod:`evacplan.planning.zones` and :func:`evacplan.planning.routes.route_groups`).
    """
    net, zones, d = problem.network, problem.zones, problem.demand
    m = net.n_edges
    n_bins = max(int(n_bins), disc.release.shape[1])
    weight = np.ascontiguousarray(disc.weight_s)
    remaining = np.where(disc.usable, d.count, 0).astype(np.int64)
    if chunk is None:
        chunk = 1
    if mode == "auto":
        mode = "search" if float(m) * int((remaining > 0).sum()) <= SEARCH_WORK else "routes"
    state: dict[str, np.ndarray] = {
        "resid": np.full((n_bins, m), disc.step_s),
        "nxt": np.repeat(np.arange(n_bins + 1, dtype=np.int32)[:, None], m, axis=1),
        "release": _extend(disc.release, n_bins),
        "remaining": remaining,
        "wmin": weight.min(axis=0) if weight.shape[0] else np.full(m, np.inf),
        "zone_rem": zones.safe_capacity.astype(np.float64).copy(),
    }
    state["cumdep"] = np.zeros_like(state["release"])

    def grow() -> None:
        state["resid"], state["nxt"], state["release"], state["cumdep"] = _grow(
            state["resid"], state["nxt"], state["release"], state["cumdep"], disc.step_s
        )

    out = GroupArrays(1024, 16384)
    if mode == "routes":
        route_groups(problem, disc, state, out, chunk=chunk, grow=grow, progress=progress, reserve=reserve)
    else:
        _search_groups(problem, disc, state, out, window, grow, progress)
    unplanned = d.count - np.where(disc.usable, d.count - remaining, 0)
    return out.trimmed(), unplanned.astype(np.int64), mode


#: Largest edges x demand rows for which ``mode="auto"`` runs the per-batch search.
SEARCH_WORK = 2e7


def _search_groups(problem, disc, state, out, window, grow, progress):  # type: ignore[no-untyped-def]
    """CCRP-style loop: search, commit the batch of groups it supports, repeat (per class, round robin)."""
    net, zones, d = problem.network, problem.zones, problem.demand
    n, m = net.n_nodes, net.n_edges
    tau = np.ascontiguousarray(disc.tau)
    weight = np.ascontiguousarray(disc.weight_s)
    remaining = state["remaining"]
    d0 = _first_departures(state["release"], state["cumdep"], remaining, 1)
    node_safe = zones.node_safe.astype(np.int64)
    origin = d.origin.astype(np.int64)
    tail = net.tail.astype(np.int64)
    head = net.head.astype(np.int64)
    indptr = net.indptr.astype(np.int64)
    arr = np.empty(n, dtype=np.int64)
    pred_edge = np.empty(n, dtype=np.int64)
    pred_entry = np.empty(n, dtype=np.int64)
    src_row = np.empty(n, dtype=np.int64)
    settled = np.empty(n, dtype=np.int8)
    heap = np.empty(m + n + 1, dtype=np.int64)
    targets = np.empty(max(int((node_safe >= 0).sum()), 1), dtype=np.int64)
    total = max(int(remaining.sum()), 1)
    class_rows = [np.flatnonzero((disc.row_class == c) & (remaining > 0)) for c in range(disc.n_classes)]
    active = [c for c in range(disc.n_classes) if class_rows[c].size]
    last_report = 0.0
    while active:
        still = []
        for c in active:
            rows = class_rows[c]
            n_t, overflow = kernels.earliest_arrival_search(
                indptr, head, tau[c], weight[c], state["resid"], state["nxt"], rows, origin, d0, remaining,
                node_safe, state["zone_rem"], window, arr, pred_edge, pred_entry, src_row, settled, heap, targets,
            )
            a_min = arr[targets[:n_t]].min() if n_t else None
            if overflow and (a_min is None or a_min >= state["resid"].shape[0]):
                grow()
                d0 = _first_departures(state["release"], state["cumdep"], remaining, 1)
                still.append(c)
                continue
            if n_t == 0:
                continue  # nothing of this class can reach a safe zone with room left
            out.reserve(n_t * window, n_t * window * n)
            out.n_groups, out.n_path = kernels.commit_groups(
                targets, n_t, window, arr, pred_edge, pred_entry, src_row, tail, tau[c], weight[c], state["wmin"],
                state["resid"], state["nxt"], state["release"], state["cumdep"], d0, remaining, node_safe,
                state["zone_rem"], 1,
                out.row, out.count, out.dep, out.arr, out.zone, out.plen, out.edges, out.entry,
                out.n_groups, out.n_path,
            )
            rows = rows[remaining[rows] > 0]
            class_rows[c] = rows
            if rows.size:
                still.append(c)
        active = still
        if progress is not None:
            done = 1.0 - remaining.sum() / total
            if done - last_report >= 0.01:
                progress(0.9 * float(done))
                last_report = done


def _first_departures(release, cumdep, remaining, chunk):  # type: ignore[no-untyped-def]
    return np.array(
        [kernels.first_departure(release, cumdep, r, min(chunk, remaining[r])) for r in range(release.shape[0])],
        dtype=np.int64,
    )


def _grow(resid, nxt, release, cumdep, step):  # type: ignore[no-untyped-def]
    """Double the number of bins of every capacity table."""
    t, m = resid.shape
    new_t = 2 * t
    r2 = np.full((new_t, m), step)
    r2[:t] = resid
    n2 = np.repeat(np.arange(new_t + 1, dtype=np.int32)[:, None], m, axis=1)
    n2[:t] = nxt[:t]
    # pointers that led to the old sentinel now lead into the new bins
    rel2 = _extend(release, new_t)
    cum2 = np.empty_like(rel2)
    cum2[:, :t] = cumdep
    cum2[:, t:] = cumdep[:, -1:]
    return r2, n2, rel2, cum2
