"""The ``xstore_data`` Intake driver: one data ID of one data store.

:class:`XStoreSource` opens its data through the store's opener, so whatever
the store can open, Intake can: datasets (container ``xarray``, lazy Dask
arrays from :meth:`~XStoreSource.to_dask`), multi-level datasets
(:meth:`~XStoreSource.to_mldataset`) and vector data (container
``dataframe``, a ``GeoDataFrame`` from :meth:`~XStoreSource.read`).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from intake.source.base import DataSource, Schema

from .. import __version__
from ..descriptor import DataDescriptor
from ..errors import DataStoreParamsError
from ..store import DataStore, get_data_store_params_schema, new_data_store
from .params import (
    catalog_templates,
    coerce_rendered,
    redact,
    redact_description,
    to_json_value,
    user_parameters,
)

CONTAINERS: dict[str, str] = {
    "dataset": "xarray",
    "mldataset": "xarray",
    "geodataframe": "dataframe",
}
"""The Intake container of each data type."""

_STORE_CACHE_SIZE = 32
_stores: OrderedDict[str, DataStore] = OrderedDict()
_stores_lock = threading.Lock()


def get_store(store_id: str, store_params: dict[str, Any] | None = None) -> DataStore:
    """The store *store_id* with *store_params*, made once and then shared.

    Catalogs and the sources of their entries share one store object; a
    source unpickled on a Dask worker makes its own. Template-rendered
    strings in *store_params* are coerced to their schema's types first.
    """
    params = coerce_rendered(get_data_store_params_schema(store_id), store_params or {})
    key = json.dumps([store_id, params], sort_keys=True, default=repr)
    with _stores_lock:
        store = _stores.get(key)
        if store is not None:
            _stores.move_to_end(key)
            return store
    store = new_data_store(store_id, **params)
    with _stores_lock:
        _stores[key] = store
        while len(_stores) > _STORE_CACHE_SIZE:
            _stores.popitem(last=False)
    return store


def descriptor_metadata(descriptor: DataDescriptor) -> dict[str, Any]:
    """What a descriptor tells, as Intake metadata (open parameters excluded)."""
    metadata = descriptor.to_dict()
    metadata.pop("data_id", None)
    metadata.pop("open_params_schema", None)
    return metadata


class XStoreSource(DataSource):
    """The data ID *data_id* of the store *store_id*, as an Intake source.

    Parameters
    ----------
    store_id:
        ID of the data store, e.g. ``"file"`` or ``"s3"``.
    store_params:
        The store's parameters (see ``get_data_store_params_schema(store_id)``).
    data_id:
        The data ID within the store, e.g. ``"cubes/chl.zarr"``.
    open_params:
        Parameters of ``store.open_data`` (see
        ``store.get_open_data_params_schema(data_id)``); keyword arguments
        are open parameters too, so ``source(chunks={"time": 1})`` works.
    metadata:
        Extra metadata; ``discover()`` adds what the store's descriptor tells.
    """

    name = "xstore_data"
    version = __version__
    container = "xarray"
    partition_access = False

    def __init__(
        self,
        store_id: str,
        store_params: dict[str, Any] | None = None,
        data_id: str | None = None,
        open_params: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        if not data_id:
            raise DataStoreParamsError("Missing required parameter: data_id")
        super().__init__(metadata=dict(metadata or {}))
        self.store_id = store_id
        self.store_params = dict(store_params or {})
        self.data_id = data_id
        self.open_params = {**(open_params or {}), **kwargs}
        self.name = data_id
        self._descriptor: DataDescriptor | None = None
        self._data: Any = None
        self.container = CONTAINERS.get(self.data_type, "python")

    # --- the store and the data type ----------------------------------------

    @property
    def store(self) -> DataStore:
        """The data store this source reads from."""
        return get_store(self.store_id, self.store_params)

    @property
    def data_type(self) -> str:
        """Alias of the data type this source opens as, e.g. ``"dataset"``."""
        data_type = self.open_params.get("data_type")
        if data_type:
            return str(data_type)
        return self.store.get_data_types_for_data(self.data_id)[0]

    def _open_params(self) -> dict[str, Any]:
        schema = self.store.get_open_data_params_schema(self.data_id)
        return coerce_rendered(schema, self.open_params)

    # --- Intake's DataSource interface --------------------------------------

    @property
    def descriptor(self) -> DataDescriptor:
        """The store's descriptor of this data ID; made once, from metadata only."""
        if self._descriptor is None:
            self._descriptor = self.store.describe_data(self.data_id, data_type=self.data_type)
        return self._descriptor

    def _get_schema(self) -> Schema:
        descriptor = self.descriptor
        metadata = descriptor_metadata(descriptor)
        dtype = shape = None
        data_vars = getattr(descriptor, "data_vars", None)
        if data_vars is not None:
            dims = descriptor.dims or {}
            dtype = {name: var.dtype for name, var in data_vars.items()}
            shape = {name: tuple(dims.get(d) for d in var.dims) for name, var in data_vars.items()}
        feature_schema = getattr(descriptor, "feature_schema", None)
        if feature_schema is not None:
            properties = feature_schema.to_dict().get("properties", {})
            dtype = {name: prop.get("type") for name, prop in properties.items()}
        return Schema(
            dtype=dtype,
            shape=shape,
            npartitions=1,
            extra_metadata=metadata,
        )

    def _get_partition(self, i: int) -> Any:
        return self.read()

    def to_dask(self) -> Any:
        """The data, lazily: an ``xarray.Dataset`` backed by Dask arrays.

        For a multi-level dataset this is its base (finest) level; for vector
        data a ``dask_geopandas`` frame, if that package is installed.
        """
        data_type = self.data_type
        if data_type == "mldataset":
            return self.to_mldataset().base_dataset
        if data_type == "geodataframe":
            try:
                import dask_geopandas
            except ImportError:
                raise NotImplementedError(
                    f"{self.data_id!r} is vector data: use read() for a GeoDataFrame, "
                    "or install dask-geopandas for to_dask()"
                ) from None
            return dask_geopandas.from_geopandas(self._open(), npartitions=1)
        return self._open()

    def read(self) -> Any:
        """The data, loaded: a ``Dataset`` in memory, or a ``GeoDataFrame``."""
        if self.data_type == "geodataframe":
            return self._open()
        return self.to_dask().load()

    def read_chunked(self):
        """Yield the data in one piece (the data are not partitioned)."""
        yield self.read()

    def to_mldataset(self) -> Any:
        """The data as a ``MultiLevelDataset`` (for ``.levels``), opened lazily."""
        if self.data_type == "mldataset":
            return self._open()
        return self.store.open_data(
            self.data_id, **{**self._open_params(), "data_type": "mldataset"}
        )

    def _open(self) -> Any:
        if self._data is None:
            self._data = self.store.open_data(self.data_id, **self._open_params())
        return self._data

    def _close(self) -> None:
        data, self._data = self._data, None
        close = getattr(data, "close", None)
        if callable(close):
            close()

    # --- description and serialisation ---------------------------------------

    def _args(self) -> dict[str, Any]:
        schema = get_data_store_params_schema(self.store_id)
        args: dict[str, Any] = {
            "store_id": self.store_id,
            "store_params": redact(
                self.store_id, schema, self.store_params, templates=catalog_templates(self)
            ),
            "data_id": self.data_id,
        }
        if self.open_params:
            args["open_params"] = to_json_value(self.open_params)
        return args

    def _yaml(self) -> dict[str, Any]:
        metadata = dict(self._captured_init_kwargs.get("metadata") or {})
        metadata.pop("catalog_dir", None)
        return {
            "sources": {
                self.name: {
                    "driver": "xstore_data",
                    "description": self.description or "",
                    "metadata": to_json_value(metadata),
                    "args": self._args(),
                }
            }
        }

    def describe(self) -> dict[str, Any]:
        """Args, metadata and user parameters, like a catalog entry's ``describe()``."""
        if self._entry is not None:
            return redact_description(self.store_id, self.entry.describe())
        schema = self.store.get_open_data_params_schema(self.data_id)
        return {
            "name": self.name,
            "container": self.container,
            "plugin": [self.__class__.name],
            "driver": [self.__class__.name],
            "description": self.description,
            "direct_access": True,
            "user_parameters": [p.describe() for p in user_parameters(schema)],
            "metadata": self.metadata,
            "args": self._args(),
        }
