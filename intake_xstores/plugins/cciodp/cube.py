"""A CCI dataset as a lazy cube: one time step per file, chunks read by OPeNDAP.

The files of a CCI dataset share one structure (that of the first file)
and hold one time step each, which the file's OpenSearch record dates. The
cube's chunks are (1 time step, up to ``CHUNK_SIDE`` x ``CHUNK_SIDE``
pixels); reading one makes one DAP2 hyperslab request of its file. With
``normalize_data`` the spatial dimensions are called ``lat``/``lon`` and
latitudes go north, as xcube normalises datasets.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import param_error
from ...zarrstore import GenericArray
from ..sentinelhub.cube import TileStore
from .dap import DapVariable, read_subset
from .portal import PortalClient

CHUNK_SIDE = 1024
NORMAL_NAMES = {"latitude": "lat", "longitude": "lon"}
LAT_NAMES = ("lat", "latitude")
LON_NAMES = ("lon", "longitude")


@dataclass
class CciFiles:
    """What a dataset's cube is made of: its files and their common structure."""

    times: list[tuple[Any, Any]]  # (start, end) Timestamps, one per file
    urls: list[str]
    variables: dict[str, DapVariable]
    lat: np.ndarray
    lon: np.ndarray
    lat_dim: str
    lon_dim: str

    @property
    def data_vars(self) -> dict[str, DapVariable]:
        """The variables varying in time and space (their first dimension is time)."""
        return {
            name: v
            for name, v in self.variables.items()
            if len(v.dims) >= 2
            and v.dims[-2:] == (self.lat_dim, self.lon_dim)
            and v.dims[0] not in (self.lat_dim, self.lon_dim)
            and v.shape[0] == 1
        }


class ChunkCache:
    """The chunks read last, up to *max_bytes* (0: none kept)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._chunks: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple, read) -> np.ndarray:
        with self._lock:
            if key in self._chunks:
                self._chunks.move_to_end(key)
                return self._chunks[key]
        chunk = read()
        if 0 < chunk.nbytes <= self.max_bytes:
            with self._lock:
                self._chunks[key] = chunk
                self._size += chunk.nbytes
                while self._size > self.max_bytes:
                    self._size -= self._chunks.popitem(last=False)[1].nbytes
        return chunk


def cube_store(
    client: PortalClient,
    files: CciFiles,
    variable_names: list[str],
    bbox: list[float] | None,
    normalize: bool,
    cache: ChunkCache,
    attrs: dict[str, Any],
    max_workers: int,
) -> TileStore:
    """The store of the cube: coordinates, then one array per variable."""
    ys, xs = _window(files, bbox)
    lat, lon = files.lat[ys], files.lon[xs]
    flip = normalize and lat.size > 1 and lat[0] > lat[-1]
    if flip:
        lat = lat[::-1]
    yname = NORMAL_NAMES.get(files.lat_dim, files.lat_dim) if normalize else files.lat_dim
    xname = NORMAL_NAMES.get(files.lon_dim, files.lon_dim) if normalize else files.lon_dim
    epoch = np.datetime64("1970-01-01T00:00:00", "s")
    bounds = np.array([[np.datetime64(s, "s"), np.datetime64(e, "s")] for s, e in files.times])
    seconds = (bounds.astype("datetime64[s]") - epoch).astype("int64")
    time_attrs = {"units": "seconds since 1970-01-01T00:00:00", "calendar": "proleptic_gregorian"}
    source = files.variables
    arrays = [
        GenericArray(
            name="time",
            dims=("time",),
            data=seconds[:, 0],
            attrs={**time_attrs, "standard_name": "time", "bounds": "time_bnds"},
        ),
        GenericArray(
            name="time_bnds", dims=("time", "bnds"), data=seconds, chunks=(1, 2), attrs=time_attrs
        ),
        GenericArray(name=yname, dims=(yname,), data=lat, attrs=_attrs(source, files.lat_dim)),
        GenericArray(name=xname, dims=(xname,), data=lon, attrs=_attrs(source, files.lon_dim)),
    ]
    height, width = lat.size, lon.size
    chunks = (1, min(height, CHUNK_SIDE), min(width, CHUNK_SIDE))
    for name in variable_names:
        var = source[name]
        dtype = var.dtype.newbyteorder("=")

        def read(name=name, dtype=dtype, chunk_info=None):
            t, _, _ = chunk_info["index"]
            _, rows, cols = chunk_info["slices"]
            if flip:  # normalised row r is source row ys.stop - 1 - r
                rows = slice(ys.stop - rows.stop, ys.stop - rows.start)
            else:
                rows = slice(ys.start + rows.start, ys.start + rows.stop)
            cols = slice(xs.start + cols.start, xs.start + cols.stop)
            key = (files.urls[t], name, rows.start, rows.stop, cols.start, cols.stop)
            chunk = cache.get(
                key, lambda: read_subset(client, files.urls[t], name, (slice(0, 1), rows, cols))
            )
            chunk = chunk.astype(dtype, copy=False)
            return chunk[:, ::-1] if flip else chunk

        var_attrs = {k: v for k, v in var.attrs.items() if k != "_FillValue"}
        fill = var.attrs.get("_FillValue")
        arrays.append(
            GenericArray(
                name=name,
                dims=("time", yname, xname),
                shape=(len(files.urls), height, width),
                chunks=chunks,
                dtype=dtype.str,
                fill_value=None if fill is None else np.asarray(fill).astype(dtype).item(),
                get_data=read,
                attrs=var_attrs,
            )
        )
    return TileStore(*arrays, attrs=attrs, max_workers=max_workers)


def _window(files: CciFiles, bbox: list[float] | None) -> tuple[slice, slice]:
    """The row and column ranges of *bbox* [west, south, east, north] in the files' grid."""
    if bbox is None:
        return slice(0, files.lat.size), slice(0, files.lon.size)
    west, south, east, north = bbox
    if not (west <= east and south <= north):
        raise param_error(
            "bbox", bbox, allowed="[west, south, east, north], west <= east and south <= north"
        )
    rows = np.flatnonzero((files.lat >= south) & (files.lat <= north))
    cols = np.flatnonzero((files.lon >= west) & (files.lon <= east))
    if rows.size == 0 or cols.size == 0:
        grid = (
            f"lon {files.lon.min():g} to {files.lon.max():g}, "
            f"lat {files.lat.min():g} to {files.lat.max():g}"
        )
        raise param_error(
            "bbox",
            bbox,
            problem="it holds no pixel of the grid",
            allowed=f"a box overlapping {grid}",
        )
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def _attrs(variables: dict[str, DapVariable], name: str) -> dict[str, Any]:
    var = variables.get(name)
    return {k: v for k, v in (var.attrs if var else {}).items() if k != "_FillValue"}
