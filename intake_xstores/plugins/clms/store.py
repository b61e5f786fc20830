"""``ClmsDataStore``: the datasets of the Copernicus Land Monitoring Service.

The service's catalogue (``@search``) describes each dataset and how it is
delivered. Two kinds become data IDs:

- **download packages** (source ``EEA``): one data ID per prepackaged file,
  ``"{dataset}|{file}"`` (e.g. ``"forest-type-2015|FTY_2015_100m_eu_03035_d02_Full"``).
  The service prepares them on request, so they must be preloaded:
  :meth:`ClmsDataStore.preload_data` asks for them, waits for the service,
  downloads the zip of GeoTIFF tiles and merges the tiles into one Zarr cube
  in the cache store, from which :meth:`open_data` then opens them;
- **NetCDF datasets** (the other sources, whose download information names
  a CSV catalogue of NetCDF files): the dataset's ID alone; opened lazily,
  all files as one cube along time, over HTTP range requests.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from typing import Any

from ...datatype import DataTypeLike
from ...descriptor import DataDescriptor, DatasetDescriptor
from ...errors import DataStoreError, error_text, param_error
from ...opening import DATASET_OPEN_PARAMS, ZARR_OPEN_PARAMS
from ...schema import JsonObjectSchema, JsonStringSchema, seconds_schema
from ..base import ApiDataStore, writable_cache_store
from ..params import cache_store_schemas, url_schema
from ..web import WebClient, retry_options, web_store_params_schema
from .api import SERVICE, ClmsApi

CLMS_API_URL = "https://land.copernicus.eu/api"

#: Separates a download package's dataset and file in its data ID.
SEPARATOR = "|"

#: The delivery source of download packages in the catalogue.
PACKAGE_SOURCE = "EEA"

_NETCDF_URL = re.compile(r"^\S+\.nc4?$", re.IGNORECASE)


def _credentials_schema() -> JsonObjectSchema:
    text = JsonStringSchema
    return JsonObjectSchema(
        properties=dict(
            client_id=text(min_length=1),
            user_id=text(min_length=1),
            token_uri=text(pattern="^https?://"),
            private_key=text(min_length=1, secret=True),
            key_id=text(),
            issued=text(),
            title=text(),
        ),
        required=["client_id", "user_id", "token_uri", "private_key"],
        additional_properties=False,
        secret=True,
        description="The CLMS API service key (its JSON as downloaded from your CLMS "
        "profile): client_id, user_id, token_uri, private_key; needed for preloading",
    )


class ClmsDataStore(ApiDataStore):
    """The Copernicus Land Monitoring Service's datasets.

    ``api_url`` is the service's API (a test server's, if need be);
    ``credentials`` the service key, needed to ask for download packages.
    Preloaded packages land in the store ``cache_store_id`` with
    ``cache_store_params`` (by default the folder ``clms_cache``).
    """

    preload_params = "intake_xstores.plugins.clms.preload:PRELOAD_PARAMS"

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return web_store_params_schema(
            credentials=_credentials_schema(),
            api_url=url_schema(CLMS_API_URL, "Base URL of the CLMS API"),
            **cache_store_schemas(
                "preloaded packages are",
                "Parameters of the cache store, over the defaults "
                "{root: 'clms_cache', max_depth: 2} ({dataset}/{file}.zarr is two deep)",
            ),
            poll_interval=seconds_schema(
                "Seconds between asking CLMS whether a data request is ready", 10.0
            ),
            request_timeout=seconds_schema(
                "Seconds to wait for CLMS to prepare a download package",
                24 * 3600.0,
                zero=False,
            ),
            storage_options=JsonObjectSchema(
                additional_properties=True,
                description="Options of the HTTP client (fsspec's 'https' filesystem) "
                "for downloads and NetCDF files: headers, client_kwargs, ssl",
            ),
        )

    # --- the service ------------------------------------------------------------

    @property
    def catalog_name(self) -> str:
        return f"the {SERVICE} catalogue at {self._params['api_url']}"

    @functools.cached_property
    def api(self) -> ClmsApi:
        p = self._params
        return ClmsApi(p["api_url"], p.get("credentials"), retry_options(p))

    @functools.cached_property
    def client(self) -> WebClient:
        """Downloads of packages and reads of NetCDF files (retried, resumed)."""
        return WebClient.for_store(SERVICE, self._params)

    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        catalog: dict[str, dict[str, Any]] = {}
        for dataset in self.api.datasets():
            name = dataset.get("id")
            if not isinstance(name, str) or SEPARATOR in name:
                continue
            sources = (dataset.get("dataset_download_information") or {}).get("items") or []
            if any(s.get("full_source") == PACKAGE_SOURCE for s in sources):
                for file in (dataset.get("downloadable_files") or {}).get("items") or []:
                    if isinstance(file.get("file"), str) and file.get("@id"):
                        data_id = f"{name}{SEPARATOR}{file['file']}"
                        catalog[data_id] = {"kind": "package", "dataset": dataset, "file": file}
            else:
                csv_url = next((s["path"] for s in sources if _is_url(s.get("path"))), None)
                if csv_url:
                    catalog[name] = {"kind": "netcdf", "dataset": dataset, "files_url": csv_url}
        return catalog

    def is_package(self, data_id: str) -> bool:
        return self.entry(data_id)["kind"] == "package"

    # --- the cache --------------------------------------------------------------

    @functools.cached_property
    def cache_store(self):
        """The writable filesystem store preloaded packages are kept in."""
        store_id = self._params["cache_store_id"]
        params = {
            "root": "clms_cache",
            "max_depth": 2,
            **(self._params.get("cache_store_params") or {}),
        }
        return writable_cache_store(store_id, params)

    @staticmethod
    def cache_data_id(data_id: str) -> str:
        """Where the cube of the package *data_id* is kept: ``{dataset}/{file}.zarr``."""
        dataset, _, file = data_id.partition(SEPARATOR)
        return f"{dataset}/{file}.zarr"

    def is_preloaded(self, data_id: str) -> bool:
        """Whether the package *data_id* is in the cache (written whole, or not at all)."""
        return self.cache_store.has_data(self.cache_data_id(data_id))

    # --- data types and descriptions ------------------------------------------

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor:
        """A preloaded package or a NetCDF dataset from its metadata (the cube's
        or the files' headers); a package not yet preloaded from the catalogue."""
        entry = self.entry(data_id)
        self._check_type(data_id, data_type)
        schema = self.get_open_data_params_schema(data_id)
        if entry["kind"] == "netcdf":
            from ...descriptor import describe_dataset

            with self._open_netcdf(data_id, {}) as dataset:
                fields = describe_dataset(dataset)
            return DatasetDescriptor(data_id, **fields, open_params_schema=schema)
        if self.is_preloaded(data_id):
            descriptor = self.cache_store.describe_data(self.cache_data_id(data_id))
            descriptor.data_id = data_id
            return descriptor
        return DatasetDescriptor(
            data_id, attrs=self._package_attrs(entry), open_params_schema=schema
        )

    @staticmethod
    def _package_attrs(entry: dict[str, Any]) -> dict[str, Any]:
        dataset, file = entry["dataset"], entry["file"]
        attrs = {
            "title": dataset.get("title"),
            "description": dataset.get("description"),
            "file": file.get("file"),
            "area": file.get("area"),
            "resolution": file.get("resolution"),
            "format": file.get("format"),
            "size": file.get("size"),
            "preload_required": True,
        }
        return {k: v for k, v in attrs.items() if v is not None}

    def _check_type(self, data_id: str, data_type: DataTypeLike) -> None:
        if not self._is_of_type(data_id, data_type):
            raise param_error(
                "data_type",
                data_type,
                problem=f"data ID {data_id!r} of {self.catalog_name} is a dataset",
                allowed="'dataset'",
            )

    # --- opening --------------------------------------------------------------

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        if data_id is not None and not self._is_of_type(data_id, data_type):
            return ()
        cache = f"dataset:zarr:{self.cache_store.protocol.name}"
        if data_id is None:
            return (cache, "dataset:netcdf:https")
        return (cache,) if self.is_package(data_id) else ("dataset:netcdf:https",)

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        package = data_id is None or self.is_package(data_id)
        params = ZARR_OPEN_PARAMS if package else DATASET_OPEN_PARAMS
        return JsonObjectSchema(properties=dict(params), additional_properties=False)

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """Open a NetCDF dataset lazily, or a package from the cache once preloaded."""
        params = self.processed_open_params(data_id, open_params)
        if not self.is_package(data_id):
            return self._open_netcdf(data_id, params)
        if not self.is_preloaded(data_id):
            raise DataStoreError(
                f"Data resource {data_id!r} of {self.catalog_name} is a download package, "
                f"which must be preloaded before it can be opened: "
                f"store.preload_data({data_id!r}) asks CLMS for it and keeps it in the "
                f"cache store ({self._params['cache_store_id']!r}), after which open_data() "
                "opens it from there"
            )
        return self.cache_store.open_data(self.cache_data_id(data_id), **params)

    def netcdf_urls(self, data_id: str) -> list[str]:
        """The URLs of the NetCDF files of *data_id*, from its CSV catalogue."""
        url = self.entry(data_id)["files_url"]
        text = self.api.text(url, f"the file list of {data_id!r}")
        urls = [c.strip() for row in csv.reader(io.StringIO(text)) for c in row]
        urls = [u for u in urls if _NETCDF_URL.match(u) and _is_url(u)]
        if not urls:
            raise DataStoreError(f"{SERVICE} lists no NetCDF files for {data_id!r} at {url}")
        return sorted(urls)

    def _open_netcdf(self, data_id: str, params: dict[str, Any]):
        import xarray as xr

        urls = self.netcdf_urls(data_id)
        files = [self.client.fs.open(u, "rb") for u in urls]
        kwargs = {k: v for k, v in params.items() if k != "drop_variables"}
        kwargs.setdefault("chunks", {})
        try:
            return xr.open_mfdataset(
                files,
                engine="h5netcdf",
                combine="by_coords",
                drop_variables=params.get("drop_variables"),
                **kwargs,
            )
        except Exception as error:
            for file in files:
                file.close()
            raise DataStoreError(
                f"Cannot open the NetCDF files of {data_id!r} from {SERVICE}: {error_text(error)}"
            ) from error

    # --- preloading -----------------------------------------------------------

    def preload_data(self, *data_ids: str, **preload_params: Any):
        """Ask CLMS for the download packages *data_ids*, wait for them, and merge
        each one's GeoTIFF tiles into one Zarr cube in the cache store; return
        the cache store, whose ``preload_handle`` follows the progress (and can
        cancel: the data requests are then withdrawn).

        Packages already in the cache are skipped unless ``force_preload=True``.
        """
        from ...preload import ExecutorPreloadHandle
        from .preload import preload_task

        monitor = preload_params.pop("monitor", None)
        params = self.get_preload_data_params_schema().process(preload_params)
        for data_id in data_ids:
            if not self.is_package(data_id):
                raise param_error(
                    "data_ids",
                    data_id,
                    problem="it is a NetCDF dataset, which opens lazily without preloading",
                    allowed="download packages, '<dataset>|<file>'",
                )
        cache = self.cache_store
        task = functools.partial(preload_task, self)
        cache.preload_handle = ExecutorPreloadHandle(
            data_ids, preload_data=task, monitor=monitor, **params
        )
        return cache


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and "://" in value
