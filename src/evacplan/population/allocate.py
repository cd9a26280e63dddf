"""Allocating people to origin nodes and splitting them into demographic groups and modes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from evacplan.network.graph import Network
from evacplan.population.demand import Demand
from evacplan.population.sources import PopulationPoints
from evacplan.scenario.schema import GroupSpec, ModeSpec

__all__ = ["largest_remainder", "people_per_node", "split_demand"]


def largest_remainder(values: NDArray[np.float64], total: int | None = None) -> NDArray[np.int64]:
    """Round non-negative ``values`` to integers that sum exactly to ``total`` (default: their rounded sum).

    Hamilton's method: floor everything, then give the leftover units to the largest remainders (ties to the lower
    index, so the result is deterministic).
    """
    values = np.asarray(values, dtype=np.float64)
    if total is None:
        total = int(round(float(values.sum())))
    s = float(values.sum())
    if s <= 0 or total <= 0:
        return np.zeros(values.shape, dtype=np.int64)
    scaled = np.minimum(values / s, 1.0) * total
    base = np.floor(scaled).astype(np.int64)
    left = total - int(base.sum())
    if left > 0:
        rem = scaled - base
        order = np.lexsort((np.arange(rem.size), -rem))
        base[order[:left]] += 1
    return base


def people_per_node(
    net: Network, pts: PopulationPoints, usable: NDArray[np.bool_], max_snap_m: float, scale_to: float | None
) -> tuple[NDArray[np.int64], int]:
    """Persons per node and persons farther than ``max_snap_m`` from every usable node.

    Points go to their nearest usable node; a polygon's count is shared equally by the usable nodes inside it (its
    representative point's nearest node when it holds none).
    """
    n = net.n_nodes
    idx = np.flatnonzero(usable)
    counts = pts.count.astype(np.float64)
    if scale_to is not None and counts.sum() > 0:
        counts = counts * (scale_to / counts.sum())
    if idx.size == 0:
        return np.zeros(n, dtype=np.int64), int(round(float(counts.sum())))
    tree = cKDTree(np.c_[net.x[idx], net.y[idx]])
    per_node = np.zeros(n, dtype=np.float64)
    spread = np.zeros(counts.size, dtype=bool)
    if pts.polygons is not None:
        import shapely

        for i, poly in enumerate(pts.polygons):
            inside = idx[shapely.contains_xy(poly, net.x[idx], net.y[idx])]
            if inside.size:
                per_node[inside] += counts[i] / inside.size
                spread[i] = True
    dist = np.full(counts.size, np.inf)
    nearest = np.zeros(counts.size, dtype=np.int64)
    ok = np.isfinite(pts.x) & np.isfinite(pts.y)  # points that could not be projected are never placed
    if ok.any():
        dist[ok], nearest[ok] = tree.query(np.c_[pts.x[ok], pts.y[ok]])
    near = (~spread) & (dist <= max_snap_m)
    np.add.at(per_node, idx[nearest[near]], counts[near])
    off = float(counts[(~spread) & (dist > max_snap_m)].sum())
    total = int(round(float(counts.sum()) - off))
    return largest_remainder(per_node, total), int(round(off))


def split_demand(
    persons: NDArray[np.int64],
    node_danger: NDArray[np.int32],
    node_curve: NDArray[np.int16],
    groups: Sequence[GroupSpec],
    modes: Sequence[ModeSpec],
) -> Demand:
    """Split each node's persons into (group, mode) rows by their shares, exactly (no person lost or added)."""
    nodes = np.flatnonzero(persons > 0)
    shares = np.array([[g.share * m.share for m in modes] for g in groups]).ravel()
    k = shares.size
    # largest remainder per node, vectorised
    scaled = persons[nodes, None] * shares[None, :]
    base = np.floor(scaled).astype(np.int64)
    left = persons[nodes] - base.sum(axis=1)
    rem = scaled - base
    order = np.argsort(-rem, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(k)[None, :].repeat(len(nodes), 0), axis=1)
    base += rank < left[:, None]
    gi, mi = np.divmod(np.arange(k), len(modes))
    r_node, r_col = np.nonzero(base > 0)
    origin = nodes[r_node]
    return Demand(
        origin=origin.astype(np.int32),
        group=gi[r_col].astype(np.int16),
        mode=mi[r_col].astype(np.int16),
        count=base[r_node, r_col].astype(np.int64),
        danger=node_danger[origin].astype(np.int32),
        curve=node_curve[origin].astype(np.int16),
        groups=tuple(groups),
    )
