"""Benchmark rows: an ARDC cube of 10 Sentinel-2 scenes, ours against odc-stac called directly.

The scenes are those of the tests' rig (``tests/plugins/ardc_rig.py``): two
tiles in two UTM zones on five dates, CDSE-shaped items served by ``rustac
serve``, COGs on moto. Ours: ``stac-cdse-ardc``'s ``open_data`` (search,
cube, scaling to reflectance) and ``.compute()``. Raw: what a user of the
libraries writes: pystac-client's search of the same collection, bbox and
dates, then ``odc.stac.load`` of the same assets onto the same grid (S3
session set with ``odc.stac.configure_rio``) and ``.compute()``, leaving
digital numbers unscaled.

Two rows against the same raw call: the issue's row, ours as users get it
(scaled: float32 reflectance with NaN nodata, which raw does not compute and
which doubles the bytes of the cube), and ours with ``apply_scaling=False``,
the same work as raw, so that it measures what the store adds (search
through our client, parameter checks, band and asset mapping, attributes).
The cube is small (about 200 x 80 pixels a band and date), so both rows
measure the per-call overhead more than pixel throughput; the machine's
noise is of the same order, hence the many repeats.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.plugins import ardc_rig as rig
from tests.servers import run_stac_api, s3_options

DAYS = 5  # x 2 tiles = 10 scenes
TIME_RANGE = ["2024-06-01", "2024-06-30"]
BANDS = ["B02", "B04", "SCL"]


def bench_stac_ardc(endpoint: dict, timed, report, repeat: int) -> None:
    import odc.stac
    import s3fs
    from pystac_client import Client

    from intake_xstores import new_data_store

    fs = s3fs.S3FileSystem(**s3_options(endpoint))
    with tempfile.TemporaryDirectory() as tmp:
        items, files = rig.cdse_items(Path(tmp), days=DAYS)
        fs.mkdir("eodata")
        for key, path in files.items():
            fs.put_file(str(path), f"eodata/{key}")
    host = endpoint["endpoint_url"].removeprefix("http://")
    params = dict(
        key=endpoint["key"], secret=endpoint["secret"], endpoint_url=endpoint["endpoint_url"]
    )
    grid = dict(crs="EPSG:32632", resolution=10, bbox=rig.BBOX)
    with run_stac_api([rig.collection("sentinel-2-l2a")], items) as url:
        store = new_data_store("stac-cdse-ardc", url=url, **params)

        def ours(apply_scaling: bool = True):
            ds = store.open_data(
                "sentinel-2-l2a",
                bbox=rig.BBOX,
                time_range=TIME_RANGE,
                crs=grid["crs"],
                spatial_res=grid["resolution"],
                asset_names=BANDS,
                apply_scaling=apply_scaling,
            )
            return ds.compute()

        def ours_unscaled():
            return ours(apply_scaling=False)

        odc.stac.configure_rio(
            aws=dict(
                aws_access_key_id=endpoint["key"],
                aws_secret_access_key=endpoint["secret"],
                endpoint_url=host,
                region_name="default",
            ),
            AWS_VIRTUAL_HOSTING="FALSE",
            AWS_HTTPS="NO",
            GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR",
        )

        def raw():
            found = Client.open(url).search(
                collections=["sentinel-2-l2a"],
                bbox=rig.BBOX,
                datetime=f"{TIME_RANGE[0]}/{TIME_RANGE[1]}",
            )
            ds = odc.stac.load(
                list(found.items()),
                bands=["B02_10m", "B04_10m", "SCL_20m"],
                groupby="solar_day",
                chunks={"time": 1, "x": 1024, "y": 1024},
                **grid,
            )
            return ds.compute()

        a, b, c = ours(), raw(), ours_unscaled()
        assert a.sizes == b.sizes and a.sizes["time"] == DAYS, (a.sizes, b.sizes)
        assert c.B04.dtype == b.B04_10m.dtype == "uint16" and a.B04.dtype == "float32"
        repeats = max(4 * repeat + 1, 9)
        label = f"ARDC cube, {2 * DAYS} scenes (raw: odc.stac.load)"
        report(label, *timed(ours, raw, repeats), "s", "<= 1.1")
        label = f"ARDC cube, {2 * DAYS} scenes, unscaled (same raw)"
        report(label, *timed(ours_unscaled, raw, repeats), "s", "<= 1.1")
