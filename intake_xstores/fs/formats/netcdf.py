"""NetCDF (3 and 4) as ``xarray.Dataset``."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from typing import Any

import xarray as xr

from ...errors import DataStoreError
from ...schema import JsonObjectSchema
from .base import DATASET_OPEN_PARAMS, FsFormat, is_local, open_xarray

# netCDF4/HDF5 crash the process when files are opened from several threads
# at once; reads of chunks are already serialised by xarray's own HDF5 lock.
_OPEN_LOCK = threading.Lock()

# NetCDF4 files are HDF5 files; h5py (under h5netcdf) serialises every HDF5
# call itself, where netCDF4 closing a file on one thread while another reads
# crashes the process. NetCDF3 files still open with xarray's default engine.
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

# Filesystems with one connection (FTP) take one call at a time.
_FS_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FS_LOCKS_LOCK = threading.Lock()


class NetcdfFormat(FsFormat):
    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        return JsonObjectSchema(properties=dict(DATASET_OPEN_PARAMS), additional_properties=False)

    def open(self, fs, path: str, data_type: str, **params: Any) -> xr.Dataset:
        with _OPEN_LOCK:
            if is_local(fs):
                engine = "h5netcdf" if _is_hdf5(path) else None
                return open_xarray(lambda **kw: xr.open_dataset(path, engine=engine, **kw), params)
            # h5netcdf reads NetCDF4 from a file object, fetching byte ranges lazily.
            return open_xarray(
                lambda **kw: xr.open_dataset(RemoteFile(fs, path), engine="h5netcdf", **kw),
                params,
            )

    def write(self, data: xr.Dataset, fs, path: str, **params: Any) -> None:
        if is_local(fs):
            try:
                data.to_netcdf(path)
            except Exception as error:
                _raise_if_disk_full(path, data, error)
                raise
            return
        with tempfile.TemporaryDirectory() as tmp:
            local = os.path.join(tmp, "data.nc")
            try:
                data.to_netcdf(local)
            except Exception as error:
                _raise_if_disk_full(local, data, error)
                raise
            fs.put_file(local, path)


def _is_hdf5(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(len(_HDF5_SIGNATURE)) == _HDF5_SIGNATURE


def _raise_if_disk_full(path: str, data: xr.Dataset, error: Exception) -> None:
    """netCDF4 reports a full disk as 'NetCDF: HDF error'; say what it is."""
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
    if isinstance(error, OSError) and error.errno == 28 or free < data.nbytes:
        raise DataStoreError(
            f"No space left to write {path!r}: {free} bytes free on its device, "
            f"the data takes about {data.nbytes} bytes ({type(error).__name__}: {error})"
        ) from error


class RemoteFile:
    """A NetCDF file on a remote filesystem, opened on first read.

    It pickles as (filesystem, path), so a dataset opened from it computes on
    dask workers (some filesystems' own file objects do not unpickle). On
    filesystems with a single connection (FTP), calls of all files of that
    filesystem take turns.
    """

    def __init__(self, fs, path: str):
        self.fs = fs
        self.path = path
        self._file = None
        self._lock = _fs_lock(fs) if not getattr(fs, "async_impl", False) else None

    def _call(self, name: str, *args: Any) -> Any:
        if self._lock is None:
            return self._do(name, *args)
        with self._lock:
            return self._do(name, *args)

    def _do(self, name: str, *args: Any) -> Any:
        if self._file is None:
            self._file = self.fs.open(self.path, "rb")
        return getattr(self._file, name)(*args)

    def read(self, *args: Any) -> bytes:
        return self._call("read", *args)

    def readinto(self, buffer) -> int:
        return self._call("readinto", buffer)

    def seek(self, *args: Any) -> int:
        return self._call("seek", *args)

    def tell(self) -> int:
        return self._call("tell")

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self._file is not None:
            self._call("close")
            self._file = None

    @property
    def closed(self) -> bool:
        return False

    def __reduce__(self):
        return type(self), (self.fs, self.path)


def _fs_lock(fs) -> threading.Lock:
    with _FS_LOCKS_LOCK:
        lock = _FS_LOCKS.get(fs)
        if lock is None:
            lock = _FS_LOCKS[fs] = threading.Lock()
        return lock
