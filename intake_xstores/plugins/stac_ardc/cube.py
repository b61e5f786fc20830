"""STAC items to one lazy cube, with ``odc.stac.load`` doing the geometry.

odc-stac reads each asset's grid from its ``proj:`` metadata, reprojects
every item onto one output grid (the CRS and resolution asked for, clipped
to the bounding box), mosaics the items of one solar day (first valid pixel
wins) and stacks the days along ``time``; each chunk is read by rasterio
when computed. What is ours: which asset is each band, the scaling of
digital numbers to physical values (per time step, since it may change with
an item's processing baseline), flag attributes, and the rasterio session
(S3 keys and endpoint) handed to the readers without touching ``os.environ``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr
from odc.loader import RioDriver
from odc.loader._rio import capture_rio_env

from .collections import S2_OFFSET_FROM_BASELINE_04, S2_SCALE, Collection


class SessionRioDriver(RioDriver):
    """odc-loader's rasterio reader with an S3 session, GDAL options and URL signing of its own.

    ``odc.stac.configure_rio`` would set the session for the whole process;
    this driver hands it to the readers of one cube only, through the
    environment odc-loader captures when the cube is made and restores
    around each chunk read (on dask workers too: it travels in the graph).
    *sign* rewrites each asset's URL when a chunk is read, not when the cube
    is made, so that a SAS token that expired in between is renewed.
    """

    def __init__(
        self,
        aws: dict[str, Any] | None = None,
        gdal: dict[str, Any] | None = None,
        sign: Callable[[str], str] | None = None,
    ):
        super().__init__()
        self._aws = dict(aws) if aws else None
        self._gdal = dict(gdal or {})
        self._sign = sign

    def open(self, src: Any, ctx: Any) -> Any:
        if self._sign is not None:
            src = src.patch(uri=self._sign(src.uri))
        return super().open(src, ctx)

    def capture_env(self) -> dict[str, Any]:
        env = {**capture_rio_env(), **self._gdal}
        if self._aws is not None:
            env["_aws"] = self._aws
        return env


def load_cube(
    items: Sequence[Any],
    collection: Collection,
    bands: Sequence[str],
    *,
    asset_res: float,
    crs: str,
    resolution: float,
    bbox: Sequence[float],
    tile_size: tuple[int, int],
    driver: RioDriver | None = None,
) -> xr.Dataset:
    """The cube of *bands* of *items*: mosaicked per solar day, scaled, lazily read."""
    import odc.stac

    assets = {band: collection.asset_key(band, asset_res) for band in bands}
    ds = odc.stac.load(
        items,
        bands=list(assets.values()),
        groupby="solar_day",
        crs=crs,
        resolution=resolution,
        bbox=tuple(bbox),
        chunks={"time": 1, "x": tile_size[0], "y": tile_size[1]},
        driver=driver,
        stac_cfg={collection.id: {"assets": collection.asset_types}}
        if collection.asset_types
        else None,
        fail_on_error=True,
    )
    ds = ds.rename({asset: band for band, asset in assets.items() if asset != band})
    lon = (bbox[0] + bbox[2]) / 2
    by_day = _items_by_solar_day(items, lon)
    day_items = [by_day.get(_solar_day(t, lon), []) for t in ds.time.values]
    data = {name: array.data for name, array in ds.data_vars.items()}
    scaled = set()
    for band, asset in assets.items():
        if band in collection.flags:
            continue
        with_asset = [next((i for i in group if asset in i.assets), None) for group in day_items]
        factors = [_scaling(collection, i, asset) if i else None for i in with_asset]
        if any(factors):
            data[band] = _scaled(data[band], factors, ds[band].attrs.get("nodata"))
            scaled.add(band)
    ds = ds.copy(data=data)  # one new dataset, not one per scaled band
    for band in assets:
        attrs = ds[band].attrs
        if band in collection.flags:
            attrs.update(collection.flags[band])
        elif band in scaled:
            attrs.pop("nodata", None)
            attrs["units"] = collection.units
    ds.attrs.update(
        title=collection.title,
        stac_collection=collection.id,
        stac_item_ids={
            str(np.datetime_as_string(t, unit="s")): [i.id for i in group]
            for t, group in zip(ds.time.values, day_items, strict=True)
        },
    )
    return ds


def _solar_day(time: Any, lon: float) -> datetime.date:
    """The local solar date at longitude *lon* of a UTC time, as odc-stac groups by."""
    moment = np.datetime64(time, "s").astype(datetime.datetime)
    return (moment + datetime.timedelta(hours=lon / 15)).date()


def _items_by_solar_day(items: Sequence[Any], lon: float) -> dict[datetime.date, list]:
    """*items* grouped as the cube's time steps are: by solar date."""
    groups: dict[datetime.date, list] = {}
    for item in sorted(items, key=lambda i: i.id):
        moment = item.datetime or item.common_metadata.start_datetime
        day = _solar_day(moment.replace(tzinfo=None), lon)
        groups.setdefault(day, []).append(item)
    return groups


def _scaling(collection: Collection, item: Any, asset: str) -> tuple[float, float] | None:
    """``(scale, offset)`` of *asset* of *item*, or ``None`` if its DNs are the values."""
    if collection.scaling == "s2-baseline":
        props = item.properties
        baseline = props.get("s2:processing_baseline") or props.get("processing:version") or ""
        offset = S2_OFFSET_FROM_BASELINE_04 if str(baseline) >= "04.00" else 0.0
        return S2_SCALE, offset
    if collection.scaling == "raster":
        fields = item.assets[asset].extra_fields
        band = (fields.get("raster:bands") or [{}])[0]
        scale = band.get("scale", fields.get("raster:scale"))
        offset = band.get("offset", fields.get("raster:offset"))
        if scale is None and offset is None:
            defaults = collection.default_scaling or {}
            return defaults.get(asset, defaults.get("*"))
        return float(1.0 if scale is None else scale), float(offset or 0.0)
    return None


def _scaled(dn: Any, factors: list[tuple[float, float] | None], nodata: Any) -> Any:
    """The dask array *dn* as float32 physical values, nodata as NaN: one task per chunk
    of the load, each time step scaled by its own factors (made without tokenizing
    the function, which costs more than the rest of the graph)."""
    import dask.array as da
    from dask.base import tokenize

    scale = np.array([f[0] if f else 1.0 for f in factors], "float32")
    offset = np.array([f[1] if f else 0.0 for f in factors], "float32")
    bounds = np.cumsum((0, *dn.chunks[0]))
    return da.map_blocks(
        _scale_block,
        dn,
        dtype=np.float32,
        meta=np.empty((0,) * dn.ndim, np.float32),
        name=f"scaled-{dn.name}-{tokenize(scale, offset, nodata)}",
        scale=scale,
        offset=offset,
        bounds=bounds,
        nodata=nodata,
    )


def _scale_block(
    dn: np.ndarray,
    scale: np.ndarray,
    offset: np.ndarray,
    bounds: np.ndarray,
    nodata: Any,
    block_id: tuple[int, ...],
) -> np.ndarray:
    start, stop = bounds[block_id[0]], bounds[block_id[0] + 1]  # the chunk's time steps
    shape = (stop - start,) + (1,) * (dn.ndim - 1)
    values = np.multiply(dn, scale[start:stop].reshape(shape), dtype=np.float32)
    values += offset[start:stop].reshape(shape)
    if nodata is not None:
        values[dn == nodata] = np.nan
    return values
