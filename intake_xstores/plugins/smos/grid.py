"""The SMOS discrete global grid (DGG) as a lookup table on a regular lat/lon grid.

SMOS Level-2 products give their values per DGG point (``Grid_Point_ID``),
not per pixel. A lookup table says, for every pixel of a regular
latitude/longitude grid, which DGG point it shows: a Zarr dataset with the
variable ``seqnum(lat, lon)`` (the point's sequence number; 0 where no point
is) and the coordinates ``lat`` and ``lon`` (pixel centres, equally spaced).
ESA's table has a pixel size of 360/8192 degrees; any table of that shape
works, e.g. a small one made for tests.

Coarser resolution levels take every 2**level-th pixel of the table (the
one nearest each coarse pixel's centre), so a level shows DGG points as the
finest level does, only fewer of them.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ...errors import DataStoreError, error_text, param_error

#: DGG points per zone: Grid_Point_IDs are ``zone * 1_000_000 + index``.
ZONE_SIZE = 262_144
ZONE_STRIDE = 1_000_000

#: Levels of the cube: level 0 is the table's own resolution.
MAX_LEVELS = 5


def grid_point_id_to_seqnum(grid_point_id: np.ndarray) -> np.ndarray:
    """DGG sequence numbers of *grid_point_id* s (the IDs SMOS products carry).

    The DGG numbers its points in zones of :data:`ZONE_SIZE`; a point's ID is
    ``zone * 1_000_000 + index``, and its sequence number counts the points
    of all zones before it (zone 0 as is, the others shifted by one).
    """
    ids = np.asarray(grid_point_id, dtype=np.int64)
    zone, index = np.divmod(ids, ZONE_STRIDE)
    return np.where(zone == 0, index, zone * ZONE_SIZE + index + 1)


class SmosGrid:
    """The lookup table at *path* (any fsspec URL), read once when first needed.

    It pickles by its location, so Dask workers read it themselves rather
    than receive it with every task.
    """

    def __init__(self, path: str, storage_options: dict[str, Any] | None = None):
        self.path = path
        self.storage_options = dict(storage_options or {})
        self._table: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "storage_options": self.storage_options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    @property
    def table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(lat, lon, seqnum)`` of level 0."""
        with self._lock:
            if self._table is None:
                self._table = self._read()
            return self._table

    def _read(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import fsspec
        import xarray as xr

        where = f"The SMOS grid lookup table {self.path!r} (parameter 'grid_path')"
        try:
            mapper = fsspec.get_mapper(self.path, **self.storage_options)
            with xr.open_zarr(mapper) as dataset:
                seqnum = dataset["seqnum"]
                if seqnum.dims != ("lat", "lon"):
                    raise DataStoreError(
                        f"{where} has seqnum{seqnum.dims}; expected seqnum(lat, lon)"
                    )
                lat = dataset["lat"].values.astype("float64")
                lon = dataset["lon"].values.astype("float64")
                values = seqnum.values.astype("int64")
        except DataStoreError:
            raise
        except KeyError as error:
            raise DataStoreError(f"{where} lacks the variable {error}") from None
        except Exception as error:
            raise DataStoreError(f"{where} cannot be read: {error_text(error)}") from error
        for name, coord in (("lat", lat), ("lon", lon)):
            steps = np.diff(coord)
            if coord.size < 2 or not np.allclose(steps, steps[0], rtol=1e-6):
                raise DataStoreError(f"{where}: {name!r} must be equally spaced pixel centres")
        return lat, lon, values

    @property
    def num_levels(self) -> int:
        """Levels down to :data:`MAX_LEVELS`, or to a level of one pixel."""
        lat, lon, _ = self.table
        smallest = min(lat.size, lon.size)
        return max(1, min(MAX_LEVELS, int(np.log2(smallest)) + 1))

    @property
    def resolution(self) -> float:
        """Pixel size of level 0 in degrees."""
        lon = self.table[1]
        return float(abs(lon[1] - lon[0]))

    def level(self, level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(lat, lon, seqnum)`` of *level*: every ``2**level``-th pixel."""
        lat, lon, seqnum = self.table
        step = 1 << level
        start = step // 2
        rows = slice(start, (lat.size // step) * step, step)
        cols = slice(start, (lon.size // step) * step, step)
        lat_n = _centres(lat, step)[: lat.size // step]
        lon_n = _centres(lon, step)[: lon.size // step]
        return lat_n, lon_n, seqnum[rows, cols]

    def window(
        self, level: int, bbox: tuple[float, float, float, float] | None
    ) -> tuple[slice, slice]:
        """Rows and columns of *level* whose pixel centres lie in *bbox* (all without one)."""
        lat, lon, _ = self.level(level)
        if bbox is None:
            return slice(0, lat.size), slice(0, lon.size)
        x1, y1, x2, y2 = bbox
        rows = np.flatnonzero((lat >= y1) & (lat <= y2))
        cols = np.flatnonzero((lon >= x1) & (lon <= x2))
        if rows.size == 0 or cols.size == 0:
            res = self.resolution * (1 << level)
            raise param_error(
                "bbox",
                list(bbox),
                problem=f"it holds no pixel centre of the SMOS grid at {res:g} degrees",
                allowed=f"a box around centres within lon {lon[0]:g}..{lon[-1]:g}, "
                f"lat {lat.min():g}..{lat.max():g}",
            )
        return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def _centres(coord: np.ndarray, step: int) -> np.ndarray:
    """Centres of the coarse pixels made of *step* pixels each."""
    first = coord[0] + (coord[1] - coord[0]) * (step - 1) / 2
    return first + (coord[1] - coord[0]) * step * np.arange(coord.size // step)
