"""The built street network: a directed graph in CSR form with per-mode edge attributes.

Units, everywhere in evacplan's arrays: metres, seconds, persons. Capacities are persons per second *if the whole
flow were of that mode* (a person travelling by mode ``k`` uses ``1 / capacity_per_s[k, e]`` seconds of edge ``e``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from evacplan.errors import InvalidProblemError

__all__ = ["Network", "csr_from_edges"]


def csr_from_edges(
    n_nodes: int, tail: NDArray[np.integer], head: NDArray[np.integer]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Order edges by tail node and return ``(order, indptr)``.

    Parameters
    ----------
    n_nodes
        Number of nodes.
    tail, head
        Edge end points (node indices).

    Returns
    -------
    order
        Permutation that sorts the edges by ``(tail, head)`` (stable).
    indptr
        CSR offsets, length ``n_nodes + 1``: edges of node ``u`` are ``indptr[u]:indptr[u+1]`` after ``order``.
    """
    tail = np.asarray(tail, dtype=np.int64)
    head = np.asarray(head, dtype=np.int64)
    order = np.lexsort((head, tail))
    counts = np.bincount(tail, minlength=n_nodes)
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return order.astype(np.int64), indptr


@dataclass(frozen=True, eq=False)
class Network:
    """A directed street network as flat arrays.

    Edges are sorted by tail node; the out-edges of node ``u`` are ``indptr[u]:indptr[u + 1]``.

    Attributes
    ----------
    node_id
        Original node identifiers (from the source file), ``int64[n]``.
    x, y
        Node coordinates in metres in :attr:`crs`, ``float64[n]``.
    crs
        The projected metric CRS of ``x, y`` (WKT or ``"EPSG:...``"), or ``""`` for abstract networks.
    indptr
        CSR offsets, ``int64[n + 1]``.
    tail, head
        Edge end points as node indices, ``int32[m]``.
    length_m
        Edge length in metres, ``float64[m]``.
    modes
        Mode names, e.g. ``("walk", "cart", "vehicle")``; row ``k`` of the per-mode arrays is ``modes[k]``.
    speed_mps
        Free speed per mode and edge in m/s, ``float64[n_modes, m]`` (0 where a mode may not use the edge).
    capacity_per_s
        Outflow capacity per mode and edge in persons per second, ``float64[n_modes, m]``.
    storage
        Storage capacity of the edge in persons (length x width x jam density), ``float64[m]``.
    edge_id
        Identifier of each edge in its source (row number or OSM way id), ``int64[m]``.
    edge_name
        Street name of each edge as an index into :attr:`street_names`, ``int32[m]`` (-1: no name); empty when the
        network has no names at all (see :mod:`evacplan.network.names`).
    street_names
        The unique street names.
    """

    node_id: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    crs: str
    indptr: NDArray[np.int64]
    tail: NDArray[np.int32]
    head: NDArray[np.int32]
    length_m: NDArray[np.float64]
    modes: tuple[str, ...]
    speed_mps: NDArray[np.float64]
    capacity_per_s: NDArray[np.float64]
    storage: NDArray[np.float64]
    edge_id: NDArray[np.int64]
    edge_name: NDArray[np.int32] = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    street_names: tuple[str, ...] = ()
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        return (f"<Network: {self.n_nodes:,} nodes, {self.n_edges:,} edges, {self.length_m.sum() / 1000:,.1f} km, "
                f"modes {', '.join(self.modes)}, crs {self.crs or 'none'}>")

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_id.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.tail.shape[0])

    def mode_index(self, mode: str) -> int:
        """Row of ``mode`` in the per-mode arrays."""
        try:
            return self.modes.index(mode)
        except ValueError:
            raise KeyError(f"mode {mode!r} is not one of {self.modes}") from None

    def free_time_s(self, mode: str | int, speed_mps: float | None = None) -> NDArray[np.float64]:
        """Free travel time of every edge in seconds for ``mode``.

        Parameters
        ----------
        mode
            Mode name or row index.
        speed_mps
            Optional cap on the speed (a slower demographic group walking); the edge's own free speed still applies
            when it is lower.

        Returns
        -------
        numpy.ndarray
            ``float64[m]``; ``inf`` where the mode may not use the edge.
        """
        k = self.mode_index(mode) if isinstance(mode, str) else int(mode)
        v = self.speed_mps[k]
        if speed_mps is not None:
            v = np.minimum(v, speed_mps)
        with np.errstate(divide="ignore"):
            t = np.where(v > 0, self.length_m / np.where(v > 0, v, 1.0), np.inf)
        return t

    def reverse(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """In-edge CSR: ``(rev_indptr, rev_edges)`` where the in-edges of ``v`` are ``rev_edges[rev_indptr[v]:...]``."""
        cached = self._cache.get("reverse")
        if cached is None:
            order, indptr = csr_from_edges(self.n_nodes, self.head, self.tail)
            cached = (indptr, order)
            self._cache["reverse"] = cached
        return cached  # type: ignore[return-value]

    def validate(self) -> None:
        """Check the array invariants.

        Raises
        ------
        evacplan.errors.InvalidProblemError
            Naming the first invariant broken.
        """
        n, m = self.n_nodes, self.n_edges

        def require(ok: bool, what: str) -> None:
            if not ok:
                raise InvalidProblemError(f"network: {what}")

        require(self.indptr.shape == (n + 1,) and self.indptr[0] == 0 and self.indptr[-1] == m, "indptr")
        require(bool(np.all(np.diff(self.indptr) >= 0)), "indptr not monotone")
        require(self.tail.shape == (m,), "tail shape")
        require(np.array_equal(np.repeat(np.arange(n), np.diff(self.indptr)), self.tail), "tail not sorted as CSR")
        require(self.head.shape == (m,) and (m == 0 or (self.head.min() >= 0 and self.head.max() < n)), "head")
        require(bool(np.all(self.tail != self.head)), "self loop")
        k = len(self.modes)
        for name in ("speed_mps", "capacity_per_s"):
            arr = getattr(self, name)
            require(arr.shape == (k, m), f"{name} shape {arr.shape} != {(k, m)}")
            require(bool(np.all(np.isfinite(arr)) and np.all(arr >= 0)), f"{name} negative or not finite")
        require(self.length_m.shape == (m,) and bool(np.all(self.length_m > 0)), "length_m must be > 0")
        require(self.storage.shape == (m,) and bool(np.all(self.storage > 0)), "storage must be > 0")
        require(self.x.shape == (n,) and self.y.shape == (n,), "coordinates")
        names = self.edge_name
        require(names.shape in ((0,), (m,)), f"edge_name shape {names.shape} != {(m,)}")
        require(names.size == 0 or bool(names.min() >= -1 and names.max() < len(self.street_names)),
                "edge_name out of range of street_names")
