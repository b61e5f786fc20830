"""Data stores and their data IDs as Intake 2 data types.

Intake 2 separates *what* data is (a :class:`~intake.readers.datatypes.BaseData`)
from *how* it is read (a reader). Ours are :class:`XStore`, a data store
(its ID and parameters), and :class:`XStoreData`, one data ID of a store, so
``intake.recommend(XStore("s3", root=...))`` offers the store's catalog
reader and ``XStoreData(...).to_reader()`` its data reader.

Secrets among the store parameters are used but never shown: the public
``store_params`` (what ``repr``, ``to_entry()``, tokens and YAML see) hold
``{env(NAME)}`` templates in their place, the values themselves stay private.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from intake.readers import datatypes

from ...errors import DataStoreParamsError
from ...lru import LruCache
from ...schema import to_json_value
from ...store import DataStore, get_data_store_params_schema, new_data_store
from ..params import coerce_rendered, redact, v2_env_template
from .parameters import drop_unset

#: The stores catalogs and readers made, by ID and parameters.
_stores = LruCache(32)


def get_store(store_id: str, store_params: dict[str, Any] | None = None) -> DataStore:
    """The store *store_id* with *store_params*, made once and then shared.

    Catalogs (of both Intake faces) and the readers and sources of their
    entries share one store object; one unpickled on a Dask worker makes its
    own. Template-rendered strings in *store_params* are coerced to their
    schema's types first.
    """
    params = coerce_rendered(get_data_store_params_schema(store_id), store_params or {})
    key = json.dumps([store_id, params], sort_keys=True, default=repr)
    store = _stores.get(key)
    if store is None:
        store = new_data_store(store_id, **params)
        _stores.put(key, store)
    return store


def reader_data(first: Any, data: datatypes.BaseData | None, make: Callable[[], Any]) -> Any:
    """The data a reader reads: *first* when it is data (Intake 2 passes a
    reader its data first), else *data* if given, else ``make()`` of the
    store ID users pass first."""
    if isinstance(first, datatypes.BaseData):
        return first
    return data if data is not None else make()


class _InStore(datatypes.BaseData):
    """What both data types share: a store ID and the store's parameters."""

    def __init__(
        self,
        store_id: str,
        store_params: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        schema = get_data_store_params_schema(store_id)  # an unknown store ID fails here
        self.store_id = store_id
        self._store_params = drop_unset(schema, dict(store_params or {}))
        self.store_params = redact(
            store_id, schema, to_json_value(self._store_params), template=v2_env_template
        )
        super().__init__(metadata=metadata)

    @property
    def store(self) -> DataStore:
        """The data store (shared, see :func:`get_store`)."""
        return get_store(self.store_id, self._store_params)

    def with_store_params(self, **store_params: Any) -> _InStore:
        """The same data in the store with some parameters changed."""
        kwargs = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        kwargs["store_params"] = {**self._store_params, **store_params}
        return type(self)(**kwargs)


class XStore(_InStore, datatypes.Catalog):
    """A data store: groups of data, each read by the store's opener.

    ``XStore("file", {"root": "demo_data"})``; read by
    :class:`~.catalog.XStoreCatalogReader` into a catalog of its data IDs.
    """

    def data_of(self, data_id: str) -> XStoreData:
        """The data ID *data_id* of this store."""
        return XStoreData(self.store_id, self._store_params, data_id)


class XStoreData(_InStore):
    """The data ID *data_id* of a data store.

    ``XStoreData("file", {"root": "demo_data"}, "cubes/chl.zarr")``; read by
    :class:`~.readers.XStoreReader`.
    """

    def __init__(
        self,
        store_id: str,
        store_params: dict[str, Any] | None,
        data_id: str,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not data_id:
            raise DataStoreParamsError("Missing required parameter: data_id")
        self.data_id = data_id
        super().__init__(store_id, store_params, metadata)

    @property
    def data_types(self) -> tuple[str, ...]:
        """The data types the store can open this data ID as, the default first."""
        return tuple(self.store.get_data_types_for_data(self.data_id))
