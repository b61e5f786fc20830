"""``stac-cdse-ardc`` and ``stac-pc-ardc``: STAC collections as analysis-ready data cubes.

A data ID is a collection ID. ``open_data(collection, bbox=, time_range=,
...)`` searches the collection's items in the bounding box and time range
(pystac-client, against the store's ``url``) and returns one lazy cube on a
regular grid in the CRS and resolution asked for: the items of one solar
day mosaicked, items of different UTM zones reprojected onto the one grid,
days stacked along ``time`` (``odc.stac.load``). Digital numbers are scaled
to physical values (reflectance for Sentinel-2); classification bands
(Sentinel-2's SCL) stay integers with CF flag attributes. Sentinel-3
collections (Synergy, SLSTR LST) are swaths of NetCDF files, which
:mod:`.swaths` rectifies onto the same kind of grid instead of odc-stac.

A search that finds no item is an error, not an empty cube: an empty cube
would have no time axis and look like data that is missing for good, where
the likelier cause is a bounding box, time range or ``query`` that misses.
"""

from __future__ import annotations

import functools
from abc import abstractmethod
from typing import Any, ClassVar

from ...datatype import ANY_TYPE, DATASET_TYPE, DataType, DataTypeLike
from ...descriptor import DatasetDescriptor, VariableDescriptor
from ...errors import DataStoreError, param_error
from ...extras import Needs
from ...schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonDateSchema,
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonSchema,
    JsonStringSchema,
)
from ...store import CollectionListing, DataStore
from ..params import bbox_schema, url_schema
from ..stac.sas import PC_SAS_TOKEN_URL, blob_endpoints_schema
from ..web import RETRY_PARAMS, retry_options
from .collections import CDSE_COLLECTIONS, PC_COLLECTIONS, Collection

CDSE_STAC_URL = "https://stac.dataspace.copernicus.eu/v1"
CDSE_S3_ENDPOINT = "https://eodata.dataspace.copernicus.eu"
PC_STAC_URL = "https://planetarycomputer.microsoft.com/api/stac/v1"

#: The one opener: odc-stac loading the items' assets with rasterio.
OPENER_ID = "dataset:odc-stac:stac"

#: What searching and opening need beyond the base install (listing needs none).
NEEDS = Needs(("pystac_client", "odc.stac", "rasterio", "aiohttp", "scipy"), "stac-ardc")

_COMMON_PARAMS = dict(
    page_size=JsonIntegerSchema(
        minimum=1,
        maximum=10000,
        default=100,
        description="Items asked for per page of a STAC search",
    ),
    **RETRY_PARAMS,
)


class ArdcDataStore(CollectionListing, DataStore):
    """A STAC API's collections as data IDs, each opened as one data cube."""

    provider: ClassVar[str]
    default_url: ClassVar[str]
    collections: ClassVar[dict[str, Collection]]
    #: The store parameters of this provider's assets (credentials, endpoints).
    provider_params: ClassVar[dict[str, JsonSchema]]

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return JsonObjectSchema(
            properties=dict(
                url=url_schema(cls.default_url, f"URL of the {cls.provider} STAC API"),
                **cls.provider_params,
                **_COMMON_PARAMS,
            ),
            additional_properties=False,
        )

    # --- services -------------------------------------------------------------

    @functools.cached_property
    def api(self):
        from .search import StacApi

        NEEDS.check(f"Data store {type(self).__name__}")
        p = self._params
        return StacApi(p["url"], page_size=p["page_size"], **retry_options(self._params))

    def collection(self, data_id: str) -> Collection:
        """The collection *data_id*, or an error naming those this store opens."""
        found = self.collections.get(data_id) if isinstance(data_id, str) else None
        if found is None:
            raise DataStoreError(
                f"Data resource {data_id!r} is not a collection of {type(self).__name__} "
                f"({self.provider}); its data IDs are: {', '.join(self.collections)}"
            )
        return found

    def _prepare(self, items: list[Any]) -> None:
        """Get ready to read the assets of *items* (fail early if they cannot be)."""

    @abstractmethod
    def _driver(self):
        """odc-loader's reader driver for this provider's assets (session, signing)."""

    @abstractmethod
    def _reader(self):
        """The :class:`.swaths.AssetReader` of this provider's NetCDF assets."""

    # --- listing and describing -------------------------------------------------

    @property
    def collection_ids(self) -> dict[str, Collection]:
        return self.collections

    @staticmethod
    def lists_type(data_type: DataTypeLike) -> bool:
        return _is_dataset(data_type)

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DatasetDescriptor:
        """Describe the collection from its STAC metadata (extent, bands); reads no pixel."""
        collection = self.collection(data_id)
        document = self.api.collection(data_id)
        extent = document.get("extent") or {}
        bbox = ((extent.get("spatial") or {}).get("bbox") or [None])[0]
        interval = ((extent.get("temporal") or {}).get("interval") or [None])[0]
        dims = ("time", "y", "x")
        data_vars = {
            band: VariableDescriptor(
                band,
                collection.dtype(band),
                dims,
                attrs=dict(collection.flags.get(band, {"units": collection.units})),
            )
            for band in collection.bands
        }
        return DatasetDescriptor(
            data_id,
            bbox=tuple(bbox) if bbox and len(bbox) == 4 else None,
            time_range=tuple(_date(t) for t in interval) if interval else None,
            spatial_res=collection.default_res,
            data_vars=data_vars,
            attrs={
                "title": document.get("title") or collection.title,
                "description": document.get("description"),
                "license": document.get("license"),
                "stac_api": self._params["url"],
            },
            open_params_schema=self.get_open_data_params_schema(data_id),
        )

    # --- opening ----------------------------------------------------------------

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        if data_id is not None:
            self.collection(data_id)
        if not _is_dataset(data_type):
            return ()
        return (OPENER_ID,)

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        collection = self.collection(data_id) if data_id is not None else None
        bands = collection.bands if collection else None
        default_res = collection.default_res if collection else None
        return JsonObjectSchema(
            properties=dict(
                bbox=bbox_schema(
                    "Bounding box [west, south, east, north] in degrees "
                    "(longitude, latitude) of the cube",
                    min_items=4,
                    max_items=4,
                ),
                time_range=JsonDateSchema.new_range(),
                spatial_res=JsonNumberSchema(
                    exclusive_minimum=0,
                    default=default_res,
                    description="Pixel size of the cube in units of 'crs' (metres for UTM, "
                    "degrees for EPSG:4326); also picks the asset of bands published at "
                    "several resolutions (Sentinel-2 10/20/60 m), the closest one",
                ),
                crs=JsonStringSchema(
                    default="utm",
                    min_length=1,
                    description="CRS of the cube, e.g. 'EPSG:32632' or 'EPSG:4326'; "
                    "'utm': the UTM zone of the bounding box's centre",
                ),
                asset_names=JsonArraySchema(
                    items=JsonStringSchema(enum=bands) if bands else JsonStringSchema(),
                    min_items=1,
                    unique_items=True,
                    description="Bands to load (variables of the cube); default: all",
                ),
                query=JsonObjectSchema(
                    additional_properties=True,
                    description="Filter on item properties, as the STAC query extension "
                    "writes it: {'eo:cloud_cover': {'lt': 20}} (sent as a CQL2 filter)",
                ),
                tile_size=JsonComplexSchema(
                    one_of=[
                        JsonIntegerSchema(minimum=256),
                        JsonArraySchema(
                            items=[JsonIntegerSchema(minimum=256)] * 2, min_items=2, max_items=2
                        ),
                    ],
                    default=1024,
                    description="Chunk size in pixels: one number, or [width, height]",
                ),
                apply_scaling=JsonBooleanSchema(
                    default=True,
                    description="Scale digital numbers to physical values (reflectance); "
                    "classification bands are never scaled",
                ),
            ),
            required=["bbox", "time_range"],
            additional_properties=False,
        )

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """One lazy cube of the collection's items in ``bbox`` and ``time_range``."""
        collection = self.collection(data_id)
        open_params.pop("data_type", None)
        if opener_id not in (None, OPENER_ID):
            raise param_error("opener_id", opener_id, allowed=repr(OPENER_ID))
        p = self.get_open_data_params_schema(data_id).process(open_params)
        bbox, time_range = p["bbox"], p["time_range"]
        if bbox[0] >= bbox[2] or bbox[1] >= bbox[3]:
            raise param_error("bbox", bbox, problem="west must be < east and south < north")
        if time_range[0] > time_range[1]:
            raise param_error("time_range", time_range, problem="start is after end")
        self._check_extent(data_id, bbox)
        items = self.api.search(data_id, bbox, time_range, p.get("query"))
        if not items:
            raise DataStoreError(
                f"No items of collection {data_id!r} in bbox {bbox} between "
                f"{time_range[0]} and {time_range[1]}"
                + (f" matching query {p['query']}" if p.get("query") else "")
                + f" at {self._params['url']}: widen the bbox or time range"
            )
        self._prepare(items)
        crs, res = p["crs"], p["spatial_res"]
        geographic = crs.upper() in ("EPSG:4326", "OGC:CRS84")
        asset_res = res * 111_320 if geographic else res
        bands = _bands(collection, items, asset_res, p.get("asset_names"))
        tile = p["tile_size"]
        tile_size = (tile, tile) if isinstance(tile, int) else tuple(tile)
        if not p["apply_scaling"]:
            collection = _without_scaling(collection)
        if collection.swath is not None:
            from .swaths import load_swath_cube

            geometry = dict(crs=crs, resolution=res, bbox=bbox, tile_size=tile_size)
            return load_swath_cube(items, collection, bands, **geometry, reader=self._reader())
        from .cube import load_cube

        try:
            return load_cube(
                items,
                collection,
                bands,
                asset_res=asset_res,
                crs=crs,
                resolution=res,
                bbox=bbox,
                tile_size=tile_size,
                driver=self._driver(),
            )
        except ValueError as error:
            raise DataStoreError(
                f"Cannot make a cube of {data_id!r} from {len(items)} items: {error}"
            ) from error

    def _check_extent(self, data_id: str, bbox: list[float]) -> None:
        document = self.api.collection(data_id)
        boxes = ((document.get("extent") or {}).get("spatial") or {}).get("bbox") or []
        extent = boxes[0] if boxes and len(boxes[0]) == 4 else None
        if extent is not None and (
            bbox[0] > extent[2] or bbox[2] < extent[0] or bbox[1] > extent[3] or bbox[3] < extent[1]
        ):
            raise param_error(
                "bbox",
                bbox,
                problem=f"outside collection {data_id!r}",
                allowed=f"a box intersecting {list(extent)}",
            )


def _bands(
    collection: Collection, items: list[Any], asset_res: float, wanted: list[str] | None
) -> list[str]:
    """The bands to load: *wanted*, or those the found items have; an error names the absent."""
    keys = {key for item in items for key in item.assets}
    present = [b for b in collection.bands if collection.asset_key(b, asset_res) in keys]
    missing = [b for b in wanted or () if b not in present]
    if missing or not present:
        raise param_error(
            "asset_names",
            missing or wanted,
            problem=f"no such assets in the {len(items)} items of {collection.id!r} found",
            allowed=", ".join(present) or "none (the items have none of the collection's bands)",
        )
    return wanted or present


def _is_dataset(data_type: DataTypeLike) -> bool:
    data_type = DataType.normalize(data_type)
    return data_type is ANY_TYPE or data_type.is_super_type_of(DATASET_TYPE)


def _date(value: str | None) -> str | None:
    return value[:10] if isinstance(value, str) else None


def _without_scaling(collection: Collection) -> Collection:
    import dataclasses

    return dataclasses.replace(collection, scaling=None)


class CdseArdcDataStore(ArdcDataStore):
    """Sentinel-2 and Sentinel-3 cubes from the Copernicus Data Space Ecosystem (CDSE).

    Items are found through CDSE's STAC API; their assets are on CDSE's S3
    (``s3://eodata/...``), read with the S3 ``key`` and ``secret`` CDSE
    issues, through a rasterio session of this store's own: nothing is
    written into ``os.environ``.
    """

    provider = "CDSE"
    default_url = CDSE_STAC_URL
    collections = CDSE_COLLECTIONS
    provider_params = dict(
        key=JsonStringSchema(secret=True, description="CDSE S3 access key"),
        secret=JsonStringSchema(secret=True, description="CDSE S3 secret key"),
        endpoint_url=url_schema(
            CDSE_S3_ENDPOINT, "CDSE's S3 endpoint (where s3://eodata/... assets are)"
        ),
        region_name=JsonStringSchema(default="default", description="S3 region name"),
    )

    def _driver(self):
        from .cube import SessionRioDriver

        p = self._params
        scheme, _, host = p["endpoint_url"].partition("://")
        aws: dict[str, Any] = dict(endpoint_url=host.rstrip("/"), region_name=p["region_name"])
        if p.get("key") and p.get("secret"):
            aws.update(aws_access_key_id=p["key"], aws_secret_access_key=p["secret"])
        else:
            aws["aws_unsigned"] = True
        gdal = dict(
            AWS_VIRTUAL_HOSTING="FALSE",
            AWS_HTTPS="YES" if scheme == "https" else "NO",
            GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR",
        )
        return SessionRioDriver(aws=aws, gdal=gdal)

    def _reader(self):
        from .swaths import AssetReader

        p = self._params
        s3: dict[str, Any] = dict(
            endpoint_url=p["endpoint_url"], client_kwargs={"region_name": p["region_name"]}
        )
        if p.get("key") and p.get("secret"):
            s3.update(key=p["key"], secret=p["secret"])
        else:
            s3["anon"] = True
        return AssetReader(s3=s3)


class PcArdcDataStore(ArdcDataStore):
    """Cubes of Microsoft Planetary Computer collections (Sentinel-2, Landsat, HLS, Sentinel-3).

    Assets are Azure Blob hrefs readable with a SAS token, which the store
    fetches from ``signer_url`` per container, caches until shortly
    before it expires and appends to each href when a chunk is read: a cube
    computed after its first token expired reads with a renewed one.
    """

    provider = "Planetary Computer"
    default_url = PC_STAC_URL
    collections = PC_COLLECTIONS
    provider_params = dict(
        signer_url=url_schema(
            PC_SAS_TOKEN_URL,
            "Token endpoint answering {token, msft:expiry} at <url>/<account>/<container>",
        ),
        blob_endpoints=blob_endpoints_schema(),
    )

    @functools.cached_property
    def signer(self):
        """Signs blob hrefs; tokens cached per container until they expire."""
        from ..stac.sas import store_signer

        return store_signer(self._params["signer_url"], self._params)

    def _driver(self):
        from .cube import SessionRioDriver

        return SessionRioDriver(sign=self.signer.sign_href)

    def _reader(self):
        from .swaths import AssetReader

        return AssetReader(sign=self.signer.sign_href)

    def _prepare(self, items: list[Any]) -> None:
        """Fetch the SAS token of each container now, so that a token endpoint that
        fails is an error of ``open_data``; reads sign with the cached tokens and
        renew them once they are about to expire."""
        containers = {
            self.signer.container_of(asset.href) for item in items for asset in item.assets.values()
        }
        for container in sorted(c for c in containers if c is not None):
            self.signer.token(*container)
