"""GeoJSON and ESRI Shapefile as ``geopandas.GeoDataFrame``."""

from __future__ import annotations

import os
import posixpath
import tempfile
from typing import Any

from ...schema import JsonArraySchema, JsonObjectSchema, JsonStringSchema
from .base import FsFormat, is_local, sibling_files


def _open_schema() -> JsonObjectSchema:
    return JsonObjectSchema(
        properties=dict(
            columns=JsonArraySchema(
                items=JsonStringSchema(), description="Read only these attribute columns"
            ),
        ),
        additional_properties=False,
    )


class GeoJsonFormat(FsFormat):
    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        return _open_schema()

    def open(self, fs, path: str, data_type: str, **params: Any):
        import geopandas as gpd

        with fs.open(path, "rb") as f:
            return gpd.read_file(f, **params)

    def write(self, data, fs, path: str, **params: Any) -> None:
        fs.pipe_file(path, data.to_json(drop_id=True).encode("utf-8"))


class ShapefileFormat(FsFormat):
    """A ``.shp`` with its companions; remote ones pass through a local folder."""

    companions = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")

    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        return _open_schema()

    def files(self, fs, path: str) -> list[str]:
        return sibling_files(fs, path, self.companions)

    def open(self, fs, path: str, data_type: str, **params: Any):
        import geopandas as gpd

        if is_local(fs):
            return gpd.read_file(path, **params)
        with tempfile.TemporaryDirectory() as tmp:
            for remote in self.files(fs, path):
                fs.get_file(remote, os.path.join(tmp, posixpath.basename(remote)))
            return gpd.read_file(os.path.join(tmp, posixpath.basename(path)), **params)

    def write(self, data, fs, path: str, **params: Any) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            name = posixpath.basename(path)
            data.to_file(os.path.join(tmp, name), driver="ESRI Shapefile")
            stem = posixpath.splitext(path)[0]
            for local in sorted(os.listdir(tmp)):
                fs.put_file(os.path.join(tmp, local), stem + os.path.splitext(local)[1])
