"""GDAL reading files of any fsspec filesystem by byte ranges.

GDAL's own network filesystems (``/vsis3/``, ``/vsicurl/``, ...) each want
their credentials and TLS settings in GDAL's terms, and know nothing of FTP,
an in-memory filesystem, or an SSL context given as a storage option. Rasterio
can instead serve GDAL from Python objects (its "opener" plugin): here the
store's own fsspec filesystem answers GDAL's reads, so every protocol works
with the options it already has, and only the bytes GDAL asks for travel.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import posixpath
import sys
from typing import Any

import rasterio._vsiopener
from rasterio.abc import MultiByteRangeResourceContainer

from ...lru import LruCache

#: GDAL reads headers in many small pieces; they are fetched in blocks of this size.
BLOCK_SIZE = 2**14

#: Blocks of small reads kept for all files together (here: 4 MB).
MAX_BLOCKS = 256


class _ProcessWide:
    """A stand-in for a ``ContextVar`` whose value every thread shares."""

    def __init__(self, value: Any):
        self.value = value

    def get(self, *default: Any) -> Any:
        return self.value

    def set(self, value: Any) -> None:
        self.value = value


def _share_opener_state() -> None:
    """Make rasterio's opener plugin work across threads.

    Rasterio (1.4) keeps the openers it registered and the files it opened
    through them per thread (``ContextVar``). A dataset opened in one thread
    and closed in another (a Dask worker, the garbage collector, the file
    cache of xarray evicting it) then fails to close with GDAL's "I/O error",
    and GDAL's own threads find no opener at all (rasterio issue 3636).
    Both tables hold unique keys (a UUID per registration, a file object per
    opened file), so one table shared by every thread is safe.
    """
    for name in ("_OPENER_REGISTRY", "_OPEN_FILE_EXIT_STACKS"):
        var = getattr(rasterio._vsiopener, name, None)
        if isinstance(var, contextvars.ContextVar):
            setattr(rasterio._vsiopener, name, _ProcessWide(var.get({})))


@atexit.register
def _close_cached_datasets() -> None:
    """Close the rasterio datasets xarray's file cache still holds.

    At interpreter exit, Python objects go away before GDAL closes what is
    left open; closing a file served from Python then fails ("I/O error").
    Exit handlers run while everything still works.
    """
    file_manager = sys.modules.get("xarray.backends.file_manager")
    if file_manager is None:
        return
    from rasterio.io import DatasetReader

    cache = file_manager.FILE_CACHE
    for key in list(cache.keys()):
        dataset = cache.get(key)
        if isinstance(dataset, DatasetReader):
            del cache[key]
            dataset.close()


_share_opener_state()


class RangeOpener(MultiByteRangeResourceContainer):
    """Opens one file of *fs* for GDAL (give it to ``rasterio.open(path, opener=...)``).

    *info* is what ``fs.info(path)`` said: the size, and the version of the
    file (its ETag, modification time, ...), which keys the cached blocks.
    Its folder appears to GDAL to hold only that file, so GDAL looks for no
    side-car files (``.ovr``, ``.aux.xml``, ``.msk``): each look would be one
    more request, and a data ID is one file. Picklable, for Dask workers.
    """

    def __init__(self, fs, path: str, info: dict[str, Any]):
        self.fs = fs
        self.path = path
        self.info = info
        self._size: int | None = info.get("size")
        # As fsspec's ukey(): the file's properties tell its version.
        self.key = (fs, path, str(info))
        self._whole: bytes | None = None  # the file, if a server ignored a range
        _KNOWN.put((fs, path), self.key)

    @classmethod
    def current(cls, fs, path: str) -> RangeOpener:
        """An opener of the current version of *path*, asking ``fs.info(path)``.

        GDAL's first read is the file's header: on an asynchronous filesystem
        the first block is fetched along with the info, so a file opens in
        one round trip rather than two; not if the block of the version last
        seen is cached (most likely still current), to move no bytes twice.
        As when asked one after the other, the block is taken to be of the
        version the info tells (a file replaced between the two goes unseen).
        """
        known = _KNOWN.get((fs, path))
        cached = known is not None and _BLOCKS.get((*known, 0)) is not None
        if cached or not getattr(fs, "async_impl", False) or fs.asynchronous:
            return cls(fs, path, fs.info(path))

        async def info_and_head():
            return await asyncio.gather(
                fs._info(path),
                fs._cat_file(path, start=0, end=BLOCK_SIZE),
                return_exceptions=True,
            )

        info, head = asyncio.run_coroutine_threadsafe(info_and_head(), fs.loop).result()
        if isinstance(info, BaseException):
            raise info
        opener = cls(fs, path, info)
        if isinstance(head, bytes):
            with contextlib.suppress(OSError):  # not as long as said: read again when needed
                _BLOCKS.put((*opener.key, 0), opener._checked(head, 0, BLOCK_SIZE))
        return opener

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_whole": None}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.fs.unstrip_protocol(self.path)!r})"

    def open(self, path: str, mode: str = "rb", **kwargs: Any) -> RangeFile:
        if "r" not in mode or "+" in mode or not self.isfile(path):
            raise FileNotFoundError(path)  # GDAL then says it cannot open it
        return RangeFile(self)

    def isfile(self, path: str) -> bool:
        return path == self.path

    def isdir(self, path: str) -> bool:
        return path.rstrip("/") == posixpath.dirname(self.path)

    def ls(self, path: str) -> list[str]:
        return [self.path] if self.isdir(path) else []

    def mtime(self, path: str) -> int:
        return 0

    def size(self, path: str) -> int:
        if not self.isfile(path):
            raise FileNotFoundError(path)
        if self._size is None:  # a web server that does not say: read it all
            self._whole = self.fs.cat_file(self.path)
            self._size = len(self._whole)
        return self._size

    def rm(self, path: str) -> None:
        raise PermissionError(f"{path} is opened read-only")

    def fetch(self, start: int, end: int) -> bytes:
        """Bytes ``start:end`` of the file, from one range request."""
        if self._whole is not None:
            return self._whole[start:end]
        data = self.fs.cat_file(self.path, start=start, end=end)
        return self._checked(data, start, end)

    def fetch_ranges(self, starts: list[int], ends: list[int]) -> list[bytes]:
        """Several ranges at once (concurrently on asynchronous filesystems)."""
        if self._whole is not None:
            return [self._whole[s:e] for s, e in zip(starts, ends, strict=True)]
        paths = [self.path] * len(starts)
        parts = self.fs.cat_ranges(paths, starts, ends, on_error="raise")
        return [self._checked(p, s, e) for p, s, e in zip(parts, starts, ends, strict=True)]

    def _checked(self, data: bytes, start: int, end: int) -> bytes:
        expected = min(end, self.size(self.path)) - start
        if len(data) == expected:
            return data
        if len(data) == self.size(self.path):
            # A web server that ignores ranges sends the whole file: keep it,
            # so that the file travels once rather than once per read.
            self._whole = data
            return data[start:end]
        raise OSError(
            f"Reading bytes {start}-{end} of {self.fs.unstrip_protocol(self.path)} "
            f"returned {len(data)} bytes, expected {expected}"
        )


#: Blocks of small reads, keyed by file version: opening a file and then
#: describing it (two GDAL opens) reads its header once.
_BLOCKS = LruCache(MAX_BLOCKS)
#: The version (the ``RangeOpener.key``) last seen of each file, by (fs, path).
_KNOWN = LruCache(MAX_BLOCKS)


class RangeFile:
    """A read-only file GDAL reads through its :class:`RangeOpener`.

    Small reads (headers, tile indexes) are served from cached blocks of
    :data:`BLOCK_SIZE` bytes; a read of a block or more (a tile) fetches
    exactly its bytes, uncached, as GDAL caches decoded blocks itself.
    """

    def __init__(self, opener: RangeOpener):
        self._opener = opener
        self._size = opener.size(opener.path)
        self._pos = 0

    def __enter__(self) -> RangeFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        pass

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, self._size)[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        start = self._pos
        end = self._size if size is None or size < 0 else min(self._size, start + size)
        if start >= end:
            return b""
        if end - start >= BLOCK_SIZE:
            data = self._opener.fetch(start, end)
        else:
            data = self._from_blocks(start, end)
        self._pos = start + len(data)
        return data

    def get_byte_ranges(self, offsets: list[int], sizes: list[int]) -> list[bytes]:
        """GDAL's multi-range read: the tiles of one window, fetched together."""
        ends = [min(o + s, self._size) for o, s in zip(offsets, sizes, strict=True)]
        return self._opener.fetch_ranges(list(offsets), ends)

    def _from_blocks(self, start: int, end: int) -> bytes:
        first, last = start // BLOCK_SIZE, (end - 1) // BLOCK_SIZE
        blocks = {i: _BLOCKS.get((*self._opener.key, i)) for i in range(first, last + 1)}
        missing = [i for i, block in blocks.items() if block is None]
        if missing:  # at most two neighbours: one request
            lo = missing[0] * BLOCK_SIZE
            data = self._opener.fetch(lo, min(self._size, (missing[-1] + 1) * BLOCK_SIZE))
            for i in missing:
                offset = i * BLOCK_SIZE - lo
                blocks[i] = data[offset : offset + BLOCK_SIZE]
                _BLOCKS.put((*self._opener.key, i), blocks[i])
        joined = b"".join(blocks[i] for i in range(first, last + 1))
        return joined[start - first * BLOCK_SIZE : end - first * BLOCK_SIZE]
