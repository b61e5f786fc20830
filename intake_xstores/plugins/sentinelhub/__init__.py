"""The ``sentinelhub`` and ``sentinelhub-cdse`` data stores: Sentinel Hub cubes.

They need the ``sentinelhub`` extra (requests,
requests-oauthlib, tifffile).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "sentinelhub": (
            "intake_xstores.plugins.sentinelhub.store:SentinelHubDataStore",
            "Sentinel-1/2/3/5P, Landsat, MODIS and DEM cubes computed tile by "
            "tile by the Process API of Sentinel Hub",
        ),
        "sentinelhub-cdse": (
            "intake_xstores.plugins.sentinelhub.store:SentinelHubCdseDataStore",
            "Sentinel-1/2/3/5P, Landsat, MODIS and DEM cubes computed tile by "
            "tile by the Process API of the Copernicus Data Space Ecosystem",
        ),
    }
)
