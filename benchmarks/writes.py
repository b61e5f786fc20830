"""What a safe write costs: staging in a hidden sibling, the per-data-ID write
journal and the move into place, against xarray writing the same cube
straight to its final path (which a failure would leave half-written)."""

from __future__ import annotations

import itertools
import tempfile

import numpy as np
import xarray as xr

from tests.servers import s3_options


def _cube(quick: bool) -> xr.Dataset:
    nt = 4 if quick else 16
    data = np.random.default_rng(0).random((nt, 256, 256), dtype="float32")
    return xr.Dataset({"chl": (("time", "lat", "lon"), data)}).chunk({"time": 1})


def bench_writes(endpoint: dict, timed, report, repeat: int, quick: bool) -> None:
    import s3fs

    from intake_xstores import new_data_store

    cube = _cube(quick)
    size = cube.nbytes / 1e6
    options = s3_options(endpoint)
    fs = s3fs.S3FileSystem(**options)
    fs.mkdir("bench-writes")
    names = itertools.count()
    with tempfile.TemporaryDirectory() as tmp:
        targets = {
            "file": ({"root": tmp}, lambda name: f"{tmp}/{name}"),
            "s3": (
                {"root": "bench-writes", "storage_options": options},
                lambda name: fs.get_mapper(f"bench-writes/{name}"),
            ),
        }
        for protocol, (params, raw_target) in targets.items():
            store = new_data_store(protocol, **params)

            def ours(store=store):
                store.write_data(cube, f"c{next(names)}.zarr")

            def raw(raw_target=raw_target):
                cube.to_zarr(raw_target(f"c{next(names)}.zarr"), zarr_format=2, consolidated=True)

            report(
                f"safe write {size:.0f} MB Zarr ({protocol})",
                *timed(ours, raw, repeat),
                "s",
                "",
            )
