"""The STAC family of plugin stores: any STAC catalog's items as data.

- ``stac``: the items of any STAC API or static catalog; assets open lazily
  through our own openers (GeoTIFF/COG, Zarr, NetCDF, ``.levels``) on s3,
  abfs or https;
- ``stac-xcube``: a catalog published by an xcube server, whose items say
  which data store (and parameters) holds their cube;
- ``stac-cdse``: the Copernicus Data Space Ecosystem's catalog, assets on its S3;
- ``stac-pc``: Microsoft Planetary Computer's catalog, asset hrefs signed with
  SAS tokens of its token endpoint.

Registered by :func:`init_plugin` through the ``intake_xstores.plugins`` entry
point ``stac``; the stores need the ``stac`` extra (pystac, pystac-client).
"""

from __future__ import annotations

from intake_xstores.registry import (
    EXTENSION_POINT_DATA_STORES,
    ExtensionRegistry,
    import_component,
)

_STORES = (
    ("stac", "store:StacDataStore", "The items of a STAC API or static STAC catalog"),
    (
        "stac-xcube",
        "xcube:StacXcubeDataStore",
        "The cubes of a STAC catalog published by an xcube server, opened through "
        "the data stores its items name",
    ),
    (
        "stac-cdse",
        "providers:StacCdseDataStore",
        "The items of the Copernicus Data Space Ecosystem's STAC catalog, assets on its S3",
    ),
    (
        "stac-pc",
        "providers:StacPcDataStore",
        "The items of Microsoft Planetary Computer's STAC catalog, assets signed with SAS tokens",
    ),
)


def init_plugin(ext_registry: ExtensionRegistry) -> None:
    for store_id, spec, description in _STORES:
        ext_registry.add_extension(
            EXTENSION_POINT_DATA_STORES,
            store_id,
            loader=import_component(f"intake_xstores.plugins.stac.{spec}"),
            description=description,
        )
