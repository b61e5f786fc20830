"""NetCDF (3 and 4) as ``xarray.Dataset``."""

from __future__ import annotations

import os
import shutil
import threading
from typing import TYPE_CHECKING, Any

from ...errors import DataStoreError, shown
from ...opening import DATASET_OPEN_PARAMS, open_xarray
from ...schema import JsonObjectSchema
from ..kinds import kind_of
from .base import FsFormat

if TYPE_CHECKING:
    import xarray as xr

# netCDF4/HDF5 crash the process when files are opened from several threads
# at once; reads of chunks are already serialised by xarray's own HDF5 lock.
_OPEN_LOCK = threading.Lock()

# NetCDF4 files are HDF5 files; h5py (under h5netcdf) serialises every HDF5
# call itself, where netCDF4 closing a file on one thread while another reads
# crashes the process. NetCDF3 files still open with xarray's default engine.
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class NetcdfFormat(FsFormat):
    id = "netcdf"
    extensions = (".nc", ".nc4", ".netcdf")
    data_types = ("dataset",)

    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        return JsonObjectSchema(properties=dict(DATASET_OPEN_PARAMS), additional_properties=False)

    def open(self, fs, path: str, data_type: str, **params: Any) -> xr.Dataset:
        import xarray as xr

        source = kind_of(fs).open_input(fs, path)
        # h5netcdf reads NetCDF4 from a file object, fetching byte ranges lazily.
        engine = "h5netcdf" if not isinstance(source, str) or _is_hdf5(source) else None
        with _OPEN_LOCK:
            return open_xarray(
                lambda **kw: xr.open_dataset(source, engine=engine, **kw), params, self.id, path
            )

    def write(self, data: xr.Dataset, fs, path: str, **params: Any) -> None:
        with kind_of(fs).staged_output(fs, path) as local:
            try:
                data.to_netcdf(local)
            except Exception as error:
                _raise_if_disk_full(local, data, error)
                raise


def _is_hdf5(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(len(_HDF5_SIGNATURE)) == _HDF5_SIGNATURE


def _raise_if_disk_full(path: str, data: xr.Dataset, error: Exception) -> None:
    """netCDF4 reports a full disk as 'NetCDF: HDF error'; say what it is."""
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
    if isinstance(error, OSError) and error.errno == 28 or free < data.nbytes:
        raise DataStoreError(
            f"No space left to write {shown(path)!r}: {free} bytes free on its device, "
            f"the data takes about {data.nbytes} bytes ({type(error).__name__}: {error})"
        ) from error
