"""The SMOS rig: a grid lookup table, synthetic L2 products on S3 and a STAC API listing them.

The grid is a global lat/lon table of 128 x 64 pixels (2.8125 degrees), each
2 x 2 block of pixels showing one DGG point; the poles' rows show none. The
points' sequence numbers straddle the first two DGG zones, so products carry
Grid_Point_IDs of both kinds (``index`` and ``1_000_000 + index``).

Products are NetCDF files in the shape of ESA's L2 products (one value per
DGG point along ``n_grid_points``), each covering a band of longitudes. A
point's value is :func:`sm_value` (a function of its sequence number and the
product's index), so tests can check every mapped pixel. The STAC API is
``rustac serve`` with a collection ``SMOS`` whose items point at the products
as Creodias' do (``assets.PRODUCT.alternate.s3.href`` = the product folder).
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator

import numpy as np
import pandas as pd
import xarray as xr

from tests.servers import run_stac_api, s3_options

WIDTH, HEIGHT = 128, 64
RES = 360 / WIDTH
SEQNUM_BASE = 262_144 - 600  # points 0..599 in zone 0, the rest in zone 1
SM_FILL = -999.0

#: (product type, start, stop, first and last pixel column covered)
SM_PRODUCTS = [
    ("MIR_SMUDP2", "2023-05-01T00:10:00", "2023-05-01T00:59:00", 0, 60),
    ("MIR_SMUDP2", "2023-05-01T12:10:00", "2023-05-01T12:59:00", 40, 100),
    ("MIR_SMUDP2", "2023-05-02T06:10:00", "2023-05-02T06:59:00", 80, 128),
    ("MIR_SMUDP2", "2023-05-10T06:10:00", "2023-05-10T06:59:00", 0, 128),
]
OS_PRODUCTS = [
    ("MIR_OSUDP2", "2023-05-01T03:00:00", "2023-05-01T03:50:00", 10, 70),
    ("MIR_OSUDP2", "2023-05-02T03:00:00", "2023-05-02T03:50:00", 60, 120),
]


def grid_seqnum() -> np.ndarray:
    """The lookup table: the DGG sequence number each pixel shows (0: none)."""
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    seqnum = SEQNUM_BASE + (rows // 2) * (WIDTH // 2) + cols // 2
    seqnum[:4] = 0
    seqnum[-4:] = 0
    return seqnum.astype("uint32")


def grid_dataset() -> xr.Dataset:
    lat = 90 - RES / 2 - RES * np.arange(HEIGHT)
    lon = -180 + RES / 2 + RES * np.arange(WIDTH)
    return xr.Dataset({"seqnum": (("lat", "lon"), grid_seqnum())}, coords={"lat": lat, "lon": lon})


def seqnum_to_grid_point_id(seqnum: np.ndarray) -> np.ndarray:
    """The inverse of the store's mapping: zone 0 as is, zone z as z * 10**6 + index."""
    seqnum = np.asarray(seqnum, dtype="int64")
    zone = np.where(seqnum <= 262_144, 0, (seqnum - 2) // 262_144)
    return np.where(zone == 0, seqnum, zone * 1_000_000 + seqnum - 1 - zone * 262_144)


def sm_value(seqnum: np.ndarray, product_index: int) -> np.ndarray:
    return ((np.asarray(seqnum) % 997) / 1000 + product_index).astype("float32")


def product_points(first_col: int, last_col: int) -> np.ndarray:
    """Sequence numbers of the DGG points a product covering these columns holds."""
    seqnum = grid_seqnum()[:, first_col:last_col]
    return np.unique(seqnum[seqnum > 0])


def product_dataset(product_type: str, index: int, first_col: int, last_col: int) -> xr.Dataset:
    points = product_points(first_col, last_col)
    n = ("n_grid_points",)
    values = sm_value(points, index)
    if product_type == "MIR_SMUDP2":
        moisture = values.copy()
        moisture[::7] = SM_FILL  # no retrieval there: the cube shows NaN
        data = {
            "Soil_Moisture": (n, moisture, {"units": "m3 m-3", "_FillValue": SM_FILL}),
            "Soil_Moisture_DQX": (n, values / 10, {"_FillValue": SM_FILL}),
            "Chi_2": (n, (points % 200).astype("uint8"), {"long_name": "Chi_2"}),
            "Mean_acq_time": (n, np.full(points.size, 8521.5, "float32"), {}),
            "Latitude": (n, np.zeros(points.size, "float32"), {}),  # not a cube variable
        }
    else:
        data = {
            "SSS_corr": (n, values + 30, {"units": "psu", "_FillValue": SM_FILL}),
            "Coast_distance": (n, (points % 50).astype("uint8"), {}),
        }
    data["Grid_Point_ID"] = (n, seqnum_to_grid_point_id(points).astype("uint32"), {})
    dataset = xr.Dataset({k: (d, v) for k, (d, v, _) in data.items()})
    for name, (_, _, attrs) in data.items():
        fill = attrs.pop("_FillValue", None)
        dataset[name].attrs.update(attrs)
        if fill is not None:
            dataset[name].encoding["_FillValue"] = fill
    return dataset


def product_name(product_type: str, start: str, stop: str) -> str:
    t0, t1 = (pd.Timestamp(t).strftime("%Y%m%dT%H%M%S") for t in (start, stop))
    return f"SM_OPER_{product_type}_{t0}_{t1}_700_001_1"


def stac_item(product_type: str, start: str, stop: str, first_col: int, last_col: int) -> dict:
    name = product_name(product_type, start, stop)
    folder = "L2SM" if product_type == "MIR_SMUDP2" else "L2OS"
    day = pd.Timestamp(start).strftime("%Y/%m/%d")
    west, east = -180 + first_col * RES, -180 + last_col * RES
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": name,
        "collection": "SMOS",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[west, -80], [east, -80], [east, 80], [west, 80], [west, -80]]],
        },
        "bbox": [west, -80, east, 80],
        "properties": {
            "datetime": start + "Z",
            "start_datetime": start + "Z",
            "end_datetime": stop + "Z",
            "productType": product_type,
        },
        "assets": {
            "PRODUCT": {
                "href": f"https://zipper.example/odata/v1/Products('{name}')/$value",
                "alternate": {"s3": {"href": f"/eodata/SMOS/{folder}/{product_type}/{day}/{name}"}},
            }
        },
        "links": [],
    }


COLLECTION = {
    "type": "Collection",
    "stac_version": "1.0.0",
    "id": "SMOS",
    "description": "SMOS L2 products (test rig)",
    "license": "proprietary",
    "extent": {
        "spatial": {"bbox": [[-180, -90, 180, 90]]},
        "temporal": {"interval": [["2010-01-12T00:00:00Z", None]]},
    },
    "links": [],
}


def write_products(s3_endpoint: dict, bucket: str) -> list[dict]:
    """Write every product into *bucket*; their STAC items."""
    import s3fs

    fs = s3fs.S3FileSystem(**s3_options(s3_endpoint))
    fs.mkdir(bucket)
    items = []
    for products in (SM_PRODUCTS, OS_PRODUCTS):
        for index, (ptype, start, stop, c0, c1) in enumerate(products):
            item = stac_item(ptype, start, stop, c0, c1)
            key = item["assets"]["PRODUCT"]["alternate"]["s3"]["href"].split("/", 2)[2]
            buffer = io.BytesIO()
            product_dataset(ptype, index, c0, c1).to_netcdf(buffer, engine="h5netcdf")
            fs.pipe(f"{bucket}/{key}/{item['id']}.nc", buffer.getvalue())
            items.append(item)
    return items


@contextlib.contextmanager
def run_smos_rig(s3_endpoint: dict, workdir) -> Iterator[dict]:
    """Products on *s3_endpoint*, the grid in *workdir*, a STAC API; yields store params."""
    bucket = f"smos-{uuid.uuid4().hex[:12]}"
    items = write_products(s3_endpoint, bucket)
    grid_path = str(workdir / "smos-grid.zarr")
    grid_dataset().to_zarr(grid_path, mode="w", zarr_format=2, consolidated=True)
    with run_stac_api([COLLECTION], items) as url:
        yield {
            "stac_url": f"{url}/collections/SMOS",
            "stac_page_limit": 2,
            "source_path": bucket,
            "source_protocol": "s3",
            "source_storage_options": s3_options(s3_endpoint),
            "grid_path": grid_path,
            "num_retries": 1,
            "retry_backoff_base": 0.05,
        }
