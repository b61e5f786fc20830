"""The format interface (the open parameters datasets share are in ``opening.py``)."""

from __future__ import annotations

import posixpath
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from ...descriptor import DataDescriptor, new_data_descriptor
from ...errors import DataStoreError
from ...extras import NOTHING, Needs
from ...schema import JsonObjectSchema


class FsFormat(ABC):
    """Reads (and maybe writes) one format on any fsspec filesystem.

    A format declares its identity in class attributes, as xarray's backends
    do; a plugin registers the class by import string (see ``plugin.py``),
    and the class is imported when a store first needs its extensions. So
    that listing works without them, the libraries its ``needs`` names are
    imported inside its methods, after :func:`..components.get_format` has
    checked them. A format is writable when its class overrides
    :meth:`write`. What differs between filesystems it asks the filesystem's
    kind (:func:`..kinds.kind_of`), never which protocol it is on.
    """

    #: The format ID, the middle part of opener IDs (``dataset:zarr:s3``).
    id: ClassVar[str]
    #: Filename extensions (lower case, with the dot) that select this format.
    extensions: ClassVar[tuple[str, ...]]
    #: Data types it opens as; the first is the default.
    data_types: ClassVar[tuple[str, ...]]
    #: Libraries the base install lacks, and the extra that installs them.
    needs: ClassVar[Needs] = NOTHING
    #: Whether it writes: set from whether the class overrides :meth:`write`.
    writable: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        cls.writable = cls.write is not FsFormat.write

    @abstractmethod
    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        """Parameters of :meth:`open` for *data_type*."""

    @abstractmethod
    def open(self, fs, path: str, data_type: str, **params: Any) -> Any:
        """Open *path* lazily as *data_type*."""

    def get_write_params_schema(self) -> JsonObjectSchema:
        return JsonObjectSchema(additional_properties=False)

    def write(self, data: Any, fs, path: str, **params: Any) -> None:
        raise DataStoreError(f"The {self.id} format cannot be written")

    def append(self, data: Any, fs, path: str, **params: Any) -> None:
        raise DataStoreError(f"The {self.id} format cannot be appended to")

    def describe(self, fs, path: str, data_id: str, data_type: str) -> DataDescriptor:
        """Describe *path*; by default opens it lazily and reads metadata only."""
        return new_data_descriptor(data_id, self.open(fs, path, data_type))

    def files(self, fs, path: str) -> list[str]:
        """The paths that together hold the data at *path* (e.g. a shapefile's)."""
        return [path] if fs.exists(path) else []


def sibling_files(fs, path: str, suffixes: tuple[str, ...]) -> list[str]:
    """*path* plus existing files with the same stem and one of *suffixes*."""
    stem = posixpath.splitext(path)[0]
    return [p for p in [path, *(stem + s for s in suffixes)] if fs.exists(p)]
