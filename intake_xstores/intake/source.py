"""The ``xstore_data`` Intake driver: one data ID of one data store.

:class:`XStoreSource` is the Intake v1 face of the Intake 2 reader
:class:`~.v2.XStoreReader`: it opens its data through that reader, with the
store's opener, so whatever the store can open, Intake can: datasets
(container ``xarray``, lazy Dask arrays from :meth:`~XStoreSource.to_dask`),
multi-level datasets (:meth:`~XStoreSource.to_mldataset`) and vector data
(container ``dataframe``, a ``GeoDataFrame`` from :meth:`~XStoreSource.read`).
"""

from __future__ import annotations

from typing import Any

from intake.source.base import DataSource, Schema

from .. import __version__
from ..descriptor import DataDescriptor
from ..errors import DataStoreParamsError
from ..schema import to_json_value
from ..store import DataStore
from .params import (
    entry_description,
    entry_yaml,
    redact_description,
    store_args,
)
from .v2 import XStoreData, XStoreReader, descriptor_metadata, get_store

CONTAINERS: dict[str, str] = {
    "dataset": "xarray",
    "mldataset": "xarray",
    "geodataframe": "dataframe",
}
"""The Intake container of each data type."""


class XStoreSource(DataSource):
    """The data ID *data_id* of the store *store_id*, as an Intake source.

    *store_id*, *store_params*, *data_id* and *open_params* are those of
    :class:`~.v2.readers.XStoreReader`, which opens it; keyword arguments are
    open parameters too, so ``source(chunks={"time": 1})`` works. *metadata*
    is extra metadata; ``discover()`` adds what the store's descriptor tells.
    """

    name = "xstore_data"
    version = __version__
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
        self._described = False
        self._data: Any = None

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

    @property
    def container(self) -> str:
        """Intake's container of the data type; asked of the store when first needed,
        so that making a source costs no I/O."""
        return CONTAINERS.get(self.data_type, "python")

    @container.setter
    def container(self, value: str) -> None:
        pass  # derived from the data type

    @property
    def reader(self) -> XStoreReader:
        """The Intake 2 reader this source opens its data with."""
        data = XStoreData(self.store_id, self.store_params, self.data_id)
        return XStoreReader(data=data, open_params=self.open_params)

    # --- Intake's DataSource interface --------------------------------------

    @property
    def metadata(self) -> dict[str, Any]:
        """The metadata given, completed by the descriptor on first access.

        So what Intake's GUI, ``yaml()`` and hvplot read of a source tells its
        bbox, time range, variables and quick maps (``plots``; ``{}`` for data
        without a map). Metadata given wins over the descriptor's.
        """
        metadata = self.__dict__.setdefault("_metadata", {})
        if self.__dict__.get("_described") is False:
            described = descriptor_metadata(self.descriptor)
            plots = {**described.pop("plots", {}), **metadata.get("plots", {})}
            for key, value in described.items():
                metadata.setdefault(key, value)
            metadata["plots"] = plots
            self._described = True
        return metadata

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        self._metadata = dict(value or {})

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
        """The data as a ``MultiLevelDataset``, opened lazily.

        The stored levels of a ``.levels`` dataset or a COG's overviews; a
        plain cube is a multi-level dataset of one level.
        """
        if self.data_type == "mldataset":
            return self._open()
        if "mldataset" in self.store.get_data_types_for_data(self.data_id):
            return self.reader(data_type="mldataset").read()
        if self.data_type != "dataset":
            raise NotImplementedError(
                f"{self.data_id!r} is {self.data_type} data, which has no multi-level form"
            )
        from ..mldataset import MultiLevelDataset

        return MultiLevelDataset.from_datasets([self._open()], ds_id=self.data_id)

    def _open(self) -> Any:
        if self._data is None:
            self._data = self.reader.read()
        return self._data

    def _close(self) -> None:
        data, self._data = self._data, None
        close = getattr(data, "close", None)
        if callable(close):
            close()

    def preload(self, **preload_params: Any) -> XStoreSource:
        """Preload this data ID (``store.preload_data``) and return the source of the copy.

        For data that must be fetched before they open (a NetCDF file in a
        web archive, a zip): blocks with progress by default (see
        ``store.get_preload_data_params_schema()``). Data that open where
        they are need no preloading: this source is returned.
        """
        from ..errors import DataStoreError
        from ..preload import PreloadStatus
        from ..store import preloaded_location

        cache = self.store.preload_data(self.data_id, **preload_params)
        cache.preload_handle.wait()
        state = cache.preload_handle.get_state(self.data_id)
        if state.status not in (None, PreloadStatus.completed):
            raise DataStoreError(f"Preloading {self.data_id!r} {state.status}: {state.message}")
        if cache is self.store:
            return self
        store_id, data_id = preloaded_location(cache, self.data_id)
        return XStoreSource(store_id, cache.params, data_id, metadata=self.metadata)

    # --- description and serialisation ---------------------------------------

    def _args(self) -> dict[str, Any]:
        args = store_args(self.store_id, self.store_params, self, data_id=self.data_id)
        if self.open_params:
            args["open_params"] = to_json_value(self.open_params)
        return args

    def _yaml(self) -> dict[str, Any]:
        return entry_yaml(self, self.metadata)

    def describe(self) -> dict[str, Any]:
        """Args, metadata and user parameters, like a catalog entry's ``describe()``."""
        if self._entry is not None:
            return redact_description(self.store_id, self.entry.describe())
        return entry_description(self, self.store.get_open_data_params_schema(self.data_id))
