"""The opener and writer of one (data type, format, protocol) combination.

Writes are safe: data goes to a hidden sibling first (listings skip names
starting with "."), and only a complete write is moved into place. A write
that fails leaves nothing behind; ``replace=False`` never overwrites. Each
write holds the data ID's journal (see :mod:`.journal`), which makes writers
exclusive and lets an interrupted write be finished or undone later.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..accessor import DataOpener, DataWriter
from ..errors import DataExistsError, DataStoreError, error_text, param_error, shown
from ..schema import JsonBooleanSchema, JsonObjectSchema, JsonStringSchema
from .components import get_format, get_protocol
from .journal import WriteJournal, remove


class FsDataAccessor(DataOpener, DataWriter):
    """Opens and writes *data_type* in *format_id* on the *protocol* filesystem.

    Data IDs given to it are paths on that filesystem; its messages name them,
    or the data ID a store names (see :func:`~intake_xstores.errors.naming`).
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
        except FileNotFoundError as error:
            if not fs.exists(data_id):
                raise DataStoreError(f"Data resource {shown(data_id)!r} does not exist") from None
            # there, but a part its metadata names is not (e.g. stale consolidated metadata)
            raise DataStoreError(
                f"Cannot read {shown(data_id)!r} as {self.format.id}: {error_text(error)}"
            ) from error

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
        parent = posixpath.dirname(path)
        if parent:
            fs.makedirs(parent, exist_ok=True)
        with WriteJournal(fs, path) as journal:
            existing = fmt.files(fs, path)
            if params.get("append_dim") and existing:
                self._append(journal, data, existing, **params)
                return data_id
            if existing and not replace:
                raise DataExistsError(shown(data_id))
            temp = journal.temp_path()
            journal.record("write", temp=temp)
            try:
                with _joined_dask_threads():
                    fmt.write(data, fs, temp, **params)
            except BaseException as error:
                _remove_quietly(fs, fmt.files(fs, temp), error)
                journal.abandon()
                raise
            journal.finish_replace(fmt)  # its first record is the commit point
        return data_id

    def _append(self, journal: WriteJournal, data: Any, existing: list[str], **params) -> None:
        """Append, all or nothing: the metadata that an append changes is kept in
        the journal first and put back if the append fails or is killed."""
        dim = params["append_dim"]
        if dim not in getattr(data, "dims", {}):
            raise param_error(
                "append_dim",
                dim,
                allowed="one of the data's dimensions: "
                + (", ".join(map(repr, data.dims)) or "none"),
            )
        journal.record("append", snapshot=journal.snapshot(existing[0]))
        try:
            with _joined_dask_threads():
                self.format.append(data, self.fs, existing[0], **params)
        except BaseException as error:
            try:
                journal.restore_snapshot()
            except Exception as restore_error:  # noqa: BLE001 - the journal keeps it
                error.add_note(
                    f"(Restoring the data as it was failed too: {error_text(restore_error)}; "
                    "the next access to it will)"
                )
            raise
        journal.record(None)

    def delete_data(self, data_id: str, **delete_params: Any) -> None:
        files = self.format.files(self.fs, data_id)
        if not files:
            raise DataStoreError(f"Data resource {shown(data_id)!r} does not exist")
        remove(self.fs, files)


def _remove_quietly(fs, paths: list[str], error: BaseException) -> None:
    """Remove what a failed write left; a failure here (the server that failed the
    write may be gone) must not hide the write's own error: it is only noted,
    and the next write to the data ID or ``store.cleanup()`` removes the rest."""
    try:
        remove(fs, paths)
    except Exception as cleanup_error:  # noqa: BLE001 - reported as a note
        error.add_note(f"(Leftovers not yet removed: {error_text(cleanup_error)})")


class _WritePools:
    """dask's thread pool while writes run: each writing thread's own, else a shared one.

    dask's configuration is process-wide, so a pool set for one write would be
    used, and shut down, under the feet of every other thread. This one
    object stands in the configuration while any write runs and sends each
    task to the pool of the thread that started its computation.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._writes = 0
        self._saved: Any = None
        self._shared: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        pool = getattr(self._local, "pool", None)
        if pool is not None:
            return pool
        with self._lock:
            if self._shared is None:
                self._shared = ThreadPoolExecutor(os.cpu_count() or 1)
            return self._shared

    def submit(self, fn, *args, **kwargs):
        return self._pool().submit(fn, *args, **kwargs)

    @property
    def _max_workers(self) -> int:
        return self._pool()._max_workers

    @contextlib.contextmanager
    def joined(self):
        """Run this thread's dask tasks on threads of its own, and wait for them.

        When one task of a write fails, dask raises at once while other tasks
        may still be writing; cleaning up must wait until they have stopped.
        """
        import dask

        if dask.config.get("scheduler", None) not in (None, "threads", "threading"):
            yield
            return
        outer = getattr(self._local, "pool", None)
        pool = self._local.pool = ThreadPoolExecutor(os.cpu_count() or 1)
        with self._lock:
            if self._writes == 0:
                self._saved = dask.config.get("pool", None)
                dask.config.set(pool=self)
            self._writes += 1
        try:
            yield
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self._local.pool = outer
            with self._lock:
                self._writes -= 1
                if self._writes == 0:
                    dask.config.set(pool=self._saved)


_WRITE_POOLS = _WritePools()
_joined_dask_threads = _WRITE_POOLS.joined
