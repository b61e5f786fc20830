"""Swaths onto regular grids: images located by 2-D latitude/longitude, rectified.

Sentinel-3 OLCI, SLSTR and Synergy products are swaths: pixel ``[i, j]`` of
an image lies at ``latitude[i, j]``, ``longitude[i, j]``, on no regular grid,
so neither odc-stac nor a reprojection can place it. Both the ``eopf-zarr``
and the ARDC stores rectify swaths here, onto an :class:`odc.geo.geobox.GeoBox`,
in two steps on numpy arrays (one task per swath, for all its variables):

1. **binning**: a cell holds the mean of the valid swath pixels whose centres
   fall into it. Where the grid is as coarse as the swath or coarser, every
   pixel counts once and none is dropped (nearest-neighbour would subsample).
2. **nearest-neighbour filling**: a cell into which no pixel centre falls (the
   grid is finer than the swath, or the swath's spacing varies across the
   track) takes the value of the nearest swath pixel, if that is within half
   a pixel diagonal of the swath (scipy's k-d tree). So a cube at about the
   swath's own resolution has no holes, while cells beyond the swath's edge
   stay NaN, as do cells whose nearest pixel is masked (a cloud, a fill value):
   a farther pixel is never put in its place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: Radius of nearest-neighbour filling, in swath pixel diagonals: half of one,
#: with a little slack for the swath's spacing varying along the track.
FILL_RADIUS = 0.55


def rectify(arrays: Mapping[str, Any], lat: Any, lon: Any, geobox) -> dict[str, Any]:
    """*arrays* (xarray variables on the swath of *lat*/*lon*) on *geobox*, lazily.

    One dask task reads the swath and rectifies all of *arrays* at once, so
    the geolocation is read and projected once, not once per variable.
    """
    import dask
    import dask.array as da
    import xarray as xr
    from odc.geo.xr import xr_coords

    names = list(arrays)
    task = dask.delayed(bin_swath)([arrays[n].data for n in names], lat.data, lon.data, geobox)
    stacked = da.from_delayed(task, (len(names), *geobox.shape), dtype="float32")
    coords = xr_coords(geobox)
    return {
        name: xr.DataArray(
            stacked[i], coords=coords, dims=geobox.dimensions, attrs=dict(arrays[name].attrs)
        )
        for i, name in enumerate(names)
    }


def bin_swath(values: Sequence[Any], lat: Any, lon: Any, geobox) -> np.ndarray:
    """The swath images *values* (located by 2-D *lat*/*lon* in degrees) on *geobox*:
    a float32 array ``(len(values), height, width)``, NaN where no pixel lies."""
    cols, rows = grid_position(np.asarray(lat), np.asarray(lon), geobox)
    return bin_positions(values, cols, rows, geobox.shape)


def bin_positions(
    values: Sequence[Any], cols: np.ndarray, rows: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """The swath images *values* on a grid of *shape*, their pixels at the fractional
    grid positions *cols*/*rows* (2-D, as :func:`grid_position` gives them)."""
    height, width = shape
    flat_cols, flat_rows = cols.ravel(), rows.ravel()
    inside = (
        np.isfinite(flat_cols) & np.isfinite(flat_rows) & (flat_cols >= 0) & (flat_cols < width)
        & (flat_rows >= 0) & (flat_rows < height)
    )  # fmt: skip
    cell = np.floor(flat_rows[inside]).astype("int64") * width
    cell += np.floor(flat_cols[inside]).astype("int64")
    hit = np.bincount(cell, minlength=height * width) > 0
    result = np.full((len(values), height * width), np.nan, dtype="float32")
    flat = [np.asarray(v, dtype="float64").ravel() for v in values]
    for out, data in zip(result, flat, strict=True):
        pixels = data[inside]
        ok = np.isfinite(pixels)
        sums = np.bincount(cell[ok], weights=pixels[ok], minlength=height * width)
        counts = np.bincount(cell[ok], minlength=height * width)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:] = np.where(counts > 0, sums / counts, np.nan)
    spacing = pixel_spacing(cols, rows)
    radius = FILL_RADIUS * (spacing or 0.0)
    holes = np.flatnonzero(~hit & _near_pixels(cols, rows, shape, radius).ravel())
    nearest = _nearest_pixels(cols, rows, holes, width, radius)
    if nearest is not None:
        found, pixel = nearest
        for out, data in zip(result, flat, strict=True):
            out[holes[found]] = data[pixel]
    return result.reshape(len(values), height, width)


def grid_position(lat: np.ndarray, lon: np.ndarray, geobox) -> tuple[np.ndarray, np.ndarray]:
    """Fractional (column, row) on *geobox* of each swath pixel centre, as 2-D arrays."""
    from pyproj import Transformer

    lat, lon = lat.astype("float64"), lon.astype("float64")
    to_grid = Transformer.from_crs("EPSG:4326", geobox.crs.to_wkt(), always_xy=True)
    xs, ys = to_grid.transform(lon, lat)
    inverse = ~geobox.affine
    cols = inverse.a * xs + inverse.b * ys + inverse.c
    rows = inverse.d * xs + inverse.e * ys + inverse.f
    return np.asarray(cols).reshape(lat.shape), np.asarray(rows).reshape(lat.shape)


def _near_pixels(cols: np.ndarray, rows: np.ndarray, shape: tuple[int, int], radius: float):
    """Cells that may have a swath pixel centre within *radius* cells (a cheap superset:
    cells a square window away from a cell holding a pixel, the grid padded so that
    pixels just beyond its edge count), so that only they are looked up in a k-d tree."""
    from scipy.ndimage import maximum_filter

    pad = int(np.ceil(radius)) + 1
    height, width = shape[0] + 2 * pad, shape[1] + 2 * pad
    c, r = np.floor(cols.ravel()) + pad, np.floor(rows.ravel()) + pad
    ok = np.isfinite(c) & np.isfinite(r) & (c >= 0) & (c < width) & (r >= 0) & (r < height)
    held = np.zeros((height, width), dtype=bool)
    held[r[ok].astype("int64"), c[ok].astype("int64")] = True
    near = maximum_filter(held, size=2 * pad + 1)
    return near[pad:-pad, pad:-pad]


def _nearest_pixels(cols: np.ndarray, rows: np.ndarray, holes: np.ndarray, width: int, radius):
    """For the cells *holes* (flat indices), those with a swath pixel within *radius*
    cells and that pixel's flat index: ``(mask over holes, pixel indices)``, or None."""
    from scipy.spatial import cKDTree

    if holes.size == 0 or radius <= 0:
        return None
    centres = np.column_stack([holes % width + 0.5, holes // width + 0.5])
    low, high = centres.min(axis=0) - radius, centres.max(axis=0) + radius
    points = np.column_stack([cols.ravel(), rows.ravel()])
    near = np.all(np.isfinite(points) & (points >= low) & (points <= high), axis=1)
    candidates = np.flatnonzero(near)
    if candidates.size == 0:
        return None
    distance, index = cKDTree(points[candidates]).query(centres, distance_upper_bound=radius)
    found = np.isfinite(distance)
    return found, candidates[index[found]]


def pixel_spacing(cols: np.ndarray, rows: np.ndarray) -> float | None:
    """The swath's pixel diagonal in grid cells: the hypotenuse of the median
    distances between neighbours along and across the track (of about 256 lines
    each way, which suffices for a median); None for a lone pixel."""
    steps = []
    for axis in (0, 1):
        if cols.ndim == 2 and cols.shape[axis] > 1:
            other = 1 - axis
            lines = [slice(None)] * 2
            lines[other] = slice(None, None, max(1, cols.shape[other] // 256))
            c, r = cols[tuple(lines)], rows[tuple(lines)]
            step = np.hypot(np.diff(c, axis=axis), np.diff(r, axis=axis))
            step = step[np.isfinite(step)]
            if step.size:
                steps.append(float(np.median(step)))
    if not steps:
        return None
    along, across = (steps * 2)[:2] if len(steps) == 1 else steps
    return float(np.hypot(along, across))
