"""A fake CLMS API on a :class:`tests.service_kit.FakeService`, with state.

It speaks what the ``clms`` store uses, shaped like land.copernicus.eu's
Plone REST API: ``POST /@@oauth2-token`` (a JWT-bearer grant, verified with
the service key's public key), ``GET /api/@search`` (datasets with their
``dataset_download_information`` and ``downloadable_files``, paged),
``POST /api/@datarequest_post``, ``GET /api/@datarequest_search`` (each task's
``Status``: ``PENDING`` until ``processing_time`` seconds have passed, then
``COMPLETE`` with a ``DownloadURL``), ``DELETE /api/@datarequest_delete`` and
the zips at ``/downloads/<task>.zip``.

Faults beyond the service kit's: :meth:`FakeClms.expire_tokens` (every token
handed out so far is refused with 401 from now on), ``fail`` (file IDs whose
requests end ``FAILED`` with a message).
"""

from __future__ import annotations

import io
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field

from werkzeug.exceptions import BadRequest, Unauthorized
from werkzeug.wrappers import Response

from tests.plugins.zenodo_fake import zip_bytes as zip_of

__all__ = ["FakeClms", "geotiff_tiles", "new_service_key", "zip_of"]

TOKEN_PATH = "/@@oauth2-token"


def new_service_key(token_uri: str) -> tuple[dict, object]:
    """A CLMS service key (as the JSON users download) with a fresh RSA key, and its public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key = {
        "client_id": "test-client-" + uuid.uuid4().hex[:8],
        "issued": "2026-01-01T00:00:00",
        "key_id": uuid.uuid4().hex,
        "private_key": pem,
        "title": "test key",
        "token_uri": token_uri,
        "user_id": "user-" + uuid.uuid4().hex[:8],
    }
    return key, private.public_key()


@dataclass
class Package:
    """A prepackaged file of a dataset and the zip CLMS delivers for it."""

    dataset: str
    file: str
    zip: bytes
    file_id: str = field(default_factory=lambda: uuid.uuid4().hex)


class FakeClms:
    """The CLMS API on *service* for the service key whose public key is *public_key*."""

    def __init__(
        self,
        service,
        public_key,
        client_id: str,
        processing_time: float = 0.0,
        token_lifetime: int = 3600,
    ):
        self.service = service
        self.public_key = public_key
        self.client_id = client_id
        self.processing_time = processing_time
        self.token_lifetime = token_lifetime
        self.datasets: list[dict] = []
        self.packages: dict[str, Package] = {}
        self.tasks: dict[str, dict] = {}
        self.deleted: list[str] = []
        self.fail: set[str] = set()
        self.tokens_issued = 0
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        service.route(TOKEN_PATH, self._token, methods=("POST",))
        service.route("/api/@search", self._search)
        service.route("/api/@datarequest_post", self._post, methods=("POST",))
        service.route("/api/@datarequest_search", self._search_requests)
        service.route("/api/@datarequest_delete", self._delete, methods=("DELETE",))
        service.route("/downloads/<task>.zip", self._download)

    @property
    def api_url(self) -> str:
        return f"{self.service.url}/api"

    # --- what the test puts in ------------------------------------------------

    def add_package_dataset(self, name: str, files: dict[str, bytes], title: str = "") -> None:
        """A dataset delivered as download packages: *files* maps file names to zips."""
        items = []
        for file, data in files.items():
            package = Package(name, file, data)
            self.packages[package.file_id] = package
            items.append(
                {
                    "@id": package.file_id,
                    "file": file,
                    "area": "Europe",
                    "format": "Geotiff",
                    "resolution": "100 m",
                    "size": f"{len(data) / 1e6:.1f} MB",
                }
            )
        self._add_dataset(name, title, "EEA", {"downloadable_files": {"items": items}})

    def add_netcdf_dataset(self, name: str, files_url: str, title: str = "") -> None:
        """A dataset served as NetCDF files, listed in the CSV at *files_url*."""
        self._add_dataset(name, title, "CDSE", {}, path=files_url)

    def _add_dataset(self, name: str, title: str, source: str, extra: dict, path="") -> None:
        self.datasets.append(
            {
                "@id": f"{self.service.url}/en/products/{name}",
                "@type": "DataSet",
                "id": name,
                "UID": uuid.uuid4().hex,
                "title": title or f"Dataset {name}",
                "description": f"The test dataset {name}",
                "dataset_download_information": {
                    "items": [
                        {
                            "@id": uuid.uuid4().hex,
                            "full_source": source,
                            "full_format": "Geotiff" if source == "EEA" else "Netcdf",
                            "name": name,
                            "path": path,
                        }
                    ]
                },
                **extra,
            }
        )

    def expire_tokens(self) -> None:
        """Refuse every token handed out so far (as when they expire early)."""
        with self._lock:
            self._tokens.clear()

    # --- the routes -------------------------------------------------------------

    def _token(self, request, **_):
        import jwt

        form = request.form
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            raise BadRequest("unsupported grant_type")
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self.public_key,
                algorithms=["RS256"],
                audience=f"{self.service.url}{TOKEN_PATH}",
            )
        except jwt.PyJWTError as error:
            return Response(
                f'{{"error": "invalid_grant", "error_description": "{error}"}}',
                401,
                content_type="application/json",
            )
        if claims.get("iss") != self.client_id:
            raise Unauthorized("unknown client")
        token = uuid.uuid4().hex
        with self._lock:
            self._tokens.add(token)
            self.tokens_issued += 1
        return {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}

    def _authorize(self, request) -> None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock:
            if token not in self._tokens:
                raise Unauthorized("Invalid or expired token")

    def _search(self, request, **_):
        start = int(request.args.get("b_start", 0))
        size = int(request.args.get("b_size", 25))
        items = self.datasets[start : start + size]
        page = {"@id": request.url, "items": items, "items_total": len(self.datasets)}
        if start + size < len(self.datasets):
            base = request.base_url
            page["batching"] = {
                "next": f"{base}?portal_type=DataSet&fullobjects=1&b_start={start + size}"
                f"&b_size={size}"
            }
        return page

    def _post(self, request, **_):
        self._authorize(request)
        body = request.get_json(force=True)
        (wanted,) = body["Datasets"]
        package = self.packages.get(wanted.get("FileID"))
        uids = {d["UID"] for d in self.datasets}
        if package is None or wanted.get("DatasetID") not in uids:
            raise BadRequest("Unknown DatasetID or FileID")
        task_id = f"task-{next(self._ids)}"
        with self._lock:
            self.tasks[task_id] = {"package": package, "posted": time.monotonic()}
        return Response(
            f'{{"TaskIds": [{{"TaskID": "{task_id}"}}]}}', 201, content_type="application/json"
        )

    def _search_requests(self, request, **_):
        self._authorize(request)
        with self._lock:
            return {task_id: self._state(task_id, task) for task_id, task in self.tasks.items()}

    def _state(self, task_id: str, task: dict) -> dict:
        package: Package = task["package"]
        state = {
            "Datasets": [{"DatasetID": package.dataset, "FileID": package.file_id}],
            "Status": "PENDING",
        }
        if time.monotonic() - task["posted"] < self.processing_time:
            return state
        if package.file_id in self.fail:
            return {**state, "Status": "FAILED", "Message": "The file could not be produced"}
        return {
            **state,
            "Status": "COMPLETE",
            "DownloadURL": f"{self.service.url}/downloads/{task_id}.zip",
            "FileSize": len(package.zip),
        }

    def _delete(self, request, **_):
        self._authorize(request)
        task_id = request.get_json(force=True).get("TaskID")
        with self._lock:
            if self.tasks.pop(task_id, None) is None:
                raise BadRequest("Unknown TaskID")
            self.deleted.append(task_id)
        return Response(b"", 204)

    def _download(self, request, task, **_):
        from tests.service_kit import _file_response

        with self._lock:
            state = self.tasks.get(task)
        if state is None:
            return Response(b"gone", 404)
        return _file_response(request, state["package"].zip, "application/zip")


def geotiff_tiles(values, transform_origin=(4000000.0, 3000000.0), res=100.0, split=2):
    """GeoTIFF bytes of *values* (2-D, EPSG:3035) cut into *split* x *split* tiles.

    Returns ``{name: bytes}``; the merged cube must equal *values*.
    """
    import rasterio
    from rasterio.transform import from_origin

    height, width = values.shape
    rows = [(i * height // split, (i + 1) * height // split) for i in range(split)]
    cols = [(j * width // split, (j + 1) * width // split) for j in range(split)]
    tiles = {}
    for r, (r0, r1) in enumerate(rows):
        for c, (c0, c1) in enumerate(cols):
            x0 = transform_origin[0] + c0 * res
            y0 = transform_origin[1] - r0 * res
            buffer = io.BytesIO()
            with rasterio.MemoryFile() as memory:
                with memory.open(
                    driver="GTiff",
                    height=r1 - r0,
                    width=c1 - c0,
                    count=1,
                    dtype=values.dtype,
                    crs="EPSG:3035",
                    transform=from_origin(x0, y0, res, res),
                    nodata=255 if values.dtype.kind == "u" else None,
                ) as dst:
                    dst.write(values[r0:r1, c0:c1], 1)
                buffer.write(memory.read())
            tiles[f"tile_{r}_{c}.tif"] = buffer.getvalue()
    return tiles
