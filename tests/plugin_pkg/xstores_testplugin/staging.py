"""A store whose NetCDF files must be preloaded (staged) before they open.

It stands in for stores like Zenodo's in the tests of the preload API, the
``xstores preload`` command and ``source.preload()``: ``preload_data``
copies each file, in ``steps`` slow steps, into a ``file`` cache store as
Zarr, and returns that cache store. A cancelled or failed copy leaves
nothing in the cache.
"""

import os
import time

import xarray as xr

from intake_xstores import (
    DataStoreError,
    ExecutorPreloadHandle,
    JsonBooleanSchema,
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
    PreloadState,
    new_data_store,
)
from intake_xstores.plugins.base import ApiDataStore


class StagingStore(ApiDataStore):
    catalog_name = "the source folder"

    @classmethod
    def get_data_store_params_schema(cls):
        return JsonObjectSchema(
            properties=dict(
                source_root=JsonStringSchema(description="Folder of the NetCDF files"),
                cache_root=JsonStringSchema(description="Folder of the cache store"),
            ),
            required=["source_root", "cache_root"],
            additional_properties=False,
        )

    def fetch_catalog(self):
        return {name: {} for name in sorted(os.listdir(self.params["source_root"]))}

    def get_data_opener_ids(self, data_id=None, data_type=None):
        return ("dataset:netcdf:staging",)

    def open_data(self, data_id, opener_id=None, **open_params):
        raise DataStoreError(f"{data_id!r} must be preloaded first: use preload_data({data_id!r})")

    def get_preload_data_params_schema(self):
        schema = super().get_preload_data_params_schema()
        schema.properties.update(
            max_workers=JsonIntegerSchema(minimum=1, default=2),
            steps=JsonIntegerSchema(minimum=1, default=4),
            step_delay=JsonNumberSchema(minimum=0, default=0.0),
            force=JsonBooleanSchema(default=False),
        )
        return schema

    def preload_data(self, *data_ids, **preload_params):
        monitor = preload_params.pop("monitor", None)
        params = self.get_preload_data_params_schema().process(preload_params)
        data_ids = data_ids or tuple(self.get_data_ids())
        missing = [d for d in data_ids if not self.has_data(d)]
        if missing:
            raise DataStoreError(f"No such files to preload: {missing}")
        cache = new_data_store("file", root=self.params["cache_root"])
        cache.preload_handle = ExecutorPreloadHandle(
            data_ids,
            preload_data=self._stage,
            max_workers=params.pop("max_workers"),
            blocking=params.pop("blocking"),
            silent=params.pop("silent"),
            monitor=monitor,
            cache=cache,
            **params,
        )
        return cache

    def _stage(self, handle, data_id, cache, steps, step_delay, force):
        target = os.path.splitext(data_id)[0] + ".zarr"
        if cache.has_data(target) and not force:
            handle.notify(PreloadState(data_id, message="already preloaded"))
            return
        for step in range(steps):
            handle.raise_if_cancelled()
            time.sleep(step_delay)
            handle.notify(PreloadState(data_id, progress=0.9 * step / steps, message="staging"))
        handle.raise_if_cancelled()
        path = os.path.join(self.params["source_root"], data_id)
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            cache.write_data(ds.load(), target, replace=True)
        handle.notify(PreloadState(data_id, message=f"written as {target}"))
