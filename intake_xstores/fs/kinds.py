"""What differs between filesystems, asked of the filesystem's kind.

Formats, the journal and the store never test which protocol a filesystem
is: they ask :func:`kind_of` (the kind its protocol declared, else one
chosen by what the fsspec filesystem can do) how to open a Zarr store or a
file for reading, whether to take turns, how to move a folder, how to stage
data through a local folder and how to create a file exclusively.

- :class:`FsKind`: a synchronous remote filesystem (SFTP, WebDAV, ...);
  calls take turns, files are staged through a local folder.
- :class:`LocalKind`: the local disk; native paths, ``O_EXCL``.
- :class:`ObjectStoreKind`: asynchronous filesystems (S3, Azure, HTTP, ...);
  concurrent, folders move file by file.
- :class:`FtpKind`: FTP, whose single connection is shared in turns and
  whose exclusive create is a folder made as a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import posixpath
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper, async_wrapper

from ..errors import error_text


class FsKind:
    """A synchronous remote filesystem; the base of every kind."""

    #: The filesystem has no links a path can pass through unseen to leave a root.
    has_links = False

    def native_path(self, fs, path: str) -> str | None:
        """*path* as the operating system opens it, or None if it cannot."""
        return None

    def zarr_store(self, fs, path: str, read_only: bool = True):
        """A zarr store of *path*: one call at a time on a synchronous filesystem."""
        from zarr.storage import FsspecStore

        return FsspecStore(SerialFileSystem(fs), path=path, read_only=read_only)

    def lock(self, fs) -> threading.Lock | None:
        """The lock every use of *fs* takes, or None if calls may overlap."""
        with _FS_LOCKS_LOCK:
            lock = _FS_LOCKS.get(fs)
            if lock is None:
                lock = _FS_LOCKS[fs] = threading.Lock()
            return lock

    def open_input(self, fs, path: str):
        """*path* for a reader that takes a path or a file object (xarray, GDAL)."""
        return self.native_path(fs, path) or RemoteFile(fs, path)

    @contextlib.contextmanager
    def staged_input(self, fs, paths: list[str]) -> Iterator[str]:
        """A local folder holding *paths* (all in one folder), for readers that
        need every file of a set at once (a shapefile's companions)."""
        native = [self.native_path(fs, p) for p in paths]
        if paths and all(native):
            yield os.path.dirname(native[0])
            return
        with tempfile.TemporaryDirectory() as tmp:
            for remote in paths:
                fs.get_file(remote, os.path.join(tmp, posixpath.basename(remote)))
            yield tmp

    @contextlib.contextmanager
    def staged_output(self, fs, path: str) -> Iterator[str]:
        """A local path for a writer that only writes local files; its content
        is put at *path* when the block ends without an error."""
        native = self.native_path(fs, path)
        if native:
            yield native
            return
        with tempfile.TemporaryDirectory() as tmp:
            local = os.path.join(tmp, posixpath.basename(path))
            yield local
            fs.put_file(local, path)

    def move(self, fs, source: str, target: str) -> None:
        """Move the file or folder *source* to *target*: by the filesystem's own
        rename if it has one (FTP, SFTP, local disks: folders and all), else
        by fsspec's copy and remove."""
        from fsspec.spec import AbstractFileSystem

        if type(fs).mv is AbstractFileSystem.mv:
            fs.mv(source, target, recursive=True)
        else:
            fs.mv(source, target)

    def create_exclusive(self, fs, path: str, data: bytes) -> bool:
        """Create *path* with *data* unless it exists; False if it does."""
        try:
            fs.pipe_file(path, data, mode="create")
        except FileExistsError:
            return False
        except Exception as error:  # noqa: BLE001 - S3's 412 Precondition Failed, Azure's 409
            text = error_text(error)
            if any(s in text for s in ("PreconditionFailed", "412", "BlobAlreadyExists", "409")):
                return False
            raise
        return True

    def exclusive_extras(self, path: str) -> list[str]:
        """What :meth:`create_exclusive` made besides *path*, to remove with it."""
        return []


class LocalKind(FsKind):
    """The local disk: native paths are fastest, and links may leave a folder."""

    has_links = True

    def native_path(self, fs, path: str) -> str | None:
        return path

    def zarr_store(self, fs, path: str, read_only: bool = True):
        from zarr.storage import LocalStore

        return LocalStore(path, read_only=read_only)

    def lock(self, fs) -> None:
        return None

    def create_exclusive(self, fs, path: str, data: bytes) -> bool:
        # fsspec's "create" checks, then writes: O_EXCL does both at once
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return True


class ObjectStoreKind(FsKind):
    """An asynchronous filesystem: object stores and web servers."""

    def zarr_store(self, fs, path: str, read_only: bool = True):
        from zarr.storage import FsspecStore

        if not fs.asynchronous:
            fs = async_twin(fs)
        return FsspecStore(fs, path=fs._strip_protocol(path), read_only=read_only)

    def lock(self, fs) -> None:
        return None

    def move(self, fs, source: str, target: str) -> None:
        # Object stores have no folders to rename, and fsspec's recursive ``mv``
        # also tries to copy the folder itself, which is no object.
        if not fs.isdir(source):
            fs.mv(source, target, recursive=True)
            return
        files = fs.find(source)
        fs.mv(files, [target + f[len(source) :] for f in files])
        if fs.exists(source):  # a folder marker blob, if any
            fs.rm(source, recursive=True)


class FtpKind(FsKind):
    """FTP: no exclusive upload, but making a folder fails if it exists, so a
    folder ``<path>.lock`` is the lock and the file is written after it.

    A writer killed between taking the lock and writing the file (or between
    removing the file and the lock) leaves a lock alone. A lock that stays
    without its file for :attr:`ORPHAN_SECONDS` is taken over: renamed away
    (one taker wins the rename), then taken anew.
    """

    LOCK_SUFFIX = ".lock"
    #: Seconds a lock may stand without its file before it counts as orphaned;
    #: a live writer writes the file right after taking the lock.
    ORPHAN_SECONDS = 10.0

    def create_exclusive(self, fs, path: str, data: bytes) -> bool:
        lock = path + self.LOCK_SUFFIX
        taken = self._take(fs, lock) or (self._orphaned(fs, path) and self._take_over(fs, lock))
        if taken:
            fs.pipe_file(path, data)
        return taken

    def _take(self, fs, lock: str) -> bool:
        import ftplib

        try:
            fs.mkdir(lock, create_parents=False)  # in turn with other threads
        except ftplib.error_perm:
            return False
        return True

    def _orphaned(self, fs, path: str) -> bool:
        deadline = time.monotonic() + self.ORPHAN_SECONDS
        while not fs.exists(path):
            if time.monotonic() > deadline:
                return True
            time.sleep(0.2)
            fs.invalidate_cache(posixpath.dirname(path))
        return False

    def _take_over(self, fs, lock: str) -> bool:
        import ftplib

        dead = f"{lock}.orphan-{os.getpid()}-{threading.get_ident()}"
        try:
            fs.mv(lock, dead)
        except (OSError, ftplib.error_perm):  # another writer took it over first
            return False
        fs.rm(dead, recursive=True)
        return self._take(fs, lock)

    def exclusive_extras(self, path: str) -> list[str]:
        return [path + self.LOCK_SUFFIX]


LOCAL = LocalKind()
OBJECT_STORE = ObjectStoreKind()
SYNCHRONOUS = FsKind()


def kind_of(fs) -> FsKind:
    """The kind of the fsspec filesystem *fs*: the one its protocol set on it
    (see ``FsProtocol.new_filesystem``), else one fitting its class."""
    kind = getattr(fs, "_xstores_kind", None)
    if kind is not None:
        return kind
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        return LOCAL
    return OBJECT_STORE if getattr(fs, "async_impl", False) else SYNCHRONOUS


# --- Zarr on fsspec filesystems ----------------------------------------------


def async_twin(fs):
    """The asynchronous twin zarr needs of the synchronous instance *fs* of an
    asynchronous filesystem class.

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


_SEMAPHORES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class SerialFileSystem(AsyncFileSystemWrapper):
    """A synchronous filesystem (such as FTP or SFTP) as zarr needs it.

    zarr calls its filesystem from many threads at once, but such filesystems
    often have a single connection: here one call runs at a time. Writing a
    file creates its folder, and removing a missing file raises
    ``FileNotFoundError``, as zarr expects.
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


# --- files read remotely -----------------------------------------------------

_FS_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FS_LOCKS_LOCK = threading.Lock()


class RemoteFile:
    """A file on a remote filesystem, opened on first read.

    It pickles as (filesystem, path), so a dataset opened from it computes on
    dask workers (some filesystems' own file objects do not unpickle). On a
    filesystem whose calls must take turns, every call takes its kind's lock.
    """

    def __init__(self, fs, path: str):
        self.fs = fs
        self.path = path
        self._file = None
        self._lock = kind_of(fs).lock(fs)

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
