"""ESA Climate Change Initiative (CCI) data stores: ``ccizarr`` and ``esa-cci-kc``.

- ``ccizarr``: the CCI Zarr archive on object storage (anonymous S3), read-only.
- ``esa-cci-kc``: the CCI datasets indexed by kerchunk, read lazily from the
  original NetCDF files through the ``reference`` store.

Both stores need only the ``remote`` and ``reference`` extras.
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "ccizarr": (
            "intake_xstores.plugins.cci.zarr:CciZarrDataStore",
            "ESA Climate Change Initiative datasets in the CCI Zarr archive "
            "on object storage (read-only)",
        ),
        "esa-cci-kc": (
            "intake_xstores.plugins.cci.kerchunk:CciKerchunkDataStore",
            "ESA Climate Change Initiative datasets read lazily from their NetCDF "
            "files through kerchunk references (read-only)",
        ),
    }
)
