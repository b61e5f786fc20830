"""xcube's ``xcube.core.store.fs.registry`` functions: filesystem stores by
protocol, and which openers and writers read which filename extensions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from ..accessor import find_data_opener_extensions, find_data_writer_extensions
from ..errors import param_error
from .store import FsDataStore, fs_store_class


def get_fs_data_store_class(protocol: str) -> type[FsDataStore]:
    """The filesystem data store class of *protocol* (``"file"``, ``"s3"``, ...)."""
    from ..store import get_data_store_class

    get_data_store_class(protocol)  # an unknown protocol gets the installed ones listed
    return fs_store_class(protocol)


def new_fs_data_store(
    protocol: str,
    root: str = "",
    max_depth: int | None = 1,
    read_only: bool = False,
    includes: str | Sequence[str] | None = None,
    excludes: str | Sequence[str] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> FsDataStore:
    """A filesystem data store of *protocol*; as ``new_data_store(protocol, ...)``
    with the parameters spelled out. ``None`` means "not given"."""
    params = dict(
        root=root,
        max_depth=max_depth,
        read_only=read_only,
        includes=includes,
        excludes=excludes,
        storage_options=storage_options,
    )
    store_class = get_fs_data_store_class(protocol)
    return store_class(**{k: v for k, v in params.items() if v is not None})


def get_filename_extensions(
    accessor_type: Literal["openers", "writers"] = "openers", *, protocol: str | None = None
) -> dict[str, list[str]]:
    """Filename extensions (``".zarr"``) and the IDs of the openers (or writers)
    that read (or write) them, optionally of one *protocol* only.

    Extensions are read from the metadata ``extensions`` of each opener or
    writer extension, or ``filename_extensions`` as the xcube docs name it.
    """
    finders = {"openers": find_data_opener_extensions, "writers": find_data_writer_extensions}
    if accessor_type not in finders:
        raise param_error("accessor_type", accessor_type, allowed="one of 'openers', 'writers'")
    result: dict[str, list[str]] = {}
    for extension in finders[accessor_type](storage_id=protocol):
        names = extension.metadata.get("extensions") or extension.metadata.get(
            "filename_extensions", ()
        )
        for name in names:
            result.setdefault(name, []).append(extension.name)
    return result
