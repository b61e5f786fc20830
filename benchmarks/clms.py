"""Benchmark row: preloading 4 CLMS download packages in parallel vs one after another.

A fake CLMS (``tests.plugins.clms_fake.FakeClms`` on a ``FakeService``)
prepares each package in a fixed time (1-2 s) after its data request is
posted, as the real service queues requests (there for minutes, so the
figure here is a pessimistic one: the local work weighs more). Ours: the ``clms``
store's ``preload_data`` of 4 packages with ``max_workers=4`` (requested,
waited for, downloaded and merged at the same time). Raw: the same store
preloading them with ``max_workers=1``, one after the other, as a script
looping over the packages would. Each package is a zip of 4 GeoTIFF tiles
merged into one Zarr cube in a fresh cache folder.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
from pathlib import Path

import numpy as np

PACKAGES = 4


def bench_clms(timed, report, repeat: int, quick: bool) -> None:
    from intake_xstores import new_data_store
    from tests.plugins.clms_fake import TOKEN_PATH, FakeClms, geotiff_tiles, new_service_key, zip_of
    from tests.service_kit import FakeService

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    size, processing = (256, 1.0) if quick else (512, 2.0)  # the real queue: minutes
    values = (np.arange(size * size) % 251).astype("uint8").reshape(size, size)
    package = zip_of(geotiff_tiles(values))
    with tempfile.TemporaryDirectory() as tmp, FakeService() as service:
        key, public_key = new_service_key(f"{service.url}{TOKEN_PATH}")
        fake = FakeClms(service, public_key, key["client_id"], processing_time=processing)
        files = {f"PKG_{i}": package for i in range(PACKAGES)}
        fake.add_package_dataset("bench", files)
        data_ids = [f"bench|{name}" for name in files]
        runs = itertools.count()

        def preload(max_workers: int) -> None:
            store = new_data_store(
                "clms",
                api_url=fake.api_url,
                credentials=key,
                cache_store_params={"root": str(Path(tmp) / f"cache-{next(runs)}")},
                poll_interval=0.05,
            )
            handle = store.preload_data(*data_ids, max_workers=max_workers, silent=True)
            states = handle.preload_handle.states
            assert all(str(s.status) == "COMPLETED" for s in states), handle.preload_handle

        label = (
            f"CLMS preload {PACKAGES} packages ({size}x{size} px, {processing:g} s queue each), "
            "parallel vs one by one"
        )
        times = timed(lambda: preload(PACKAGES), lambda: preload(1), min(repeat, 3))
        report(label, *times, "s", "<= 0.4")
