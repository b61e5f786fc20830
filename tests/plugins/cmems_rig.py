"""A Copernicus Marine Service on loopback: its metadata on a FakeService, its ARCO Zarr on moto.

Shaped as ``copernicusmarine`` 2.x reads the service: a clients configuration
(``clientsConfigV1.json``: ``catalogues`` with ``stac``, ``stacRoot`` and
``idMapping``), a STAC catalog whose children are products
(``{product}/product.stac.json``), whose item links are the datasets'
versions (``{dataset}_{YYYYMM}/dataset.stac.json``), each an item with
``cube:dimensions``, ``cube:variables`` and the assets ``timeChunked`` and
``geoChunked``: the same data in two Zarr layouts (chunks of few time steps
and a whole map; chunks of a long time series and a small area), with the
``viewDims`` the toolbox reads (coordinate min/max/step, ``chunkLen``).
The Zarr stores live in a public-read bucket of moto, read over plain HTTP.
"""

from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd
import xarray as xr


def marine_cube(times: int = 6, lats: int = 8, lons: int = 10) -> xr.Dataset:
    """A small daily sea surface cube on a 1° grid, as CMEMS names things."""
    time = pd.date_range("2024-01-01", periods=times, freq="D")
    lat = np.arange(lats, dtype="float32") + 40.0
    lon = np.arange(lons, dtype="float32") - 5.0
    shape = (times, lats, lons)
    thetao = np.arange(np.prod(shape), dtype="float32").reshape(shape) / 10
    return xr.Dataset(
        {
            "thetao": (("time", "latitude", "longitude"), thetao, {"units": "degrees_C"}),
            "so": (("time", "latitude", "longitude"), thetao + 30, {"units": "1e-3"}),
        },
        coords={"time": time, "latitude": lat, "longitude": lon},
    )


LAYOUTS = {"timeChunked": {"time": 1}, "geoChunked": {"latitude": 4, "longitude": 5}}


def public_bucket(s3_endpoint) -> str:
    """A fresh bucket of moto anyone may read, as the ARCO buckets are."""
    import boto3

    bucket = f"arco-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint["endpoint_url"],
        aws_access_key_id=s3_endpoint["key"],
        aws_secret_access_key=s3_endpoint["secret"],
        region_name="eu-west-1",
    )
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*"}  # fmt: skip
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    return bucket


def _write_layouts(cube: xr.Dataset, s3_endpoint, bucket: str, path: str) -> dict[str, str]:
    import s3fs

    from tests.servers import s3_options

    fs = s3fs.S3FileSystem(**s3_options(s3_endpoint))
    hrefs = {}
    for name, chunks in LAYOUTS.items():
        full = {d: cube.sizes[d] for d in cube.dims}
        chunked = cube.chunk({**full, **chunks})
        chunked.to_zarr(fs.get_mapper(f"{bucket}/{path}/{name}.zarr"), zarr_format=2,
                        consolidated=True, mode="w")  # fmt: skip
        hrefs[name] = f"{s3_endpoint['endpoint_url']}/{bucket}/{path}/{name}.zarr"
    return hrefs


def _view_dims(cube: xr.Dataset, chunks: dict[str, int]) -> dict:
    dims = {}
    for dim in cube.dims:
        values = cube[dim].values
        if dim == "time":
            ms = values.astype("datetime64[ms]").astype("int64")
            units = "milliseconds since 1970-01-01 00:00:00Z (no leap seconds)"
            coords = {"min": int(ms[0]), "max": int(ms[-1]), "step": int(ms[1] - ms[0]),
                      "units": units}  # fmt: skip
        else:
            coords = {"min": float(values[0]), "max": float(values[-1]),
                      "step": float(values[1] - values[0]), "units": "degrees"}  # fmt: skip
        dims[dim] = {"coords": coords, "chunkLen": chunks.get(dim, cube.sizes[dim])}
    return dims


def dataset_item(cube: xr.Dataset, item_id: str, title: str, hrefs: dict[str, str]) -> dict:
    """The STAC item of one dataset version, as the service publishes it."""
    lat, lon, time = cube.latitude.values, cube.longitude.values, cube.time.values
    start, end = (str(np.datetime_as_string(t, unit="s")) + "Z" for t in (time[0], time[-1]))
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": ["https://stac-extensions.github.io/datacube/v2.2.0/schema.json"],
        "id": item_id,
        "geometry": None,
        "bbox": [float(lon[0]), float(lat[0]), float(lon[-1]), float(lat[-1])],
        "properties": {
            "title": title,
            "datetime": None,
            "start_datetime": start,
            "end_datetime": end,
            "cube:dimensions": {
                "time": {"type": "temporal", "extent": [start, end], "step": "P1D"},
                "latitude": {
                    "type": "spatial",
                    "axis": "y",
                    "extent": [float(lat[0]), float(lat[-1])],
                    "step": 1.0,
                },  # fmt: skip
                "longitude": {
                    "type": "spatial",
                    "axis": "x",
                    "extent": [float(lon[0]), float(lon[-1])],
                    "step": 1.0,
                },  # fmt: skip
            },
            "cube:variables": {
                name: {
                    "type": "data",
                    "dimensions": list(var.dims),
                    "unit": var.attrs["units"],
                    "standardName": {
                        "thetao": "sea_water_potential_temperature",
                        "so": "sea_water_salinity",
                    }[name],
                }  # fmt: skip
                for name, var in cube.data_vars.items()
            },
        },
        "links": [],
        "assets": {
            name: {
                "href": href,
                "type": "application/vnd+zarr",
                "roles": ["data"],
                "title": name,
                "viewDims": _view_dims(cube, LAYOUTS[name]),
            }  # fmt: skip
            for name, href in hrefs.items()
        },
    }


def serve_marine(service, s3_endpoint, products: dict[str, dict[str, xr.Dataset]]) -> str:
    """Publish *products* (``{product_id: {dataset_id_YYYYMM: cube}}``); return the
    clients configuration's URL, what the ``cmems`` store's ``metadata_url`` takes."""
    bucket = public_bucket(s3_endpoint)
    root = f"{service.url}/mdl-metadata/metadata"
    mapping = {}
    children = []
    for product_id, datasets in products.items():
        item_links = []
        for item_id, cube in datasets.items():
            path = f"arco/{product_id}/{item_id}"
            hrefs = _write_layouts(cube, s3_endpoint, bucket, path)
            title = f"daily mean fields of {item_id.rsplit('_', 1)[0]}"
            service.json(f"/mdl-metadata/metadata/{product_id}/{item_id}/dataset.stac.json",
                         dataset_item(cube, item_id, title, hrefs))  # fmt: skip
            item_links.append({"rel": "item", "href": f"{item_id}/dataset.stac.json",
                               "title": item_id})  # fmt: skip
            mapping[item_id.rsplit("_", 1)[0]] = product_id
        service.json(
            f"/mdl-metadata/metadata/{product_id}/product.stac.json",
            {
                "type": "Collection",
                "stac_version": "1.0.0",
                "id": product_id,
                "title": f"Product {product_id}",
                "description": "A test product",
                "license": "proprietary",
                "extent": {
                    "spatial": {"bbox": [[-180, -90, 180, 90]]},
                    "temporal": {"interval": [[None, None]]},
                },  # fmt: skip
                "links": item_links,
            },
        )
        children.append({"rel": "child", "href": f"{product_id}/product.stac.json"})
    service.json(
        "/mdl-metadata/metadata/catalog.stac.json",
        {
            "type": "Catalog",
            "stac_version": "1.0.0",
            "id": "copernicus-marine",
            "description": "Copernicus Marine Data Store",
            "links": children,
        },  # fmt: skip
    )
    service.json("/mdl-metadata/metadata/dataset_product_id_mapping.json", mapping)
    config = {
        "clientVersions": {"mds": ">=2.0.0"},
        "catalogues": [
            {
                "stac": f"{root}/catalog.stac.json",
                "stacRoot": root,
                "idMapping": f"{root}/dataset_product_id_mapping.json",
            }
        ],  # fmt: skip
    }
    service.json("/mdl-metadata/clientsConfigV1.json", config)
    return f"{service.url}/mdl-metadata/clientsConfigV1.json"
