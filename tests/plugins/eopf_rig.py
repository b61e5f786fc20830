"""Small EOPF Zarr products and their STAC items, for the ``eopf-zarr`` store's tests.

Products are served over HTTP by a ``FakeService``, as EODC's object storage
serves the real ones. They follow the EOPF Zarr layout (as the EOPF Sentinel Zarr Samples
publish it): Sentinel-2 bands in ``measurements/reflectance/r10m|r20m|r60m``
(uint16, ``_FillValue`` 0, ``scale_factor`` 1e-4, UTM ``x``/``y``), the scene
classification in ``conditions/mask/l2a_classification/r20m``; Sentinel-3
swaths in ``measurements`` with 2-D ``latitude``/``longitude``. Items carry the
EOPF STAC shape: a ``product`` asset (``application/vnd+zarr``), ``proj:code``,
``datetime``, footprint ``bbox``/``geometry``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

S2_REFLECTANCE = {10: ("b02", "b03", "b04"), 20: ("b05",), 60: ("b01",)}


def _encoded(values: np.ndarray) -> xr.Variable:
    return xr.Variable(
        ("y", "x"),
        values,
        encoding={"_FillValue": 0, "scale_factor": 1e-4, "add_offset": 0.0, "dtype": "uint16"},
    )


def s2_product(reflectance, x0: float, y0: float, epsg: int, scl=None) -> xr.DataTree:
    """A Sentinel-2 L2A product whose 10 m bands all hold *reflectance* (2-D, float).

    The tile's upper left corner is (*x0*, *y0*) in EPSG:*epsg*; coarser bands
    take every 2nd / 6th pixel. *scl* (uint8, 20 m) is the scene classification.
    """
    height, width = reflectance.shape
    tree: dict[str, xr.Dataset] = {"/": xr.Dataset(attrs=_root_attrs(epsg))}
    for res, bands in S2_REFLECTANCE.items():
        step = res // 10
        values = reflectance[::step, ::step]
        coords = {
            "x": x0 + (np.arange(width // step) + 0.5) * res,
            "y": y0 - (np.arange(height // step) + 0.5) * res,
        }
        tree[f"measurements/reflectance/r{res}m"] = xr.Dataset(
            {b: _encoded(values[: height // step, : width // step]) for b in bands}, coords=coords
        )
        if res == 20 and scl is not None:
            tree[f"conditions/mask/l2a_classification/r{res}m"] = xr.Dataset(
                {"scl": (("y", "x"), scl.astype("uint8"))}, coords=coords
            )
    return xr.DataTree.from_dict(tree)


def _root_attrs(epsg: int) -> dict:
    return {"other_metadata": {"horizontal_CRS_code": f"EPSG:{epsg}"}}


def s3_product(lat: np.ndarray, lon: np.ndarray, values: dict[str, np.ndarray]) -> xr.DataTree:
    """A Sentinel-3 product: swath *values* located by 2-D *lat*/*lon* in ``measurements``."""
    dims = ("rows", "columns")
    measurements = xr.Dataset(
        {name: (dims, v.astype("float32")) for name, v in values.items()},
        coords={"latitude": (dims, lat), "longitude": (dims, lon)},
    )
    return xr.DataTree.from_dict({"/": xr.Dataset(), "measurements": measurements})


def serve_product(tree: xr.DataTree, service, folder: Path, name: str) -> str:
    """Write *tree* as the Zarr product *name* into *folder* and serve its files on
    *service* (a ``FakeService``), as EODC's object storage serves products; its URL."""
    root = folder / name
    tree.to_zarr(root, zarr_format=2, consolidated=True)
    for path in root.rglob("*"):
        if path.is_file():
            service.file(f"/products/{path.relative_to(folder).as_posix()}", path)
    return f"{service.url}/products/{name}"


def item(
    item_id: str,
    collection: str,
    href: str,
    bbox_wgs84: tuple[float, float, float, float],
    when: str,
    epsg: int | None = None,
) -> dict:
    """An EOPF STAC item of the product at *href*."""
    west, south, east, north = bbox_wgs84
    properties = {"datetime": when}
    if epsg is not None:
        properties["proj:code"] = f"EPSG:{epsg}"
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [],
        "id": item_id,
        "collection": collection,
        "bbox": [west, south, east, north],
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[west, south], [east, south], [east, north], [west, north], [west, south]]
            ],
        },
        "properties": properties,
        "links": [],
        "assets": {
            "product": {
                "href": href,
                "type": "application/vnd+zarr",
                "roles": ["data", "metadata"],
                "title": "EOPF Product",
            }
        },
    }


def utm_bbox_in_wgs84(epsg: int, x0: float, y0: float, width_m: float, height_m: float):
    from pyproj import Transformer

    transform = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
    lons, lats = transform.transform(
        [x0, x0 + width_m, x0, x0 + width_m], [y0, y0, y0 - height_m, y0 - height_m]
    )
    return (min(lons), min(lats), max(lons), max(lats))


def collection(collection_id: str, bbox, interval, title: str = "") -> dict:
    return {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": collection_id,
        "title": title or collection_id,
        "description": f"EOPF {collection_id} (test)",
        "license": "proprietary",
        "extent": {"spatial": {"bbox": [list(bbox)]}, "temporal": {"interval": [interval]}},
        "links": [],
    }
