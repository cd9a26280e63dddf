"""The scenario, as typed objects: what a scenario file declares once parsed and checked.

Every time in a scenario file is in minutes from the start, every speed in m/s, every length in metres, every area in
m2, unless the key's name says otherwise. The defaults and their sources are documented in ``docs/scenario.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evacplan.scenario.uncertainty import UncertaintySpec
    from evacplan.scenario.variants import VariantSpec

__all__ = [
    "DEFAULT_GROUPS",
    "DEFAULT_MODES",
    "UNIT_SPACE_M2",
    "ClosedSpec",
    "GroupSpec",
    "LayerSpec",
    "MobilizationSpec",
    "ModeSpec",
    "NetworkDefaults",
    "NetworkSpec",
    "PopulationSpec",
    "ProvenanceSpec",
    "Scenario",
    "StandardsSpec",
]


@dataclass(frozen=True)
class ModeSpec:
    """A way of moving.

    Attributes
    ----------
    name
        ``"walk"``, ``"cart"`` or ``"vehicle"`` (other names behave like ``"vehicle"``).
    speed_mps
        Free speed in m/s (for walking, the demographic group's speed applies instead; for vehicles the road's own
        speed limit caps it).
    persons_per_unit
        Persons carried by one unit (1 for walking, a family on a cart, passengers of a car).
    share
        Share of the evacuees who use this mode, in [0, 1]; shares sum to 1.
    units_per_lane_per_h
        Outflow capacity in units per hour and lane (not used for walking, whose capacity comes from width).
    space_m2
        Street area one unit takes in a jam, m2 (``None``: :data:`UNIT_SPACE_M2` for the mode's name; a walker
        takes ``1 / jam_density``, i.e. one person of the network's storage).
    """

    name: str
    speed_mps: float
    persons_per_unit: float
    share: float
    units_per_lane_per_h: float = 1800.0
    space_m2: float | None = None


#: Street area one unit of each mode takes in a jam, m2 (``None``: one person at the network's jam density).
#: A car takes about 7.5 m of a 3.5 m lane (HCM jam spacing of about 7-8 m per vehicle); a loaded donkey or hand
#: cart with the people walking beside it about 3 m x 1.5 m (approx., assumed).
UNIT_SPACE_M2: dict[str, float | None] = {"walk": None, "cart": 4.5, "vehicle": 7.5 * 3.5}


@dataclass(frozen=True)
class GroupSpec:
    """A demographic group.

    Attributes
    ----------
    name
        Group name (``"adults"``, ``"older_people"``, ...).
    share
        Share of the population in this group, in [0, 1].
    walk_speed_mps
        Free walking speed in m/s.
    vulnerable
        Whether the assessment counts the group as vulnerable (needs assistance to move).
    """

    name: str
    share: float
    walk_speed_mps: float
    vulnerable: bool = False


# Weidmann (1993): 1.34 m/s free walking speed of adults; older people about 0.9-1.0 m/s and people with reduced
# mobility about 0.5-0.8 m/s (approximate, published pedestrian studies). Shares: see docs/scenario.md.
DEFAULT_GROUPS: tuple[GroupSpec, ...] = (GroupSpec("everyone", 1.0, 1.34),)

# Walking 1.34 m/s (Weidmann 1993); a loaded donkey cart at walking pace about 1.1 m/s (approx.); vehicles at most
# 8.3 m/s (30 km/h) in evacuation traffic, 1,800 vehicles per hour and lane (Highway Capacity Manual, urban).
DEFAULT_MODES: tuple[ModeSpec, ...] = (ModeSpec("walk", 1.34, 1.0, 1.0),)


@dataclass(frozen=True)
class NetworkDefaults:
    """Figures used to derive edge attributes the source does not give (sources in ``docs/scenario.md``)."""

    specific_flow_p_per_m_s: float = 1.3  # SFPE Handbook / Weidmann 1993: max pedestrian specific flow
    jam_density_p_per_m2: float = 5.4  # Weidmann 1993
    lane_width_m: float = 3.5
    min_width_m: float = 1.0


@dataclass(frozen=True)
class NetworkSpec:
    """Where the street network comes from."""

    path: Path
    format: str  # "osm" | "graphml" | "tntp" | "gmns"
    network_type: str = "walking"  # OSM only: "walking" | "driving" | "all"
    nodes: Path | None = None  # TNTP node file (GMNS: node.csv is found beside link.csv)
    crs: str | None = None  # CRS of node coordinates when the file does not say (TNTP, GMNS)
    length_unit: str = "auto"  # TNTP only: "m" | "km" | "mi" | "ft" | "auto"
    defaults: NetworkDefaults = field(default_factory=NetworkDefaults)


@dataclass(frozen=True)
class PopulationSpec:
    """Where people live."""

    path: Path
    kind: str  # "raster" | "polygons" | "points"
    count_column: str = "population"
    scale_to: float | None = None
    evacuate: str = "danger_zones"  # "danger_zones" | "all"
    max_snap_m: float = 1000.0
    groups: tuple[GroupSpec, ...] = DEFAULT_GROUPS


@dataclass(frozen=True)
class LayerSpec:
    """A vector layer with its column names."""

    path: Path
    layer: str | None = None
    name_column: str = "name"


@dataclass(frozen=True)
class ClosedSpec:
    """Areas and lines no route may enter or cross, and closed crossings (points)."""

    path: Path
    layer: str | None = None
    snap_m: float = 50.0


@dataclass(frozen=True)
class MobilizationSpec:
    """Departure-time distribution: cumulative share of people departed by minute."""

    kind: str = "logistic"  # "logistic" | "uniform" | "instant" | "table"
    mean_min: float = 60.0
    spread_min: float = 20.0
    start_min: float = 0.0
    end_min: float = 120.0
    table: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class StandardsSpec:
    """Humanitarian minimums (Sphere Handbook 2018 defaults; see ``docs/scenario.md`` for each source)."""

    site_area_m2_per_person: float = 45.0
    covered_area_m2_per_person: float = 3.5
    water_l_per_person_day: float = 15.0
    persons_per_water_point: float = 250.0
    persons_per_latrine: float = 50.0
    persons_per_latrine_later: float = 20.0
    persons_per_health_unit: float = 10000.0
    capacity_m2_per_person: float = 3.5
    tent_covered_m2: float = 16.0  # assumed: a family tent of about 16 m2 floor (UNHCR family tent, approx.)


@dataclass(frozen=True)
class ProvenanceSpec:
    """Where a scenario's layers come from, said wherever its results are shown.

    Attributes
    ----------
    streets
        Whose streets the network is (place, source, date), e.g. ``"Malta, Grand Harbour area (OpenStreetMap,
        August 2018)"``.
    stands_for
        The place the scenario models when its streets are another place's, e.g. ``"Rafah governorate, southern
        Gaza Strip, May 2024"``; empty when the streets are the place's own.
    """

    streets: str = ""
    stands_for: str = ""

    def sentence(self) -> str:
        """One sentence for reports: whose streets stand in for which place (empty when nothing is declared)."""
        if self.streets and self.stands_for:
            return f"Streets of {self.streets}, standing in for {self.stands_for} (not that place's own streets)."
        if self.streets:
            return f"Streets: {self.streets}."
        if self.stands_for:
            return f"Models {self.stands_for}."
        return ""


@dataclass(frozen=True)
class Scenario:
    """A parsed, checked scenario.

    Paths are absolute (resolved against the scenario file's folder).
    """

    file: Path
    name: str
    network: NetworkSpec
    population: PopulationSpec
    danger_zones: LayerSpec
    safe_zones: LayerSpec
    closed: ClosedSpec | None
    modes: tuple[ModeSpec, ...] = DEFAULT_MODES
    mobilization: MobilizationSpec = field(default_factory=MobilizationSpec)
    zone_mobilization: tuple[tuple[str, MobilizationSpec], ...] = ()
    standards: StandardsSpec = field(default_factory=StandardsSpec)
    time_step_min: float = 1.0
    horizon_min: float = 1440.0
    seed: int = 0
    variants: tuple[VariantSpec, ...] = ()
    uncertainty: UncertaintySpec | None = None
    provenance: ProvenanceSpec = field(default_factory=ProvenanceSpec)
    raw: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def input_paths(self) -> list[Path]:
        """Every file the scenario reads, for cache keys."""
        out = [self.file, self.network.path, self.population.path, self.danger_zones.path, self.safe_zones.path]
        if self.network.nodes is not None:
            out.append(self.network.nodes)
        if self.closed is not None:
            out.append(self.closed.path)
        return out
