"""STAC test rig: items and collections as STAC JSON, and the asset files they point at.

Items carry what real catalogs give: datetimes (or start/end), bboxes,
``proj:`` and ``raster:`` extensions, assets with media types (COG, Zarr,
NetCDF). Asset files are made small: 256×256 COGs with two overviews,
a Zarr and a NetCDF cube. :func:`write_static_catalog` lays items out as a
static catalog (catalog.json → collection.json → item files).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

STAC_VERSION = "1.0.0"
COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
ZARR_TYPE = "application/vnd+zarr"
NETCDF_TYPE = "application/x-netcdf"
EXTENSIONS = [
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
]

#: The grid of the rig's COGs: UTM 32N, 10 m pixels.
COG_SIZE = 256
COG_TRANSFORM = [10.0, 0.0, 500000.0, 0.0, -10.0, 5600000.0]
#: B04 is stored as integers; its raster:bands scale/offset/nodata turn them into reflectance.
B04_SCALE, B04_OFFSET, NODATA = 0.0001, -0.1, 0


def collection(cid: str, bbox=(0.0, 40.0, 20.0, 60.0), start="2023-01-01T00:00:00Z") -> dict:
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "id": cid,
        "description": f"Test collection {cid}",
        "license": "CC-BY-4.0",
        "extent": {
            "spatial": {"bbox": [list(bbox)]},
            "temporal": {"interval": [[start, None]]},
        },
        "links": [],
    }


def item(
    cid: str,
    iid: str,
    assets: dict[str, dict],
    datetime: str = "2023-06-01T10:00:00Z",
    bbox=(9.0, 50.0, 10.0, 51.0),
    **properties: Any,
) -> dict:
    w, s, e, n = bbox
    return {
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": EXTENSIONS,
        "id": iid,
        "collection": cid,
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
        },
        "bbox": list(bbox),
        "properties": {"datetime": datetime, "proj:epsg": 32632, **properties},
        "links": [],
        "assets": assets,
    }


def cog_asset(href: str, scaled: bool = False, **extra: Any) -> dict:
    band: dict[str, Any] = {"data_type": "uint16", "nodata": NODATA, "spatial_resolution": 10}
    if scaled:
        band.update(scale=B04_SCALE, offset=B04_OFFSET)
    return {
        "href": href,
        "type": COG_TYPE,
        "roles": ["data"],
        "proj:shape": [COG_SIZE, COG_SIZE],
        "proj:transform": COG_TRANSFORM,
        "raster:bands": [band],
        "overviews": [[128, 128], [64, 64]],
        **extra,
    }


def thumbnail_asset(href: str) -> dict:
    return {"href": href, "type": "image/png", "roles": ["thumbnail"]}


def cube_asset(href: str, media_type: str) -> dict:
    return {
        "href": href,
        "type": media_type,
        "roles": ["data"],
        "cube:variables": {
            "chl": {"type": "data", "dimensions": ["time", "lat", "lon"], "data_type": "float32"}
        },
    }


def band_values(seed: int) -> np.ndarray:
    """The integers of a rig COG: reproducible per seed, with a nodata corner."""
    values = np.random.default_rng(seed).integers(1000, 3000, (COG_SIZE, COG_SIZE))
    values[:8, :8] = NODATA
    return values.astype("uint16")


def write_cog(path: str | os.PathLike, seed: int, pixel: float = 10.0) -> np.ndarray:
    """A 256×256 COG (128-pixel tiles, two overviews) of :func:`band_values`; with
    another *pixel* size, the same area at that resolution (another grid)."""
    import rasterio
    from rasterio.transform import Affine

    size = int(COG_SIZE * COG_TRANSFORM[0] / pixel)
    values = band_values(seed)[:size, :size]
    transform = Affine(pixel, 0.0, COG_TRANSFORM[2], 0.0, -pixel, COG_TRANSFORM[5])
    with rasterio.open(
        path,
        "w",
        driver="COG",
        width=size,
        height=size,
        count=1,
        dtype="uint16",
        crs="EPSG:32632",
        transform=transform,
        nodata=NODATA,
        BLOCKSIZE=128,
        OVERVIEW_COUNT=2,
    ) as dst:
        dst.write(values, 1)
    return values


def write_assets(folder: Path) -> dict[str, Any]:
    """The rig's asset files in *folder*: ``B04.tif``, ``B08.tif``, ``cube.zarr``,
    ``cube.nc`` and ``B8A.tif`` (20 m pixels: another grid); returns the values written by name."""
    from tests.conftest import make_cube

    folder.mkdir(parents=True, exist_ok=True)
    cube = make_cube()
    cube.to_zarr(folder / "cube.zarr", zarr_format=2, consolidated=True)
    cube.to_netcdf(folder / "cube.nc", engine="h5netcdf")
    return {
        "B04.tif": write_cog(folder / "B04.tif", 4),
        "B08.tif": write_cog(folder / "B08.tif", 8),
        "B8A.tif": write_cog(folder / "B8A.tif", 9, pixel=20.0),
        "cube": cube,
    }


def write_static_catalog(folder: Path, base_url: str, items: list[dict], cid: str) -> str:
    """A static catalog of *items* (one collection *cid*) in *folder*, its links
    relative as published catalogs have them; returns the catalog's URL."""
    (folder / cid / "items").mkdir(parents=True, exist_ok=True)
    coll = collection(cid)
    coll["links"] = [
        {"rel": "root", "href": "../catalog.json"},
        {"rel": "parent", "href": "../catalog.json"},
    ] + [{"rel": "item", "href": f"items/{i['id']}.json"} for i in items]
    for it in items:
        it = dict(it, links=[{"rel": "collection", "href": "../collection.json"}])
        (folder / cid / "items" / f"{it['id']}.json").write_text(json.dumps(it))
    (folder / cid / "collection.json").write_text(json.dumps(coll))
    root = {
        "type": "Catalog",
        "stac_version": STAC_VERSION,
        "id": "static-root",
        "description": "A static test catalog",
        "links": [{"rel": "child", "href": f"./{cid}/collection.json"}],
    }
    (folder / "catalog.json").write_text(json.dumps(root))
    return f"{base_url}/catalog.json"
