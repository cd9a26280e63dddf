"""Safe-zone prices: which zone each place's label frame points at when the nearest zone cannot take everyone.

A label frame rounds nothing along the quickest routes into the zone its potential leads to, and rounds up each edge
of any other route by up to a step (:mod:`evacplan.planning.model`). When a nearby zone fills up, many people must
walk to a farther one; measured against the distance to the *nearest* zone their routes would be rounded up at
every step (on the bundled default, 20 minutes for each of the 343,000 persons sent to their farther zone). So the
frame's potential is the *priced* distance ``min over z of (time to z + price_z)``: prices that balance each
zone's catchment against its room (the dual prices of the transportation problem from places to zones) make the
potential lead every place towards the zone it will most likely use.

Any prices give a valid model (a potential of any prices keeps every model time at or after free flow); these
merely make it tight where people go. They are computed once per problem, deterministically: an auction that
raises the price of the most overloaded zone just enough to move its surplus to the people's next-best zones, in
whole steps.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["zone_prices"]

#: Most price rounds.
MAX_ROUNDS = 200


def zone_prices(to_zone_s: NDArray[np.float64], persons: NDArray[np.float64], capacity: NDArray[np.float64],
                step_s: float) -> NDArray[np.float64]:
    """Prices (seconds, whole multiples of ``step_s``) balancing each zone's catchment against its capacity.

    Parameters
    ----------
    to_zone_s
        Free time from each node to each zone, ``float64[z, n]`` (``inf``: unreachable or no room).
    persons
        Persons who must find a zone, per node, ``float64[n]``.
    capacity
        Persons each zone takes, ``float64[z]`` (``inf``: unlimited).
    step_s
        The model's step.

    Returns
    -------
    numpy.ndarray
        ``float64[z]``; all zeros when the nearest zones can take everyone.
    """
    n_z = to_zone_s.shape[0]
    price = np.zeros(n_z)
    nodes = np.flatnonzero(persons > 0)
    if n_z < 2 or nodes.size == 0:
        return price
    dist = to_zone_s[:, nodes]
    w = persons[nodes]
    reach = np.isfinite(dist)
    for _ in range(MAX_ROUNDS):
        cost = np.where(reach, dist + price[:, None], np.inf)
        best = np.argmin(cost, axis=0)
        ok = np.isfinite(cost[best, np.arange(nodes.size)])
        load = np.bincount(best[ok], weights=w[ok], minlength=n_z)
        surplus = load - capacity
        z = int(np.argmax(surplus))
        if surplus[z] <= 0.5:
            break
        inside = ok & (best == z)
        others = np.where(np.arange(n_z)[:, None] == z, np.inf, cost)[:, inside].min(axis=0)
        margin = others - cost[z, inside]
        movable = np.isfinite(margin)
        if not movable.any():
            break  # nobody in the catchment can go anywhere else: the zone stays over (reported by the planner)
        order = np.argsort(margin[movable], kind="stable")
        moved = np.cumsum(w[inside][movable][order])
        k = int(np.searchsorted(moved, surplus[z] - 0.5))
        k = min(k, order.size - 1)
        price[z] += np.ceil((margin[movable][order][k] + 1e-6) / step_s) * step_s
    return price
