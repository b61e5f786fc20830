"""Our own plugin: registers the built-in protocols, formats and stores.

It is found like every third-party plugin, by its entry point in the
``intake_xstores.plugins`` group (see "Writing a plugin" in the README), and
runs first, so its names win over a plugin's duplicates.
"""

from __future__ import annotations

from .registry import (
    EXTENSION_POINT_DATA_STORES,
    EXTENSION_POINT_FS_FORMATS,
    EXTENSION_POINT_FS_PROTOCOLS,
    ExtensionRegistry,
    import_component,
)

#: The built-in formats by ID, in xcube's order of openers; each class
#: declares its extensions, data types and libraries (see ``fs/formats``).
FORMATS = {
    "netcdf": "intake_xstores.fs.formats.netcdf:NetcdfFormat",
    "zarr": "intake_xstores.fs.formats.zarr:ZarrFormat",
    "levels": "intake_xstores.fs.formats.levels:LevelsFormat",
    "shapefile": "intake_xstores.fs.formats.vector:ShapefileFormat",
    "geojson": "intake_xstores.fs.formats.vector:GeoJsonFormat",
    "geotiff": "intake_xstores.fs.formats.raster:RasterFormat",
    "j2k": "intake_xstores.fs.formats.raster:Jpeg2000Format",
}


def init_plugin(ext_registry: ExtensionRegistry) -> None:
    from .fs.components import format_loader
    from .fs.extensions import FsAccessorProvider, FsStoreProvider, fs_store_loader
    from .fs.protocols import PROTOCOLS

    for format_id, spec in FORMATS.items():
        ext_registry.add_extension(
            EXTENSION_POINT_FS_FORMATS,
            format_id,
            loader=format_loader(spec),
            description=f"{format_id} format",
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
            loader=fs_store_loader,
            description=protocol.description,
        )
    ext_registry.add_extension(
        EXTENSION_POINT_DATA_STORES,
        "reference",
        loader=import_component("intake_xstores.ref.store:ReferenceDataStore"),
        description="Read-only data store of kerchunk reference sets (JSON or Parquet): "
        "NetCDF/HDF5/GRIB archives opened as lazy Zarr datasets",
    )
    ext_registry.add_provider(FsAccessorProvider())
    ext_registry.add_provider(FsStoreProvider())
