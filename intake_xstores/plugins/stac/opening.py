"""Opening an item: each chosen asset through our opener, merged into one dataset.

A raster asset's bands become variables named after the asset (see
:func:`.describe.band_names`); a Zarr or NetCDF asset brings its own
variables, prefixed by the asset's name where two assets share a name.
Assets must lie on one grid to merge; when they do not, the error says
which, and ``asset_names`` opens them apart. As a multi-level dataset,
level *i* merges level *i* of every asset's pyramid.
"""

from __future__ import annotations

import functools
from typing import Any

from ...datatype import DATASET_TYPE
from ...errors import DataStoreError
from .assets import DataAsset, scale_variables
from .catalog import item_time_range
from .describe import RASTER_FORMATS, band_names


def open_assets(
    store: Any,
    data_id: str,
    item: dict[str, Any],
    assets: list[DataAsset],
    params: dict[str, Any],
):
    """The *assets* of *item*, each opened by ``store.open_asset`` (a
    :class:`~.store.StacDataStore`), as one dataset or multi-level dataset."""
    data_type = params["data_type"]
    chunks = params.get("chunks", {})
    opened = [store.open_asset(data_id, a, data_type, chunks) for a in assets]
    attrs = item_attrs(data_id, item)
    scaling = params.get("apply_scaling", False)
    if data_type == DATASET_TYPE.alias:
        return merge_assets(data_id, assets, opened, scaling, attrs)
    from ...mldataset import MultiLevelDataset

    return MultiLevelDataset(
        functools.partial(_item_level, data_id, assets, opened, scaling, attrs),
        min(m.num_levels for m in opened),
        ds_id=data_id,
        tile_size=opened[0].tile_size,
    )


def merge_assets(data_id, assets: list[DataAsset], datasets: list, scaling: bool, attrs: dict):
    """The assets' datasets as one, variables named after their assets."""
    import xarray as xr

    parts, seen = [], set()
    for asset, ds in zip(assets, datasets, strict=True):
        ds = _named(asset, ds, seen)
        if scaling and asset.format_id in RASTER_FORMATS:
            ds = scale_variables(ds, asset, list(ds.data_vars))
        seen.update(ds.data_vars)
        parts.append(ds)
    if len(parts) == 1:  # nothing to align
        return _with_attrs(parts[0], attrs)
    try:
        merged = xr.merge(parts, join="exact", compat="override", combine_attrs="drop")
    except ValueError as error:
        names = ", ".join(repr(a.name) for a in assets)
        raise DataStoreError(
            f"The assets {names} of {data_id!r} do not lie on one grid ({error}); "
            "open them apart with asset_names=[...]"
        ) from None
    merged.attrs.update(attrs)
    return merged


def _with_attrs(ds, attrs: dict):
    """*ds* (not copied in data) with the item's attributes instead of its own."""
    ds = ds.copy(deep=False)
    ds.attrs = dict(attrs)
    return ds


def _named(asset: DataAsset, ds, taken: set[str]):
    if asset.format_id in RASTER_FORMATS:
        old = list(ds.data_vars)
        ds = ds.rename(dict(zip(old, band_names(asset.name, len(old)), strict=True)))
        for name in ds.data_vars:
            ds[name].attrs["stac_asset"] = asset.name
        return ds
    clashes = {n: f"{asset.name}_{n}" for n in ds.data_vars if n in taken}
    return ds.rename(clashes) if clashes else ds


def _item_level(data_id, assets, pyramids, scaling, attrs, index: int):
    """Level *index* of an item: level *index* of each asset's pyramid, merged
    (a :func:`functools.partial` of it is the item's picklable level maker)."""
    levels = [p.get_dataset(index) for p in pyramids]
    return merge_assets(data_id, assets, levels, scaling, attrs)


def item_attrs(data_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """What a dataset opened from *item* says of it in its attributes."""
    props = item.get("properties") or {}
    attrs = {k: v for k, v in props.items() if isinstance(v, (str, int, float, bool))}
    time_range = item_time_range(item)
    attrs.update(stac_item_id=item.get("id"), stac_data_id=data_id)
    if item.get("collection"):
        attrs["stac_collection"] = item["collection"]
    if time_range:
        attrs.update(time_coverage_start=time_range[0], time_coverage_end=time_range[1])
    return attrs
