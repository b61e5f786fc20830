"""Swath collections (Sentinel-3 NetCDF items) to one lazy cube, rectified by :mod:`..swath`.

odc-stac places assets by their ``proj:`` grid, which swath files have
not: their pixels are located by 2-D latitude/longitude in a separate
geolocation file. Here, per item, one dask task reads the geolocation and
finds where each swath pixel falls on the grid; then one task per tile of
the cube (``tile_size``) reads, from the item's band files, only the swath
rows and columns that reach the tile, decodes them by their CF attributes
(``scale_factor``, ``add_offset``, ``_FillValue``) and rectifies them
(binning, holes filled by the nearest pixel). Files are read with xarray
and h5netcdf over fsspec: S3 keys for CDSE, HTTPS for Planetary Computer,
signed when a task runs so that renewed SAS tokens are used. Items of one
solar day are mosaicked, the earliest first: a cell takes the first item's
value, later items only fill its NaN cells (as odc-stac does for the other
collections). Days are stacked along ``time``.

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
from ..swath import FILL_RADIUS, bin_positions, grid_position, pixel_spacing
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
    decode = collection.scaling is not None
    days = _by_solar_day(items, (bbox[0] + bbox[2]) / 2)
    mosaics, times = [], []
    for group in days:
        layers = []
        for item in group:
            files = _files(item, collection, bands)
            located = dask.delayed(_locate)(item.id, files["geolocation"], geobox, reader)
            blocks = [
                [
                    da.from_delayed(
                        dask.delayed(_read_tile)(
                            item.id, files["bands"], located, tile, reader, decode
                        ),
                        (len(bands), tile[2], tile[3]),
                        dtype="float32",
                    )
                    for tile in row
                ]
                for row in _tiles(geobox.shape, tile_size)
            ]
            layers.append(da.block(blocks))
        mosaics.append(_first_valid(layers))
        times.append(min(_time(i) for i in group))
    stacked = da.stack(mosaics)
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


def _tiles(shape: tuple[int, int], tile_size: tuple[int, int]) -> list[list[tuple[int, ...]]]:
    """The grid's tiles ``(row, column, height, width)``, row by row."""
    (height, width), (tile_w, tile_h) = shape, tile_size
    return [
        [(r, c, min(tile_h, height - r), min(tile_w, width - c)) for c in range(0, width, tile_w)]
        for r in range(0, height, tile_h)
    ]


def _files(item: Any, collection: Collection, bands: Sequence[str]) -> dict[str, Any]:
    """``{"geolocation": (href, lat, lon), "bands": [(href, variable), ...]}`` of *item*."""
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
        "geolocation": (item.assets[swath.geolocation].href, swath.lat, swath.lon),
        "bands": [(item.assets[k].href, swath.variables[b]) for k, b in pairs],
    }


class _ItemFiles:
    """The NetCDF files of one item, opened on first use (xarray, h5netcdf) and closed together."""

    def __init__(self, item_id: str, reader: AssetReader) -> None:
        self._item_id, self._reader = item_id, reader
        self._opened: dict[tuple[str, bool], xr.Dataset] = {}
        self._handles: list[Any] = []

    def __enter__(self) -> _ItemFiles:
        return self

    def __exit__(self, *exc: Any) -> None:
        for closable in [*self._opened.values(), *self._handles]:
            closable.close()

    def variable(self, href: str, name: str, decode: bool) -> xr.DataArray:
        """Variable *name* of the file at *href*, lazily; decoded by its CF attributes or not."""
        where = f"{href.split('?')[0]} of item {self._item_id!r}"
        if (href, decode) not in self._opened:
            try:
                self._handles.append(self._reader.open(href))
                self._opened[href, decode] = xr.open_dataset(
                    self._handles[-1], engine="h5netcdf", mask_and_scale=decode, decode_times=False
                )
            except Exception as error:
                raise DataStoreError(f"Cannot read {where}: {error_text(error)}") from error
        dataset = self._opened[href, decode]
        if name not in dataset.variables:
            names = ", ".join(map(str, dataset.data_vars))
            raise DataStoreError(f"{where} has no variable {name!r} (it has: {names})")
        return dataset[name]


def _locate(item_id: str, geolocation: tuple[str, str, str], geobox, reader: AssetReader):
    """Where *item*'s swath pixels are on *geobox*: fractional columns and rows (float32,
    2-D), and the margin in cells a tile needs around it for nearest-pixel filling."""
    href, lat_name, lon_name = geolocation
    with _ItemFiles(item_id, reader) as files:
        lat = files.variable(href, lat_name, True).values
        lon = files.variable(href, lon_name, True).values
    cols, rows = grid_position(lat, lon, geobox)
    spacing = pixel_spacing(cols, rows) or 0.0
    return cols.astype("float32"), rows.astype("float32"), FILL_RADIUS * spacing + 1


def _read_tile(item_id: str, bands, located, tile, reader: AssetReader, decode: bool):
    """One tile ``(row, column, height, width)`` of *item*'s bands: ``(bands, height,
    width)`` float32, read from the swath rows and columns that reach the tile only."""
    cols, rows, margin = located
    r0, c0, height, width = tile
    near = (cols >= c0 - margin) & (cols <= c0 + width + margin)
    near &= (rows >= r0 - margin) & (rows <= r0 + height + margin)
    if not near.any():
        return np.full((len(bands), height, width), np.nan, dtype="float32")
    r, c = np.flatnonzero(near.any(axis=1)), np.flatnonzero(near.any(axis=0))
    window = slice(r[0], r[-1] + 1), slice(c[0], c[-1] + 1)
    with _ItemFiles(item_id, reader) as files:
        values = [_values(files.variable(h, n, decode), window, decode) for h, n in bands]
    return bin_positions(values, cols[window] - c0, rows[window] - r0, (height, width))


def _values(array: xr.DataArray, window: tuple[slice, slice], decoded: bool) -> np.ndarray:
    """The *window* of *array* as floats; undecoded, its ``_FillValue`` as NaN."""
    values = array[window].values.astype("float64")
    fill = array.attrs.get("_FillValue", array.encoding.get("_FillValue"))
    if not decoded and fill is not None:
        values[values == fill] = np.nan
    return values


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
