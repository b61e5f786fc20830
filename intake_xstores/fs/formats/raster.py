"""GeoTIFF / COG and JPEG 2000 as ``xarray.Dataset``, read through rasterio."""

from __future__ import annotations

from typing import Any

from ...extras import Needs
from ...opening import CHUNKS_SCHEMA, open_xarray
from ...schema import JsonIntegerSchema, JsonObjectSchema
from ..kinds import kind_of
from .base import FsFormat


class RasterFormat(FsFormat):
    """Any single-file raster GDAL reads; one variable per band.

    As ``mldataset``, a raster with internal overviews (a COG) is a pyramid
    whose levels are the full resolution followed by the overviews.
    """

    id = "geotiff"
    extensions = (".tif", ".tiff", ".geotiff")
    data_types = ("dataset", "mldataset")
    needs = Needs(("rasterio", "rioxarray"), "geo")

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
        chunks = params.get("chunks", {})
        if data_type == "mldataset":
            from ...mldataset import MultiLevelDataset

            kwargs, info = _rasterio_kwargs(fs, path)
            num_overviews, tile_size = _overview_info(path, kwargs)
            return MultiLevelDataset(
                _RasterLevels(fs, path, chunks, info),
                1 + num_overviews,
                ds_id=path,
                tile_size=tile_size,
            )
        level = params.get("overview_level")
        return open_xarray(
            lambda chunks, **_: open_raster(fs, path, chunks, level), params, self.id, path
        )


#: Default chunks hold whole blocks (tiles, or strips) and at least this many
#: pixels a side: reading one tile then reads little more than that tile.
MIN_CHUNK_PIXELS = 512


def open_raster(
    fs,
    path: str,
    chunks: Any,
    overview_level: int | None = None,
    info: dict[str, Any] | None = None,
):
    """*path* (or one of its overviews) as a lazy dataset, one variable per band.

    *chunks* as in ``xarray.open_dataset``: ``{}`` chunks follow the file's
    blocks (see :data:`MIN_CHUNK_PIXELS`), ``None`` means no Dask (each
    access reads what it indexes), else Dask chunks as given. *info*: what
    ``fs.info(path)`` said, to open that version without asking again.
    """
    import rioxarray
    from dask.base import tokenize

    kwargs, info = _rasterio_kwargs(fs, path, info)
    if overview_level is not None:
        kwargs["overview_level"] = overview_level
    # Opened without Dask, then chunked here: so the default chunks can follow
    # the blocks, and the Dask names tell apart same-named files of two stores
    # (rioxarray names them by path, and by modification time if local).
    array = rioxarray.open_rasterio(path, mask_and_scale=True, cache=False, **kwargs)
    # One variable per band, named as GDAL numbers them.
    bands = array.to_dataset(dim="band")
    bands = bands.rename({b: f"band_{b}" for b in bands.data_vars})
    if chunks is None:
        return bands
    chunks = chunks or _block_chunks(array)
    token = tokenize(fs, path, info, overview_level, chunks)
    return bands.chunk(chunks, name_prefix="open_raster-", token=token)


def _block_chunks(array) -> dict[str, int]:
    """Whole blocks, at least :data:`MIN_CHUNK_PIXELS` a side (or the whole extent)."""
    blocks = array.encoding["preferred_chunks"]
    chunks = {}
    for dim in (array.rio.y_dim, array.rio.x_dim):
        block, size = blocks[dim], array.sizes[dim]
        chunks[dim] = min(size, -(-MIN_CHUNK_PIXELS // block) * block)
    return chunks


def _rasterio_kwargs(
    fs, path: str, info: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """How rasterio opens *path*: natively if local, else by byte ranges through
    *fs*; and what ``fs.info(path)`` says (size and version), unless *info* says it."""
    if kind_of(fs).native_path(fs, path):
        return {}, info or fs.info(path)
    from .ranges import RangeOpener

    opener = RangeOpener(fs, path, info) if info else RangeOpener.current(fs, path)
    return {"opener": opener}, opener.info


def _overview_info(path: str, kwargs: dict[str, Any]) -> tuple[int, tuple[int, int] | None]:
    """Number of internal overviews and, if tiled, the (width, height) of a tile."""
    import rasterio

    with rasterio.open(path, **kwargs) as src:
        num_overviews = len(src.overviews(1)) if src.count else 0
        rows, cols = src.block_shapes[0] if src.count else (0, 0)
        tiled = src.profile.get("tiled", False) or (rows > 1 and cols < src.width)
        return num_overviews, ((int(cols), int(rows)) if tiled else None)


class Jpeg2000Format(RasterFormat):
    """JPEG 2000, named "j2k" as in xcube's opener IDs (``dataset:j2k:file``)."""

    id = "j2k"
    extensions = (".jp2", ".j2k")


class _RasterLevels:
    """Level 0: full resolution; level i: overview i - 1 (picklable, for Dask).

    Every level opens the version of the file the pyramid was opened at
    (*info*): the levels agree, and opening one asks the server nothing.
    """

    def __init__(self, fs, path: str, chunks: Any, info: dict[str, Any]):
        self.fs = fs
        self.path = path
        self.chunks = chunks
        self.info = info

    def __call__(self, index: int):
        level = index - 1 if index else None
        return open_raster(self.fs, self.path, self.chunks, level, self.info)
