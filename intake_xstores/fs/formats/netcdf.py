"""NetCDF (3 and 4) as ``xarray.Dataset``."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import xarray as xr

from ...schema import JsonObjectSchema
from .base import DATASET_OPEN_PARAMS, FsFormat, is_local, open_xarray


class NetcdfFormat(FsFormat):
    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        return JsonObjectSchema(properties=dict(DATASET_OPEN_PARAMS), additional_properties=False)

    def open(self, fs, path: str, data_type: str, **params: Any) -> xr.Dataset:
        if is_local(fs):
            return open_xarray(lambda **kw: xr.open_dataset(path, **kw), params)
        # h5netcdf reads NetCDF4 from a file object, fetching byte ranges lazily.
        return open_xarray(
            lambda **kw: xr.open_dataset(fs.open(path, "rb"), engine="h5netcdf", **kw), params
        )

    def write(self, data: xr.Dataset, fs, path: str, **params: Any) -> None:
        if is_local(fs):
            data.to_netcdf(path)
            return
        with tempfile.TemporaryDirectory() as tmp:
            local = os.path.join(tmp, "data.nc")
            data.to_netcdf(local)
            fs.put_file(local, path)
