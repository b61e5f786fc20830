"""The ``cciodp`` data store: the ESA CCI Open Data Portal through OpenSearch and OPeNDAP.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``cciodp``; it needs the ``cciodp`` extra (pydap, requests).
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
        "cciodp",
        loader=import_component("intake_xstores.plugins.cciodp.store:CciOdpDataStore"),
        description="ESA Climate Change Initiative datasets of the Open Data Portal, found "
        "by OpenSearch and read lazily by OPeNDAP subset requests (read-only)",
    )
