"""Street names: what the readers keep of them and how an edge is said in words.

The built :class:`~evacplan.network.graph.Network` keeps one name per directed edge as an index into a tuple of
unique names (:attr:`~evacplan.network.graph.Network.edge_name`, ``int32``, -1 for none; the strings in
:attr:`~evacplan.network.graph.Network.street_names`), so arrays stay small and kernels never see strings.

Where the name comes from: the OSM ``name`` tag, else ``ref`` (``"road 170"`` when the reference is a bare
number), else the road class in words (``"unnamed footway"``); the GraphML ``name`` attribute, which is the same
tag for osmnx files; the GMNS ``name`` column when the file has one; nothing for TNTP networks.

Every sentence that names an edge for people goes through :func:`describe_edge`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from evacplan.network.graph import Network

__all__ = ["class_in_words", "describe_edge", "edge_names", "fallback_name", "fallback_names", "street_name"]

#: Road classes (OSM ``highway``) in words, where the bare tag does not read well.
_CLASS_WORDS = {
    "motorway": "motorway",
    "motorway_link": "motorway link",
    "trunk": "trunk road",
    "trunk_link": "trunk road link",
    "primary": "primary road",
    "primary_link": "primary road link",
    "secondary": "secondary road",
    "secondary_link": "secondary road link",
    "tertiary": "tertiary road",
    "tertiary_link": "tertiary road link",
    "unclassified": "minor road",
    "residential": "residential street",
    "living_street": "living street",
    "service": "service road",
    "road": "road",
    "track": "track",
    "pedestrian": "pedestrian street",
    "footway": "footway",
    "path": "path",
    "cycleway": "cycleway",
    "bridleway": "bridleway",
    "steps": "steps",
    "corridor": "corridor",
    "elevator": "lift",
}


def class_in_words(highway: str | None) -> str | None:
    """``"unnamed footway"`` for ``"footway"``; ``None`` for no class."""
    if highway is None or not str(highway).strip():
        return None
    h = str(highway).strip()
    return "unnamed " + _CLASS_WORDS.get(h, h.replace("_", " "))


def fallback_name(name: str | None, ref: str | None, highway: str | None) -> str | None:
    """The name of a way: its ``name``, else its ``ref`` (``"road 170"`` for a bare number), else its class in words."""
    if name:
        return name
    if ref:
        return f"road {ref}" if ref.replace(" ", "").isdigit() else ref
    return class_in_words(highway)


def fallback_names(
    names: Sequence[str | None], refs: Sequence[str | None], highways: Sequence[str | None]
) -> list[str | None]:
    """:func:`fallback_name` of every row."""
    return [fallback_name(n, r, h) for n, r, h in zip(names, refs, highways, strict=True)]


def street_name(net: Network, e: int) -> str | None:
    """The street name of edge ``e``, or ``None`` when the network has none for it."""
    idx = net.edge_name
    if idx.shape[0] != net.n_edges:
        return None
    k = int(idx[e])
    return net.street_names[k] if 0 <= k < len(net.street_names) else None


def edge_names(net: Network) -> NDArray[np.object_]:
    """The street name of every edge (``""`` where there is none), ``object[m]``, for tables and layers."""
    table = np.array(["", *net.street_names], dtype=object)
    if net.edge_name.shape[0] != net.n_edges:
        return np.full(net.n_edges, "", dtype=object)
    return table[np.asarray(net.edge_name, dtype=np.int64) + 1]


def describe_edge(net: Network, e: int, *, index: bool = False) -> str:
    """Edge ``e`` in words for people.

    ``"Triq il-Kbira San Guzepp (from node 906 to 931)"`` when the edge has a name; without one, by its end nodes
    and source id: ``"edge 906->931 (source id 4120)"``. With ``index``, the edge's position in the built network
    is added (``", index 2846"`` inside the brackets), which the report reads back to mark the edge on the map.
    """
    e = int(e)
    a, b = int(net.node_id[net.tail[e]]), int(net.node_id[net.head[e]])
    at = f", index {e}" if index else ""
    name = street_name(net, e)
    if name:
        return f"{name} (from node {a} to {b}{at})"
    src = f"source id {int(net.edge_id[e])}" if net.edge_id.shape[0] == net.n_edges else ""
    inside = ", ".join(p for p in (src, at.lstrip(", ")) if p)
    return f"edge {a}->{b}" + (f" ({inside})" if inside else "")
