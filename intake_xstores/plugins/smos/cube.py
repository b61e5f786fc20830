"""SMOS Level-2 products as a lazy lat/lon cube, one chunk per product.

A cube's variables have the dimensions ``(time, lat, lon)``; ``time`` has one
step per product (its mid time; ``time_bnds`` its start and stop). Each is a
:class:`~intake_xstores.zarrstore.GenericArray` whose chunk ``(t, 0, 0)`` is
computed when read: :class:`TimeStepLoader` reads the variable from product
``t`` and puts each DGG point's value on the pixels the grid lookup table
gives it (fill value where the product has no value).

Products opened for one chunk may be kept for the next in an LRU cache of
``cache_size`` products (reading a product's point IDs and mapping them to
pixels is the costly part; a cache pays when several variables of one time
step are read, as when drawing maps). Everything here pickles by its
parameters, so Dask workers can compute chunks.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ...errors import DataStoreError, error_text
from ...lru import LruCache
from .grid import SmosGrid, grid_point_id_to_seqnum
from .stac import Product

_GRID_POINT_ID = "Grid_Point_ID"
_EPOCH = np.datetime64("1970-01-01T00:00:00", "s")


class ProductReader:
    """Reads L2 product files of the archive at *root* (on fsspec's *protocol*).

    With *cache_path*, files are kept in that local folder after their first
    read (fsspec's ``filecache``), so they are fetched once.
    """

    def __init__(
        self,
        root: str,
        protocol: str,
        storage_options: dict[str, Any] | None = None,
        cache_path: str | None = None,
    ):
        self.root = root.rstrip("/")
        self.protocol = protocol
        self.storage_options = dict(storage_options or {})
        self.cache_path = cache_path
        self._fs = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fs": None}

    @property
    def fs(self):
        if self._fs is None:
            import fsspec

            if self.cache_path:
                self._fs = fsspec.filesystem(
                    "filecache",
                    target_protocol=self.protocol,
                    target_options=self.storage_options,
                    cache_storage=self.cache_path,
                )
            else:
                self._fs = fsspec.filesystem(self.protocol, **self.storage_options)
        return self._fs

    def url(self, path: str) -> str:
        return f"{self.protocol}://{self.root}/{path}"

    def read(self, path: str, names: list[str]) -> dict[str, Any]:
        """The variables *names* of product *path* (``{name: DataArray}``, loaded)."""
        import xarray as xr

        try:
            with (
                self.fs.open(f"{self.root}/{path}", "rb") as file,
                xr.open_dataset(file, engine="h5netcdf", decode_times=False) as dataset,
            ):
                return {name: dataset[name].load() for name in names if name in dataset}
        except Exception as error:
            raise DataStoreError(
                f"Cannot read the SMOS product {self.url(path)}: {error_text(error)}"
            ) from error

    def variables(self, path: str) -> dict[str, tuple[np.dtype, dict[str, Any]]]:
        """Dtype and attributes of the per-point variables of product *path*."""
        import xarray as xr

        try:
            with (
                self.fs.open(f"{self.root}/{path}", "rb") as file,
                xr.open_dataset(file, engine="h5netcdf", decode_times=False) as dataset,
            ):
                if _GRID_POINT_ID not in dataset:
                    raise DataStoreError(f"it has no {_GRID_POINT_ID!r} variable")
                dim = dataset[_GRID_POINT_ID].dims
                return {
                    str(name): (var.dtype, dict(var.attrs))
                    for name, var in dataset.data_vars.items()
                    if var.dims == dim and name != _GRID_POINT_ID
                }
        except Exception as error:
            raise DataStoreError(
                f"Cannot read the SMOS product {self.url(path)}: {error_text(error)}"
            ) from error


class _OpenProduct:
    """One product's point values and, per grid window, where its points fall."""

    def __init__(self, reader: ProductReader, path: str):
        self.reader = reader
        self.path = path
        self._values: dict[str, np.ndarray] = {}
        self._pixels: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def values(self, name: str) -> np.ndarray:
        with self._lock:
            if name not in self._values:
                read = self.reader.read(self.path, [name, _GRID_POINT_ID])
                if name not in read:
                    raise DataStoreError(
                        f"The SMOS product {self.reader.url(self.path)} has no variable {name!r}"
                    )
                self._values[name] = read[name].values
                if _GRID_POINT_ID not in self._values:
                    self._values[_GRID_POINT_ID] = read[_GRID_POINT_ID].values
            return self._values[name]

    def pixels(self, key: tuple, seqnum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(index, mask)``: for each pixel of the window *seqnum*, the point index
        into the product's variables, and whether the product has that point."""
        with self._lock:
            found = self._pixels.get(key)
        if found is not None:
            return found
        ids = self.values(_GRID_POINT_ID)
        points = grid_point_id_to_seqnum(ids)
        size = int(max(points.max(initial=0), seqnum.max(initial=0))) + 1
        lookup = np.full(size, -1, dtype=np.int64)
        lookup[points] = np.arange(points.size)
        index = lookup[seqnum]
        mask = (seqnum > 0) & (index >= 0)
        with self._lock:
            self._pixels[key] = (index, mask)
        return index, mask


class TimeStepLoader:
    """Computes the chunks of a cube: one time step (= product) of one variable."""

    def __init__(
        self,
        reader: ProductReader,
        grid: SmosGrid,
        products: list[Product],
        cache_size: int = 0,
    ):
        self.reader = reader
        self.grid = grid
        self.paths = [p.path for p in products]
        self.cache_size = cache_size
        self._cache = LruCache(cache_size)

    def product(self, index: int) -> _OpenProduct:
        """Product *index*, from the LRU cache when it holds it."""
        product = self._cache.get(index)
        if product is None:
            product = _OpenProduct(self.reader, self.paths[index])
            self._cache.put(index, product)
        return product

    def load_time_step(
        self,
        level: int,
        rows: tuple[int, int],
        cols: tuple[int, int],
        array_info: dict[str, Any],
        chunk_info: dict[str, Any],
    ) -> np.ndarray:
        """The chunk ``chunk_info["index"]`` of the variable ``array_info["name"]``."""
        time_index = chunk_info["index"][0]
        seqnum = self.grid.level(level)[2][slice(*rows), slice(*cols)]
        product = self.product(time_index)
        index, mask = product.pixels((level, rows, cols), seqnum)
        values = product.values(array_info["name"])
        dtype = np.dtype(array_info["dtype"])
        fill = array_info["fill_value"]
        chunk = np.full(seqnum.shape, 0 if fill is None else fill, dtype=dtype)
        chunk[mask] = values[index[mask]]
        return chunk[np.newaxis]


def new_cube(
    loader: TimeStepLoader,
    products: list[Product],
    variables: dict[str, tuple[np.dtype, dict[str, Any]]],
    bbox: tuple[float, float, float, float] | None,
    attrs: dict[str, Any],
    level: int,
):
    """The lazy cube of *products* at resolution *level*, cut to *bbox*.

    *level* comes last, so that a :func:`functools.partial` of the rest makes
    the levels of a multi-level cube (and pickles by its parts)."""
    import xarray as xr

    from ...zarrstore import GenericArray, GenericZarrStore

    grid = loader.grid
    lat, lon, _ = grid.level(level)
    rows, cols = grid.window(level, bbox)
    lat, lon = lat[rows], lon[cols]
    starts = np.array([p.start.to_datetime64() for p in products], dtype="datetime64[s]")
    stops = np.array([p.stop.to_datetime64() for p in products], dtype="datetime64[s]")
    seconds = "seconds since 1970-01-01T00:00:00"
    bounds = np.stack([starts - _EPOCH, stops - _EPOCH], axis=1).astype("int64")
    arrays = [
        GenericArray(
            name="time",
            dims="time",
            data=bounds.mean(axis=1).astype("int64"),
            attrs={"standard_name": "time", "units": seconds, "bounds": "time_bnds"},
        ),
        GenericArray(
            name="time_bnds", dims=("time", "bnds"), data=bounds, attrs={"units": seconds}
        ),
        GenericArray(
            name="lat",
            dims="lat",
            data=lat,
            attrs={"standard_name": "latitude", "units": "degrees_north"},
        ),
        GenericArray(
            name="lon",
            dims="lon",
            data=lon,
            attrs={"standard_name": "longitude", "units": "degrees_east"},
        ),
    ]
    window = dict(level=level, rows=(rows.start, rows.stop), cols=(cols.start, cols.stop))
    for name, (dtype, var_attrs) in variables.items():
        var_attrs = dict(var_attrs)
        fill = var_attrs.pop("_FillValue", None)
        if np.dtype(dtype).kind == "f":
            fill = np.nan
        arrays.append(
            GenericArray(
                name=name,
                dims=("time", "lat", "lon"),
                shape=(len(products), lat.size, lon.size),
                chunks=(1, lat.size, lon.size),
                dtype=np.dtype(dtype).str,
                fill_value=None if fill is None else _scalar(fill),
                get_data=loader.load_time_step,
                get_data_params=window,
                attrs={k: _scalar(v) for k, v in var_attrs.items()},
            )
        )
    store = GenericZarrStore(*arrays, attrs=attrs)
    return xr.open_zarr(store, consolidated=True, zarr_format=2)


def _scalar(value: Any) -> Any:
    """*value* as JSON can hold it (numpy scalars and arrays as Python values)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
