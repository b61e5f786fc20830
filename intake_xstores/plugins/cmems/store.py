"""``CmemsDataStore``: the datasets of the Copernicus Marine Service, opened lazily.

Data IDs are the service's dataset IDs (``cmems_mod_glo_phy-thetao_anfc_0.083deg_P1D-m``),
read from its STAC metadata (see :mod:`.metadata`). ``describe_data`` reads the
dataset's STAC item only; ``open_data`` opens the ARCO Zarr store that suits
the request (``timeChunked`` for maps, ``geoChunked`` for time series) lazily
over HTTPS and cuts it to the requested variables, time range and area.

The ``copernicusmarine`` toolbox is not used: it cannot be pointed at another
service without patching (it validates credentials against a fixed login
server), and the metadata and ARCO stores are public HTTPS resources that
fsspec and xarray read directly. The store still accepts the credentials,
as xcube-cmems does, so code written for it runs; they are masked like every
secret, and sent nowhere.
"""

from __future__ import annotations

import functools
import os
import warnings
from typing import Any

from ...datatype import DATASET_TYPE, DataTypeLike
from ...descriptor import DatasetDescriptor, VariableDescriptor
from ...errors import DataStoreError, error_text, param_error
from ...schema import (
    JsonArraySchema,
    JsonDatetimeSchema,
    JsonObjectSchema,
    JsonStringSchema,
)
from ..base import ApiDataStore
from ..params import bbox_schema, url_schema
from ..web import RETRY_PARAMS, WebClient
from . import metadata

#: The toolbox's clients configuration (``COPERNICUSMARINE_CONFIG_URL``).
CMEMS_METADATA_URL = "https://s3.waw3-1.cloudferro.com/mdl-metadata/clientsConfigV1.json"

OPENER_ID = f"{DATASET_TYPE.alias}:zarr:cmems"

#: Parameters of the retired THREDDS/CAS/CSW service, and what replaced them.
RETIRED_PARAMS = {
    "cas_url": "the CAS login (credentials are now cmems_username/cmems_password)",
    "csw_url": "the CSW catalogue (the catalogue is now the STAC metadata at 'metadata_url')",
    "databases": "the 'nrt'/'my' THREDDS databases (both are now datasets of the STAC metadata)",
    "server": "the THREDDS/OPeNDAP server (data now come from the ARCO Zarr stores)",
}

_RENAMES = {"latitude": "lat", "longitude": "lon"}

#: Where the Copernicus Marine toolbox reads credentials that are not given.
CREDENTIAL_VARIABLES = {
    "cmems_username": "COPERNICUSMARINE_SERVICE_USERNAME",
    "cmems_password": "COPERNICUSMARINE_SERVICE_PASSWORD",
}


class CmemsDataStore(ApiDataStore):
    """The Copernicus Marine Service's datasets, described from metadata, opened lazily."""

    opener_id = OPENER_ID

    def __init__(self, **params: Any):
        retired = [name for name in RETIRED_PARAMS if params.get(name) is not None]
        for name in retired:
            warnings.warn(
                f"Store parameter {name!r} of 'cmems' is deprecated and ignored: it set "
                f"{RETIRED_PARAMS[name]}, retired with the THREDDS service in 2024",
                DeprecationWarning,
                stacklevel=3,
            )
        for name, variable in CREDENTIAL_VARIABLES.items():
            if params.get(name) is None and os.environ.get(variable):
                params[name] = os.environ[variable]
        super().__init__(**params)

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        from ...fs.accessor import get_protocol

        retired = {
            name: JsonStringSchema(nullable=True, description=f"Deprecated, ignored: {what}")
            for name, what in RETIRED_PARAMS.items()
        }
        return JsonObjectSchema(
            properties=dict(
                cmems_username=JsonStringSchema(
                    secret=True,
                    description="Copernicus Marine user name, by default "
                    "$COPERNICUSMARINE_SERVICE_USERNAME (accepted as xcube-cmems does; "
                    "the metadata and ARCO stores are public, so it is sent nowhere)",
                ),
                cmems_password=JsonStringSchema(
                    secret=True,
                    description="Copernicus Marine password, by default "
                    "$COPERNICUSMARINE_SERVICE_PASSWORD (accepted as xcube-cmems does; "
                    "sent nowhere)",
                ),
                metadata_url=url_schema(
                    CMEMS_METADATA_URL,
                    "URL of the service's clients configuration, which names its "
                    "STAC metadata (the toolbox's COPERNICUSMARINE_CONFIG_URL)",
                ),
                storage_options=get_protocol("https").get_storage_options_schema(),
                **RETRY_PARAMS,
                **retired,
            ),
            additional_properties=False,
        )

    @functools.cached_property
    def client(self) -> WebClient:
        return WebClient.for_store("Copernicus Marine", self._params)

    # --- the catalogue ----------------------------------------------------------

    @property
    def catalog_name(self) -> str:
        return f"the Copernicus Marine metadata at {self._params['metadata_url']}"

    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        return metadata.read_catalog(self.client, self._params["metadata_url"])

    def item(self, data_id: str) -> dict[str, Any]:
        """The STAC item of *data_id*'s newest version."""
        entry = self.entry(data_id)
        if "item" not in entry:
            entry["item"] = self.client.get_json(entry["item_url"], f"dataset {data_id!r}")
        return entry["item"]

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DatasetDescriptor:
        """Describe *data_id* from its STAC item alone (the dataset is not opened)."""
        self.check_data_type(data_id, data_type)
        item, entry = self.item(data_id), self.entry(data_id)
        dims = metadata.dimensions(item)
        time = dims.get("time", {}).get("extent") or [None, None]
        res = dims.get("latitude", {}).get("step") or dims.get("longitude", {}).get("step")
        return DatasetDescriptor(
            data_id,
            crs="EPSG:4326",
            bbox=item.get("bbox"),
            time_range=(_date(time[0]), _date(time[1])),
            time_period=dims.get("time", {}).get("step"),
            spatial_res=abs(res) if res else None,
            data_vars={
                name: VariableDescriptor(
                    name,
                    "float32",
                    tuple(_RENAMES.get(d, d) for d in var.get("dimensions", ())),
                    attrs={"units": var.get("unit"), "standard_name": var.get("standardName")},
                )
                for name, var in metadata.variables(item).items()
            },
            attrs={
                "title": item.get("properties", {}).get("title"),
                "product_id": entry["product_id"],
                "product_title": entry["product_title"],
                "version": entry["version"],
            },
            open_params_schema=self.get_open_data_params_schema(data_id),
        )

    # --- opening ------------------------------------------------------------------

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        names = list(metadata.variables(self.item(data_id))) if data_id is not None else None
        return JsonObjectSchema(
            properties=dict(
                variable_names=JsonArraySchema(
                    items=JsonStringSchema(enum=names),
                    min_items=1,
                    unique_items=True,
                    description="Variables to open; by default all",
                ),
                time_range=JsonArraySchema(
                    items=[JsonDatetimeSchema(nullable=True)] * 2,
                    description="Time range [start, end]; by default all",
                ),
                bbox=bbox_schema(
                    "Area [west, south, east, north] in degrees; by default all", east=360
                ),
            ),
            additional_properties=False,
        )

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """Open *data_id* lazily from the ARCO Zarr store that suits the request."""
        import xarray as xr

        params = self.processed_open_params(data_id, open_params)
        bbox, time_range = params.get("bbox"), params.get("time_range")
        if bbox is not None and (bbox[0] >= bbox[2] or bbox[1] >= bbox[3]):
            raise param_error("bbox", bbox, problem="west must be < east and south < north")
        item = self.item(data_id)
        layout, href = metadata.layout_for(item, time_range, bbox)
        try:
            mapper = self.client.fs.get_mapper(href)
            ds = xr.open_zarr(mapper, consolidated=True)
        except Exception as error:
            raise DataStoreError(
                f"Copernicus Marine's {layout} ARCO store of {data_id!r} at {href} "
                f"cannot be opened: {error_text(error)}"
            ) from error
        ds = ds.rename({k: v for k, v in _RENAMES.items() if k in ds.variables})
        if params.get("variable_names"):
            ds = ds[params["variable_names"]]
        if time_range is not None and "time" in ds.dims:
            ds = ds.sel(time=slice(*(None if t is None else _naive(t) for t in time_range)))
        if bbox is not None:
            ds = _cut(ds, bbox)
        ds.attrs.update(
            title=item.get("properties", {}).get("title", data_id),
            source=f"Copernicus Marine Service, dataset {data_id!r}",
            arco_layout=layout,
        )
        return ds


def _cut(ds, bbox):
    west, south, east, north = bbox
    lat = ds["lat"].values
    ascending = len(lat) < 2 or lat[0] <= lat[-1]
    lat_slice = slice(south, north) if ascending else slice(north, south)
    return ds.sel(lon=slice(west, east), lat=lat_slice)


def _naive(text: str):
    import pandas as pd

    stamp = pd.Timestamp(text)
    return stamp.tz_convert(None) if stamp.tzinfo else stamp


def _date(text: str | None) -> str | None:
    return None if text is None else str(_naive(text).date())
