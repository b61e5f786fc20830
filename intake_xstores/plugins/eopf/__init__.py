"""The ``eopf-zarr`` data store: ESA EOPF Sentinel Zarr samples as analysis-ready cubes.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``eopf``; it needs the ``eopf`` extra (pystac-client, odc-geo, rasterio).
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
        "eopf-zarr",
        loader=import_component("intake_xstores.plugins.eopf.store:EopfZarrDataStore"),
        description="ESA EOPF Sentinel Zarr samples (Sentinel-2, Sentinel-3) found by STAC "
        "search and built into one analysis-ready cube",
    )
