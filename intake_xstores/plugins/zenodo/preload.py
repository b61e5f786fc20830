"""Preloading Zenodo files: download, unpack and convert them into the cache store.

Each data ID is one task of a :class:`ZenodoPreloadHandle` (``max_workers`` run
at once). A task downloads the file (retried and resumed by
:class:`~intake_xstores.plugins.web.WebClient`, checked against the record's
MD5 checksum as it arrives) into a temporary folder, unpacks it if it is an
archive, and writes each dataset it holds into the cache store: converted to
``target_format`` (and rechunked to ``chunks``) where asked, copied as it is
otherwise. A file kept as published goes straight into a local cache folder,
under a hidden name until complete. Progress
runs from 0 to 0.4 while downloading, to 0.5 once unpacked, and to 1 as the
datasets are written.

Nothing half-done stays in the cache store: every dataset is written under a
hidden name and moved into place when complete, a task that fails or is
cancelled removes what it had written, and a file counts as preloaded only
once its manifest (``.zenodo-preloaded/<data ID>.json``, listing the cache's
data IDs made of it) is written, last.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import posixpath
import tempfile
import threading
import uuid
from collections.abc import Callable
from typing import Any

from ...errors import DataStoreError
from ...fs.kinds import kind_of
from ...opening import CHUNKS_SCHEMA
from ...preload import ExecutorPreloadHandle, PreloadState
from ...schema import JsonBooleanSchema, JsonSchema, JsonStringSchema, count_schema
from ..base import ApiDataStore
from .archive import ARCHIVE_SUFFIXES, unpack

#: Parameters of :meth:`ZenodoDataStore.preload_data`.
PRELOAD_PARAMS: dict[str, JsonSchema] = dict(
    silent=JsonBooleanSchema(default=True, description="Show no progress"),
    max_workers=count_schema("Files downloaded and converted at the same time", 4),
    target_format=JsonStringSchema(
        enum=["zarr", "netcdf", None],
        nullable=True,
        default=None,
        description="Format datasets are converted to in the cache; null: kept as published",
    ),
    chunks=CHUNKS_SCHEMA,
    force_preload=JsonBooleanSchema(
        default=False, description="Preload again what is already in the cache"
    ),
)

#: Suffixes of the datasets preloading converts, and their formats.
_DATASET_SUFFIXES = {".nc": "netcdf", ".nc4": "netcdf", ".netcdf": "netcdf", ".zarr": "zarr"}

#: Shares of the progress of one file: downloading, then unpacking, then writing.
DOWNLOAD_SHARE, UNPACK_SHARE = 0.4, 0.1

Report = Callable[[float, str], None]

#: One conversion at a time: each already computes on all cores with Dask,
#: ``write_data`` gives Dask a thread pool through its process-wide config, and
#: the HDF5 library under NetCDF is not safe to call from several threads.
_CONVERTING = threading.Lock()


class ZenodoPreloadHandle(ExecutorPreloadHandle):
    """Preloads files of a Zenodo record into its store's cache, one task per file."""

    def __init__(self, store: ApiDataStore, data_ids: tuple[str, ...], **params: Any):
        self._store = store
        self._options = {
            k: params.pop(k) for k in ("target_format", "chunks", "force_preload") if k in params
        }
        super().__init__(data_ids, **params)

    def preload_data(self, data_id: str, **preload_params: Any) -> None:
        def report(progress: float, message: str) -> None:
            self.notify(PreloadState(data_id, progress=progress, message=message))

        def cancelled() -> bool:
            return self.cancelled

        preload_file(self._store, data_id, report, cancelled, **self._options)


def preload_file(
    store: ApiDataStore,
    data_id: str,
    report: Report,
    cancelled: Callable[[], bool],
    target_format: str | None = None,
    chunks: dict[str, Any] | None = None,
    force_preload: bool = False,
) -> list[str]:
    """Preload *data_id* of *store*; return the cache's data IDs made of it."""
    if not force_preload:
        cached = store.preloaded(data_id)
        if cached is not None:
            report(1.0, "already preloaded")
            return cached
    entry = store.entry(data_id)
    cache = store.cache_store
    written: list[str] = []
    try:
        if (
            _kept_as_published(data_id, target_format, chunks)
            and kind_of(cache.fs).native_path(cache.fs, cache._path(data_id)) is not None
        ):
            _download_into_cache(store, data_id, entry, report, cancelled)
            written.append(data_id)
        else:
            with tempfile.TemporaryDirectory(prefix="zenodo-") as tmp:
                _unpack_and_write(
                    store,
                    data_id,
                    entry,
                    tmp,
                    report,
                    cancelled,
                    written,
                    target_format,
                    chunks or None,
                )
        _write_manifest(store, data_id, written, target_format)
    except BaseException:
        for cache_id in written:
            _remove(cache, cache_id)
        raise
    report(1.0, f"preloaded as {written[0] if len(written) == 1 else f'{len(written)} datasets'}")
    return written


def _kept_as_published(data_id: str, target_format: str | None, chunks) -> bool:
    """Whether *data_id* goes into the cache as it is: no archive, no conversion."""
    extension = posixpath.splitext(data_id.lower())[1]
    if data_id.lower().endswith(ARCHIVE_SUFFIXES):
        return False
    if extension not in _DATASET_SUFFIXES:
        return True
    return not chunks and target_format in (None, _DATASET_SUFFIXES[extension])


def _download_into_cache(store, data_id, entry, report: Report, cancelled) -> None:
    """Download *data_id* straight into the local cache folder, under a hidden
    name until complete: one write, one rename."""
    target = store.cache_store._path(data_id)
    parent, name = os.path.split(target)
    os.makedirs(parent, exist_ok=True)
    temp = os.path.join(parent, f".tmp-{uuid.uuid4().hex[:12]}-{name}")
    try:
        _download(store, data_id, entry, temp, report, cancelled)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.remove(temp)


def _unpack_and_write(
    store, data_id, entry, tmp, report: Report, cancelled, written, target_format, chunks
) -> None:
    """Download *data_id* into *tmp*, unpack it if an archive, and write each
    dataset into the cache, appending its data ID to *written*."""
    local = os.path.join(tmp, "download", posixpath.basename(data_id))
    os.makedirs(os.path.dirname(local))
    _download(store, data_id, entry, local, report, cancelled)
    folder, prefix = os.path.dirname(local), ""
    if data_id.lower().endswith(ARCHIVE_SUFFIXES):
        report(DOWNLOAD_SHARE, "unpacking")
        folder = os.path.join(tmp, "unpacked")
        unpack(local, folder)
        prefix = _archive_stem(data_id) + "/"
    _check(cancelled)
    members = _datasets_in(folder)
    if not members:
        raise DataStoreError(f"{data_id!r} of {store.catalog_name} holds no data to preload")
    if all(m.startswith(prefix) for m in members):
        prefix = ""  # the archive has a folder of its name already
    report(DOWNLOAD_SHARE + UNPACK_SHARE, f"writing {len(members)} dataset(s)")
    share = 1 - DOWNLOAD_SHARE - UNPACK_SHARE
    for i, member in enumerate(members):
        _check(cancelled)
        written.append(_write(folder, member, store.cache_store, prefix, target_format, chunks))
        report(
            DOWNLOAD_SHARE + UNPACK_SHARE + share * (i + 1) / len(members),
            f"wrote {i + 1} of {len(members)}",
        )


def _check(cancelled: Callable[[], bool]) -> None:
    if cancelled():
        raise concurrent.futures.CancelledError()


def _download(store, data_id, entry, local, report: Report, cancelled) -> None:
    def progress(done: int, total: int | None) -> None:
        total = total or entry.get("size")
        fraction = min(done / total, 1.0) if total else 0.0
        size = f" of {total / 1e6:.1f}" if total else ""
        report(DOWNLOAD_SHARE * fraction, f"downloading {done / 1e6:.1f}{size} MB")

    report(0.0, "downloading")
    store.client.download(
        store.file_url(data_id),
        local,
        f"file {data_id!r}",
        progress,
        cancelled,
        checksum=entry.get("checksum"),
    )


def _archive_stem(name: str) -> str:
    lower = name.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _local_store(folder: str):
    from ...store import new_data_store

    return new_data_store("file", root=folder, max_depth=None, read_only=True)


def _datasets_in(folder: str) -> list[str]:
    """The data IDs (relative paths) of the data in *folder*, as our file store lists it."""
    return _local_store(folder).list_data_ids()


def cache_data_id(member: str, target_format: str | None) -> str:
    """The cache's data ID of a dataset *member* written in *target_format*."""
    stem, ext = posixpath.splitext(member)
    if target_format is None or ext.lower() not in _DATASET_SUFFIXES:
        return member
    return stem + {"zarr": ".zarr", "netcdf": ".nc"}[target_format]


def _write(folder, member, cache, prefix, target_format, chunks) -> str:
    """Write the dataset *member* of *folder* into *cache*; return its cache data ID."""
    local = _local_store(folder)
    cache_id = prefix + cache_data_id(member, target_format)
    format_id = local._format_id_of(member)
    target = {"zarr": "zarr", "netcdf": "netcdf"}.get(target_format, format_id)
    if format_id in ("netcdf", "zarr") and (target != format_id or chunks):
        with _CONVERTING:
            dataset = local.open_data(member)
            try:
                if chunks:
                    dataset = dataset.chunk(chunks)
                cache.write_data(dataset, cache_id, replace=True)
            finally:
                dataset.close()
    else:
        _copy(local, member, cache, cache_id)
    return cache_id


def _copy(local, member: str, cache, cache_id: str) -> None:
    """Copy the files of *member* (a shapefile's too) into *cache* as *cache_id*, safely."""
    from ...fs.components import get_format

    fs = cache.fs
    sources = get_format(local._format_id_of(member)).files(local.fs, local._path(member))
    stem = posixpath.splitext(local._path(member))[0]
    target_stem = posixpath.splitext(cache._path(cache_id))[0]
    parent = posixpath.dirname(cache._path(cache_id))
    fs.makedirs(parent, exist_ok=True)
    for source in sources:
        target = target_stem + source[len(stem) :]
        temp = f"{parent}/.tmp-{uuid.uuid4().hex[:12]}-{posixpath.basename(target)}"
        fs.put(source, temp, recursive=os.path.isdir(source))
        if fs.exists(target):
            fs.rm(target, recursive=True)
        kind_of(fs).move(fs, temp, target)
    fs.invalidate_cache(parent)


def _write_manifest(store, data_id: str, written: list[str], target_format) -> None:
    fs = store.cache_store.fs
    path = store._manifest_path(data_id)
    manifest = {
        "record": store.record_id,
        "file": data_id,
        "checksum": store.entry(data_id).get("checksum"),
        "target_format": target_format,
        "data_ids": written,
    }
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    fs.pipe_file(path, json.dumps(manifest, indent=2).encode())


def _remove(cache, cache_id: str) -> None:
    with contextlib.suppress(DataStoreError):  # not written after all
        cache.delete_data(cache_id)
