"""Zarr (v2 and v3) as ``xarray.Dataset``."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from typing import Any

import xarray as xr
from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper, async_wrapper
from zarr.storage import FsspecStore, LocalStore, WrapperStore

from ...descriptor import DataDescriptor, DatasetDescriptor, describe_dataset
from ...schema import JsonBooleanSchema, JsonIntegerSchema, JsonObjectSchema, JsonStringSchema
from .base import ZARR_OPEN_PARAMS, FsFormat, is_local, open_xarray

access_logger = logging.getLogger("intake_xstores.access")


def zarr_store(fs, path: str, read_only: bool = True):
    """A zarr store for *path* on *fs*; the fast native one for local files."""
    if is_local(fs):
        return LocalStore(path, read_only=read_only)
    if not getattr(fs, "async_impl", False):
        return FsspecStore(SerialFileSystem(fs), path=path, read_only=read_only)
    if not fs.asynchronous:
        fs = async_twin(fs)
    return FsspecStore(fs, path=fs._strip_protocol(path), read_only=read_only)


def async_twin(fs):
    """The asynchronous twin zarr needs of the synchronous filesystem *fs*.

    One per instance, kept on it: a store made with ``skip_instance_cache``
    gets a fresh twin too, and every other store reuses its own. Made from the
    options themselves, not their JSON, so an SSL context or a credential works.
    """
    twin = getattr(fs, "_xstores_async_twin", None)
    if twin is None:
        options = {**fs.storage_options, "asynchronous": True, "skip_instance_cache": True}
        twin = type(fs)(**options)
        fs._xstores_async_twin = twin
    return twin


_DESCRIBE_CACHE_SIZE = 16 * 2**20

_SEMAPHORES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class SerialFileSystem(AsyncFileSystemWrapper):
    """A synchronous filesystem (such as FTP) as zarr needs it.

    zarr calls its filesystem from many threads at once, but FTP has a single
    connection: here one call runs at a time. Writing a file creates its folder,
    and removing a missing file raises ``FileNotFoundError``, as zarr expects.
    """

    def __init__(self, fs):
        semaphore = _SEMAPHORES.setdefault(fs, asyncio.Semaphore(1))
        super().__init__(fs, asynchronous=True, semaphore=semaphore)
        self._pipe_file = async_wrapper(self._pipe_file_in_folder, semaphore=semaphore)
        self._rm = async_wrapper(self._rm_existing, semaphore=semaphore)

    def _pipe_file_in_folder(self, path: str, value, **kwargs) -> None:
        self.sync_fs.makedirs(self.sync_fs._parent(path), exist_ok=True)
        self.sync_fs.pipe_file(path, value, **kwargs)

    def _rm_existing(self, path, **kwargs) -> None:
        if isinstance(path, str) and not self.sync_fs.exists(path):
            raise FileNotFoundError(path)
        self.sync_fs.rm(path, **kwargs)

    def __reduce__(self):
        return type(self), (self.sync_fs,)


class AccessStore(WrapperStore):
    """Wraps a zarr store to log reads (``log_access``) and cache them (``cache_size``)."""

    def __init__(self, store, log_access: bool = False, cache_size: int = 0):
        super().__init__(store)
        self.log_access = log_access
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cached_bytes = 0

    def _with_store(self, store):
        return type(self)(store, self.log_access, self.cache_size)

    async def get(self, key, prototype, byte_range=None):
        cacheable = self.cache_size and byte_range is None
        if cacheable and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        start = time.perf_counter()
        value = await self._store.get(key, prototype, byte_range)
        if self.log_access:
            access_logger.info(
                "read %r (%s bytes) in %.1f ms",
                key,
                len(value) if value is not None else "no",
                1000 * (time.perf_counter() - start),
            )
        if cacheable and value is not None and len(value) <= self.cache_size:
            self._cache[key] = value
            self._cached_bytes += len(value)
            while self._cached_bytes > self.cache_size:
                self._cached_bytes -= len(self._cache.popitem(last=False)[1])
        return value


class ZarrFormat(FsFormat):
    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        engine = JsonStringSchema(
            min_length=1,
            default="zarr",
            description="xarray backend that reads the Zarr store (as in xcube)",
        )
        return JsonObjectSchema(
            properties=dict(ZARR_OPEN_PARAMS, engine=engine), additional_properties=False
        )

    def open(self, fs, path: str, data_type: str, **params: Any) -> xr.Dataset:
        store = zarr_store(fs, path)
        if params.get("log_access") or params.get("cache_size"):
            store = AccessStore(store, params.get("log_access", False), params.get("cache_size", 0))
        consolidated = params.get("consolidated")
        engine = params.get("engine", "zarr")
        if engine != "zarr":
            return open_xarray(lambda **kw: xr.open_dataset(store, engine=engine, **kw), params)
        return open_xarray(
            lambda **kw: xr.open_zarr(store, consolidated=consolidated, **kw), params
        )

    def files(self, fs, path: str) -> list[str]:
        # A metadata file answers in one request on object stores (a folder
        # takes two) and on web servers that refuse folder URLs.
        names = (".zmetadata", "zarr.json", ".zgroup")
        if any(fs.exists(f"{path}/{name}") for name in names) or fs.exists(path):
            return [path]
        return []

    def describe(self, fs, path: str, data_id: str, data_type: str) -> DataDescriptor:
        # xarray reads a time coordinate up to three times while opening (its
        # first and last values to decode it, then all for the index): the
        # cache saves those round trips.
        ds = self.open(fs, path, data_type, cache_size=_DESCRIBE_CACHE_SIZE)
        return DatasetDescriptor(data_id, **describe_dataset(ds))

    def get_write_params_schema(self) -> JsonObjectSchema:
        return JsonObjectSchema(
            properties=dict(
                consolidated=JsonBooleanSchema(
                    default=True, description="Write consolidated metadata"
                ),
                zarr_format=JsonIntegerSchema(
                    enum=[2, 3],
                    default=2,
                    description="Zarr format version; 2 is read by every Zarr library",
                ),
                append_dim=JsonStringSchema(
                    description="Append along this dimension to an existing dataset"
                ),
            ),
            additional_properties=False,
        )

    def write(self, data: xr.Dataset, fs, path: str, **params: Any) -> None:
        params.pop("append_dim", None)
        consolidated = params.pop("consolidated", True)
        store = zarr_store(fs, path, read_only=False)
        _without_stale_chunks(data).to_zarr(store, mode="w-", consolidated=False, **params)
        if consolidated:
            _consolidate(store)

    def append(self, data: xr.Dataset, fs, path: str, **params: Any) -> None:
        params.pop("zarr_format", None)
        consolidated = params.pop("consolidated", True)
        store = zarr_store(fs, path, read_only=False)
        data.to_zarr(store, mode="a", consolidated=False, **params)
        if consolidated:
            _consolidate(store)


def _without_stale_chunks(data: xr.Dataset) -> xr.Dataset:
    """Drop chunk encodings that a source store left behind.

    A dataset opened from Zarr remembers that store's chunks; once rechunked,
    they contradict its Dask chunks and xarray refuses to write. The Dask
    chunks, being what the user chose last, win.
    """
    data = data.copy()
    for var in data.variables.values():
        if var.chunks is not None:
            var.encoding = {
                k: v for k, v in var.encoding.items() if k not in ("chunks", "preferred_chunks")
            }
    return data


def _consolidate(store) -> None:
    """Write consolidated metadata from a fresh listing of *store*.

    Some filesystems (adlfs) keep a folder's listing cached across their own
    writes into it, and consolidating lists the store.
    """
    import zarr

    if isinstance(store, FsspecStore):
        store.fs.invalidate_cache()
    zarr.consolidate_metadata(store)
