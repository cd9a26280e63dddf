"""The departure schedule: for every neighbourhood, when to leave, by which streets, to which safe zone.

A *neighbourhood* is a cell of a square grid (:data:`CELL_M`, 500 m) within a danger zone: the plan's groups are
gathered by the cell of their origin node and the safe zone they go to, and named after the zone and the cell
(``"East, cell (3,4)"``: columns counted eastwards, rows northwards, from the network's south-west corner). Each row
says when the first and the last group of the cell leave (minutes from the start, or clock times from a start the
user sets), how many persons, the main streets of the route the most persons take and the safe zone.

The rows' persons add up to the plan's evacuees. ``schedule.csv`` of a run holds every row; the report shows the
largest and the handouts (:mod:`evacplan.report.handouts`) every row of a danger zone.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evacplan.problem.problem import Problem
from evacplan.report.streets import street_key, street_label

if TYPE_CHECKING:
    from evacplan.planning import Plan

__all__ = ["CELL_M", "COLUMNS", "OUTSIDE", "clock", "departure_schedule", "parse_start", "route_streets",
           "write_schedule_csv"]

#: Side of a neighbourhood's grid cell, metres.
CELL_M = 500.0
#: Name of the danger zone of origins outside every danger zone.
OUTSIDE = "outside the danger zones"
#: Columns of ``schedule.csv`` (the clock columns hold ``T+`` minutes when no start time is set; ``holding``: for a
#: staged plan, the holding area the row's route waits in and for how long, else empty).
COLUMNS = ["danger_zone", "area", "safe_zone", "persons", "leave_from", "leave_until", "leave_from_min",
           "leave_until_min", "last_arrival_min", "route", "route_length_m", "groups", "origins", "x", "y", "holding"]
_MAX_STREETS = 3


def parse_start(text: str | None) -> int | None:
    """Minutes after midnight of a start time ``"HH:MM"`` (``None`` for none).

    Raises
    ------
    ValueError
        When ``text`` is not a time of day ``HH:MM``.

    >>> parse_start("07:30")
    450
    """
    if text is None or text == "":
        return None
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f"start time {text!r} is not a time of day HH:MM (such as 06:30)")
    return int(m.group(1)) * 60 + int(m.group(2))


def clock(minutes: float, start: str | None = None) -> str:
    """A time ``minutes`` after the start: a clock time when ``start`` (``"HH:MM"``) is set, else ``"T+12 min"``.

    Rounded to the minute; a time on a later day says so.

    >>> clock(75.4, "23:30"), clock(75.4)
    ('00:45 (+1 day)', 'T+75 min')
    """
    s = parse_start(start)
    m = int(round(minutes))
    if s is None:
        return f"T+{m:,} min"
    t = s + m
    day = t // 1440
    text = f"{t % 1440 // 60:02d}:{t % 60:02d}"
    return text + (f" (+{day} day{'s' if day > 1 else ''})" if day else "")


def route_streets(problem: Problem, edges: NDArray[np.integer], n: int = _MAX_STREETS) -> tuple[str, float]:
    """The main streets of a path in path order (the ``n`` longest stretches along one street) and its length."""
    net = problem.network
    if edges.size == 0:
        return "none: starts in the safe zone", 0.0
    runs: list[list[Any]] = []  # [key, first edge, length]
    for e in edges.tolist():
        k = street_key(problem, e)
        if runs and runs[-1][0] == k:
            runs[-1][2] += float(net.length_m[e])
        else:
            runs.append([k, e, float(net.length_m[e])])
    total: dict[int, float] = {}
    for k, _, length in runs:
        total[k] = total.get(k, 0.0) + length
    keep = set(sorted(total, key=lambda k: -total[k])[:n])
    names: list[str] = []
    for k, e, _ in runs:
        if k in keep:
            label = street_label(problem, e)
            if label not in names:
                names.append(label)
    return " > ".join(names), float(net.length_m[edges].sum())


def departure_schedule(problem: Problem, plan: Plan, start: str | None = None, cell_m: float = CELL_M) -> (
        tuple[pd.DataFrame, list[NDArray[np.int64]]]):
    """One row per neighbourhood and safe zone (columns :data:`COLUMNS`) and the node indices of each row's route.

    Parameters
    ----------
    problem, plan
        The built problem and its plan.
    start
        Clock time of the start, ``"HH:MM"`` (``None``: times as ``T+`` minutes).
    cell_m
        Side of a neighbourhood's grid cell in metres (the network's CRS).

    Returns
    -------
    (pandas.DataFrame, list of numpy.ndarray)
        Rows sorted by danger zone, first departure and area; ``x``, ``y`` are the mean position (network CRS) of
        the row's origins, weighted by persons.
    """
    parse_start(start)
    net, d, z = problem.network, problem.demand, problem.zones
    if plan.n_groups == 0:
        return pd.DataFrame(columns=COLUMNS), []
    origin = d.origin[plan.row].astype(np.int64)
    danger = d.danger[plan.row].astype(np.int64)
    x0 = float(net.x.min())
    y0 = float(net.y.min())
    cx = np.floor((net.x[origin] - x0) / cell_m).astype(np.int64)
    cy = np.floor((net.y[origin] - y0) / cell_m).astype(np.int64)
    n_safe = max(len(z.safe_names), 1)
    ncx, ncy = int(cx.max()) + 1, int(cy.max()) + 1
    key = (((danger + 1) * ncx + cx) * ncy + cy) * n_safe + plan.safe_zone.astype(np.int64)
    uniq, inv = np.unique(key, return_inverse=True)
    count = plan.count.astype(np.float64)
    persons = np.bincount(inv, weights=count)
    groups = np.bincount(inv)
    first = np.full(uniq.size, np.inf)
    np.minimum.at(first, inv, plan.departure_s)
    last = np.zeros(uniq.size)
    np.maximum.at(last, inv, plan.departure_s)
    arrive = np.zeros(uniq.size)
    np.maximum.at(arrive, inv, plan.arrival_s)
    xs = np.bincount(inv, weights=count * net.x[origin]) / np.maximum(persons, 1e-9)
    ys = np.bincount(inv, weights=count * net.y[origin]) / np.maximum(persons, 1e-9)
    origins = np.array([np.unique(origin[inv == i]).size for i in range(uniq.size)], dtype=np.int64)
    order = np.lexsort((-plan.count, inv))
    best = order[np.r_[0, np.flatnonzero(np.diff(inv[order])) + 1]]
    rows: list[dict[str, Any]] = []
    paths: list[NDArray[np.int64]] = []
    for i, gi in enumerate(best.tolist()):
        e = plan.path(int(gi))
        paths.append(np.r_[origin[gi], net.head[e]].astype(np.int64))
        route, length = route_streets(problem, e)
        waits = plan.waits_s()[plan.path_steps(int(gi))] if plan.staged else np.zeros(0)
        at = np.flatnonzero(waits > 0)
        holding = (f"holding area at node {int(net.node_id[net.tail[e[at[0]]]])}, waiting about "
                   f"{int(round(waits[at[0]] / 60.0))} min" if at.size else "")
        zone = z.danger_names[danger[gi]] if danger[gi] >= 0 else OUTSIDE
        rows.append({
            "danger_zone": zone, "area": f"{zone}, cell ({cx[gi]},{cy[gi]})",
            "safe_zone": z.safe_names[int(plan.safe_zone[gi])], "persons": int(round(persons[i])),
            "leave_from": clock(first[i] / 60.0, start), "leave_until": clock(last[i] / 60.0, start),
            "leave_from_min": int(round(first[i] / 60.0)), "leave_until_min": int(round(last[i] / 60.0)),
            "last_arrival_min": int(math.ceil(arrive[i] / 60.0 - 1e-9)), "route": route,
            "route_length_m": int(round(length)), "groups": int(groups[i]), "origins": int(origins[i]),
            "x": round(float(xs[i]), 1), "y": round(float(ys[i]), 1), "holding": holding,
        })
    df = pd.DataFrame(rows, columns=COLUMNS)
    idx = df.sort_values(["danger_zone", "leave_from_min", "area", "safe_zone"], kind="stable").index.to_numpy()
    return df.loc[idx].reset_index(drop=True), [paths[i] for i in idx]


def write_schedule_csv(path: str | os.PathLike[str], schedule: pd.DataFrame) -> Path:
    """Write the schedule as ``schedule.csv`` (every row, columns :data:`COLUMNS`), atomically."""
    from evacplan.assessment.io import write_csv

    return write_csv(path, schedule.to_dict("records"), COLUMNS)
