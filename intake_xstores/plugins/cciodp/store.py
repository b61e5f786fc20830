"""``cciodp``: the ESA CCI Open Data Portal's datasets, found by OpenSearch, read by OPeNDAP.

Data IDs are the datasets' DRS IDs, ``esacci.<ECV>.<frequency>.<level>.<data
type>.<sensor>.<platform>.<product>.<version>.<realisation>``, listed by the
OpenSearch description document (one request). Describing a dataset asks for
its OpenSearch record, its ISO 19115 metadata, its file list and the
structure (DDS/DAS) of its first file; opening it returns a lazy cube whose
chunks are DAP2 subset requests (see :mod:`.cube`).
"""

from __future__ import annotations

import functools
import threading
import warnings
from typing import Any

from ...datatype import DATASET_TYPE, DataTypeLike
from ...descriptor import DatasetDescriptor, VariableDescriptor
from ...errors import DataStoreError, param_error
from ...extras import Needs
from ...schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonDatetimeSchema,
    JsonObjectSchema,
    JsonStringSchema,
    count_schema,
)
from ..base import ApiDataStore
from ..params import max_workers_schema, plain_bbox_schema, url_schema
from ..web import web_store_params_schema
from .portal import SERVICE

OPENSEARCH_URL = "https://archive.opensearch.ceda.ac.uk/opensearch/request"
DESCRIPTION_URL = (
    "https://archive.opensearch.ceda.ac.uk/opensearch/description.xml?parentIdentifier=cci"
)
OPENER_ID = "dataset:zarr:cciodp"
NEEDS = Needs(("requests", "pydap"), "cciodp")

#: The fields of a DRS ID after "esacci.", in order; ``institute`` is not one
#: of them and is matched against the dataset's record.
DRS_FIELDS = (
    "ecv", "frequency", "processing_level", "data_type", "sensor", "platform",
    "product_string", "product_version",
)  # fmt: skip
CCI_ATTRS = (*DRS_FIELDS, "institute")


class CciOdpDataStore(ApiDataStore):
    """The datasets of the ESA CCI Open Data Portal (read-only); see the module docstring."""

    opener_id = OPENER_ID

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return web_store_params_schema(
            endpoint_url=url_schema(OPENSEARCH_URL, "URL of the portal's OpenSearch requests"),
            endpoint_description_url=url_schema(
                DESCRIPTION_URL, "URL of the OpenSearch description listing the datasets"
            ),
            user_agent=JsonStringSchema(
                nullable=True, description="User-Agent header of every request"
            ),
            cache_size=count_schema(
                "Megabytes of chunks kept in memory once read, so that "
                "reading them again asks no server (0: none)",
                0,
                minimum=0,
            ),
            enable_warnings=JsonBooleanSchema(
                default=False,
                description="Warn of files the portal lists without an OPeNDAP link "
                "or a date (they are left out)",
            ),
            max_workers=max_workers_schema("OPeNDAP"),
        )

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._files: dict[str, Any] = {}
        self._records: dict[str, dict[str, Any]] = {}
        self._files_lock = threading.Lock()

    @functools.cached_property
    def client(self):
        NEEDS.check(f"The {SERVICE} store")
        from .portal import PortalClient

        p = self._params
        return PortalClient(
            p["num_retries"],
            p["retry_backoff_base"],
            p["retry_backoff_max"],
            user_agent=p.get("user_agent"),
            pool=p["max_workers"],
        )

    @functools.cached_property
    def chunk_cache(self):
        from .cube import ChunkCache

        return ChunkCache(self._params["cache_size"] * 2**20)

    # --- the catalogue ----------------------------------------------------------------

    @property
    def catalog_name(self) -> str:
        return f"the {SERVICE}"

    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        return self.client.data_ids(self._params["endpoint_description_url"])

    def record(self, data_id: str) -> dict[str, Any]:
        """The dataset's OpenSearch record, asked once."""
        self.entry(data_id)
        if data_id not in self._records:
            found = self.client.dataset_record(self._params["endpoint_url"], data_id)
            self._records.setdefault(data_id, found)
        return self._records[data_id]

    def files(self, data_id: str):
        """The dataset's files and their structure (:class:`.cube.CciFiles`), asked once."""
        with self._files_lock:
            if data_id not in self._files:
                self._files[data_id] = self._fetch_files(data_id)
            return self._files[data_id]

    def _fetch_files(self, data_id: str):
        import numpy as np
        import pandas as pd

        from .cube import LAT_NAMES, LON_NAMES, CciFiles
        from .dap import opendap_url, read_structure, read_subset

        uid = (self.record(data_id).get("properties") or {}).get("identifier")
        records = self.client.file_records(self._params["endpoint_url"], uid, repr(data_id))
        dated, skipped = [], []
        for rec in records:
            url, date = opendap_url(rec), (rec.get("properties") or {}).get("date", "")
            if url and "/" in date:
                start, end = (pd.Timestamp(t).tz_convert(None) for t in date.split("/"))
                dated.append((start, end, url))
            else:
                skipped.append((rec.get("properties") or {}).get("title") or rec.get("id"))
        if skipped and self._params["enable_warnings"]:
            warnings.warn(
                f"{data_id!r}: the {SERVICE} lists {len(skipped)} file(s) without an OPeNDAP "
                f"link or a date, left out: {', '.join(map(str, skipped[:5]))}",
                UserWarning,
                stacklevel=3,
            )
        if not dated:
            raise DataStoreError(f"The {SERVICE} lists no OPeNDAP files of {data_id!r}")
        dated.sort()
        variables = read_structure(self.client, dated[0][2])
        lat = next((n for n in LAT_NAMES if n in variables), None)
        lon = next((n for n in LON_NAMES if n in variables), None)
        if lat is None or lon is None:
            raise DataStoreError(
                f"{data_id!r} of the {SERVICE} has no 1-D lat/lon coordinates "
                f"(variables: {', '.join(variables)}); it cannot be opened as a cube"
            )
        coords = {
            n: np.asarray(
                read_subset(self.client, dated[0][2], n, (slice(0, variables[n].shape[0]),)),
                dtype="float64",
            )
            for n in (lat, lon)
        }
        return CciFiles(
            times=[(s, e) for s, e, _ in dated],
            urls=[u for _, _, u in dated],
            variables=variables,
            lat=coords[lat],
            lon=coords[lon],
            lat_dim=lat,
            lon_dim=lon,
        )

    # --- describing -------------------------------------------------------------------

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DatasetDescriptor:
        """From the OpenSearch record, the ISO 19115 metadata and the first file's DDS/DAS."""
        record = self.record(data_id)
        props = record.get("properties") or {}
        files = self.files(data_id)
        attrs: dict[str, Any] = {
            "title": props.get("title"),
            "drs_id": data_id,
            "num_files": len(files.urls),
        }
        for link in (props.get("links") or {}).get("describedby") or ():
            if isinstance(link, dict) and link.get("href"):
                attrs.update(self.client.iso_metadata(link["href"], repr(data_id)))
                break
        date = str(props.get("date") or "")
        time_range = tuple(date.split("/")) if "/" in date else None
        bbox = record.get("bbox")
        from .cube import NORMAL_NAMES

        yname, xname = (NORMAL_NAMES.get(d, d) for d in (files.lat_dim, files.lon_dim))
        return DatasetDescriptor(
            data_id,
            crs="EPSG:4326",
            bbox=tuple(float(v) for v in bbox) if bbox else None,
            time_range=time_range,
            dims={"time": len(files.urls), yname: files.lat.size, xname: files.lon.size},
            data_vars={
                name: VariableDescriptor(
                    name,
                    v.dtype.newbyteorder("=").str,
                    ("time", yname, xname),
                    attrs={k: a for k, a in v.attrs.items() if k != "_FillValue"},
                )
                for name, v in files.data_vars.items()
            },
            attrs={k: v for k, v in attrs.items() if v is not None},
            open_params_schema=self.get_open_data_params_schema(data_id),
        )

    # --- searching --------------------------------------------------------------------

    @classmethod
    def get_search_params_schema(cls, data_type: DataTypeLike = None) -> JsonObjectSchema:
        return JsonObjectSchema(
            properties=dict(
                start_date=JsonDatetimeSchema(description="Finds data ending at or after it"),
                end_date=JsonDatetimeSchema(description="Finds data starting at or before it"),
                bbox=plain_bbox_schema("[west, south, east, north]; finds data intersecting it"),
                cci_attrs=JsonObjectSchema(
                    properties={a: JsonStringSchema(min_length=1) for a in CCI_ATTRS},
                    additional_properties=False,
                    description="Parts of the DRS ID to match (e.g. ecv='SST', "
                    "frequency='day'), and the institute",
                ),
                data_type=JsonStringSchema(enum=list(cls.get_data_types())),
            ),
            additional_properties=False,
        )

    def search_data(self, data_type: DataTypeLike = None, **search_params: Any):
        """Datasets whose DRS ID matches ``cci_attrs`` (case-insensitive) and whose
        record overlaps the dates and bbox; asks for records only of those matching."""
        from ...store import _intersects, _overlaps

        if data_type is not None:
            search_params["data_type"] = DATASET_TYPE.alias
        params = self.get_search_params_schema().process(search_params)
        wanted = {k: v.lower() for k, v in (params.get("cci_attrs") or {}).items()}
        span = (params.get("start_date"), params.get("end_date"))
        for data_id in self.catalog:
            fields = dict(zip(DRS_FIELDS, data_id.split(".")[1:], strict=False))
            if any(fields.get(k, "").lower() != v for k, v in wanted.items() if k != "institute"):
                continue
            props = self.record(data_id).get("properties") or {}
            if (
                "institute" in wanted
                and str(props.get("institute", "")).lower() != wanted["institute"]
            ):
                continue
            date = str(props.get("date") or "")
            if any(span) and not ("/" in date and _overlaps(date.split("/"), span)):
                continue
            bbox = self.record(data_id).get("bbox")
            if params.get("bbox") and not (bbox and _intersects(bbox, params["bbox"])):
                continue
            yield self.describe_data(data_id)

    # --- opening ----------------------------------------------------------------------

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        names = list(self.files(data_id).data_vars) if data_id is not None else None
        return JsonObjectSchema(
            properties=dict(
                variable_names=JsonArraySchema(
                    items=JsonStringSchema(enum=names) if names else JsonStringSchema(),
                    unique_items=True,
                    description="Variables to read (default: all)",
                ),
                time_range=JsonArraySchema(
                    items=JsonDatetimeSchema(nullable=True),
                    min_items=2,
                    max_items=2,
                    description="[start, end]: the files overlapping it (default: all)",
                ),
                bbox=plain_bbox_schema("[west, south, east, north] in degrees (default: all)"),
                normalize_data=JsonBooleanSchema(
                    default=True,
                    description="Name the spatial dimensions lat/lon and let latitudes go north",
                ),
            ),
            additional_properties=False,
        )

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any):
        """A lazy cube of *data_id*; its chunks are OPeNDAP requests made when read."""
        import xarray as xr

        from .cube import cube_store

        params = self.processed_open_params(data_id, open_params)
        files = self._select_times(self.files(data_id), params.get("time_range"), data_id)
        names = params.get("variable_names") or list(files.data_vars)
        attrs = {
            "title": (self.record(data_id).get("properties") or {}).get("title"),
            "drs_id": data_id,
            "source": f"{SERVICE} (OPeNDAP)",
        }
        store = cube_store(
            self.client,
            files,
            names,
            params.get("bbox"),
            params["normalize_data"],
            self.chunk_cache,
            {k: v for k, v in attrs.items() if v},
            self._params["max_workers"],
        )
        # Dask chunks of up to 4 x 4 store chunks: one task keeps many requests in flight
        dims = store.arrays[names[0]]["dims"]
        chunks = dict(
            zip(dims, (1, *(4 * c for c in store.arrays[names[0]]["chunks"][1:])), strict=True)
        )
        return xr.open_zarr(store, consolidated=True, zarr_format=2, chunks=chunks)

    def _select_times(self, files, time_range, data_id: str):
        import dataclasses

        import pandas as pd

        if not time_range:
            return files
        lo, hi = (pd.Timestamp(t).tz_localize(None) if t else None for t in time_range)
        keep = [
            i
            for i, (s, e) in enumerate(files.times)
            if (hi is None or s <= hi) and (lo is None or e >= lo)
        ]
        if not keep:
            raise param_error(
                "time_range",
                list(time_range),
                problem=f"no file of {data_id!r} is in it",
                allowed=f"a range overlapping {files.times[0][0]} to {files.times[-1][1]}",
            )
        return dataclasses.replace(
            files, times=[files.times[i] for i in keep], urls=[files.urls[i] for i in keep]
        )
