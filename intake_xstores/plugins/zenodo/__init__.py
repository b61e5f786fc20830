"""The ``zenodo`` data store: the files of a Zenodo record as data.

It needs the ``remote`` extra (aiohttp, through fsspec).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "zenodo": (
            "intake_xstores.plugins.zenodo.store:ZenodoDataStore",
            "Files of a Zenodo record: GeoTIFF and zipped Zarr lazily, others preloaded to a cache",
        )
    }
)
