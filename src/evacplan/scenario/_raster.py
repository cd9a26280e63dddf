"""Reading a population raster window by window: never the whole array at once.

One pass over the raster in windows of at most :data:`WINDOW_CELLS` cells gathers what the checks need (valid,
non-finite, negative and positive cells, the total, the largest value and density) and the people: the centre and
count of every cell holding people. When more than :data:`MAX_POINTS` cells hold people, cells are merged into blocks
of ``factor x factor`` cells (``factor`` doubling as needed), each block's people placed at their weighted centre:
the read stays within a fixed memory budget (about ``WINDOW_CELLS x 30`` bytes for a window plus ``MAX_POINTS x 40``
bytes for the points) whatever the raster's size, and no person is lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = ["MAX_POINTS", "WINDOW_CELLS", "RasterScan", "scan_raster"]

#: Cells read at once.
WINDOW_CELLS = 4_000_000
#: Most populated points kept before neighbouring cells are merged into blocks.
MAX_POINTS = 4_000_000
#: GDAL's block cache while scanning (bytes).
GDAL_CACHE_BYTES = 64 * 2**20
_EARTH_M_PER_DEG = 111_320.0


@dataclass
class RasterScan:
    """What one windowed pass over band 1 of a raster found.

    Attributes
    ----------
    crs
        The raster's CRS as a string (``None`` when it has none).
    width, height
        Size in cells.
    bands
        Number of bands.
    valid
        Cells that are neither no-data nor NaN.
    nonfinite, first_nonfinite
        Cells holding ``inf`` or ``-inf``, and ``(row, col, value)`` of the first one.
    negative, min_value, min_at
        Cells below 0, the smallest valid value and its ``(row, col)``.
    positive, total
        Cells holding people (> 0) and their sum.
    max_value, max_at
        The largest value and its ``(row, col)``.
    max_density, max_density_at
        The largest value per m2 of its cell (``nan`` without a CRS), and ``(row, col, value, cell_m2)`` there.
    factor
        Cells per block side of the points (1: one point per populated cell).
    x, y, count
        The people as weighted points in the raster's CRS (cell or block centres of mass).
    """

    crs: str | None
    width: int
    height: int
    bands: int
    valid: int = 0
    nonfinite: int = 0
    first_nonfinite: tuple[int, int, float] | None = None
    negative: int = 0
    min_value: float = math.inf
    min_at: tuple[int, int] | None = None
    positive: int = 0
    total: float = 0.0
    max_value: float = -math.inf
    max_at: tuple[int, int] | None = None
    max_density: float = math.nan
    max_density_at: tuple[int, int, float, float] | None = None
    factor: int = 1
    x: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    y: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    count: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    bounds: tuple[float, float, float, float] = (math.nan, math.nan, math.nan, math.nan)


def _metres_per_unit(crs: object) -> tuple[float, bool]:
    """(metres per CRS unit, whether the CRS is geographic) of a rasterio CRS (``(nan, False)`` when unknown)."""
    if crs is None:
        return math.nan, False
    try:
        from pyproj import CRS

        c = CRS.from_user_input(crs.to_wkt())  # type: ignore[attr-defined]
        if c.is_geographic:
            return _EARTH_M_PER_DEG, True
        factor = c.axis_info[0].unit_conversion_factor if c.axis_info else 1.0
        return float(factor or 1.0), False
    except Exception:  # an exotic CRS: no density check
        return math.nan, False


def _merge(r: NDArray[np.float64], c: NDArray[np.float64], v: NDArray[np.float64], factor: int,
           width: int) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Merge points (pixel row, pixel col, people) into ``factor``-cell blocks at their weighted centres."""
    if v.size == 0:
        return r, c, v
    n_cols = width // factor + 2
    key = (np.floor(r).astype(np.int64) // factor) * n_cols + np.floor(c).astype(np.int64) // factor
    uniq, inv = np.unique(key, return_inverse=True)
    inv = inv.ravel()
    w = np.bincount(inv, weights=v, minlength=uniq.size)
    rr = np.bincount(inv, weights=v * r, minlength=uniq.size) / w
    cc = np.bincount(inv, weights=v * c, minlength=uniq.size) / w
    return rr, cc, w.astype(np.float64)


def scan_raster(path: str | Path, *, collect: bool = True, max_points: int = MAX_POINTS,
                window_cells: int = WINDOW_CELLS) -> RasterScan:
    """Scan band 1 of a raster window by window (see the module docstring).

    Parameters
    ----------
    path
        The raster file.
    collect
        Keep the populated cells as points (``x``, ``y``, ``count``); otherwise only the statistics.
    max_points
        Most points kept before cells are merged into blocks.
    window_cells
        Cells read at once.

    Returns
    -------
    RasterScan

    Raises
    ------
    rasterio.errors.RasterioIOError
        When the file cannot be read as a raster.
    """
    import rasterio
    from rasterio.enums import MaskFlags
    from rasterio.windows import Window

    # GDAL's block cache would otherwise grow to 5 % of the machine's memory on a large raster
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES), rasterio.open(path) as src:
        t = src.transform
        scan = RasterScan(crs=src.crs.to_string() if src.crs is not None else None, width=src.width,
                          height=src.height, bands=src.count)
        b = src.bounds
        scan.bounds = (float(b.left), float(b.bottom), float(b.right), float(b.top))
        if src.count < 1 or src.width == 0 or src.height == 0:
            return scan
        m_per_unit, geographic = _metres_per_unit(src.crs)
        cell_units = abs(t.a * t.e - t.b * t.d)
        flags = src.mask_flag_enums[0]
        nodata = src.nodata
        by_nodata = MaskFlags.nodata in flags and nodata is not None
        by_mask = not by_nodata and MaskFlags.all_valid not in flags  # an internal mask or alpha band
        block_h, block_w = src.block_shapes[0]
        n_cols = min(src.width, max(1, window_cells))
        if n_cols < src.width:
            n_cols = max(block_w, n_cols // block_w * block_w)
        n_rows = max(1, window_cells // n_cols)
        if n_rows < src.height:
            n_rows = max(block_h, n_rows // block_h * block_h)
        rows_acc: list[NDArray[np.float64]] = []
        cols_acc: list[NDArray[np.float64]] = []
        vals_acc: list[NDArray[np.float64]] = []
        kept = 0
        for r0 in range(0, src.height, n_rows):
            h = min(n_rows, src.height - r0)
            for c0 in range(0, src.width, n_cols):
                w = min(n_cols, src.width - c0)
                win = Window(c0, r0, w, h)
                data = src.read(1, window=win)
                is_float = data.dtype.kind == "f"
                if by_nodata:
                    invalid = np.isnan(data) if isinstance(nodata, float) and math.isnan(nodata) else data == nodata
                elif by_mask:
                    invalid = src.read_masks(1, window=win) == 0
                else:
                    invalid = None
                if invalid is not None and invalid.all():
                    continue
                if invalid is not None and invalid.any():
                    data = np.where(invalid, 0, data)  # no-data counts as nobody from here on
                    n_invalid = int(invalid.sum())
                else:
                    n_invalid = 0
                del invalid
                n_nan = 0
                if is_float:
                    bad = ~np.isfinite(data)
                    if bad.any():
                        nan = np.isnan(data)
                        n_nan = int(nan.sum())
                        inf = bad & ~nan
                        if inf.any():
                            i, j = np.argwhere(inf)[0]
                            if scan.first_nonfinite is None:
                                scan.first_nonfinite = (int(r0 + i), int(c0 + j), float(data[i, j]))
                            scan.nonfinite += int(inf.sum())
                        data = np.where(bad, 0, data)
                        del nan, inf
                    del bad
                scan.valid += data.size - n_invalid - n_nan
                lo, hi = data.min(), data.max()
                if n_invalid + n_nan < data.size:  # zeros are valid cells: the extremes count them
                    if lo < scan.min_value or scan.min_at is None:
                        i, j = np.unravel_index(int(np.argmin(data)), data.shape)
                        scan.min_value, scan.min_at = float(lo), (int(r0 + i), int(c0 + j))
                    if hi > scan.max_value or scan.max_at is None:
                        i, j = np.unravel_index(int(np.argmax(data)), data.shape)
                        scan.max_value, scan.max_at = float(hi), (int(r0 + i), int(c0 + j))
                if lo < 0:
                    scan.negative += int((data < 0).sum())
                if hi <= 0:
                    continue
                ii, jj = np.nonzero(data > 0)
                v = data[ii, jj].astype(np.float64)
                del data
                scan.positive += int(ii.size)
                scan.total += float(v.sum())
                if math.isfinite(m_per_unit) and cell_units > 0:
                    area = cell_units * m_per_unit**2 * np.ones(1)
                    if geographic:  # a degree of longitude shrinks with the cosine of the latitude
                        lat = t.d * (jj + c0 + 0.5) + t.e * (ii + r0 + 0.5) + t.f
                        area = area * np.maximum(np.cos(np.radians(np.clip(lat, -90, 90))), 1e-6)
                    dens = v / area
                    k = int(np.argmax(dens))
                    if not dens[k] <= scan.max_density:  # also when max_density is still nan
                        scan.max_density = float(dens[k])
                        scan.max_density_at = (int(r0 + ii[k]), int(c0 + jj[k]), float(v[k]),
                                               float(area[k] if area.size > 1 else area[0]))
                if not collect:
                    continue
                rr = ii.astype(np.float64) + r0 + 0.5
                cc = jj.astype(np.float64) + c0 + 0.5
                if scan.factor > 1:
                    rr, cc, v = _merge(rr, cc, v, scan.factor, src.width)
                rows_acc.append(rr)
                cols_acc.append(cc)
                vals_acc.append(v)
                kept += v.size
                while kept > max_points:  # too many points: merge into blocks twice as wide
                    scan.factor *= 2
                    rr, cc, v = _merge(np.concatenate(rows_acc), np.concatenate(cols_acc), np.concatenate(vals_acc),
                                       scan.factor, src.width)
                    rows_acc, cols_acc, vals_acc, kept = [rr], [cc], [v], v.size
        if collect and vals_acc:
            rr, cc, v = np.concatenate(rows_acc), np.concatenate(cols_acc), np.concatenate(vals_acc)
            scan.x = t.a * cc + t.b * rr + t.c
            scan.y = t.d * cc + t.e * rr + t.f
            scan.count = v
    return scan
