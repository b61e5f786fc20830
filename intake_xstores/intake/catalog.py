"""The ``xstore`` Intake driver: a data store as an Intake catalog.

:class:`XStoreCatalog` builds its store with ``new_data_store`` and has one
entry per data ID, listed lazily, once, on first access. Each entry
(:class:`XStoreEntry`) makes an :class:`~.source.XStoreSource`; its user
parameters are the data ID's open parameters, from their JSON Schema, and
its metadata is the store's descriptor (bbox, time range, CRS, variables),
made when first asked for.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from intake.catalog import Catalog
from intake.catalog.entry import CatalogEntry

from .. import __version__
from ..coercion import coerce_text
from ..descriptor import DataDescriptor
from ..errors import DataStoreParamsError
from ..schema import to_json_value
from ..store import DataStore, get_data_store_params_schema, list_data_store_ids
from .params import (
    coerce_rendered,
    entry_description,
    entry_yaml,
    parameter_schema,
    redact_description,
    store_args,
    user_parameters,
    validate_user_values,
)
from .source import CONTAINERS, XStoreSource, descriptor_metadata, get_store
from .v2 import DataIdListing, DataIdLookupError, XStoreCatalogReader

# Keyword arguments of intake's Catalog; all others given to XStoreCatalog
# are store parameters.
_CATALOG_KWARGS = (
    "name",
    "description",
    "metadata",
    "ttl",
    "getenv",
    "getshell",
    "persist_mode",
    "user_parameters",
)


class XStoreEntry(CatalogEntry):
    """The catalog entry of one data ID.

    Its user parameters are the data ID's open parameters; calling it with
    values for them (``entry(chunks={"time": 1})``) validates them with
    Intake, then with the JSON Schema, and returns an
    :class:`~.source.XStoreSource`.
    """

    def __init__(
        self,
        store_id: str,
        store_params: dict[str, Any],
        data_id: str,
        descriptor: DataDescriptor | None = None,
        catalog: Catalog | None = None,
    ):
        super().__init__()
        self._store_id = store_id
        self._store_params = store_params
        self._data_id = data_id
        self._descriptor = descriptor
        self._catalog = catalog
        self._extra_parameters: list = []
        self._parameters: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._data_id

    @property
    def store(self) -> DataStore:
        return get_store(self._store_id, self._store_params)

    @property
    def _container(self) -> str:
        data_type = self.store.get_data_types_for_data(self._data_id)[0]
        return CONTAINERS.get(data_type, "python")

    @_container.setter
    def _container(self, value: str) -> None:
        pass  # derived from the data type

    @property
    def _schema(self):
        return self.store.get_open_data_params_schema(self._data_id)

    def _own_parameters(self) -> dict[str, Any]:
        if self._parameters is None:
            self._parameters = {p.name: p for p in user_parameters(self._schema)}
        return self._parameters

    @property
    def _user_parameters(self) -> list:
        return [*self._extra_parameters, *self._own_parameters().values()]

    @_user_parameters.setter
    def _user_parameters(self, value: list) -> None:
        # Intake's Catalog prepends its shared parameters; keep those only.
        own = self._own_parameters()
        self._extra_parameters = [
            p for p in value if getattr(p, "name", None) not in own and p not in own.values()
        ]

    @property
    def descriptor(self) -> DataDescriptor:
        """The store's descriptor of the data ID, made once, from metadata only."""
        with self._lock:
            if self._descriptor is None:
                self._descriptor = self.store.describe_data(self._data_id)
            return self._descriptor

    @property
    def _metadata(self) -> dict[str, Any]:
        return descriptor_metadata(self.descriptor)

    def _args(self) -> dict[str, Any]:
        return store_args(self._store_id, self._store_params, self._catalog, data_id=self._data_id)

    def describe(self) -> dict[str, Any]:
        """Name, container, driver, user parameters, args and the descriptor."""
        metadata = self._metadata  # first: the description uses the descriptor's title
        return {
            "name": self.name,
            "container": self._container,
            "plugin": [XStoreSource.name],
            "driver": [XStoreSource.name],
            "description": self._description(),
            "direct_access": True,
            "user_parameters": [p.describe() for p in self._user_parameters],
            "metadata": metadata,
            "args": self._args(),
        }

    def _description(self) -> str:
        descriptor = self._descriptor
        title = None
        if descriptor is not None:
            title = (getattr(descriptor, "attrs", None) or {}).get("title")
        return title or f"{self._data_id} in data store {self._store_id!r}"

    def get(self, **user_parameters: Any) -> XStoreSource:
        """The source of this data ID, opened with the given open parameters."""
        if not user_parameters and self._default_source is not None:
            return self._default_source
        values = validate_user_values(self._schema, user_parameters)
        source = XStoreSource(
            store_id=self._store_id,
            store_params=self._store_params,
            data_id=self._data_id,
            **values,
        )
        source._descriptor = self._descriptor if not values else None
        source.description = self._description()
        source.cat = source.catalog_object = self._catalog
        if not user_parameters:
            self._default_source = source
        return source

    def __repr__(self) -> str:
        return f"<XStoreEntry {self._data_id!r} of data store {self._store_id!r}>"

    def __getstate__(self) -> dict[str, Any]:
        return {
            "store_id": self._store_id,
            "store_params": self._store_params,
            "data_id": self._data_id,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["store_id"], state["store_params"], state["data_id"])


class _Entries(Mapping):
    """The entries of an :class:`XStoreCatalog`: data IDs, listed once, lazily.

    Keys are data IDs. Looking one up also accepts a data ID without its
    extension (``my_cube`` for ``my_cube.zarr``) or its file name without
    extension (``chl`` for ``cubes/chl.zarr``) when that is unique, and any
    data ID the store has, listed or not (e.g. below ``max_depth``): the
    listing and these rules are the Intake 2 catalog's
    (:class:`~.v2.DataIdListing`).
    """

    def __init__(self, catalog: XStoreCatalog):
        self._catalog = catalog
        self._entries: dict[str, XStoreEntry] = {}
        self._lock = threading.Lock()

    @functools.cached_property
    def listing(self) -> DataIdListing:
        """Made on first use: a catalog whose store parameters were refused says so then."""
        return DataIdListing(self._catalog.store, store_id=self._catalog.store_id)

    @property
    def data_ids(self) -> list[str]:
        return self.listing.data_ids

    @property
    def listed(self) -> bool:
        return self.listing.listed

    def clear(self) -> None:
        if "listing" in vars(self):  # nothing listed yet: nothing to forget
            self.listing.clear()
        with self._lock:
            self._entries.clear()

    def resolve(self, key: Any) -> str | None:
        """The data ID *key* names, or ``None``."""
        if isinstance(key, str) and key in self._entries:
            return key
        return self.listing.resolve(key)

    def __getitem__(self, key: str) -> XStoreEntry:
        data_id = self.resolve(key)
        if data_id is None:
            raise self.lookup_error(key)
        with self._lock:
            entry = self._entries.get(data_id)
            if entry is None:
                entry = self._catalog._new_entry(data_id)
                self._entries[data_id] = entry
            return entry

    def __contains__(self, key: object) -> bool:
        return self.resolve(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.data_ids)

    def __len__(self) -> int:
        return len(self.data_ids)


def _check_args(store_id: Any, store_params: Any) -> None:
    """Refuse the arguments of a broken YAML entry, naming the field and what it takes."""
    if not isinstance(store_id, str) or not store_id:
        raise DataStoreParamsError(
            f"Invalid value for 'store_id' of an xstore catalog: {store_id!r}; allowed: "
            f"the ID of an installed data store ({', '.join(list_data_store_ids())})"
        )
    if store_params is not None and not isinstance(store_params, Mapping):
        raise DataStoreParamsError(
            f"Invalid value for 'store_params' of the {store_id!r} xstore catalog: "
            f"{store_params!r}; allowed: a mapping of the store's parameter names to values"
        )


class XStoreCatalog(Catalog):
    """A data store as an Intake catalog: one entry per data ID.

    Parameters
    ----------
    store_id:
        ID of the data store, e.g. ``"file"``, ``"s3"``
        (see ``intake_xstores.list_data_store_ids()``).
    store_params:
        The store's parameters (see ``get_data_store_params_schema(store_id)``).
        Keyword arguments other than Intake's catalog arguments (``name``,
        ``metadata``, ...) are store parameters too, so
        ``intake.open_xstore("file", root="demo_data")`` and
        ``cat.s3(root="other-bucket")`` work.

    Entries are the store's data IDs, listed on first access and then kept
    (``force_reload()`` lists again). ``cat["a/b.zarr"]`` opens any data ID
    the store has, ``cat.b`` finds ``b.zarr`` when unique, and
    :meth:`search` maps to the store's ``search_data``.
    """

    name = "xstore"
    version = __version__
    container = "catalog"
    partition_access = None

    def __init__(
        self, store_id: str | None = None, store_params: dict[str, Any] | None = None, **kwargs: Any
    ):
        _check_args(store_id, store_params)
        catalog_kwargs = {k: kwargs.pop(k) for k in _CATALOG_KWARGS if k in kwargs}
        self.store_id = store_id
        schema = get_data_store_params_schema(store_id)
        self.store_params = coerce_rendered(schema, {**(store_params or {}), **kwargs})
        try:
            self._store: DataStore | None = get_store(store_id, self.store_params)
            self._store_error: DataStoreParamsError | None = None
        except DataStoreParamsError as error:
            # Kept for the first use: a catalog of stores (and Intake's GUI,
            # which makes every entry) still lists the others.
            self._store, self._store_error = None, error
        super().__init__(**catalog_kwargs)
        self.name = self.name or store_id

    @property
    def store(self) -> DataStore:
        """The data store behind this catalog; its parameters' error if they were refused."""
        if self._store_error is not None:
            raise self._store_error
        return self._store

    @property
    def reader(self) -> XStoreCatalogReader:
        """The Intake 2 reader of this store; ``cat.reader.read()`` is its Intake 2 catalog."""
        return XStoreCatalogReader(self.store_id, self.store_params)

    # --- entries --------------------------------------------------------------

    def _make_entries_container(self) -> _Entries:
        return _Entries(self)

    def _new_entry(self, data_id: str, descriptor: DataDescriptor | None = None) -> XStoreEntry:
        return XStoreEntry(self.store_id, self.store_params, data_id, descriptor, catalog=self)

    def _load(self) -> None:
        """Nothing to do now: data IDs are listed when first needed."""

    def reload(self) -> None:
        """Data IDs are listed once; use :meth:`force_reload` to list them again."""

    def force_reload(self) -> None:
        """Forget the listed data IDs; the next access lists them again, afresh."""
        super().force_reload()
        if isinstance(self._entries, _Entries):
            self._entries.clear()

    def __getitem__(self, key: Any) -> Any:
        """The source of a data ID (see the class doc); a clear ``KeyError`` if none."""
        try:
            return super().__getitem__(key)
        except DataIdLookupError:
            raise
        except KeyError:
            if not isinstance(key, str) or not isinstance(self._entries, _Entries):
                raise
            raise self._entries.listing.lookup_error(key) from None

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_") or item == "entry":
            return super().__getattr__(item)
        try:
            return self[item]
        except DataIdLookupError as error:
            raise AttributeError(str(error)) from None

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | self._entries.listing.short_names())

    # --- search ----------------------------------------------------------------

    def search(self, text: str | None = None, depth: int = 2, **search_params: Any) -> Catalog:
        """A catalog of the entries matching *text* and/or *search_params*.

        *search_params* are those of the store's ``search_data`` (for
        filesystem stores ``bbox=[w, s, e, n]``, ``time_range=[start,
        stop]`` and ``data_type``; see
        ``cat.store.get_search_params_schema()``). *text* matches, case
        insensitively, any of its words in a data ID or its description.
        """
        words = (text or "").lower().split()
        entries = {}
        for descriptor in self.store.search_data(**search_params):
            haystack = json.dumps(descriptor.to_dict(), default=str).lower()
            if words and not any(word in haystack for word in words):
                continue
            entry = self._new_entry(descriptor.data_id, descriptor)
            entries[descriptor.data_id] = entry
        catalog = Catalog.from_dict(
            entries,
            name=f"{self.name}_search",
            metadata={
                **(self.metadata or {}),
                "search": {
                    "text": text,
                    "params": to_json_value(search_params),
                    "upstream": self.name,
                },
            },
        )
        catalog.cat = self
        for entry in entries.values():
            entry._catalog = catalog
        return catalog

    # --- parameters, description and serialisation ------------------------------

    def configure_new(self, **kwargs: Any) -> XStoreCatalog:
        """A new catalog with some store parameters changed: ``cat(root="other")``.

        For an entry of a YAML catalog, text given for its declared parameters
        is read strictly by their types first (Intake itself reads ``"false"``
        for a ``bool`` as ``True``).
        """
        if self._entry is not None:
            parameters = getattr(self._entry, "_user_parameters", None) or ()
            declared = {p.name: p for p in parameters if not isinstance(p, dict)}
            for name, value in kwargs.items():
                if isinstance(value, str) and name in declared:
                    schema = parameter_schema(declared[name]).to_dict()
                    kwargs[name] = coerce_text(schema, value, name)
            return super().configure_new(**kwargs)
        schema = get_data_store_params_schema(self.store_id)
        values = validate_user_values(schema, kwargs)
        return XStoreCatalog(
            self.store_id, {**self.store_params, **values}, **self._catalog_kwargs()
        )

    __call__ = get = configure_new

    def _catalog_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self._captured_init_kwargs.items() if k in _CATALOG_KWARGS}

    def _args(self) -> dict[str, Any]:
        return store_args(self.store_id, self.store_params, self)

    def _yaml(self) -> dict[str, Any]:
        return entry_yaml(self, self._captured_init_kwargs.get("metadata") or {})

    def describe(self) -> dict[str, Any]:
        """Args, metadata and user parameters (the store's parameters)."""
        if self._entry is not None:
            return redact_description(self.store_id, self.entry.describe())
        return entry_description(self, get_data_store_params_schema(self.store_id))

    def serialize(self) -> str:
        """This catalog as a YAML catalog: one ``xstore_data`` source per data ID."""
        import yaml

        sources = {}
        for data_id in self:
            args = self._entries[data_id]._args()
            sources[data_id] = {"driver": XStoreSource.name, "args": args}
        output = {
            "metadata": to_json_value(self.metadata or {}),
            "name": self.name,
            "description": self.description,
            "sources": sources,
        }
        return yaml.safe_dump(output, sort_keys=False)

    def __repr__(self) -> str:
        return f"<Intake catalog {self.name!r} of data store {self.store!r}>"


def _secret(schema, name: str) -> bool:
    prop = schema.properties.get(name)
    return bool(prop is not None and prop.secret)
