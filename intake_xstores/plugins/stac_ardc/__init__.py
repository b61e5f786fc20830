"""``stac-cdse-ardc`` and ``stac-pc-ardc``: STAC collections opened as analysis-ready cubes.

They need the ``stac-ardc`` extra (odc-stac, odc-geo, pystac-client, rasterio;
s3fs and scipy for Sentinel-3 swaths).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "stac-cdse-ardc": (
            "intake_xstores.plugins.stac_ardc.store:CdseArdcDataStore",
            "Sentinel-2 and Sentinel-3 collections of the Copernicus Data Space Ecosystem "
            "as analysis-ready data cubes (STAC search, assets on S3, odc-stac)",
        ),
        "stac-pc-ardc": (
            "intake_xstores.plugins.stac_ardc.store:PcArdcDataStore",
            "Planetary Computer collections (Sentinel-2, Landsat, HLS, Sentinel-3) as "
            "analysis-ready data cubes (STAC search, SAS-signed blobs, odc-stac)",
        ),
    }
)
