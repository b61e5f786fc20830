"""``ApiDataStore``: what stores whose data IDs come from a web service's catalogue share.

Such a store asks its service once for the catalogue (the data IDs with what
the service says of each) and answers :meth:`get_data_ids`, :meth:`has_data`
and the "unknown data ID" error from it; the service is asked again only
after :meth:`refresh`.

A subclass implements only what is specific to its service:
:attr:`~ApiDataStore.catalog_name`, :meth:`~ApiDataStore.fetch_catalog`,
``get_data_opener_ids`` (or the class attribute ``opener_id``, for a store with
one opener) and ``open_data`` (and its store parameters). The
base gives the rest a default: data types (``default_data_types``), no open
parameters, descriptors built from the catalogue entries, search over the
catalogue, and a check of every ``open_data`` call (data ID, ``data_type``,
``opener_id`` and the open parameters against
``get_open_data_params_schema``) before the subclass's code runs. Helpers
for what several stores do alike:
:meth:`~ApiDataStore.check_data_type`, :meth:`~ApiDataStore.processed_open_params`,
``preload_params``, :func:`writable_cache_store` and :func:`by_data_id`.
"""

from __future__ import annotations

import functools
import importlib
import threading
from abc import abstractmethod
from collections.abc import Callable, Container, Iterator
from typing import Any, ClassVar, TypeVar

from ..datatype import ANY_TYPE, DATASET_TYPE, DataType, DataTypeLike
from ..descriptor import DataDescriptor, descriptor_from_metadata
from ..errors import DataStoreError, DataStoreParamsError, param_error
from ..schema import JsonObjectSchema
from ..store import DataIdIter, DataStore, new_data_store


class ApiDataStore(DataStore):
    """A read-only store listing the entries of a web service's catalogue."""

    default_data_types: ClassVar[tuple[str, ...]] = (DATASET_TYPE.alias,)
    #: The one opener of a store that has one; others override get_data_opener_ids.
    opener_id: ClassVar[str | None] = None
    """The data types of every data ID, unless a subclass says otherwise per data ID."""

    preload_params: ClassVar[str | None] = None
    """``"module:NAME"`` of the store's own preload parameters (a dict of schemas),
    added to the default ones; imported only when asked for, as preloading is."""

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._catalog: dict[str, dict[str, Any]] | None = None
        self._catalog_lock = threading.Lock()

    def __init_subclass__(cls, **kwargs: Any):
        """Check the request before each subclass's own ``open_data`` runs."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("open_data")
        if own is not None and not hasattr(own, "__checked_open__"):
            cls.open_data = _checking_open_request(own)

    # --- the catalogue ----------------------------------------------------------

    @property
    @abstractmethod
    def catalog_name(self) -> str:
        """The catalogue as errors name it, e.g. ``"Zenodo record '42'"``."""

    @abstractmethod
    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        """Ask the service for its data IDs, in order, each with its metadata."""

    @property
    def catalog(self) -> dict[str, dict[str, Any]]:
        """The data IDs and their metadata, fetched once."""
        with self._catalog_lock:
            if self._catalog is None:
                self._catalog = self.fetch_catalog()
            return self._catalog

    def refresh(self) -> None:
        """Forget the catalogue, so the next call asks the service again."""
        with self._catalog_lock:
            self._catalog = None

    def entry(self, data_id: str) -> dict[str, Any]:
        """The catalogue entry of *data_id*, or an error naming the catalogue."""
        entry = self.catalog.get(data_id) if isinstance(data_id, str) else None
        if entry is None:
            known = list(self.catalog)
            shown = ", ".join(repr(i) for i in known[:10]) + (", ..." if len(known) > 10 else "")
            raise DataStoreError(
                f"Data resource {data_id!r} is not in {self.catalog_name}; "
                f"its data IDs are: {shown or 'none'}"
            )
        return entry

    def get_data_ids(
        self, data_type: DataTypeLike = None, include_attrs: Container[str] | bool = False
    ) -> DataIdIter:
        for data_id in self.catalog:
            if self._is_of_type(data_id, data_type):
                yield self._listing_item(data_id, include_attrs)

    def has_data(self, data_id: str, data_type: DataTypeLike = None) -> bool:
        return (
            isinstance(data_id, str)
            and data_id in self.catalog
            and self._is_of_type(data_id, data_type)
        )

    def _is_of_type(self, data_id: str, data_type: DataTypeLike) -> bool:
        data_type = DataType.normalize(data_type)
        return data_type is ANY_TYPE or data_type.alias in self.get_data_types_for_data(data_id)

    # --- data types -------------------------------------------------------------

    @classmethod
    def get_data_types(cls) -> tuple[str, ...]:
        return cls.default_data_types

    def get_data_types_for_data(self, data_id: str) -> tuple[str, ...]:
        self.entry(data_id)
        return self.get_data_types()

    def checked_data_type(self, data_id: str, data_type: DataTypeLike = None) -> str:
        """The alias *data_id* is to be described or opened as: *data_type*, or by
        default its first; an error naming both if it cannot be that."""
        types = self.get_data_types_for_data(data_id)
        wanted = DataType.normalize(data_type)
        if wanted is ANY_TYPE:
            return types[0]
        if wanted.alias not in types:
            raise param_error(
                "data_type",
                wanted.alias,
                problem=f"data ID {data_id!r} of {self.catalog_name} is a "
                + " or a ".join(repr(t) for t in types),
            )
        return wanted.alias

    def check_data_type(self, data_id: str, data_type: DataTypeLike) -> None:
        """Raise unless *data_id* can be *data_type*; the error names the types it can be."""
        if not self._is_of_type(data_id, data_type):
            types = " or ".join(repr(t) for t in self.get_data_types_for_data(data_id))
            raise param_error("data_type", data_type, allowed=f"{types} for {data_id!r}")

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        """:attr:`opener_id`: an error for an unknown *data_id*, no opener for a
        *data_type* none of :attr:`default_data_types` is."""
        if self.opener_id is None:
            raise NotImplementedError(
                f"{type(self).__name__} must set opener_id or override get_data_opener_ids"
            )
        if data_id is not None:
            self.entry(data_id)
        if data_type is not None and not any(
            DataType.normalize(t).is_super_type_of(data_type) for t in self.default_data_types
        ):
            return ()
        return (self.opener_id,)

    # --- descriptions and search ------------------------------------------------

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor:
        """*data_id* described from its catalogue entry alone, asking the service
        nothing more: entry items named like descriptor fields (``bbox``,
        ``time_range``, ``crs``...) fill them, the others become ``attrs``.
        Subclasses whose service tells more per data ID override it."""
        return self.catalog_descriptor(data_id, data_type)

    def catalog_descriptor(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor:
        """The descriptor :meth:`describe_data` makes by default, from the catalogue."""
        alias = self.checked_data_type(data_id, data_type)
        try:
            return descriptor_from_metadata(
                data_id,
                alias,
                self.entry(data_id),
                open_params_schema=self.get_open_data_params_schema(data_id),
            )
        except DataStoreParamsError as error:
            raise DataStoreError(
                f"{self.catalog_name} describes {data_id!r} in a way that cannot be read: {error}"
            ) from None

    def search_data(
        self, data_type: DataTypeLike = None, **search_params: Any
    ) -> Iterator[DataDescriptor]:
        """Yield descriptors of the data matching data type, bbox and time range.

        Matched against the catalogue (:meth:`catalog_descriptor`), so a search
        costs the one catalogue request however many data IDs it finds; only a
        data ID whose entry cannot tell what the search asks (no bbox, say) is
        described by :meth:`describe_data`, which may ask the service.
        """
        needs = [k for k in ("bbox", "time_range") if search_params.get(k) is not None]

        def describe(data_id: str, alias: str | None) -> DataDescriptor | None:
            try:
                descriptor = self.catalog_descriptor(data_id, alias)
            except DataStoreError:
                return self._described(data_id, alias)
            if any(getattr(descriptor, k) is None for k in needs):
                return self._described(data_id, alias)
            return descriptor

        return self._search(describe, data_type, search_params)

    # --- opening ----------------------------------------------------------------

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        """None by default: a service's data opens as it is."""
        if data_id is not None:
            self.entry(data_id)
        return JsonObjectSchema(additional_properties=False)

    def get_preload_data_params_schema(self) -> JsonObjectSchema:
        schema = super().get_preload_data_params_schema()
        if self.preload_params is not None:
            module, _, name = self.preload_params.partition(":")
            schema.properties.update(getattr(importlib.import_module(module), name))
        return schema

    def check_open_request(
        self, data_id: str, opener_id: str | None, open_params: dict[str, Any]
    ) -> None:
        """Raise unless ``open_data(data_id, opener_id, **open_params)`` may go ahead.

        Called before every subclass's ``open_data``: the data ID must be in the
        catalogue, ``data_type`` and ``opener_id`` allowed for it, and each other
        open parameter known to :meth:`get_open_data_params_schema` and valid there.
        """
        params = dict(open_params)
        self.checked_data_type(data_id, params.pop("data_type", None))
        if opener_id is not None:
            allowed = self.get_data_opener_ids(data_id)
            if opener_id not in allowed:
                shown = ", ".join(repr(i) for i in allowed) or "none"
                raise param_error("opener_id", opener_id, allowed=shown)
        schema = self.get_open_data_params_schema(data_id, opener_id)
        # Each parameter alone (its name known, its value valid); rules across
        # parameters (required, oneOf) are the store's, whose words are better.
        each = JsonObjectSchema(
            properties=schema.properties, additional_properties=schema.additional_properties
        )
        try:
            each.validate_instance(params)
        except DataStoreParamsError as error:
            raise DataStoreParamsError(
                f"Open parameters of {data_id!r} of {self.catalog_name}: {error}"
            ) from None

    def processed_open_params(self, data_id: str, open_params: dict[str, Any]) -> dict[str, Any]:
        """*open_params* without ``data_type``, defaults filled in by the schema of
        *data_id*: what ``open_data`` works from once :meth:`check_open_request`
        has let the request through (so data type and opener need no second check)."""
        params = {k: v for k, v in open_params.items() if k != "data_type"}
        return self.get_open_data_params_schema(data_id).process(params)


_Entry = TypeVar("_Entry")


def by_data_id(*entries: _Entry) -> dict[str, _Entry]:
    """A store's fixed table of *entries* (each with a ``data_id``: the datasets
    or collections it offers), keyed by data ID in their order."""
    return {entry.data_id: entry for entry in entries}  # type: ignore[attr-defined]


def writable_cache_store(store_id: str, params: dict[str, Any]) -> Any:
    """The data store *store_id* with *params*, where a store keeps what it
    preloads: an error naming ``cache_store_id`` unless it is a writable
    filesystem store (preloading writes Zarr cubes through its filesystem)."""
    from ..fs.store import FsDataStore

    store = new_data_store(store_id, **params)
    if not isinstance(store, FsDataStore) or store.read_only:
        raise param_error(
            "cache_store_id",
            store_id,
            allowed="a writable filesystem store, such as 'file', 'memory' or 's3'",
        )
    return store


def _checking_open_request(open_data: Callable[..., Any]) -> Callable[..., Any]:
    """*open_data*, run only once :meth:`ApiDataStore.check_open_request` passes."""

    @functools.wraps(open_data)
    def checked(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        self.check_open_request(data_id, opener_id, open_params)
        return open_data(self, data_id, opener_id, **open_params)

    checked.__checked_open__ = True  # type: ignore[attr-defined]
    return checked
