"""The ``cmems`` data store: datasets of the Copernicus Marine Service.

It needs the ``cmems`` extra (aiohttp, through fsspec).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "cmems": (
            "intake_xstores.plugins.cmems.store:CmemsDataStore",
            "Copernicus Marine Service datasets, opened lazily from their ARCO Zarr stores",
        )
    }
)
