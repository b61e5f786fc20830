"""The ``zenodo`` data store: the files of a Zenodo record as data.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``zenodo``; it needs the ``remote`` extra (aiohttp, through fsspec).
"""

from __future__ import annotations

from intake_xstores.registry import (
    EXTENSION_POINT_DATA_STORES,
    ExtensionRegistry,
    import_component,
)


def init_plugin(ext_registry: ExtensionRegistry) -> None:
    ext_registry.add_extension(
        EXTENSION_POINT_DATA_STORES,
        "zenodo",
        loader=import_component("intake_xstores.plugins.zenodo.store:ZenodoDataStore"),
        description="The files of a Zenodo record: GeoTIFF and zipped Zarr opened lazily, "
        "NetCDF and archives preloaded into a cache store",
    )
