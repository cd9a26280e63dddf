"""Departure curves: the cumulative share of people who have left, by time."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from evacplan.scenario.schema import MobilizationSpec

__all__ = ["departure_curve"]


def departure_curve(spec: MobilizationSpec, t_min: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cumulative share departed at each time of ``t_min`` (minutes); the last value is forced to 1.

    * ``logistic``: an S-curve with the given ``mean`` and ``spread`` (the scale of the logistic), renormalised to
      start at 0 at time 0 (the form of NUREG/CR-7002 mobilization curves);
    * ``uniform``: departures spread evenly from ``start`` to ``end``;
    * ``instant``: everyone may leave at time 0;
    * ``table``: linear interpolation of ``[minute, cumulative share]`` pairs (0 before the first, 1 after the last).
    """
    t = np.asarray(t_min, dtype=np.float64)
    if spec.kind == "instant":
        out = np.ones_like(t)
    elif spec.kind == "uniform":
        out = np.clip((t - spec.start_min) / max(spec.end_min - spec.start_min, 1e-9), 0.0, 1.0)
    elif spec.kind == "table":
        mins = np.array([r[0] for r in spec.table])
        shares = np.array([r[1] for r in spec.table])
        out = np.interp(t, mins, shares, left=0.0 if mins[0] > 0 else shares[0], right=1.0)
    else:
        f = 1.0 / (1.0 + np.exp(-(t - spec.mean_min) / spec.spread_min))
        f0 = 1.0 / (1.0 + np.exp(spec.mean_min / spec.spread_min))
        out = np.clip((f - f0) / (1.0 - f0), 0.0, 1.0)
    out = np.maximum.accumulate(out)
    out[-1] = 1.0
    return out
