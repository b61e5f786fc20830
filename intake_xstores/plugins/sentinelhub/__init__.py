"""The ``sentinelhub`` and ``sentinelhub-cdse`` data stores: Sentinel Hub cubes.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``sentinelhub``; they need the ``sentinelhub`` extra (requests,
requests-oauthlib, tifffile).
"""

from __future__ import annotations

from intake_xstores.registry import (
    EXTENSION_POINT_DATA_STORES,
    ExtensionRegistry,
    import_component,
)


def init_plugin(ext_registry: ExtensionRegistry) -> None:
    for store_id, cls, where in (
        ("sentinelhub", "SentinelHubDataStore", "Sentinel Hub"),
        ("sentinelhub-cdse", "SentinelHubCdseDataStore", "the Copernicus Data Space Ecosystem"),
    ):
        ext_registry.add_extension(
            EXTENSION_POINT_DATA_STORES,
            store_id,
            loader=import_component(f"intake_xstores.plugins.sentinelhub.store:{cls}"),
            description=f"Sentinel-1/2/3/5P, Landsat, MODIS and DEM cubes computed tile by "
            f"tile by the Process API of {where}",
        )
