"""The opener and writer of one (data type, format, protocol) combination.

Writes are safe: data goes to a hidden sibling first (listings skip names
starting with "."), and only a complete write is moved into place. A write
that fails leaves nothing behind; ``replace=False`` never overwrites.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import uuid
from typing import Any

from ..accessor import DataOpener, DataWriter
from ..errors import DataStoreError
from ..registry import (
    EXTENSION_POINT_FS_FORMATS,
    EXTENSION_POINT_FS_PROTOCOLS,
    get_extension_registry,
)
from ..schema import JsonBooleanSchema, JsonObjectSchema, JsonStringSchema
from .formats.base import FsFormat
from .protocols import FsProtocol


def get_protocol(name: str) -> FsProtocol:
    return get_extension_registry().get_component(EXTENSION_POINT_FS_PROTOCOLS, name)


def get_format(format_id: str) -> FsFormat:
    return get_extension_registry().get_component(EXTENSION_POINT_FS_FORMATS, format_id)


class FsDataAccessor(DataOpener, DataWriter):
    """Opens and writes *data_type* in *format_id* on the *protocol* filesystem.

    Data IDs given to it are paths on that filesystem.
    """

    def __init__(self, data_type: str, format_id: str, protocol: str, fs=None, **storage_options):
        self.data_type = data_type
        self.format = get_format(format_id)
        self.protocol = get_protocol(protocol)
        # Made by new_data_opener() rather than by a store: as in xcube, the
        # filesystem options may then come with each call (storage_options).
        self._standalone = fs is None
        self.fs = fs if fs is not None else self.protocol.new_filesystem(storage_options)

    def get_open_data_params_schema(self, data_id: str | None = None) -> JsonObjectSchema:
        schema = self.format.get_open_params_schema(self.data_type)
        schema.properties["data_type"] = JsonStringSchema(
            enum=list(self.format.data_types),
            default=self.data_type,
            description="Data type to open the data as",
        )
        if self._standalone:
            schema.properties["storage_options"] = self.protocol.get_storage_options_schema()
        return schema

    def open_data(self, data_id: str, **open_params: Any) -> Any:
        params = self.get_open_data_params_schema(data_id).process(open_params)
        data_type = params.pop("data_type")
        storage_options = params.pop("storage_options", None)
        fs = self.protocol.new_filesystem(storage_options) if storage_options else self.fs
        try:
            return self.format.open(fs, data_id, data_type, **params)
        except FileNotFoundError:
            raise DataStoreError(f"Data resource {data_id!r} does not exist") from None

    def get_write_data_params_schema(self) -> JsonObjectSchema:
        schema = self.format.get_write_params_schema()
        schema.properties["replace"] = JsonBooleanSchema(
            default=False, description="Replace data that already exists"
        )
        return schema

    def write_data(self, data: Any, data_id: str, replace: bool = False, **params: Any) -> str:
        params = self.get_write_data_params_schema().process(dict(params, replace=replace))
        replace = params.pop("replace")
        fs, fmt, path = self.fs, self.format, data_id
        existing = fmt.files(fs, path)
        if params.get("append_dim") and existing:
            fmt.append(data, fs, path, **params)
            return data_id
        if existing and not replace:
            raise DataStoreError(
                f"Data resource {data_id!r} already exists; pass replace=True to overwrite it"
            )
        parent, name = posixpath.split(path)
        temp = posixpath.join(parent, f".tmp-{uuid.uuid4().hex[:12]}-{name}")
        if parent:
            fs.makedirs(parent, exist_ok=True)
        try:
            with _joined_dask_threads():
                fmt.write(data, fs, temp, **params)
        except BaseException:
            self._remove(fmt.files(fs, temp))
            raise
        self._remove(existing)
        temp_stem, stem = posixpath.splitext(temp)[0], posixpath.splitext(path)[0]
        fs.invalidate_cache(parent)  # the format may have written through another instance
        for source in fmt.files(fs, temp):
            _move(fs, source, stem + source[len(temp_stem) :])
        fs.invalidate_cache(parent)
        return data_id

    def delete_data(self, data_id: str, **delete_params: Any) -> None:
        files = self.format.files(self.fs, data_id)
        if not files:
            raise DataStoreError(f"Data resource {data_id!r} does not exist")
        self._remove(files)

    def _remove(self, paths: list[str]) -> None:
        for path in paths:
            # recursive only for folders: fsspec's FTP lists a file as a folder of itself
            self.fs.rm(path, recursive=self.fs.isdir(path))
        if paths:
            self.fs.invalidate_cache(posixpath.dirname(paths[0]))


def _move(fs, source: str, target: str) -> None:
    """Move the file or folder *source* to *target*.

    Object stores (s3, abfs: the asynchronous filesystems) have no folders to
    rename, and fsspec's recursive ``mv`` there also tries to copy the folder
    itself, which is no object; so their folders move file by file.
    """
    if getattr(fs, "async_impl", False) and fs.isdir(source):
        files = fs.find(source)
        fs.mv(files, [target + f[len(source) :] for f in files])
        if fs.exists(source):  # a folder marker blob, if any
            fs.rm(source, recursive=True)
    else:
        fs.mv(source, target, recursive=True)


@contextlib.contextmanager
def _joined_dask_threads():
    """Run dask's threaded scheduler on threads of its own, and wait for them.

    When one task of a write fails, dask raises at once while other tasks may
    still be writing; cleaning up must wait until they have stopped.
    """
    from concurrent.futures import ThreadPoolExecutor

    import dask

    if dask.config.get("scheduler", None) not in (None, "threads", "threading"):
        yield
        return
    pool = ThreadPoolExecutor(os.cpu_count() or 1)
    try:
        with dask.config.set(pool=pool):
            yield
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
