"""Swath collections (Sentinel-3 NetCDF items) to one lazy cube, rectified by :mod:`..swath`.

odc-stac places assets by their ``proj:`` grid, which swath files have
not: their pixels are located by 2-D latitude/longitude in a separate
geolocation file. Here each item becomes one dask task that reads the
item's band files and geolocation file (xarray with h5netcdf over fsspec:
S3 keys for CDSE, SAS-signed HTTPS for Planetary Computer, signed when the
task runs), decodes them by their CF attributes (``scale_factor``,
``add_offset``, ``_FillValue``), keeps the swath rows and columns that
reach the grid, and rectifies them (binning, holes filled by the nearest
pixel). Items of one solar day are mosaicked, the earliest first: a cell
takes the first item's value, later items only fill its NaN cells (as
odc-stac does for the other collections). Days are stacked along ``time``.

A search finding items whose swaths miss the bounding box yields NaN
cells, not an error: an item's footprint is known before its pixels are read.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ...errors import DataStoreError, error_text, param_error
from ..swath import bin_swath
from .collections import Collection


class AssetReader:
    """Opens asset hrefs as files: ``s3://`` with s3fs options, ``http(s)://``
    signed by *sign* first (at read time, so that renewed tokens are used)."""

    def __init__(
        self, s3: dict[str, Any] | None = None, sign: Callable[[str], str] | None = None
    ) -> None:
        self._s3 = dict(s3 or {})
        self._sign = sign

    def open(self, href: str):
        import fsspec

        if href.startswith("s3://"):
            return fsspec.open(href, "rb", **self._s3).open()
        if self._sign is not None:
            href = self._sign(href)
        return fsspec.open(href, "rb", block_size=2**20).open()


def target_geobox(bbox: Sequence[float], crs: str, resolution: float):
    """The grid of the cube: *bbox* (degrees) in *crs* ("utm": the zone of its centre)."""
    from odc.geo.geobox import BoundingBox, GeoBox
    from pyproj.exceptions import CRSError

    try:
        box = BoundingBox(*bbox, crs="EPSG:4326").to_crs(crs)
    except (CRSError, ValueError) as error:
        raise param_error(
            "crs", crs, problem=error_text(error), allowed="'utm' or a CRS such as 'EPSG:32632'"
        ) from None
    return GeoBox.from_bbox(box, resolution=resolution)


def load_swath_cube(
    items: Sequence[Any],
    collection: Collection,
    bands: Sequence[str],
    *,
    crs: str,
    resolution: float,
    bbox: Sequence[float],
    tile_size: tuple[int, int],
    reader: AssetReader,
) -> xr.Dataset:
    """The cube of *bands* of the swath *items* on the grid of *bbox*, *crs*, *resolution*."""
    import dask
    import dask.array as da
    from odc.geo.xr import xr_coords

    geobox = target_geobox(bbox, crs, resolution)
    swath = collection.swath
    decode = collection.scaling is not None
    days = _by_solar_day(items, (bbox[0] + bbox[2]) / 2)
    mosaics, times = [], []
    for group in days:
        layers = []
        for item in group:
            files = _files(item, collection, bands)
            task = dask.delayed(_read_item)(item.id, files, swath, geobox, reader, decode)
            layers.append(da.from_delayed(task, (len(bands), *geobox.shape), dtype="float32"))
        mosaics.append(_first_valid(layers))
        times.append(min(_time(i) for i in group))
    stacked = da.stack(mosaics).rechunk((1, 1, tile_size[1], tile_size[0]))
    coords = {"time": np.array(times, dtype="datetime64[ns]"), **xr_coords(geobox)}
    dims = ("time", *geobox.dimensions)
    attrs = {"units": collection.units}
    ds = xr.Dataset(
        {b: xr.DataArray(stacked[:, i], coords, dims, attrs=attrs) for i, b in enumerate(bands)}
    )
    ds.attrs.update(
        title=collection.title,
        stac_collection=collection.id,
        stac_item_ids={
            str(np.datetime_as_string(np.datetime64(t, "s"))): [i.id for i in group]
            for t, group in zip(times, days, strict=True)
        },
    )
    return ds


def _files(item: Any, collection: Collection, bands: Sequence[str]) -> dict[str, Any]:
    """``{"geolocation": href, "bands": [(href, variable), ...]}`` of *item*."""
    swath = collection.swath
    missing = [swath.geolocation] if swath.geolocation not in item.assets else []
    keys = [collection.asset_key(b, collection.default_res) for b in bands]
    missing += [k for k in keys if k not in item.assets]
    if missing:
        raise DataStoreError(
            f"Item {item.id!r} of {collection.id!r} has no asset {', '.join(map(repr, missing))}"
        )
    pairs = zip(keys, bands, strict=True)
    return {
        "geolocation": item.assets[swath.geolocation].href,
        "bands": [(item.assets[k].href, swath.variables[b]) for k, b in pairs],
    }


def _read_item(item_id: str, files: dict, swath, geobox, reader: AssetReader, decode: bool):
    """Read one item's swath and rectify it: ``(bands, height, width)`` float32."""
    opened: dict[tuple[str, bool], xr.Dataset] = {}
    handles: list[Any] = []

    def variable(href: str, name: str, cf: bool) -> xr.DataArray:
        if (href, cf) not in opened:
            try:
                handles.append(reader.open(href))
                opened[href, cf] = xr.open_dataset(
                    handles[-1], engine="h5netcdf", mask_and_scale=cf, decode_times=False
                )
            except Exception as error:
                raise DataStoreError(
                    f"Cannot read {href.split('?')[0]} of item {item_id!r}: {error_text(error)}"
                ) from error
        dataset = opened[href, cf]
        if name not in dataset.variables:
            raise DataStoreError(
                f"{href.split('?')[0]} of item {item_id!r} has no variable {name!r} "
                f"(it has: {', '.join(map(str, dataset.data_vars))})"
            )
        return dataset[name]

    try:
        geo = files["geolocation"]
        lat = variable(geo, swath.lat, True).values
        lon = variable(geo, swath.lon, True).values
        rows, cols = _window(lat, lon, geobox)
        if rows is None:
            return np.full((len(files["bands"]), *geobox.shape), np.nan, dtype="float32")
        values = [_values(variable(h, n, decode), rows, cols, decode) for h, n in files["bands"]]
        return bin_swath(values, lat[rows, cols], lon[rows, cols], geobox)
    finally:
        for closable in [*opened.values(), *handles]:
            closable.close()


def _values(array: xr.DataArray, rows: slice, cols: slice, decoded: bool) -> np.ndarray:
    """The window of *array* as floats; undecoded, its ``_FillValue`` as NaN."""
    values = array[rows, cols].values.astype("float64")
    fill = array.attrs.get("_FillValue", array.encoding.get("_FillValue"))
    if not decoded and fill is not None:
        values[values == fill] = np.nan
    return values


def _window(lat: np.ndarray, lon: np.ndarray, geobox) -> tuple[slice | None, slice | None]:
    """The swath rows and columns with pixels on *geobox* (a margin of two
    cells), so that only they are read; ``(None, None)`` if there are none."""
    margin = 2 * max(abs(geobox.resolution.x), abs(geobox.resolution.y))
    box = geobox.extent.boundingbox.buffered(margin, margin)
    west, south, east, north = box.to_crs("EPSG:4326").bbox
    inside = (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)
    if not inside.any():
        return None, None
    r, c = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    return slice(r[0], r[-1] + 1), slice(c[0], c[-1] + 1)


def _time(item: Any) -> datetime.datetime:
    moment = item.datetime or item.common_metadata.start_datetime
    return moment.replace(tzinfo=None)


def _by_solar_day(items: Sequence[Any], lon: float) -> list[list[Any]]:
    """*items* grouped by local solar date at *lon*, each group earliest first."""
    groups: dict[datetime.date, list] = {}
    for item in sorted(items, key=lambda i: (_time(i), i.id)):
        day = (_time(item) + datetime.timedelta(hours=lon / 15)).date()
        groups.setdefault(day, []).append(item)
    return [groups[day] for day in sorted(groups)]


def _first_valid(layers: list[Any]) -> Any:
    """Per cell, the first layer's value that is not NaN."""
    import dask.array as da

    result = layers[0]
    for layer in layers[1:]:
        result = da.where(da.isnan(result), layer, result)
    return result
