"""Events that change the simulated world at given times: closures, capacity drops, danger onsets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["CapacityDrop", "DangerOnset", "EdgeClosure", "Event"]


def _edges(edges: int | Sequence[int]) -> NDArray[np.int64]:
    return np.atleast_1d(np.asarray(edges, dtype=np.int64))


@dataclass(frozen=True)
class EdgeClosure:
    """Edges close at ``at_s``: nobody may enter them any more; those on them still leave.

    Parameters
    ----------
    edges
        Edge index or indices (of the problem's network).
    at_s
        Time of the closure, seconds from the start.
    """

    edges: int | Sequence[int]
    at_s: float

    @property
    def edge_array(self) -> NDArray[np.int64]:
        """The edges as an array."""
        return _edges(self.edges)


@dataclass(frozen=True)
class CapacityDrop:
    """Edges keep only ``factor`` of their outflow capacity from ``at_s`` on (``factor=0`` is a closure).

    Parameters
    ----------
    edges
        Edge index or indices.
    at_s
        Time of the drop, seconds from the start.
    factor
        Remaining share of the capacity, in [0, 1] (values above 1 raise it).
    """

    edges: int | Sequence[int]
    at_s: float
    factor: float

    @property
    def edge_array(self) -> NDArray[np.int64]:
        """The edges as an array."""
        return _edges(self.edges)


@dataclass(frozen=True)
class DangerOnset:
    """The hazard reaches danger zone ``zone`` at ``at_s``: from then on, everyone still inside is exposed.

    Without such an event a zone's onset is its ``clear_by`` deadline.

    Parameters
    ----------
    zone
        Danger zone index or name.
    at_s
        Onset time, seconds from the start.
    """

    zone: int | str
    at_s: float


Event = EdgeClosure | CapacityDrop | DangerOnset
