"""GEDI lidar shots from a gedidb TileDB database: the ``gedidb`` data store.

`gedidb <https://gedidb.readthedocs.io>`_ keeps GEDI L2A, L2B, L4A and L4C
shots in one sparse TileDB array (latitude, longitude, time). The store
queries it with gedidb's ``GEDIProvider`` by bounding box or around a point
and returns the shots as a GeoDataFrame or as a vector data cube (xvec).

Its libraries (gedidb, tiledb, xvec) are heavy and are
their own extra, not part of ``[all]``: ``pip install "intake_xstores[gedidb]"``.
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "gedidb": (
            "intake_xstores.plugins.gedidb.store:GediDbDataStore",
            "GEDI lidar shots from a gedidb TileDB database, as GeoDataFrames or vector cubes",
        )
    }
)
