"""``CdsDataStore``: datasets of the Copernicus Climate Data Store, retrieved on request.

The CDS has no files to open lazily: each :meth:`CdsDataStore.open_data` is a
retrieve job the service queues, runs and then offers for download (see
:mod:`.job`). The data IDs, their variables, grids and time extents are known
without asking the service (:mod:`.datasets`), so listing, describing and
searching need no network and no key; only opening talks to the CDS.

The API key and URL are found as ``cdsapi`` finds them: the store parameters,
else ``CDSAPI_URL``/``CDSAPI_KEY``, else ``~/.cdsapirc`` (or the file
``CDSAPI_RC`` names).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from typing import Any

from ... import secrets
from ...datatype import DATASET_TYPE, DataTypeLike
from ...descriptor import DatasetDescriptor, VariableDescriptor
from ...errors import DataStoreError, error_text, param_error
from ...schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonDateSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
    seconds_schema,
)
from ..base import ApiDataStore
from ..params import bbox_schema
from ..web import web_store_params_schema
from .datasets import DATASETS, CdsDataset

CDS_API_URL = "https://cds.climate.copernicus.eu/api"

OPENER_ID = f"{DATASET_TYPE.alias}:netcdf:cds"


class CdsDataStore(ApiDataStore):
    """The datasets of the Copernicus Climate Data Store (CDS) as data IDs.

    Opening one submits a retrieve job for the requested variables, area and
    time range, shows its progress while it is queued and running, downloads
    the result and returns it as a normalised dataset in memory.
    """

    opener_id = OPENER_ID

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return web_store_params_schema(
            endpoint_url=JsonStringSchema(
                pattern="^https?://",
                description=f"URL of the CDS API; by default CDSAPI_URL, the url of "
                f"~/.cdsapirc, else {CDS_API_URL}",
            ),
            cds_api_key=JsonStringSchema(
                secret=True,
                min_length=1,
                description="Your CDS API key (from your CDS profile page); by default "
                "CDSAPI_KEY or the key of ~/.cdsapirc",
            ),
            normalize_names=JsonBooleanSchema(
                default=False,
                description="Make variable names Python identifiers (other characters become '_')",
            ),
            poll_interval=seconds_schema(
                "Seconds between the first polls of a job's status; each "
                "next waits 1.5 times as long, up to poll_interval_max",
                1.0,
                zero=False,
            ),
            poll_interval_max=seconds_schema(
                "Most seconds between polls of a job's status", 30.0, zero=False
            ),
            job_timeout=seconds_schema(
                "Seconds to wait for a job to finish before giving up "
                "(the job is then deleted); by default no limit",
                zero=False,
            ),
            progress=JsonBooleanSchema(
                default=True,
                description="Show a progress bar while a job is queued, runs and downloads",
            ),
        )

    # --- the catalogue (known without the service) ------------------------------

    @property
    def catalog_name(self) -> str:
        return "the CDS datasets of the 'cds' store"

    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        return {data_id: {"title": d.title} for data_id, d in DATASETS.items()}

    def _dataset(self, data_id: str) -> CdsDataset:
        self.entry(data_id)
        return DATASETS[data_id]

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DatasetDescriptor:
        """Describe *data_id* from what the CDS catalogue publishes of it (no request)."""
        d = self._dataset(data_id)
        self.check_data_type(data_id, data_type)
        x, y = ("lon", "lat") if d.crs == "EPSG:4326" else ("xc", "yc")
        return DatasetDescriptor(
            data_id,
            crs=d.crs,
            bbox=_full_bbox(d),
            time_range=(d.time_start, d.time_end),
            time_period=d.time_period,
            spatial_res=d.spatial_res,
            data_vars={
                name: VariableDescriptor(name, "float32", ("time", y, x))
                for name in d.variable_names
            },
            attrs={"title": d.title, "cds_collection": d.collection},
            open_params_schema=self.get_open_data_params_schema(data_id),
        )

    # --- opening ------------------------------------------------------------------

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        if data_id is None:
            return JsonObjectSchema(
                properties=dict(
                    variable_names=JsonArraySchema(items=JsonStringSchema()),
                    bbox=_bbox_schema(-180, -90, 180, 90),
                    time_range=JsonArraySchema(items=[JsonDateSchema(), JsonDateSchema()]),
                    spatial_res=JsonNumberSchema(exclusive_minimum=0),
                    time_period=JsonStringSchema(),
                    crs=JsonStringSchema(),
                ),
                required=["time_range"],
                additional_properties=False,
            )
        d = self._dataset(data_id)
        res_choices = d.spatial_res_choices or (d.spatial_res,)
        return JsonObjectSchema(
            properties=dict(
                variable_names=JsonArraySchema(
                    items=JsonStringSchema(enum=d.variable_names),
                    min_items=1,
                    unique_items=True,
                    description="Variables to retrieve; by default all",
                ),
                bbox=_bbox_schema(*_full_bbox(d)),
                time_range=JsonArraySchema(
                    items=[JsonDateSchema(d.time_start, d.time_end)] * 2,
                    description=f"First and last day [start, end]; the data start {d.time_start}",
                ),
                spatial_res=JsonNumberSchema(
                    enum=list(res_choices),
                    default=d.spatial_res,
                    description="Grid spacing in the units of crs",
                ),
                time_period=JsonStringSchema(
                    enum=[d.time_period], default=d.time_period, description="Time step"
                ),
                crs=JsonStringSchema(enum=[d.crs], default=d.crs, description="Grid CRS"),
            ),
            required=["time_range"],
            additional_properties=False,
        )

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """Retrieve *data_id* for ``time_range`` (required), ``variable_names``, ``bbox``
        and ``spatial_res``; wait for the CDS job, download and read its result."""
        d = self._dataset(data_id)
        params = self.processed_open_params(data_id, open_params)
        params.setdefault("bbox", list(_full_bbox(d)))
        west, south, east, north = params["bbox"]
        if west >= east or south >= north:
            raise param_error(
                "bbox", params["bbox"], problem="west must be < east and south < north"
            )
        start, end = params["time_range"]
        if start > end:
            raise param_error("time_range", params["time_range"], problem="start is after end")
        from .job import retrieve
        from .result import normalize, read_result

        folder = tempfile.mkdtemp(prefix="cds-")
        try:
            path = retrieve(self._job_options, d.collection, d.request(params), folder, data_id)
            try:
                ds = read_result(path, folder)
            except DataStoreError as error:
                raise DataStoreError(f"CDS result for {data_id!r}: {error}") from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        attrs = {
            "title": d.title,
            "source": f"Copernicus Climate Data Store, dataset {d.collection!r}",
            "history": f"retrieved from {self._job_options.url} by intake_xstores",
        }
        variables = params.get("variable_names") or d.variable_names
        return normalize(ds, params, variables, self._params["normalize_names"], attrs)

    @functools.cached_property
    def _job_options(self):
        """Where and how jobs run: the URL and key found as ``cdsapi`` finds them."""
        from .job import JobOptions

        url, key = self._params.get("endpoint_url"), self._params.get("cds_api_key")
        if url is None or key is None:
            url, key = _cdsapi_config(url, key)
            secrets.register_secrets({"cds_api_key": key})
        p = self._params
        return JobOptions(
            url=url.rstrip("/"),
            key=key,
            num_retries=p["num_retries"],
            retry_backoff_base=p["retry_backoff_base"],
            retry_backoff_max=p["retry_backoff_max"],
            poll_interval=p["poll_interval"],
            poll_interval_max=p["poll_interval_max"],
            job_timeout=p.get("job_timeout"),
            progress=p["progress"],
        )


def _cdsapi_config(url: str | None, key: str | None) -> tuple[str, str]:
    """*url* and *key*, completed from the environment or ``~/.cdsapirc`` as cdsapi does."""
    url = url or os.environ.get("CDSAPI_URL")
    key = key or os.environ.get("CDSAPI_KEY")
    if url is None or key is None:
        rc = os.path.expanduser(os.environ.get("CDSAPI_RC", "~/.cdsapirc"))
        if os.path.exists(rc):
            from cdsapi.api import read_config

            try:
                config = read_config(rc)
            except Exception as error:
                raise DataStoreError(f"Cannot read {rc}: {error_text(error)}") from None
            url, key = url or config.get("url"), key or config.get("key")
    if key is None:
        raise param_error(
            "cds_api_key",
            problem="no CDS API key was given, and none is in CDSAPI_KEY or ~/.cdsapirc",
            allowed="the key shown on your CDS profile page",
        )
    return url or CDS_API_URL, key


def _full_bbox(d: CdsDataset) -> tuple[float, float, float, float]:
    if d.crs == "EPSG:4326":
        return (-180.0, -90.0, 180.0, 90.0)
    return (-5400000.0, -5400000.0, 5400000.0, 5400000.0)  # the EASE-Grid 2.0 North


def _bbox_schema(west: float, south: float, east: float, north: float) -> JsonArraySchema:
    return bbox_schema(
        "Area [west, south, east, north] in the units of crs; by default all",
        west,
        south,
        east,
        north,
    )
