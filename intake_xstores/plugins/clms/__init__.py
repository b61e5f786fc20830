"""The ``clms`` data store: datasets of the Copernicus Land Monitoring Service.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``clms``; it needs the ``clms`` extra (requests, pyjwt, cryptography,
rasterio).
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
        "clms",
        loader=import_component("intake_xstores.plugins.clms.store:ClmsDataStore"),
        description="Copernicus Land Monitoring Service: download packages preloaded "
        "into one Zarr cube each, NetCDF datasets opened lazily",
    )
