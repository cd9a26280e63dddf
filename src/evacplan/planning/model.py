"""The planning model: the physical model (:mod:`evacplan.problem.physics`) discretised in time.

Every planner (fast and exact), every bound and the plan checker work in this one model, at a time step ``s``
(the scenario's step, or a whole multiple of it for horizons of days):

* **labels instead of clock times.** For a travel class ``c`` let ``b_c(v)`` be its free travel time from node ``v``
  to safety: to the nearest safe zone with room, each zone's time raised by its *price*
  (:mod:`evacplan.planning.prices`: zero unless the nearest zones cannot take everyone). A person of class ``c``
  *at node v in label l* is there at time ``l * s - b_c(v)``: the label is the time (in steps) at which they would
  be safe if they kept walking on their route to the zone their potential leads to.
* **transit.** Edge ``e = (u, v)`` takes class ``c`` from label ``l`` at ``u`` to label ``l + tau_c[e]`` at ``v``, with
  ``tau_c[e] = ceil((t_c[e] + b_c(v) - b_c(u)) / s)`` (``t_c`` the free time): 0 on every edge of a shortest route,
  so a route's time is never rounded up along the way, only where it leaves the shortest routes. Model times are
  never earlier than free-flow times.
* **no waiting on the way.** A person enters the next edge in the label they reach its tail; people wait only at
  home (departure label) and inside safe zones. A plan is therefore a departure schedule whose queues fit where
  they form: nothing is parked at a street corner.
* **capacity.** In one window of length ``s`` an edge lets through persons whose summed ``1 / capacity_per_s`` is
  at most ``s`` (``floor(capacity * s)`` persons of one mode). Windows are counted in the *base frame* of the
  fastest class (``b_base`` from the smallest free time of any class on each edge): class ``c``'s label ``l`` at
  ``u`` falls in base window ``l + shift_c[u]``.
* **release.** By label ``l`` a demand row may have sent ``floor(count * F(l * s + s_0 - b_c(origin)))`` persons,
  ``F`` its departure curve (linear between the problem's steps ``s_0``, as the simulator reads it): those released
  by the end of the first of the problem's steps in the departure window (the whole window at the problem's own
  step), in windows starting at clock time 0 or later. Each person leaves at their place in the window or at their
  release, whichever is later; a person released within a window of ``s_0`` need not wait for the next one, so
  following a plan costs no window against leaving at once. At a coarser step the rule is no looser than at the
  problem's own: a coarse window's persons are released by the end of its first fine window, so a coarse plan is a
  plan of the fine model.
* **safety.** Reaching any node of a safe zone with room (whole persons, :data:`~evacplan.problem.physics.MIN_ROOM`)
  is safety; a zone never takes more than its capacity.

Times are windows: a group departing in label ``d`` leaves during ``[d * s - b_c(origin), (d + 1) * s - b_c(origin))``
(over the first :attr:`~evacplan.planning.result.Plan.departure_span_s` of it, the seconds used of the busiest window
on its path, each person no earlier than released: :func:`~evacplan.problem.mobilization.group_release_times`) and is
safe during the window of its arrival label at the safe node ``w`` it reaches, ``[l * s - b_c(w), l * s - b_c(w) + s)``.
A plan's *horizon* ``H`` is the smallest whole number with every arrival window starting by ``H * s``; its evacuation
time is the end of its last arrival window. A lower bound of ``H`` windows (no plan's arrival windows all start by
``(H - 1) * s``) is reported as ``H * s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray

from evacplan.planning.prices import zone_prices
from evacplan.problem.physics import Physics, physics, time_to_safety, time_to_zones
from evacplan.problem.problem import Problem

__all__ = ["EPS", "PlanningModel", "planning_model", "release_at"]

#: Tolerance on capacity and time comparisons (persons, seconds or steps).
EPS = 1e-7

#: Label of "never" (an int64 far beyond any horizon, safe to add small numbers to).
INF_T = np.int64(1) << 60


@dataclass(frozen=True, eq=False)
class PlanningModel:
    """The integer-label view of a problem at step :attr:`step_s` (see the module docstring).

    Attributes
    ----------
    step_s
        Window length in seconds.
    phys
        The physical model discretised.
    potential_s
        ``b_c(v)``: free time from each node to safety per class, seconds, ``float64[c, n]`` (``inf`` where none).
    base_potential_s
        ``b_base(v)`` of the base frame, ``float64[n]``.
    shift
        Base window of class label ``l`` at node ``v`` is ``l + shift[c, v]``, ``int64[c, n]`` (``<= 0``).
    tau
        Transit labels per class and edge, ``int64[c, m]`` (``-1`` where the class may not use the edge or cannot
        reach safety from its head).
    weight_s
        Seconds of an edge's window one person of the class uses, ``float64[c, m]`` (``inf`` where closed).
    cap_bin
        Persons of one class that fit into one window of each edge, ``int64[c, m]``.
    row_count, row_curve, row_origin
        Persons, departure curve and origin node of each demand row, ``int64[k]``.
    row_potential_s
        ``b_c(origin)`` of each demand row, ``float64[k]``.
    row_first, row_last
        First label at which each row may send anyone, and first label by which it may have sent everyone,
        ``int64[k]`` (:data:`INF_T` for rows nobody can leave).
    cdf, cdf_step_s
        The problem's departure curves and their step.
    usable
        Rows that can reach a safe zone with room by their class, ``bool[k]``.
    tail, head
        Edge end points (node indices), ``int64[m]``.
    zone_price_s
        The price of each safe zone in the potentials, seconds (whole steps), ``float64[z]``.
    safety_s
        Free time from each node to the nearest safe zone with room per class, prices left out, seconds,
        ``float64[c, n]``: the earliest anyone can be safe from there.
    """

    step_s: float
    phys: Physics
    potential_s: NDArray[np.float64]
    base_potential_s: NDArray[np.float64]
    shift: NDArray[np.int64]
    tau: NDArray[np.int64]
    weight_s: NDArray[np.float64]
    cap_bin: NDArray[np.int64]
    row_count: NDArray[np.int64]
    row_curve: NDArray[np.int64]
    row_origin: NDArray[np.int64]
    row_potential_s: NDArray[np.float64]
    row_first: NDArray[np.int64]
    row_last: NDArray[np.int64]
    cdf: NDArray[np.float64]
    cdf_step_s: float
    usable: NDArray[np.bool_]
    tail: NDArray[np.int64]
    head: NDArray[np.int64]
    zone_price_s: NDArray[np.float64]
    safety_s: NDArray[np.float64]

    @property
    def n_classes(self) -> int:
        """Number of travel classes."""
        return self.phys.n_classes

    @property
    def row_class(self) -> NDArray[np.int64]:
        """Travel class of each demand row."""
        return self.phys.row_class

    def released(self, rows: NDArray[np.integer] | int, labels: NDArray[np.integer] | int) -> NDArray[np.int64]:
        """Persons of ``rows`` allowed to have departed by ``labels`` (broadcast together)."""
        r, lab = np.broadcast_arrays(np.asarray(rows, dtype=np.int64), np.asarray(labels, dtype=np.int64))
        out = release_at(self.cdf, self.cdf_step_s, self.step_s, self.row_count, self.row_curve,
                         self.row_potential_s, r.ravel().copy(), lab.ravel().copy())
        return out.reshape(r.shape)

    def release_increments(self, rows: NDArray[np.int64], shift: NDArray[np.int64] | None = None
                           ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Release increments ``(row, label, persons)`` of ``rows``: persons first allowed to leave in ``label``
        (moved by ``shift[row]`` when given, e.g. into the base frame)."""
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[self.row_first[rows] < INF_T]
        if rows.size == 0:
            z = np.zeros(0, dtype=np.int64)
            return z, z, z
        first, last = self.row_first[rows], self.row_last[rows]
        span = last - first + 1
        rr = np.repeat(rows, span)
        starts = np.cumsum(span) - span
        lab = np.repeat(first, span) + (np.arange(int(span.sum()), dtype=np.int64) - np.repeat(starts, span))
        amount = self.released(rr, lab) - self.released(rr, lab - 1)
        keep = amount > 0
        rr, lab, amount = rr[keep], lab[keep], amount[keep]
        if shift is not None:
            lab = lab + shift[rr]
        return rr, lab, amount

    def time_s(self, cls: NDArray[np.integer] | int, node: NDArray[np.integer] | int,
               label: NDArray[np.integer] | int) -> NDArray[np.float64]:
        """Clock time of ``label`` at ``node`` for class ``cls``, seconds."""
        return np.asarray(label) * self.step_s - self.potential_s[cls, node]

    def horizon(self, cls: NDArray[np.integer] | int, node: NDArray[np.integer] | int,
                label: NDArray[np.integer] | int) -> NDArray[np.int64]:
        """Smallest whole number of steps by which a window starting at ``label`` at ``node`` has started."""
        return np.asarray(label) - self.sink_shift[cls, node]

    @property
    def sink_shift(self) -> NDArray[np.int64]:
        """``floor(b_c(v) / s)`` per class and node, ``int64[c, n]``: a window of label ``l`` at ``v`` starts by
        ``(l - sink_shift) * s``."""
        fin = np.isfinite(self.potential_s)
        return np.floor(np.where(fin, self.potential_s, 0.0) / self.step_s + 1e-9).astype(np.int64)

    def base_tau(self) -> NDArray[np.int64]:
        """Fewest base windows any class takes over each edge (``-1`` where no class may use it)."""
        big = np.iinfo(np.int64).max
        out = np.full(self.tau.shape[1], big, dtype=np.int64)
        for c in range(self.n_classes):
            ok = self.tau[c] >= 0
            t = self.tau[c] + self.shift[c, self.head] - self.shift[c, self.tail]
            out = np.where(ok, np.minimum(out, t), out)
        return np.where(out == big, -1, out)


@njit(cache=True)
def _cdf_at(cdf, curve, t_steps):
    """Departure curve ``curve`` at time ``t_steps`` (in the problem's steps), linear in between, 0 before 0."""
    if t_steps < 0.0:
        return 0.0
    n = cdf.shape[1]
    if t_steps >= n - 1:
        return cdf[curve, n - 1]
    i = int(np.floor(t_steps))
    f = t_steps - i
    return cdf[curve, i] * (1.0 - f) + cdf[curve, i + 1] * f


@njit(cache=True)
def released_one(cdf, cdf_step, step, count, curve, potential, label):
    """Persons of one row (``count``, ``curve``, ``potential`` = ``b_c(origin)``) released by ``label``."""
    if label >= INF_T:
        return count
    start = label * step - potential
    if start < -1e-9:  # no window starts before clock time 0: people released then would leave bunched at 0
        return 0
    t = start + cdf_step  # released by the end of the window's first step
    x = np.int64(np.floor(count * _cdf_at(cdf, curve, t / cdf_step) + 1e-7))
    if x > count:
        return count
    return x


@njit(cache=True)
def release_at(cdf, cdf_step, step, count, curve, potential, rows, labels):
    """Vectorised :func:`released_one` over ``(rows[i], labels[i])``."""
    out = np.empty(rows.shape[0], dtype=np.int64)
    for i in range(rows.shape[0]):
        r = rows[i]
        out[i] = released_one(cdf, cdf_step, step, count[r], curve[r], potential[r], labels[i])
    return out


@njit(cache=True)
def _release_span(cdf, cdf_step, step, count, curve, potential, usable):
    """First label with anyone released and first label with everyone released, per row."""
    k = count.shape[0]
    first = np.full(k, INF_T, dtype=np.int64)
    last = np.full(k, INF_T, dtype=np.int64)
    n = cdf.shape[1]
    for r in range(k):
        if not usable[r] or count[r] <= 0:
            continue
        lo = np.int64(np.ceil(potential[r] / step - 1e-9))  # the first window starting at clock time 0 or later
        hi = np.int64(np.ceil((potential[r] + (n - 1) * cdf_step) / step)) + 1  # everyone released by then
        a, b = lo, hi
        while a < b:  # first label with released >= 1
            mid = (a + b) // 2
            if released_one(cdf, cdf_step, step, count[r], curve[r], potential[r], mid) >= 1:
                b = mid
            else:
                a = mid + 1
        first[r] = a
        a, b = lo, hi
        while a < b:
            mid = (a + b) // 2
            if released_one(cdf, cdf_step, step, count[r], curve[r], potential[r], mid) >= count[r]:
                b = mid
            else:
                a = mid + 1
        last[r] = a
    return first, last


def planning_model(problem: Problem, step_s: float | None = None) -> PlanningModel:
    """Build the planning model of ``problem`` at ``step_s`` seconds (default: the problem's step).

    Raises
    ------
    ValueError
        If ``step_s`` is not a whole multiple of the problem's step.
    """
    base = float(problem.time_step_s)
    step = base if step_s is None else float(step_s)
    k = int(round(step / base))
    if k < 1 or abs(k * base - step) > 1e-6 * base:
        raise ValueError(f"step {step_s} s is not a whole multiple of the problem's {base} s")
    net, d = problem.network, problem.demand
    ph = physics(problem)
    c, m, n = ph.n_classes, net.n_edges, net.n_nodes
    tail = net.tail.astype(np.int64)
    head = net.head.astype(np.int64)
    weight = np.full((c, m), np.inf)
    cap_bin = np.zeros((c, m), dtype=np.int64)
    usable_edge = np.zeros((c, m), dtype=bool)
    for i in range(c):
        w = ph.seconds_per_person(i)
        per_bin = np.floor(np.where(np.isfinite(w), step / np.where(np.isfinite(w), w, 1.0), 0.0) + EPS)
        usable_edge[i] = np.isfinite(w) & (per_bin >= 1)
        weight[i] = np.where(usable_edge[i], w, np.inf)
        cap_bin[i] = np.where(usable_edge[i], per_bin, 0).astype(np.int64)
    ft = np.where(usable_edge, ph.free_time_s, np.inf)
    ft_min = ft.min(axis=0) if c else np.full(m, np.inf)
    rows_ok = d.count > 0
    persons = np.bincount(d.origin[rows_ok], weights=d.count[rows_ok], minlength=n).astype(np.float64)
    price = (zone_prices(time_to_zones(problem, ft_min), persons, ph.safe_capacity, step) if c
             else np.zeros(len(problem.zones.safe_names)))
    # each class pays the prices in its own time: a zone's catchment is the same for slow and fast walkers
    scale = np.ones(c)
    for i in range(c):
        ok = np.isfinite(ft[i]) & np.isfinite(ft_min) & (ft_min > 0)
        scale[i] = float(np.median(ft[i, ok] / ft_min[ok])) if ok.any() else 1.0
    potential = (np.vstack([time_to_safety(problem, ft[i], np.ceil(price * scale[i] / step - 1e-9) * step)
                            for i in range(c)]) if c else np.zeros((0, n)))
    safety = np.vstack([time_to_safety(problem, ft[i]) for i in range(c)]) if c else np.zeros((0, n))
    base_pot = time_to_safety(problem, ft_min, price) if c else np.full(n, np.inf)
    tau = np.full((c, m), -1, dtype=np.int64)
    shift = np.zeros((c, n), dtype=np.int64)
    for i in range(c):
        b = potential[i]
        ok = usable_edge[i] & np.isfinite(b[head]) & np.isfinite(b[tail])
        bh, bt = np.where(ok, b[head], 0.0), np.where(ok, b[tail], 0.0)
        r = np.where(ok, ft[i] + bh - bt, 0.0)
        tau[i] = np.where(ok, np.maximum(np.ceil(r / step - 1e-9), 0), -1).astype(np.int64)
        fin = np.isfinite(b) & np.isfinite(base_pot)
        gap = np.where(fin, base_pot, 0.0) - np.where(fin, b, 0.0)
        shift[i] = np.where(fin, np.floor(gap / step + 1e-9), 0).astype(np.int64)
    row_class = ph.row_class
    row_pot = potential[row_class, d.origin] if d.n_rows else np.zeros(0)
    usable = np.isfinite(row_pot) & (d.count > 0)
    row_pot = np.where(usable, row_pot, 0.0)
    cdf = np.ascontiguousarray(problem.departure_cdf, dtype=np.float64)
    count = d.count.astype(np.int64)
    curve = d.curve.astype(np.int64)
    first, last = _release_span(cdf, base, step, count, curve, row_pot, usable)
    return PlanningModel(
        step_s=step, phys=ph, potential_s=potential, base_potential_s=base_pot, shift=shift, tau=tau,
        weight_s=weight, cap_bin=cap_bin, row_count=count, row_curve=curve, row_origin=d.origin.astype(np.int64),
        row_potential_s=row_pot,
        row_first=first, row_last=last, cdf=cdf, cdf_step_s=base, usable=usable, tail=tail, head=head,
        zone_price_s=price, safety_s=safety,
    )
