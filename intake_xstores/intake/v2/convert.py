"""Intake 2 converters from and to what our readers produce.

``xarray.Dataset`` output is Intake's own type, so its converters (to Zarr,
NetCDF, a ``pandas.DataFrame``, hvplot, ``sel``) apply as they are. These add
the edges Intake lacks: a :class:`~intake_xstores.mldataset.MultiLevelDataset`
becomes one of its levels' ``Dataset``, a ``GeoDataFrame`` a plain
``DataFrame`` (whose converters then apply), and any of the three can be
written into a data store, giving the :class:`~.datatypes.XStoreData` that
reads it back.
"""

from __future__ import annotations

from typing import Any

from intake.readers.convert import BaseConverter

from .datatypes import XStoreData
from .readers import output_instance_of

_MLDATASET = output_instance_of("mldataset")
_DATASET = output_instance_of("dataset")
_GEODATAFRAME = output_instance_of("geodataframe")


class MultiLevelDatasetToDataset(BaseConverter):
    """One level of a multi-level dataset: 0 (the default) is the finest."""

    instances = {_MLDATASET: _DATASET}
    func = "intake_xstores.mldataset:MultiLevelDataset.get_dataset"

    def run(self, x: Any, level: int = 0, **_: Any) -> Any:
        return x.get_dataset(level)


class GeoDataFrameToDataFrame(BaseConverter):
    """The attribute table of a ``GeoDataFrame``, geometry as WKT text."""

    instances = {_GEODATAFRAME: "pandas:DataFrame"}
    func = "pandas:DataFrame"

    def run(self, x: Any, **_: Any) -> Any:
        import pandas as pd

        return pd.DataFrame(x.to_wkt())


class ToXStore(BaseConverter):
    """Write into a data store (``store.write_data``); gives the data written, to read back."""

    instances = {t: XStoreData.qname() for t in (_DATASET, _MLDATASET, _GEODATAFRAME)}
    func = "intake_xstores.store:MutableDataStore.write_data"

    def run(
        self,
        x: Any,
        store_id: str,
        data_id: str,
        store_params: dict[str, Any] | None = None,
        **write_params: Any,
    ) -> XStoreData:
        store = XStoreData(store_id, store_params, data_id).store
        written = store.write_data(x, data_id, **write_params)
        return XStoreData(store_id, store_params, written or data_id)
