"""The one physical model of movement that the planner and the simulator both read.

Everything that says how people move through the street network is defined here once, from the built
:class:`~evacplan.problem.problem.Problem`:

* **travel classes**: every (mode, demographic group) pair present in the demand moves at its own free speed;
* **free travel time** of every edge for every class (``inf`` where the class may not use the edge: no speed or no
  capacity for its mode);
* **flow capacity**: an edge lets through ``capacity_per_s[mode, e]`` persons per second if the whole flow were of that
  mode; a person of mode ``k`` uses ``1 / capacity_per_s[k, e]`` seconds of the edge (mixed flows share it);
* **storage**: an edge holds ``storage[e]`` person-equivalents (its area at jam density); a person of mode ``k``
  takes :attr:`Physics.space` ``[k]`` of them (a walker 1; a vehicle its jam area at jam density, shared by its
  passengers);
* **safe-zone room**: capacities are whole persons (floored once, when the problem is built); a zone *has room*
  while at least one person fits (:data:`MIN_ROOM`), and a group arriving at a zone with less room than its size
  sends the rest on to the next zone with room;
* **sharing an edge**: people of different classes on one edge move at their own speeds (the faster overtake the
  slower on the way) and share its outflow capacity in the order they reach its end;
* **merging** at nodes: flows from several in-edges share the out-edges' capacities; neither planner nor simulator
  gives a node its own capacity (the simulator lets in-edges take turns fairly; the planner counts every person
  against the capacity of each edge they use).

The planner discretises this model (:mod:`evacplan.planning.model`), the simulator integrates it in continuous
time with queues (:mod:`evacplan.simulation.engine`); neither holds a constant of its own about movement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evacplan.problem import kernels
from evacplan.problem.problem import Problem
from evacplan.scenario.schema import UNIT_SPACE_M2

__all__ = [
    "MIN_ROOM", "Physics", "edge_danger_zone", "has_room", "physics", "time_to_safety", "time_to_zones",
    "travel_classes", "whole_persons",
]

#: A safe zone has room while at least this many persons fit.
MIN_ROOM = 1.0


def whole_persons(capacity: NDArray[np.float64]) -> NDArray[np.float64]:
    """Capacities as whole persons: finite values floored (a zone for 50.5 people takes 50), ``inf`` kept."""
    cap = np.asarray(capacity, dtype=np.float64)
    return np.where(np.isfinite(cap), np.floor(cap + 1e-9), cap)


def has_room(room: NDArray[np.float64] | float) -> NDArray[np.bool_] | bool:
    """Whether a safe zone with ``room`` persons of capacity left can take anyone."""
    return np.asarray(room) >= MIN_ROOM if isinstance(room, np.ndarray) else bool(room >= MIN_ROOM)


def travel_classes(problem: Problem) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The (mode, group) pairs of the demand: ``(class_mode, class_group, row_class)``, sorted by mode then group."""
    d = problem.demand
    pairs = np.stack([d.mode.astype(np.int64), d.group.astype(np.int64)], axis=1)
    if pairs.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    uniq, row_class = np.unique(pairs, axis=0, return_inverse=True)
    return uniq[:, 0].copy(), uniq[:, 1].copy(), np.asarray(row_class, dtype=np.int64).reshape(-1)


@dataclass(frozen=True, eq=False)
class Physics:
    """Per-class and per-edge figures of movement (see the module docstring).

    Attributes
    ----------
    class_mode, class_group
        Mode and demographic group of each travel class, ``int64[c]``.
    row_class
        Travel class of each demand row, ``int64[k]``.
    free_time_s
        Free travel time of each edge per class, seconds, ``float64[c, m]`` (``inf`` where closed to the class).
    capacity_per_s
        Outflow capacity per mode and edge, persons per second, ``float64[n_modes, m]``.
    storage
        Person-equivalents each edge holds at a standstill, ``float64[m]``.
    space
        Person-equivalents of storage one person of each mode takes, ``float64[n_modes]``.
    safe_capacity
        Whole persons each safe zone takes, ``float64[s]`` (``inf`` when unlimited).
    """

    class_mode: NDArray[np.int64]
    class_group: NDArray[np.int64]
    row_class: NDArray[np.int64]
    free_time_s: NDArray[np.float64]
    capacity_per_s: NDArray[np.float64]
    storage: NDArray[np.float64]
    space: NDArray[np.float64]
    safe_capacity: NDArray[np.float64]

    @property
    def n_classes(self) -> int:
        """Number of travel classes."""
        return int(self.class_mode.shape[0])

    def seconds_per_person(self, cls: int) -> NDArray[np.float64]:
        """Seconds of each edge's outflow one person of class ``cls`` uses (``inf`` where closed)."""
        cap = self.capacity_per_s[self.class_mode[cls]]
        with np.errstate(divide="ignore"):
            out = np.where(cap > 0, 1.0 / np.where(cap > 0, cap, 1.0), np.inf)
        return np.where(np.isfinite(self.free_time_s[cls]), out, np.inf)


def space_per_person(problem: Problem) -> NDArray[np.float64]:
    """Person-equivalents of storage one traveller of each mode takes, ``float64[n_modes]``.

    A walker takes 1 (unless the mode says otherwise); another mode takes its unit's jam area
    (:attr:`~evacplan.scenario.schema.ModeSpec.space_m2`, default :data:`~evacplan.scenario.schema.UNIT_SPACE_M2`)
    at the problem's jam density, shared by the unit's ``persons_per_unit`` passengers.
    """
    out = np.ones(len(problem.modes))
    for k, m in enumerate(problem.modes):
        area = m.space_m2 if m.space_m2 is not None else UNIT_SPACE_M2.get(m.name, UNIT_SPACE_M2["vehicle"])
        if area is not None:
            out[k] = area * problem.jam_density_p_per_m2 / max(m.persons_per_unit, 1e-9)
    return out


def physics(problem: Problem) -> Physics:
    """The physical model of ``problem`` (cached on the problem: built once, read everywhere; a problem made with
    :func:`dataclasses.replace` starts with an empty cache)."""
    cache = problem._cache
    key = "physics"
    hit = cache.get(key)
    if isinstance(hit, Physics):
        return hit
    net = problem.network
    class_mode, class_group, row_class = travel_classes(problem)
    ft = np.empty((class_mode.shape[0], net.n_edges))
    for c, (k, g) in enumerate(zip(class_mode, class_group, strict=True)):
        t = problem.edge_time_s(int(k), int(g))
        ft[c] = np.where(net.capacity_per_s[int(k)] > 0, t, np.inf)
    out = Physics(
        class_mode=class_mode, class_group=class_group, row_class=row_class, free_time_s=ft,
        capacity_per_s=net.capacity_per_s, storage=net.storage, space=space_per_person(problem),
        safe_capacity=whole_persons(problem.zones.safe_capacity),
    )
    cache[key] = out
    return out


def time_to_safety(problem: Problem, free_time_s: NDArray[np.float64],
                   zone_offset_s: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """Free travel time from every node to the nearest node of a safe zone with room, seconds, ``float64[n]``.

    ``free_time_s`` is a per-edge cost (``inf`` = unusable), e.g. one row of :attr:`Physics.free_time_s`; ``inf``
    where no safe zone with room can be reached. With ``zone_offset_s`` (seconds per safe zone) reaching zone ``z``
    costs its offset more: the result is ``min over z of (time to z + zone_offset_s[z])``.
    """
    net, zones = problem.network, problem.zones
    room = whole_persons(zones.safe_capacity)
    is_target = (zones.node_safe >= 0) & has_room(room[np.maximum(zones.node_safe, 0)])
    rev_indptr, rev_edges = net.reverse()
    init = np.full(net.n_nodes, np.inf)
    if zone_offset_s is None:
        init[is_target] = 0.0
    else:
        init[is_target] = np.asarray(zone_offset_s, dtype=np.float64)[zones.node_safe[is_target]]
    dist, _ = kernels.dijkstra(rev_indptr.astype(np.int64), net.tail[rev_edges].astype(np.int64),
                               rev_edges.astype(np.int64), np.ascontiguousarray(free_time_s, dtype=np.float64), init)
    return dist


def time_to_zones(problem: Problem, free_time_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Free travel time from every node to each safe zone (its nearest node), seconds, ``float64[z, n]`` (``inf``
    where the zone has no room or cannot be reached)."""
    net, zones = problem.network, problem.zones
    room = whole_persons(zones.safe_capacity)
    rev_indptr, rev_edges = net.reverse()
    adj = net.tail[rev_edges].astype(np.int64)
    w = np.ascontiguousarray(free_time_s, dtype=np.float64)
    out = np.full((room.size, net.n_nodes), np.inf)
    for z in range(room.size):
        if not has_room(room[z]):
            continue
        init = np.where(zones.node_safe == z, 0.0, np.inf)
        out[z], _ = kernels.dijkstra(rev_indptr.astype(np.int64), adj, rev_edges.astype(np.int64), w, init)
    return out


def edge_danger_zone(problem: Problem) -> NDArray[np.int64]:
    """Danger zone each edge lies in, ``int64[m]``: its tail's zone, else its head's (``-1``: none). Who is inside a
    zone, in the plan's exposure and in the simulator's, is counted with this."""
    zone = problem.zones.node_danger.astype(np.int64)
    net = problem.network
    return np.where(zone[net.tail] >= 0, zone[net.tail], zone[net.head]).astype(np.int64)
