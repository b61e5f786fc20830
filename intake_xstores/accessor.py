"""Data openers and writers: the parts a store delegates reading and writing to.

An opener ID names what it opens, in which format, from which storage:
``"dataset:zarr:s3"``. Openers and writers are registered extensions or
contributed on demand by an ``ExtensionProvider`` (the filesystem side
composes its own from every registered format and protocol); this module
knows neither formats nor protocols.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from .datatype import DataType, DataTypeLike
from .errors import DataStoreParamsError
from .registry import (
    EXTENSION_POINT_DATA_OPENERS,
    EXTENSION_POINT_DATA_WRITERS,
    Extension,
    ExtensionRegistry,
    get_extension_registry,
)
from .schema import JsonObjectSchema


class DataOpener(ABC):
    """Opens data by data ID with parameters described by a JSON Schema."""

    def close(self) -> None:  # noqa: B027 - a hook; most openers hold nothing
        """Release files, connections or other resources; by default nothing to do."""

    @abstractmethod
    def get_open_data_params_schema(self, data_id: str | None = None) -> JsonObjectSchema:
        """The parameters :meth:`open_data` accepts (for *data_id*, if given)."""

    @abstractmethod
    def open_data(self, data_id: str, **open_params: Any) -> Any:
        """Open the data identified by *data_id*."""


class DataDeleter(ABC):
    """Deletes data by data ID with parameters described by a JSON Schema."""

    def get_delete_data_params_schema(self, data_id: str | None = None) -> JsonObjectSchema:
        """The parameters :meth:`delete_data` accepts; by default none.

        Abstract in xcube; here a default, so deleters written before it
        existed keep working.
        """
        return JsonObjectSchema(additional_properties=False)

    @abstractmethod
    def delete_data(self, data_id: str, **delete_params: Any) -> None:
        """Delete the data identified by *data_id*."""


class DataWriter(DataDeleter):
    """Writes data under a data ID with parameters described by a JSON Schema."""

    @abstractmethod
    def get_write_data_params_schema(self) -> JsonObjectSchema:
        """The parameters :meth:`write_data` accepts."""

    @abstractmethod
    def write_data(
        self, data: Any, data_id: str, replace: bool = False, **write_params: Any
    ) -> str:
        """Write *data* as *data_id*; return the data ID written."""


class DataPreloader(ABC):
    """Fetches data ahead of opening it, for sources slow to read directly
    (downloads, queued requests); see :mod:`intake_xstores.preload`."""

    @abstractmethod
    def get_preload_data_params_schema(self) -> JsonObjectSchema:
        """The parameters :meth:`preload_data` accepts."""

    @abstractmethod
    def preload_data(self, *data_ids: str, **preload_params: Any) -> Any:
        """Start (or, if blocking, do) preloading *data_ids*; return the store
        to open them from, whose ``preload_handle`` reports progress."""


class DataTimeSliceUpdater(DataWriter):
    """A writer that can also add, insert and replace time slices of a dataset."""

    @abstractmethod
    def append_data_time_slice(self, data_id: str, time_slice: Any) -> None:
        """Append *time_slice* (a dataset) to *data_id*."""

    @abstractmethod
    def insert_data_time_slice(self, data_id: str, time_slice: Any, time_index: int) -> None:
        """Insert *time_slice* into *data_id* before index *time_index*."""

    @abstractmethod
    def replace_data_time_slice(self, data_id: str, time_slice: Any, time_index: int) -> None:
        """Replace the time slice at *time_index* of *data_id* by *time_slice*."""


def get_data_accessor_predicate(
    data_type: DataTypeLike = None, format_id: str | None = None, storage_id: str | None = None
) -> Callable[[Extension], bool]:
    """A predicate selecting opener/writer extensions by their ID
    ``<data_type>:<format>:<storage>``.

    A ``*`` in an extension's ID matches anything; *data_type* matches
    its sub-types too (``"any"`` matches all).
    """
    wanted_type = DataType.normalize(data_type) if data_type is not None else None

    def predicate(extension: Extension) -> bool:
        parts = extension.name.split(":")
        if len(parts) != 3:
            return False
        ext_type, ext_format, ext_storage = parts
        if storage_id is not None and ext_storage not in ("*", storage_id):
            return False
        if format_id is not None and ext_format not in ("*", format_id):
            return False
        return wanted_type is None or wanted_type.is_super_type_of(ext_type)

    return predicate


def split_accessor_id(accessor_id: str) -> tuple[str, str, str]:
    """``"dataset:zarr:s3"`` → ``("dataset", "zarr", "s3")``, or a clear error."""
    parts = accessor_id.split(":")
    if len(parts) != 3 or not all(parts):
        raise DataStoreParamsError(
            f"Invalid opener/writer ID {accessor_id!r}; expected "
            "'<data_type>:<format>:<protocol>', e.g. 'dataset:zarr:file'"
        )
    return parts[0], parts[1], parts[2]


def _finder(point: str, kind: str) -> Callable[..., list[Extension]]:
    """The public finder of the extensions at *point* (openers or writers)."""

    def find(
        predicate: Callable[[Extension], bool] | None = None,
        extension_registry: ExtensionRegistry | None = None,
        *,
        data_type: str | None = None,
        format_id: str | None = None,
        storage_id: str | None = None,
    ) -> list[Extension]:
        registry = extension_registry or get_extension_registry()
        wanted = {"data_type": data_type, "format_id": format_id, "storage_id": storage_id}
        return [
            e
            for e in registry.find_extensions(point)
            if all(v is None or e.metadata.get(k) == v for k, v in wanted.items())
            and (predicate is None or predicate(e))
        ]

    find.__name__ = find.__qualname__ = f"find_data_{kind}_extensions"
    find.__doc__ = (
        f"{kind.capitalize()} extensions, optionally filtered by data type, format and storage."
    )
    return find


find_data_opener_extensions = _finder(EXTENSION_POINT_DATA_OPENERS, "opener")
find_data_writer_extensions = _finder(EXTENSION_POINT_DATA_WRITERS, "writer")


def _new_accessor(
    point: str,
    accessor_id: str,
    params: dict[str, Any],
    extension_registry: ExtensionRegistry | None = None,
) -> Any:
    registry = extension_registry or get_extension_registry()
    extension = registry.get_extension(point, accessor_id)
    if extension is None:
        kind = "writer" if point == EXTENSION_POINT_DATA_WRITERS else "opener"
        split_accessor_id(accessor_id)  # a malformed ID gets the format explained
        raise DataStoreParamsError(
            f"Unknown data {kind} {accessor_id!r}; see "
            f"find_data_{kind}_extensions() for the installed ones"
        )
    return extension.component(**params)


def new_data_opener(
    opener_id: str, extension_registry: ExtensionRegistry | None = None, **opener_params: Any
) -> DataOpener:
    """Instantiate the opener *opener_id*, e.g. ``new_data_opener("dataset:zarr:s3")``."""
    return _new_accessor(EXTENSION_POINT_DATA_OPENERS, opener_id, opener_params, extension_registry)


def new_data_writer(
    writer_id: str, extension_registry: ExtensionRegistry | None = None, **writer_params: Any
) -> DataWriter:
    """Instantiate the writer *writer_id*, e.g. ``new_data_writer("dataset:zarr:file")``."""
    return _new_accessor(EXTENSION_POINT_DATA_WRITERS, writer_id, writer_params, extension_registry)
