"""How the report names a street: the one place that turns an edge of the network into words.

A street is its name where the network has one (:func:`evacplan.network.names.street_name`: OpenStreetMap's
``name``, else ``ref``, else its class in words), else its OpenStreetMap way (``"OSM way 660750548"``), else, on a
network without way ids, its edge index.
"""

from __future__ import annotations

from evacplan.network.names import street_name
from evacplan.problem.problem import Problem

__all__ = ["street_key", "street_label"]


def street_key(problem: Problem, e: int) -> int | str:
    """What makes consecutive edges one street: the street name of edge ``e``, else its OSM way id (its index
    without way ids)."""
    net = problem.network
    name = street_name(net, e)
    if name:
        return name
    return int(net.edge_id[e]) if net.edge_id.size == net.n_edges else -1 - int(e)


def street_label(problem: Problem, e: int) -> str:
    """Edge ``e`` in words, as a reader would look it up: its street name, else ``"OSM way 660750548"`` (``"edge 12"``
    without way ids)."""
    net = problem.network
    name = street_name(net, e)
    if name:
        return name
    return f"OSM way {int(net.edge_id[e])}" if net.edge_id.size == net.n_edges else f"edge {int(e)}"
