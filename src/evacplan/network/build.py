"""Compile a :class:`RawNetwork` into a :class:`Network` in a local metric CRS."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evacplan.network.attributes import derive_edge_attributes
from evacplan.network.graph import Network, csr_from_edges
from evacplan.network.projection import local_metric_crs, to_crs
from evacplan.network.raw import RawNetwork
from evacplan.scenario.schema import DEFAULT_MODES, ModeSpec, NetworkDefaults

__all__ = ["compile_network"]


def compile_network(
    raw: RawNetwork,
    modes: Sequence[ModeSpec] = DEFAULT_MODES,
    defaults: NetworkDefaults | None = None,
    *,
    crs: str | None = None,
    drop_edges: np.ndarray | None = None,
) -> Network:
    """Project, add walking reverse edges, derive per-mode attributes and lay out the CSR arrays.

    Parameters
    ----------
    raw
        Nodes and edges as read.
    modes
        The modes whose speeds and capacities are derived.
    defaults
        Figures used where the source says nothing.
    crs
        Target metric CRS (default: chosen from the data, see :func:`local_metric_crs`).
    drop_edges
        Optional boolean mask over ``raw.edges`` of edges to leave out (closures).

    Returns
    -------
    Network
        With ``edge_id`` the raw edge's ``edge_id`` and ``edge_name`` its ``name`` (when the raw edges have that
        column), as an index into ``street_names``.
    """
    defaults = defaults or NetworkDefaults()
    nodes = raw.nodes.reset_index(drop=True)
    target = crs if crs is not None else local_metric_crs(raw.crs, nodes.x.to_numpy(), nodes.y.to_numpy())
    x, y = to_crs(raw.crs, target, nodes.x.to_numpy(dtype=np.float64), nodes.y.to_numpy(dtype=np.float64))
    index = pd.Series(np.arange(len(nodes)), index=nodes["id"].to_numpy())
    if index.index.has_duplicates:
        raise ValueError("duplicate node ids in the network")

    edges = raw.edges.copy()
    if drop_edges is not None:
        edges = edges[~np.asarray(drop_edges, dtype=bool)]
    edges = edges[edges.u != edges.v]
    edges["u_i"] = index.reindex(edges.u.to_numpy()).to_numpy()
    edges["v_i"] = index.reindex(edges.v.to_numpy()).to_numpy()
    edges = edges.dropna(subset=["u_i", "v_i"])
    edges["u_i"] = edges["u_i"].astype(np.int64)
    edges["v_i"] = edges["v_i"].astype(np.int64)
    geo_len = np.hypot(x[edges.u_i] - x[edges.v_i], y[edges.u_i] - y[edges.v_i])
    length = pd.to_numeric(edges["length_m"], errors="coerce").to_numpy(dtype=np.float64)
    edges["length_m"] = np.maximum(np.where(np.isfinite(length) & (length > 0), length, geo_len), 1.0)
    edges["forward"] = True
    # Walkers (and two-way traffic) may use each edge both ways: add the reverse where the source lacks it.
    key = edges.u_i.to_numpy() * len(nodes) + edges.v_i.to_numpy()
    rkey = edges.v_i.to_numpy() * len(nodes) + edges.u_i.to_numpy()
    rev = edges[~np.isin(rkey, key)].copy()
    rev[["u", "v", "u_i", "v_i"]] = rev[["v", "u", "v_i", "u_i"]].to_numpy()
    rev["forward"] = False
    both = pd.concat([edges, rev], ignore_index=True)
    k2 = both.u_i.to_numpy() * len(nodes) + both.v_i.to_numpy()
    both = both[~pd.Series(k2).duplicated().to_numpy()].reset_index(drop=True)

    speed, capacity, storage, _width = derive_edge_attributes(both, modes, defaults)
    usable = (speed > 0).any(axis=0) & (capacity > 0).any(axis=0)
    both = both[usable].reset_index(drop=True)
    speed, capacity, storage = speed[:, usable], capacity[:, usable], storage[usable]
    tail = both.u_i.to_numpy(dtype=np.int64)
    head = both.v_i.to_numpy(dtype=np.int64)
    order, indptr = csr_from_edges(len(nodes), tail, head)
    edge_name, street_names = _names(both, order)
    net = Network(
        node_id=nodes["id"].to_numpy(dtype=np.int64),
        x=x,
        y=y,
        crs=target,
        indptr=indptr,
        tail=tail[order].astype(np.int32),
        head=head[order].astype(np.int32),
        length_m=both.length_m.to_numpy(dtype=np.float64)[order],
        modes=tuple(m.name for m in modes),
        speed_mps=np.ascontiguousarray(speed[:, order]),
        capacity_per_s=np.ascontiguousarray(capacity[:, order]),
        storage=storage[order],
        edge_id=both.edge_id.to_numpy(dtype=np.int64)[order],
        edge_name=edge_name,
        street_names=street_names,
    )
    return net


def _names(edges: pd.DataFrame, order: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Per-edge index into the unique names (in CSR order), -1 for none; empty when the source has no names."""
    if "name" not in edges.columns:
        return np.empty(0, dtype=np.int32), ()
    raw = edges["name"].to_numpy(dtype=object)[order]
    text = pd.Series([s.strip() if isinstance(s, str) and s.strip() else None for s in raw], dtype=object)
    if text.isna().all():
        return np.empty(0, dtype=np.int32), ()
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    return codes.astype(np.int32), tuple(str(u) for u in uniques)
