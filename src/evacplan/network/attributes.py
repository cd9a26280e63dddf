"""Per-mode edge attributes derived from what the source gives, with documented defaults.

Sources of the defaults (also in ``docs/scenario.md``):

* pedestrian specific flow 1.3 persons per metre of width per second (SFPE Handbook, hydraulic model;
  Weidmann 1993), applied to the whole usable width: in a mass evacuation people walk on the carriageway too;
* jam density 5.4 persons per m2 (Weidmann 1993) for storage capacity;
* 1,800 vehicles per hour and lane (Highway Capacity Manual, urban arterials) unless the mode or source says otherwise;
* road widths and speeds by OSM ``highway`` class: typical values, listed in :data:`ROAD_CLASSES` (approximate).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evacplan.scenario.schema import ModeSpec, NetworkDefaults

__all__ = ["ROAD_CLASSES", "derive_edge_attributes"]

#: highway class -> (usable width in m, vehicle free speed in m/s, lanes per direction, vehicles allowed, carts allowed)
ROAD_CLASSES: dict[str, tuple[float, float, float, bool, bool]] = {
    "motorway": (14.0, 25.0, 3, True, False),
    "motorway_link": (6.0, 15.0, 1, True, False),
    "trunk": (12.0, 22.0, 2, True, True),
    "trunk_link": (6.0, 14.0, 1, True, True),
    "primary": (10.0, 14.0, 2, True, True),
    "primary_link": (6.0, 11.0, 1, True, True),
    "secondary": (8.0, 12.5, 1, True, True),
    "secondary_link": (6.0, 11.0, 1, True, True),
    "tertiary": (7.0, 11.0, 1, True, True),
    "tertiary_link": (6.0, 11.0, 1, True, True),
    "unclassified": (6.0, 8.3, 1, True, True),
    "residential": (6.0, 8.3, 1, True, True),
    "living_street": (5.0, 2.8, 1, True, True),
    "service": (4.0, 5.6, 1, True, True),
    "road": (5.0, 8.3, 1, True, True),
    "track": (3.0, 4.2, 1, True, True),
    "pedestrian": (6.0, 0.0, 1, False, True),
    "footway": (2.5, 0.0, 1, False, False),
    "path": (2.0, 0.0, 1, False, False),
    "cycleway": (2.5, 0.0, 1, False, False),
    "bridleway": (2.0, 0.0, 1, False, False),
    "steps": (2.0, 0.0, 1, False, False),
    "corridor": (2.0, 0.0, 1, False, False),
    "elevator": (1.2, 0.0, 1, False, False),
    "trail": (1.5, 0.0, 1, False, False),
}
_UNKNOWN = (4.0, 8.3, 1, True, True)


def _lookup(highway: pd.Series, col: int) -> np.ndarray:
    vals = {k: v[col] for k, v in ROAD_CLASSES.items()}
    first = highway.astype(object).where(highway.notna(), None).map(
        lambda h: str(h).split(";")[0].strip().strip("[]'\"") if h is not None else None
    )
    return np.array([vals.get(h, _UNKNOWN[col]) if h is not None else np.nan for h in first], dtype=np.float64)


def derive_edge_attributes(
    edges: pd.DataFrame, modes: Sequence[ModeSpec], defaults: NetworkDefaults
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Speeds, capacities, storage and width for every edge.

    Parameters
    ----------
    edges
        Edge table with the columns of :data:`evacplan.network.raw.EDGE_COLUMNS` (``length_m`` filled) plus a
        boolean ``forward`` (False for reverse edges added for walkers).
    modes
        The scenario's modes.
    defaults
        Figures to derive from.

    Returns
    -------
    speed_mps, capacity_per_s
        ``float64[n_modes, m]``; 0 where a mode may not use the edge.
    storage
        Persons, ``float64[m]``.
    width_m
        The usable width assumed, ``float64[m]``.
    """
    m = len(edges)
    hw = edges["highway"] if "highway" in edges else pd.Series([None] * m)
    has_class = hw.notna().to_numpy()
    lanes = pd.to_numeric(edges.get("lanes"), errors="coerce").to_numpy(dtype=np.float64)
    lanes_cls = np.where(has_class, _lookup(hw, 2), np.nan)
    lanes = np.where(np.isfinite(lanes) & (lanes > 0), lanes, np.where(np.isfinite(lanes_cls), lanes_cls, 1.0))
    width = pd.to_numeric(edges.get("width_m"), errors="coerce").to_numpy(dtype=np.float64)
    width_cls = np.where(has_class, _lookup(hw, 0), lanes * defaults.lane_width_m)
    width = np.where(np.isfinite(width) & (width > 0), width, width_cls)
    width = np.maximum(width, defaults.min_width_m)
    length = edges["length_m"].to_numpy(dtype=np.float64)

    veh_ok_cls = np.where(has_class, _lookup(hw, 3), 1.0) > 0
    cart_ok_cls = np.where(has_class, _lookup(hw, 4), 1.0) > 0
    flag_vehicle = edges["vehicle"].to_numpy(dtype=bool) if "vehicle" in edges else np.ones(m, bool)
    flag_walk = edges["walk"].to_numpy(dtype=bool) if "walk" in edges else np.ones(m, bool)
    forward = edges["forward"].to_numpy(dtype=bool) if "forward" in edges else np.ones(m, bool)
    oneway = edges["oneway"].to_numpy(dtype=bool) if "oneway" in edges else np.zeros(m, bool)
    wheels_dir = forward | ~oneway
    veh_speed_src = pd.to_numeric(edges.get("vehicle_speed_mps"), errors="coerce").to_numpy(dtype=np.float64)
    veh_speed_cls = np.where(has_class, _lookup(hw, 1), _UNKNOWN[1])
    veh_speed = np.where(np.isfinite(veh_speed_src) & (veh_speed_src > 0), veh_speed_src, veh_speed_cls)
    cap_vph = pd.to_numeric(edges.get("capacity_vph"), errors="coerce").to_numpy(dtype=np.float64)

    speed = np.zeros((len(modes), m))
    capacity = np.zeros((len(modes), m))
    for k, mode in enumerate(modes):
        if mode.name == "walk":
            ok = flag_walk
            speed[k] = np.where(ok, mode.speed_mps, 0.0)
            capacity[k] = np.where(ok, defaults.specific_flow_p_per_m_s * width, 0.0)
            continue
        ok = flag_vehicle & wheels_dir & (cart_ok_cls if mode.name == "cart" else veh_ok_cls)
        if mode.name == "cart":
            ok = ok | (flag_walk & cart_ok_cls & has_class & ~veh_ok_cls)  # carts also use pedestrian streets
            v = np.full(m, mode.speed_mps)
        else:
            v = np.minimum(veh_speed, mode.speed_mps)
        speed[k] = np.where(ok & (v > 0), v, 0.0)
        units_per_h = mode.units_per_lane_per_h * lanes
        if mode.name != "cart":
            units_per_h = np.where(np.isfinite(cap_vph) & (cap_vph > 0), cap_vph, units_per_h)
        capacity[k] = np.where(speed[k] > 0, units_per_h * mode.persons_per_unit / 3600.0, 0.0)
    storage = np.maximum(length * width * defaults.jam_density_p_per_m2, 1.0)
    return speed, capacity, storage, width
