"""FTP with its single connection shared safely between threads.

fsspec's FTP filesystem talks over one control connection: two threads using
it at once (the store checking that a data ID exists while a NetCDF file is
read) interleave their commands and read each other's replies, which shows
as a misleading "does not exist". Here every call that talks to the server,
reads and writes of open files included, takes its turn.
"""

from __future__ import annotations

import functools
import threading

from fsspec.implementations.ftp import FTPFile, FTPFileSystem


def _in_turn(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        fs = self.fs if isinstance(self, FTPFile) else self
        with fs._turn:
            return method(self, *args, **kwargs)

    return call


class SerialFTPFile(FTPFile):
    _upload_chunk = _in_turn(FTPFile._upload_chunk)
    _fetch_range = _in_turn(FTPFile._fetch_range)


class SerialFTPFileSystem(FTPFileSystem):
    """``FTPFileSystem`` whose calls on the connection take turns (re-entrantly)."""

    def __init__(self, *args, **kwargs):
        self._turn = threading.RLock()
        super().__init__(*args, **kwargs)

    @_in_turn
    def _open(self, path, mode="rb", block_size=None, cache_options=None, autocommit=True, **kw):
        return SerialFTPFile(
            self,
            self._strip_protocol(path),
            mode=mode,
            block_size=block_size or self.blocksize,
            tempdir=self.tempdir,
            autocommit=autocommit,
            cache_options=cache_options,
        )

    ls = _in_turn(FTPFileSystem.ls)
    info = _in_turn(FTPFileSystem.info)
    get_file = _in_turn(FTPFileSystem.get_file)
    cat_file = _in_turn(FTPFileSystem.cat_file)
    _rm = _in_turn(FTPFileSystem._rm)
    mkdir = _in_turn(FTPFileSystem.mkdir)
    makedirs = _in_turn(FTPFileSystem.makedirs)
    rmdir = _in_turn(FTPFileSystem.rmdir)
    mv = _in_turn(FTPFileSystem.mv)
