"""Safe-zone capacity: an assignment lower bound and the reservations that steer routing by it.

A person of class ``c`` released in label ``l`` at origin ``o`` cannot be safe in zone ``z`` before horizon
``e_z = l + D_c(o, z)``, where ``D_c(o, z)`` is the least of ``tau_c(P) - sink_shift_c(w)`` over the safe nodes ``w``
of ``z`` and the paths ``P`` from ``o`` to ``w`` (``tau_c(P)`` the sum of the model's transit labels on ``P``;
congestion ignored). Proof, in the planning model (:mod:`evacplan.planning.model`): the person departs in a label
``d >= l`` (nobody leaves before being released), walks some path ``P`` without waiting and is safe at its last node
``w``, reached in label ``d + tau_c(P)``; that arrival window starts at ``(d + tau_c(P)) * s - b_c(w)``, which is by
horizon ``H`` exactly when ``H >= d + tau_c(P) - sink_shift_c(w)`` (``sink_shift_c(w) = floor(b_c(w) / s)``), and
``d + tau_c(P) - sink_shift_c(w) >= l + D_c(o, z)``. (A person already at a safe node has the empty path.) Since
``tau_c[e] >= (t_c[e] + b_c(head) - b_c(tail)) / s``, ``e_z`` is never below the free-flow horizon
``ceil(l + (dist_c(o, z) - b_c(o)) / s)``; it is larger where the only ways into ``z`` leave the potential's
shortest routes and are rounded up on the way (a person sent to a farther zone than the one their potential leads
to). A plan finishing by ``T`` therefore assigns the persons it saves to zones with ``e_z <= T`` without exceeding
any zone's capacity: a bipartite transportation problem whose max flow, by the max-flow min-cut theorem, is

    ``min over zone sets S of  cap(S) + persons(feasible zones not within S)``

(the persons whose feasible zones all lie in ``S`` can only use ``S``'s capacity). The smallest ``T`` at which
that reaches the target is a certified lower bound that sees full safe zones, which the plain analytic bound
(the release label itself) does not.

The same model tells the router which persons *need* a given zone to finish by ``T``: those whose only feasible
zone it is. First-come-first-served routing fills the nearest zones with the people released first; reserving
room for the persons released later who need it (:func:`reserve_schedule`) lets those still finish by ``T``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evacplan.planning.model import INF_T, PlanningModel
from evacplan.problem import kernels as graph
from evacplan.problem.problem import Problem

__all__ = ["ZoneModel", "labels_to_go", "labels_to_zones", "needy_rows", "reserve_schedule", "zone_bound", "zone_model"]

#: Most safe zones handled (the bound enumerates zone subsets).
MAX_ZONES = 10


@dataclass(frozen=True, eq=False)
class ZoneModel:
    """Released persons with their earliest arrival label at each safe zone.

    Attributes
    ----------
    row
        Demand row of each release increment, ``int64[i]``.
    t
        Release label of each increment, ``int64[i]``.
    persons
        Persons of each increment, ``int64[i]``.
    earliest
        Earliest arrival label of each increment at each zone, ``int64[i, z]`` (``INF_T`` when unreachable).
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


def zone_model(problem: Problem, model: PlanningModel, rows: NDArray[np.int64]) -> ZoneModel | None:
    """The model over the demand ``rows``, or ``None`` when no safe zone can fill up (or too many zones)."""
    d, net = problem.demand, problem.network
    cap = model.phys.safe_capacity.astype(np.float64)
    nz = cap.size
    total = float(d.count[rows].sum()) if rows.size else 0.0
    if rows.size == 0 or nz > MAX_ZONES or not np.any(cap < total):
        return None
    extra = np.full((model.n_classes, nz, net.n_nodes), INF_T, dtype=np.int64)
    for c in np.unique(model.row_class[rows]):
        extra[c] = labels_to_zones(problem, model, int(c))
    rr, lab, persons = model.release_increments(rows)
    earliest = extra[model.row_class[rr], :, d.origin[rr]]  # [i, z]
    earliest = np.where(earliest < INF_T, earliest + lab[:, None], INF_T)
    return ZoneModel(row=rr, t=lab, persons=persons, earliest=earliest, capacity=cap)


def labels_to_zones(problem: Problem, model: PlanningModel, cls: int) -> NDArray[np.int64]:
    """``D_c(v, z)`` of the module docstring for class ``cls``: the fewest labels from leaving each node to the
    start of an arrival window in each safe zone (``sum of tau`` along a path to a safe node ``w`` of the zone minus
    ``sink_shift_c(w)``; congestion ignored), ``int64[z, n]`` (:data:`INF_T` where unreachable or the zone has no
    room)."""
    cap = model.phys.safe_capacity
    out = np.full((cap.size, problem.network.n_nodes), INF_T, dtype=np.int64)
    for z in range(cap.size):
        if cap[z] >= 1:
            out[z] = labels_to_go(problem, model, cls, np.arange(cap.size) == z)
    return out


def labels_to_go(problem: Problem, model: PlanningModel, cls: int, open_zones: NDArray[np.bool_]) -> NDArray[np.int64]:
    """``min over the open zones z of D_c(v, z)`` per node (:func:`labels_to_zones`), ``int64[n]`` (:data:`INF_T`
    where none is reachable): a lower bound on the horizon still to come from each node in label ``0`` for anyone
    who must end in an open zone, and a consistent one (never more than an edge's ``tau`` plus its head's)."""
    net, zones = problem.network, problem.zones
    rev_indptr, rev_edges = net.reverse()
    adj = net.tail[rev_edges].astype(np.int64)
    w = np.where(model.tau[cls] >= 0, model.tau[cls].astype(np.float64), np.inf)
    shift = model.sink_shift[cls].astype(np.float64)
    sinks = (zones.node_safe >= 0) & open_zones[np.maximum(zones.node_safe, 0)]
    init = np.where(sinks, -shift, np.inf)
    dist, _ = graph.dijkstra(rev_indptr.astype(np.int64), adj, rev_edges.astype(np.int64), w, init)
    fin = np.isfinite(dist)
    return np.where(fin, np.round(np.where(fin, dist, 0.0)), INF_T).astype(np.int64)


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


def reserve_schedule(model: ZoneModel, horizon: int, n_labels: int) -> NDArray[np.float64]:
    """Room to hold back in each zone before label ``t``: persons released in ``t`` or later whose only zone
    reachable by ``horizon`` it is, ``float64[z, n_labels + 1]``."""
    nz = model.capacity.size
    masks = model.masks(horizon)
    out = np.zeros((nz, n_labels + 1), dtype=np.float64)
    t = np.clip(model.t, 0, n_labels)
    for z in range(nz):
        sel = masks == (1 << z)
        per_t = np.bincount(t[sel], weights=model.persons[sel], minlength=n_labels + 1)
        out[z] = np.cumsum(per_t[::-1])[::-1]
    return np.minimum(out, model.capacity[:, None])


def needy_rows(model: ZoneModel, horizon: int, n_rows: int) -> NDArray[np.int64]:
    """First release label of each row from which it has persons whose only zone reachable by ``horizon`` is one
    zone, ``int64[k]`` (``INF_T`` for none); from then on the row is served before the others."""
    masks = model.masks(horizon)
    single = (masks > 0) & ((masks & (masks - 1)) == 0)
    out = np.full(n_rows, int(INF_T), dtype=np.int64)
    np.minimum.at(out, model.row[single], model.t[single])
    return out
