"""A fake Sentinel Hub on a :class:`tests.service_kit.FakeService` (TLS).

The routes the ``sentinelhub`` store uses, shaped like Sentinel Hub's answers:

- ``POST /oauth/token``: OAuth2 client credentials -> a bearer token;
- ``GET /configuration/v1/datasets/<id>``: the collection's bands;
- ``GET /api/v1/catalog/1.0.0/collections/<id>``: a STAC collection (extent);
- ``POST /api/v1/catalog/1.0.0/search``: STAC item search, paged by ``next``;
- ``POST /api/v1/process``: computes the requested tile: each pixel of band
  ``b`` whose centre is at (x, y) in a time range starting on day ``d`` of
  the year is :func:`pixel_value` (b, x, y, d), so tests can check values.

:meth:`SentinelHubFake.expire_tokens` makes every token issued so far
rejected with 401, as when Sentinel Hub ends them.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import threading

import numpy as np
import pandas as pd
from werkzeug.wrappers import Response

#: The bands the fake knows, in the order that gives each its value.
BANDS = {
    "S2L2A": [
        ("B02", "reflectance"),
        ("B03", "reflectance"),
        ("B04", "reflectance"),
        ("B08", "reflectance"),
        ("SCL", "1"),
    ],
    "S1GRD": [("VV", "linear power"), ("VH", "linear power")],
}
PROCESS_TYPES = {"sentinel-2-l2a": "S2L2A", "sentinel-1-grd": "S1GRD", "dem": "DEM"}


def pixel_value(band: int, x, y, day: int):
    """What the fake Process API computes for band index *band* at (x, y) on *day*."""
    return np.float32(band * 1000 + day * 10) + np.float32(x) + np.float32(y) / 100


class SentinelHubFake:
    """Sentinel Hub's routes on *service*; ``acquisitions`` maps catalog collection
    IDs to the item datetimes the catalog holds."""

    def __init__(
        self,
        service,
        client_id: str = "test-client",
        client_secret: str = "test-secret",
        acquisitions: dict[str, list[str]] | None = None,
        token_lifetime: int = 3600,
    ):
        self.service = service
        self.client_id, self.client_secret = client_id, client_secret
        self.acquisitions = acquisitions or {}
        self.token_lifetime = token_lifetime
        self.valid_tokens: set[str] = set()
        self.process_bodies: list[dict] = []
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        service.route("/oauth/token", self.token, methods=("POST",))
        service.route("/configuration/v1/datasets/<data_id>", self.dataset)
        service.route("/api/v1/catalog/1.0.0/collections/<cid>", self.collection)
        service.route("/api/v1/catalog/1.0.0/search", self.search, methods=("POST",))
        service.route("/api/v1/process", self.process, methods=("POST",))

    @property
    def url(self) -> str:
        return self.service.url

    def expire_tokens(self) -> None:
        with self._lock:
            self.valid_tokens.clear()

    # --- routes -------------------------------------------------------------------

    def token(self, request, **_):
        form = request.form
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials",
            self.client_id,
            self.client_secret,
        ):
            return _json({"error": "invalid_client", "error_description": "Invalid client"}, 401)
        token = f"token-{next(self._counter)}"
        with self._lock:
            self.valid_tokens.add(token)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}

    def _authorised(self, request) -> bool:
        header = request.headers.get("Authorization", "")
        with self._lock:
            return header.startswith("Bearer ") and header[7:] in self.valid_tokens

    def dataset(self, request, data_id):
        if not self._authorised(request):
            return _unauthorised()
        if data_id not in BANDS:
            return _json({"error": {"status": 404, "message": f"No dataset {data_id}"}}, 404)
        return {"id": data_id, "bands": [{"name": n, "unit": u} for n, u in BANDS[data_id]]}

    def collection(self, request, cid):
        if not self._authorised(request):
            return _unauthorised()
        times = sorted(self.acquisitions.get(cid, []))
        return {
            "type": "Collection",
            "id": cid,
            "extent": {
                "spatial": {"bbox": [[-180, -90, 180, 90]]},
                "temporal": {"interval": [[times[0] if times else None, None]]},
            },
        }

    def search(self, request, **_):
        if not self._authorised(request):
            return _unauthorised()
        body = request.get_json()
        start, end = (pd.Timestamp(t) for t in body["datetime"].split("/"))
        found = [
            t
            for cid in body["collections"]
            for t in sorted(self.acquisitions.get(cid, []))
            if start <= pd.Timestamp(t) <= end
        ]
        offset, limit = int(body.get("next") or 0), int(body.get("limit", 10))
        page = found[offset : offset + limit]
        features = [
            {"type": "Feature", "id": f"item-{offset + i}", "properties": {"datetime": t}}
            for i, t in enumerate(page)
        ]
        context = {"limit": limit, "returned": len(page)}
        if offset + limit < len(found):
            context["next"] = offset + limit
        return {"type": "FeatureCollection", "features": features, "context": context}

    def process(self, request, **_):
        if not self._authorised(request):
            return _unauthorised()
        body = request.get_json()
        with self._lock:
            self.process_bodies.append(body)
        data = body["input"]["data"][0]
        known = BANDS.get(PROCESS_TYPES.get(data["type"], ""), [("DEM", "m")])
        names = [n for n, _ in known]
        requested = json.loads(re.search(r"bands: (\[[^\]]*\])", body["evalscript"])[1])
        unknown = [b for b in requested if b not in names]
        if unknown:
            return _json({"error": {"status": 400, "message": f"Unknown bands {unknown}"}}, 400)
        x0, y0, x1, y1 = body["input"]["bounds"]["bbox"]
        width, height = body["output"]["width"], body["output"]["height"]
        x = x0 + (np.arange(width) + 0.5) * (x1 - x0) / width
        y = y1 - (np.arange(height) + 0.5) * (y1 - y0) / height
        day = pd.Timestamp(data["dataFilter"]["timeRange"]["from"]).day_of_year
        image = np.stack(
            [
                pixel_value(names.index(b), x[np.newaxis, :], y[:, np.newaxis], day)
                for b in requested
            ],
            axis=-1,
        ).astype("<f4")
        kind = body["output"]["responses"][0]["format"]["type"]
        if kind == "application/octet-stream":
            return Response(image.tobytes(), 200, content_type=kind)
        import tifffile

        buffer = io.BytesIO()
        if image.shape[-1] == 1:
            tifffile.imwrite(buffer, image[..., 0], photometric="minisblack")
        else:
            tifffile.imwrite(buffer, image, photometric="minisblack", planarconfig="contig")
        return Response(buffer.getvalue(), 200, content_type="image/tiff")


def expected_band(band: int, x, y, day: int) -> np.ndarray:
    """The values the fake computes for a whole band on coordinates *x*, *y*."""
    return pixel_value(band, np.asarray(x)[np.newaxis, :], np.asarray(y)[:, np.newaxis], day)


def _json(document, status: int) -> Response:
    return Response(json.dumps(document), status, content_type="application/json")


def _unauthorised() -> Response:
    return _json({"error": {"status": 401, "message": "Token expired or invalid"}}, 401)
