"""Benchmark row: a CDS retrieval of a ~100 MB result over 20 ms of latency per request.

A fake CDS (``tests.plugins.cds_fake.FakeCds`` on a ``FakeService``, every
request 20 ms late by an injected fault) answers every job with the same
ERA5-like NetCDF file, successful at the first poll so that neither side
sleeps between polls. Ours: the ``cds`` store's ``open_data`` (submit, poll,
download with retries and progress callbacks, read into memory, normalise).
Raw: ``cdsapi.Client(...).retrieve(...)`` into a file, then
``xarray.open_dataset(...).load()``: the same download and read, without the
store.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

ERA5 = "reanalysis-era5-single-levels"


def _result(megabytes: int) -> bytes:
    """An ERA5-shaped NetCDF of about *megabytes* MB (hourly, 0.25°)."""
    lat, lon = np.arange(70, 30, -0.25), np.arange(-20, 40, 0.25)
    hours = max(1, megabytes * 1_000_000 // (4 * lat.size * lon.size))
    times = pd.date_range("2020-01-01", periods=hours, freq="h")
    values = np.random.default_rng(0).random((hours, lat.size, lon.size), dtype="float32")
    ds = xr.Dataset(
        {"t2m": (("valid_time", "latitude", "longitude"), values, {"units": "K"})},
        coords={"valid_time": times, "latitude": lat, "longitude": lon},
    )
    return bytes(ds.to_netcdf(engine="h5netcdf"))


def bench_cds(timed, report, repeat: int, quick: bool) -> None:
    import cdsapi

    from intake_xstores import new_data_store
    from tests.plugins.cds_fake import FakeCds
    from tests.service_kit import FakeService

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("ecmwf.datastores").setLevel(logging.WARNING)
    data = _result(10 if quick else 100)
    request = {"variable": ["2m_temperature"], "time_range": ["2020-01-01", "2020-12-31"]}
    with tempfile.TemporaryDirectory() as tmp, FakeService() as service:
        cds = FakeCds(service, states=())
        cds.results[ERA5] = lambda inputs: ("data.nc", data)
        service.fault("/", latency=0.020)
        store = new_data_store(
            "cds", endpoint_url=cds.url, cds_api_key=cds.key, progress=False, poll_interval=0.01
        )

        def ours():
            ds = store.open_data(ERA5, variable_names=["t2m"], time_range=request["time_range"])
            assert ds.t2m.size * 4 > 0.9 * len(data)

        def raw():
            client = cdsapi.Client(url=cds.url, key=cds.key, quiet=True, progress=False)
            target = str(Path(tmp) / "raw.nc")
            client.retrieve(ERA5, {"variable": request["variable"]}, target)
            with xr.open_dataset(target) as ds:
                ds.load()

        label = f"CDS retrieval of {len(data) / 1e6:.0f} MB, +20 ms/request"
        report(label, *timed(ours, raw, repeat), "s", "<= 1.1")
