"""The closed border as a counterfactual: how many evacuees' nearest refuge would lie across it if it were open.

Reported, never planned. The scenario is built a second time without its ``[closed]`` layer (the *open* problem);
for every evacuee, at the walking speed of their group, three shortest walking times are compared:

* ``T_closed``: to the nearest safe zone as things are;
* ``T_open``: to the nearest safe zone with the closures open;
* ``T_across``: with the closures open, to the nearest node *across* a closed line (on the side of the line away
  from the danger zones, within the line's extent), i.e. to the refuge the border would give (for Rafah: Egypt).

An evacuee counts as ``shorter_open`` when ``T_open < T_closed`` (by more than a second), as ``nearest_across`` when
``T_across < min(T_open, T_closed)``; ``either`` counts each person once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from evacplan.assessment._paths import time_to_nodes
from evacplan.problem.problem import Problem

__all__ = ["BorderCounterfactual", "across_nodes", "border_counterfactual"]

_TOL_S = 1.0


@dataclass(frozen=True)
class BorderCounterfactual:
    """What opening the closures would change, for one danger zone (or ``"all"``).

    Attributes
    ----------
    zone
        Danger zone name, or ``"all"``.
    evacuees
        Evacuees of the zone.
    shorter_open
        Evacuees with a shorter walk to a safe zone with the closures open.
    nearest_across
        Evacuees whose nearest refuge would lie across a closed line.
    either
        Evacuees in either case (each counted once).
    minutes_saved_mean
        Mean walking minutes saved per evacuee counted in ``either`` (to the nearer of safe zone and across).
    """

    zone: str
    evacuees: int
    shorter_open: int
    nearest_across: int
    either: int
    minutes_saved_mean: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def across_nodes(problem: Problem, lines: list[Any]) -> NDArray[np.int64]:
    """Nodes across closed lines: on the side of each line with fewer danger-zone nodes, within its extent.

    Parameters
    ----------
    problem
        The problem whose nodes are classified (coordinates in its network CRS).
    lines
        Shapely (multi)line geometries in the network's CRS; other geometries are ignored.

    Returns
    -------
    numpy.ndarray
        Sorted node indices outside every danger and safe zone.
    """
    net, z = problem.network, problem.zones
    pts = shapely.points(net.x, net.y)
    free = (z.node_danger < 0) & (z.node_safe < 0)
    out = np.zeros(net.n_nodes, dtype=bool)
    for geom in lines:
        for line in getattr(geom, "geoms", [geom]):
            if not isinstance(line, shapely.LineString) or line.length <= 0:
                continue
            s = shapely.line_locate_point(line, pts)
            inside = (s > 0) & (s < line.length)
            a = shapely.get_coordinates(shapely.line_interpolate_point(line, np.maximum(s - 1.0, 0.0)))
            b = shapely.get_coordinates(shapely.line_interpolate_point(line, np.minimum(s + 1.0, line.length)))
            dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
            side = np.sign(dx * (net.y - a[:, 1]) - dy * (net.x - a[:, 0]))
            danger_side = side[inside & (z.node_danger >= 0)]
            if danger_side.size == 0:
                continue
            home = 1.0 if (danger_side > 0).sum() >= (danger_side < 0).sum() else -1.0
            out |= inside & (side == -home) & free
    return np.flatnonzero(out)


def _safe_nodes(p: Problem) -> NDArray[np.int64]:
    z = p.zones
    return np.flatnonzero((z.node_safe >= 0) & (z.safe_capacity[np.maximum(z.node_safe, 0)] > 0))


def border_counterfactual(problem: Problem, open_problem: Problem, closed_lines: list[Any] | None = None) -> list[
        BorderCounterfactual]:
    """Evacuees whose nearest refuge would be nearer, or across the border, with the closures open.

    Parameters
    ----------
    problem
        The problem as given (closures in force).
    open_problem
        The same scenario built without its closures (same network source, so node ids match).
    closed_lines
        The closure layer's line geometries in the network's CRS (for :func:`across_nodes`); ``None`` or empty when
        the closures hold no lines.

    Returns
    -------
    list of BorderCounterfactual
        One entry per danger zone, then one for ``"all"``.
    """
    net, d, z = problem.network, problem.demand, problem.zones
    onet = open_problem.network
    order = np.argsort(onet.node_id)
    pos = np.searchsorted(onet.node_id, net.node_id, sorter=order)
    pos = np.clip(pos, 0, onet.n_nodes - 1)
    mapped = order[pos]
    known = onet.node_id[mapped] == net.node_id
    walk = net.modes.index("walk") if "walk" in net.modes else 0
    owalk = onet.modes.index(net.modes[walk]) if net.modes[walk] in onet.modes else 0
    across = across_nodes(open_problem, closed_lines or [])
    t_closed = np.full(d.n_rows, np.inf)
    t_open = np.full(d.n_rows, np.inf)
    t_across = np.full(d.n_rows, np.inf)
    for g in np.unique(d.group):
        rows = np.flatnonzero(d.group == g)
        tc = time_to_nodes(net, problem.edge_time_s(walk, int(g)), _safe_nodes(problem))
        speed = d.groups[int(g)].walk_speed_mps
        otime = onet.free_time_s(owalk, speed)
        to = time_to_nodes(onet, otime, _safe_nodes(open_problem))
        ta = time_to_nodes(onet, otime, across)
        o = d.origin[rows]
        t_closed[rows] = tc[o]
        ok = known[o]
        t_open[rows[ok]] = to[mapped[o[ok]]]
        t_across[rows[ok]] = ta[mapped[o[ok]]]
    shorter = t_open < t_closed - _TOL_S
    nearest_across = t_across < np.minimum(t_open, t_closed) - _TOL_S
    either = shorter | nearest_across
    best_open = np.minimum(t_open, t_across)
    saved = np.where(either, np.where(np.isfinite(t_closed), t_closed - best_open, np.nan), 0.0)
    out = []
    for i, name in [*enumerate(z.danger_names), (-2, "all")]:
        sel = d.danger == i if i >= 0 else np.ones(d.n_rows, dtype=bool)
        cnt = d.count
        n_either = int(cnt[sel & either].sum())
        finite = sel & either & np.isfinite(saved)
        mean = float((cnt[finite] * saved[finite]).sum() / cnt[finite].sum()) / 60.0 if finite.any() else 0.0
        out.append(BorderCounterfactual(
            zone=name, evacuees=int(cnt[sel].sum()), shorter_open=int(cnt[sel & shorter].sum()),
            nearest_across=int(cnt[sel & nearest_across].sum()), either=n_either, minutes_saved_mean=round(mean, 3),
        ))
    return out
