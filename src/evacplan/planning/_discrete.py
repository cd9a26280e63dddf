"""The time-discretised model every planner and checker shares.

Both planners work on the same discretisation so that their evacuation times compare exactly:

* time is cut into bins of ``problem.time_step_s``; a person enters an edge at the start of a bin;
* the transit time of edge ``e`` for a (mode, demographic group) *class* is ``ceil(edge_time_s / step)`` bins;
* in one bin, edge ``e`` lets through persons whose summed ``1 / capacity_per_s[mode, e]`` is at most one step,
  which for a single mode is ``floor(capacity_per_s * step)`` persons;
* a demand row may have sent at most ``R(t) = floor(count * departure_cdf[curve, t])`` persons by bin ``t``;
* waiting at nodes is unlimited; reaching any node of a safe zone with capacity left is safety.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evacplan.problem.problem import Problem
from evacplan.problem.reach import reachable_over

__all__ = ["EPS", "Discretisation", "discretise"]

#: Tolerance on capacity comparisons (persons or seconds).
EPS = 1e-7


@dataclass(frozen=True, eq=False)
class Discretisation:
    """Integer-time view of a problem.

    Attributes
    ----------
    step_s
        Bin length in seconds.
    class_mode, class_group
        Mode and demographic group of each travel class, ``int64[c]``.
    row_class
        Class of each demand row, ``int64[k]``.
    tau
        Transit time of each edge per class in bins, ``int64[c, m]``; ``-1`` where the class may not use the edge.
    weight_s
        Seconds of an edge's one-bin budget (``step_s``) a person of the class uses, ``float64[c, m]`` (``inf`` when
        closed).
    cap_bin
        Persons of the class that fit in one bin of each edge, ``int64[c, m]`` (0 when closed).
    release
        Cumulative persons of each row allowed to have departed by bin ``t``, ``int64[k, n_steps + 1]``.
    usable
        Rows planned at all: reachable by their mode over open edges, ``bool[k]``.
    """

    step_s: float
    class_mode: NDArray[np.int64]
    class_group: NDArray[np.int64]
    row_class: NDArray[np.int64]
    tau: NDArray[np.int64]
    weight_s: NDArray[np.float64]
    cap_bin: NDArray[np.int64]
    release: NDArray[np.int64]
    usable: NDArray[np.bool_]

    @property
    def n_classes(self) -> int:
        """Number of travel classes."""
        return int(self.class_mode.shape[0])

    def released(self, row: int, t: int) -> int:
        """Persons of ``row`` allowed to have departed by bin ``t``."""
        rel = self.release[row]
        return int(rel[min(max(t, 0), rel.shape[0] - 1)]) if t >= 0 else 0

    def last_release(self) -> NDArray[np.int64]:
        """First bin by which every person of each row may have departed, ``int64[k]``."""
        full = self.release >= self.release[:, -1:]
        return np.argmax(full, axis=1).astype(np.int64)

    def first_release(self) -> NDArray[np.int64]:
        """First bin at which each row may send anyone, ``int64[k]``."""
        return np.argmax(self.release > 0, axis=1).astype(np.int64)


def discretise(problem: Problem, step_s: float | None = None) -> Discretisation:
    """Build the shared integer-time model of ``problem``.

    Parameters
    ----------
    problem
        The built problem.
    step_s
        Bin length; a whole multiple ``k`` of ``problem.time_step_s`` (default: that step). A coarser bin releases
        by bin ``t`` whoever the departure curve releases by ``t * k`` of the problem's steps.
    """
    net, d = problem.network, problem.demand
    base = float(problem.time_step_s)
    k = 1 if step_s is None else int(round(float(step_s) / base))
    if k < 1 or abs(k * base - (base if step_s is None else float(step_s))) > 1e-6 * base:
        raise ValueError(f"step {step_s} s is not a whole multiple of the problem's {base} s")
    step = k * base
    pairs = np.stack([d.mode.astype(np.int64), d.group.astype(np.int64)], axis=1)
    if pairs.shape[0]:
        uniq, row_class = np.unique(pairs, axis=0, return_inverse=True)
    else:
        uniq, row_class = np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    c, m = uniq.shape[0], net.n_edges
    tau = np.full((c, m), -1, dtype=np.int64)
    weight = np.full((c, m), np.inf)
    cap_bin = np.zeros((c, m), dtype=np.int64)
    for i, (mode, group) in enumerate(uniq):
        t = problem.edge_time_s(int(mode), int(group))
        cap = net.capacity_per_s[int(mode)]
        per_bin = np.floor(cap * step + EPS)
        ok = np.isfinite(t) & (per_bin >= 1)
        tau[i, ok] = np.maximum(np.ceil(t[ok] / step - 1e-9), 1).astype(np.int64)
        weight[i, ok] = 1.0 / cap[ok]
        cap_bin[i, ok] = per_bin[ok].astype(np.int64)
    cdf_all = problem.departure_cdf
    if k > 1:
        cols = np.arange(0, cdf_all.shape[1] - 1 + k, k)
        cdf_all = cdf_all[:, np.minimum(cols, cdf_all.shape[1] - 1)]
    cdf = cdf_all[d.curve]
    release = np.floor(d.count[:, None] * cdf + EPS).astype(np.int64)
    release = np.minimum(release, d.count[:, None])
    release[:, -1] = d.count
    usable = _usable_rows(problem, tau, row_class.reshape(-1))
    return Discretisation(
        step_s=step,
        class_mode=uniq[:, 0].copy(),
        class_group=uniq[:, 1].copy(),
        row_class=row_class.reshape(-1).astype(np.int64),
        tau=tau,
        weight_s=weight,
        cap_bin=cap_bin,
        release=release,
        usable=usable,
    )


def _usable_rows(problem: Problem, tau: NDArray[np.int64], row_class: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Rows that can reach a safe zone with room for a person over edges open to their class."""
    d = problem.demand
    out = np.zeros(d.n_rows, dtype=bool)
    for c in range(tau.shape[0]):
        sel = row_class == c
        out[sel] = reachable_over(problem.network, problem.zones, tau[c] >= 0, min_room=1.0 - 1e-9)[d.origin[sel]]
    return out
