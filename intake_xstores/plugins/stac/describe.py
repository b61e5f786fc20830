"""Describing an item from its metadata alone: no asset is read.

The bbox and time range come from the item; the CRS from ``proj:code`` /
``proj:epsg``; variables from each data asset: one per ``raster:bands``
entry of a raster (named as :mod:`.opening` names them), and the
``cube:variables`` of the datacube extension for Zarr and NetCDF assets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...descriptor import DatasetDescriptor, MultiLevelDatasetDescriptor, VariableDescriptor
from ...schema import JsonObjectSchema
from .assets import DataAsset
from .catalog import item_time_range

RASTER_FORMATS = ("geotiff", "j2k")


def band_names(asset_name: str, count: int) -> list[str]:
    """Variable names of a raster asset's bands: the asset's name for one band."""
    if count == 1:
        return [asset_name]
    return [f"{asset_name}_band_{i}" for i in range(1, count + 1)]


def describe_item(
    data_id: str,
    item: dict[str, Any],
    assets: dict[str, DataAsset],
    data_type: str,
    open_schema: Callable[[], JsonObjectSchema],
) -> DatasetDescriptor:
    props = item.get("properties") or {}
    bbox = item.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 6:  # 3-D: [w, s, zmin, e, n, zmax]
        bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
    time_range = item_time_range(item)
    data_vars: dict[str, VariableDescriptor] = {}
    dims: dict[str, int] = {}
    for asset in assets.values():
        data_vars.update(_asset_variables(asset, item, dims))
    fields: dict[str, Any] = dict(
        crs=_crs(props, assets),
        bbox=tuple(bbox) if isinstance(bbox, list) and len(bbox) == 4 else None,
        time_range=tuple(_date(t) for t in time_range) if time_range else None,
        spatial_res=_spatial_res(props, assets),
        dims=dims or None,
        data_vars=data_vars or None,
        attrs=_attrs(item, assets),
        open_params_schema=open_schema(),
    )
    if data_type == "mldataset":
        return MultiLevelDatasetDescriptor(data_id, _num_levels(assets), **fields)
    return DatasetDescriptor(data_id, **fields)


def _asset_variables(asset: DataAsset, item: dict[str, Any], dims: dict[str, int]):
    shape = asset.asset.get("proj:shape") or (item.get("properties") or {}).get("proj:shape")
    if asset.format_id in RASTER_FORMATS:
        bands = asset.bands or [{}]
        if isinstance(shape, list) and len(shape) == 2:
            dims.update(y=int(shape[0]), x=int(shape[1]))
        for name, band in zip(band_names(asset.name, len(bands)), bands, strict=True):
            attrs = {k: band[k] for k in ("nodata", "scale", "offset", "unit") if k in band}
            yield (
                name,
                VariableDescriptor(
                    name, str(band.get("data_type") or "float32"), ("y", "x"), attrs=attrs or None
                ),
            )
        return
    cube_vars = asset.asset.get("cube:variables") or (item.get("properties") or {}).get(
        "cube:variables"
    )
    for name, var in (cube_vars or {}).items():
        if isinstance(var, dict) and var.get("type", "data") == "data":
            dtype = str(var.get("data_type") or var.get("dtype") or "float32")
            attrs = {k: var[k] for k in ("unit", "description") if k in var}
            yield (
                name,
                VariableDescriptor(
                    name, dtype, tuple(var.get("dimensions") or ()), attrs=attrs or None
                ),
            )


def _crs(props: dict[str, Any], assets: dict[str, DataAsset]) -> str | None:
    for source in (props, *(a.asset for a in assets.values())):
        if source.get("proj:code"):
            return str(source["proj:code"])
        if source.get("proj:epsg"):
            return f"EPSG:{source['proj:epsg']}"
    return None


def _spatial_res(props: dict[str, Any], assets: dict[str, DataAsset]) -> float | None:
    for asset in assets.values():
        for band in asset.bands:
            if band.get("spatial_resolution"):
                return float(band["spatial_resolution"])
        transform = asset.asset.get("proj:transform")
        if isinstance(transform, list) and transform and transform[0]:
            return abs(float(transform[0]))
    gsd = props.get("gsd")
    return float(gsd) if isinstance(gsd, (int, float)) and gsd > 0 else None


def _num_levels(assets: dict[str, DataAsset]) -> int:
    """Levels as the item tells them (``overviews`` counts on COG assets), else 1."""
    counts = [
        len(a.asset["overviews"]) + 1
        for a in assets.values()
        if isinstance(a.asset.get("overviews"), list)
    ]
    return min(counts) if counts else 1


def _attrs(item: dict[str, Any], assets: dict[str, DataAsset]) -> dict[str, Any]:
    props = item.get("properties") or {}
    attrs = {k: v for k, v in props.items() if not k.startswith("cube:")}
    attrs.update(
        stac_item_id=item.get("id"),
        assets={
            a.name: dict(href=a.asset.get("href"), type=a.asset.get("type"), format=a.format_id)
            for a in assets.values()
        },
    )
    if item.get("collection"):
        attrs["collection"] = item["collection"]
    return attrs


def _date(text: str | None) -> str | None:
    return text[:10] if isinstance(text, str) else None
