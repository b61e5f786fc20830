"""Data stores: the primary interface, and the functions that find them.

:class:`DataStore` is read-only; :class:`MutableDataStore` adds writing and
deleting. Every store validates its parameters against
:meth:`DataStore.get_data_store_params_schema` when constructed, keeps them
(secrets hidden from ``repr``), and pickles by its parameters.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Container, Iterator
from typing import Any

from . import secrets
from .accessor import DataOpener, DataPreloader, DataWriter
from .datatype import DATASET_TYPE, DataType, DataTypeLike
from .descriptor import DataDescriptor
from .errors import DataStoreError, DataStoreParamsError
from .preload import NullPreloadHandle, Preloaded
from .registry import (
    EXTENSION_POINT_DATA_STORES,
    Extension,
    ExtensionRegistry,
    get_extension_registry,
)
from .schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonDatetimeSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
)
from .search import DataSearcher

DataIdIter = Iterator[str | tuple[str, dict[str, Any]]]
"""What ``get_data_ids`` yields: data IDs, or ``(data_id, attrs)`` pairs."""


class DataStore(DataOpener, DataSearcher, DataPreloader, ABC):
    """A read-only data store: enumerate, describe, search and open data."""

    def __init__(self, **params: Any):
        schema = self.get_data_store_params_schema()
        self._params = schema.process(params)
        secrets.register_secrets(self._params, schema.secret_paths())

    @property
    def params(self) -> dict[str, Any]:
        """The store's parameters, completed with defaults."""
        return dict(self._params)

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        """The parameters accepted by this store's constructor."""
        return JsonObjectSchema(additional_properties=False)

    @classmethod
    @abstractmethod
    def get_data_types(cls) -> tuple[str, ...]:
        """Aliases of the data types this store can provide."""

    @abstractmethod
    def get_data_types_for_data(self, data_id: str) -> tuple[str, ...]:
        """Aliases of the data types *data_id* can be opened as."""

    @abstractmethod
    def get_data_ids(
        self, data_type: DataTypeLike = None, include_attrs: Container[str] | bool = False
    ) -> DataIdIter:
        """Yield data IDs, or ``(data_id, attrs)`` pairs when attributes are asked for."""

    def list_data_ids(
        self,
        data_type: DataTypeLike = None,
        include_attrs: Container[str] | bool = False,
    ) -> list[str | tuple[str, dict[str, Any]]]:
        """:meth:`get_data_ids` as a list."""
        return list(self.get_data_ids(data_type=data_type, include_attrs=include_attrs))

    def _listing_item(
        self, data_id: str, include_attrs: Container[str] | bool
    ) -> str | tuple[str, dict[str, Any]] | None:
        """What :meth:`get_data_ids` yields for *data_id*: the ID, or it with described
        attrs; None (skip it) when it cannot be described."""
        if not include_attrs:
            return data_id
        descriptor = self._described(data_id)
        if descriptor is None:
            return None
        attrs = descriptor.to_dict()
        del attrs["data_id"]
        if include_attrs is not True:
            attrs = {k: v for k, v in attrs.items() if k in include_attrs}
        return data_id, attrs

    def _described(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor | None:
        """*data_id*'s descriptor, or None with a warning naming it: one bad file
        must not stop an operation on the whole store."""
        try:
            return self.describe_data(data_id, data_type=data_type)
        except DataStoreError as error:
            warnings.warn(f"Skipping {data_id!r}: {error}", UserWarning, stacklevel=3)
            return None

    @abstractmethod
    def has_data(self, data_id: str, data_type: DataTypeLike = None) -> bool:
        """Whether *data_id* exists (and can be opened as *data_type*)."""

    @abstractmethod
    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor:
        """Describe *data_id* from its metadata, without loading its data."""

    @classmethod
    def get_search_params_schema(cls, data_type: DataTypeLike = None) -> JsonObjectSchema:
        """The parameters :meth:`search_data` accepts."""
        return JsonObjectSchema(
            properties=dict(
                bbox=JsonArraySchema(
                    items=JsonNumberSchema(),
                    min_items=4,
                    max_items=4,
                    description="Bounding box [west, south, east, north]; "
                    "finds data intersecting it",
                ),
                time_range=JsonArraySchema(
                    items=JsonDatetimeSchema(nullable=True),
                    min_items=2,
                    max_items=2,
                    description="Time range [start, stop]; finds data overlapping it",
                ),
                data_type=JsonStringSchema(
                    enum=list(cls.get_data_types()),
                    description="Data type of the data to find",
                ),
            ),
            additional_properties=False,
        )

    def get_search_data_params_schema(self, data_type: DataTypeLike = None) -> JsonObjectSchema:
        """Alias of :meth:`get_search_params_schema` (the name in the docs)."""
        return self.get_search_params_schema(data_type=data_type)

    def search_data(
        self, data_type: DataTypeLike = None, **search_params: Any
    ) -> Iterator[DataDescriptor]:
        """Yield descriptors of the data matching data type, bbox and time range."""
        return self._search(self._described, data_type, search_params)

    def _search(
        self,
        describe: Callable[[str, str | None], DataDescriptor | None],
        data_type: DataTypeLike,
        search_params: dict[str, Any],
    ) -> Iterator[DataDescriptor]:
        """:meth:`search_data` with *describe* telling each data ID's descriptor
        (None: skip it); the parameters are checked before the first is yielded."""
        if data_type is not None:
            search_params["data_type"] = DataType.normalize(data_type).alias
        params = self.get_search_params_schema().process(search_params)
        return self._matching(describe, params)

    def _matching(
        self, describe: Callable[[str, str | None], DataDescriptor | None], params: dict[str, Any]
    ) -> Iterator[DataDescriptor]:
        bbox, time_range = params.get("bbox"), params.get("time_range")
        for data_id in self.get_data_ids(data_type=params.get("data_type")):
            descriptor = describe(data_id, params.get("data_type"))
            if descriptor is None:
                continue
            if bbox and not _intersects(descriptor.bbox, bbox):
                continue
            if time_range and not _overlaps(descriptor.time_range, time_range):
                continue
            yield descriptor

    @abstractmethod
    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        """IDs of the openers usable for *data_id* and/or *data_type*."""

    @abstractmethod
    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        """The parameters :meth:`open_data` accepts for *data_id*."""

    @abstractmethod
    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """Open *data_id*; datasets open lazily, backed by Dask arrays."""

    # --- preloading (see intake_xstores.preload) ---------------------------------

    def get_preload_data_params_schema(self) -> JsonObjectSchema:
        """The parameters :meth:`preload_data` accepts (besides ``monitor``)."""
        return JsonObjectSchema(
            properties=dict(
                blocking=JsonBooleanSchema(
                    default=True, description="Return only when every data ID is preloaded"
                ),
                silent=JsonBooleanSchema(default=False, description="Show no progress"),
            ),
            additional_properties=False,
        )

    def preload_data(self, *data_ids: str, **preload_params: Any) -> PreloadedDataStore:
        """Fetch *data_ids* ahead of opening them; return the store to open them from.

        Stores whose data open lazily where they are have nothing to preload:
        this default checks the parameters and data IDs, sets
        ``preload_handle`` to a :class:`~intake_xstores.preload.NullPreloadHandle`
        and returns this store. Stores that do preload return their cache
        store, its ``preload_handle`` reporting progress and able to cancel.
        ``monitor=callable(handle, event)`` is told of each progress event.
        """
        preload_params.pop("monitor", None)
        try:
            self.get_preload_data_params_schema().process(preload_params)
        except DataStoreParamsError as error:
            raise DataStoreParamsError(f"Preload parameters of {self!r}: {error}") from None
        missing = [data_id for data_id in data_ids if not self.has_data(data_id)]
        if missing:
            raise DataStoreError(f"Cannot preload from {self!r}: no such data: {missing}")
        self.preload_handle = NullPreloadHandle()
        return self

    def __repr__(self) -> str:
        shown = secrets.redact(self._params, self.get_data_store_params_schema().secret_paths())
        params = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"{type(self).__name__}({params})"

    def __reduce__(self):
        return _restore_store, (type(self), self._params)


class MutableDataStore(DataStore, DataWriter):
    """A data store that can also write and delete data."""

    @abstractmethod
    def get_data_writer_ids(self, data_type: DataTypeLike = None) -> tuple[str, ...]:
        """IDs of the writers usable for *data_type*."""

    @abstractmethod
    def get_write_data_params_schema(self, writer_id: str | None = None) -> JsonObjectSchema:
        """The parameters :meth:`write_data` accepts."""

    @abstractmethod
    def write_data(self, data: Any, data_id: str | None = None, **write_params: Any) -> str:
        """Write *data*; return its data ID (generated when none is given).

        Besides a writer's own parameters, *write_params* of every store are
        ``writer_id`` (by default a writer of the data's type and the data ID's
        format) and ``replace`` (``False``, the default, never overwrites).
        A failed write leaves nothing.
        """

    @abstractmethod
    def delete_data(self, data_id: str, **delete_params: Any) -> None:
        """Delete *data_id*, or raise :class:`DataStoreError` if it is not there."""

    def register_data(self, data_id: str, data: Any) -> None:
        """Make data already in storage known as *data_id*; stores that find
        their data by listing storage (all built-in ones) need not."""

    def deregister_data(self, data_id: str) -> None:
        """Forget *data_id* without deleting it; see :meth:`register_data`."""


class CollectionListing:
    """``get_data_types``, ``get_data_types_for_data``, ``get_data_ids`` and
    ``has_data`` of a :class:`DataStore` whose data IDs are a fixed set of
    collections, each a dataset, known without asking a service or reading
    storage (the ``reference`` store's reference sets, ``eopf-zarr``'s and the
    ``stac_ardc`` stores' collections).

    The store gives ``collection_ids`` (in the order they are listed),
    ``collection(data_id)`` (which raises for an unknown ID) and ``lists_type``
    (whether a requested data type is one its datasets answer). Listing reads
    nothing unless attributes are asked for.
    """

    collection_ids: Container[str]

    @classmethod
    def get_data_types(cls) -> tuple[str, ...]:
        return (DATASET_TYPE.alias,)

    def get_data_types_for_data(self, data_id: str) -> tuple[str, ...]:
        self.collection(data_id)
        return (DATASET_TYPE.alias,)

    def get_data_ids(
        self, data_type: DataTypeLike = None, include_attrs: Container[str] | bool = False
    ) -> DataIdIter:
        if self.lists_type(data_type):
            for data_id in self.collection_ids:
                item = self._listing_item(data_id, include_attrs)
                if item is not None:
                    yield item

    def has_data(self, data_id: str, data_type: DataTypeLike = None) -> bool:
        return (
            isinstance(data_id, str)
            and data_id in self.collection_ids
            and self.lists_type(data_type)
        )


PreloadedDataStore = DataStore | Preloaded
"""What ``preload_data`` returns: a data store with a ``preload_handle``."""


def _restore_store(cls: type[DataStore], params: dict[str, Any]) -> DataStore:
    return cls(**params)


def _intersects(bbox, query) -> bool:
    if bbox is None:
        return False
    return not (
        bbox[2] < query[0] or bbox[0] > query[2] or bbox[3] < query[1] or bbox[1] > query[3]
    )


def _overlaps(time_range, query) -> bool:
    import pandas as pd

    def timestamp(text):  # UTC without a time zone, as data times are compared
        t = pd.Timestamp(text)
        return t.tz_convert(None) if t.tzinfo is not None else t

    if time_range is None:
        return False
    lo, hi = (timestamp(t) if t else None for t in time_range)
    qlo, qhi = (timestamp(t) if t else None for t in query)
    return (qhi is None or lo is None or lo <= qhi) and (qlo is None or hi is None or hi >= qlo)


# --- finding and creating stores -------------------------------------------


def find_data_store_extensions(
    predicate: Callable[[Extension], bool] | None = None,
    extension_registry: ExtensionRegistry | None = None,
) -> list[Extension]:
    """The installed data stores; ``ext.name`` is the store ID."""
    registry = extension_registry or get_extension_registry()
    return registry.find_extensions(EXTENSION_POINT_DATA_STORES, predicate)


def list_data_store_ids(detail: bool = False) -> list[str] | dict[str, dict[str, Any]]:
    """Installed store IDs, or with ``detail=True`` a mapping to their metadata."""
    extensions = find_data_store_extensions()
    if detail:
        return {e.name: dict(e.metadata) for e in extensions}
    return [e.name for e in extensions]


def get_data_store_class(
    store_id: str, extension_registry: ExtensionRegistry | None = None
) -> type[DataStore]:
    """The class implementing the store *store_id*."""
    registry = extension_registry or get_extension_registry()
    extension = registry.get_extension(EXTENSION_POINT_DATA_STORES, store_id)
    if extension is None:
        installed = ", ".join(repr(e.name) for e in find_data_store_extensions(None, registry))
        raise DataStoreParamsError(
            f"Unknown data store ID {store_id!r}; installed are: {installed}"
        )
    return extension.component


def get_data_store_params_schema(
    store_id: str, extension_registry: ExtensionRegistry | None = None
) -> JsonObjectSchema:
    """The parameters that :func:`new_data_store` accepts for *store_id*."""
    return get_data_store_class(store_id, extension_registry).get_data_store_params_schema()


def new_data_store(
    store_id: str, extension_registry: ExtensionRegistry | None = None, **store_params: Any
) -> DataStore:
    """Create the data store *store_id* with its parameters, validated first."""
    store_class = get_data_store_class(store_id, extension_registry)
    try:
        return store_class(**store_params)
    except DataStoreParamsError as error:
        raise DataStoreParamsError(f"Data store {store_id!r}: {error}") from None


def preloaded_location(cache: DataStore, data_id: str) -> tuple[str, str]:
    """``(store_id, data_id)`` of what preloading *data_id* put into *cache*.

    The data ID is *data_id* itself if the cache has it, else the one
    cache data ID named like it with another extension (``x.nc`` preloaded
    as ``x.zarr``, ``a.zip`` unpacked as ``a/b.zarr``). The store ID is the
    one whose class *cache* is an instance of.
    """
    store_id = next((e.name for e in find_data_store_extensions() if _is_class_of(e, cache)), None)
    if store_id is None:
        raise DataStoreError(f"Cannot tell which data store {cache!r} is")
    if cache.has_data(data_id):
        return store_id, data_id
    stem = data_id.rsplit(".", 1)[0]
    found = [
        d
        for d in cache.get_data_ids()
        if d.startswith(stem) and d[len(stem) : len(stem) + 1] in (".", "/")
    ]
    if len(found) != 1:
        which = f"several: {found}" if found else "none"
        raise DataStoreError(
            f"{data_id!r} was preloaded into {cache!r}, but which of its data IDs is it? "
            f"Found {which}; open the cache store's data directly"
        )
    return store_id, found[0]


def _is_class_of(extension: Any, store: Any) -> bool:
    try:
        return type(store) is extension.component
    except Exception:  # a plugin that cannot load is not the cache's store
        return False
