"""The ``cds`` data store: datasets of the Copernicus Climate Data Store.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``cds``; it needs the ``cds`` extra (``cdsapi``, which brings ECMWF's
``ecmwf-datastores-client``, and aiohttp for downloads).
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
        "cds",
        loader=import_component("intake_xstores.plugins.cds.store:CdsDataStore"),
        description="Copernicus Climate Data Store: ERA5, soil moisture and sea ice "
        "datasets retrieved as jobs of the CDS API",
    )
