"""Schemas of parameters many plugin stores take: URLs, bounding boxes, workers, caches.

One builder per shape, so the stores' schemas cannot drift apart; each store
still gives its own description and bounds. What a schema cannot say (a
bounding box that covers no area) is checked here too, with one error text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import param_error
from ..schema import (
    JsonArraySchema,
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
    count_schema,
)


def url_schema(default: str | None, description: str, **string_kwargs: Any) -> JsonStringSchema:
    """A service's URL, *default* unless the user names another (a mirror's, a
    test server's): HTTP or HTTPS only."""
    return JsonStringSchema(
        default=default, pattern="^https?://", description=description, **string_kwargs
    )


def cache_store_schemas(what: str, params_description: str) -> dict[str, JsonObjectSchema]:
    """The store parameters ``cache_store_id`` and ``cache_store_params`` of a
    store that preloads; *what* completes "ID of the filesystem data store ...
    kept in" (``"preloaded packages are"``)."""
    return dict(
        cache_store_id=JsonStringSchema(
            default="file",
            description=f"ID of the filesystem data store {what} kept in",
        ),
        cache_store_params=JsonObjectSchema(
            additional_properties=True, description=params_description
        ),
    )


def bbox_schema(
    description: str,
    west: float = -180,
    south: float = -90,
    east: float = 180,
    north: float = 90,
    **array_kwargs: Any,
) -> JsonArraySchema:
    """``[west, south, east, north]``, each coordinate within the bounds given
    (by default longitudes and latitudes in degrees)."""
    x = JsonNumberSchema(minimum=west, maximum=east)
    y = JsonNumberSchema(minimum=south, maximum=north)
    return JsonArraySchema(items=[x, y, x, y], description=description, **array_kwargs)


def checked_bbox(bbox: Sequence[float]) -> tuple[float, float, float, float]:
    """The open parameter *bbox* as ``(west, south, east, north)``, or an error
    naming it unless it covers an area (west < east and south < north): JSON
    Schema cannot compare one item with another."""
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise param_error(
            "bbox",
            bbox,
            problem="empty",
            allowed="[west, south, east, north], west < east and south < north",
        )
    return west, south, east, north


def plain_bbox_schema(description: str) -> JsonArraySchema:
    """``[west, south, east, north]`` as four numbers, unbounded: for a store
    whose bbox is in the units of a CRS the request names, or checked later."""
    return JsonArraySchema(
        items=JsonNumberSchema(), min_items=4, max_items=4, description=description
    )


def max_workers_schema(requests: str) -> JsonIntegerSchema:
    """The store parameter ``max_workers``: how many *requests* (``"OPeNDAP"``,
    say) are in flight at once when a cube is read."""
    return count_schema(f"{requests} requests in flight at once when a cube is read", 8, maximum=64)
