"""A data store as an Intake 2 catalog, and Intake 2 catalogs of data stores.

:class:`XStoreCatalogReader` reads an :class:`~.datatypes.XStore` into a
:class:`StoreCatalog`, an ``intake.readers.entry.Catalog`` whose entries are
the store's data IDs: each a ``ReaderDescription`` of an
:class:`~.readers.XStoreReader` whose metadata is the store's descriptor
(bbox, time range, CRS, variables) and whose user parameters are the open
parameters (:mod:`.parameters`).

Lazy where Intake 2 allows: looking up a data ID (``cat["a/b.zarr"]``)
lists nothing; a name that is not a data ID (``cat.chl`` for
``cubes/chl.zarr``), ``list()``, ``len()``, ``repr()`` and tab completion
list the store once (:class:`DataIdListing`); an entry is described when it
is first looked up. Saving (``to_yaml_file``), ``to_dict()`` and
``search()`` make and describe every entry (:meth:`StoreCatalog.materialize`).

:func:`store_reader_v2` writes the other kind of entry, a store whose
parameters are Intake 2 user parameters; :func:`catalog_v2` gathers such
entries into a catalog (``xstores catalog --v2``).
"""

from __future__ import annotations

import copy
import difflib
import posixpath
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

from intake.readers import BaseReader
from intake.readers.entry import Catalog, ReaderDescription

from ...descriptor import DataDescriptor
from ...errors import DataStoreError
from ...fs.store import FsDataStore
from ...schema import JsonObjectSchema, to_json_value
from ...store import DataStore, get_data_store_params_schema, list_data_store_ids
from ..params import redact, v2_env_template
from .datatypes import XStore, reader_data
from .parameters import schema_parameters
from .readers import XStoreReader, descriptor_metadata, output_instance_of


class DataIdListing:
    """The data IDs of one store, listed once when first needed, and names resolved to them.

    A name resolves to a data ID when it is one (checked without listing
    while nothing is listed), else to the only data ID it is the stem
    (``my_cube`` for ``my_cube.zarr``) or file name stem (``chl`` for
    ``cubes/chl.zarr``) of. Shared by the catalogs of both Intake faces.
    Given *data_ids* (e.g. found by a search), those are the listing and
    no other data ID resolves.
    """

    def __init__(
        self, store: DataStore, data_ids: list[str] | None = None, store_id: str | None = None
    ) -> None:
        self.store = store
        self.store_id = store_id
        self.fixed = data_ids is not None
        self._data_ids = None if data_ids is None else list(data_ids)
        self._lock = threading.Lock()

    @property
    def data_ids(self) -> list[str]:
        """The store's data IDs, listed on first use."""
        with self._lock:
            if self._data_ids is None:
                data_ids = list(self.store.get_data_ids())
                if not data_ids and isinstance(self.store, FsDataStore):
                    self.store.assert_root_exists()  # a typo in root is no empty catalog
                self._data_ids = data_ids
            return self._data_ids

    @property
    def listed(self) -> bool:
        return self._data_ids is not None

    def clear(self) -> None:
        """Forget the listing; the next use lists again."""
        with self._lock:
            if not self.fixed:
                self._data_ids = None

    def resolve(self, key: Any) -> str | None:
        """The data ID *key* names, or ``None``."""
        if not isinstance(key, str) or not key:
            return None
        if self.listed and key in self.data_ids:
            return key
        if not self.listed and self._has_data(key):
            return key
        matches = self.named_by(key)
        if len(matches) == 1:
            return matches[0]
        if self.listed and self._has_data(key):
            return key
        return None

    def named_by(self, key: str) -> list[str]:
        """The data IDs *key* names without extension, or as a file name without extension."""
        matches = [i for i in self.data_ids if _stem(i) == key]
        return matches or [i for i in self.data_ids if posixpath.basename(_stem(i)) == key]

    def lookup_error(self, key: Any) -> DataIdLookupError:
        """Why *key* names no single data ID: not there (with close matches), or ambiguous."""
        root = (getattr(self.store, "params", None) or {}).get("root")
        where = f"data store {self.store_id!r}" if self.store_id else repr(self.store)
        where += f" (root {root!r})" if root else ""
        matches = self.named_by(key) if isinstance(key, str) and key else []
        if len(matches) > 1:
            return DataIdLookupError(
                f"{key!r} is ambiguous in {where}: it names {', '.join(map(repr, matches))}; "
                f"use the full data ID, e.g. cat[{matches[0]!r}]"
            )
        close = difflib.get_close_matches(str(key), self.data_ids, n=3)
        hint = f"; close matches: {', '.join(map(repr, close))}" if close else ""
        return DataIdLookupError(
            f"No data ID {key!r} in {where}{hint} ({len(self.data_ids)} data IDs listed)"
        )

    def short_names(self) -> set[str]:
        """The file-name stems that name one data ID each and are Python names."""
        stems = [posixpath.basename(_stem(i)) for i in self.data_ids]
        return {s for s in stems if stems.count(s) == 1 and s.isidentifier()}

    def _has_data(self, key: str) -> bool:
        if self.fixed:
            return False
        try:
            return self.store.has_data(key)
        except (DataStoreError, ValueError):
            return False


class DataIdLookupError(KeyError):
    """A key that names no data ID of a catalog, or more than one; the message says which."""

    def __str__(self) -> str:
        return str(self.args[0])


def _stem(data_id: str) -> str:
    return posixpath.splitext(data_id.rstrip("/"))[0]


class _LazyMapping(MutableMapping):
    """Data ID -> ``make(data_id)``, made on first lookup; entries set by hand kept beside.

    Truthy without listing, so Intake's ``entries or {}`` keeps it lazy.
    """

    def __init__(self, listing: DataIdListing, make: Callable[[str], Any]) -> None:
        self._listing = listing
        self._make = make
        self._made: dict[str, Any] = {}
        self._added: dict[str, Any] = {}
        self._removed: set[str] = set()

    def _data_id(self, key: Any) -> str | None:
        data_id = self._listing.resolve(key)
        return None if data_id in self._removed else data_id

    def __getitem__(self, key: str) -> Any:
        if key in self._added:
            return self._added[key]
        data_id = self._data_id(key)
        if data_id is None:
            raise KeyError(key)
        if data_id not in self._made:
            self._made[data_id] = self._make(data_id)
        return self._made[data_id]

    def __setitem__(self, key: str, value: Any) -> None:
        self._added[key] = value

    def __delitem__(self, key: str) -> None:
        if key in self._added:
            del self._added[key]
            return
        data_id = self._data_id(key)
        if data_id is None:
            raise KeyError(key)
        self._removed.add(data_id)

    def __contains__(self, key: object) -> bool:
        return key in self._added or self._data_id(key) is not None

    def __iter__(self) -> Iterator[str]:
        listed = (i for i in self._listing.data_ids if i not in self._removed)
        return iter([*listed, *self._added])

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<entries of {self._listing.store!r}, listed when first needed>"


class StoreCatalog(Catalog):
    """The data IDs of a data store as an Intake 2 catalog (see the module doc)."""

    def __init__(
        self,
        data: XStore,
        metadata: dict[str, Any] | None = None,
        data_ids: list[str] | None = None,
    ) -> None:
        self._store_data = data
        self._listing = DataIdListing(data.store, data_ids, store_id=data.store_id)
        super().__init__(
            entries=_LazyMapping(self._listing, self._entry),
            aliases=_LazyMapping(self._listing, str),
            metadata=metadata,
        )

    @property
    def store(self) -> DataStore:
        """The data store behind this catalog."""
        return self._listing.store

    def _entry(self, data_id: str, descriptor: DataDescriptor | None = None) -> ReaderDescription:
        """The entry of *data_id*: an XStoreReader, its open parameters user parameters."""
        store = self.store
        descriptor = descriptor or store.describe_data(data_id)
        parameters = schema_parameters(store.get_open_data_params_schema(data_id))
        return ReaderDescription(
            reader=XStoreReader.qname(),
            kwargs={
                "data": self._store_data.data_of(data_id),
                # nested: Intake 2 takes a top-level argument named like a
                # parameter as a value for it
                "parameter_values": {name: _template(name) for name in parameters},
            },
            user_parameters=parameters,
            metadata=descriptor_metadata(descriptor),
            output_instance=output_instance_of(descriptor.data_type),
        )

    def __getitem__(self, item: str) -> Any:
        try:
            return super().__getitem__(item)
        except KeyError as error:
            if error.args != (item,):
                raise
            raise self._listing.lookup_error(item) from None

    def __call__(self, **kwargs: Any) -> StoreCatalog:
        """This catalog with values for user parameters: ``local(chunks={"time": 1})``."""
        configured = copy.copy(self)
        configured._up_overrides = {**self._up_overrides, **kwargs}
        return configured

    def materialize(self) -> Catalog:
        """A plain catalog with every entry made (each data ID described), e.g. to save.

        Its entries name the store and data ID as reader arguments, each
        secret an ``{env(NAME)}`` template.
        """
        catalog = Catalog(metadata=dict(self.metadata))
        for name in self.entries:
            entry = copy.copy(self.entries[name])
            kwargs = dict(entry.kwargs)
            entry.kwargs = {**kwargs.pop("data").to_entry().kwargs, **kwargs}
            catalog.add_entry(entry, name=name)
            catalog.aliases[name] = name
        return catalog

    def to_dict(self) -> dict[str, Any]:
        """The catalog as Intake 2 writes it (every entry made, see :meth:`materialize`)."""
        return self.materialize().to_dict()

    def _dic_for_comp(self) -> dict[str, Any]:
        data = self._store_data
        return {"store_id": data.store_id, "store_params": data.store_params}

    def search(self, expr: Any = None, **search_params: Any) -> StoreCatalog:
        """A catalog of the entries matching *expr* and the store's *search_params*.

        *expr* is Intake's (text, or an ``intake.readers.search`` expression);
        *search_params* are those of the store's ``search_data`` (for
        filesystem stores ``bbox=[w, s, e, n]``, ``time_range=[start, stop]``,
        ``data_type``).
        """
        from intake.readers.search import Text

        if isinstance(expr, str):
            expr = Text(expr)
        found = {}
        for descriptor in self.store.search_data(**search_params):
            entry = self._entry(descriptor.data_id, descriptor)
            if expr is None or expr.filter(entry):
                found[descriptor.data_id] = entry
        metadata = {**self.metadata, "search": to_json_value(search_params)}
        catalog = StoreCatalog(self._store_data, metadata, data_ids=list(found))
        catalog.entries._made.update(found)
        return catalog

    def force_reload(self) -> None:
        """Forget the listed data IDs and the entries made; the next use lists again."""
        self._listing.clear()
        self.entries._made.clear()

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | self._listing.short_names())

    def __reduce__(self):
        data_ids = self._listing.data_ids if self._listing.fixed else None
        state = {"_up_overrides": self._up_overrides}
        return StoreCatalog, (self._store_data, self.metadata, data_ids), state

    def __repr__(self) -> str:
        return f"<Intake 2 catalog of data store {self.store!r}>"


class XStoreCatalogReader(BaseReader):
    """Read a data store into a :class:`StoreCatalog` of its data IDs.

    ``XStoreCatalogReader("file", root="demo_data").read()``; store
    parameters are keyword arguments (or a ``store_params`` dict), and
    calling the reader with some changes them: ``reader(root="other")``.
    """

    implements = {XStore}
    output_instance = Catalog.qname()
    func_doc = "intake_xstores.store:DataStore.get_data_ids"

    def __init__(
        self,
        store_id: str | XStore | None = None,
        store_params: dict[str, Any] | None = None,
        *,
        data: XStore | None = None,
        metadata: dict[str, Any] | None = None,
        output_instance: str | None = None,
        **more_store_params: Any,
    ) -> None:
        data = reader_data(store_id, data, lambda: XStore(store_id, store_params))
        if more_store_params:
            data = data.with_store_params(**more_store_params)
        super().__init__(data=data, metadata=metadata, output_instance=output_instance)

    def _read(self, data: XStore, **store_params: Any) -> StoreCatalog:
        if store_params:
            data = data.with_store_params(**store_params)
        description = list_data_store_ids(detail=True).get(data.store_id, {}).get("description")
        metadata = {"store_id": data.store_id, "description": description, **self.metadata}
        return StoreCatalog(data, metadata=metadata)


# --- catalogs of stores --------------------------------------------------------


def store_reader_v2(
    store_id: str,
    params: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> ReaderDescription:
    """The Intake 2 catalog entry declaring the store *store_id* (as
    ``store_catalog_entry`` is the Intake 1 face's); :func:`catalog_v2`
    makes a catalog of such entries.

    The entry is an :class:`XStoreCatalogReader`. Each top-level store
    parameter given in *params* or with a default in the schema is a user
    parameter of it (its default the value given, else the schema's),
    templated into ``store_params``; values holding templates
    (``"{CATALOG_DIR}/data"``, ``"{env(NAME)}"``), objects (``storage_options``)
    and secrets are written as they are, each secret replaced by an
    ``{env(NAME)}`` template. A user parameter's default may read the
    environment: ``"env(NAME)"``.
    """
    schema = get_data_store_params_schema(store_id)
    params = dict(params or {})
    JsonObjectSchema.from_dict({**schema.to_dict(), "required": []}).validate_instance(params)
    secret_roots = {path[0] for path in schema.secret_paths()}
    defaults, store_params = {}, {}
    for key, prop in schema.to_dict().get("properties", {}).items():
        if key not in params:
            if key not in secret_roots and "default" in prop:
                defaults[key] = None  # declared with the schema's default
                store_params[key] = _template(key)
            continue  # not declared; a value given to the reader still counts
        value = params[key]
        if key in secret_roots or prop.get("properties") is not None or _templated(value):
            store_params[key] = value  # as it is; templates are rendered when read
        else:
            defaults[key] = value
            store_params[key] = _template(key)
    if description is None:
        description = list_data_store_ids(detail=True).get(store_id, {}).get("description")
    # The store's parameters are the reader's (Intake 2.0.9 loads the user
    # parameters of a reader's entry from YAML, not those of a data entry).
    return ReaderDescription(
        XStoreCatalogReader.qname(),
        kwargs={
            "store_id": store_id,
            "store_params": redact(store_id, schema, store_params, template=v2_env_template),
        },
        user_parameters={
            key: p for key, p in schema_parameters(schema, defaults).items() if key in defaults
        },
        output_instance=XStoreCatalogReader.output_instance,
        metadata={"description": description or f"The {store_id!r} data store"},
    )


def catalog_v2(entries: Mapping[str, ReaderDescription]) -> Catalog:
    """An Intake 2 catalog of *entries* by name, each name also an alias
    (``cat.local`` and ``cat["local"]`` both reach it)."""
    catalog = Catalog()
    for name, entry in entries.items():
        catalog.add_entry(entry, name=name)
        catalog.aliases[name] = name
    return catalog


def _template(name: str) -> str:
    """The Intake 2 template of user parameter *name*."""
    return "{" + name + "}"


def _templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{" in value
    if isinstance(value, Mapping):
        return any(_templated(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_templated(v) for v in value)
    return False


def catalog_yaml(catalog: Catalog) -> str:
    """*catalog* as the YAML text ``Catalog.to_yaml_file`` writes."""
    import yaml

    return yaml.safe_dump(catalog.to_dict(), sort_keys=False, default_flow_style=False)
