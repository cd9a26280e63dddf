"""Departure curves: the cumulative share of people who have left, by time."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evacplan.scenario.schema import MobilizationSpec

if TYPE_CHECKING:
    from evacplan.problem.problem import Problem

__all__ = ["LOGISTIC_END_SPREADS", "delay_departures", "departure_curve", "group_release_times", "release_times",
           "shift_curves"]

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


def release_times(cdf: NDArray[np.float64], step_s: float, share: NDArray[np.float64]) -> NDArray[np.float64]:
    """Seconds at which a departure curve (linear between its steps) first reaches each ``share``.

    The physical model's release rule, shared by planner and simulator: person ``j`` (counted from 0) of a demand
    row of ``count`` persons may leave once the curve reaches ``(j + 1) / count``; a packet of persons ``j0 .. j1 - 1``
    leaves when its last person may, at ``release_times(cdf, step_s, j1 / count)``.
    """
    share = np.asarray(share, dtype=np.float64)
    i = np.searchsorted(cdf, share - 1e-12, side="left")
    i = np.clip(i, 0, len(cdf) - 1)
    prev = np.maximum(i - 1, 0)
    lo, hi = cdf[prev], cdf[i]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(hi > lo, (share - lo) / (hi - lo), 1.0)
    t = (prev + np.clip(frac, 0.0, 1.0)) * step_s
    return np.where(i == 0, 0.0, t)


def group_release_times(problem: Problem, row: NDArray[np.integer], count: NDArray[np.integer],
                        window_start_s: NDArray[np.floating], group: NDArray[np.integer],
                        share: NDArray[np.floating]) -> NDArray[np.float64]:
    """Seconds by which the persons of planned groups up to ``share[i]`` of group ``group[i]`` are all released.

    Groups (demand ``row``, ``count`` persons, departure window starting at ``window_start_s``) may send persons
    released by the end of their window's first step (:mod:`evacplan.planning.model`), so the last of them may be
    released after their place in it; each then leaves at their place or at their release, whichever is later. A
    row's persons leave in the order of its windows, and the groups sharing one window share its persons evenly:
    the persons up to ``share`` of a group are, in the row's order, those up to ``before + share * in_window``
    (``before``: the row's planned persons in earlier windows, ``in_window``: in this one), released by the curve
    as :func:`release_times` says.
    """
    row = np.asarray(row, dtype=np.int64)
    count = np.asarray(count, dtype=np.int64)
    start = np.asarray(window_start_s, dtype=np.float64)
    group = np.asarray(group, dtype=np.int64)
    share = np.asarray(share, dtype=np.float64)
    out = np.zeros(group.shape[0])
    if group.size == 0:
        return out
    order = np.lexsort((start, row))
    r_s, t_s, c_s = row[order], start[order], count[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (r_s[1:] != r_s[:-1]) | (t_s[1:] != t_s[:-1])
    block = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    in_window = np.add.reduceat(c_s, first)
    row_start = np.ones(len(first), dtype=bool)
    row_start[1:] = r_s[first[1:]] != r_s[first[:-1]]
    cum = np.cumsum(in_window)
    base = np.maximum.accumulate(np.where(row_start, cum - in_window, 0))  # the row's persons before its first window
    before_b = cum - in_window - base
    before = np.empty(len(row), dtype=np.int64)
    window = np.empty(len(row), dtype=np.int64)
    before[order], window[order] = before_b[block], in_window[block]
    d = problem.demand
    r = row[group]
    persons = np.ceil(before[group] + share * window[group] - 1e-9)
    target = persons / np.maximum(d.count[r], 1)
    for curve in np.unique(d.curve[r]):
        sel = d.curve[r] == curve
        out[sel] = release_times(problem.departure_cdf[curve], problem.time_step_s, target[sel])
    return out


def shift_curves(cdf: NDArray[np.float64], step_min: float, delay_min: float, spread: float = 1.0
                 ) -> NDArray[np.float64]:
    """Departure curves delayed by ``delay_min`` and stretched by ``spread`` around each curve's median time.

    ``new(t) = old(median + (t - delay - median) / spread)`` (linear between the curve's steps, so any delay, not
    only whole steps, moves the curve exactly), with nobody departed before time 0 of the old curve and the last
    value forced to 1.
    """
    if delay_min == 0 and spread == 1:
        return cdf
    n = cdf.shape[1]
    t = np.arange(n) * step_min
    out = np.empty_like(cdf)
    for c in range(cdf.shape[0]):
        med = float(np.interp(0.5, cdf[c], t)) if cdf[c, 0] < 0.5 else 0.0
        u = med + (t - delay_min - med) / spread
        row = np.interp(u, t, cdf[c], left=0.0, right=1.0)
        row = np.maximum.accumulate(row)
        row[-1] = 1.0
        out[c] = row
    return out


def delay_departures(problem: Problem, delay_min: float, spread: float = 1.0) -> Problem:
    """``problem`` with every departure curve :func:`shifted <shift_curves>` (the one function that variants and
    ensemble members use for late or stretched departures)."""
    if delay_min == 0 and spread == 1:
        return problem
    cdf = shift_curves(problem.departure_cdf, problem.time_step_s / 60.0, delay_min, spread)
    return dataclasses.replace(problem, departure_cdf=cdf)
