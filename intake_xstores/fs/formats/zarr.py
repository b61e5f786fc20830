"""Zarr (v2 and v3) as ``xarray.Dataset``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import posixpath
import re
import time
import warnings
import weakref
from collections import OrderedDict
from typing import Any

import xarray as xr
from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper, async_wrapper
from zarr.storage import FsspecStore, LocalStore, WrapperStore

from ...descriptor import DataDescriptor, DatasetDescriptor, describe_dataset
from ...errors import DataStoreError, DataStoreParamsError
from ...schema import (
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonIntegerSchema,
    JsonObjectSchema,
    JsonStringSchema,
)
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
    """Wraps a zarr store to log reads (``log_access``), cache them
    (``cache_size``) and refuse a variable whose metadata is corrupt.

    zarr reads a variable's metadata only while looking for the group's
    members, and leaves out, without a word, one whose document is not an
    array's: here that is an error naming the variable, or, with
    ``skip_bad_variables``, a warning.
    """

    def __init__(
        self,
        store,
        log_access: bool = False,
        cache_size: int = 0,
        path: str = "",
        skip_bad_variables: bool = False,
    ):
        super().__init__(store)
        self.log_access = log_access
        self.cache_size = cache_size
        self.path = path
        self.skip_bad_variables = skip_bad_variables
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cached_bytes = 0

    def _with_store(self, store):
        return type(self)(
            store, self.log_access, self.cache_size, self.path, self.skip_bad_variables
        )

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
        if value is not None and posixpath.basename(key) in _ARRAY_KEYS:
            value = self._checked_metadata(key, value)
        if cacheable and value is not None and len(value) <= self.cache_size:
            self._cache[key] = value
            self._cached_bytes += len(value)
            while self._cached_bytes > self.cache_size:
                self._cached_bytes -= len(self._cache.popitem(last=False)[1])
        return value

    def _checked_metadata(self, key: str, value):
        variable = posixpath.dirname(key)
        problem = _metadata_problem(posixpath.basename(key), value.to_bytes())
        if problem is None or not variable:
            return value
        corrupt = f"corrupt metadata of variable {variable!r} ({key!r}): {problem}"
        if not self.skip_bad_variables:
            raise DataStoreError(
                f"Cannot read {self.path!r} as zarr: {corrupt}; "
                "pass skip_bad_variables=True to open it without that variable"
            )
        warnings.warn(f"Skipping, in {self.path!r}, {corrupt}", UserWarning, stacklevel=2)
        return None


# A variable's metadata document, by Zarr format, and the keys an array's has.
_ARRAY_KEYS = {".zarray": ("shape", "chunks", "dtype"), "zarr.json": ("node_type",)}


def _metadata_problem(name: str, content: bytes) -> str | None:
    try:
        document = json.loads(content)
    except ValueError as error:
        return f"not JSON ({error})"
    if not isinstance(document, dict):
        return "not a JSON object"
    required = _ARRAY_KEYS[name]
    if document.get("node_type") == "array":
        required = ("shape", "data_type")
    missing = [k for k in required if k not in document]
    return f"it lacks {', '.join(missing)}" if missing else None


class ZarrFormat(FsFormat):
    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        engine = JsonStringSchema(
            min_length=1,
            default="zarr",
            description="xarray backend that reads the Zarr store (as in xcube)",
        )
        skip = JsonBooleanSchema(
            default=False,
            description="Open without a variable whose metadata is corrupt, with a "
            "warning naming it, instead of failing",
        )
        return JsonObjectSchema(
            properties=dict(ZARR_OPEN_PARAMS, engine=engine, skip_bad_variables=skip),
            additional_properties=False,
        )

    def open(self, fs, path: str, data_type: str, **params: Any) -> xr.Dataset:
        store = AccessStore(
            zarr_store(fs, path),
            params.get("log_access", False),
            params.get("cache_size", 0),
            path,
            params.get("skip_bad_variables", False),
        )
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
                chunks=WRITE_CHUNKS_SCHEMA,
                encoding=JsonObjectSchema(
                    additional_properties=JsonObjectSchema(additional_properties=True),
                    description="Zarr encoding by variable name, as xarray's to_zarr "
                    'takes it (e.g. {"chl": {"chunks": [1, 256, 256]}})',
                ),
                progress=JsonBooleanSchema(
                    default=False, description="Show a progress bar of the chunks written"
                ),
            ),
            additional_properties=False,
        )

    def write(self, data: xr.Dataset, fs, path: str, **params: Any) -> None:
        params.pop("append_dim", None)
        _to_zarr(_without_stale_chunks(data), fs, path, "w-", **params)

    def append(self, data: xr.Dataset, fs, path: str, **params: Any) -> None:
        params.pop("zarr_format", None)
        _to_zarr(data, fs, path, "a", **params)


def _to_zarr(
    data: xr.Dataset,
    fs,
    path: str,
    mode: str,
    chunks: dict[str, Any] | None = None,
    encoding: dict[str, dict[str, Any]] | None = None,
    progress: bool = False,
    consolidated: bool = True,
    **params: Any,
) -> None:
    """Write (``mode="w-"``) or append to (``"a"``) *path* in sensible chunks."""
    data = write_chunked(data, chunks, encoding)
    store = zarr_store(fs, path, read_only=False)
    with _chunk_progress(store, data, path, progress) as counted:
        data.to_zarr(counted, mode=mode, consolidated=False, encoding=encoding, **params)
    if consolidated:
        _consolidate(store)


#: Written chunks are at most this large, unless asked otherwise: dask's
#: "auto" aims at 128 MiB, large for objects read whole over a network, and
#: each chunk in flight is held several times over while written (copying a
#: 200 MB NetCDF to S3 peaks below the file's size above the imports).
DEFAULT_CHUNK_BYTES = 8 * 2**20

WRITE_CHUNKS_SCHEMA = JsonObjectSchema(
    additional_properties=JsonComplexSchema(
        one_of=[
            JsonIntegerSchema(minimum=1),
            JsonIntegerSchema(enum=[-1]),
            JsonStringSchema(enum=["auto"]),
        ]
    ),
    description="Chunk sizes written, by dimension: an integer, -1 (whole dimension) "
    f"or 'auto' (about {DEFAULT_CHUNK_BYTES // 2**20} MiB); by default the data's "
    "chunks, and 'auto' for variables whose chunks are larger",
)


def write_chunked(
    data: xr.Dataset,
    chunks: dict[str, Any] | None = None,
    encoding: dict[str, dict[str, Any]] | None = None,
) -> xr.Dataset:
    """*data* in the chunks to write: as asked, else sensible.

    Every data variable becomes a Dask array, so the chunks written are known
    (and counted by the progress bar). Chunks an *encoding* names win.
    """
    import dask

    _check_names("chunks", chunks, data.dims, "dimensions")
    _check_names("encoding", encoding, data.variables, "variables")
    with dask.config.set({"array.chunk-size": DEFAULT_CHUNK_BYTES}):
        if chunks:
            data = data.chunk(chunks)
        for name, var in data.data_vars.items():
            if var.chunks is None or _largest_chunk_bytes(var) > DEFAULT_CHUNK_BYTES:
                data[name] = var.chunk(dict.fromkeys(var.dims, "auto") if not chunks else {})
            if (encoding or {}).get(name, {}).get("chunks"):
                data[name] = data[name].chunk(
                    dict(zip(var.dims, encoding[name]["chunks"], strict=False))
                )
    return data


def _check_names(param: str, given: dict[str, Any] | None, known, what: str) -> None:
    unknown = sorted(set(given or ()) - set(known))
    if unknown:
        raise DataStoreParamsError(
            f"Invalid value for parameter {param!r}: no {what} {', '.join(map(repr, unknown))}; "
            f"allowed: the data's {what} {', '.join(map(repr, sorted(map(str, known))))}"
        )


def _largest_chunk_bytes(var) -> int:
    largest = 1
    for sizes in var.chunks:
        largest *= max(sizes)
    return largest * var.dtype.itemsize


def _chunk_count(data: xr.Dataset) -> int:
    """Chunks writing *data* makes: Dask's, and one per variable in memory."""
    count = 0
    for var in data.variables.values():
        blocks = 1
        for sizes in var.chunks or ():
            blocks *= len(sizes)
        count += blocks
    return count


class _ProgressStore(WrapperStore):
    """Counts the chunks written into a zarr store on a progress bar."""

    def __init__(self, store, bar):
        super().__init__(store)
        self.bar = bar

    def _with_store(self, store):
        return type(self)(store, self.bar)

    async def set(self, key, value):
        await self._store.set(key, value)
        if key.rsplit("/", 1)[-1] not in _METADATA_KEYS:
            self.bar.update(1)


_METADATA_KEYS = {".zarray", ".zattrs", ".zgroup", ".zmetadata", "zarr.json"}


@contextlib.contextmanager
def _chunk_progress(store, data: xr.Dataset, path: str, progress: bool):
    """*store*, counting the chunks written on a bar labelled with *path* if *progress*."""
    if not progress:
        yield store
        return
    from tqdm.auto import tqdm

    # the data's name, not the hidden sibling's written first (see fs/accessor.py);
    # a level of a multi-level dataset is named with it: cube.levels/1.zarr
    parts = path.rstrip("/").split("/")
    parts = parts[-2:] if len(parts) > 1 and parts[-2].endswith(".levels") else parts[-1:]
    name = "/".join(re.sub(r"^\.tmp-[0-9a-f]+-", "", part) for part in parts)
    with tqdm(total=_chunk_count(data), desc=f"writing {name}", unit="chunk") as bar:
        yield _ProgressStore(store, bar)


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
