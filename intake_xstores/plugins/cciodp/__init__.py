"""The ``cciodp`` data store: the ESA CCI Open Data Portal through OpenSearch and OPeNDAP.

It needs the ``cciodp`` extra (pydap, requests).
"""

from __future__ import annotations

from .. import data_store_plugin

init_plugin = data_store_plugin(
    {
        "cciodp": (
            "intake_xstores.plugins.cciodp.store:CciOdpDataStore",
            "ESA CCI Open Data Portal datasets, found by OpenSearch, read by OPeNDAP (read-only)",
        )
    }
)
