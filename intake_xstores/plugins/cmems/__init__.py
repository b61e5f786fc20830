"""The ``cmems`` data store: datasets of the Copernicus Marine Service.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``cmems``; it needs the ``cmems`` extra (aiohttp, through fsspec).
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
        "cmems",
        loader=import_component("intake_xstores.plugins.cmems.store:CmemsDataStore"),
        description="Copernicus Marine Service: datasets of its STAC metadata opened "
        "lazily from their ARCO Zarr stores",
    )
