"""The open parameters of a Sentinel Hub cube: their schema, and their checking.

:func:`cube_spec` turns checked parameters into a :class:`~.cube.CubeSpec`:
the grid, the bands and the time steps, which are either regular
(``time_period``) or the acquisitions the Catalog API finds in the bbox and
time range, each widened by ``time_tolerance``.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import DataStoreError, param_error
from ...schema import (
    JsonArraySchema,
    JsonDatetimeSchema,
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
)
from ..params import checked_bbox, plain_bbox_schema
from .collections import Collection
from .cube import CubeSpec

SAMPLINGS = ["NEAREST", "BILINEAR", "BICUBIC"]
RESPONSE_FORMATS = ["image/tiff", "application/octet-stream"]
CRS_PATTERN = r"^(EPSG:[0-9]+|WGS84|CRS84|http://www\.opengis\.net/def/crs/EPSG/0/[0-9]+)$"

#: Most pixels of one cube (per band and time step): a typo in spatial_res
#: should be an error, not a billion requests.
MAX_PIXELS = 2**34


def open_params_schema(bands: list[str] | None, custom: bool) -> JsonObjectSchema:
    """The open parameters; *bands* (if known) are the allowed variable names."""
    properties = dict(
        variable_names=JsonArraySchema(
            items=JsonStringSchema(enum=bands) if bands else JsonStringSchema(min_length=1),
            min_items=1,
            unique_items=True,
            description="Bands to read (default: all of the collection)",
        ),
        bbox=plain_bbox_schema("[west, south, east, north] in units of crs"),
        crs=JsonStringSchema(
            pattern=CRS_PATTERN,
            default="EPSG:4326",
            description="CRS of bbox and of the cube: 'EPSG:<code>' or 'WGS84'",
        ),
        spatial_res=JsonNumberSchema(exclusive_minimum=0, description="Pixel size in units of crs"),
        time_range=JsonArraySchema(
            items=JsonDatetimeSchema(),
            min_items=2,
            max_items=2,
            description="[start, end]; a date as end means the end of that day",
        ),
        time_period=JsonStringSchema(
            description="Regular time steps of this length ('1D', '8D', '1W', ...), each a "
            "mosaic; default: one step per acquisition the Catalog API finds",
        ),
        time_tolerance=JsonStringSchema(
            default="10min",
            description="Acquisitions this close to each other make one time step",
        ),
        tile_size=JsonArraySchema(
            items=JsonIntegerSchema(minimum=1, maximum=2500),
            min_items=2,
            max_items=2,
            default=[512, 512],
            description="[width, height] of a tile: one Process API request, one chunk",
        ),
        upsampling=JsonStringSchema(enum=SAMPLINGS, default="NEAREST"),
        downsampling=JsonStringSchema(enum=SAMPLINGS, default="NEAREST"),
        mosaicking_order=JsonStringSchema(
            enum=["mostRecent", "leastRecent", "leastCC"],
            default="mostRecent",
            description="Which acquisition shows where several cover a pixel of a time step",
        ),
        response_format=JsonStringSchema(
            enum=RESPONSE_FORMATS,
            default="image/tiff",
            description="How the Process API sends tiles: GeoTIFF, or raw float32",
        ),
        extra_search_params=JsonObjectSchema(
            additional_properties=True,
            description="Further fields of the Catalog API search (e.g. 'filter')",
        ),
    )
    if custom:
        properties["collection_id"] = JsonStringSchema(
            min_length=1, description="BYOC collection ID (data ID 'CUSTOM')"
        )
    return JsonObjectSchema(
        properties=properties,
        required=["bbox", "spatial_res", "time_range"],
        additional_properties=False,
    )


def cube_spec(store, collection: Collection, params: dict[str, Any]) -> CubeSpec:
    """The cube *params* ask for; the Catalog API is asked for its time steps
    unless ``time_period`` is given."""
    import pandas as pd

    bands = tuple(params.get("variable_names") or (b.name for b in collection.bands))
    if not bands:
        raise param_error(
            "variable_names",
            None,
            problem=f"the bands of {collection.process_type!r} are not known",
            allowed="the names of the collection's bands",
        )
    x0, y0, x1, y1 = checked_bbox(params["bbox"])
    epsg = _epsg(params["crs"])
    res = float(params["spatial_res"])
    width, height = round((x1 - x0) / res), round((y1 - y0) / res)
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise param_error(
            "spatial_res",
            params["spatial_res"],
            problem=f"it makes the bbox {width} x {height} pixels",
            allowed=f"a pixel size giving 1 to {MAX_PIXELS} pixels",
        )
    start, end = time_bounds(params["time_range"])
    if period := params.get("time_period"):
        step = _timedelta("time_period", period)
        starts = pd.date_range(start, end, freq=step, inclusive="left")
        times = tuple((s, min(s + step, end)) for s in starts)
    else:
        times = _acquisitions(store, collection, params, epsg, start, end)
    return CubeSpec(
        collection=collection,
        bands=bands,
        bbox=(x0, y0, x1, y1),
        epsg=epsg,
        spatial_res=res,
        tile_size=tuple(params["tile_size"]),
        times=times,
        upsampling=params["upsampling"],
        downsampling=params["downsampling"],
        mosaicking_order=params["mosaicking_order"],
        response_format=params["response_format"],
    )


def time_bounds(time_range) -> tuple[Any, Any]:
    """[start, end] as UTC-naive Timestamps; a date as end means that whole day."""
    import pandas as pd

    stamps = []
    for value in time_range:
        stamp = pd.Timestamp(value)
        stamps.append(stamp.tz_convert(None) if stamp.tzinfo is not None else stamp)
    start, end = stamps
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(time_range[1]).strip()):
        end += pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    if end < start:
        raise param_error("time_range", list(time_range), allowed="[start, end], start <= end")
    return start, end


def _acquisitions(store, collection, params, epsg, start, end):
    import pandas as pd

    from .catalog import search_times

    if collection.catalog_id is None:
        raise param_error(
            "time_period",
            None,
            problem=f"{collection.data_id} has no acquisitions to search for time steps",
            allowed="a period such as '1D'",
        )
    tolerance = _timedelta("time_tolerance", params["time_tolerance"])
    found = search_times(
        store.client,
        store.catalog_url,
        collection.catalog_id,
        _wgs84_bbox(params["bbox"], epsg),
        (start.isoformat(), end.isoformat()),
        params.get("extra_search_params"),
    )
    steps: list[Any] = []
    for stamp in (pd.Timestamp(t).tz_convert(None) for t in found):
        if steps and stamp - steps[-1] <= tolerance:
            continue  # the same overpass, another granule
        steps.append(stamp)
    if not steps:
        raise DataStoreError(
            f"{store.SERVICE}'s catalog has no acquisitions of {collection.data_id} in "
            f"bbox {params['bbox']} between {start} and {end}"
        )
    return tuple((s - tolerance, s + tolerance) for s in steps)


def _timedelta(name: str, value: str):
    import pandas as pd

    try:
        step = pd.to_timedelta(pd.tseries.frequencies.to_offset(value))
    except (ValueError, TypeError):
        step = None
    if step is None or step <= pd.Timedelta(0):
        raise param_error(name, value, allowed="a positive fixed period: '1D', '8D', '1W', '6h'")
    return step


def _epsg(crs: str) -> int:
    if crs in ("WGS84", "CRS84"):
        return 4326
    return int(re.findall(r"[0-9]+$", crs)[0])


def _wgs84_bbox(bbox, epsg: int) -> list[float]:
    if epsg == 4326:
        return list(bbox)
    from pyproj import Transformer

    transformer = Transformer.from_crs(epsg, 4326, always_xy=True)
    return list(transformer.transform_bounds(*bbox))
