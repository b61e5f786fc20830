"""Signing Azure Blob hrefs with SAS tokens from a token endpoint (Planetary Computer's).

Microsoft's Planetary Computer keeps its assets in Azure Blob containers that
are readable only with a shared access signature (SAS). Its token endpoint
``{token_url}/{account}/{container}`` answers ``{"token": "<sas query>",
"msft:expiry": "<ISO time>"}``; the token, appended to an href's query,
grants reading that container until it expires.

:class:`SasTokenSigner` does what the ``planetary-computer`` package does,
but for any endpoint (a store parameter, so tests point it at a loopback
service): it asks once per container, keeps the token until shortly before
it expires, and then asks again. A failed request caches nothing. Tokens are
registered as secrets, so the logs of the libraries we drive never show them;
errors name the endpoint, never a token.
"""

from __future__ import annotations

import datetime
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import DataStoreError
from ...schema import JsonArraySchema, JsonStringSchema
from ...secrets import register_secrets
from ..web import WebClient, retry_options

#: Planetary Computer's SAS token endpoint.
PC_SAS_TOKEN_URL = "https://planetarycomputer.microsoft.com/api/sas/v1/token"

#: Host suffix of Azure Blob Storage accounts (``{account}.blob.core.windows.net``).
BLOB_HOST_SUFFIX = ".blob.core.windows.net"


def blob_endpoints_schema() -> JsonArraySchema:
    """The store parameter ``blob_endpoints`` of stores signing blob hrefs."""
    return JsonArraySchema(
        items=JsonStringSchema(pattern=r"^https?://[^/\s]+"),
        default=[],
        description="Path-style blob endpoints (http://host:port, as emulators "
        "serve /{account}/{container}/...) whose hrefs are signed too",
    )


def store_signer(
    token_url: str, params: Mapping[str, Any], storage_options: dict[str, Any] | None = None
) -> SasTokenSigner:
    """The signer of a store whose *params* hold ``blob_endpoints`` and the retry ones."""
    return SasTokenSigner(
        token_url, storage_options, blob_endpoints=params["blob_endpoints"], **retry_options(params)
    )


class SasTokenSigner:
    """Signs hrefs of Azure Blob containers with tokens from *token_url*.

    Hrefs on ``*.blob.core.windows.net`` are signed, and so are hrefs under
    one of *blob_endpoints*: path-style endpoints (``http://127.0.0.1:10000``,
    as Azurite and other emulators serve them) whose paths read
    ``/{account}/{container}/...``. Other hrefs, and hrefs that already carry
    a signature (``sig=``), are returned unchanged.

    *storage_options* are the options of fsspec's HTTP filesystem for the
    token requests (headers, ``client_kwargs``, an SSL context); those are
    retried on 429/5xx as :class:`~intake_xstores.plugins.web.WebClient`
    does. A token is renewed once fewer than *expiry_margin* seconds of it
    are left, so that reads started with it do not fail half-way.
    """

    def __init__(
        self,
        token_url: str = PC_SAS_TOKEN_URL,
        storage_options: dict[str, Any] | None = None,
        *,
        blob_endpoints: Sequence[str] = (),
        expiry_margin: float = 60.0,
        num_retries: int = 5,
        retry_backoff_base: float = 0.5,
        retry_backoff_max: float = 30.0,
    ):
        self.token_url = token_url.rstrip("/")
        self.blob_endpoints = tuple(e.rstrip("/") for e in blob_endpoints)
        self.expiry_margin = expiry_margin
        self._client = WebClient(
            "The SAS token service",
            storage_options,
            num_retries=num_retries,
            retry_backoff_base=retry_backoff_base,
            retry_backoff_max=retry_backoff_max,
        )
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SasTokenSigner({self.token_url!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        state["_tokens"] = {}  # tokens are not sent along; the receiver asks for its own
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def container_of(self, href: str) -> tuple[str, str] | None:
        """The ``(account, container)`` an href is in, or ``None`` if it is not a blob."""
        parts = urllib.parse.urlsplit(href)
        if parts.scheme not in ("http", "https"):
            return None
        host = parts.hostname or ""
        if host.endswith(BLOB_HOST_SUFFIX):
            account = host[: -len(BLOB_HOST_SUFFIX)]
            segments = parts.path.lstrip("/").split("/")
        else:
            endpoint = next((e for e in self.blob_endpoints if href.startswith(e + "/")), None)
            if endpoint is None:
                return None
            account, _, rest = href[len(endpoint) + 1 :].partition("/")
            segments = urllib.parse.urlsplit("x:/" + rest).path.lstrip("/").split("/")
        container = segments[0] if segments else ""
        return (account, container) if account and container else None

    def sign_href(self, href: str) -> str:
        """*href* with the SAS token of its container appended to its query."""
        container = self.container_of(href)
        if container is None or _is_signed(href):
            return href
        token = self.token(*container)
        separator = "&" if urllib.parse.urlsplit(href).query else "?"
        return f"{href}{separator}{token}"

    def token(self, account: str, container: str) -> str:
        """The SAS token of *container* in *account*: cached, renewed shortly before expiry."""
        key = (account, container)
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and time.time() < cached[1] - self.expiry_margin:
                return cached[0]
            token, expiry = self._fetch(account, container)
            self._tokens[key] = (token, expiry)
            return token

    def _fetch(self, account: str, container: str) -> tuple[str, float]:
        quote = urllib.parse.quote
        url = f"{self.token_url}/{quote(account, safe='')}/{quote(container, safe='')}"
        what = f"a SAS token for container {container!r} of account {account!r}"
        answer = self._client.get_json(url, what)
        token = answer.get("token") if isinstance(answer, dict) else None
        expiry = _parse_time(answer.get("msft:expiry")) if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token or expiry is None:
            raise DataStoreError(
                f"The SAS token service answered {url} for {what} without a 'token' "
                "and an ISO 'msft:expiry' time; check the store's SAS token URL"
            )
        token = token.lstrip("?")
        signature = urllib.parse.parse_qs(token).get("sig", [""])[0]
        register_secrets({"sas_token": token, "sig": signature})
        return token, expiry


def _is_signed(href: str) -> bool:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
    return "sig" in query


def _parse_time(value: Any) -> float | None:
    """Seconds since the epoch of an ISO 8601 time (``...Z`` included), or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()
