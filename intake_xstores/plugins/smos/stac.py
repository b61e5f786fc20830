"""Finding SMOS Level-2 products through a STAC items endpoint.

ESA's SMOS collection (e.g. Creodias' ``.../stac/collections/SMOS``) lists
each product as an item with ``properties.productType`` (``MIR_SMUDP2`` for
soil moisture, ``MIR_OSUDP2`` for ocean salinity), ``start_datetime`` and
``end_datetime``, and the product's location in the archive as the asset
``PRODUCT`` (its ``alternate.s3.href`` when given, else its ``href``): a
path such as ``/eodata/SMOS/L2SM/.../SM_OPER_MIR_SMUDP2_...``, the product
folder holding ``<folder name>.nc``. The items endpoint answers page by
page; the next page is the link with ``rel: next``.

The time range is sent with the request; the bounding box is checked here
against each item's ``bbox`` (STAC servers differ in how they page bbox
searches; rustac's, for one, fails on them), and the product type too, as
ESA's endpoint does not filter by it.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import Any

import pandas as pd

from ...errors import DataStoreError
from ..web import WebClient


@dataclasses.dataclass(frozen=True)
class Product:
    """One L2 product: its path in the archive (below the archive root) and time."""

    path: str
    start: pd.Timestamp
    stop: pd.Timestamp


def find_products(
    client: WebClient,
    items_url: str,
    product_type: str,
    time_range: tuple[str, str],
    bbox: tuple[float, float, float, float] | None = None,
    page_limit: int = 100,
) -> list[Product]:
    """The products of *product_type* overlapping *time_range* (and *bbox*), by start time."""
    start, stop = _timestamp(time_range[0]), _timestamp(time_range[1])
    if len(str(time_range[1])) <= 10:  # a date: all of that day
        stop += pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    query = {"limit": str(page_limit), "datetime": f"{_iso(start)}/{_iso(stop)}"}
    url: str | None = f"{items_url}?{urllib.parse.urlencode(query)}"
    products: dict[str, Product] = {}
    pages = 0
    while url:
        pages += 1
        page = client.get_json(url, f"SMOS items (page {pages})")
        if not isinstance(page, dict) or not isinstance(page.get("features"), list):
            raise DataStoreError(f"{client.service} answered {url} with no STAC item collection")
        for item in page["features"]:
            product = _product_of(item, product_type)
            if product is None or not _intersects(item.get("bbox"), bbox):
                continue
            if product.start <= stop and product.stop >= start:
                products[product.path] = product
        url = _next_url(page, url)
    return sorted(products.values(), key=lambda p: p.start)


def _product_of(item: Any, product_type: str) -> Product | None:
    properties = item.get("properties") if isinstance(item, dict) else None
    if not isinstance(properties, dict) or properties.get("productType") != product_type:
        return None
    asset = (item.get("assets") or {}).get("PRODUCT") or {}
    href = ((asset.get("alternate") or {}).get("s3") or {}).get("href") or asset.get("href")
    start = properties.get("start_datetime") or properties.get("datetime")
    stop = properties.get("end_datetime") or start
    if not href or not start:
        return None
    return Product(archive_path(href), _timestamp(start), _timestamp(stop))


def archive_path(href: str) -> str:
    """The product file's path below the archive root, from the asset's *href*
    (``s3://bucket/key`` or ``/bucket/key``): the key; a product folder becomes
    the NetCDF file inside it named after it."""
    if "://" in href:  # s3://bucket/key: the key
        parts = [p for p in urllib.parse.urlparse(href).path.split("/") if p]
    else:  # /bucket/key: the key
        parts = [p for p in href.split("/") if p][1:]
    if parts and not parts[-1].endswith(".nc"):
        parts.append(parts[-1] + ".nc")
    return "/".join(parts)


def _intersects(item_bbox: Any, bbox: tuple[float, float, float, float] | None) -> bool:
    """Whether an item's bbox meets *bbox* (items without one are kept)."""
    if bbox is None or not isinstance(item_bbox, list) or len(item_bbox) != 4:
        return True
    west, south, east, north = item_bbox
    return not (east < bbox[0] or west > bbox[2] or north < bbox[1] or south > bbox[3])


def _next_url(page: dict[str, Any], url: str) -> str | None:
    for link in page.get("links") or ():
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return urllib.parse.urljoin(url, link["href"])
    return None


def _timestamp(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_convert(None) if ts.tzinfo is not None else ts


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
