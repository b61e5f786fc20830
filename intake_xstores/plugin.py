"""Our own plugin: registers the built-in protocols, formats and stores.

Third-party plugins look the same; see "Writing a plugin" in the README.
"""

from __future__ import annotations

from .extras import NOTHING, Needs
from .registry import (
    EXTENSION_POINT_DATA_STORES,
    EXTENSION_POINT_FS_FORMATS,
    EXTENSION_POINT_FS_PROTOCOLS,
    ExtensionRegistry,
    import_component,
)

_RASTER = Needs(("rasterio", "rioxarray"), "geo")
_VECTOR = Needs(("geopandas", "pyogrio"), "geo")

# (format id, class, extensions, data types, writable, what the base install lacks),
# in xcube's order of openers
_FORMATS = (
    ("netcdf", "netcdf:NetcdfFormat", (".nc", ".nc4", ".netcdf"), ("dataset",), True, NOTHING),
    ("zarr", "zarr:ZarrFormat", (".zarr",), ("dataset",), True, NOTHING),
    ("levels", "levels:LevelsFormat", (".levels",), ("mldataset", "dataset"), True, NOTHING),
    ("shapefile", "vector:ShapefileFormat", (".shp",), ("geodataframe",), True, _VECTOR),
    ("geojson", "vector:GeoJsonFormat", (".geojson",), ("geodataframe",), True, _VECTOR),
    (
        "geotiff",
        "raster:RasterFormat",
        (".tif", ".tiff", ".geotiff"),
        ("dataset", "mldataset"),
        False,
        _RASTER,
    ),
    # JPEG 2000, named "j2k" as in xcube's opener IDs ("dataset:j2k:file")
    (
        "j2k",
        "raster:RasterFormat",
        (".jp2", ".j2k"),
        ("dataset", "mldataset"),
        False,
        _RASTER,
    ),
)


def _format_loader(spec: str, needs: Needs):
    """Loads a format, first checking that its libraries are installed."""
    load_class = import_component(f"intake_xstores.fs.formats.{spec}")

    def load(extension):
        needs.check(f"The {extension.name} format")
        return load_class(extension)(extension.name, **extension.metadata)

    return load


def _fs_store_loader(extension):
    from .fs.store import fs_store_class

    return fs_store_class(extension.name)


def init_plugin(ext_registry: ExtensionRegistry) -> None:
    from .fs.protocols import PROTOCOLS

    for fmt_id, spec, extensions, data_types, writable, needs in _FORMATS:
        ext_registry.add_extension(
            EXTENSION_POINT_FS_FORMATS,
            fmt_id,
            loader=_format_loader(spec, needs),
            extensions=extensions,
            data_types=data_types,
            writable=writable,
            description=f"{fmt_id} format",
        )
    for protocol in PROTOCOLS:
        ext_registry.add_extension(
            EXTENSION_POINT_FS_PROTOCOLS,
            protocol.name,
            component=protocol,
            read_only=protocol.read_only,
            description=protocol.description,
        )
        ext_registry.add_extension(
            EXTENSION_POINT_DATA_STORES,
            protocol.name,
            loader=_fs_store_loader,
            description=protocol.description,
        )
    ext_registry.add_extension(
        EXTENSION_POINT_DATA_STORES,
        "reference",
        loader=import_component("intake_xstores.ref.store:ReferenceDataStore"),
        description="Read-only data store of kerchunk reference sets (JSON or Parquet): "
        "NetCDF/HDF5/GRIB archives opened as lazy Zarr datasets",
    )
