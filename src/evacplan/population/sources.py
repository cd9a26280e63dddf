"""Reading population sources as weighted points in the network's CRS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evacplan.scenario._raster import RasterScan, scan_raster
from evacplan.scenario.schema import PopulationSpec

__all__ = ["PopulationPoints", "read_population"]


@dataclass(frozen=True)
class PopulationPoints:
    """People as weighted points (raster cell centres, points, or polygon shares) in a metric CRS.

    ``polygon`` gives, for polygon sources, the index of the polygon each point belongs to (-1 otherwise); the
    builder spreads a polygon's count over the network nodes inside it.
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    count: NDArray[np.float64]
    polygons: Any = None  # GeoSeries of polygons in the target CRS, for polygon sources


def read_population(spec: PopulationSpec, crs: str, scan: RasterScan | None = None) -> PopulationPoints:
    """Read the population layer named by ``spec`` into points in ``crs``.

    Raster cells with no data or a count <= 0 are skipped; their centres stand for the cell's people. A raster is
    read window by window (large ones merged into blocks, see :mod:`evacplan.scenario._raster`); ``scan`` reuses a
    scan already made by the checks. Points whose coordinates cannot be projected into ``crs`` (a CRS label that
    contradicts the coordinates) get ``nan`` coordinates and are never placed.
    """
    if spec.kind == "raster":
        return _raster(spec, crs, scan)
    import geopandas as gpd

    gdf = gpd.read_file(spec.path)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if crs:
        gdf = gdf.to_crs(crs)
    counts = pd.to_numeric(gdf[spec.count_column], errors="coerce").to_numpy(dtype=np.float64)
    counts = np.where(np.isfinite(counts) & (counts > 0), counts, 0.0)
    if set(gdf.geom_type) <= {"Point", "MultiPoint"}:
        pts = gdf.geometry.centroid
        return PopulationPoints(_finite(pts.x.to_numpy()), _finite(pts.y.to_numpy()), counts)
    rep = gdf.geometry.representative_point()
    return PopulationPoints(_finite(rep.x.to_numpy()), _finite(rep.y.to_numpy()), counts,
                            polygons=gdf.geometry.reset_index(drop=True))


def _finite(a: NDArray[np.float64]) -> NDArray[np.float64]:
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(a), a, np.nan)


def _raster(spec: PopulationSpec, crs: str, scan: RasterScan | None) -> PopulationPoints:
    from evacplan.network.projection import to_crs

    if scan is None:
        scan = scan_raster(spec.path)
    x, y = to_crs(scan.crs, crs, scan.x, scan.y)
    return PopulationPoints(_finite(x), _finite(y), scan.count.astype(np.float64))
