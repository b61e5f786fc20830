"""Zarr (v2 and v3) as ``xarray.Dataset``."""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any

from zarr.storage import WrapperStore

from ...descriptor import DataDescriptor, DatasetDescriptor, describe_dataset
from ...errors import param_error
from ...opening import open_zarr, zarr_open_params_schema
from ...schema import (
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonIntegerSchema,
    JsonObjectSchema,
    JsonStringSchema,
)
from ..kinds import kind_of
from .base import FsFormat

if TYPE_CHECKING:
    import xarray as xr

_DESCRIBE_CACHE_SIZE = 16 * 2**20


class ZarrFormat(FsFormat):
    id = "zarr"
    extensions = (".zarr",)
    data_types = ("dataset",)

    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        return zarr_open_params_schema()

    def open(self, fs, path: str, data_type: str, **params: Any):
        return open_zarr(kind_of(fs).zarr_store(fs, path), path, **params)

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

    def write(self, data, fs, path: str, **params: Any) -> None:
        params.pop("append_dim", None)
        _to_zarr(_without_stale_chunks(data), fs, path, "w-", **params)

    def append(self, data, fs, path: str, **params: Any) -> None:
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
    store = kind_of(fs).zarr_store(fs, path, read_only=False)
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
        raise param_error(
            param,
            problem=f"no {what} {', '.join(map(repr, unknown))}",
            allowed=f"the data's {what} {', '.join(map(repr, sorted(map(str, known))))}",
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
    from zarr.storage import FsspecStore

    if isinstance(store, FsspecStore):
        store.fs.invalidate_cache()
    zarr.consolidate_metadata(store)
