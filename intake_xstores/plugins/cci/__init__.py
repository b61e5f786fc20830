"""ESA Climate Change Initiative (CCI) data stores: ``ccizarr`` and ``esa-cci-kc``.

- ``ccizarr``: the CCI Zarr archive on object storage (anonymous S3), read-only.
- ``esa-cci-kc``: the CCI datasets indexed by kerchunk, read lazily from the
  original NetCDF files through the ``reference`` store.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``cci``; both stores need only the ``remote`` and ``reference`` extras.
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
        "ccizarr",
        loader=import_component("intake_xstores.plugins.cci.zarr:CciZarrDataStore"),
        description="ESA Climate Change Initiative datasets in the CCI Zarr archive "
        "on object storage (read-only)",
    )
    ext_registry.add_extension(
        EXTENSION_POINT_DATA_STORES,
        "esa-cci-kc",
        loader=import_component("intake_xstores.plugins.cci.kerchunk:CciKerchunkDataStore"),
        description="ESA Climate Change Initiative datasets read lazily from their NetCDF "
        "files through kerchunk references (read-only)",
    )
