"""``MultiLevelDataset``: one cube at several resolutions, for fast map display.

Level 0 is the finest; each next level halves the resolution in x and y.
Levels are made on demand and cached, so building a pyramid from a dataset
costs nothing until a level is used, and a pyramid opened from storage reads
only the levels asked for. Imported lazily: ``import intake_xstores`` does not
import this module (nor xarray).
"""

from __future__ import annotations

import fnmatch
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .errors import DataStoreParamsError

AGG_METHODS = ("first", "mean", "median", "min", "max", "mode")
"""Aggregation methods for downsampling a variable to the next level."""

X_DIM_NAMES = ("x", "lon", "longitude")
Y_DIM_NAMES = ("y", "lat", "latitude")
DEFAULT_TILE_SIZE = 256

AggMethods = str | Mapping[str, str] | None
TileSize = int | Sequence[int] | None


class MultiLevelDataset:
    """One cube at ``num_levels`` resolutions; level 0 the finest.

    *get_level* makes level *index* (an ``xarray.Dataset``); it is called at
    most once per level, when that level is first asked for. It must pickle
    for the multi-level dataset to pickle (module-level functions, or the
    objects the ``from_*`` constructors use). Prefer the ``from_*``
    constructors.
    """

    def __init__(
        self,
        get_level: Callable[[int], xr.Dataset],
        num_levels: int,
        *,
        ds_id: str = "",
        tile_size: TileSize = None,
        agg_methods: Mapping[str, str] | None = None,
    ):
        if not isinstance(num_levels, (int, np.integer)) or num_levels < 1:
            raise DataStoreParamsError(
                f"Invalid value for parameter 'num_levels': {num_levels!r}; "
                "allowed: an integer >= 1"
            )
        self._get_level = get_level
        self._num_levels = int(num_levels)
        self.ds_id = ds_id
        self._tile_size = normalize_tile_size(tile_size)
        self.agg_methods = dict(agg_methods) if agg_methods else None
        self._cache: dict[int, xr.Dataset] = {}
        self._lock = threading.RLock()

    # --- constructors -------------------------------------------------------

    @classmethod
    def from_dataset(
        cls,
        dataset: xr.Dataset,
        num_levels: int | None = None,
        *,
        tile_size: TileSize = None,
        agg_methods: AggMethods = None,
        ds_id: str = "",
    ) -> MultiLevelDataset:
        """A pyramid over *dataset*, each level downsampled from the previous.

        *agg_methods* is one of :data:`AGG_METHODS` for every variable, or a
        mapping from variable names (wildcards allowed) to methods; variables
        not named get ``mean`` if floating point, else ``first`` (integers,
        booleans and CF flag variables, whose means would be meaningless).
        By default, *tile_size* is the dataset's spatial chunk size and
        *num_levels* makes the coarsest level fit in one tile.
        """
        x_dim, y_dim = spatial_dims(dataset)
        methods = resolve_agg_methods(dataset, agg_methods)
        tile = normalize_tile_size(tile_size) or _chunk_tile_size(dataset, x_dim, y_dim)
        max_levels = max_num_levels(dataset.sizes[x_dim], dataset.sizes[y_dim])
        if num_levels is None:
            tw, th = tile or (DEFAULT_TILE_SIZE, DEFAULT_TILE_SIZE)
            num_levels = 1
            w, h = dataset.sizes[x_dim], dataset.sizes[y_dim]
            while (w > tw or h > th) and num_levels < max_levels:
                w, h, num_levels = math.ceil(w / 2), math.ceil(h / 2), num_levels + 1
        elif not isinstance(num_levels, (int, np.integer)) or not 1 <= num_levels <= max_levels:
            raise DataStoreParamsError(
                f"Invalid value for parameter 'num_levels': {num_levels!r}; allowed: "
                f"an integer from 1 to {max_levels} (where the coarsest level is 1 pixel)"
            )
        mlds = cls(
            _Downsampler(dataset, methods),
            num_levels,
            ds_id=ds_id,
            tile_size=tile,
            agg_methods=methods,
        )
        mlds._cache[0] = dataset
        return mlds

    @classmethod
    def from_datasets(
        cls, datasets: Sequence[xr.Dataset], *, ds_id: str = "", tile_size: TileSize = None
    ) -> MultiLevelDataset:
        """A multi-level dataset of ready-made levels, finest first."""
        datasets = list(datasets)
        if not datasets or not all(isinstance(d, xr.Dataset) for d in datasets):
            raise DataStoreParamsError(
                "Invalid value for parameter 'datasets': allowed: a non-empty list of "
                "xarray.Dataset, finest level first"
            )
        return cls(_Items(datasets), len(datasets), ds_id=ds_id, tile_size=tile_size)

    @classmethod
    def from_callables(
        cls,
        callables: Sequence[Callable[[], xr.Dataset]],
        *,
        ds_id: str = "",
        tile_size: TileSize = None,
    ) -> MultiLevelDataset:
        """Levels made by calling ``callables[index]()`` when first needed."""
        callables = list(callables)
        if not callables or not all(callable(c) for c in callables):
            raise DataStoreParamsError(
                "Invalid value for parameter 'callables': allowed: a non-empty list "
                "of functions without arguments returning xarray.Dataset"
            )
        return cls(_Calls(callables), len(callables), ds_id=ds_id, tile_size=tile_size)

    @classmethod
    def from_files(
        cls,
        paths: Sequence[str],
        *,
        ds_id: str = "",
        tile_size: TileSize = None,
        **open_kwargs: Any,
    ) -> MultiLevelDataset:
        """Levels opened lazily from files or URLs (finest first) with
        ``xarray.open_dataset(path, **open_kwargs)``; Zarr, NetCDF, ..."""
        paths = [str(p) for p in paths]
        if not paths:
            raise DataStoreParamsError(
                "Invalid value for parameter 'paths': []; allowed: a non-empty list "
                "of dataset paths, finest level first"
            )
        open_kwargs.setdefault("chunks", {})
        return cls(_Files(paths, open_kwargs), len(paths), ds_id=ds_id, tile_size=tile_size)

    # --- levels -------------------------------------------------------------

    @property
    def num_levels(self) -> int:
        return self._num_levels

    @property
    def base_dataset(self) -> xr.Dataset:
        """Level 0, at full resolution."""
        return self.get_dataset(0)

    def get_dataset(self, index: int) -> xr.Dataset:
        """Level *index* (0: finest), made lazily on first use and then cached."""
        if not isinstance(index, (int, np.integer)) or not 0 <= index < self._num_levels:
            raise DataStoreParamsError(
                f"Invalid value for parameter 'index': {index!r}; allowed: an "
                f"integer from 0 to {self._num_levels - 1}"
            )
        index = int(index)
        with self._lock:
            if index not in self._cache:
                dataset = self._get_level(index)
                if not isinstance(dataset, xr.Dataset):
                    raise TypeError(
                        f"Level {index} of multi-level dataset {self.ds_id!r} is a "
                        f"{type(dataset).__name__}, not an xarray.Dataset"
                    )
                self._cache[index] = dataset
            return self._cache[index]

    @property
    def spatial_dims(self) -> tuple[str, str]:
        """Names of the (x, y) dimensions."""
        return spatial_dims(self.base_dataset)

    @property
    def resolutions(self) -> tuple[tuple[float, float], ...]:
        """(x, y) pixel size of each level, in CRS units, finest first."""
        x_dim, y_dim = self.spatial_dims
        base = _resolution(self.base_dataset, x_dim, y_dim)
        result = []
        for index in range(self._num_levels):
            res = _resolution(self.get_dataset(index), x_dim, y_dim)
            result.append(
                tuple(
                    r if r is not None else (b or math.nan) * 2**index
                    for r, b in zip(res, base, strict=True)
                )
            )
        return tuple(result)

    @property
    def crs(self) -> str | None:
        """The coordinate reference system, e.g. ``"EPSG:4326"``, if known."""
        from .descriptor import _crs_of

        return _crs_of(self.base_dataset, self.spatial_dims[0])

    @property
    def tile_size(self) -> tuple[int, int] | None:
        """(width, height) of a tile in pixels, when known."""
        return self._tile_size

    # --- dunder -------------------------------------------------------------

    def __repr__(self) -> str:
        parts = [f"ds_id={self.ds_id!r}", f"num_levels={self._num_levels}"]
        if self._tile_size:
            parts.append(f"tile_size={self._tile_size}")
        if 0 in self._cache:  # never open a level just to print
            base = self._cache[0]
            parts.append(f"base_sizes={dict(base.sizes)}")
            parts.append(f"data_vars={list(map(str, base.data_vars))}")
        if self.agg_methods:
            parts.append(f"agg_methods={self.agg_methods}")
        return f"MultiLevelDataset({', '.join(parts)})"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()


# --- level makers (picklable) -------------------------------------------------


class _Downsampler:
    """Level 0 is the dataset; level i downsamples level i - 1 by 2."""

    def __init__(self, dataset: xr.Dataset, agg_methods: dict[str, str]):
        self.dataset = dataset
        self.agg_methods = agg_methods
        self._levels: list[xr.Dataset] = [dataset]

    def __call__(self, index: int) -> xr.Dataset:
        while len(self._levels) <= index:
            self._levels.append(downsample(self._levels[-1], self.agg_methods))
        return self._levels[index]

    def __getstate__(self):
        return {"dataset": self.dataset, "agg_methods": self.agg_methods}

    def __setstate__(self, state):
        self.__init__(state["dataset"], state["agg_methods"])


class _Items:
    def __init__(self, datasets: list[xr.Dataset]):
        self.datasets = datasets

    def __call__(self, index: int) -> xr.Dataset:
        return self.datasets[index]


class _Calls:
    def __init__(self, callables: list[Callable[[], xr.Dataset]]):
        self.callables = callables

    def __call__(self, index: int) -> xr.Dataset:
        return self.callables[index]()


class _Files:
    def __init__(self, paths: list[str], open_kwargs: dict[str, Any]):
        self.paths = paths
        self.open_kwargs = open_kwargs

    def __call__(self, index: int) -> xr.Dataset:
        return xr.open_dataset(self.paths[index], **self.open_kwargs)


# --- downsampling -------------------------------------------------------------


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
    if agg_methods is None:
        agg_methods = {}
    elif isinstance(agg_methods, str):
        if agg_methods not in AGG_METHODS:
            raise DataStoreParamsError(
                f"Invalid value for parameter 'agg_methods': {agg_methods!r}; allowed: "
                f"one of {', '.join(AGG_METHODS)}, or a mapping of variable names to them"
            )
        agg_methods = {"*": agg_methods}
    elif not isinstance(agg_methods, Mapping):
        raise DataStoreParamsError(
            f"Invalid value for parameter 'agg_methods': {agg_methods!r}; allowed: one "
            f"of {', '.join(AGG_METHODS)}, or a mapping of variable names to them"
        )
    for pattern, method in agg_methods.items():
        if method not in AGG_METHODS:
            raise DataStoreParamsError(
                f"Invalid value for parameter 'agg_methods': {method!r} for {pattern!r}; "
                f"allowed: one of {', '.join(AGG_METHODS)}"
            )
        if pattern != "*" and not fnmatch.filter(names, pattern):
            raise DataStoreParamsError(
                f"Invalid value for parameter 'agg_methods': {pattern!r} names no "
                f"spatial variable; the variables are {', '.join(names)}"
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
        raise DataStoreParamsError(
            f"Invalid value for parameter 'tile_size': {tile_size!r}; allowed: a "
            "positive integer or [width, height]"
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
