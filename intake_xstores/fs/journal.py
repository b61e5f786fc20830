"""The write journal of one data ID: one writer at a time, and an interrupted
write finished or undone by whoever comes next.

While a write runs, a hidden sibling ``.journal-<name>`` of the data ID
exists. It is created exclusively (``O_EXCL`` on local disks, ``If-None-Match``
on S3, no-overwrite uploads on Azure, the memory filesystem's own check; FTP
can only check, then write), so a second writer of the same data ID gets a
clear error instead of mixing its data in. It records the write's phase:

``write``
    the new data goes to a hidden temp; undo: remove the temp
``replace``
    the temp is complete (the commit point); redo: remove the old data, move the temp in
``install``
    the temp is being moved in, file by file on object stores; redo: move the rest
``append``
    the metadata an append changes is kept in the journal; undo: put it back

A journal whose writer is gone (a process of this host that no longer runs,
or a journal older than :data:`STALE_SECONDS`) is acted on by the next access
to the data ID and by ``store.cleanup()``: the data ID then opens as the
complete old or the complete new data.
"""

from __future__ import annotations

import base64
import json
import os
import posixpath
import re
import socket
import time
import uuid
from typing import Any

from ..errors import DataStoreError, error_text, shown
from .kinds import kind_of

JOURNAL_PREFIX = ".journal-"
TEMP_PREFIX = ".tmp-"
STALE_SECONDS = 3600
"""Age after which a journal of another host's writer counts as abandoned."""

_METADATA_NAMES = (".zmetadata", ".zgroup", ".zattrs", ".zarray", "zarr.json")
_TEMP_NAME = re.compile(r"^\.tmp-[0-9a-f]{12}-(?P<name>.+)$")


def in_own_words(text: str, path: str, name: str) -> str:
    """*text*, a library's error message, with *path* and its hidden temps named
    *name*: libraries name the paths they were given, which users never saw."""
    return re.sub(r"\.tmp-[0-9a-f]{12}-", "", text).replace(path, name)


def journal_path(path: str) -> str:
    parent, name = posixpath.split(path.rstrip("/"))
    return posixpath.join(parent, JOURNAL_PREFIX + name)


class WriteJournal:
    """The journal of the data at *path* on *fs*, held for one write (a context manager)."""

    def __init__(self, fs, path: str):
        self.fs = fs
        self.path = path.rstrip("/")
        self.parent, self.name = posixpath.split(self.path)
        self.file = journal_path(self.path)
        self.state: dict[str, Any] = {}

    def __enter__(self) -> WriteJournal:
        recover(self.fs, self.path)
        self.state = {"owner": _owner(), "time": time.time(), "phase": None}
        _HELD.add(self.state["owner"]["write"])
        if not _create_exclusive(self.fs, self.file, self._encoded()):
            raise DataStoreError(
                f"Cannot write {shown(self.path)!r}: another write to it is in progress "
                f"(its journal {self.file!r} exists); try again when it has finished"
            )
        self._remove_leftover_temps()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        _HELD.discard(self.state["owner"]["write"])
        if exc_type is not None and self.state.get("phase") is not None:
            return  # committed or half-undone: the journal tells the next access what to do
        try:
            _remove_journal(self.fs, self.file)
        except Exception as error:  # noqa: BLE001 - must not hide the write's own error
            if exc is None:
                raise
            exc.add_note(f"(The journal {self.file!r} is left: {error_text(error)})")

    def abandon(self) -> None:
        """The write failed and its temp is removed (or left to the next write)."""
        self.state["phase"] = None

    def temp_path(self) -> str:
        return posixpath.join(self.parent, f"{TEMP_PREFIX}{uuid.uuid4().hex[:12]}-{self.name}")

    def record(self, phase: str | None, **fields: Any) -> None:
        self.state = {"owner": self.state["owner"], "time": time.time(), "phase": phase, **fields}
        self.fs.pipe_file(self.file, self._encoded())

    def finish_replace(self, fmt) -> None:
        """Commit: record the complete temp, then remove the old data and move
        the temp in (phases ``replace``, ``install``)."""
        temp = self.state["temp"]
        old = fmt.files(self.fs, self.path)
        self.record("replace", temp=temp, temp_files=fmt.files(self.fs, temp), old=old)
        _redo(self.fs, self.file, self.state)

    def snapshot(self, path: str) -> dict[str, str]:
        """The metadata files below *path* (what an append rewrites), base64-encoded."""
        files = [f for f in self.fs.find(path) if posixpath.basename(f) in _METADATA_NAMES]
        contents = self.fs.cat(files) if files else {}
        return {f: base64.b64encode(contents[f]).decode("ascii") for f in files}

    def restore_snapshot(self) -> None:
        _restore(self.fs, self.state["snapshot"])
        self.record(None)

    def _encoded(self) -> bytes:
        return json.dumps(self.state).encode("utf-8")

    def _remove_leftover_temps(self) -> None:
        """Temps of this data ID left by writers killed before they kept a journal."""
        try:
            names = self.fs.ls(self.parent or "", detail=False)
        except FileNotFoundError:
            return
        for entry in names:
            match = _TEMP_NAME.match(posixpath.basename(entry.rstrip("/")))
            if match and match["name"] == self.name:
                _rm_quietly(self.fs, entry)


def recover(fs, path: str) -> bool:
    """Finish or undo the write to *path* whose writer is gone; whether there was one."""
    file = journal_path(path)
    try:
        raw = fs.cat_file(file)
    except (FileNotFoundError, OSError):
        return False
    try:
        state = json.loads(raw)
    except ValueError:  # being written this very moment, or torn long ago: its age tells
        state = {"time": _modified(fs, file)}
    if _alive(state):
        return False
    phase = state.get("phase")
    try:
        if phase in ("replace", "install"):
            _redo(fs, file, state)
        elif phase == "append":
            _restore(fs, state["snapshot"])
        elif phase == "write":
            _rm_quietly(fs, state["temp"])
    except Exception as error:  # noqa: BLE001 - raised with the data ID named
        raise DataStoreError(
            f"Cannot finish the interrupted write to {shown(path)!r}: {error_text(error)}; "
            f"its journal {file!r} is kept for the next try"
        ) from error
    _remove_journal(fs, file)
    fs.invalidate_cache(posixpath.dirname(file))
    return True


def _redo(fs, file: str, state: dict[str, Any]) -> None:
    if state["phase"] == "replace":
        remove(fs, [p for p in state["old"] if fs.exists(p)])
        temp_stem = posixpath.splitext(state["temp"])[0]
        stem = posixpath.splitext(file.replace(JOURNAL_PREFIX, "", 1))[0]
        moves = [[src, stem + src[len(temp_stem) :]] for src in state["temp_files"]]
        state.update(phase="install", moves=moves, time=time.time())
        fs.pipe_file(file, json.dumps(state).encode("utf-8"))
    fs.invalidate_cache(posixpath.dirname(file))
    for source, target in state["moves"]:
        if fs.exists(source):
            kind_of(fs).move(fs, source, target)
    fs.invalidate_cache(posixpath.dirname(file))


def remove(fs, paths: list[str]) -> None:
    """Remove the files and folders *paths* (all in one folder)."""
    for path in paths:
        # recursive only for folders: fsspec's FTP lists a file as a folder of itself
        fs.rm(path, recursive=fs.isdir(path))
    if paths:
        fs.invalidate_cache(posixpath.dirname(paths[0]))


def _restore(fs, snapshot: dict[str, str]) -> None:
    for name, content in snapshot.items():
        fs.pipe_file(name, base64.b64decode(content))


def _create_exclusive(fs, path: str, data: bytes) -> bool:
    """Create *path* with *data* unless it exists (as the filesystem's kind can)."""
    return kind_of(fs).create_exclusive(fs, path, data)


def _remove_journal(fs, file: str) -> None:
    for path in [file, *kind_of(fs).exclusive_extras(file)]:
        _rm_quietly(fs, path)


# The writes of this process that hold their journal now.
_HELD: set[str] = set()


def _owner() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "write": uuid.uuid4().hex}


def _alive(state: dict[str, Any]) -> bool:
    """Whether the writer of a journal may still be writing."""
    owner = state.get("owner") or {}
    if owner.get("host") == socket.gethostname() and owner.get("pid") == os.getpid():
        return owner.get("write") in _HELD
    if owner.get("host") == socket.gethostname() and isinstance(owner.get("pid"), int):
        try:
            os.kill(owner["pid"], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return time.time() - float(state.get("time") or 0) < STALE_SECONDS


def _modified(fs, path: str) -> float:
    """When *path* was last written (now, if the filesystem cannot tell)."""
    try:
        return fs.modified(path).timestamp()
    except Exception:  # noqa: BLE001 - not every filesystem knows
        return time.time()


def _rm_quietly(fs, path: str) -> None:
    try:
        if fs.exists(path):
            fs.rm(path, recursive=fs.isdir(path))
    except FileNotFoundError:
        pass


def cleanup(fs, root: str) -> list[str]:
    """Finish or undo abandoned writes below *root* and remove their temps.

    Returns the hidden paths acted on. Temps of writes still running are kept.
    """
    done = []
    hidden = [p for p in fs.find(root, withdirs=True) if _is_hidden_write(p)]
    for path in sorted(hidden):
        name = posixpath.basename(path.rstrip("/"))
        if name.startswith(JOURNAL_PREFIX):
            target = posixpath.join(posixpath.dirname(path), name[len(JOURNAL_PREFIX) :])
            if recover(fs, target):
                done.append(path)
    live = {
        json.loads(fs.cat_file(p)).get("temp")
        for p in fs.find(root, withdirs=True)
        if posixpath.basename(p).startswith(JOURNAL_PREFIX)
    }
    for path in sorted(hidden):
        is_temp = _TEMP_NAME.match(posixpath.basename(path.rstrip("/")))
        if is_temp and path not in live and fs.exists(path):
            _rm_quietly(fs, path)
            done.append(path)
    fs.invalidate_cache(root)
    return done


def _is_hidden_write(path: str) -> bool:
    name = posixpath.basename(path.rstrip("/"))
    if not name.startswith((JOURNAL_PREFIX, TEMP_PREFIX)):
        return False
    parents = posixpath.dirname(path).split("/")
    return not any(p.startswith(TEMP_PREFIX) for p in parents)  # inside a temp: removed with it
