"""Benchmark row: preloading the 20 NetCDF files of a Zenodo record over 20 ms of latency.

A fake Zenodo (``tests.service_kit.FakeService``) serves the record behind
``benchmarks.proxy.LatencyProxy``, so every request costs 20 ms more, as
from a distant server. Ours: ``zenodo`` store's ``preload_data`` of all 20
files into a fresh cache folder (downloaded ``max_workers`` at a time, MD5
checked, moved into the cache store, manifests written). Raw: the same
files downloaded one after the other with ``requests`` (one session) into a
folder. Both keep the files as published (no conversion).
"""

from __future__ import annotations

import itertools
import logging
import tempfile
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from benchmarks.proxy import LatencyProxy

RECORD = "2000"


def _day_file(day: int, size: int) -> bytes:
    rng = np.random.default_rng(day)
    ds = xr.Dataset(
        {"sst": (("time", "lat", "lon"), rng.random((1, size, size), dtype="float32"))},
        coords={"time": [pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)]},
    )
    return bytes(ds.to_netcdf(engine="h5netcdf"))


def bench_preload(timed, report, repeat: int, quick: bool) -> None:
    import requests

    from intake_xstores import new_data_store
    from tests.plugins.zenodo_fake import serve_record
    from tests.service_kit import FakeService

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    size = 64 if quick else 256  # 16 kB or 256 kB per file
    files = {f"sst_{day:02d}.nc": _day_file(day, size) for day in range(20)}
    total = sum(len(f) for f in files.values()) / 1e6
    with tempfile.TemporaryDirectory() as tmp, FakeService() as service:
        serve_record(service, RECORD, files)
        host, port = urllib.parse.urlsplit(service.url).netloc.split(":")
        with LatencyProxy(host, int(port), 0.020) as proxy:
            url = f"http://127.0.0.1:{proxy.port}"
            runs = itertools.count()

            def ours():
                cache = Path(tmp) / f"cache-{next(runs)}"
                store = new_data_store(
                    "zenodo", root=RECORD, api_url=url, cache_store_params={"root": str(cache)}
                )
                handle = store.preload_data(*files).preload_handle
                assert all(str(s.status) == "COMPLETED" for s in handle.states), handle

            def raw():
                folder = Path(tmp) / f"raw-{next(runs)}"
                folder.mkdir()
                with requests.Session() as session:
                    for key in files:
                        response = session.get(f"{url}/records/{RECORD}/files/{key}")
                        response.raise_for_status()
                        (folder / key).write_bytes(response.content)

            label = f"preload 20 files ({total:.1f} MB), +20 ms/request"
            report(label, *timed(ours, raw, repeat), "s", "<= 0.3")
