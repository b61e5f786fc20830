"""``sentinelhub`` and ``sentinelhub-cdse``: Sentinel Hub collections as lazy cubes.

The data IDs are the collections (``S2L2A``, ``S1GRD``, ``DEM``, ...; see
:mod:`.collections`); listing them asks no service. ``describe_data`` asks
the configuration API for the bands and the Catalog API for the time extent;
``search_data`` asks the Catalog API (STAC item search) for acquisitions.
``open_data`` returns a dataset computed tile by tile by the Process API when
read (see :mod:`.cube`). Both stores take the same parameters; they differ in
the default URLs: Sentinel Hub's own services, or the Copernicus Data Space
Ecosystem's (CDSE).
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from collections.abc import Iterator
from typing import Any

from ...datatype import DATASET_TYPE, DataTypeLike
from ...descriptor import DatasetDescriptor, VariableDescriptor
from ...errors import DataStoreError, param_error
from ...extras import Needs
from ...schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonObjectSchema,
    JsonStringSchema,
)
from ..base import ApiDataStore
from ..params import max_workers_schema, url_schema
from ..web import retry_options, web_store_params_schema
from .collections import COLLECTIONS, Band, Collection

OPENER_ID = "dataset:zarr:sentinelhub"
NEEDS = Needs(("requests", "requests_oauthlib", "tifffile"), "sentinelhub")


def _url(description: str, default: str | None) -> JsonStringSchema:
    return url_schema(default, description, nullable=True)


class SentinelHubDataStore(ApiDataStore):
    """Sentinel Hub (``services.sentinel-hub.com`` by default); see the module docstring.

    ``client_id``/``client_secret`` are an OAuth client's credentials (from
    the environment variables ``SH_CLIENT_ID``/``SH_CLIENT_SECRET`` when not
    given). The API URLs default to paths under ``instance_url``.
    """

    opener_id = OPENER_ID

    SERVICE = "Sentinel Hub"
    INSTANCE_URL = "https://services.sentinel-hub.com"
    OAUTH2_PATH = "/oauth"

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        under = f"under instance_url ({cls.INSTANCE_URL})"
        return web_store_params_schema(
            client_id=JsonStringSchema(
                secret=True,
                nullable=True,
                description="OAuth client ID (default: $SH_CLIENT_ID)",
            ),
            client_secret=JsonStringSchema(
                secret=True,
                nullable=True,
                description="OAuth client secret (default: $SH_CLIENT_SECRET)",
            ),
            instance_url=url_schema(cls.INSTANCE_URL, "Base URL of the Sentinel Hub instance"),
            oauth2_url=_url(
                "OAuth2 URL; tokens come from {oauth2_url}/token "
                f"(default: {cls._default_oauth2_url()})",
                None,
            ),
            process_url=_url(f"Process API URL (default: /api/v1/process {under})", None),
            catalog_url=_url(
                f"Catalog API (STAC) URL (default: /api/v1/catalog/1.0.0 {under})", None
            ),
            configuration_url=_url(
                f"Configuration API URL (default: /configuration/v1 {under})", None
            ),
            ssl_verify=JsonComplexSchema(
                any_of=[JsonBooleanSchema(), JsonStringSchema(min_length=1)],
                default=True,
                description="Verify the services' TLS certificates: true, false, or the "
                "path of a CA bundle to trust (for this store only)",
            ),
            error_policy=JsonStringSchema(
                enum=["fail", "warn", "ignore"],
                default="fail",
                description="When a tile fails for good: raise, or fill it with NaN "
                "with a warning ('warn') or silently ('ignore')",
            ),
            enable_warnings=JsonBooleanSchema(
                default=False,
                description="Warn when the configuration API does not list a "
                "collection's bands (the built-in ones are used)",
            ),
            max_workers=max_workers_schema("Process API"),
        )

    @classmethod
    def _default_oauth2_url(cls) -> str:
        return f"{cls.INSTANCE_URL}{cls.OAUTH2_PATH}"

    # --- the service --------------------------------------------------------------

    def _service_url(self, name: str, path: str) -> str:
        url = self._params.get(name)
        return (url or f"{self._params['instance_url'].rstrip('/')}{path}").rstrip("/")

    @property
    def oauth2_url(self) -> str:
        if self._params.get("oauth2_url"):
            return self._params["oauth2_url"].rstrip("/")
        if self._params["instance_url"] == self.INSTANCE_URL:
            return self._default_oauth2_url()
        return self._service_url("oauth2_url", "/oauth")

    @property
    def process_url(self) -> str:
        return self._service_url("process_url", "/api/v1/process")

    @property
    def catalog_url(self) -> str:
        return self._service_url("catalog_url", "/api/v1/catalog/1.0.0")

    @property
    def configuration_url(self) -> str:
        return self._service_url("configuration_url", "/configuration/v1")

    @functools.cached_property
    def client(self):
        """The authorised HTTP client (made, not yet connected, on first use)."""
        NEEDS.check(f"The {self.SERVICE} store")
        from .client import SentinelHubClient

        p = self._params
        credentials = {}
        for name, env in (("client_id", "SH_CLIENT_ID"), ("client_secret", "SH_CLIENT_SECRET")):
            credentials[name] = p.get(name) or os.environ.get(env)
            if not credentials[name]:
                raise param_error(
                    name, None, problem=f"{self.SERVICE} needs it", allowed=f"a string, or ${env}"
                )
        return SentinelHubClient(
            self.SERVICE,
            oauth2_url=self.oauth2_url,
            verify=p["ssl_verify"],
            **retry_options(p),
            max_workers=p["max_workers"],
            **credentials,
        )

    # --- the catalogue (fixed: no request) --------------------------------------------

    @property
    def catalog_name(self) -> str:
        return f"the collections of {self.SERVICE}"

    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        return {i: {"title": c.title} for i, c in COLLECTIONS.items()}

    def _collection(self, data_id: str, collection_id: str | None = None) -> Collection:
        self.entry(data_id)
        collection = COLLECTIONS[data_id]
        if data_id == "CUSTOM":
            if not collection_id:
                raise param_error(
                    "collection_id",
                    collection_id,
                    problem="data ID 'CUSTOM' needs the ID of a BYOC collection",
                    allowed="a BYOC collection ID",
                )
            return collection.for_byoc(collection_id)
        return collection

    def bands(self, collection: Collection) -> tuple[Band, ...]:
        """The collection's bands as the configuration API lists them, else the built-in ones.

        ``GET {configuration_url}/datasets/{data_id}`` answers
        ``{"id": ..., "bands": [{"name": ..., "unit": ...}, ...]}``.
        """
        url = f"{self.configuration_url}/datasets/{collection.data_id}"
        try:
            document = self.client.get_json(url, f"the bands of {collection.data_id}")
        except DataStoreError as error:
            if not collection.bands:
                raise
            if self._params["enable_warnings"]:
                warnings.warn(f"{error}; using the built-in bands", UserWarning, stacklevel=3)
            return collection.bands
        listed = document.get("bands") if isinstance(document, dict) else None
        bands = tuple(
            Band(b["name"], str(b.get("unit") or b.get("units") or ""))
            for b in listed or ()
            if isinstance(b, dict) and isinstance(b.get("name"), str)
        )
        return bands or collection.bands

    # --- describing ---------------------------------------------------------------

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DatasetDescriptor:
        """Bands and units (configuration API), time extent and bbox (Catalog API)."""
        self.entry(data_id)
        collection = COLLECTIONS[data_id]
        bands = self.bands(collection) if collection.bands else ()  # CUSTOM: bands unknown
        extent = self._collection_extent(collection)
        dims = ("time", "lat", "lon")
        return DatasetDescriptor(
            data_id,
            crs="EPSG:4326",
            bbox=extent.get("bbox"),
            time_range=extent.get("time_range"),
            data_vars={
                b.name: VariableDescriptor(b.name, "float32", dims, attrs={"units": b.units})
                for b in bands
            },
            attrs={"title": collection.title, "process_type": collection.process_type},
            open_params_schema=self.get_open_data_params_schema(data_id),
        )

    def _collection_extent(self, collection: Collection) -> dict[str, Any]:
        """Bbox and time range from the Catalog API's STAC collection, if it has one."""
        if collection.catalog_id is None or collection.data_id == "CUSTOM":
            return {}
        url = f"{self.catalog_url}/collections/{collection.catalog_id}"
        document = self.client.get_json(url, f"the collection {collection.catalog_id!r}")
        extent = document.get("extent") or {} if isinstance(document, dict) else {}
        found: dict[str, Any] = {}
        with contextlib.suppress(KeyError, IndexError, TypeError, ValueError):
            found["bbox"] = tuple(float(v) for v in extent["spatial"]["bbox"][0])
        with contextlib.suppress(KeyError, IndexError, TypeError):
            found["time_range"] = tuple(extent["temporal"]["interval"][0][:2])
        return found

    # --- searching ----------------------------------------------------------------

    @classmethod
    def get_search_params_schema(cls, data_type: DataTypeLike = None) -> JsonObjectSchema:
        schema = super().get_search_params_schema(data_type)
        schema.properties["collections"] = JsonArraySchema(
            items=JsonStringSchema(enum=[i for i, c in COLLECTIONS.items() if c.catalog_id]),
            description="Collections to search (default: all with acquisitions)",
        )
        schema.required = ["bbox", "time_range"]
        return schema

    def search_data(
        self, data_type: DataTypeLike = None, **search_params: Any
    ) -> Iterator[DatasetDescriptor]:
        """Collections with acquisitions in ``bbox`` and ``time_range`` (Catalog API);
        each descriptor's ``attrs["acquisition_times"]`` lists them."""
        from .catalog import search_times
        from .open_params import time_bounds

        if data_type is not None:
            search_params["data_type"] = DATASET_TYPE.alias
        params = self.get_search_params_schema().process(search_params)
        ids = params.get("collections") or [i for i, c in COLLECTIONS.items() if c.catalog_id]
        for data_id in ids:
            collection = COLLECTIONS[data_id]
            start, end = time_bounds(params["time_range"])
            times = search_times(
                self.client,
                self.catalog_url,
                collection.catalog_id,
                params["bbox"],
                (start.isoformat(), end.isoformat()),
            )
            if times:
                yield DatasetDescriptor(
                    data_id,
                    crs="EPSG:4326",
                    bbox=tuple(params["bbox"]),
                    time_range=(times[0], times[-1]),
                    attrs={"title": collection.title, "acquisition_times": times},
                )

    # --- opening ------------------------------------------------------------------

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        from .open_params import open_params_schema

        bands = None
        if data_id is not None and data_id != "CUSTOM":
            bands = [b.name for b in self._collection(data_id).bands]
        return open_params_schema(bands, custom=data_id in (None, "CUSTOM"))

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any):
        """A lazy cube of *data_id*: nothing is requested from the Process API until
        its values are read; the time axis is found first (catalog, or ``time_period``)."""
        import xarray as xr

        from .cube import TileFetcher, cube_store
        from .open_params import cube_spec

        params = self.processed_open_params(data_id, open_params)
        collection = self._collection(data_id, params.get("collection_id"))
        spec = cube_spec(self, collection, params)
        units = {b.name: b.units for b in collection.bands}
        fetcher = TileFetcher(spec, self._fetch_tile(spec), self._params["error_policy"])
        attrs = {
            "title": collection.title,
            "source": f"{self.SERVICE} Process API",
            "collection": collection.process_type,
            "crs": f"EPSG:{spec.epsg}",
            "time_coverage_start": str(spec.times[0][0]),
            "time_coverage_end": str(spec.times[-1][1]),
        }
        store = cube_store(spec, fetcher, units, attrs, self._params["max_workers"])
        tiles_x, tiles_y = _tiles_per_task(spec.tile_size)
        yname, xname = ("lat", "lon") if spec.geographic else ("y", "x")
        chunks = {"time": 1, yname: tiles_y * spec.tile_size[1], xname: tiles_x * spec.tile_size[0]}
        return xr.open_zarr(store, consolidated=True, zarr_format=2, chunks=chunks)

    def _fetch_tile(self, spec):
        from .cube import decode_tile

        client, url = self.client, self.process_url

        def fetch(body: dict, shape: tuple[int, int]):
            accept = spec.response_format
            response = client.request(
                "POST", url, "a Process API request", json=body, headers={"Accept": accept}
            )
            try:
                return decode_tile(
                    response.content,
                    response.headers.get("Content-Type", accept),
                    shape,
                    len(spec.bands),
                )
            except ValueError as error:
                raise DataStoreError(
                    f"{self.SERVICE} answered a Process API request at {url} with {error}"
                ) from None

        return fetch


def _tiles_per_task(tile_size: tuple[int, int]) -> tuple[int, int]:
    """Tiles per Dask chunk (x, y): up to 64 tiles and 64 MB, so that one Dask task
    keeps many requests in flight."""
    per_tile = tile_size[0] * tile_size[1] * 4
    side = 8
    while side > 1 and side * side * per_tile > 64 * 2**20:
        side //= 2
    return side, side


class SentinelHubCdseDataStore(SentinelHubDataStore):
    """Sentinel Hub on the Copernicus Data Space Ecosystem (``sh.dataspace.copernicus.eu``)."""

    SERVICE = "Sentinel Hub (CDSE)"
    INSTANCE_URL = "https://sh.dataspace.copernicus.eu"

    @classmethod
    def _default_oauth2_url(cls) -> str:
        return "https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect"
