"""Safe-zone capacity: an assignment lower bound and the reservations that steer routing by it.

Every person released at bin ``t`` of a row of class ``c`` at origin ``o`` cannot reach safe zone ``z`` before
``e_z = t + dist_c(o, z)`` (shortest route of their own class, congestion ignored). A plan finishing by ``T``
therefore assigns the persons it saves to zones with ``e_z <= T`` without exceeding any zone's capacity: a
bipartite transportation problem whose max flow, by the max-flow min-cut theorem, is

    ``min over zone sets S of  cap(S) + persons(feasible zones not within S)``

(the persons whose feasible zones all lie in ``S`` can only use ``S``'s capacity). The smallest ``T`` at which
that reaches the target is a certified lower bound that sees full safe zones, which the plain analytic bound
(nearest zone with room) does not.

The same model tells the router which persons *need* a given zone to finish by ``T``: those whose only feasible
zone it is. First-come-first-served routing fills the nearest zones with the people released first; reserving
room for the persons released later who need it (:func:`reserve_schedule`) lets those still finish by ``T``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evacplan.planning import kernels
from evacplan.planning._discrete import Discretisation
from evacplan.problem.problem import Problem

__all__ = ["ZoneModel", "needy_rows", "reserve_schedule", "zone_bound", "zone_model"]

#: Most safe zones handled (the bound enumerates zone subsets).
MAX_ZONES = 10


@dataclass(frozen=True, eq=False)
class ZoneModel:
    """Released persons with their earliest arrival at each safe zone.

    Attributes
    ----------
    row
        Demand row of each release increment, ``int64[i]``.
    t
        Release bin of each release increment, ``int64[i]``.
    persons
        Persons of each increment, ``int64[i]``.
    earliest
        Earliest arrival bin of each increment at each zone, ``int64[i, z]`` (``INF_T`` when unreachable).
    capacity
        Persons each zone takes, ``float64[z]``.
    """

    row: NDArray[np.int64]
    t: NDArray[np.int64]
    persons: NDArray[np.int64]
    earliest: NDArray[np.int64]
    capacity: NDArray[np.float64]

    def masks(self, horizon: int) -> NDArray[np.int64]:
        """Bit set of the zones each increment can reach by ``horizon``."""
        bits = (self.earliest <= horizon).astype(np.int64) << np.arange(self.capacity.size, dtype=np.int64)
        return bits.sum(axis=1)

    def assignable(self, horizon: int) -> int:
        """Most persons that can be assigned to zones they reach by ``horizon`` (min cut over zone sets)."""
        nz = self.capacity.size
        per_mask = np.bincount(self.masks(horizon), weights=self.persons, minlength=1 << nz)
        per_mask[0] = 0.0
        total = float(per_mask.sum())
        cap_big = np.minimum(self.capacity, total)
        subsets = np.arange(1 << nz, dtype=np.int64)
        sub_cap = ((subsets[:, None] >> np.arange(nz)) & 1) @ cap_big
        masks = np.arange(1 << nz, dtype=np.int64)
        inside = (masks[None, :] & ~subsets[:, None]) == 0  # mask within S
        outside_persons = total - inside.astype(np.float64) @ per_mask
        return int(np.floor(np.min(sub_cap + outside_persons) + 1e-6))


def zone_model(problem: Problem, disc: Discretisation, rows: NDArray[np.int64]) -> ZoneModel | None:
    """The model over the demand ``rows``, or ``None`` when no safe zone can fill up (or too many zones)."""
    zones, d, net = problem.zones, problem.demand, problem.network
    cap = zones.safe_capacity.astype(np.float64)
    nz = cap.size
    total = float(d.count[rows].sum()) if rows.size else 0.0
    if rows.size == 0 or nz > MAX_ZONES or not np.any(cap < total):
        return None
    rev_indptr, rev_edges = net.reverse()
    adj = net.tail[rev_edges].astype(np.int64)
    inf = int(kernels.INF_T)
    dist = np.full((disc.n_classes, nz, net.n_nodes), inf, dtype=np.int64)
    for c in np.unique(disc.row_class[rows]):
        for z in range(nz):
            if cap[z] < 1:
                continue
            init = np.full(net.n_nodes, inf, dtype=np.int64)
            init[zones.node_safe == z] = 0
            dist[c, z], _ = kernels.static_dijkstra(rev_indptr, adj, rev_edges, disc.tau[c], init)
    inc = np.diff(disc.release[rows], axis=1, prepend=0)
    r_idx, t_idx = np.nonzero(inc)
    rr = rows[r_idx]
    earliest = dist[disc.row_class[rr], :, d.origin[rr]]  # [i, z]
    earliest = np.where(earliest < inf, earliest + t_idx[:, None], inf)
    return ZoneModel(
        row=rr.astype(np.int64), t=t_idx.astype(np.int64), persons=inc[r_idx, t_idx].astype(np.int64),
        earliest=earliest, capacity=cap,
    )


def zone_bound(model: ZoneModel, target: int, lo: int, hi: int) -> int:
    """Smallest horizon in ``lo .. hi`` at which ``target`` persons can be assigned (``hi`` if none below it)."""
    if target <= 0 or model.assignable(lo) >= target:
        return lo
    while hi - lo > 1:  # assignable(lo) < target; hi is the answer or undecided
        mid = (lo + hi) // 2
        if model.assignable(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def reserve_schedule(model: ZoneModel, horizon: int, n_bins: int) -> NDArray[np.float64]:
    """Room to hold back in each zone before bin ``t``: persons released at ``t`` or later whose only zone
    reachable by ``horizon`` it is, ``float64[z, n_bins + 1]``."""
    nz = model.capacity.size
    masks = model.masks(horizon)
    out = np.zeros((nz, n_bins + 1), dtype=np.float64)
    t = np.minimum(model.t, n_bins)
    for z in range(nz):
        sel = masks == (1 << z)
        per_t = np.bincount(t[sel], weights=model.persons[sel], minlength=n_bins + 1)
        out[z] = np.cumsum(per_t[::-1])[::-1]
    return np.minimum(out, model.capacity[:, None])


def needy_rows(model: ZoneModel, horizon: int, n_rows: int) -> NDArray[np.int64]:
    """First release bin of each row from which it has persons whose only zone reachable by ``horizon`` is one
    zone, ``int64[k]`` (``INF_T`` for none); from then on the row is served before the others."""
    masks = model.masks(horizon)
    single = (masks > 0) & ((masks & (masks - 1)) == 0)
    out = np.full(n_rows, int(kernels.INF_T), dtype=np.int64)
    np.minimum.at(out, model.row[single], model.t[single])
    return out
