"""An item's assets: which hold data, in which format, where, and how they open.

An asset's format comes from its media type (``image/tiff``,
``application/x-netcdf``, ``application/vnd+zarr``, ...) or, failing that, from
its href's extension; its protocol from its href (``s3://``, ``abfs://``/``az://``,
``http(s)://``; relative hrefs are resolved against the item's URL). Each asset
opens through our own opener of that (data type, format, protocol), e.g.
``dataset:geotiff:s3`` (see :func:`intake_xstores.new_data_opener`), so it is
read exactly as a filesystem store would read it: lazily, by byte ranges.
"""

from __future__ import annotations

import dataclasses
import posixpath
import urllib.parse
from typing import Any

from ...errors import DataStoreError, param_error

#: Media types (without parameters) and the format each is read as.
MEDIA_TYPES = {
    "image/tiff": "geotiff",
    "image/geotiff": "geotiff",
    "image/jp2": "j2k",
    "application/x-netcdf": "netcdf",
    "application/netcdf": "netcdf",
    "application/x-hdf5": "netcdf",
    "application/vnd+zarr": "zarr",
    "application/vnd.zarr": "zarr",
    "application/zarr": "zarr",
}
EXTENSIONS = {
    ".tif": "geotiff",
    ".tiff": "geotiff",
    ".geotiff": "geotiff",
    ".jp2": "j2k",
    ".nc": "netcdf",
    ".nc4": "netcdf",
    ".zarr": "zarr",
    ".levels": "levels",
}
#: Formats that also open as multi-level datasets (COG overviews, ``.levels``).
MULTI_LEVEL_FORMATS = ("geotiff", "levels")
#: Asset roles that never hold the data itself.
NON_DATA_ROLES = frozenset({"thumbnail", "overview", "metadata"})

_PROTOCOLS = {"s3": "s3", "abfs": "abfs", "az": "abfs", "http": "https", "https": "https"}


@dataclasses.dataclass(frozen=True)
class DataAsset:
    """A data asset of an item: its key, format, protocol and path for that protocol."""

    name: str
    format_id: str
    protocol: str
    path: str
    asset: dict[str, Any]

    def opener_id(self, data_type: str) -> str:
        return f"{data_type}:{self.format_id}:{self.protocol}"

    @property
    def multi_level(self) -> bool:
        return self.format_id in MULTI_LEVEL_FORMATS

    @property
    def bands(self) -> list[dict[str, Any]]:
        """The ``raster:bands`` of the asset (STAC 1.1 puts them in ``bands``)."""
        bands = self.asset.get("raster:bands") or self.asset.get("bands") or []
        return [b for b in bands if isinstance(b, dict)]


def asset_format(asset: dict[str, Any]) -> str | None:
    """The format an asset is read as, from its media type or its href's extension."""
    media_type = str(asset.get("type") or "").split(";")[0].strip().lower()
    if media_type in MEDIA_TYPES:
        return MEDIA_TYPES[media_type]
    path = urllib.parse.urlsplit(str(asset.get("href") or "")).path.rstrip("/").lower()
    return EXTENSIONS.get(posixpath.splitext(path)[1])


def data_assets(item: dict[str, Any], item_url: str) -> dict[str, DataAsset]:
    """The item's assets that hold data in a format we read, by asset key."""
    found = {}
    for name, asset in (item.get("assets") or {}).items():
        if not isinstance(asset, dict) or not asset.get("href"):
            continue
        roles = set(asset.get("roles") or ())
        format_id = asset_format(asset)
        if format_id is None or (roles and roles <= NON_DATA_ROLES):
            continue
        href = urllib.parse.urljoin(item_url, preferred_href(asset))
        protocol, path = locate(href)
        if protocol is not None:
            found[name] = DataAsset(name, format_id, protocol, path, asset)
    return found


def preferred_href(asset: dict[str, Any]) -> str:
    """The asset's href; its S3 alternate when it has one (CDSE gives both)."""
    alternate = (asset.get("alternate") or {}).get("s3") or {}
    href = alternate.get("href") if isinstance(alternate, dict) else None
    return str(href or asset["href"])


def locate(href: str) -> tuple[str | None, str]:
    """``(protocol, path)`` of an absolute href: ``s3://b/k`` → ``("s3", "b/k")``;
    URLs of the web stay whole (fsspec's HTTP paths are URLs)."""
    scheme = urllib.parse.urlsplit(href).scheme.lower()
    protocol = _PROTOCOLS.get(scheme)
    if protocol is None:
        return None, href
    if protocol == "https":
        return protocol, href
    return protocol, href.split("://", 1)[1]


def select_assets(
    assets: dict[str, DataAsset], names: list[str] | None, data_id: str
) -> list[DataAsset]:
    """The assets *names* (all data assets when ``None``), or an error naming the unknown."""
    if not assets:
        raise DataStoreError(f"Data resource {data_id!r} has no data asset in a format read here")
    if names is None:
        return list(assets.values())
    for name in names:
        if name not in assets:
            raise param_error(
                "asset_names",
                name,
                problem=f"item {data_id!r} has no such data asset",
                allowed=", ".join(repr(a) for a in assets),
            )
    return [assets[name] for name in names]


def scale_variables(ds, asset: DataAsset, names: list[str]):
    """*ds* with the ``raster:bands`` nodata, scale and offset of *asset* applied to the
    variables *names* (one per band, in order)."""
    for name, band in zip(names, asset.bands, strict=False):
        var = ds[name]
        nodata = band.get("nodata")
        if isinstance(nodata, (int, float)) and nodata == nodata:
            var = var.where(var != nodata)
        scale, offset = band.get("scale", 1), band.get("offset", 0)
        if scale != 1 or offset != 0:
            var = var * scale + offset
        ds[name] = var.assign_attrs(ds[name].attrs, scale_applied=True)
    return ds
