"""xcube's ``xcube.core.store.fs.registry`` functions: filesystem stores by
protocol, and which openers and writers read which filename extensions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .components import get_filename_extensions
from .store import FsDataStore, fs_store_class

__all__ = ["get_filename_extensions", "get_fs_data_store_class", "new_fs_data_store"]


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
    given = {name: value for name, value in locals().items() if value is not None}
    return get_fs_data_store_class(given.pop("protocol"))(**given)
