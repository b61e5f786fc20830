"""GeoTIFF / COG and JPEG 2000 as ``xarray.Dataset``, read through rasterio."""

from __future__ import annotations

from typing import Any

from ...schema import JsonIntegerSchema, JsonObjectSchema
from .base import CHUNKS_SCHEMA, FsFormat, is_local



class RasterFormat(FsFormat):
    """Any single-file raster GDAL reads; one variable per band."""


    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        return JsonObjectSchema(
            properties=dict(
                chunks=CHUNKS_SCHEMA,
                overview_level=JsonIntegerSchema(
                    minimum=0,
                    description="Open this overview (0: the first, coarser level) "
                    "instead of full resolution",
                ),
            ),
            additional_properties=False,
        )

    def open(self, fs, path: str, data_type: str, **params: Any):
        import rioxarray

        kwargs: dict[str, Any] = {"chunks": params.get("chunks") or True}
        if "overview_level" in params:
            kwargs["overview_level"] = params["overview_level"]
        if not is_local(fs):
            kwargs["opener"] = fs.open
        return rioxarray.open_rasterio(
            path, band_as_variable=True, mask_and_scale=True, **kwargs
        )

