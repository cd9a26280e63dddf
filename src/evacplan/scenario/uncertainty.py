"""Declared uncertainties: what an ensemble (``evacplan ensemble``) draws for each of its members.

A scenario file may hold one ``[uncertainty]`` table (the syntax, an example and what each draw changes are in
``docs/ensemble.md``). Every uncertain quantity is either one number (fixed) or ``[low, high]`` (drawn uniformly for
each member):

``compliance``
    Share of the planned evacuees who follow the plan, in [0, 1].
``walk_speed_factor``
    Factor on every demographic group's walking speed, in (0, 3].
``danger_buffer_m``
    Metres by which every danger zone grows: nodes within that distance of a zone's nodes join it, in [0, 10000].
``mobilization_delay``
    Minutes added to every departure (negative: earlier), within +-horizon.
``mobilization_spread``
    Factor stretching every departure curve around its median, in (0, 10].
``[uncertainty.blockages]`` and ``[uncertainty.capacity_loss]``
    ``rate`` (probability that each candidate street is hit in a member, in [0, 1]), ``edges`` (candidate street ids,
    the ``edge_id`` of the outputs; empty: every street), ``at`` (minutes at which it happens) and, for capacity
    losses, ``loss`` (share of the capacity lost, in [0, 1]).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from evacplan.scenario._checks import Collector

__all__ = ["UNCERTAINTY_KEYS", "EdgeRisk", "UncertaintySpec", "parse_uncertainty", "parse_uncertainty_table"]

#: Keys the ``[uncertainty]`` table may hold.
UNCERTAINTY_KEYS = ("compliance", "walk_speed_factor", "danger_buffer_m", "mobilization_delay", "mobilization_spread",
                    "blockages", "capacity_loss")
_RISK_KEYS = ("rate", "edges", "at", "loss")

Range = tuple[float, float]


@dataclass(frozen=True)
class EdgeRisk:
    """Random events on streets: blockages, or capacity losses.

    Attributes
    ----------
    rate
        Probability that each candidate street is hit in one member, in [0, 1].
    edges
        Candidate street ids (``edge_id`` of the built network; both directions of a street share it). Empty: every
        street of the network.
    at_min
        Range of the time, in minutes, at which a hit street is blocked or loses capacity.
    loss
        Range of the share of capacity lost (``(1, 1)`` for a blockage).
    """

    rate: float = 0.0
    edges: tuple[int, ...] = ()
    at_min: Range = (0.0, 0.0)
    loss: Range = (1.0, 1.0)


@dataclass(frozen=True)
class UncertaintySpec:
    """The uncertainties an ensemble draws from; every range is ``(low, high)``, drawn uniformly per member.

    The defaults leave the scenario as given (no uncertainty).

    Attributes
    ----------
    compliance
        Share of the planned evacuees who follow the plan.
    walk_speed_factor
        Factor on every group's walking speed.
    danger_buffer_m
        Growth of every danger zone in metres (nodes within the distance join the zone).
    mobilization_delay_min
        Minutes added to every departure.
    mobilization_spread
        Factor stretching the departure curves around their median time.
    blockages
        Streets blocked at a random time.
    capacity_loss
        Streets losing a random share of their capacity at a random time.
    """

    compliance: Range = (1.0, 1.0)
    walk_speed_factor: Range = (1.0, 1.0)
    danger_buffer_m: Range = (0.0, 0.0)
    mobilization_delay_min: Range = (0.0, 0.0)
    mobilization_spread: Range = (1.0, 1.0)
    blockages: EdgeRisk = field(default_factory=EdgeRisk)
    capacity_loss: EdgeRisk = field(default_factory=lambda: EdgeRisk(loss=(0.5, 0.5)))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (ranges as lists)."""
        return _lists(asdict(self))


def _lists(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [_lists(v) for v in obj]
    return obj


def _range(
    c: Collector, t: dict[str, Any], key: str, where: str, default: Range, *, minimum: float, maximum: float,
    strict_min: bool = False,
) -> Range:
    """A number (fixed) or ``[low, high]`` within ``[minimum, maximum]``."""
    val = t.get(key)
    if val is None:
        return default
    w = f"{where}.{key}"
    op = ">" if strict_min else ">="
    expect = f"a number or [low, high] with {op} {minimum:g} and <= {maximum:g}"
    if isinstance(val, list):
        if len(val) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in val):
            c.add(w, f"expected {expect}, found {val!r}")
            return default
        lo, hi = float(val[0]), float(val[1])
    elif isinstance(val, int | float) and not isinstance(val, bool):
        lo = hi = float(val)
    else:
        c.add(w, f"expected {expect}, found {type(val).__name__} {val!r}")
        return default
    for v in (lo, hi):
        if not minimum <= v <= maximum or (strict_min and v == minimum) or v != v:
            c.add(w, f"value {v!r} out of range: expected {expect}")
            return default
    if hi < lo:
        c.add(w, f"low {lo:g} > high {hi:g}: expected [low, high] with low <= high")
        return default
    return (lo, hi)


def _risk(c: Collector, t: dict[str, Any], key: str, horizon_min: float, with_loss: bool) -> EdgeRisk:
    where = f"uncertainty.{key}"
    r = c.table(t, key, "uncertainty")
    allowed = _RISK_KEYS if with_loss else _RISK_KEYS[:3]
    c.unknown_keys(r, allowed, where)
    rate = c.number(r, "rate", where, 0.0, minimum=0, maximum=1)
    edges = r.get("edges", [])
    ids: tuple[int, ...] = ()
    if not isinstance(edges, list) or not all(isinstance(e, int) and not isinstance(e, bool) for e in edges):
        c.add(f"{where}.edges", f"expected a list of integer street ids (edge_id), found {edges!r}")
    else:
        ids = tuple(sorted(set(edges)))
    at = _range(c, r, "at", where, (0.0, 0.0), minimum=0.0, maximum=horizon_min)
    default_loss = (0.5, 0.5) if with_loss else (1.0, 1.0)
    loss = _range(c, r, "loss", where, default_loss, minimum=0.0, maximum=1.0) if with_loss else default_loss
    return EdgeRisk(float(rate or 0.0), ids, at, loss)


def parse_uncertainty_table(c: Collector, t: dict[str, Any], horizon_min: float) -> UncertaintySpec:
    """Check an ``[uncertainty]`` table (already a dict), reporting every problem to ``c``."""
    c.unknown_keys(t, UNCERTAINTY_KEYS, "uncertainty")
    w = "uncertainty"
    return UncertaintySpec(
        compliance=_range(c, t, "compliance", w, (1.0, 1.0), minimum=0.0, maximum=1.0),
        walk_speed_factor=_range(c, t, "walk_speed_factor", w, (1.0, 1.0), minimum=0.0, maximum=3.0, strict_min=True),
        danger_buffer_m=_range(c, t, "danger_buffer_m", w, (0.0, 0.0), minimum=0.0, maximum=10_000.0),
        mobilization_delay_min=_range(c, t, "mobilization_delay", w, (0.0, 0.0), minimum=-horizon_min,
                                      maximum=horizon_min),
        mobilization_spread=_range(c, t, "mobilization_spread", w, (1.0, 1.0), minimum=0.0, maximum=10.0,
                                   strict_min=True),
        blockages=_risk(c, t, "blockages", horizon_min, with_loss=False),
        capacity_loss=_risk(c, t, "capacity_loss", horizon_min, with_loss=True),
    )


def parse_uncertainty(c: Collector, raw: dict[str, Any], horizon_min: float) -> UncertaintySpec | None:
    """The scenario's ``[uncertainty]`` table, or ``None`` when it declares none."""
    if "uncertainty" not in raw:
        return None
    t = c.table(raw, "uncertainty", "")
    return parse_uncertainty_table(c, t, horizon_min)
