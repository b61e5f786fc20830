"""``stac-cdse-ardc`` and ``stac-pc-ardc``: STAC collections opened as analysis-ready cubes.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``stac_ardc``; they need the ``stac-ardc`` extra (odc-stac, odc-geo,
pystac-client, rasterio).
"""

from __future__ import annotations

from intake_xstores.registry import (
    EXTENSION_POINT_DATA_STORES,
    ExtensionRegistry,
    import_component,
)

_STORES = "intake_xstores.plugins.stac_ardc.store"


def init_plugin(ext_registry: ExtensionRegistry) -> None:
    ext_registry.add_extension(
        EXTENSION_POINT_DATA_STORES,
        "stac-cdse-ardc",
        loader=import_component(f"{_STORES}:CdseArdcDataStore"),
        description="Sentinel-2 collections of the Copernicus Data Space Ecosystem as "
        "analysis-ready data cubes (STAC search, assets on S3, odc-stac)",
    )
    ext_registry.add_extension(
        EXTENSION_POINT_DATA_STORES,
        "stac-pc-ardc",
        loader=import_component(f"{_STORES}:PcArdcDataStore"),
        description="Planetary Computer collections (Sentinel-2, Landsat, HLS) as "
        "analysis-ready data cubes (STAC search, SAS-signed blobs, odc-stac)",
    )
