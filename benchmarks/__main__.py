"""Benchmarks: intake_xstores against the raw libraries doing the same work.

Run with ``python -m benchmarks`` (or ``make bench``). Starts moto on loopback,
fills it, and prints each figure as a ratio ours / raw, measured in this run:

- listing 2,000 Zarr cubes in nested folders, with and without 20 ms of added
  latency per request, against a sequential per-folder ``fs.ls`` walk;
- ``describe_data`` against reading the consolidated metadata with zarr;
- ``open_data`` and a full ``.compute()`` against ``xarray.open_zarr``;
- ``import intake_xstores`` time, and the peak memory of opening a large lazy cube;
- reading all chunks of a ``GenericZarrStore`` against an in-memory Zarr store;
- preloading the 20 files of a Zenodo record over 20 ms of latency (a fake Zenodo)
  against downloading them one by one with ``requests``;
- a CDS retrieval of a ~100 MB result over 20 ms of latency (a fake CDS)
  against ``cdsapi`` retrieving it and xarray reading it;
- preloading 4 CLMS packages (a fake CLMS that takes a while to prepare each)
  in parallel against one after another;
- opening, describing and reading one tile of a large COG on S3, in bytes
  downloaded and in time, against rasterio opening the same URL directly;
- searching and opening 100 items of a STAC API (``stac``) against pystac-client
  plus rioxarray, and listing a static STAC catalog of 500 items over 20 ms of
  latency against a sequential walk;
- an ARDC cube of 10 Sentinel-2 scenes (``stac-cdse-ardc``) against
  pystac-client's search plus ``odc.stac.load`` on the same items;
- a safe write (hidden staging copy, write journal, move into place) of a
  Zarr cube on the local disk and on S3 against ``to_zarr`` to the final path;
- the peak memory of ``xstores copy`` of a 200 MB NetCDF to Zarr on S3, against
  the file's size and against xarray's plain open_dataset + to_zarr.

``--quick`` makes it smaller, for a smoke test.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from benchmarks.cciodp import bench_cciodp
from benchmarks.cds import bench_cds
from benchmarks.clms import bench_clms
from benchmarks.preload import bench_preload
from benchmarks.proxy import LatencyProxy
from benchmarks.sentinelhub import bench_sentinelhub
from benchmarks.stac import bench_stac
from benchmarks.stac_ardc import bench_stac_ardc
from benchmarks.writes import bench_writes
from benchmarks.zarrstore import bench_generic_zarr_store
from tests.servers import run_moto, s3_options

ROWS: list[tuple[str, str, str, float, str]] = []


def timed(ours, raw, repeat: int) -> tuple[float, float]:
    """The median wall times of *repeat* calls of *ours* and of *raw*, in seconds.

    The two take turns, so a machine that slows down or speeds up during the
    run weighs on both alike.
    """
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, fn_times in zip((ours, raw), times, strict=True):
            start = time.perf_counter()
            fn()
            fn_times.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def report(name: str, ours: float, raw: float, unit: str, target: str) -> None:
    ratio = ours / raw
    fmt = {"s": "{:.3f} s", "MB": "{:.1f} MB", "kB": "{:.0f} kB"}[unit]
    ROWS.append((name, fmt.format(ours), fmt.format(raw), ratio, target))
    print(
        f"  {name}: ours {fmt.format(ours)}, raw {fmt.format(raw)}, ratio {ratio:.2f}", flush=True
    )


def fresh(options: dict) -> dict:
    """Storage options for a filesystem with no cached instance or listing."""
    return {**options, "skip_instance_cache": True}


def small_cube_files(tmp: Path) -> dict[str, bytes]:
    """The files of a small consolidated Zarr cube, by relative path."""
    ds = xr.Dataset({"chl": (("lat", "lon"), np.zeros((4, 4), "float32"))})
    path = tmp / "small.zarr"
    ds.to_zarr(path, zarr_format=2, consolidated=True)
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def fill_listing_bucket(fs, bucket: str, n_cubes: int, tmp: Path) -> list[str]:
    """Write *n_cubes* small Zarr cubes into region/year folders of *bucket*."""
    files = small_cube_files(tmp)
    regions, years = 20, 10
    per_folder = max(1, n_cubes // (regions * years))
    data_ids = [
        f"r{r:02d}/y{2010 + y}/cube{c}.zarr"
        for r in range(regions)
        for y in range(years)
        for c in range(per_folder)
    ][:n_cubes]
    fs.mkdir(bucket)
    batch: dict[str, bytes] = {}
    for data_id in data_ids:
        batch.update({f"{bucket}/{data_id}/{name}": data for name, data in files.items()})
        if len(batch) > 4000:
            fs.pipe(batch)
            batch = {}
    if batch:
        fs.pipe(batch)
    return data_ids


def sequential_walk(fs, root: str, max_depth: int) -> list[str]:
    """The plain way: ``fs.ls`` one folder after the other, stopping at .zarr."""
    found, level = [], [root]
    for _ in range(max_depth):
        next_level = []
        for folder in level:
            for entry in fs.ls(folder, detail=True):
                name = entry["name"].rstrip("/")
                if name.endswith(".zarr"):
                    found.append(name[len(root) + 1 :])
                elif entry["type"] == "directory":
                    next_level.append(name)
        level = next_level
    return found


def bench_listing(endpoint: dict, n_cubes: int, tmp: Path, repeat: int) -> None:
    import s3fs

    from intake_xstores import new_data_store

    options = s3_options(endpoint)
    bucket = "listing"
    expected = sorted(fill_listing_bucket(s3fs.S3FileSystem(**options), bucket, n_cubes, tmp))
    print(f"  filled {len(expected)} cubes in {bucket!r}", flush=True)
    host, port = urllib.parse.urlsplit(endpoint["endpoint_url"]).netloc.split(":")
    times = []
    for delay in (0.0, 0.020):
        with LatencyProxy(host, int(port), delay) as proxy:
            opts = dict(options, client_kwargs=dict(options["client_kwargs"]))
            opts["client_kwargs"]["endpoint_url"] = f"http://127.0.0.1:{proxy.port}"

            def ours(opts=opts):
                store = new_data_store("s3", root=bucket, max_depth=3, storage_options=fresh(opts))
                ids = store.list_data_ids()
                assert sorted(ids) == expected, len(ids)

            def raw(opts=opts):
                ids = sequential_walk(s3fs.S3FileSystem(**fresh(opts)), bucket, 3)
                assert sorted(ids) == expected, len(ids)

            label = f"list {len(expected)} cubes, +{delay * 1000:.0f} ms/request"
            times.append(timed(ours, raw, repeat))
            report(label, *times[-1], "s", "" if not delay else "<= 0.2")
    # moto spends its CPU on every listing request, the same for any client:
    # what latency adds on top shows how much of it a client hides
    (ours_0, raw_0), (ours_20, raw_20) = times
    report("  time the 20 ms latency added", ours_20 - ours_0, raw_20 - raw_0, "s", "")


def bench_cube(endpoint: dict, repeat: int, quick: bool) -> None:
    import zarr
    from zarr.storage import FsspecStore

    from intake_xstores import new_data_store

    options = s3_options(endpoint)
    store = new_data_store("s3", root="cubes", storage_options=options)
    store.fs.mkdir("cubes")
    nt, ny, nx = (20, 128, 128) if quick else (60, 512, 512)
    rng = np.random.default_rng(0)
    cube = xr.Dataset(
        {
            "chl": (("time", "lat", "lon"), rng.random((nt, ny, nx), dtype="float32")),
            "sst": (("time", "lat", "lon"), rng.random((nt, ny, nx), dtype="float32")),
        },
        coords={
            "time": pd.date_range("2021-01-01", periods=nt),
            "lat": np.linspace(50, 60, ny),
            "lon": np.linspace(0, 10, nx),
        },
        attrs={"title": "benchmark cube"},
    ).chunk({"time": 5, "lat": 256, "lon": 256})
    store.write_data(cube, "cube.zarr")
    size = sum(v.nbytes for v in cube.data_vars.values()) / 1e6
    url = "s3://cubes/cube.zarr"
    so = fresh(options)

    def raw_describe():
        group = zarr.open_consolidated(FsspecStore.from_url(url, storage_options=so))
        metadata = {name: (a.shape, a.dtype, dict(a.attrs)) for name, a in group.arrays()}
        lat, lon, t = group["lat"][:], group["lon"][:], group["time"][:]
        return metadata, (lon.min(), lat.min(), lon.max(), lat.max()), (t.min(), t.max())

    def ours_describe():
        new_data_store("s3", root="cubes", storage_options=so).describe_data("cube.zarr")

    report("describe_data", *timed(ours_describe, raw_describe, repeat), "s", "<= 1.2")

    def ours_open():
        return new_data_store("s3", root="cubes", storage_options=so).open_data("cube.zarr")

    def raw_open():  # in the stored chunking, as open_data opens
        return xr.open_zarr(url, storage_options=so, consolidated=True, chunks={})

    report("open_data", *timed(ours_open, raw_open, repeat * 2), "s", "<= 1.1")
    ours_ds, raw_ds = ours_open(), raw_open()
    xr.testing.assert_identical(ours_ds, raw_ds)
    label = f"open + compute {size:.0f} MB"
    compute_times = timed(lambda: ours_open().compute(), lambda: raw_open().compute(), repeat)
    report(label, *compute_times, "s", "<= 1.05")

    # a large lazy cube: metadata and coordinates only, no chunk written
    big = xr.Dataset(
        {
            name: (("time", "lat", "lon"), _lazy_zeros((3650, 4320, 8640)))
            for name in ("chl", "sst", "kd490")
        },
        coords={
            "time": pd.date_range("2000-01-01", periods=3650),
            "lat": np.linspace(-90, 90, 4320),
            "lon": np.linspace(-180, 180, 8640),
        },
    )
    big.to_zarr(FsspecStore.from_url("s3://cubes/big.zarr", storage_options=options), compute=False)
    virtual = sum(v.nbytes for v in big.data_vars.values()) / 1e12
    ours_peak = peak_mb(lambda: ours_open_id("big.zarr", so))
    raw_peak = peak_mb(lambda: xr.open_zarr("s3://cubes/big.zarr", storage_options=so))
    report(f"peak memory opening a {virtual:.1f} TB lazy cube", ours_peak, raw_peak, "MB", "")


def _lazy_zeros(shape):
    import dask.array as da

    return da.zeros(shape, dtype="float32", chunks=(10, 540, 540))


def ours_open_id(data_id: str, so: dict):
    from intake_xstores import new_data_store

    return new_data_store("s3", root="cubes", storage_options=so).open_data(data_id)


def peak_mb(fn) -> float:
    """Peak Python memory allocated while calling *fn*, in MB (median of 3)."""
    peaks = []
    for _ in range(3):
        tracemalloc.start()
        result = fn()
        peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
        del result
    return statistics.median(peaks)


def write_cog(path: Path, size: int) -> float:
    """A *size* x *size* single-band COG of noise in 512-pixel tiles; its MB."""
    import rasterio
    from rasterio.transform import from_origin

    data = np.random.default_rng(0).integers(0, 255, (size, size), dtype="uint8")
    profile = dict(width=size, height=size, count=1, dtype="uint8", crs="EPSG:32632")
    transform = from_origin(500000, 5800000, 10, 10)
    with rasterio.open(
        path, "w", driver="COG", transform=transform, compress="NONE", blocksize=512, **profile
    ) as dst:
        dst.write(data, 1)
    return path.stat().st_size / 1e6


def bench_cog(endpoint: dict, tmp: Path, repeat: int, quick: bool) -> None:
    """Open, describe and read one tile of a large COG on S3, each time a fresh copy."""
    import rasterio
    import s3fs
    from rasterio.session import AWSSession

    from intake_xstores import new_data_store

    options = s3_options(endpoint)
    fs = s3fs.S3FileSystem(**options)
    fs.mkdir("cogs")
    size_mb = write_cog(tmp / "big.tif", 2048 if quick else 7168)
    fs.put_file(str(tmp / "big.tif"), "cogs/big.tif")
    # every call reads a copy nobody read before: neither GDAL's cache nor ours helps
    names = [f"big{i}.tif" for i in range(2 * repeat + 4)]
    for name in names:
        fs.copy("cogs/big.tif", f"cogs/{name}")
    copies = iter(names)
    host, port = urllib.parse.urlsplit(endpoint["endpoint_url"]).netloc.split(":")
    with LatencyProxy(host, int(port), 0) as proxy:
        proxy_url = f"http://127.0.0.1:{proxy.port}"
        opts = dict(options, client_kwargs=dict(options["client_kwargs"], endpoint_url=proxy_url))
        # a store and a GDAL session made once, as a user would: both keep connections
        store = new_data_store("s3", root="cogs", storage_options=fresh(opts))
        session = AWSSession(
            aws_access_key_id=options["key"],
            aws_secret_access_key=options["secret"],
            region_name="eu-west-1",
            endpoint_url=proxy_url.removeprefix("http://"),
        )
        # AWS_* as GDAL needs them for moto; EMPTY_DIR as GDAL advises for COGs
        gdal = dict(
            AWS_HTTPS="NO", AWS_VIRTUAL_HOSTING="FALSE", GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"
        )

        def ours():
            data_id = next(copies)
            ds = store.open_data(data_id)
            store.describe_data(data_id)
            return ds.band_1[:512, :512].values

        def raw():
            url = f"s3://cogs/{next(copies)}"
            with rasterio.Env(session=session, **gdal), rasterio.open(url) as src:
                (src.profile, src.bounds, src.res, src.overviews(1))
                return src.read(1, window=((0, 512), (0, 512)))

        received = []
        for fn in (ours, raw):
            before = proxy.received
            tile = fn()
            received.append((proxy.received - before) / 1e3)
        np.testing.assert_array_equal(ours(), raw())
        label = f"COG {size_mb:.0f} MB on S3: open+describe+1 tile"
        report(f"{label}, bytes", *received, "kB", "<= 1.2")
        report(f"{label}, time", *timed(ours, raw, repeat), "s", "<= 1.2")
        assert tile.shape == (512, 512)


_COPY = """
import json, sys
import dask.array, h5netcdf, s3fs, tqdm, xarray as xr, zarr
import intake_xstores.cli, intake_xstores.fs.formats.netcdf, intake_xstores.fs.formats.zarr

mode, folder, bucket, options = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])


def peak_rss():  # VmHWM: this program's own peak (ru_maxrss may start at the parent's)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))


base = peak_rss()
if mode == "ours":
    intake_xstores.cli.main([
        "copy", "file:big.nc", "s3:ours.zarr", "--src-param", f"root={folder}",
        "--dst-param", f"root={bucket}", "--dst-param", f"storage_options={json.dumps(options)}",
        "-q",
    ])
else:  # the plain way: open lazily in the stored chunks, write
    ds = xr.open_dataset(f"{folder}/big.nc", engine="h5netcdf", chunks={})
    ds.to_zarr(f"s3://{bucket}/raw.zarr", storage_options=options, zarr_format=2)
print(base / 1e3, (peak_rss() - base) / 1e3)
"""


def bench_copy_memory(endpoint: dict, tmp: Path, quick: bool) -> None:
    """Peak memory of ``xstores copy`` of a NetCDF to Zarr on S3, above its imports."""
    import s3fs

    nt = 5 if quick else 50
    rng = np.random.default_rng(0)
    ds = xr.Dataset(
        {
            name: (("time", "lat", "lon"), rng.random((nt, 720, 720), dtype="float32"))
            for name in ("sst", "chl")
        },
        coords={"time": pd.date_range("2020-01-01", periods=nt)},
    )
    ds.to_netcdf(tmp / "big.nc", engine="h5netcdf")
    del ds
    size = (tmp / "big.nc").stat().st_size / 1e6
    options = s3_options(endpoint)
    s3fs.S3FileSystem(**options).mkdir("copies")

    def peak(mode: str) -> float:
        args = [sys.executable, "-c", _COPY, mode, str(tmp), "copies", json.dumps(options)]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        imports, added = (float(v) for v in out.split()[-2:])
        print(f"  {mode}: peak RSS {imports + added:.0f} MB, of which imports {imports:.0f} MB")
        return added

    ours = peak("ours")
    label = f"peak RSS above imports, copying {size:.0f} MB NetCDF to S3 Zarr (raw: file)"
    report(label, ours, size, "MB", "< 2")
    report("  the same (raw: xarray open_dataset + to_zarr)", ours, peak("raw"), "MB", "")


def bench_import(repeat: int) -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import {module}; "
        "print(time.perf_counter() - t, 'xarray' in sys.modules)"
    )

    def import_time(module: str) -> float:
        times = []
        for _ in range(repeat):
            out = subprocess.run(
                [sys.executable, "-c", code.format(module=module)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            times.append(float(out[0]))
            if module == "intake_xstores":
                assert out[1] == "False", "import intake_xstores imported xarray"
        return statistics.median(times)

    report(
        "import intake_xstores (raw: import xarray)",
        import_time("intake_xstores"),
        import_time("xarray"),
        "s",
        "",
    )


#: The groups of rows, in order: name -> (heading, run(endpoint, tmp, repeat, quick)).
GROUPS = {
    "import": ("import and memory", lambda e, t, r, q: bench_import(r)),
    "listing": (
        "listing",
        lambda e, t, r, q: bench_listing(e, 200 if q else 2000, t, max(2, r // 2)),
    ),
    "cube": ("describe, open, compute", lambda e, t, r, q: bench_cube(e, r, q)),
    "cog": ("remote rasters", lambda e, t, r, q: bench_cog(e, t, r, q)),
    "copy": ("copy", lambda e, t, r, q: bench_copy_memory(e, t, q)),
    "generic": (
        "GenericZarrStore",
        lambda e, t, r, q: bench_generic_zarr_store(timed, report, r, q),
    ),
    "writes": ("safe writes", lambda e, t, r, q: bench_writes(e, timed, report, r, q)),
    "preload": ("preload (zenodo)", lambda e, t, r, q: bench_preload(timed, report, r, q)),
    "stac": ("STAC items", lambda e, t, r, q: bench_stac(e, timed, report, r, q)),
    "cds": ("CDS retrieval", lambda e, t, r, q: bench_cds(timed, report, r, q)),
    "stac-ardc": ("STAC ARDC cube", lambda e, t, r, q: bench_stac_ardc(e, timed, report, r)),
    "clms": ("preload (clms)", lambda e, t, r, q: bench_clms(timed, report, r, q)),
    "sentinelhub": ("sentinelhub", lambda e, t, r, q: bench_sentinelhub(timed, report, r, q)),
    "cciodp": ("cciodp", lambda e, t, r, q: bench_cciodp(timed, report, r, q)),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer repeats")
    parser.add_argument(
        "--only",
        action="append",
        choices=GROUPS,
        help="run only this group of rows (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else 5
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, run_moto() as endpoint:
        print(f"moto at {endpoint['endpoint_url']}", flush=True)
        for name, (heading, run) in GROUPS.items():
            if name in (args.only or GROUPS):
                print(heading, flush=True)
                run(endpoint, Path(tmp), repeat, args.quick)
    print()
    print(f"{'benchmark':<46} {'ours':>10} {'raw':>10} {'ratio':>7}  target")
    for name, ours, raw, ratio, target in ROWS:
        print(f"{name:<46} {ours:>10} {raw:>10} {ratio:>7.2f}  {target}")
    print(f"\n(total {time.perf_counter() - start:.0f} s; ratio = ours / raw, lower is better)")
    return 0


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # unclosed sessions of fresh fs
    sys.exit(main())
