"""A Sentinel Hub cube: a lazy dataset whose chunks are Process API requests.

The grid (``bbox``, ``spatial_res``, ``crs``) is cut into tiles of
``tile_size`` pixels; the time axis is either regular (``time_period``) or
the acquisition times the Catalog API finds. Each (time step, tile) is one
Process API request whose evalscript returns every requested band as
FLOAT32, answered as a GeoTIFF (``image/tiff``) or raw little-endian floats
(``application/octet-stream``). The bands' arrays share the answer: the first
band chunk read requests the tile, the others take their band from it.

The arrays live in a :class:`~intake_xstores.zarrstore.GenericZarrStore`
whose chunks are computed in the store's own pool of ``max_workers``
threads, so a Dask computation reading many tiles keeps that many requests
in flight, whatever its own number of threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import json
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import DataStoreError
from ...zarrstore import GenericArray, GenericZarrStore, _byte_slice
from .collections import Collection

EPSG_URL = "http://www.opengis.net/def/crs/EPSG/0/"

#: Tiles kept after their first band was read, waiting for the other bands.
MAX_PENDING_TILES = 64


@dataclass(frozen=True)
class CubeSpec:
    """What one ``open_data`` asks for, checked."""

    collection: Collection
    bands: tuple[str, ...]
    bbox: tuple[float, float, float, float]
    epsg: int
    spatial_res: float
    tile_size: tuple[int, int]
    times: tuple[tuple[Any, Any], ...]  # (start, end) pandas Timestamps, UTC-naive
    upsampling: str = "NEAREST"
    downsampling: str = "NEAREST"
    mosaicking_order: str = "mostRecent"
    response_format: str = "image/tiff"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        x0, y0, x1, y1 = self.bbox
        return (
            max(1, round((x1 - x0) / self.spatial_res)),
            max(1, round((y1 - y0) / self.spatial_res)),
        )

    @property
    def geographic(self) -> bool:
        return self.epsg == 4326

    def tile_bbox(self, row: int, col: int, shape: tuple[int, int]) -> list[float]:
        """The bounds of tile (*row*, *col*) of *shape* (height, width); rows go south."""
        tw, th = self.tile_size
        res, (x0, _, _, y1) = self.spatial_res, self.bbox
        left, top = x0 + col * tw * res, y1 - row * th * res
        return [left, top - shape[0] * res, left + shape[1] * res, top]

    def process_request(self, t: int, row: int, col: int, shape: tuple[int, int]) -> dict:
        """The Process API request body of one tile at time step *t*."""
        start, end = self.times[t]
        return {
            "input": {
                "bounds": {
                    "bbox": self.tile_bbox(row, col, shape),
                    "properties": {"crs": f"{EPSG_URL}{self.epsg}"},
                },
                "data": [
                    {
                        "type": self.collection.process_type,
                        "dataFilter": {
                            "timeRange": {"from": _iso(start), "to": _iso(end)},
                            "mosaickingOrder": self.mosaicking_order,
                        },
                        "processing": {
                            "upsampling": self.upsampling,
                            "downsampling": self.downsampling,
                        },
                    }
                ],
            },
            "output": {
                "width": shape[1],
                "height": shape[0],
                "responses": [{"identifier": "default", "format": {"type": self.response_format}}],
            },
            "evalscript": evalscript(self.bands),
        }


def evalscript(bands: tuple[str, ...]) -> str:
    """The evalscript returning *bands*, in order, as FLOAT32 samples."""
    names = json.dumps(list(bands))
    values = ", ".join(f"s[{json.dumps(b)}]" for b in bands)
    return (
        "//VERSION=3\n"
        "function setup() {\n"
        f"  return {{input: [{{bands: {names}}}], "
        f'output: {{bands: {len(bands)}, sampleType: "FLOAT32"}}}};\n'
        "}\n"
        f"function evaluatePixel(s) {{ return [{values}]; }}\n"
    )


def decode_tile(content: bytes, content_type: str, shape: tuple[int, int], bands: int):
    """The (bands, height, width) float32 array of a Process API answer."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("image/tiff", "image/geotiff"):
        import tifffile

        data = np.asarray(tifffile.imread(io.BytesIO(content)), dtype="float32")
        if data.ndim == 2:
            data = data[:, :, np.newaxis]
        elif data.shape[0] == bands and data.shape[1:] == shape:
            data = np.moveaxis(data, 0, -1)  # stored band by band
    elif kind == "application/octet-stream":
        expected = shape[0] * shape[1] * bands * 4
        if len(content) != expected:
            raise ValueError(f"{len(content)} bytes instead of {expected}")
        data = np.frombuffer(content, dtype="<f4").reshape(*shape, bands)
    else:
        raise ValueError(f"an answer of type {kind!r}, neither image/tiff nor raw floats")
    if data.shape != (*shape, bands):
        raise ValueError(f"an image of shape {data.shape}, not {(*shape, bands)}")
    return np.moveaxis(data, -1, 0)


class _Pending:
    """One tile's answer, shared by the band chunks that read it."""

    def __init__(self, bands: int):
        self.done = threading.Event()
        self.unread = set(range(bands))
        self.value: np.ndarray | None = None
        self.error: BaseException | None = None


class TileFetcher:
    """Fetches each tile once for all its bands; applies the error policy."""

    def __init__(
        self,
        spec: CubeSpec,
        fetch: Callable[[dict, tuple[int, int]], np.ndarray],
        error_policy: str = "fail",
    ):
        self.spec = spec
        self.fetch = fetch
        self.error_policy = error_policy
        self._pending: OrderedDict[tuple, _Pending] = OrderedDict()
        self._lock = threading.Lock()

    def band_chunk(self, band: int, chunk_info: dict) -> np.ndarray:
        """The chunk of band *band* at ``chunk_info`` (index (t, row, col))."""
        t, row, col = chunk_info["index"]
        shape = tuple(chunk_info["shape"][1:])
        key = (t, row, col)
        with self._lock:
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = _Pending(len(self.spec.bands))
                self._evict()
        if owner:
            try:
                pending.value = self.fetch(self.spec.process_request(t, row, col, shape), shape)
            except BaseException as error:
                pending.error = error
            finally:
                pending.done.set()
        pending.done.wait()
        with self._lock:
            pending.unread.discard(band)
            finished = not pending.unread or pending.error is not None
            if finished and self._pending.get(key) is pending:
                del self._pending[key]
        if pending.error is not None:
            return self._failed(pending.error, key, shape)
        return pending.value[band][np.newaxis]

    def _evict(self) -> None:
        """Forget the oldest answers whose other bands were never read."""
        while len(self._pending) > MAX_PENDING_TILES:
            key = next((k for k, p in self._pending.items() if p.done.is_set()), None)
            if key is None:
                return
            del self._pending[key]

    def _failed(self, error: BaseException, key: tuple, shape: tuple[int, int]):
        if self.error_policy == "fail" or not isinstance(error, DataStoreError):
            raise error
        if self.error_policy == "warn":
            warnings.warn(
                f"Tile {key} (time, row, column) is missing, filled with NaN: {error}",
                UserWarning,
                stacklevel=2,
            )
        return np.full((1, *shape), np.nan, dtype="float32")


class TileStore(GenericZarrStore):
    """A :class:`GenericZarrStore` computing chunks in a pool of its own threads."""

    def __init__(self, *arrays, max_workers: int = 8, **kwargs):
        super().__init__(*arrays, **kwargs)
        self.max_workers = max_workers
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "_executor": None}

    async def get(self, key, prototype=None, byte_range=None):
        found = None if key in self._metadata_docs() else self._chunk_index(key)
        if found is None:
            return await super().get(key, prototype, byte_range)
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                self.max_workers, thread_name_prefix="sentinelhub"
            )
        array, index = found
        loop = asyncio.get_running_loop()
        data = await loop.run_in_executor(self._executor, array.chunk_bytes, index)
        prototype = prototype or _default_prototype()
        return prototype.buffer.from_bytes(_byte_slice(data, byte_range))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False)
        super().close()


def _default_prototype():
    from zarr.core.buffer import default_buffer_prototype

    return default_buffer_prototype()


def cube_store(
    spec: CubeSpec,
    fetcher: TileFetcher,
    units: dict[str, str],
    attrs: dict[str, Any],
    max_workers: int,
) -> TileStore:
    """The store of the cube *spec*: coordinates, time bounds and one array per band."""
    width, height = spec.size
    res, (x0, _, _, y1) = spec.spatial_res, spec.bbox
    xname, yname = ("lon", "lat") if spec.geographic else ("x", "y")
    x = x0 + (np.arange(width) + 0.5) * res
    y = y1 - (np.arange(height) + 0.5) * res
    epoch = np.datetime64("1970-01-01T00:00:00", "s")
    bounds = np.array(
        [[np.datetime64(s, "s"), np.datetime64(e, "s")] for s, e in spec.times]
    ).astype("datetime64[s]")
    seconds = (bounds - epoch).astype("int64")
    time_attrs = {"units": "seconds since 1970-01-01T00:00:00", "calendar": "proleptic_gregorian"}
    arrays = [
        GenericArray(name=xname, dims=(xname,), data=x, attrs=_AXIS_ATTRS[xname]),
        GenericArray(name=yname, dims=(yname,), data=y, attrs=_AXIS_ATTRS[yname]),
        GenericArray(
            name="time",
            dims=("time",),
            data=seconds.mean(axis=1).astype("int64"),
            attrs={**time_attrs, "standard_name": "time", "bounds": "time_bnds"},
        ),
        GenericArray(
            name="time_bnds", dims=("time", "bnds"), data=seconds, chunks=(1, 2), attrs=time_attrs
        ),
    ]
    tw, th = spec.tile_size
    for index, band in enumerate(spec.bands):
        arrays.append(
            GenericArray(
                name=band,
                dims=("time", yname, xname),
                shape=(len(spec.times), height, width),
                chunks=(1, th, tw),
                dtype="float32",
                fill_value=float("nan"),
                get_data=fetcher.band_chunk,
                get_data_params={"band": index},
                attrs={"units": units.get(band, "")},
            )
        )
    return TileStore(*arrays, attrs=attrs, max_workers=max_workers)


_AXIS_ATTRS = {
    "lon": {"standard_name": "longitude", "units": "degrees_east"},
    "lat": {"standard_name": "latitude", "units": "degrees_north"},
    "x": {"standard_name": "projection_x_coordinate", "units": "m"},
    "y": {"standard_name": "projection_y_coordinate", "units": "m"},
}


def _iso(timestamp) -> str:
    return timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
