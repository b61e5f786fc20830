"""GeoTIFF / COG and JPEG 2000 as ``xarray.Dataset``, read through rasterio."""

from __future__ import annotations

import posixpath
from typing import Any

from ...schema import JsonIntegerSchema, JsonObjectSchema
from .base import CHUNKS_SCHEMA, FsFormat, is_local


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
        import rioxarray
        from rasterio.io import MemoryFile

        kwargs: dict[str, Any] = {}
        if "overview_level" in params:
            kwargs["overview_level"] = params["overview_level"]
        memfile = None
        if not is_local(fs):
            # GDAL reads remote bytes from its own in-memory file; rasterio's
            # Python-opener route crashes at teardown on some filesystems.
            memfile = MemoryFile(fs.cat_file(path), ext=posixpath.splitext(path)[1])
            path = memfile.name
        chunks = params.get("chunks") or {"band": 1, "y": "auto", "x": "auto"}
        array = rioxarray.open_rasterio(path, mask_and_scale=True, chunks=chunks, **kwargs)
        # One variable per band, named as GDAL numbers them.
        bands = array.to_dataset(dim="band")
        bands = bands.rename({b: f"band_{b}" for b in bands.data_vars})
        if memfile is not None:
            bands.set_close(memfile.close)
        return bands
