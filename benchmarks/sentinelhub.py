"""Benchmark row: a 64-tile ``sentinelhub`` cube computed over 20 ms of latency.

The fake Sentinel Hub (``tests.plugins.sh_fake``, TLS on loopback) runs in
a process of its own, as a remote service would, and answers each Process
API request 20 ms late. Ours: a fresh store opens a DEM cube of 8 x 8 tiles
(64 Process API requests, one time step) and computes it (tiles fetched
``max_workers`` at a time, GeoTIFFs decoded). Raw: a token, then the very
same 64 request bodies posted one after another with ``requests`` and
decoded with tifffile.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

TILE = 64

_SERVER = """
import json, logging, sys
from tests.plugins.sh_fake import SentinelHubFake
from tests.service_kit import FakeService

logging.getLogger("werkzeug").setLevel(logging.WARNING)
with FakeService(tls=True) as service:
    fake = SentinelHubFake(service)
    service.fault("/api/v1/process", latency=0.020)
    service.route("/bench/bodies", lambda request, **_: fake.process_bodies)
    print(json.dumps(dict(url=service.url, ca_file=service.ca_file, client_id=fake.client_id,
                          client_secret=fake.client_secret)), flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
"""


def bench_sentinelhub(timed, report, repeat: int, quick: bool) -> None:
    import requests
    import tifffile

    from intake_xstores import new_data_store

    side = 4 if quick else 8
    repo = Path(__file__).resolve().parent.parent
    with subprocess.Popen(
        [sys.executable, "-c", _SERVER],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            fake = json.loads(server.stdout.readline())
            _bench(fake, side, timed, report, repeat, requests, tifffile, new_data_store)
        finally:
            server.stdin.close()
            server.wait(30)


def _bench(fake, side, timed, report, repeat, requests, tifffile, new_data_store) -> None:
    url, ca_file = fake["url"], fake["ca_file"]
    params = dict(
        client_id=fake["client_id"],
        client_secret=fake["client_secret"],
        instance_url=url,
        ssl_verify=ca_file,
    )
    cube = dict(
        bbox=[10.0, 50.0, 10.0 + side * TILE * 0.001, 50.0 + side * TILE * 0.001],
        spatial_res=0.001,
        tile_size=[TILE, TILE],
        time_range=["2024-01-01", "2024-01-01"],
        time_period="1D",
    )

    def ours():
        store = new_data_store("sentinelhub", **params)
        values = store.open_data("DEM", **cube).DEM.values
        assert np.isfinite(values).all()

    ours()  # and take its request bodies for the raw run
    bodies = requests.get(f"{url}/bench/bodies", verify=ca_file).json()[-side * side :]

    def raw():
        with requests.Session() as session:
            token = session.post(
                f"{url}/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": fake["client_id"],
                    "client_secret": fake["client_secret"],
                },
                verify=ca_file,
            ).json()["access_token"]
            for body in bodies:
                response = session.post(
                    f"{url}/api/v1/process",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                    verify=ca_file,
                )
                response.raise_for_status()
                tifffile.imread(io.BytesIO(response.content))

    label = f"sentinelhub cube of {side * side} tiles, +20 ms/request"
    report(label, *timed(ours, raw, repeat), "s", "<= 0.2")
