"""The ``cds`` data store: datasets of the Copernicus Climate Data Store.

It needs the ``cds`` extra (``cdsapi``, which brings ECMWF's
``ecmwf-datastores-client``, and aiohttp for downloads).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "cds": (
            "intake_xstores.plugins.cds.store:CdsDataStore",
            "Copernicus Climate Data Store: ERA5, soil moisture and sea ice, retrieved as CDS jobs",
        )
    }
)
