"""Reading EOPF Zarr products onto a target grid, one product type family at a time.

An EOPF product is a Zarr group tree (the EOPF "safe" layout as Zarr):

- **Sentinel-2 MSI** (L1C, L2A): ``measurements/reflectance/r10m|r20m|r60m``
  hold the bands (``b01`` ... ``b12``, ``b8a``) on the tile's UTM grid (1-D
  ``x``/``y``); L2A adds ``conditions/mask/l2a_classification/r20m|r60m``
  (``scl``) and ``quality/probability/r20m`` (``cld``, ``snw``). The tile's CRS
  is the item's ``proj:code`` (or the product's
  ``other_metadata.horizontal_CRS_code``). A variable is read at the native
  resolution nearest the target's and reprojected with odc-geo.
- **Sentinel-3 OLCI and SLSTR**: the groups below ``measurements`` hold swath
  images whose pixels are located by 2-D ``latitude``/``longitude``
  coordinates. They are rectified onto the target grid by :mod:`..swath`
  (binning, holes filled from the nearest swath pixel).

Each reader returns, per variable, a lazy ``DataArray`` on the target
:class:`odc.geo.geobox.GeoBox` (NaN where the product has no data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ...errors import DataStoreError, error_text
from ..swath import rectify

#: Native resolutions (m) of Sentinel-2 groups.
S2_RESOLUTIONS = (10, 20, 60)

#: Groups of Sentinel-2 products holding ``r10m``/``r20m``/``r60m`` datasets.
S2_GROUPS = (
    "measurements/reflectance",
    "conditions/mask/l2a_classification",
    "quality/probability",
)

#: Metres per degree at the equator, to compare resolutions across CRSs.
METRES_PER_DEGREE = 111320.0


def select(names: Iterable[str], patterns: list[str] | None) -> list[str]:
    """The *names* matching any of *patterns* (names or regular expressions), in order."""
    names = list(names)
    if not patterns:
        return names
    compiled = [re.compile(f"(?:{p})$") for p in patterns]
    return [n for n in names if any(c.match(n) for c in compiled)]


def open_group(href: str, group: str, storage_options: dict[str, Any]):
    """The Zarr group *group* of the product at *href*, lazily; None if it has none."""
    import fsspec
    import xarray as xr

    mapper = fsspec.get_mapper(href, **storage_options)
    try:
        return xr.open_zarr(mapper, group=group, chunks={}, consolidated=None)
    except (FileNotFoundError, KeyError):
        return None
    except Exception as error:
        if "not found" in str(error).lower() or "nothing found" in str(error).lower():
            return None
        raise DataStoreError(
            f"Cannot read group {group!r} of the EOPF product {href}: {error_text(error)}"
        ) from error


def read_sentinel2(
    href: str, item: dict[str, Any], geobox, variables: list[str] | None, options: dict
) -> dict[str, Any]:
    """The bands and masks of a Sentinel-2 product reprojected onto *geobox*."""
    from odc.geo.xr import xr_reproject

    crs = _s2_crs(href, item, options)
    wanted_res = _metres(geobox)
    by_resolution = sorted(S2_RESOLUTIONS, key=lambda r: (abs(r - wanted_res), r))
    found: dict[str, Any] = {}
    for group in S2_GROUPS:
        for res in by_resolution:
            dataset = open_group(href, f"{group}/r{res}m", options)
            if dataset is None:
                continue
            for name in select(dataset.data_vars, variables):
                if name not in found:
                    array = dataset[name]
                    resampling = "nearest" if array.dtype.kind in "iu" else "bilinear"
                    source = array.astype("float32").odc.assign_crs(crs)
                    found[name] = xr_reproject(
                        source, geobox, resampling=resampling, dst_nodata=float("nan")
                    )
    return found


def _s2_crs(href: str, item: dict[str, Any], options: dict) -> str:
    properties = item.get("properties") or {}
    code = properties.get("proj:code") or (
        f"EPSG:{properties['proj:epsg']}" if properties.get("proj:epsg") else None
    )
    if code:
        return code
    import fsspec
    import zarr

    root = zarr.open_group(fsspec.get_mapper(href, **options), mode="r")
    code = (root.attrs.get("other_metadata") or {}).get("horizontal_CRS_code")
    if not code:
        raise DataStoreError(f"The EOPF product {href} names no CRS (proj:code)")
    return code


def read_sentinel3(
    href: str, item: dict[str, Any], geobox, variables: list[str] | None, options: dict
) -> dict[str, Any]:
    """The swath variables of a Sentinel-3 product rectified onto *geobox*."""
    found: dict[str, Any] = {}
    for group in _measurement_groups(href, options):
        dataset = open_group(href, group, options)
        if dataset is None or "latitude" not in dataset.coords:
            continue
        lat, lon = dataset["latitude"], dataset["longitude"]
        arrays = {
            name: dataset[name]
            for name in select(dataset.data_vars, variables)
            if name not in found and dataset[name].dims == lat.dims
        }
        if arrays:
            found.update(rectify(arrays, lat, lon, geobox))
    return found


def _measurement_groups(href: str, options: dict) -> list[str]:
    import fsspec
    import zarr

    root = zarr.open_group(fsspec.get_mapper(href, **options), mode="r")
    try:
        measurements = root["measurements"]
    except KeyError:
        raise DataStoreError(f"The EOPF product {href} has no 'measurements' group") from None
    groups = ["measurements"]
    groups += [f"measurements/{name}" for name, _ in measurements.groups()]
    return groups


def _metres(geobox) -> float:
    res = abs(geobox.resolution.x)
    return res * METRES_PER_DEGREE if geobox.crs.geographic else res
