"""HTTP GETs of a web service, as plugin stores need them: retried, resumable, explained.

A :class:`WebClient` speaks through fsspec's HTTP filesystem (aiohttp), so the
``storage_options`` a user gives a store (headers, an SSL context, client
options) apply alike to its API calls, its downloads and the data it opens
lazily over HTTPS. Requests answered with 429 or a 5xx status, connections
that fail and bodies cut short are retried with exponential backoff
(``Retry-After`` is honoured); a download that breaks off resumes where it
stopped when the server supports range requests. Whatever fails for good is
a :class:`DataStoreError` naming the service, the URL and what went wrong.

Stores whose clients speak through requests (or pystac-client) retry by the
same parameters (:data:`RETRY_PARAMS`) with :func:`retry_policy` and
:func:`retrying_session`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import DataStoreError, error_text
from ..schema import JsonObjectSchema, JsonSchema, count_schema, seconds_schema

#: Statuses worth retrying: the server asks to slow down or failed for now.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

_CHUNK_SIZE = 1 << 20

#: Store parameters of the retry policy, for stores to include in their schemas.
RETRY_PARAMS: dict[str, JsonSchema] = dict(
    num_retries=count_schema(
        "Times a request is retried after a 429 or 5xx answer, "
        "a failed connection or a body cut short",
        5,
        minimum=0,
    ),
    retry_backoff_base=seconds_schema(
        "Seconds before the first retry; each next waits twice as long", 0.5
    ),
    retry_backoff_max=seconds_schema(
        "Most seconds to wait before a retry, also when the server "
        "asks for longer with Retry-After",
        30.0,
    ),
)


def web_store_params_schema(
    *, required: Sequence[str] = (), **properties: JsonSchema
) -> JsonObjectSchema:
    """The store parameters of a web-service store: its own *properties* (the
    *required* ones among them), then the retry ones (:data:`RETRY_PARAMS`),
    and no others."""
    return JsonObjectSchema(
        properties=dict(**properties, **RETRY_PARAMS),
        required=required,
        additional_properties=False,
    )


def retry_options(params: dict[str, Any]) -> dict[str, Any]:
    """The retry parameters (:data:`RETRY_PARAMS`) among a store's *params*, as
    the keyword arguments its clients take."""
    return {name: params[name] for name in RETRY_PARAMS}


def retry_policy(
    num_retries: int = 5, retry_backoff_base: float = 0.5, retry_backoff_max: float = 30.0
):
    """urllib3's ``Retry`` of the stores that speak through requests (or
    pystac-client): answers with a :data:`RETRY_STATUSES` status and failed
    connections are retried as :data:`RETRY_PARAMS` say, ``Retry-After``
    honoured up to *retry_backoff_max*, for any method (a refused POST, a
    search or a data request, was not processed); when the retries run out,
    the last answer is returned for the caller to explain."""
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        def get_retry_after(self, response):  # Retry-After, but never past the cap
            after = super().get_retry_after(response)
            return None if after is None else min(after, self.backoff_max)

    return CappedRetry(
        total=num_retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,
        backoff_factor=retry_backoff_base,
        backoff_max=retry_backoff_max,
        raise_on_status=False,
    )


def retrying_session(
    num_retries: int = 5,
    retry_backoff_base: float = 0.5,
    retry_backoff_max: float = 30.0,
    pool: int = 10,
):
    """A ``requests.Session`` retrying as :func:`retry_policy` says, with up to
    *pool* (at least 10) connections a host."""
    import requests
    from requests.adapters import HTTPAdapter

    retry = retry_policy(num_retries, retry_backoff_base, retry_backoff_max)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=max(pool, 10))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


Progress = Callable[[int, int | None], None]


class _Retry(Exception):
    """A failure worth another attempt."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class WebClient:
    """GETs of the web service *service* (a name for messages, e.g. ``"Zenodo"``)."""

    def __init__(
        self,
        service: str,
        storage_options: dict[str, Any] | None = None,
        num_retries: int = 5,
        retry_backoff_base: float = 0.5,
        retry_backoff_max: float = 30.0,
    ):
        self.service = service
        self.storage_options = dict(storage_options or {})
        self.num_retries = num_retries
        self.retry_backoff_base = retry_backoff_base
        self.retry_backoff_max = retry_backoff_max
        self._fs = None

    @classmethod
    def for_store(
        cls,
        service: str,
        params: dict[str, Any],
        storage_options: dict[str, Any] | None = None,
    ) -> WebClient:
        """The client of a store with the (validated) *params*: their retry
        parameters (:data:`RETRY_PARAMS`), and *storage_options*, by default
        the store's own parameter ``storage_options`` (if it takes one)."""
        if storage_options is None:
            storage_options = params.get("storage_options")
        return cls(service, storage_options, **retry_options(params))

    def __repr__(self) -> str:
        return f"WebClient({self.service!r}, num_retries={self.num_retries})"

    @property
    def fs(self):
        """fsspec's HTTP filesystem with the store's ``storage_options``."""
        if self._fs is None:
            import fsspec

            self._fs = fsspec.filesystem("https", **self.storage_options)
        return self._fs

    # --- the public calls (synchronous; safe from many threads) ---------------

    def get_json(self, url: str, what: str) -> Any:
        """The JSON document at *url*; *what* names it in errors ("record '42'")."""
        body = self._run(self._get(url, what, _read_body))
        try:
            return json.loads(body)
        except ValueError:
            raise DataStoreError(
                f"{self.service} answered {url} for {what} with something that is not JSON"
            ) from None

    def download(
        self,
        url: str,
        path: str,
        what: str,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
        checksum: str | None = None,
    ) -> int:
        """Download *url* into the local file *path*; return its size in bytes.

        ``progress(done, total)`` is called as bytes arrive (``total`` is
        ``None`` when the server does not say). When ``cancelled()`` becomes
        true the download stops with :class:`concurrent.futures.CancelledError`.
        A *checksum* ``"<algorithm>:<hex digest>"`` (e.g. ``"md5:..."``, as
        Zenodo gives them) is checked as the bytes arrive.
        """
        algorithm, _, expected = (checksum or "").partition(":")
        if algorithm not in hashlib.algorithms_available:
            algorithm = ""
        state = _DownloadState(path, progress, cancelled, algorithm)
        try:
            size = self._run(self._get(url, what, state.receive, state.range_header))
        finally:
            state.close()
        if algorithm and state.digest.hexdigest() != expected.lower():
            raise DataStoreError(
                f"The download of {what} from {url} is corrupt: its {algorithm} checksum "
                f"is {state.digest.hexdigest()}, {self.service} says {expected}"
            )
        return size

    # --- the machinery --------------------------------------------------------

    def _run(self, coroutine):
        from fsspec.asyn import sync

        async def run():
            return await coroutine

        return sync(self.fs.loop, run)

    async def _get(self, url: str, what: str, receive, headers: Callable[[], dict] | None = None):
        import aiohttp

        session = await self.fs.set_session()
        request_options = {k: v for k, v in self.fs.kwargs.items() if k != "headers"}
        base_headers = dict(self.fs.kwargs.get("headers") or {})
        for attempt in range(self.num_retries + 1):
            try:
                request_headers = {**base_headers, **(headers() if headers else {})}
                async with session.get(url, headers=request_headers, **request_options) as r:
                    if r.status in RETRY_STATUSES:
                        raise _Retry(
                            f"HTTP {r.status} {r.reason}",
                            _retry_after(r.headers.get("Retry-After")),
                        )
                    self._check_status(r, url, what)
                    return await receive(r)
            except _Retry as error:
                failure, retry_after = str(error), error.retry_after
            except aiohttp.ClientPayloadError:
                failure, retry_after = "the answer was cut short", None
            except aiohttp.ClientConnectionError as error:
                failure, retry_after = error_text(error), None
            except asyncio.TimeoutError:
                failure, retry_after = "the request timed out", None
            if attempt == self.num_retries:
                break
            await asyncio.sleep(self._delay(attempt, retry_after))
        tries = f"{self.num_retries + 1} attempt{'s' if self.num_retries else ''}"
        raise DataStoreError(
            f"{self.service} failed to deliver {what} from {url}: {failure} ({tries})"
        )

    def _check_status(self, response, url: str, what: str) -> None:
        status = response.status
        if status < 400:
            return
        if status == 404:
            raise DataStoreError(f"{self.service} has no {what}: {url} answered HTTP 404 Not Found")
        if status in (401, 403):
            raise DataStoreError(
                f"{self.service} refused the request for {what}: {url} answered HTTP "
                f"{status} {response.reason} (the data may be restricted, or need credentials)"
            )
        raise DataStoreError(
            f"{self.service} could not deliver {what}: {url} answered "
            f"HTTP {status} {response.reason}"
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = retry_after if retry_after is not None else self.retry_backoff_base * 2**attempt
        return min(delay, self.retry_backoff_max)


async def _read_body(response) -> bytes:
    return await response.read()


class _DownloadState:
    """The file a download writes, and how much of it has arrived, across attempts."""

    def __init__(
        self,
        path: str,
        progress: Progress | None,
        cancelled: Callable[[], bool] | None,
        algorithm: str = "",
    ):
        self.file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.algorithm = algorithm or "md5"
        self.digest = hashlib.new(self.algorithm)
        self.done = 0
        self.total: int | None = None
        self.progress = progress
        self.cancelled = cancelled

    def range_header(self) -> dict:
        return {"Range": f"bytes={self.done}-"} if self.done else {}

    async def receive(self, response) -> int:
        if self.done and response.status != 206:  # the server sent all of it again
            self.file.seek(0)
            self.file.truncate()
            self.digest = hashlib.new(self.algorithm)
            self.done = 0
        length = response.content_length
        self.total = self.done + length if length is not None else None
        import aiohttp

        try:
            async for chunk in response.content.iter_chunked(_CHUNK_SIZE):
                if self.cancelled is not None and self.cancelled():
                    raise concurrent.futures.CancelledError()
                self.file.write(chunk)
                self.digest.update(chunk)
                self.done += len(chunk)
                if self.progress is not None:
                    self.progress(self.done, self.total)
        except aiohttp.ClientPayloadError:
            if self.total is None:
                raise _Retry(f"the body was cut short after {self.done} bytes") from None
        if self.total is not None and self.done < self.total:
            raise _Retry(f"the body ended after {self.done} of {self.total} bytes")
        self.file.flush()
        return self.done

    def close(self) -> None:
        self.file.close()


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
