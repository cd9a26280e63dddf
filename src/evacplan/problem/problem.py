"""The analysis-ready evacuation problem every later stage works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from evacplan.errors import Finding, InvalidProblemError
from evacplan.network.graph import Network
from evacplan.network.zones import ZoneMap
from evacplan.population.demand import Demand
from evacplan.scenario.schema import ModeSpec, StandardsSpec

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Problem"]


@dataclass(frozen=True, eq=False)
class Problem:
    """A built scenario: network, zones, demand and timing as flat arrays.

    Attributes
    ----------
    name
        Scenario name.
    network
        The street network (closed areas and crossings already removed).
    zones
        Danger and safe zones mapped to nodes.
    demand
        The people to evacuate.
    modes
        Mode specifications, in the order of ``network.modes``.
    departure_cdf
        Cumulative share of people departed by time ``t * time_step_s``, ``float64[n_curves, n_steps + 1]``;
        ``departure_cdf[c, 0]`` is the share that can leave at time 0, the last column is 1.
    time_step_s
        The planning time step in seconds.
    horizon_s
        The time horizon in seconds.
    seed
        Seed of every random choice made downstream.
    reachable
        Whether each demand row has a path to some safe zone by its mode, ``bool[k]``.
    off_network
        Persons farther than the snapping distance from any node (not in :attr:`demand`).
    standards
        Humanitarian minimums of the scenario.
    closed_edges
        Number of edges removed because they enter or cross a closed area or crossing.
    jam_density_p_per_m2
        Persons per m2 of street at a standstill: the unit of :attr:`Network.storage` (one person-equivalent).
    placed
        Persons of the population layer placed on the network (evacuees, people who stay outside the danger zones,
        and safe-zone residents); with :attr:`off_network` it is everyone the layer holds.
    provenance
        Whose streets stand in for which place (:meth:`evacplan.scenario.schema.ProvenanceSpec.sentence`); empty
        when the scenario does not say.
    findings
        What the sanity checks found implausible (:mod:`evacplan.problem.sanity`); commands stop on these unless
        forced.
    """

    name: str
    network: Network
    zones: ZoneMap
    demand: Demand
    modes: tuple[ModeSpec, ...]
    departure_cdf: NDArray[np.float64]
    time_step_s: float
    horizon_s: float
    seed: int = 0
    reachable: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    off_network: int = 0
    standards: StandardsSpec = field(default_factory=StandardsSpec)
    closed_edges: int = 0
    jam_density_p_per_m2: float = 5.4
    placed: int = 0
    provenance: str = ""
    findings: tuple[Finding, ...] = ()
    _cache: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        return (f"<Problem {self.name!r}: {self.network.n_nodes:,} nodes, {self.network.n_edges:,} edges, "
                f"{self.demand.total:,} evacuees>")

    def to_geodataframe(self, layer: str = "nodes") -> gpd.GeoDataFrame:
        """The network on the map, in its CRS.

        Parameters
        ----------
        layer
            ``"nodes"``: one point per node with ``node_id``, ``danger_zone`` and ``safe_zone`` (names, ``""`` when
            outside) and ``evacuees`` starting there; ``"edges"``: one line per directed edge with ``edge``,
            ``edge_id``, ``from_id``, ``to_id``, ``name`` (street name, ``""`` for none), ``length_m`` and each
            mode's ``capacity_p_per_s_<mode>``.

        Returns
        -------
        geopandas.GeoDataFrame

        Raises
        ------
        ValueError
            For an unknown layer.
        """
        import geopandas as gpd

        from evacplan.network.geometry import edge_lines, node_points
        from evacplan.network.names import edge_names

        net, zones = self.network, self.zones
        crs = net.crs or None
        if layer == "nodes":
            danger = np.array(["", *zones.danger_names], dtype=object)[zones.node_danger + 1]
            safe = np.array(["", *zones.safe_names], dtype=object)[zones.node_safe + 1]
            evacuees = np.bincount(self.demand.origin, weights=self.demand.count, minlength=net.n_nodes)
            return gpd.GeoDataFrame({"node_id": net.node_id, "danger_zone": danger, "safe_zone": safe,
                                     "evacuees": evacuees.astype(np.int64)}, geometry=node_points(net), crs=crs)
        if layer == "edges":
            columns = {"edge": np.arange(net.n_edges), "edge_id": net.edge_id, "from_id": net.node_id[net.tail],
                       "to_id": net.node_id[net.head], "name": edge_names(net), "length_m": net.length_m}
            columns.update({f"capacity_p_per_s_{m}": net.capacity_per_s[k] for k, m in enumerate(net.modes)})
            return gpd.GeoDataFrame(columns, geometry=edge_lines(net), crs=crs)
        raise ValueError(f"unknown layer {layer!r}; choose 'nodes' or 'edges'")

    @property
    def n_steps(self) -> int:
        """Number of time steps in the horizon."""
        return int(self.departure_cdf.shape[1] - 1)

    def edge_time_s(self, mode: int, group: int) -> NDArray[np.float64]:
        """Free travel time of every edge for people of ``group`` travelling by ``mode``, in seconds.

        Walkers move at their group's walking speed (capped by the edge's walking speed); other modes at their
        own speed, capped by the edge's.
        """
        net = self.network
        if net.modes[mode] == "walk":
            return net.free_time_s(mode, self.demand.groups[group].walk_speed_mps)
        return net.free_time_s(mode, self.modes[mode].speed_mps)

    def departures(self, row: int | NDArray[np.integer]) -> NDArray[np.float64]:
        """Cumulative persons of demand row(s) departed by the end of each step, ``float64[..., n_steps + 1]``."""
        d = self.demand
        return d.count[row, None] * self.departure_cdf[d.curve[row]]

    @property
    def unreachable(self) -> int:
        """Persons in the demand with no path to any safe zone."""
        return int(self.demand.count[~self.reachable].sum())

    def validate(self) -> None:
        """Check every array invariant of the problem (used by tests and after loading from cache).

        Raises
        ------
        evacplan.errors.InvalidProblemError
            Naming the first invariant broken.
        """
        self.network.validate()
        self.zones.validate(self.network.n_nodes)
        self.demand.validate(self.network.n_nodes, len(self.network.modes), self.departure_cdf.shape[0])
        cdf = self.departure_cdf
        checks = (
            (bool(np.all(np.diff(cdf, axis=1) >= -1e-12)), "departure_cdf not monotone"),
            (bool(np.allclose(cdf[:, -1], 1.0)), "departure_cdf must end at 1"),
            (self.reachable.shape == (self.demand.n_rows,), "reachable shape"),
            (len(self.modes) == len(self.network.modes), "one mode specification per network mode"),
        )
        for ok, what in checks:
            if not ok:
                raise InvalidProblemError(f"problem: {what}")
