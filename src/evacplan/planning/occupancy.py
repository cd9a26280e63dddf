"""Capacity another plan takes on the same streets, in clock time, and the windows of a model it blocks.

A staged plan (:mod:`evacplan.planning.staging`) is made of two plans on one network: the first leg empties the
danger zones into holding areas, the second takes people on to safety while the first is still under way. Their
timings differ (the first leg is timed at free flow, the second on its model's label grid), so the first leg's use
of the streets is kept in clock time, summed by windows of one step (:class:`Occupancy`), and mapped onto the
second's windows (:meth:`Occupancy.windows`): a window of the second plan is left what the busiest window of the
first plan *overlapping it in time* leaves. Where the first leg flows steadily, two overlapping windows of the two
plans on one edge then together use about one window's capacity; the staged plan's checker
(:mod:`evacplan.planning.validate_staged`) holds the queues that are left to the streets' storage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evacplan.planning.kernels import BIN0
from evacplan.planning.model import PlanningModel, planning_model
from evacplan.planning.result import Plan
from evacplan.problem.problem import Problem

__all__ = ["Occupancy", "window_seconds"]


def window_seconds(entry: NDArray[np.float64], span: NDArray[np.float64], seconds: NDArray[np.float64],
                   edge: NDArray[np.int64], step: float, frame: tuple[int, int] | None = None
                   ) -> tuple[NDArray[np.int64], NDArray[np.float64], int, int]:
    """Seconds of outflow used in each (edge, clock window ``[k * step, (k + 1) * step)``) by persons entering
    ``edge`` evenly over ``[entry, entry + span)`` (a span of at most one step: its window and the next):
    ``(key, seconds, windows, k0)`` with ``key = edge * windows + k - k0``, in key order. ``frame`` ``(k0,
    windows)`` fixes the key's frame (it must hold every window entered and the next), so that the keys of several
    calls can be merged; by default it is the smallest that holds these entries."""
    k_abs = np.floor(entry / step)
    first = np.ones(entry.size)
    spread = span > 0
    first[spread] = np.clip(((k_abs[spread] + 1) * step - entry[spread]) / span[spread], 0.0, 1.0)
    k0 = int(k_abs.min(initial=0)) if frame is None else frame[0]
    k = (k_abs - k0).astype(np.int64)
    n_k = int(k.max(initial=0)) + 2 if frame is None else frame[1]
    key = np.r_[edge * n_k + k, edge * n_k + k + 1]
    val = np.r_[seconds * first, seconds * (1.0 - first)]
    uniq, inv = np.unique(key, return_inverse=True)
    return uniq.astype(np.int64), np.bincount(inv, weights=val).astype(np.float64), n_k, k0


@dataclass(frozen=True)
class Occupancy:
    """Seconds of edge outflow a plan uses, per (edge, window) it enters: persons enter ``edge[i]`` during
    ``[start_s[i], start_s[i] + step_s)`` and use ``seconds[i]`` of its outflow there."""

    edge: NDArray[np.int64]
    start_s: NDArray[np.float64]
    seconds: NDArray[np.float64]
    step_s: float

    @classmethod
    def of_plan(cls, problem: Problem, plan: Plan) -> Occupancy:
        """The capacity ``plan`` (a plan of ``problem``) takes, per edge and clock window of its step
        (``[k * step, (k + 1) * step)``), each group entering its edges evenly over its departure span: a steady
        plan's groups enter an edge at instants of their own, which only add up by the window."""
        model = planning_model(problem, plan.time_step_s or problem.time_step_s)
        g, e, t = plan.expanded()
        sec = plan.count[g] * model.weight_s[model.row_class[plan.row[g].astype(np.int64)], e]
        key, seconds, n_k, k0 = window_seconds(t, plan.spans_s()[g], sec, e, model.step_s)
        start_s = ((key % n_k + k0) * model.step_s).astype(np.float64)
        return cls(edge=key // n_k, start_s=start_s, seconds=seconds, step_s=model.step_s)

    def windows(self, model: PlanningModel) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """``(row, edge, seconds)``: the seconds each window of ``model``'s capacity tables (row ``base window +
        BIN0``) must leave free, the most any window of this occupancy overlapping it in time uses (for every
        travel class of ``model``: a class's label covers its own clock interval at each node)."""
        if self.edge.size == 0 or model.n_classes == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        s = model.step_s
        u = model.tail[self.edge]
        rows, edges, secs = [], [], []
        for c in range(model.n_classes):
            pot = model.potential_s[c, u]
            ok = np.isfinite(pot)
            # class c in label l at u is there during [l * s - pot, (l + 1) * s - pot)
            lo = np.floor((self.start_s[ok] + pot[ok]) / s + 1e-9).astype(np.int64)
            hi = np.ceil((self.start_s[ok] + self.step_s + pot[ok]) / s - 1e-9).astype(np.int64)
            shift = model.shift[c, u[ok]]
            for k in range(int((hi - lo).max(initial=0))):
                inside = lo + k < hi
                rows.append(lo[inside] + k + shift[inside] + BIN0)
                edges.append(self.edge[ok][inside])
                secs.append(self.seconds[ok][inside])
        row, edge, sec = np.concatenate(rows), np.concatenate(edges), np.concatenate(secs)
        keep = row >= 0
        row, edge, sec = row[keep], edge[keep], sec[keep]
        order = np.lexsort((-sec, row, edge))
        row, edge, sec = row[order], edge[order], sec[order]
        first = np.r_[True, (row[1:] != row[:-1]) | (edge[1:] != edge[:-1])] if row.size else np.zeros(0, bool)
        return row[first], edge[first], sec[first]
