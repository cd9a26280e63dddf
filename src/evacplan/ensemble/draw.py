"""One ensemble member's world: what it draws from the declared uncertainties, and the perturbed problem it makes.

Every member ``i`` draws from its own random streams, ``numpy.random.SeedSequence(seed, spawn_key=(i, k))`` for
quantity ``k`` (the ``i``-th child of ``SeedSequence(seed).spawn``, one grandchild per quantity). A member's draw thus
depends only on the scenario seed and its index: never on the number of members, the workers or the order in which
members finish, and adding an uncertainty to a scenario leaves the draws of the others unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from evacplan.errors import ScenarioError
from evacplan.problem.mobilization import shift_curves
from evacplan.problem.problem import Problem
from evacplan.scenario.uncertainty import EdgeRisk, UncertaintySpec
from evacplan.simulation.events import CapacityDrop, EdgeClosure, Event

__all__ = ["MemberDraw", "apply_draw", "check_spec", "draw_member", "member_seed"]

# Index of each quantity's random stream (never reorder: it would change every existing ensemble).
_STREAMS = {"sim": 0, "compliance": 1, "walk": 2, "buffer": 3, "delay": 4, "spread": 5, "block": 6, "loss": 7}


def _rng(seed: int, index: int, what: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(index), _STREAMS[what])))


def member_seed(seed: int, index: int) -> int:
    """The simulation seed of member ``index`` (its compliance draw and merge order), a 32-bit integer."""
    return int(np.random.SeedSequence(int(seed), spawn_key=(int(index), _STREAMS["sim"])).generate_state(1)[0])


@dataclass(frozen=True)
class MemberDraw:
    """What one member drew.

    Attributes
    ----------
    index
        Member index (0-based).
    seed
        Seed of the member's simulation.
    compliance, walk_speed_factor, danger_buffer_m, mobilization_delay_min, mobilization_spread
        The drawn values of the scalar uncertainties.
    blocked_edges, blocked_at_s
        Directed edges blocked and when (both directions of a street together).
    loss_edges, loss_at_s, loss_share
        Directed edges losing capacity, when, and the share lost.
    """

    index: int
    seed: int
    compliance: float
    walk_speed_factor: float
    danger_buffer_m: float
    mobilization_delay_min: float
    mobilization_spread: float
    blocked_edges: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    blocked_at_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    loss_edges: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    loss_at_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    loss_share: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def record(self) -> dict[str, Any]:
        """The scalar draws, JSON-ready, with the numbers of directed edges blocked and losing capacity."""
        return {
            "compliance": self.compliance,
            "walk_speed_factor": self.walk_speed_factor,
            "danger_buffer_m": self.danger_buffer_m,
            "mobilization_delay_min": self.mobilization_delay_min,
            "mobilization_spread": self.mobilization_spread,
            "blocked_edges": int(self.blocked_edges.size),
            "capacity_loss_edges": int(self.loss_edges.size),
        }

    def events(self) -> list[Event]:
        """Simulation events of the draw: a closure or capacity drop per edge, at its time."""
        out: list[Event] = [EdgeClosure(int(e), float(t)) for e, t in zip(self.blocked_edges, self.blocked_at_s,
                                                                            strict=True)]
        out += [CapacityDrop(int(e), float(t), float(1.0 - s))
                for e, t, s in zip(self.loss_edges, self.loss_at_s, self.loss_share, strict=True)]
        return out


def _uniform(rng: np.random.Generator, r: tuple[float, float]) -> float:
    lo, hi = r
    return float(lo) if hi <= lo else float(rng.uniform(lo, hi))


def _streets(problem: Problem, risk: EdgeRisk) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Candidate street ids and, per directed edge, the index of its street among them (-1: not a candidate)."""
    eid = np.asarray(problem.network.edge_id, dtype=np.int64)
    streets = np.unique(eid) if not risk.edges else np.asarray(sorted(risk.edges), dtype=np.int64)
    if not streets.size:
        return streets, np.full(eid.size, -1, np.int64)
    pos = np.clip(np.searchsorted(streets, eid), 0, streets.size - 1)
    member = np.where(streets[pos] == eid, pos, -1)
    return streets, member.astype(np.int64)


def check_spec(problem: Problem, spec: UncertaintySpec) -> None:
    """Check the parts of ``spec`` that depend on the built network (candidate street ids).

    Raises
    ------
    ScenarioError
        Naming the key and the street ids that are not in the built network.
    """
    eid = np.asarray(problem.network.edge_id, dtype=np.int64)
    for key, risk in (("blockages", spec.blockages), ("capacity_loss", spec.capacity_loss)):
        missing = sorted(set(risk.edges) - set(np.unique(eid).tolist()))
        if missing:
            shown = ", ".join(str(m) for m in missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise ScenarioError(
                f"uncertainty.{key}.edges: street ids {shown} are not in the built network (expected edge_id values "
                f"of the network's streets, as in edge_states.parquet; closed streets are removed)"
            )


def _draw_risk(
    problem: Problem, risk: EdgeRisk, rng: np.random.Generator, exclude: NDArray[np.int64] | None = None
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Draw hit streets (each with probability ``rate``), their times and losses; return per directed edge."""
    empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    if risk.rate <= 0:
        return empty
    streets, member = _streets(problem, risk)
    # one uniform per candidate street, in street-id order, so the draws do not depend on edge order
    hit = rng.random(streets.size) < risk.rate
    t = rng.uniform(risk.at_min[0], risk.at_min[1], streets.size) * 60.0
    loss = rng.uniform(risk.loss[0], risk.loss[1], streets.size)
    if exclude is not None and exclude.size:
        hit &= ~np.isin(streets, exclude)
    edges = np.flatnonzero((member >= 0) & hit[np.maximum(member, 0)])
    s = member[edges]
    return edges.astype(np.int64), t[s], loss[s]


def draw_member(problem: Problem, spec: UncertaintySpec, index: int, seed: int | None = None) -> MemberDraw:
    """Draw member ``index`` of the ensemble of ``problem`` under ``spec``.

    Parameters
    ----------
    problem
        The built problem (its network gives the candidate streets).
    spec
        The declared uncertainties.
    index
        Member index, >= 0.
    seed
        Ensemble seed (default: the scenario's ``problem.seed``).

    Returns
    -------
    MemberDraw
        Identical for the same ``(seed, index)``, whatever else runs.
    """
    seed = problem.seed if seed is None else int(seed)
    blocked, b_t, _ = _draw_risk(problem, spec.blockages, _rng(seed, index, "block"))
    eid = np.asarray(problem.network.edge_id, dtype=np.int64)
    loss_e, l_t, l_s = _draw_risk(problem, spec.capacity_loss, _rng(seed, index, "loss"),
                                  exclude=np.unique(eid[blocked]))
    return MemberDraw(
        index=int(index),
        seed=member_seed(seed, index),
        compliance=_uniform(_rng(seed, index, "compliance"), spec.compliance),
        walk_speed_factor=_uniform(_rng(seed, index, "walk"), spec.walk_speed_factor),
        danger_buffer_m=_uniform(_rng(seed, index, "buffer"), spec.danger_buffer_m),
        mobilization_delay_min=_uniform(_rng(seed, index, "delay"), spec.mobilization_delay_min),
        mobilization_spread=_uniform(_rng(seed, index, "spread"), spec.mobilization_spread),
        blocked_edges=blocked,
        blocked_at_s=b_t,
        loss_edges=loss_e,
        loss_at_s=l_t,
        loss_share=l_s,
    )


def _grow_danger(problem: Problem, buffer_m: float) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Node and demand-row danger zones after every zone grows by ``buffer_m`` (safe nodes never join)."""
    zones, net, d = problem.zones, problem.network, problem.demand
    node = zones.node_danger.astype(np.int32, copy=False)
    if buffer_m <= 0 or not len(zones.danger_names):
        return node, d.danger
    xy = np.c_[net.x, net.y]
    free = np.flatnonzero((node < 0) & (zones.node_safe < 0))
    best = np.full(free.size, np.inf)
    zone = np.full(free.size, -1, np.int32)
    for z in range(len(zones.danger_names)):
        members = np.flatnonzero(node == z)
        if not members.size or not free.size:
            continue
        dist, _ = cKDTree(xy[members]).query(xy[free], distance_upper_bound=buffer_m)
        better = dist < best
        best[better] = dist[better]
        zone[better] = z
    new = node.copy()
    join = np.isfinite(best) & (best <= buffer_m)
    new[free[join]] = zone[join]
    row_danger = np.where(d.danger >= 0, d.danger, new[d.origin]).astype(np.int32)
    return new, row_danger


def apply_draw(problem: Problem, draw: MemberDraw, *, capacity_known: bool = False) -> Problem:
    """The member's problem: departure curves, walking speeds and danger zones as drawn.

    Parameters
    ----------
    problem
        The built problem (left unchanged).
    draw
        The member's draw.
    capacity_known
        Also apply the drawn blockages and capacity losses to the network from time 0 (for re-planning with
        knowledge of the member's world). Otherwise they reach the simulation only as events
        (:meth:`MemberDraw.events`).

    Returns
    -------
    Problem
        A new problem sharing unchanged arrays with ``problem``.
    """
    cdf = shift_curves(problem.departure_cdf, problem.time_step_s / 60.0, draw.mobilization_delay_min,
                       draw.mobilization_spread)
    d = problem.demand
    groups = d.groups
    if draw.walk_speed_factor != 1.0:
        groups = tuple(dataclasses.replace(g, walk_speed_mps=g.walk_speed_mps * draw.walk_speed_factor)
                       for g in d.groups)
    node_danger, row_danger = _grow_danger(problem, draw.danger_buffer_m)
    demand = dataclasses.replace(d, groups=groups, danger=row_danger) if (
        groups is not d.groups or row_danger is not d.danger) else d
    zones = dataclasses.replace(problem.zones, node_danger=node_danger) if (
        node_danger is not problem.zones.node_danger) else problem.zones
    network = problem.network
    if capacity_known and (draw.blocked_edges.size or draw.loss_edges.size):
        cap = network.capacity_per_s.copy()
        cap[:, draw.blocked_edges] = 0.0
        cap[:, draw.loss_edges] *= 1.0 - draw.loss_share
        network = dataclasses.replace(network, capacity_per_s=cap)
    return dataclasses.replace(problem, departure_cdf=cdf, demand=demand, zones=zones, network=network)
