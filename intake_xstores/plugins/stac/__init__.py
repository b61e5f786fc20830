"""The STAC family of plugin stores: any STAC catalog's items as data.

- ``stac``: the items of any STAC API or static catalog; assets open lazily
  through our own openers (GeoTIFF/COG, Zarr, NetCDF, ``.levels``) on s3,
  abfs or https;
- ``stac-xcube``: a catalog published by an xcube server, whose items say
  which data store (and parameters) holds their cube;
- ``stac-cdse``: the Copernicus Data Space Ecosystem's catalog, assets on its S3;
- ``stac-pc``: Microsoft Planetary Computer's catalog, asset hrefs signed with
  SAS tokens of its token endpoint.

The stores need the ``stac`` extra (pystac, pystac-client).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "stac": (
            "intake_xstores.plugins.stac.store:StacDataStore",
            "The items of a STAC API or static STAC catalog",
        ),
        "stac-xcube": (
            "intake_xstores.plugins.stac.xcube:StacXcubeDataStore",
            "The cubes of a STAC catalog published by an xcube server, opened through "
            "the data stores its items name",
        ),
        "stac-cdse": (
            "intake_xstores.plugins.stac.providers:StacCdseDataStore",
            "The items of the Copernicus Data Space Ecosystem's STAC catalog, assets on its S3",
        ),
        "stac-pc": (
            "intake_xstores.plugins.stac.providers:StacPcDataStore",
            "The items of Microsoft Planetary Computer's STAC catalog, "
            "assets signed with SAS tokens",
        ),
    }
)
