"""The Intake 2 reader of one data ID: the one place both Intake faces open data.

:class:`XStoreReader` opens a data ID with its store's opener and produces
what the data type says: an ``xarray.Dataset`` (lazy, Dask-backed), a
:class:`~intake_xstores.mldataset.MultiLevelDataset` or a
``geopandas.GeoDataFrame``. The Intake v1 source
(:class:`~intake_xstores.intake.source.XStoreSource`) opens through it too.
"""

from __future__ import annotations

from typing import Any

from intake.readers import BaseReader

from ...datatype import DataType, DataTypeLike
from ...descriptor import DataDescriptor
from ..params import coerce_rendered
from ..plots import suggest_plots
from .datatypes import XStoreData, reader_data
from .parameters import drop_unset


def output_instance_of(data_type: DataTypeLike) -> str:
    """Intake 2's name of the class a data type opens as, e.g. ``"xarray:Dataset"``."""
    module, _, name = DataType.normalize(data_type).type_path.rpartition(".")
    return f"{module}:{name}"


def descriptor_metadata(descriptor: DataDescriptor) -> dict[str, Any]:
    """What a descriptor tells, as catalog metadata (open parameters excluded).

    A dataset's metadata declares quick maps for hvplot and Intake's GUI in
    ``plots`` (see :func:`..plots.suggest_plots`).
    """
    metadata = descriptor.to_dict()
    metadata.pop("data_id", None)
    metadata.pop("open_params_schema", None)
    plots = suggest_plots(metadata)
    if plots:
        metadata["plots"] = plots
    return metadata


class XStoreReader(BaseReader):
    """Open a data ID of a data store with the store's opener.

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
        ``store.get_open_data_params_schema(data_id)``); keyword arguments are
        open parameters too. Text is read as the schema's type; ``None`` for a
        parameter that does not take it means "not given".
    data:
        Instead of the three above, an :class:`~.datatypes.XStoreData`
        (also accepted as the first argument).
    parameter_values:
        Open parameters as a catalog's user parameters give them: there
        ``None`` is what an unset parameter without a default renders to, so
        it means "not given" (the format's default applies); *open_params*
        take precedence.

    ``read()`` opens lazily; the output type follows the ``data_type`` open
    parameter, else the data ID's default data type
    (``XStoreReader("file", {"root": "demo_data"}, "dem.tif", data_type="mldataset")``
    produces a ``MultiLevelDataset``).
    """

    implements = {XStoreData}
    output_instance = output_instance_of("dataset")
    func_doc = "intake_xstores.store:DataStore.open_data"

    def __init__(
        self,
        store_id: str | XStoreData | None = None,
        store_params: dict[str, Any] | None = None,
        data_id: str | None = None,
        *,
        open_params: dict[str, Any] | None = None,
        parameter_values: dict[str, Any] | None = None,
        data: XStoreData | None = None,
        metadata: dict[str, Any] | None = None,
        output_instance: str | None = None,
        **more_open_params: Any,
    ) -> None:
        data = reader_data(store_id, data, lambda: XStoreData(store_id, store_params, data_id))
        given = {k: v for k, v in (parameter_values or {}).items() if v is not None}
        open_params = {**given, **(open_params or {}), **more_open_params}
        data_type = open_params.get("data_type")
        if data_type or not output_instance:
            output_instance = output_instance_of(data_type or data.data_types[0])
        super().__init__(
            data=data, metadata=metadata, output_instance=output_instance, **open_params
        )

    @property
    def descriptor(self) -> DataDescriptor:
        """The store's descriptor of the data (bbox, time range, variables); metadata only."""
        data_type = self.kwargs.get("data_type") or self.data.data_types[0]
        return self.data.store.describe_data(self.data.data_id, data_type=data_type)

    def _read(self, data: XStoreData, **open_params: Any) -> Any:
        store = data.store
        schema = store.get_open_data_params_schema(data.data_id)
        params = drop_unset(schema, coerce_rendered(schema, open_params))
        return store.open_data(data.data_id, **params)
