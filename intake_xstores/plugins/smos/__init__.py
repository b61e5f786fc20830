"""ESA SMOS Level-2 soil moisture and ocean salinity: the ``smos`` data store.

SMOS Level-2 products are swaths of values on the SMOS discrete global grid
(DGG). The store finds the products of a time range through a STAC items
endpoint, reads them from their archive (NetCDF on object storage) and maps
them onto a regular latitude/longitude grid through a lookup table, one
chunk per product, computed when read (see :mod:`.cube`).

It needs the ``smos`` extra (s3fs, aiohttp).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "smos": (
            "intake_xstores.plugins.smos.store:SmosDataStore",
            "ESA SMOS Level-2 soil moisture and ocean salinity, gridded from STAC-found products",
        )
    }
)
