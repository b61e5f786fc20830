"""``EopfZarrDataStore``: the EOPF Sentinel Zarr samples as analysis-ready cubes.

The data IDs are EOPF collections. ``open_data(collection, time_range=,
bbox=, spatial_res=, crs=, variables=, tile_size=)`` searches the STAC API for
the collection's products in the bbox and time range, reads each EOPF Zarr
product onto one target grid (:mod:`.products`: Sentinel-2 tiles reprojected
with odc-geo, Sentinel-3 swaths rectified by binning), mosaics the products
of each solar day (the first product with data wins, in acquisition order)
and stacks the days along ``time``: one lazy cube.

``describe_data`` answers from the STAC collection (extent) and what the
product type holds (variables), opening no product.

``xarray-eopf`` (the EOPF project's xarray backend) was not used: its wheels
need zarr < 3 (this package reads Zarr with zarr 3) and Python 3.11.
"""

from __future__ import annotations

import datetime
import functools
import itertools
from dataclasses import dataclass
from typing import Any

from ...datatype import ANY_TYPE, DATASET_TYPE, DataType, DataTypeLike
from ...descriptor import DatasetDescriptor, VariableDescriptor
from ...errors import DataStoreError, error_text, param_error
from ...schema import (
    JsonArraySchema,
    JsonComplexSchema,
    JsonDateSchema,
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
    names_schema,
)
from ...store import CollectionListing, DataStore
from ..params import checked_bbox, url_schema
from ..web import retry_options, retry_policy, web_store_params_schema
from . import products

EOPF_STAC_URL = "https://stac.core.eopf.eodc.eu"

SERVICE = "The EOPF STAC API"


@dataclass(frozen=True)
class Collection:
    """What the store knows of an EOPF collection without asking the service."""

    title: str
    reader: str  # "sentinel2" or "sentinel3"
    variables: tuple[str, ...]
    native_res: float  # metres


_S2_BANDS = ("b01", "b02", "b03", "b04", "b05", "b06", "b07", "b08", "b8a", "b09", "b11", "b12")

COLLECTIONS: dict[str, Collection] = {
    "sentinel-2-l1c": Collection(
        "Sentinel-2 MSI Level-1C: top-of-atmosphere reflectances",
        "sentinel2",
        (*_S2_BANDS[:10], "b10", *_S2_BANDS[10:]),
        10,
    ),
    "sentinel-2-l2a": Collection(
        "Sentinel-2 MSI Level-2A: surface reflectances, scene classification",
        "sentinel2",
        (*_S2_BANDS, "scl", "cld", "snw"),
        10,
    ),
    "sentinel-3-olci-l1-efr": Collection(
        "Sentinel-3 OLCI Level-1 EFR: full-resolution top-of-atmosphere radiances",
        "sentinel3",
        tuple(f"oa{i:02d}_radiance" for i in range(1, 22)),
        300,
    ),
    "sentinel-3-olci-l2-lfr": Collection(
        "Sentinel-3 OLCI Level-2 LFR: full-resolution land products",
        "sentinel3",
        ("gifapar", "iwv", "otci", "rc681", "rc865"),
        300,
    ),
    "sentinel-3-slstr-l1-rbt": Collection(
        "Sentinel-3 SLSTR Level-1 RBT: radiances and brightness temperatures",
        "sentinel3",
        (*(f"s{i}_radiance_an" for i in range(1, 7)), "s7_bt_in", "s8_bt_in", "s9_bt_in"),
        500,
    ),
    "sentinel-3-slstr-l2-lst": Collection(
        "Sentinel-3 SLSTR Level-2 LST: land surface temperature",
        "sentinel3",
        ("lst",),
        1000,
    ),
}

_READERS = {"sentinel2": products.read_sentinel2, "sentinel3": products.read_sentinel3}

_TILE = JsonIntegerSchema(minimum=1)


def open_params_schema(collection: Collection | None = None) -> JsonObjectSchema:
    """The parameters of :meth:`EopfZarrDataStore.open_data`."""
    names = ", ".join(collection.variables) if collection else "the collection's variables"
    return JsonObjectSchema(
        properties=dict(
            time_range=_described(
                JsonDateSchema.new_range(), "Dates [start, end] of the products, both included"
            ),
            bbox=JsonArraySchema(
                items=[JsonNumberSchema()] * 4,
                description="[west, south, east, north] in the coordinates of crs",
            ),
            spatial_res=JsonNumberSchema(
                exclusive_minimum=0,
                description="Pixel size in the units of crs (degrees or metres)",
            ),
            crs=JsonStringSchema(
                default="EPSG:4326", description="CRS of the cube, e.g. 'EPSG:4326', 'EPSG:32632'"
            ),
            variables=names_schema(
                f"Variables (names or regular expressions) of: {names}; default: all"
            ),
            tile_size=JsonComplexSchema(
                any_of=[_TILE, JsonArraySchema(items=[_TILE, _TILE])],
                default=1024,
                description="Chunk size (x, y) of the cube: one number or [width, height]",
            ),
            query=JsonObjectSchema(
                additional_properties=True,
                description="Filters on item properties (STAC API query extension), "
                "e.g. {'eo:cloud_cover': {'lt': 20}}",
            ),
        ),
        required=["time_range", "bbox", "spatial_res"],
        additional_properties=False,
    )


def _described(schema, description: str):
    schema.description = description
    return schema


def _is_dataset_type(data_type: DataTypeLike) -> bool:
    data_type = DataType.normalize(data_type)
    return data_type is ANY_TYPE or DATASET_TYPE.is_super_type_of(data_type)


class EopfZarrDataStore(CollectionListing, DataStore):
    """EOPF Sentinel Zarr products, found through the STAC API at ``stac_url``.

    ``storage_options`` are the fsspec options of the products' URLs (by
    default anonymous HTTPS, as EODC's object storage serves them).
    """

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return web_store_params_schema(
            stac_url=url_schema(EOPF_STAC_URL, "URL of the EOPF STAC API"),
            storage_options=JsonObjectSchema(
                additional_properties=True,
                description="fsspec options for reading the products (their URLs' "
                "protocol: https, or s3 with key/secret/client_kwargs)",
            ),
        )

    # --- data IDs -----------------------------------------------------------------

    collection_ids = COLLECTIONS
    lists_type = staticmethod(_is_dataset_type)

    def collection(self, data_id: str) -> Collection:
        if data_id not in COLLECTIONS:
            raise DataStoreError(
                f"Data resource {data_id!r} is not an EOPF collection of this store; "
                f"its data IDs are: {', '.join(map(repr, COLLECTIONS))}"
            )
        return COLLECTIONS[data_id]

    # --- the STAC API -------------------------------------------------------------

    @functools.cached_property
    def client(self):
        """A pystac-client ``Client`` of the STAC API, retrying 429/5xx with backoff."""
        import pystac_client
        from pystac_client.stac_api_io import StacApiIO

        p = self._params
        retry = retry_policy(**retry_options(p))
        try:
            return pystac_client.Client.open(
                p["stac_url"], stac_io=StacApiIO(max_retries=retry, timeout=60)
            )
        except Exception as error:
            raise DataStoreError(
                f"{SERVICE} cannot be opened at {p['stac_url']}: {error_text(error)}; "
                "check 'stac_url'"
            ) from None

    def _search(self, data_id: str, bbox_wgs84, time_range, query) -> list[dict[str, Any]]:
        start, end = time_range
        try:
            search = self.client.search(
                collections=[data_id],
                bbox=list(bbox_wgs84),
                datetime=f"{start}T00:00:00Z/{end}T23:59:59Z",
                query=query or None,
            )
            items = list(search.items_as_dicts())
        except Exception as error:
            raise DataStoreError(
                f"{SERVICE} at {self._params['stac_url']} failed to search {data_id!r}: "
                f"{error_text(error)}"
            ) from None
        return [i for i in items if not (i.get("properties") or {}).get("deprecated")]

    # --- describing ---------------------------------------------------------------

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DatasetDescriptor:
        """The collection's extent (from the STAC API) and its variables."""
        collection = self.collection(data_id)
        if not self.has_data(data_id, data_type):
            raise param_error("data_type", data_type, allowed="'dataset'")
        try:
            stac = self.client.get_collection(data_id).to_dict()
        except Exception as error:
            raise DataStoreError(
                f"{SERVICE} at {self._params['stac_url']} cannot describe {data_id!r}: "
                f"{error_text(error)}"
            ) from None
        extent = stac.get("extent") or {}
        bbox = ((extent.get("spatial") or {}).get("bbox") or [None])[0]
        interval = ((extent.get("temporal") or {}).get("interval") or [[None, None]])[0]
        dims = ("time", "lat", "lon")
        return DatasetDescriptor(
            data_id,
            crs="EPSG:4326",
            bbox=tuple(bbox) if bbox else None,
            time_range=tuple(t[:10] if t else None for t in interval),
            spatial_res=collection.native_res / products.METRES_PER_DEGREE,
            data_vars={v: VariableDescriptor(v, "float32", dims) for v in collection.variables},
            attrs={
                "title": stac.get("title") or collection.title,
                "description": stac.get("description"),
                "native_spatial_res_m": collection.native_res,
                "stac_url": self._params["stac_url"],
            },
            open_params_schema=self.get_open_data_params_schema(data_id),
        )

    # --- opening ------------------------------------------------------------------

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        if data_id is not None and not self.has_data(data_id, data_type):
            return ()
        return ("dataset:zarr:eopf-zarr",)

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        return open_params_schema(self.collection(data_id) if data_id else None)

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """One lazy cube of *data_id*'s products in ``bbox`` and ``time_range``,
        on the grid of ``crs`` and ``spatial_res``, one time step per solar day."""
        collection = self.collection(data_id)
        open_params.pop("data_type", None)
        if opener_id not in (None, *self.get_data_opener_ids()):
            raise param_error("opener_id", opener_id, allowed="'dataset:zarr:eopf-zarr'")
        params = self.get_open_data_params_schema(data_id).process(open_params)
        geobox, bbox_wgs84 = _target_grid(params)
        variables = params.get("variables")
        variables = [variables] if isinstance(variables, str) else variables
        unknown = [v for v in variables or () if not products.select(collection.variables, [v])]
        if unknown:
            raise param_error(
                "variables", unknown, allowed=", ".join(collection.variables) + " (or patterns)"
            )
        items = self._search(data_id, bbox_wgs84, params["time_range"], params.get("query"))
        if not items:
            raise DataStoreError(
                f"{SERVICE} at {self._params['stac_url']} has no {data_id!r} products in "
                f"bbox {params['bbox']} ({params['crs']}) from {params['time_range'][0]} to "
                f"{params['time_range'][1]}"
            )
        reader = _READERS[collection.reader]
        days = []
        for day, day_items in _by_solar_day(items):
            layers = [self._read(reader, item, geobox, variables) for item in day_items]
            days.append((day, _mosaic(layers), [i["id"] for i in day_items]))
        return _stack(days, geobox, params, data_id, self._params["stac_url"])

    def _read(self, reader, item: dict[str, Any], geobox, variables) -> dict[str, Any]:
        href = _product_href(item)
        options = dict(self._params.get("storage_options") or {})
        try:
            return reader(href, item, geobox, variables, options)
        except DataStoreError:
            raise
        except Exception as error:
            raise DataStoreError(
                f"Cannot read the EOPF product {item.get('id')!r} ({href}): {error_text(error)}"
            ) from error


def _target_grid(params: dict[str, Any]):
    """The target ``GeoBox`` of the open parameters, and their bbox in WGS84."""
    from odc.geo import geom
    from odc.geo.geobox import GeoBox
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(params["crs"])
    except CRSError:
        raise param_error(
            "crs", params["crs"], allowed="a CRS pyproj knows, e.g. 'EPSG:4326'"
        ) from None
    west, south, east, north = checked_bbox(params["bbox"])
    res = params["spatial_res"]
    geobox = GeoBox.from_bbox((west, south, east, north), crs=crs, resolution=res, tight=True)
    wgs84 = geom.box(west, south, east, north, crs).to_crs("EPSG:4326").boundingbox
    return geobox, tuple(float(v) for v in wgs84)


def _product_href(item: dict[str, Any]) -> str:
    assets = item.get("assets") or {}
    asset = assets.get("product") or next(
        (
            a
            for a in assets.values()
            if "zarr" in str(a.get("type", "")) or str(a.get("href", "")).endswith(".zarr")
        ),
        None,
    )
    if not asset or not asset.get("href"):
        raise DataStoreError(f"The STAC item {item.get('id')!r} has no Zarr product asset")
    return asset["href"]


def _item_time(item: dict[str, Any]) -> datetime.datetime:
    properties = item.get("properties") or {}
    text = properties.get("datetime") or properties.get("start_datetime")
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _solar_day(item: dict[str, Any]) -> datetime.date:
    """The local date where the product was taken: UTC shifted by longitude."""
    bbox = item.get("bbox") or [0, 0, 0, 0]
    longitude = (bbox[0] + bbox[2]) / 2
    return (_item_time(item) + datetime.timedelta(hours=longitude / 15)).date()


def _by_solar_day(items: list[dict[str, Any]]):
    ordered = sorted(items, key=lambda i: (_solar_day(i), _item_time(i), i.get("id", "")))
    for day, group in itertools.groupby(ordered, key=_solar_day):
        yield day, list(group)


def _mosaic(layers: list[dict[str, Any]]) -> dict[str, Any]:
    """Per variable, the first layer's pixels, gaps filled by the next layers'."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for name, array in layer.items():
            merged[name] = array if name not in merged else merged[name].fillna(array)
    return merged


def _stack(days, geobox, params, data_id: str, stac_url: str):
    """The cube: the days' mosaics along ``time``, chunked by ``tile_size``."""
    import numpy as np
    import xarray as xr
    from odc.geo.xr import xr_coords

    names = sorted({n for _, layers, _ in days for n in layers})
    if not names:
        raise DataStoreError(f"The {data_id!r} products found hold none of the variables asked")
    coords = xr_coords(geobox, crs_coord_name="spatial_ref")
    empty = xr.DataArray(
        np.full(geobox.shape, np.nan, dtype="float32"), coords=coords, dims=geobox.dimensions
    )
    steps = [
        xr.Dataset({n: layers.get(n, empty).astype("float32") for n in names}, coords=coords)
        for _, layers, _ in days
    ]
    cube = xr.concat(steps, dim="time", coords="minimal", compat="override")
    cube = cube.assign_coords(time=np.array([str(d) for d, _, _ in days], dtype="datetime64[ns]"))
    y_dim, x_dim = geobox.dimensions
    if geobox.crs.geographic:
        cube = cube.rename({y_dim: "lat", x_dim: "lon"})
        y_dim, x_dim = "lat", "lon"
    tile = params["tile_size"]
    width, height = (tile, tile) if isinstance(tile, int) else tile
    cube = cube.chunk({"time": 1, y_dim: height, x_dim: width})
    for name in names:
        cube[name].attrs["grid_mapping"] = "spatial_ref"
    cube.attrs.update(
        title=f"EOPF {COLLECTIONS[data_id].title}",
        source=stac_url,
        collection=data_id,
        products=", ".join(i for _, _, ids in days for i in ids),
    )
    return cube
