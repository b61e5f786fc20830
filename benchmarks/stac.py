"""Benchmark rows of the ``stac`` item store, each against the raw libraries.

(1) Search a collection of 100 items (``rustac serve``; one COG on moto per
    item) and open every item lazily: ``stac``'s ``search_data`` +
    ``open_data``, against pystac-client's search plus
    ``rioxarray.open_rasterio`` of the same assets (GDAL reading moto); and,
    to show what the STAC layer itself adds, against pystac-client plus our
    own ``dataset:geotiff:s3`` opener, which ``stac`` opens the assets with.
    The same assets opened for the first time, over 20 ms of latency per
    request: our opener against rioxarray (GDAL), each opening files the
    other has not seen, so that neither answers from its caches.
(3) List a static catalog of 500 items with 20 ms of latency added to every
    request (a fake web service): ``stac``'s concurrent walk against a
    sequential walk with ``requests`` (one keep-alive session).
"""

from __future__ import annotations

import json
import tempfile
import urllib.parse
from pathlib import Path

from benchmarks.proxy import LatencyProxy
from tests.plugins import stac_rig as rig
from tests.servers import run_stac_api, s3_options
from tests.service_kit import FakeService

LATENCY = 0.02


def bench_stac(endpoint: dict, timed, report, repeat: int, quick: bool) -> None:
    bench_search_and_open(endpoint, timed, report, repeat, 20 if quick else 100)
    bench_static_listing(timed, report, 100 if quick else 500)


def bench_search_and_open(endpoint: dict, timed, report, repeat: int, n_items: int) -> None:
    import rasterio
    import rioxarray
    import s3fs
    from pystac_client import Client
    from rasterio.session import AWSSession

    from intake_xstores import new_data_opener, new_data_store

    options = s3_options(endpoint)
    fs = s3fs.S3FileSystem(**options)
    fs.mkdir("stac-bench")
    with tempfile.TemporaryDirectory() as tmp:
        rig.write_cog(Path(tmp) / "B04.tif", 4)
        for i in range(n_items):
            fs.put_file(str(Path(tmp) / "B04.tif"), f"stac-bench/{i}/B04.tif")
    items = [
        rig.item("bench", f"item-{i}", {"B04": rig.cog_asset(f"s3://stac-bench/{i}/B04.tif")})
        for i in range(n_items)
    ]
    host = endpoint["endpoint_url"].removeprefix("http://")
    session = AWSSession(
        aws_access_key_id=endpoint["key"],
        aws_secret_access_key=endpoint["secret"],
        endpoint_url=host,
        region_name="eu-west-1",
    )
    gdal = dict(
        AWS_VIRTUAL_HOSTING="FALSE", AWS_HTTPS="NO", GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"
    )
    with run_stac_api([rig.collection("bench")], items) as url:

        def ours():
            store = new_data_store("stac", url=url, storage_options={"s3": options})
            found = list(store.search_data(collections=["bench"]))
            return [store.open_data(d.data_id) for d in found]

        def raw():
            search = Client.open(url).search(collections=["bench"], limit=100)
            with rasterio.Env(session=session, **gdal):
                return [
                    rioxarray.open_rasterio(i.assets["B04"].href, chunks={}, mask_and_scale=True)
                    for i in search.items()
                ]

        def same_opener():
            opener = new_data_opener("dataset:geotiff:s3", **options)
            search = Client.open(url).search(collections=["bench"], limit=100)
            return [opener.open_data(i.assets["B04"].href[5:]) for i in search.items()]

        a, b = ours(), raw()
        assert len(a) == len(b) == len(same_opener()) == n_items, (len(a), len(b))
        label = f"search + open {n_items} items (raw: pystac-client + rioxarray)"
        report(label, *timed(ours, raw, repeat), "s", "<= 1.2")
        label = "  the same (raw: pystac-client + our dataset:geotiff:s3 opener)"
        report(label, *timed(ours, same_opener, repeat), "s", "")
    bench_first_open(endpoint, timed, report, repeat, n_items)


def bench_first_open(endpoint: dict, timed, report, repeat: int, n_items: int) -> None:
    """First opens of the COGs ``bench_search_and_open`` wrote, through a proxy
    adding :data:`LATENCY`: a new endpoint, so no cache of either side knows
    them, and each call opens files never opened before."""
    import rasterio
    import rioxarray
    from rasterio.session import AWSSession

    from intake_xstores import new_data_opener

    host, port = endpoint["endpoint_url"].removeprefix("http://").split(":")
    n_files = n_items // (2 * repeat + 2)
    paths = iter(f"stac-bench/{i}/B04.tif" for i in range((2 * repeat + 2) * n_files))
    with LatencyProxy(host, int(port), LATENCY) as proxy:
        proxied = {**endpoint, "endpoint_url": f"http://127.0.0.1:{proxy.port}"}
        opener = new_data_opener("dataset:geotiff:s3", **s3_options(proxied))
        session = AWSSession(
            aws_access_key_id=endpoint["key"],
            aws_secret_access_key=endpoint["secret"],
            endpoint_url=f"127.0.0.1:{proxy.port}",
            region_name="eu-west-1",
        )
        gdal = dict(
            AWS_VIRTUAL_HOSTING="FALSE", AWS_HTTPS="NO", GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"
        )

        def ours():
            return [opener.open_data(next(paths)) for _ in range(n_files)]

        def raw():
            with rasterio.Env(session=session, **gdal):
                return [
                    rioxarray.open_rasterio(f"s3://{next(paths)}", chunks={}, mask_and_scale=True)
                    for _ in range(n_files)
                ]

        ours(), raw()  # connections and sessions made, not timed
        label = f"  first open of {n_files} COGs, 20 ms latency (raw: rioxarray)"
        report(label, *timed(ours, raw, repeat), "s", "")


def bench_static_listing(timed, report, n_items: int) -> None:
    from intake_xstores import new_data_store

    with tempfile.TemporaryDirectory() as tmp, FakeService() as service:
        items = [rig.item("static", f"st-{i:04d}", {}) for i in range(n_items)]
        url = rig.write_static_catalog(Path(tmp), f"{service.url}/cat", items, "static")
        for path in Path(tmp).rglob("*.json"):
            service.file(f"/cat/{path.relative_to(tmp).as_posix()}", path.read_bytes())
        service.fault("/cat/", latency=LATENCY)

        def ours():
            return new_data_store("stac", url=url).list_data_ids()

        def raw():
            import requests

            found, todo = [], [url]
            with requests.Session() as session:
                while todo:
                    doc_url = todo.pop(0)
                    doc = json.loads(session.get(doc_url).content)
                    if doc.get("type") == "Feature":
                        found.append(doc_url)
                    for link in doc.get("links", ()):
                        if link["rel"] in ("child", "item"):
                            todo.append(urllib.parse.urljoin(doc_url, link["href"]))
            return found

        a, b = ours(), raw()
        assert len(a) == len(b) == n_items, (len(a), len(b))
        label = f"list a static catalog of {n_items} items, 20 ms latency (raw: sequential walk)"
        report(label, *timed(ours, raw, 2), "s", "<= 0.2")
