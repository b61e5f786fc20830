"""Acquisition times from Sentinel Hub's Catalog API (a STAC API item search).

``POST {catalog_url}/search`` with ``collections``, ``bbox`` (WGS84),
``datetime`` (``start/end``) and ``limit`` answers a FeatureCollection whose
items carry ``properties.datetime``. Further pages are asked for with the
``next`` token of the answer's ``context`` (Sentinel Hub's way), or by the
``body`` of its ``next`` link (STAC's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import DataStoreError

PAGE_SIZE = 100
MAX_PAGES = 1000


def search_times(
    client,
    catalog_url: str,
    collection_id: str,
    bbox: Sequence[float],
    time_range: Sequence[str],
    extra: dict[str, Any] | None = None,
) -> list[str]:
    """The sorted, distinct acquisition times (ISO strings) of the items found."""
    url = f"{catalog_url}/search"
    body: dict[str, Any] = {
        **(extra or {}),
        "collections": [collection_id],
        "bbox": [float(v) for v in bbox],
        "datetime": f"{_utc(time_range[0])}/{_utc(time_range[1])}",
        "limit": PAGE_SIZE,
    }
    times: set[str] = set()
    for _ in range(MAX_PAGES):
        page = client.post_json(url, f"the catalog search of {collection_id!r}", body)
        features = page.get("features") if isinstance(page, dict) else None
        if not isinstance(features, list):
            raise DataStoreError(f"The catalog at {url} answered without a 'features' list")
        for feature in features:
            stamp = (feature.get("properties") or {}).get("datetime")
            if isinstance(stamp, str):
                times.add(stamp)
        follow = _next_body(page)
        if not features or follow is None:
            break
        body = {**body, **follow}
    return sorted(times)


def _next_body(page: dict) -> dict | None:
    token = (page.get("context") or {}).get("next")
    if token is not None:
        return {"next": token}
    for link in page.get("links") or ():
        if (
            isinstance(link, dict)
            and link.get("rel") == "next"
            and isinstance(link.get("body"), dict)
        ):
            return link["body"]
    return None


def _utc(value: str) -> str:
    """*value* (a date or date-time) as an RFC 3339 UTC time."""
    import pandas as pd

    stamp = pd.Timestamp(value)
    stamp = stamp.tz_convert(None) if stamp.tzinfo is not None else stamp
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
