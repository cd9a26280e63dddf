"""Choosing and applying a local metric CRS."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer

__all__ = ["local_metric_crs", "to_crs"]


def local_metric_crs(crs: str | None, x: NDArray[np.float64], y: NDArray[np.float64]) -> str:
    """A metric CRS for coordinates ``x, y`` given in ``crs``.

    A projected CRS in metres is kept; geographic coordinates get the UTM zone of their centre; ``None`` (an abstract
    network in metres, e.g. some TNTP node files) stays ``""``.
    """
    if not crs:
        return ""
    src = CRS.from_user_input(crs)
    if src.is_projected and src.axis_info and src.axis_info[0].unit_name in {"metre", "meter"}:
        return src.to_string()
    lon, lat = x, y
    if not src.is_geographic:
        lon, lat = Transformer.from_crs(src, "EPSG:4326", always_xy=True).transform(x, y)
    clon, clat = float(np.nanmean(lon)), float(np.nanmean(lat))
    zone = int((clon + 180) // 6) + 1
    return f"EPSG:{32600 + zone if clat >= 0 else 32700 + zone}"


def to_crs(
    src: str | None, dst: str, x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Transform coordinates from ``src`` to ``dst`` (identity when either is empty or they are equal)."""
    if not src or not dst or CRS.from_user_input(src) == CRS.from_user_input(dst):
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    tx, ty = Transformer.from_crs(src, dst, always_xy=True).transform(x, y)
    return np.asarray(tx, dtype=np.float64), np.asarray(ty, dtype=np.float64)
