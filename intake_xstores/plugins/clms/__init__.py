"""The ``clms`` data store: datasets of the Copernicus Land Monitoring Service.

It needs the ``clms`` extra (requests, pyjwt, cryptography,
rasterio).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "clms": (
            "intake_xstores.plugins.clms.store:ClmsDataStore",
            "Copernicus Land Monitoring Service: packages preloaded as Zarr, NetCDF opened lazily",
        )
    }
)
