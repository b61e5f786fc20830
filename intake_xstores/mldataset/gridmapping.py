"""A small grid mapping: how the pixels of a dataset sit in a CRS.

xcube's ``GridMapping`` knows irregular and 2-D grids and transforms between
them; a multi-level dataset needs far less: the CRS (a ``pyproj.CRS``), the
size and tile size in pixels, the pixel size, the bounding box and whether
the y axis points up. This is that, built on pyproj.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import xarray as xr

from ..errors import DataStoreParamsError, param_error
from .downsample import DEFAULT_TILE_SIZE, normalize_tile_size, spatial_dims

DEFAULT_TOLERANCE = 1e-5
"""Relative tolerance when telling whether coordinate steps are all equal."""


def _part(field: str, index: int, doc: str | None = None) -> property:
    """A read-only property: item *index* of the tuple *field*."""
    return property(lambda self: getattr(self, field)[index], doc=doc)


@dataclasses.dataclass(frozen=True, repr=False)
class GridMapping:
    """A regular (or nearly so) 1-D x/y grid in a CRS.

    ``crs`` is a ``pyproj.CRS``; ``size`` and ``tile_size`` are (width,
    height) in pixels; ``xy_res`` the (x, y) pixel size in CRS units;
    ``xy_bbox`` (x_min, y_min, x_max, y_max) of the pixel edges;
    ``is_j_axis_up`` tells whether row 0 is the southern (bottom) row, and
    ``is_regular`` whether all pixels have the same size.
    """

    crs: Any
    size: tuple[int, int]
    tile_size: tuple[int, int] | int | None
    xy_res: tuple[float, float]
    xy_bbox: tuple[float, float, float, float]
    is_j_axis_up: bool = False
    xy_dim_names: tuple[str, str] = ("x", "y")
    is_regular: bool = True

    def __post_init__(self):
        import pyproj

        width, height = (int(v) for v in self.size)
        if width < 1 or height < 1:
            raise param_error("size", self.size, allowed="two positive integers")
        normal = dict(
            crs=pyproj.CRS.from_user_input(self.crs),
            size=(width, height),
            tile_size=normalize_tile_size(self.tile_size) or (width, height),
            xy_res=(float(self.xy_res[0]), float(self.xy_res[1])),
            xy_bbox=tuple(float(v) for v in self.xy_bbox),
            is_j_axis_up=bool(self.is_j_axis_up),
            xy_dim_names=tuple(self.xy_dim_names),
            is_regular=bool(self.is_regular),
        )
        for name, value in normal.items():
            object.__setattr__(self, name, value)

    width = _part("size", 0)
    height = _part("size", 1)
    tile_width = _part("tile_size", 0)
    tile_height = _part("tile_size", 1)
    x_res = _part("xy_res", 0)
    y_res = _part("xy_res", 1)
    x_min = _part("xy_bbox", 0)
    y_min = _part("xy_bbox", 1)
    x_max = _part("xy_bbox", 2)
    y_max = _part("xy_bbox", 3)

    # --- constructors -------------------------------------------------------

    @classmethod
    def regular(
        cls,
        size: tuple[int, int],
        xy_min: tuple[float, float],
        xy_res: float | tuple[float, float],
        crs: Any,
        *,
        tile_size: int | tuple[int, int] | None = None,
        is_j_axis_up: bool = False,
    ) -> GridMapping:
        """A regular grid of *size* pixels of *xy_res* from the corner *xy_min*."""
        x_res, y_res = (xy_res, xy_res) if np.isscalar(xy_res) else xy_res
        x_min, y_min = xy_min
        bbox = (x_min, y_min, x_min + size[0] * x_res, y_min + size[1] * y_res)
        return cls(crs, size, tile_size, (x_res, y_res), bbox, is_j_axis_up)

    @classmethod
    def from_dataset(
        cls,
        dataset: xr.Dataset,
        *,
        crs: Any = None,
        tile_size: int | tuple[int, int] | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> GridMapping:
        """The grid of *dataset* from its 1-D spatial coordinates.

        The CRS is *crs*, else the one the dataset names (CF ``grid_mapping``,
        ``spatial_ref``/``crs`` variables), else WGS 84 for lon/lat names. The
        tile size is *tile_size*, else the spatial chunk size, else at most
        256 pixels (xcube takes the whole image as one tile; then a pyramid
        of an unchunked dataset would have a single level).
        """
        from ..descriptor import crs_of

        x_dim, y_dim = spatial_dims(dataset)
        crs = crs or crs_of(dataset, x_dim)
        if crs is None:
            raise DataStoreParamsError(
                f"Cannot make a grid mapping of a dataset with spatial dimensions "
                f"({x_dim!r}, {y_dim!r}) and no CRS: give crs=, or a CF grid_mapping variable"
            )
        xs, ys = (_coordinate(dataset, d) for d in (x_dim, y_dim))
        x_res, x_regular = _step(xs, tolerance)
        y_res, y_regular = _step(ys, tolerance)
        bbox = (
            float(xs.min()) - x_res / 2,
            float(ys.min()) - y_res / 2,
            float(xs.max()) + x_res / 2,
            float(ys.max()) + y_res / 2,
        )
        size = (xs.size, ys.size)
        if tile_size is None:
            chunks = dataset.chunksizes if _consistent_chunks(dataset) else {}
            if x_dim in chunks and y_dim in chunks:
                tile_size = (int(chunks[x_dim][0]), int(chunks[y_dim][0]))
            else:
                tile_size = (min(size[0], DEFAULT_TILE_SIZE), min(size[1], DEFAULT_TILE_SIZE))
        is_j_axis_up = ys.size > 1 and bool(ys[1] > ys[0])
        return cls(
            crs,
            size,
            tile_size,
            (x_res, y_res),
            bbox,
            is_j_axis_up,
            (x_dim, y_dim),
            x_regular and y_regular,
        )

    def derive(
        self,
        tile_size: int | tuple[int, int] | None = None,
        is_j_axis_up: bool | None = None,
        xy_dim_names: tuple[str, str] | None = None,
    ) -> GridMapping:
        """A copy with a new tile size, axis direction or dimension names."""
        return dataclasses.replace(
            self,
            tile_size=tile_size or self.tile_size,
            is_j_axis_up=self.is_j_axis_up if is_j_axis_up is None else is_j_axis_up,
            xy_dim_names=xy_dim_names or self.xy_dim_names,
        )

    # --- properties ---------------------------------------------------------

    @property
    def is_tiled(self) -> bool:
        return self.size != self.tile_size

    @property
    def is_crs_geographic(self) -> bool:
        return self.crs.is_geographic

    @property
    def spatial_unit_name(self) -> str:
        """The unit of the CRS axes, e.g. ``"degree"`` or ``"metre"``."""
        return self.crs.axis_info[0].unit_name

    def __repr__(self) -> str:
        authority = self.crs.to_authority()
        crs = ":".join(authority) if authority else self.crs.name
        return (
            f"GridMapping(crs={crs!r}, size={self.size}, tile_size={self.tile_size}, "
            f"xy_res={self.xy_res}, xy_bbox={self.xy_bbox}, "
            f"is_j_axis_up={self.is_j_axis_up})"
        )


def _coordinate(dataset: xr.Dataset, dim: str) -> np.ndarray:
    if dim not in dataset.coords or dataset[dim].ndim != 1 or dataset[dim].size == 0:
        raise DataStoreParamsError(
            f"Cannot make a grid mapping: the dataset has no 1-D coordinate {dim!r}"
        )
    return np.asarray(dataset[dim].values, dtype="float64")


def _step(values: np.ndarray, tolerance: float) -> tuple[float, bool]:
    """The (absolute) mean step of *values*, and whether all steps are equal."""
    if values.size < 2:
        return 0.0, True
    steps = np.abs(np.diff(values))
    step = float(steps.mean())
    return step, bool(np.allclose(steps, step, rtol=tolerance, atol=0))


def _consistent_chunks(dataset: xr.Dataset) -> bool:
    try:
        dataset.chunksizes  # noqa: B018 - raises for inconsistent chunks
    except ValueError:
        return False
    return True
