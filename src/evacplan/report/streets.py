"""How the report names a street: the one place that turns an edge of the network into words.

The built network keeps no street names yet, so a street is its OpenStreetMap way (``"OSM way 660750548"``) or, on a
network without way ids, its edge index. When the network carries names, :func:`street_key` and
:func:`street_label` are the only functions to switch.
"""

from __future__ import annotations

from evacplan.problem.problem import Problem

__all__ = ["street_key", "street_label"]


def street_key(problem: Problem, e: int) -> int:
    """What makes consecutive edges one street: the OSM way id of edge ``e`` (its index without way ids)."""
    net = problem.network
    return int(net.edge_id[e]) if net.edge_id.size == net.n_edges else -1 - int(e)


def street_label(problem: Problem, e: int) -> str:
    """Edge ``e`` in words, as a reader would look it up: ``"OSM way 660750548"`` (``"edge 12"`` without way ids)."""
    net = problem.network
    return f"OSM way {int(net.edge_id[e])}" if net.edge_id.size == net.n_edges else f"edge {int(e)}"
