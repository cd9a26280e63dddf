"""Safe zones against the Sphere minimum standards: what the people received need, what is there, what is missing.

Every default is from the Sphere Handbook, 2018 edition (Sphere Association), and can be overridden in the scenario's
``[standards]`` table (sources in ``docs/report.md``). Gaps are given in the units a coordinator orders: km2 of land,
tents, m3 of water per day, water points, latrines, health units.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evacplan.scenario.schema import StandardsSpec

__all__ = ["AREA_MISMATCH", "SafeZoneNeeds", "area_note", "persons_per_tent", "safe_zone_needs"]

#: A declared ``area_m2`` that differs from the drawn polygon's area by more than this share (of the smaller of the
#: two) is flagged.
AREA_MISMATCH = 0.10


def persons_per_tent(standards: StandardsSpec) -> int:
    """Persons one family tent shelters at the covered-space minimum: ``floor(tent m2 / m2 per person)``, at least 1.

    With the defaults, a 16 m2 family tent (assumed; UNHCR family tent, approx.) at 3.5 m2 per person (Sphere) holds
    4 persons.
    """
    return max(1, int(math.floor(standards.tent_covered_m2 / standards.covered_area_m2_per_person + 1e-9)))


@dataclass(frozen=True)
class SafeZoneNeeds:
    """One safe zone: people received, what they need under the standards, what the zone has, the gaps.

    Every ``*_gap`` is ``max(0, needed - available)`` in the named unit, ``None`` where the scenario gives no
    inventory (then the whole need is unmet as far as is known). ``*_available`` is ``None`` when not given.

    Attributes
    ----------
    name
        Safe zone name.
    received
        Evacuees who reached the zone (simulation) or were sent to it (plan).
    residents
        People already living in the zone before the evacuation; every need below is for ``residents + received``.
    capacity
        The zone's declared capacity in persons, residents included (``None``: unlimited).
    area_m2
        Usable site area in m2 (``None``: not given): the declared ``area_m2`` where given, else the drawn
        polygon's area.
    site_m2_per_person
        ``area_m2 / (residents + received)`` (``None`` when either is unknown or nobody is there).
    site_gap_km2
        Extra land needed for ``site_area_m2_per_person`` each, in km2.
    covered_m2_needed, tents_needed
        Covered living space needed (m2) and the family tents that give it (no shelter inventory is known, so every
        person received needs one).
    water_m3_day_needed, water_m3_day_available, water_gap_m3_day
        Water in m3 per day.
    water_points_needed, water_points_available, water_points_gap
        Water points (taps).
    latrines_needed, latrines_later_needed, latrines_available, latrines_gap, latrines_later_gap
        Latrines at the start of the emergency and after (Sphere's 1 per 50, then 1 per 20).
    health_units_needed, health_units_available, health_units_gap
        Basic health units.
    drawn_area_m2
        Area of the zone's drawn polygon in m2 (``None``: not known, or not in a metric CRS).
    area_source
        Where ``area_m2`` comes from: ``"declared"`` (the layer's ``area_m2`` column), ``"drawn"`` (the polygon) or
        ``"none"``.
    area_note
        A sentence when the declared area and the drawn polygon differ by more than :data:`AREA_MISMATCH`, else
        ``""``.
    """

    name: str
    received: int
    residents: int
    capacity: float | None
    area_m2: float | None
    site_m2_per_person: float | None
    site_gap_km2: float | None
    covered_m2_needed: float
    tents_needed: int
    water_m3_day_needed: float
    water_m3_day_available: float | None
    water_gap_m3_day: float | None
    water_points_needed: int
    water_points_available: float | None
    water_points_gap: int | None
    latrines_needed: int
    latrines_later_needed: int
    latrines_available: float | None
    latrines_gap: int | None
    latrines_later_gap: int | None
    health_units_needed: int
    health_units_available: float | None
    health_units_gap: int | None
    drawn_area_m2: float | None = None
    area_source: str = "none"
    area_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _opt(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _need(persons: int, per: float) -> int:
    return int(math.ceil(persons / per - 1e-9)) if persons > 0 else 0


def _gap(needed: float, available: float | None) -> float | None:
    return None if available is None else max(0.0, needed - available)


def area_note(name: str, declared_m2: float | None, drawn_m2: float | None) -> str:
    """The sentence flagging a declared area that differs from the drawn polygon's by more than
    :data:`AREA_MISMATCH` (``""`` when they agree or either is unknown).

    >>> print(area_note("Coast", 70_000.0, 1_330_000.0))  # doctest: +NORMALIZE_WHITESPACE
    Coast: the declared area (0.07 km2) is 19x smaller than the drawn polygon (1.33 km2); space per person uses
    the declared area.
    """
    if declared_m2 is None or drawn_m2 is None or declared_m2 <= 0 or drawn_m2 <= 0:
        return ""
    lo, hi = min(declared_m2, drawn_m2), max(declared_m2, drawn_m2)
    if hi <= lo * (1.0 + AREA_MISMATCH):
        return ""
    ratio = hi / lo
    times = f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"
    how = "smaller" if declared_m2 < drawn_m2 else "larger"
    return (f"{name}: the declared area ({declared_m2 / 1e6:,.2f} km2) is {times} {how} than the drawn polygon "
            f"({drawn_m2 / 1e6:,.2f} km2); space per person uses the declared area.")


def safe_zone_needs(
    names: tuple[str, ...],
    received: NDArray[np.integer] | list[int],
    area_m2: NDArray[np.float64],
    capacity: NDArray[np.float64],
    services: dict[str, NDArray[np.float64]],
    standards: StandardsSpec,
    residents: NDArray[np.floating] | list[float] | None = None,
    drawn_area_m2: NDArray[np.floating] | list[float] | None = None,
) -> list[SafeZoneNeeds]:
    """Needs and gaps of every safe zone, for the people it received and the people already living there.

    Parameters
    ----------
    names
        Safe zone names.
    received
        Persons received by each zone.
    area_m2
        Usable site area of each zone (``nan``: not given).
    capacity
        Declared capacity of each zone in persons, residents included (``inf``: unlimited).
    services
        ``{"water_l_per_day", "water_points", "latrines", "health_facilities"}`` arrays (``nan``: not given).
    standards
        The minimums.
    residents
        People already living in each zone (default: none).
    drawn_area_m2
        Area of each zone's drawn polygon (``nan``: not known; default: none known). Where it differs from
        ``area_m2``, ``area_m2`` is the declared area: it is used, and flagged when the two differ by more than
        :data:`AREA_MISMATCH`.

    Returns
    -------
    list of SafeZoneNeeds

    Examples
    --------
    90,000 people on 2 km2 have 22.2 m2 each; at 45 m2 per person they need 2.05 km2 more:

    >>> s = safe_zone_needs(("A",), [90000], np.array([2e6]), np.array([np.inf]), {}, StandardsSpec())[0]
    >>> round(s.site_m2_per_person, 1), round(s.site_gap_km2, 2)
    (22.2, 2.05)
    """
    st = standards
    rec = np.asarray(received, dtype=np.int64)
    res = np.zeros(len(names), dtype=np.int64) if residents is None or len(residents) == 0 else \
        np.rint(np.asarray(residents, dtype=np.float64)).astype(np.int64)
    nan = np.full(len(names), np.nan)
    drawn = nan if drawn_area_m2 is None or len(drawn_area_m2) == 0 else np.asarray(drawn_area_m2, dtype=np.float64)

    def svc(key: str, i: int) -> float | None:
        return _opt(float(services.get(key, nan)[i]))

    out = []
    tent = persons_per_tent(st)
    for i, name in enumerate(names):
        r = int(rec[i]) + int(res[i])
        area = _opt(float(area_m2[i]))
        poly = _opt(float(drawn[i]))
        if area is None:
            source = "none"
        elif poly is not None and abs(area - poly) <= 1e-6 * max(poly, 1.0):
            source = "drawn"
        else:
            source = "declared"
        per_person = area / r if area is not None and r > 0 else None
        site_gap = None if area is None else max(0.0, r * st.site_area_m2_per_person - area) / 1e6
        water_l = svc("water_l_per_day", i)
        water_need = r * st.water_l_per_person_day / 1000.0
        water_avail = None if water_l is None else water_l / 1000.0
        wp_need = _need(r, st.persons_per_water_point)
        wp = svc("water_points", i)
        lat_need, lat_later = _need(r, st.persons_per_latrine), _need(r, st.persons_per_latrine_later)
        lat = svc("latrines", i)
        hu_need = _need(r, st.persons_per_health_unit)
        hu = svc("health_facilities", i)

        def igap(needed: int, avail: float | None) -> int | None:
            g = _gap(needed, avail)
            return None if g is None else int(math.ceil(g - 1e-9))

        out.append(SafeZoneNeeds(
            name=name, received=int(rec[i]), residents=int(res[i]), capacity=_opt(float(capacity[i])), area_m2=area,
            site_m2_per_person=per_person, site_gap_km2=site_gap,
            covered_m2_needed=r * st.covered_area_m2_per_person, tents_needed=_need(r, tent),
            water_m3_day_needed=water_need, water_m3_day_available=water_avail,
            water_gap_m3_day=_gap(water_need, water_avail),
            water_points_needed=wp_need, water_points_available=wp, water_points_gap=igap(wp_need, wp),
            latrines_needed=lat_need, latrines_later_needed=lat_later, latrines_available=lat,
            latrines_gap=igap(lat_need, lat), latrines_later_gap=igap(lat_later, lat),
            health_units_needed=hu_need, health_units_available=hu, health_units_gap=igap(hu_need, hu),
            drawn_area_m2=poly, area_source=source,
            area_note=area_note(name, area, poly) if source == "declared" else "",
        ))
    return out
