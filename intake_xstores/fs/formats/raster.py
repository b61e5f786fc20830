"""GeoTIFF / COG and JPEG 2000 as ``xarray.Dataset``, read through rasterio."""

from __future__ import annotations

import posixpath
from typing import Any

from ...schema import JsonIntegerSchema, JsonObjectSchema
from .base import CHUNKS_SCHEMA, FsFormat, is_local, open_xarray


class RasterFormat(FsFormat):
    """Any single-file raster GDAL reads; one variable per band.

    As ``mldataset``, a raster with internal overviews (a COG) is a pyramid
    whose levels are the full resolution followed by the overviews.
    """

    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        properties: dict[str, Any] = dict(chunks=CHUNKS_SCHEMA)
        if data_type != "mldataset":
            properties["overview_level"] = JsonIntegerSchema(
                minimum=0,
                description="Open this overview (0: the first, coarser level) "
                "instead of full resolution",
            )
        return JsonObjectSchema(properties=properties, additional_properties=False)

    def open(self, fs, path: str, data_type: str, **params: Any):
        chunks = params.get("chunks")
        if data_type == "mldataset":
            from ...mldataset import MultiLevelDataset

            num_overviews, tile_size = _overview_info(fs, path)
            return MultiLevelDataset(
                _RasterLevels(fs, path, chunks),
                1 + num_overviews,
                ds_id=path,
                tile_size=tile_size,
            )
        level = params.get("overview_level")
        return open_xarray(lambda chunks, **_: open_raster(fs, path, chunks, level), params)


def open_raster(fs, path: str, chunks: Any = None, overview_level: int | None = None):
    """*path* (or one of its overviews) as a lazy dataset, one variable per band."""
    import rioxarray
    from rasterio.io import MemoryFile

    kwargs: dict[str, Any] = {}
    if overview_level is not None:
        kwargs["overview_level"] = overview_level
    memfile = None
    if not is_local(fs):
        # GDAL reads remote bytes from its own in-memory file; rasterio's
        # Python-opener route crashes at teardown on some filesystems.
        memfile = MemoryFile(fs.cat_file(path), ext=posixpath.splitext(path)[1])
        path = memfile.name
    chunks = chunks or {"band": 1, "y": "auto", "x": "auto"}
    array = rioxarray.open_rasterio(path, mask_and_scale=True, chunks=chunks, **kwargs)
    # One variable per band, named as GDAL numbers them.
    bands = array.to_dataset(dim="band")
    bands = bands.rename({b: f"band_{b}" for b in bands.data_vars})
    if memfile is not None:
        bands.set_close(memfile.close)
    return bands


def _overview_info(fs, path: str) -> tuple[int, tuple[int, int] | None]:
    """Number of internal overviews and, if tiled, the (width, height) of a tile."""
    import rasterio
    from rasterio.io import MemoryFile

    if is_local(fs):
        source = rasterio.open(path)
    else:  # as in open_raster: through GDAL's own in-memory file
        memfile = MemoryFile(fs.cat_file(path), ext=posixpath.splitext(path)[1])
        source = memfile.open()
    with source as src:
        num_overviews = len(src.overviews(1)) if src.count else 0
        rows, cols = src.block_shapes[0] if src.count else (0, 0)
        tiled = src.profile.get("tiled", False) or (rows > 1 and cols < src.width)
        return num_overviews, ((int(cols), int(rows)) if tiled else None)


class _RasterLevels:
    """Level 0: full resolution; level i: overview i - 1 (picklable, for Dask)."""

    def __init__(self, fs, path: str, chunks: Any):
        self.fs = fs
        self.path = path
        self.chunks = chunks

    def __call__(self, index: int):
        return open_raster(self.fs, self.path, self.chunks, index - 1 if index else None)
