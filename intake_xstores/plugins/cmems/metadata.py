"""The Copernicus Marine metadata, read as the ``copernicusmarine`` toolbox reads it.

The service publishes a clients configuration (``clientsConfigV1.json``)
naming its STAC catalogues; each catalogue's children are the products
(``{product}/product.stac.json``), and a product's item links are its
datasets' versions (``{dataset}_{YYYYMM}/dataset.stac.json``). An item
describes a dataset fully (``cube:dimensions``, ``cube:variables``) and
names its ARCO Zarr stores as assets: ``timeChunked`` (chunks of few time
steps and large areas, for maps) and ``geoChunked`` (long time series of
small areas). Listing reads the catalogues and products only; an item is
read when a dataset is described or opened.
"""

from __future__ import annotations

import concurrent.futures
import math
import re
import urllib.parse
from typing import Any

import pandas as pd

from ...errors import DataStoreError
from ..web import WebClient

#: How dataset IDs and versions are joined in item IDs (``..._202406``).
_VERSIONED = re.compile(r"^(?P<dataset>.*?)_(?P<version>\d{6})(?:--ext--.*)?$")

LAYOUTS = ("timeChunked", "geoChunked")


def read_catalog(client: WebClient, config_url: str) -> dict[str, dict[str, Any]]:
    """The dataset IDs of the service, each with its product and newest version's item URL."""
    config = client.get_json(config_url, "clients configuration")
    catalogues = config.get("catalogues") if isinstance(config, dict) else None
    if not catalogues:
        raise DataStoreError(
            f"Copernicus Marine answered {config_url} with no 'catalogues'; check 'metadata_url'"
        )
    products: list[tuple[str, str]] = []  # (stac root, product URL)
    for catalogue in catalogues:
        root = catalogue.get("stacRoot") or catalogue["stac"].rsplit("/", 1)[0]
        stac = client.get_json(catalogue["stac"], "STAC catalogue")
        for link in stac.get("links", []):
            if link.get("rel") == "child":
                products.append((root, urllib.parse.urljoin(catalogue["stac"], link["href"])))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        collections = list(pool.map(lambda p: _product(client, p[1]), products))
    datasets: dict[str, dict[str, Any]] = {}
    for (_, url), collection in zip(products, collections, strict=True):
        for link in collection.get("links", []):
            if link.get("rel") != "item":
                continue
            item_id = link["href"].split("/")[0]
            match = _VERSIONED.match(item_id)
            dataset_id, version = (match["dataset"], match["version"]) if match else (item_id, "")
            known = datasets.get(dataset_id)
            if known is None or version > known["version"]:
                datasets[dataset_id] = {
                    "product_id": collection.get("id"),
                    "product_title": collection.get("title"),
                    "version": version,
                    "item_url": urllib.parse.urljoin(url, link["href"]),
                }
    return dict(sorted(datasets.items()))


def _product(client: WebClient, url: str) -> dict:
    return client.get_json(url, f"product {url.rsplit('/', 2)[-2]!r}")


def dimensions(item: dict) -> dict[str, dict[str, Any]]:
    """The item's ``cube:dimensions`` (each with ``extent``, ``step``, ``type``)."""
    return item.get("properties", {}).get("cube:dimensions") or {}


def variables(item: dict) -> dict[str, dict[str, Any]]:
    """The item's ``cube:variables`` of type data."""
    cube = item.get("properties", {}).get("cube:variables") or {}
    return {k: v for k, v in cube.items() if v.get("type", "data") == "data"}


def layout_for(item: dict, time_range: tuple | None, bbox: tuple | None) -> tuple[str, str]:
    """``(layout, href)`` of the ARCO store that reads the fewest chunks for the request.

    A map of a few time steps touches few ``timeChunked`` chunks; a long time
    series of a small area touches few ``geoChunked`` ones. The count comes
    from each asset's ``viewDims`` (coordinate range, step and chunk length),
    as the toolbox estimates it; on a tie, ``timeChunked``.
    """
    assets = item.get("assets") or {}
    best = None
    for name in LAYOUTS:
        asset = assets.get(name)
        if not asset:
            continue
        count = _chunks_read(asset.get("viewDims") or {}, time_range, bbox)
        if best is None or count < best[0]:
            best = (count, name, asset["href"])
    if best is None:
        raise DataStoreError(
            f"Copernicus Marine dataset {item.get('id')!r} has no ARCO Zarr store "
            f"(assets: {', '.join(assets) or 'none'})"
        )
    return best[1], best[2]


def _chunks_read(view_dims: dict, time_range: tuple | None, bbox: tuple | None) -> float:
    wanted: dict[str, tuple[float, float] | None] = {"time": None, "x": None, "y": None}
    if time_range is not None:  # in ms, as viewDims has them; a None end is open
        start, end = (None if t is None else pd.Timestamp(t).value / 1e6 for t in time_range)
        wanted["time"] = (-math.inf if start is None else start, math.inf if end is None else end)
    if bbox is not None:
        wanted["x"], wanted["y"] = (bbox[0], bbox[2]), (bbox[1], bbox[3])
    total = 1.0
    for dim, view in view_dims.items():
        coords = view.get("coords") or {}
        length = view.get("chunkLen") or 1
        if isinstance(length, dict):
            length = max(length.values())
        axis = {"time": "time", "latitude": "y", "lat": "y", "longitude": "x", "lon": "x"}.get(dim)
        low, high, step = coords.get("min"), coords.get("max"), coords.get("step")
        if low is None or high is None or not step:
            continue
        span = wanted.get(axis) if axis else None
        if span is not None:
            low, high = max(low, span[0]), min(high, span[1])
        steps = max(0.0, (high - low) / step) + 1
        total *= math.ceil(steps / length)
    return total
