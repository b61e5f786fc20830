"""``MultiLevelDataset``: one cube at several resolutions, for fast map display.

Level 0 is the finest; each next level halves the resolution in x and y.
Levels are made on demand and cached, so building a pyramid from a dataset
costs nothing until a level is used, and a pyramid opened from storage reads
only the levels asked for. Imported lazily: ``import intake_xstores`` does not
import this module (nor xarray).
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..errors import param_error
from .downsample import (
    DEFAULT_TILE_SIZE,
    AggMethods,
    TileSize,
    _chunk_tile_size,
    _resolution,
    downsample,
    max_num_levels,
    normalize_tile_size,
    resolve_agg_methods,
    spatial_dims,
)


class MultiLevelDataset:
    """One cube at ``num_levels`` resolutions; level 0 the finest.

    *get_level* makes level *index* (an ``xarray.Dataset``); it is called at
    most once per level, when that level is first asked for. It must pickle
    for the multi-level dataset to pickle (module-level functions, or the
    objects the ``from_*`` constructors use). Prefer the ``from_*``
    constructors.

    It has xcube's ``MultiLevelDataset`` API too (``grid_mapping``,
    ``avg_resolutions``, ``get_level_for_resolution()``, ``apply()``, ...),
    and xcube-style subclasses override ``_get_dataset_lazily(index,
    parameters)`` and ``_get_num_levels_lazily()`` instead of passing
    *get_level* and *num_levels* (see :class:`LazyMultiLevelDataset`).
    """

    # Defaults for xcube-style subclasses that override ds_id, num_levels,
    # grid_mapping and get_dataset without calling __init__.
    _ds_id: str | None = ""
    _num_levels: int | None = None
    _tile_size: tuple[int, int] | None = None
    _grid_mapping: Any = None
    agg_methods: dict[str, str] | None = None

    def __init__(
        self,
        get_level: Callable[[int], xr.Dataset] | None = None,
        num_levels: int | None = None,
        *,
        ds_id: str | None = "",
        tile_size: TileSize = None,
        agg_methods: Mapping[str, str] | None = None,
        grid_mapping: Any = None,
    ):
        if num_levels is not None:
            _check_num_levels(num_levels)
        self._get_level = get_level
        self._num_levels = int(num_levels) if num_levels is not None else None
        self._ds_id = ds_id
        self._tile_size = normalize_tile_size(tile_size)
        self.agg_methods = dict(agg_methods) if agg_methods else None
        self._grid_mapping = grid_mapping
        self._level_parameters: dict[str, Any] = {}
        self._cache: dict[int, xr.Dataset] = {}
        self._lock = threading.RLock()

    # --- xcube's lazy hooks -------------------------------------------------

    def _get_dataset_lazily(self, index: int, parameters: dict[str, Any]) -> xr.Dataset:
        """Make level *index*; by default with the *get_level* given."""
        if self._get_level is None:
            raise NotImplementedError(
                f"{type(self).__name__} must pass get_level or override _get_dataset_lazily()"
            )
        return self._get_level(index)

    def _get_num_levels_lazily(self) -> int:
        raise NotImplementedError(
            f"{type(self).__name__} must pass num_levels or override _get_num_levels_lazily()"
        )

    def _get_grid_mapping_lazily(self):
        from .gridmapping import GridMapping

        return GridMapping.from_dataset(self.base_dataset, tile_size=self._tile_size)

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
            size = (dataset.sizes[x_dim], dataset.sizes[y_dim])
            num_levels = min(get_num_levels(size, tile), max_levels)
        elif not isinstance(num_levels, (int, np.integer)) or not 1 <= num_levels <= max_levels:
            raise param_error(
                "num_levels",
                num_levels,
                allowed=f"an integer from 1 to {max_levels} (where the coarsest level is 1 pixel)",
            )
        mlds = MultiLevelDataset(
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
            raise param_error(
                "datasets", allowed="a non-empty list of xarray.Dataset, finest level first"
            )
        return MultiLevelDataset(_Items(datasets), len(datasets), ds_id=ds_id, tile_size=tile_size)

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
            raise param_error(
                "callables",
                allowed="a non-empty list of functions without arguments returning xarray.Dataset",
            )
        return MultiLevelDataset(
            _Calls(callables), len(callables), ds_id=ds_id, tile_size=tile_size
        )

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
            raise param_error(
                "paths", paths, allowed="a non-empty list of dataset paths, finest level first"
            )
        open_kwargs.setdefault("chunks", {})
        return MultiLevelDataset(
            _Files(paths, open_kwargs), len(paths), ds_id=ds_id, tile_size=tile_size
        )

    # --- levels -------------------------------------------------------------

    @property
    def ds_id(self) -> str:
        """The dataset's identifier (a new UUID if it was made with ``ds_id=None``)."""
        if self._ds_id is None:
            with self.lock:
                if self._ds_id is None:
                    self._ds_id = str(uuid.uuid4())
        return self._ds_id

    @ds_id.setter
    def ds_id(self, ds_id: str) -> None:
        if not isinstance(ds_id, str):
            raise TypeError(f"ds_id must be a str, was {type(ds_id).__name__}")
        self._ds_id = ds_id

    @property
    def num_levels(self) -> int:
        if self._num_levels is None:
            with self.lock:
                if self._num_levels is None:
                    num_levels = self._get_num_levels_lazily()
                    _check_num_levels(num_levels)
                    self._num_levels = int(num_levels)
        return self._num_levels

    @property
    def lock(self) -> threading.RLock:
        """The reentrant lock guarding the lazy making of levels and properties."""
        return self.__dict__.setdefault("_lock", threading.RLock())

    @property
    def grid_mapping(self):
        """The :class:`~.gridmapping.GridMapping` of level 0 (made on first use)."""
        if self._grid_mapping is None:
            with self.lock:
                if self._grid_mapping is None:
                    self._grid_mapping = self._get_grid_mapping_lazily()
        return self._grid_mapping

    @property
    def base_dataset(self) -> xr.Dataset:
        """Level 0, at full resolution."""
        return self.get_dataset(0)

    @property
    def datasets(self) -> list[xr.Dataset]:
        """Every level, finest first (makes those not made yet)."""
        return [self.get_dataset(index) for index in range(self.num_levels)]

    def get_dataset(self, index: int) -> xr.Dataset:
        """Level *index* (0: finest), made lazily on first use and then cached."""
        num_levels = self.num_levels
        if not isinstance(index, (int, np.integer)) or not 0 <= index < num_levels:
            raise param_error("index", index, allowed=f"an integer from 0 to {num_levels - 1}")
        index = int(index)
        with self.lock:
            if index not in self._cache:
                dataset = self._get_dataset_lazily(index, self._level_parameters)
                if not isinstance(dataset, xr.Dataset):
                    raise TypeError(
                        f"Level {index} of multi-level dataset {self.ds_id!r} is a "
                        f"{type(dataset).__name__}, not an xarray.Dataset"
                    )
                self._cache[index] = dataset
            return self._cache[index]

    def set_dataset(self, index: int, level_dataset: xr.Dataset) -> None:
        """Use *level_dataset* as level *index* (its sizes are the caller's care)."""
        with self.lock:
            self.__dict__.setdefault("_cache", {})[int(index)] = level_dataset

    def close(self) -> None:
        """Close the levels made so far."""
        with self.lock:
            for dataset in self.__dict__.get("_cache", {}).values():
                dataset.close()

    def apply(
        self,
        function: Callable[..., xr.Dataset],
        kwargs: Mapping[str, Any] | None = None,
        ds_id: str | None = None,
    ) -> MultiLevelDataset:
        """A multi-level dataset of ``function(level, **kwargs)`` for every level."""
        return MappedMultiLevelDataset(self, function, ds_id=ds_id, mapper_params=kwargs)

    @property
    def spatial_dims(self) -> tuple[str, str]:
        """Names of the (x, y) dimensions."""
        return spatial_dims(self.base_dataset)

    @property
    def resolutions(self) -> tuple[tuple[float, float], ...]:
        """(x, y) pixel size of each level, in CRS units, finest first
        (level 0's, doubled per level, as in xcube: no other level is opened)."""
        x_res, y_res = (r or math.nan for r in _resolution(self.base_dataset, *self.spatial_dims))
        return tuple((x_res * 2**i, y_res * 2**i) for i in range(self.num_levels))

    @property
    def avg_resolutions(self) -> tuple[float, ...]:
        """The geometric mean of the x and y pixel size of each level."""
        return tuple(math.sqrt(x * y) for x, y in self.resolutions)

    def get_level_for_resolution(self, xy_res: float | Sequence[float]) -> int:
        """The coarsest level whose pixels are no larger than *xy_res* (a size,
        or an (x, y) pair) in both x and y; level 0 if all are larger."""
        if isinstance(xy_res, (int, float, np.number)):
            x_given = y_given = float(xy_res)
        else:
            x_given, y_given = (float(v) for v in xy_res)
        for level, (x_res, y_res) in enumerate(self.resolutions):
            if x_res > x_given and y_res > y_given:
                return max(0, level - 1)
        return self.num_levels - 1

    @property
    def crs(self) -> str | None:
        """The coordinate reference system, e.g. ``"EPSG:4326"``, if known."""
        from ..descriptor import crs_of

        return crs_of(self.base_dataset, self.spatial_dims[0])

    @property
    def tile_size(self) -> tuple[int, int] | None:
        """(width, height) of a tile in pixels, when known."""
        return self._tile_size

    # --- dunder -------------------------------------------------------------

    def __repr__(self) -> str:
        # Private values, so that printing computes nothing, unless a subclass
        # (written for xcube) overrides the properties themselves.
        cls = type(self)
        ds_id = self._ds_id if cls.ds_id is MultiLevelDataset.ds_id else self.ds_id
        num_levels = (
            self._num_levels if cls.num_levels is MultiLevelDataset.num_levels else self.num_levels
        )
        parts = [f"ds_id={ds_id!r}", f"num_levels={num_levels}"]
        if self._tile_size:
            parts.append(f"tile_size={self._tile_size}")
        cache = self.__dict__.get("_cache", {})
        if 0 in cache:  # never open a level just to print
            base = cache[0]
            parts.append(f"base_sizes={dict(base.sizes)}")
            parts.append(f"data_vars={list(map(str, base.data_vars))}")
        if self.agg_methods:
            parts.append(f"agg_methods={self.agg_methods}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()


# --- level makers (picklable) -------------------------------------------------


class LazyMultiLevelDataset(MultiLevelDataset):
    """A multi-level dataset whose levels (and number of levels) are made by
    the subclass's ``_get_dataset_lazily(index, parameters)`` (and
    ``_get_num_levels_lazily()``), once, when first needed; *parameters*
    are passed to the former."""

    def __init__(
        self,
        grid_mapping: Any = None,
        num_levels: int | None = None,
        ds_id: str | None = None,
        parameters: Mapping[str, Any] | None = None,
    ):
        super().__init__(None, num_levels, ds_id=ds_id, grid_mapping=grid_mapping)
        self._level_parameters = dict(parameters or {})


class MappedMultiLevelDataset(LazyMultiLevelDataset):
    """Level *i* is ``mapper_function(ml_dataset.get_dataset(i), **mapper_params)``."""

    def __init__(
        self,
        ml_dataset: MultiLevelDataset,
        mapper_function: Callable[..., xr.Dataset],
        ds_id: str | None = None,
        mapper_params: Mapping[str, Any] | None = None,
    ):
        super().__init__(ds_id=ds_id, parameters=mapper_params)
        self._ml_dataset = ml_dataset
        self._mapper_function = mapper_function
        self._tile_size = ml_dataset.tile_size

    def _get_num_levels_lazily(self) -> int:
        return self._ml_dataset.num_levels

    def _get_dataset_lazily(self, index: int, parameters: dict[str, Any]) -> xr.Dataset:
        return self._mapper_function(self._ml_dataset.get_dataset(index), **parameters)

    def close(self) -> None:
        self._ml_dataset.close()


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


def _check_num_levels(num_levels: Any) -> None:
    if not isinstance(num_levels, (int, np.integer)) or num_levels < 1:
        raise param_error("num_levels", num_levels, allowed="an integer >= 1")


def get_num_levels(size: tuple[int, int], tile_size: tuple[int, int] | None) -> int:
    """xcube's number of levels: halve (rounding up) until the width or the
    height fits in one tile (256 pixels if *tile_size* is unknown)."""
    (width, height), (tile_width, tile_height) = size, tile_size or (DEFAULT_TILE_SIZE,) * 2
    num_levels = 1
    while width > tile_width and height > tile_height:
        width, height = (width + 1) // 2, (height + 1) // 2
        num_levels += 1
    return num_levels
