"""Downsampling: making the next, coarser level of a multi-level dataset."""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..conventions import AGG_METHODS, X_DIM_NAMES, Y_DIM_NAMES
from ..errors import DataStoreParamsError, param_error

DEFAULT_TILE_SIZE = 256

AggMethods = str | Mapping[str, str] | None
TileSize = int | Sequence[int] | None


def spatial_dims(dataset: xr.Dataset) -> tuple[str, str]:
    """The (x, y) dimension names of *dataset*, or a clear error."""
    x = next((d for d in X_DIM_NAMES if d in dataset.dims), None)
    y = next((d for d in Y_DIM_NAMES if d in dataset.dims), None)
    if x is None or y is None:
        raise DataStoreParamsError(
            f"Cannot make levels of a dataset with dimensions {list(map(str, dataset.dims))}: "
            f"it needs an x dimension (one of {', '.join(X_DIM_NAMES)}) and a y "
            f"dimension (one of {', '.join(Y_DIM_NAMES)})"
        )
    return x, y


def max_num_levels(width: int, height: int) -> int:
    """Number of levels until the coarsest is a single pixel."""
    return 1 + max(0, math.ceil(math.log2(max(width, height, 1))))


def default_agg_method(var: xr.DataArray) -> str:
    """``mean`` for measurements; ``first`` where a mean means nothing."""
    if any(k in var.attrs for k in ("flag_values", "flag_masks", "flag_meanings")):
        return "first"
    return "mean" if np.issubdtype(var.dtype, np.floating) else "first"


def resolve_agg_methods(dataset: xr.Dataset, agg_methods: AggMethods = None) -> dict[str, str]:
    """The aggregation method of every spatial data variable of *dataset*."""
    x_dim, y_dim = spatial_dims(dataset)
    names = [str(n) for n, v in dataset.data_vars.items() if {x_dim, y_dim} & set(v.dims)]
    one_of = f"one of {', '.join(AGG_METHODS)}"
    if agg_methods is None:
        agg_methods = {}
    elif isinstance(agg_methods, str) and agg_methods in AGG_METHODS:
        agg_methods = {"*": agg_methods}
    elif not isinstance(agg_methods, Mapping):
        raise param_error(
            "agg_methods", agg_methods, allowed=f"{one_of}, or a mapping of variable names to them"
        )
    for pattern, method in agg_methods.items():
        if method not in AGG_METHODS:
            raise param_error(
                "agg_methods", method, problem=f"the method for {pattern!r}", allowed=one_of
            )
        if pattern != "*" and not fnmatch.filter(names, pattern):
            raise param_error(
                "agg_methods",
                pattern,
                problem=f"names no spatial variable; the variables are {', '.join(names)}",
            )
    methods = {}
    for name in names:
        chosen = [m for p, m in agg_methods.items() if fnmatch.fnmatchcase(name, p)]
        methods[name] = chosen[-1] if chosen else default_agg_method(dataset[name])
    return methods


def downsample(
    dataset: xr.Dataset, agg_methods: Mapping[str, str] | None = None, factor: int = 2
) -> xr.Dataset:
    """*dataset* at 1/*factor* of its resolution in x and y, lazily.

    A window that runs over the edge aggregates the pixels it has, so the
    extent is kept (size ``ceil(n / factor)``). Variables without spatial
    dimensions are kept as they are.
    """
    x_dim, y_dim = spatial_dims(dataset)
    methods = resolve_agg_methods(dataset, agg_methods)
    bounds = {dataset[d].attrs.get("bounds"): d for d in (x_dim, y_dim) if d in dataset.coords}
    result = xr.Dataset(attrs=dataset.attrs)
    for name, coord in dataset.coords.items():
        if name in (x_dim, y_dim):
            result.coords[name] = _coarse_coord(coord, factor)
        elif name not in bounds:
            coord = _aggregate(coord.variable, {x_dim: factor, y_dim: factor}, "first")
            coord.attrs.pop("GeoTransform", None)  # stale at a coarser level
            result.coords[name] = coord
    for name, var in dataset.data_vars.items():
        if name not in bounds:
            dims = {d: factor for d in (x_dim, y_dim) if d in var.dims}
            agg = _aggregate(var.variable, dims, methods[str(name)]) if dims else var.variable
            result[name] = agg
    for name, dim in bounds.items():
        if name in dataset.variables and result.sizes[dim] > 1:
            half = float(result[dim][1] - result[dim][0]) / 2
            values = np.stack([result[dim].values - half, result[dim].values + half], -1)
            result.coords[name] = ((dim, dataset[name].dims[-1]), values)
    return result


def _aggregate(var: xr.Variable, dims: dict[str, int], method: str) -> xr.Variable:
    dims = {d: f for d, f in dims.items() if d in var.dims}
    if method == "first" or not dims:
        return var.isel({d: slice(None, None, f) for d, f in dims.items()})
    func = _mode if method == "mode" else method
    result = var.coarsen(dims, func, boundary="pad", keep_attrs=True)
    if method in ("min", "max", "mode") and result.dtype != var.dtype:
        result = result.astype(var.dtype)  # padding made integers float; undo it
    return result


def _mode(values: Any, axis: tuple[int, ...]) -> Any:
    """Most frequent value over the window *axis* (ties: the smallest; NaN ignored)."""
    if isinstance(values, np.ndarray):
        return _mode_numpy(values, axis)
    values = values.rechunk(dict.fromkeys(axis, -1))
    return values.map_blocks(_mode_numpy, axis, drop_axis=axis, dtype=values.dtype)


def _mode_numpy(values: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    values = np.moveaxis(values, axis, tuple(range(-len(axis), 0)))
    flat = np.sort(values.reshape(*values.shape[: -len(axis)], -1), axis=-1)
    counts = (flat[..., :, None] == flat[..., None, :]).sum(axis=-1)
    best = np.argmax(counts, axis=-1)
    return np.take_along_axis(flat, best[..., None], axis=-1)[..., 0]


def _coarse_coord(coord: xr.DataArray, factor: int) -> xr.DataArray:
    """Pixel centres of the coarser grid; exact for regular grids."""
    values = coord.values
    n = math.ceil(values.size / factor)
    if values.size > 1 and np.issubdtype(values.dtype, np.number):
        steps = np.diff(values)
        if np.allclose(steps, steps[0], rtol=1e-6):
            step = steps[0]
            new = values[0] - step / 2 + (np.arange(n) + 0.5) * step * factor
            return xr.DataArray(new.astype(values.dtype), dims=coord.dims, attrs=coord.attrs)
        padded = np.full(n * factor, np.nan)
        padded[: values.size] = values
        new = np.nanmean(padded.reshape(n, factor), axis=1)
        return xr.DataArray(new, dims=coord.dims, attrs=coord.attrs)
    return xr.DataArray(values[::factor], dims=coord.dims, attrs=coord.attrs)


def _resolution(dataset: xr.Dataset, x_dim: str, y_dim: str) -> tuple[float | None, float | None]:
    res = []
    for dim in (x_dim, y_dim):
        values = dataset[dim].values if dim in dataset.coords else np.array([])
        res.append(float(abs(values[1] - values[0])) if values.size > 1 else None)
    return res[0], res[1]


def normalize_tile_size(tile_size: TileSize) -> tuple[int, int] | None:
    """``256`` or ``[256, 256]`` as ``(256, 256)``; ``None`` stays unknown."""
    if tile_size is None:
        return None
    if isinstance(tile_size, (int, np.integer)) and not isinstance(tile_size, bool):
        tile_size = (tile_size, tile_size)
    try:
        width, height = (int(v) for v in tile_size)  # type: ignore[union-attr]
        if width < 1 or height < 1 or len(tile_size) != 2:  # type: ignore[arg-type]
            raise ValueError
    except (TypeError, ValueError):
        raise param_error(
            "tile_size", tile_size, allowed="a positive integer or [width, height]"
        ) from None
    return width, height


def _chunk_tile_size(dataset: xr.Dataset, x_dim: str, y_dim: str) -> tuple[int, int] | None:
    try:
        chunks = dataset.chunksizes
    except ValueError:  # inconsistent chunks: no single tile size
        return None
    if x_dim in chunks and y_dim in chunks:
        return int(chunks[x_dim][0]), int(chunks[y_dim][0])
    return None
