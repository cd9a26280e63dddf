"""Departure curves: the cumulative share of people who have left, by time."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from evacplan.scenario.schema import MobilizationSpec

__all__ = ["LOGISTIC_END_SPREADS", "departure_curve"]

#: The logistic curve is truncated (and renormalised) this many spreads after its mean: 99.9 % have left there.
LOGISTIC_END_SPREADS = 7.0


def departure_curve(spec: MobilizationSpec, t_min: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cumulative share departed at each time of ``t_min`` (minutes); the last value is forced to 1.

    * ``logistic``: an S-curve with the given ``mean`` and ``spread`` (the scale of the logistic), renormalised to
      run from 0 at time 0 to 1 at ``mean + 7 * spread`` (where 99.9 % of an untruncated logistic have left): a
      mobilization curve in the form of NUREG/CR-7002, which reaches 100 % at a finite time;
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
        def logistic(x: NDArray[np.float64] | float) -> NDArray[np.float64]:
            return 1.0 / (1.0 + np.exp(-(np.asarray(x, dtype=np.float64) - spec.mean_min) / spec.spread_min))

        f0, f1 = logistic(0.0), logistic(spec.mean_min + LOGISTIC_END_SPREADS * spec.spread_min)
        out = np.clip((logistic(t) - f0) / (f1 - f0), 0.0, 1.0)
    out = np.maximum.accumulate(out)
    out[-1] = 1.0
    return out
