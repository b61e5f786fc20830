"""xcube's kinds of multi-level dataset, each a :class:`MultiLevelDataset`.

- :class:`LazyMultiLevelDataset`: the base of the others; subclasses make
  levels in ``_get_dataset_lazily`` and count them in ``_get_num_levels_lazily``;
- :class:`BaseMultiLevelDataset`: a pyramid downsampled from a dataset;
- :class:`MappedMultiLevelDataset`, :class:`IdentityMultiLevelDataset`:
  a function of each level of another;
- :class:`CombinedMultiLevelDataset`: several merged level by level;
- :class:`ComputedMultiLevelDataset`: levels computed by a Python script;
- :class:`FsMultiLevelDataset`: a ``.levels`` folder on any filesystem.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import xarray as xr

from ..errors import DataStoreError, param_error
from .abc import (
    LazyMultiLevelDataset,
    MappedMultiLevelDataset,
    MultiLevelDataset,
    get_num_levels,
)
from .downsample import AggMethods, TileSize, resolve_agg_methods


class BaseMultiLevelDataset(LazyMultiLevelDataset):
    """A pyramid whose level *i* is *base_dataset* downsampled by 2**i.

    As in xcube, *agg_methods* defaults to ``"first"`` for every variable,
    and *num_levels* halves the size until the width or the height fits in
    one tile of *grid_mapping* (by default, the dataset's own).
    """

    def __init__(
        self,
        base_dataset: xr.Dataset,
        grid_mapping: Any = None,
        num_levels: int | None = None,
        agg_methods: AggMethods = "first",
        ds_id: str | None = None,
    ):
        if not isinstance(base_dataset, xr.Dataset):
            raise TypeError(
                f"base_dataset must be an xarray.Dataset, was {type(base_dataset).__name__}"
            )
        super().__init__(grid_mapping=grid_mapping, num_levels=num_levels, ds_id=ds_id)
        self.agg_methods = resolve_agg_methods(base_dataset, agg_methods)
        self._pyramid = MultiLevelDataset.from_dataset(
            base_dataset, num_levels, agg_methods=self.agg_methods
        )
        self._tile_size = self.grid_mapping.tile_size
        self.set_dataset(0, base_dataset)

    def _get_num_levels_lazily(self) -> int:
        return get_num_levels(self.grid_mapping.size, self.grid_mapping.tile_size)

    def _get_dataset_lazily(self, index: int, parameters: dict[str, Any]) -> xr.Dataset:
        return self._pyramid._get_level(index)

    def _get_grid_mapping_lazily(self):
        from .gridmapping import GridMapping

        return GridMapping.from_dataset(self._pyramid.base_dataset)


def _identity(dataset: xr.Dataset) -> xr.Dataset:
    return dataset


class IdentityMultiLevelDataset(MappedMultiLevelDataset):
    """The levels of *ml_dataset* as they are, under another ``ds_id``."""

    def __init__(self, ml_dataset: MultiLevelDataset, ds_id: str | None = None):
        super().__init__(ml_dataset, _identity, ds_id=ds_id)


class CombinedMultiLevelDataset(LazyMultiLevelDataset):
    """Level *i* combines level *i* of every one of *ml_datasets* (at least two):
    ``combiner_function(datasets, **combiner_params)``, by default the first
    updated by the others."""

    def __init__(
        self,
        ml_datasets: Sequence[MultiLevelDataset],
        ds_id: str | None = None,
        combiner_function: Callable[..., xr.Dataset] | None = None,
        combiner_params: Mapping[str, Any] | None = None,
    ):
        if not ml_datasets or len(ml_datasets) < 2:
            raise param_error("ml_datasets", allowed="at least two multi-level datasets")
        super().__init__(ds_id=ds_id, parameters=combiner_params)
        self._ml_datasets = list(ml_datasets)
        self._combiner_function = combiner_function
        self._tile_size = self._ml_datasets[0].tile_size

    def _get_num_levels_lazily(self) -> int:
        return self._ml_datasets[0].num_levels

    def _get_dataset_lazily(self, index: int, parameters: dict[str, Any]) -> xr.Dataset:
        datasets = [m.get_dataset(index) for m in self._ml_datasets]
        if self._combiner_function is not None:
            return self._combiner_function(datasets, **parameters)
        combined = datasets[0].copy()
        for dataset in datasets[1:]:
            combined.update(dataset)
        return combined

    def close(self) -> None:
        for ml_dataset in self._ml_datasets:
            ml_dataset.close()


class ComputedMultiLevelDataset(LazyMultiLevelDataset):
    """Level *i* is computed by a function of a Python script from level *i*
    of each input multi-level dataset.

    *script_path* is a ``.py`` file (or a folder, with *callable_name*
    ``"module:function"``); the script may import modules beside it. The
    inputs are found by ``input_ml_dataset_getter(ds_id)``; the function is
    called as ``function(*input_levels, **input_parameters)``.
    """

    def __init__(
        self,
        script_path: str,
        callable_name: str,
        input_ml_dataset_ids: Sequence[str],
        input_ml_dataset_getter: Callable[[str], MultiLevelDataset],
        input_parameters: Mapping[str, Any] | None = None,
        ds_id: str = "",
        exception_type: type[Exception] = ValueError,
    ):
        self._callable_ref, self._callable_obj = self.get_callable(
            script_path,
            callable_name,
            input_ml_dataset_ids,
            input_ml_dataset_getter,
            input_parameters=input_parameters,
            ds_id=ds_id,
            exception_type=exception_type,
        )
        super().__init__(ds_id=ds_id, parameters=input_parameters)
        self._input_ml_dataset_ids = list(input_ml_dataset_ids)
        self._input_ml_dataset_getter = input_ml_dataset_getter
        self._exception_type = exception_type

    @classmethod
    def get_callable(cls, *args: Any, **kwargs: Any) -> tuple[str, Callable[..., Any]]:
        """(``"module:function"``, the function) that ``cls(*args, **kwargs)``
        would call, checked as xcube checks it, without making the dataset."""
        bound = inspect.signature(cls).bind(*args, **kwargs)
        bound.apply_defaults()
        a = types.SimpleNamespace(**bound.arguments)
        fail = a.exception_type
        if not isinstance(a.script_path, str) or not a.script_path:
            raise fail("script_path must be given")
        if not callable(a.input_ml_dataset_getter):
            raise fail("input_ml_dataset_getter must be a callable")
        if not isinstance(a.ds_id, str) or not a.ds_id:
            raise fail("ds_id must be given")
        folder, module_name = a.script_path, None
        base, ext = os.path.splitext(os.path.basename(a.script_path))
        if ext == ".py":
            folder, module_name = os.path.dirname(a.script_path), base
        if ":" in a.callable_name:
            module_name, _, function_name = a.callable_name.partition(":")
        elif module_name:
            function_name = a.callable_name
        else:
            raise fail(
                f"Invalid in-memory dataset descriptor {a.ds_id!r}: "
                f"Missing module name in {a.callable_name!r}"
            )
        if not a.input_ml_dataset_ids:
            raise fail(
                f"Invalid in-memory dataset descriptor {a.ds_id!r}: "
                f"Input dataset(s) missing for callable {a.callable_name!r}"
            )
        for name in a.input_parameters or {}:
            if not name or not name.isidentifier():
                raise fail(
                    f"Invalid in-memory dataset descriptor {a.ds_id!r}: Input parameter "
                    f"{name!r} for callable {a.callable_name!r} is not a valid Python identifier"
                )
        ref = f"{module_name}:{function_name}"
        try:
            function = getattr(_import_script(folder, module_name), function_name)
        except (ImportError, AttributeError, OSError, SyntaxError) as error:
            raise fail(f"Invalid dataset descriptor {a.ds_id!r}: {error}") from error
        if not callable(function):
            raise fail(f"Invalid dataset descriptor {a.ds_id!r}: {ref} is not callable")
        return ref, function

    @property
    def num_inputs(self) -> int:
        return len(self._input_ml_dataset_ids)

    def get_input_dataset(self, index: int) -> MultiLevelDataset:
        return self._input_ml_dataset_getter(self._input_ml_dataset_ids[index])

    def _get_num_levels_lazily(self) -> int:
        return self.get_input_dataset(0).num_levels

    def _get_grid_mapping_lazily(self):
        return self.get_input_dataset(0).grid_mapping

    def _get_dataset_lazily(self, index: int, parameters: dict[str, Any]) -> xr.Dataset:
        inputs = [
            self._input_ml_dataset_getter(ds_id).get_dataset(index)
            for ds_id in self._input_ml_dataset_ids
        ]
        where = (
            f"Failed to compute in-memory dataset {self.ds_id!r} at level {index} "
            f"from function {self._callable_ref!r}()"
        )
        try:
            value = self._callable_obj(*inputs, **parameters)
        except Exception as error:
            raise self._exception_type(f"{where}: {error}") from error
        if not isinstance(value, xr.Dataset):
            raise self._exception_type(f"{where}: expected an xarray.Dataset but got {type(value)}")
        return value


def _import_script(folder: str, module_name: str):
    """Import *module_name* from *folder*, whose other modules it may import."""
    path = os.path.join(folder, f"{module_name}.py")
    spec = importlib.util.spec_from_file_location(f"_xstores_script_{module_name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path!r}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.abspath(folder))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(os.path.abspath(folder))
    return module


class FsMultiLevelDataset(LazyMultiLevelDataset):
    """The multi-level dataset of a ``.levels`` folder on any filesystem.

    *path* is a path on *fs*, or a URL (then *fs_kwargs* are the
    filesystem's options). Levels open lazily, with *zarr_kwargs* as Zarr
    open parameters (``chunks``, ``decode_cf``, ...) and *cache_size*.
    """

    def __init__(
        self,
        path: str,
        fs: Any = None,
        fs_root: str | None = None,
        fs_kwargs: Mapping[str, Any] | None = None,
        cache_size: int | None = None,
        consolidate: bool | None = None,
        **zarr_kwargs: Any,
    ):
        import fsspec

        if fs is None:
            fs, path = fsspec.core.url_to_fs(path, **(fs_kwargs or {}))
        params = dict(zarr_kwargs)
        if cache_size:
            params["cache_size"] = cache_size
        if consolidate is not None:
            params["consolidated"] = consolidate
        try:
            opened = _levels_format().open(fs, path, "mldataset", **params)
        except FileNotFoundError:
            raise DataStoreError(f"Multi-level dataset {path!r} does not exist") from None
        super().__init__(num_levels=opened.num_levels, ds_id=path)
        self._opened = opened
        self._tile_size = opened.tile_size
        self.agg_methods = opened.agg_methods
        self._path, self._fs, self._fs_root = path, fs, fs_root

    @property
    def path(self) -> str:
        return self._path

    @property
    def fs(self):
        return self._fs

    def _get_dataset_lazily(self, index: int, parameters: dict[str, Any]) -> xr.Dataset:
        return self._opened.get_dataset(index)

    @classmethod
    def write_dataset(
        cls,
        dataset: xr.Dataset | MultiLevelDataset,
        path: str,
        fs: Any = None,
        fs_root: str | None = None,
        fs_kwargs: Mapping[str, Any] | None = None,
        replace: bool = False,
        num_levels: int | None = None,
        consolidated: bool = True,
        tile_size: TileSize = None,
        use_saved_levels: bool = False,
        base_dataset_path: str | None = None,
        agg_methods: AggMethods = None,
        **zarr_kwargs: Any,
    ) -> str:
        """Write *dataset* as the ``.levels`` folder *path*, safely (a failed
        write leaves nothing; ``replace=False`` never overwrites); return *path*.

        *base_dataset_path*, a dataset in the folder of *path* or below it,
        becomes level 0 by a link instead of a copy.
        """
        import fsspec

        if fs is None:
            fs, path = fsspec.core.url_to_fs(path, **(fs_kwargs or {}))
        params = dict(
            num_levels=num_levels,
            tile_size=tile_size,
            agg_methods=agg_methods,
            use_saved_levels=use_saved_levels,
            base_dataset_id=base_dataset_path,
        )
        from ..accessor import new_data_writer

        writer = new_data_writer(f"mldataset:levels:{_protocol_of(fs)}", fs=fs)
        params = {k: v for k, v in params.items() if v is not None}
        return writer.write_data(dataset, path, replace=replace, **params, **zarr_kwargs)


def _levels_format():
    """The ``.levels`` format, found in the registry like any plugin's format."""
    from ..registry import EXTENSION_POINT_FS_FORMATS, get_extension_registry

    return get_extension_registry().get_component(EXTENSION_POINT_FS_FORMATS, "levels")()


def _protocol_of(fs) -> str:
    """The protocol name of the fsspec filesystem *fs*: a registered one if it has several."""
    from ..registry import EXTENSION_POINT_FS_PROTOCOLS, get_extension_registry

    names = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    registry = get_extension_registry()
    return next(
        (n for n in names if registry.has_extension(EXTENSION_POINT_FS_PROTOCOLS, n)), names[0]
    )
