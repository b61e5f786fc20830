"""Fake web services on 127.0.0.1 for testing stores that talk to web APIs.

A :class:`FakeService` is a real HTTP(S) server (werkzeug's threaded WSGI
server, one thread per connection) answering from a route table the test
fills in: JSON documents shaped like a recorded answer of the real service,
files the test made (served with HTTP range support), or handlers of its
own. Faults are injected per path: added latency, ``429`` with
``Retry-After``, ``5xx``, bodies cut short, or a server that ignores range
requests. Every request is logged in ``service.requests`` so a test can
assert what the client asked for (e.g. that it retried, or downloaded a
file once).

Fixtures (registered in ``tests/conftest.py``):

- ``fake_service``: a fresh plain-HTTP service per test;
- ``fake_https_service``: the same over TLS with a throw-away CA (trustme),
  for clients that insist on https; ``service.ssl_context`` and
  ``service.ca_file`` make a client trust it.

Example::

    def test_record(fake_service):
        fake_service.json("/api/records/42", {"files": [{"key": "a.nc", "size": 3}]})
        fake_service.file("/records/42/files/a.nc", b"abc")
        fake_service.fault("/records/42/files/", status=503, times=2)  # first 2 fail
        fake_service.fault("/api/", latency=0.02)  # every API call 20 ms late

        store = new_data_store("zenodo", root="42", api_url=fake_service.url)
        ...
        assert fake_service.count("GET", "/records/42/files/a.nc") == 3

Path templates use werkzeug's rule syntax (``/api/records/<rid>``); a
handler gets the werkzeug ``Request`` and the template's values and returns
a werkzeug ``Response``, or a JSON-able object. Fault paths are prefixes.
Outside pytest, ``with FakeService() as service:`` runs one (e.g. in
``benchmarks/``).
"""

from __future__ import annotations

import json as jsonlib
import mimetypes
import os
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

LOCALHOST = "127.0.0.1"

Handler = Callable[..., Any]


@dataclass
class Fault:
    """A misbehaviour applied to requests whose path starts with ``prefix``.

    ``times`` limits it to that many matching requests (``None``: all),
    which is how a test makes a service fail first and recover later.
    """

    prefix: str
    latency: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    truncate: float | None = None
    ranges: bool = True
    times: int | None = None
    hits: int = 0

    def applies(self, path: str) -> bool:
        return path.startswith(self.prefix) and (self.times is None or self.hits < self.times)


@dataclass(frozen=True)
class LoggedRequest:
    """What the service saw of one request, and what it answered."""

    method: str
    path: str
    query: str
    headers: dict = field(repr=False)
    status: int


class FakeService:
    """A fake web service on 127.0.0.1 (HTTP, or HTTPS with ``tls=True``)."""

    def __init__(self, tls: bool = False):
        self._map = Map()
        self._handlers: dict[str, Handler] = {}
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.requests: list[LoggedRequest] = []
        self.ssl_context: ssl.SSLContext | None = None
        self.ca_file: str | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-service-")
        server_context = None
        if tls:
            import trustme

            ca = trustme.CA()
            server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert(LOCALHOST, "localhost").configure_cert(server_context)
            self.ssl_context = ssl.create_default_context()
            ca.configure_trust(self.ssl_context)
            self.ca_file = os.path.join(self._tmp.name, "ca.pem")
            ca.cert_pem.write_to_path(self.ca_file)
        self._server = make_server(
            LOCALHOST,
            0,
            self._wsgi,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=server_context,
        )
        self._server.daemon_threads = True
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{LOCALHOST}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"FakeService({self.url!r}, routes={len(self._handlers)})"

    # --- route table ---------------------------------------------------------

    def route(self, template: str, handler: Handler, methods=("GET", "HEAD")) -> None:
        """Answer requests for *template* with ``handler(request, **values)``."""
        endpoint = f"{len(self._handlers)}:{template}"
        with self._lock:
            self._handlers[endpoint] = handler
            self._map.add(Rule(template, endpoint=endpoint, methods=list(methods)))

    def json(self, template: str, document: Any, status: int = 200) -> None:
        """Answer *template* with a JSON *document* (e.g. a recorded answer's shape)."""
        self.route(template, lambda request, **_: _json_response(document, status))

    def file(self, path: str, data: bytes | os.PathLike, content_type: str | None = None) -> None:
        """Serve *data* (bytes, or a file's path) at *path*, with range support."""
        content = Path(data).read_bytes() if isinstance(data, os.PathLike) else bytes(data)
        content_type = content_type or mimetypes.guess_type(path)[0] or "application/octet-stream"
        self.route(path, lambda request, **_: _file_response(request, content, content_type))

    def fault(self, prefix: str = "/", **kwargs) -> Fault:
        """Misbehave for paths starting with *prefix*; see :class:`Fault` for kwargs.

        ``latency`` (s) delays the answer; ``status`` answers with that code
        instead (``retry_after`` adds the header); ``truncate`` (a fraction)
        sends only that part of the body, announcing all of it, then closes
        the connection; ``ranges=False`` ignores ``Range`` headers.
        """
        fault = Fault(prefix, **kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests (of *method*, for *path*) the service saw."""
        return sum(
            1
            for r in list(self.requests)
            if (method is None or r.method == method) and (path is None or r.path == path)
        )

    # --- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
        self._tmp.cleanup()

    def __enter__(self) -> FakeService:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- WSGI ----------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            faults = [f for f in self._faults if f.applies(request.path)]
            for f in faults:
                f.hits += 1
        delay = sum(f.latency for f in faults)
        if delay:
            time.sleep(delay)
        response = self._answer(request, faults)
        with self._lock:
            self.requests.append(
                LoggedRequest(
                    request.method,
                    request.path,
                    request.query_string.decode(),
                    dict(request.headers),
                    response.status_code,
                )
            )
        return response(environ, start_response)

    def _answer(self, request: Request, faults: list[Fault]) -> Response:
        for f in faults:
            if f.status is not None:
                response = _json_response(
                    {"status": f.status, "message": "injected fault"}, f.status
                )
                if f.retry_after is not None:
                    response.headers["Retry-After"] = f"{f.retry_after:g}"
                return response
        if any(not f.ranges for f in faults):
            environ = dict(request.environ)
            environ.pop("HTTP_RANGE", None)
            request = Request(environ)
        try:
            with self._lock:
                endpoint, values = self._map.bind_to_environ(request.environ).match()
                handler = self._handlers[endpoint]
            result = handler(request, **values)
        except HTTPException as error:
            return _json_response({"status": error.code, "message": error.description}, error.code)
        response = result if isinstance(result, Response) else _json_response(result)
        fraction = min((f.truncate for f in faults if f.truncate is not None), default=None)
        return _truncated(response, fraction) if fraction is not None else response


class _QuietHandler(WSGIRequestHandler):
    """Logs errors only: tests read ``service.requests``, not an access log."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _json_response(document: Any, status: int = 200) -> Response:
    return Response(jsonlib.dumps(document), status=status, mimetype="application/json")


def _file_response(request: Request, content: bytes, content_type: str) -> Response:
    size = len(content)
    headers = {"Accept-Ranges": "bytes"}
    if request.range is None:
        return Response(content, 200, headers, content_type=content_type)
    span = request.range.range_for_length(size)
    if span is None:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(b"", 416, headers)
    start, stop = span
    headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    return Response(content[start:stop], 206, headers, content_type=content_type)


def _truncated(response: Response, fraction: float) -> Response:
    """*response* announcing its whole length but sending only *fraction* of it."""
    body = response.get_data()
    cut = Response(body[: int(len(body) * fraction)], response.status_code, response.headers)
    cut.headers["Content-Length"] = str(len(body))
    cut.headers["Connection"] = "close"
    return cut


@pytest.fixture
def fake_service():
    """A fresh fake plain-HTTP service on 127.0.0.1 (see the module's docstring)."""
    with FakeService() as service:
        yield service


@pytest.fixture
def fake_https_service():
    """A fresh fake HTTPS service on 127.0.0.1; trust it via ``ssl_context``/``ca_file``."""
    with FakeService(tls=True) as service:
        yield service
