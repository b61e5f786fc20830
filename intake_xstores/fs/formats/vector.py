"""GeoJSON and ESRI Shapefile as ``geopandas.GeoDataFrame``."""

from __future__ import annotations

import io
import json
import os
import posixpath
import tempfile
from typing import Any

from ...errors import DataStoreError, shown
from ...extras import Needs
from ...schema import JsonArraySchema, JsonObjectSchema, JsonStringSchema
from ..kinds import kind_of
from .base import FsFormat, sibling_files

_NEEDS = Needs(("geopandas", "pyogrio"), "geo")


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
    id = "geojson"
    extensions = (".geojson",)
    data_types = ("geodataframe",)
    needs = _NEEDS

    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        return _open_schema()

    def open(self, fs, path: str, data_type: str, **params: Any):
        import geopandas as gpd

        content = fs.cat_file(path)
        frame = gpd.read_file(io.BytesIO(content), **params)
        if frame.geometry.isna().any():
            _refuse_unread_geometries(content, frame, path)
        return frame

    def write(self, data, fs, path: str, **params: Any) -> None:
        fs.pipe_file(path, data.to_json(drop_id=True).encode("utf-8"))


def _refuse_unread_geometries(content: bytes, frame, path: str) -> None:
    """GDAL reads a geometry it cannot parse (a Point of strings) as none at
    all; only features whose geometry was null in the file may lack one.

    The file is parsed again only when some geometry is missing.
    """
    try:
        features = json.loads(content).get("features")
    except (ValueError, AttributeError):
        return
    if not isinstance(features, list) or len(features) != len(frame):
        return
    missing = frame.geometry.isna().to_numpy()
    for index, (feature, lost) in enumerate(zip(features, missing, strict=True)):
        if lost and isinstance(feature, dict) and feature.get("geometry") is not None:
            raise DataStoreError(
                f"Cannot read {shown(path)!r} as geojson: the geometry of feature {index} "
                f"is invalid ({json.dumps(feature['geometry'])[:200]})"
            )


class ShapefileFormat(FsFormat):
    """A ``.shp`` with its companions; remote ones pass through a local folder."""

    id = "shapefile"
    extensions = (".shp",)
    data_types = ("geodataframe",)
    needs = _NEEDS
    companions = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")

    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        return _open_schema()

    def files(self, fs, path: str) -> list[str]:
        return sibling_files(fs, path, self.companions)

    def open(self, fs, path: str, data_type: str, **params: Any):
        import geopandas as gpd

        with kind_of(fs).staged_input(fs, self.files(fs, path)) as folder:
            return gpd.read_file(os.path.join(folder, posixpath.basename(path)), **params)

    def write(self, data, fs, path: str, **params: Any) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            name = posixpath.basename(path)
            data.to_file(os.path.join(tmp, name), driver="ESRI Shapefile")
            stem = posixpath.splitext(path)[0]
            for local in sorted(os.listdir(tmp)):
                fs.put_file(os.path.join(tmp, local), stem + os.path.splitext(local)[1])
