"""Connecting to a gedidb database: gedidb's ``GEDIProvider``, made when first needed.

gedidb configures its TileDB context for HTTPS object storage; endpoints
given as ``http://...`` (a local S3 server, say) get ``vfs.s3.scheme=http``,
and ``tiledb_config`` overrides any TileDB setting. Importing gedidb calls
``logging.basicConfig`` (it would make every library's INFO messages
print); the root logger is put back as it was.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from typing import Any

from ...extras import Needs

NEEDS = Needs(("gedidb", "tiledb", "xvec", "geopandas"), "gedidb")

_import_lock = threading.Lock()


def import_gedidb():
    """The ``gedidb`` module, without its side effect on logging."""
    with _import_lock:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            NEEDS.check("The 'gedidb' store")
            import gedidb
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)
    return gedidb


def new_provider(params: dict[str, Any]):
    """A ``GEDIProvider`` for the store parameters *params* (no I/O yet)."""
    gedidb = import_gedidb()

    class Provider(gedidb.GEDIProvider):
        """gedidb's provider, with TileDB settings it does not let callers give."""

        def __init__(self, overrides: dict[str, str], **kwargs: Any):
            gedidb.TileDBProvider.__init__(self, s3_config_overrides=overrides, **kwargs)

    if params["storage_type"] == "local":
        provider = Provider({}, storage_type="local", local_path=params["local_path"])
        if params.get("tiledb_config"):
            import tiledb

            provider.ctx = tiledb.Ctx({**provider.ctx.config().dict(), **params["tiledb_config"]})
        return provider
    url = params["endpoint_url"]
    overrides = {}
    if urllib.parse.urlparse(url).scheme == "http":
        overrides["vfs.s3.scheme"] = "http"
    overrides.update(params.get("tiledb_config") or {})
    credentials = None
    if params.get("key"):
        credentials = {
            "AccessKeyId": params["key"],
            "SecretAccessKey": params.get("secret") or "",
            "SessionToken": params.get("token") or "",
        }
    return Provider(
        overrides,
        storage_type="s3",
        s3_bucket=params["s3_bucket"],
        url=url,
        region=params["region"],
        credentials=credentials,
    )


def array_uri(params: dict[str, Any]) -> str:
    """Where the database's array is, for messages."""
    if params["storage_type"] == "local":
        return f"{params['local_path'].rstrip('/')}/array_uri"
    return f"s3://{params['s3_bucket']}/array_uri at {params['endpoint_url']}"
