"""The ``eopf-zarr`` data store: ESA EOPF Sentinel Zarr samples as analysis-ready cubes.

It needs the ``eopf`` extra (pystac-client, odc-geo, rasterio; scipy for
Sentinel-3 swaths).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "eopf-zarr": (
            "intake_xstores.plugins.eopf.store:EopfZarrDataStore",
            "ESA EOPF Sentinel-2/3 Zarr samples, found by STAC search, as analysis-ready cubes",
        )
    }
)
