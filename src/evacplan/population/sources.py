"""Reading population sources as weighted points in the network's CRS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

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


def read_population(spec: PopulationSpec, crs: str) -> PopulationPoints:
    """Read the population layer named by ``spec`` into points in ``crs``.

    Raster cells with no data or a count <= 0 are skipped; their centres stand for the cell's people.
    """
    if spec.kind == "raster":
        return _raster(spec, crs)
    import geopandas as gpd

    gdf = gpd.read_file(spec.path)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if crs:
        gdf = gdf.to_crs(crs)
    counts = np.nan_to_num(gdf[spec.count_column].astype(float).to_numpy(), nan=0.0)
    if set(gdf.geom_type) <= {"Point", "MultiPoint"}:
        pts = gdf.geometry.centroid
        return PopulationPoints(pts.x.to_numpy(), pts.y.to_numpy(), counts)
    rep = gdf.geometry.representative_point()
    return PopulationPoints(rep.x.to_numpy(), rep.y.to_numpy(), counts, polygons=gdf.geometry.reset_index(drop=True))


def _raster(spec: PopulationSpec, crs: str) -> PopulationPoints:
    import rasterio
    from rasterio.transform import xy as cell_xy

    from evacplan.network.projection import to_crs

    with rasterio.open(spec.path) as src:
        band = src.read(1, masked=True)
        data = np.ma.filled(band.astype(np.float64), 0.0)
        rows, cols = np.nonzero(data > 0)
        xs, ys = cell_xy(src.transform, rows, cols, offset="center")
        src_crs = src.crs.to_string() if src.crs is not None else None
    x, y = to_crs(src_crs, crs, np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    return PopulationPoints(x, y, data[rows, cols])
