"""Preloading CLMS download packages: request, wait, download, merge into one cube.

Each data ID is one task (:func:`preload_task`) of an ``ExecutorPreloadHandle``
(``max_workers`` run at once, so the service prepares several packages at the same time). A task

1. posts a data request for the package (``@datarequest_post``),
2. polls it (``@datarequest_search``) until CLMS says ``COMPLETE``; a status
   that is neither pending nor complete (``FAILED``, ``REJECTED``, ...) is an
   error carrying the service's message,
3. downloads the zip of GeoTIFF tiles it names (retried and resumed by
   :class:`~intake_xstores.plugins.web.WebClient`) into a temporary folder,
4. mosaics the tiles into one lazy cube (the union of their extents, each
   chunk read from the tiles' windows it overlaps), and
5. writes the cube into the cache store as ``{dataset}/{file}.zarr``, by the
   store's safe write (a hidden name, moved into place when complete), chunk
   by chunk.

Progress: 0.05 once requested, to 0.3 while CLMS prepares the package, to 0.7
while downloading, to 1 while merging and writing. Nothing half-done stays in
the cache: a cut or failed download, a bad zip or a cancel leave no data ID
behind. A cancelled task, and one that fails or times out before CLMS
completed its request, withdraws the request (``@datarequest_delete``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import DataStoreError, error_text
from ...preload import ExecutorPreloadHandle, PreloadState
from ...schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonIntegerSchema,
    JsonSchema,
    count_schema,
)
from .api import SERVICE

if TYPE_CHECKING:  # the store imports this module when it preloads
    from .store import ClmsDataStore

_TILE = JsonIntegerSchema(minimum=1)

#: Parameters of :meth:`ClmsDataStore.preload_data`.
PRELOAD_PARAMS: dict[str, JsonSchema] = dict(
    max_workers=count_schema("Packages requested and merged at the same time", 4),
    tile_size=JsonComplexSchema(
        any_of=[_TILE, JsonArraySchema(items=[_TILE, _TILE])],
        default=2000,
        description="Chunk size (x, y) of the merged cube: one number or [width, height]",
    ),
    force_preload=JsonBooleanSchema(
        default=False, description="Preload again what is already in the cache"
    ),
)

#: Statuses of a data request that is still being prepared.
PENDING = frozenset({"PENDING", "QUEUED", "IN_PROGRESS"})
COMPLETE = "COMPLETE"

REQUESTED, PREPARED, DOWNLOADED = 0.05, 0.3, 0.7

Report = Callable[[float, str], None]

_TIFF_SUFFIXES = (".tif", ".tiff")


def preload_task(
    store: ClmsDataStore, handle: ExecutorPreloadHandle, data_id: str, **options: Any
) -> None:
    """The task of *data_id* in *handle*: :func:`preload_package`, reporting to it."""

    def report(progress: float, message: str) -> None:
        handle.notify(PreloadState(data_id, progress=progress, message=message))

    preload_package(store, data_id, report, lambda: handle.cancelled, **options)


def preload_package(
    store: ClmsDataStore,
    data_id: str,
    report: Report,
    cancelled: Callable[[], bool],
    tile_size: int | list[int] = 2000,
    force_preload: bool = False,
) -> str:
    """Preload the package *data_id* of *store*; return its data ID in the cache."""
    cache_id = store.cache_data_id(data_id)
    if not force_preload and store.is_preloaded(data_id):
        report(1.0, "already preloaded")
        return cache_id
    entry = store.entry(data_id)
    what = f"package {data_id!r}"
    _check(cancelled)
    report(0.0, "requesting")
    task_id = store.api.post_request(entry["dataset"].get("UID", ""), entry["file"]["@id"], what)
    prepared = False
    try:
        task = _wait(store, task_id, what, report, cancelled)
        prepared = True
        with tempfile.TemporaryDirectory(prefix="clms-") as tmp:
            archive = os.path.join(tmp, "package.zip")
            _download(store, task, archive, what, report, cancelled)
            tiles = _extract_tiles(archive, os.path.join(tmp, "tiles"), what)
            _check(cancelled)
            report(DOWNLOADED, f"merging {len(tiles)} tile(s)")
            _write(store, mosaic(tiles, _tile_sizes(tile_size), cancelled), cache_id)
    except BaseException as error:
        if not prepared or isinstance(error, concurrent.futures.CancelledError):
            with contextlib.suppress(DataStoreError):  # it may be gone already
                store.api.delete_request(task_id, what)
        raise
    report(1.0, f"preloaded as {cache_id}")
    return cache_id


def _check(cancelled: Callable[[], bool]) -> None:
    if cancelled():
        raise concurrent.futures.CancelledError()


def _wait(store, task_id: str, what: str, report: Report, cancelled) -> dict[str, Any]:
    """Poll the data request until CLMS completes it; its final state."""
    interval = store.params["poll_interval"]
    deadline = time.monotonic() + store.params["request_timeout"]
    report(REQUESTED, "requested")
    while True:
        task = store.api.request_status(task_id, what)
        status = str(task.get("Status", "")).upper()
        if status == COMPLETE:
            report(PREPARED, "prepared by CLMS")
            return task
        if status not in PENDING:
            message = task.get("Message") or "no reason given"
            raise DataStoreError(
                f"{SERVICE} could not prepare {what}: its data request is {status} ({message})"
            )
        if time.monotonic() >= deadline:
            raise DataStoreError(
                f"{SERVICE} did not prepare {what} within request_timeout="
                f"{store.params['request_timeout']:g} s (still {status}); the request "
                "was withdrawn, try again later"
            )
        report(REQUESTED, f"waiting for CLMS ({status.lower()})")
        _sleep(interval, cancelled)


def _sleep(seconds: float, cancelled: Callable[[], bool]) -> None:
    end = time.monotonic() + seconds
    while True:
        _check(cancelled)
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


def _download(store, task: dict[str, Any], path: str, what: str, report: Report, cancelled):
    url = task.get("DownloadURL")
    if not isinstance(url, str) or not url:
        raise DataStoreError(f"{SERVICE} completed the data request for {what} but gave no URL")
    size = task.get("FileSize")
    share = DOWNLOADED - PREPARED

    def progress(done: int, total: int | None) -> None:
        total = total or (size if isinstance(size, int) else None)
        fraction = min(done / total, 1.0) if total else 0.0
        report(PREPARED + share * fraction, f"downloading {done / 1e6:.1f} MB")

    store.client.download(url, path, what, progress, cancelled)


def _extract_tiles(archive: str, folder: str, what: str) -> list[str]:
    """The GeoTIFF tiles in the zip *archive* (also in zips inside it), extracted."""
    os.makedirs(folder)
    tiles: list[str] = []
    try:
        _extract_from(zipfile.ZipFile(archive), folder, tiles)
    except (zipfile.BadZipFile, OSError) as error:
        raise DataStoreError(
            f"The download of {what} from {SERVICE} is not a readable zip: {error_text(error)}"
        ) from None
    if not tiles:
        raise DataStoreError(f"The download of {what} from {SERVICE} holds no GeoTIFF tiles")
    return sorted(tiles)


def _extract_from(archive: zipfile.ZipFile, folder: str, tiles: list[str]) -> None:
    with archive:
        for info in archive.infolist():
            name = os.path.basename(info.filename)  # flat: no member lands outside
            lower = name.lower()
            if info.is_dir() or not name:
                continue
            if lower.endswith(".zip"):
                with archive.open(info) as inner:
                    _extract_from(zipfile.ZipFile(inner), folder, tiles)
            elif lower.endswith(_TIFF_SUFFIXES):
                target = os.path.join(folder, f"{len(tiles):04d}-{name}")
                with archive.open(info) as source, open(target, "wb") as out:
                    while chunk := source.read(1 << 20):
                        out.write(chunk)
                tiles.append(target)


def _tile_sizes(tile_size: int | list[int]) -> tuple[int, int]:
    if isinstance(tile_size, int):
        return tile_size, tile_size
    return int(tile_size[0]), int(tile_size[1])


def mosaic(paths: list[str], tile_size: tuple[int, int], cancelled: Callable[[], bool]):
    """The GeoTIFF tiles *paths* (one CRS and pixel size) as one lazy cube.

    The cube spans the union of the tiles, chunked by *tile_size*; computing a
    chunk reads just the windows of the tiles it overlaps (later tiles over
    earlier ones), so writing the cube holds a few chunks in memory, never the
    whole package. Pixels no tile covers are the tiles' nodata value (0 if
    none). Bands become variables ``band_1``, ``band_2``, ...
    """
    import dask.array as da
    import numpy as np
    import rasterio
    import xarray as xr

    tiles = []
    for path in paths:
        with rasterio.open(path) as src:
            tiles.append(
                {
                    "path": path,
                    "crs": src.crs,
                    "res": src.res,
                    "bounds": src.bounds,
                    "shape": (src.height, src.width),
                    "count": src.count,
                    "dtype": src.dtypes[0],
                    "nodata": src.nodata,
                }
            )
    grid = _union_grid(tiles)
    first = tiles[0]
    fill = first["nodata"] if first["nodata"] is not None else 0
    for tile in tiles:
        tile["row"] = int(round((grid["top"] - tile["bounds"].top) / grid["res_y"]))
        tile["col"] = int(round((tile["bounds"].left - grid["left"]) / grid["res_x"]))
    chunks = da.core.normalize_chunks((tile_size[1], tile_size[0]), (grid["height"], grid["width"]))
    dtype = np.dtype(first["dtype"])
    variables = {}
    for band in range(1, first["count"] + 1):
        data = da.map_blocks(
            _read_block,
            chunks=chunks,
            dtype=dtype,
            meta=np.empty((0, 0), dtype),
            name=f"clms-mosaic-{uuid.uuid4().hex}",  # no hashing of the arguments
            tiles=tiles,
            band=band,
            fill=fill,
            cancelled=cancelled,
        )
        variables[f"band_{band}"] = xr.Variable(
            ("y", "x"), data, {"grid_mapping": "spatial_ref"}, {"_FillValue": fill}
        )
    wkt = first["crs"].to_wkt()
    return xr.Dataset(
        variables,
        coords={
            "y": grid["y"],
            "x": grid["x"],
            "spatial_ref": ((), 0, {"crs_wkt": wkt, "spatial_ref": wkt}),
        },
    )


def _read_block(tiles, band, fill, cancelled, block_info=None):
    """One chunk of the mosaic: the windows of the tiles overlapping it."""
    import numpy as np
    import rasterio
    from rasterio.windows import Window

    _check(cancelled)
    info = block_info[None]
    (r0, r1), (c0, c1) = info["array-location"]
    out = np.full((r1 - r0, c1 - c0), fill, dtype=info["dtype"])
    for tile in tiles:
        height, width = tile["shape"]
        top, bottom = max(r0, tile["row"]), min(r1, tile["row"] + height)
        left, right = max(c0, tile["col"]), min(c1, tile["col"] + width)
        if top < bottom and left < right:
            window = Window(left - tile["col"], top - tile["row"], right - left, bottom - top)
            with rasterio.open(tile["path"]) as src:
                out[top - r0 : bottom - r0, left - c0 : right - c0] = src.read(band, window=window)
    return out


def _union_grid(tiles: list[dict[str, Any]]) -> dict[str, Any]:
    import numpy as np

    first = tiles[0]
    res_x, res_y = (abs(float(r)) for r in first["res"])
    for tile in tiles:
        name = os.path.basename(tile["path"])
        if tile["crs"] != first["crs"]:
            raise DataStoreError(
                f"The tiles of the package differ in CRS: {name} is {tile['crs']}, "
                f"not {first['crs']}"
            )
        if not np.allclose([abs(r) for r in tile["res"]], [res_x, res_y]):
            raise DataStoreError(f"The tiles of the package differ in pixel size: {name}")
        if tile["count"] != first["count"] or tile["dtype"] != first["dtype"]:
            raise DataStoreError(f"The tiles of the package differ in bands or type: {name}")
    bounds = np.array([tuple(t["bounds"]) for t in tiles], dtype="float64")
    left, top = bounds[:, 0].min(), bounds[:, 3].max()
    width = int(round((bounds[:, 2].max() - left) / res_x))
    height = int(round((top - bounds[:, 1].min()) / res_y))
    return {
        "left": left,
        "top": top,
        "res_x": res_x,
        "res_y": res_y,
        "width": width,
        "height": height,
        "x": left + (np.arange(width) + 0.5) * res_x,
        "y": top - (np.arange(height) + 0.5) * res_y,
    }


def _write(store: ClmsDataStore, cube, cache_id: str) -> None:
    """Write the mosaic into the cache store, safely (whole or not at all)."""
    store.cache_store.write_data(cube, cache_id, replace=True)
