"""Talking to Sentinel Hub: OAuth2 tokens, retried requests, errors that explain.

Sentinel Hub's APIs take a bearer token obtained with OAuth2's client
credentials grant (``POST {oauth2_url}/token``, through requests-oauthlib).
Tokens live about an hour: the client fetches one when first needed, again
shortly before it expires, and again when a request is answered 401 (the
service may end a token early). Requests answered with 429 or a 5xx are
retried with exponential backoff, honouring ``Retry-After`` (capped at
``retry_backoff_max``), by urllib3's retry machinery. ``verify`` (a CA
bundle's path, or ``False``) is passed to every request, so a private CA is
trusted by this client alone, never process-wide.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

from ... import secrets
from ...errors import DataStoreError, error_text
from ..web import retrying_session

#: Seconds before its announced expiry that a token counts as expired.
TOKEN_MARGIN = 30.0


#: Credentials in what requests-oauthlib logs at DEBUG level (bodies, headers, answers).
_CREDENTIAL = re.compile(
    r"((?:access_token|refresh_token|id_token|client_secret)[\"']?\s*[:=]\s*[\"']?"
    r"|(?:Bearer|Basic)\s+)[^\"'&\s,}]+",
    re.IGNORECASE,
)


class _ScrubCredentials(logging.Filter):
    """Masks credentials and tokens in the log records of requests-oauthlib."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = secrets.scrub(record.getMessage())
        record.msg, record.args = _CREDENTIAL.sub(r"\1" + secrets.MASK, message), None
        return True


for _name in ("requests_oauthlib", "requests_oauthlib.oauth2_session"):
    logging.getLogger(_name).addFilter(_ScrubCredentials())


class SentinelHubClient:
    """The requests of one store to one Sentinel Hub instance (thread-safe)."""

    def __init__(
        self,
        service: str,
        client_id: str,
        client_secret: str,
        oauth2_url: str,
        verify: bool | str = True,
        num_retries: int = 5,
        retry_backoff_base: float = 0.5,
        retry_backoff_max: float = 30.0,
        max_workers: int = 8,
    ):
        self.service = service
        secrets.register_secrets({"client_secret": client_secret})  # also when from $SH_...
        self._client_id = client_id
        self._client_secret = client_secret
        self.token_url = f"{oauth2_url.rstrip('/')}/token"
        self.verify = verify
        self.session = retrying_session(
            num_retries, retry_backoff_base, retry_backoff_max, max_workers
        )
        self._token: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SentinelHubClient({self.service!r}, token_url={self.token_url!r})"

    def __getstate__(self):
        raise TypeError("SentinelHubClient is not picklable; pickle its store instead")

    # --- tokens -----------------------------------------------------------------

    def _bearer(self, stale: str | None = None) -> str:
        """A valid access token; a new one if the current one expires or is *stale*."""
        with self._lock:
            token = self._token
            if (
                token is None
                or token["access_token"] == stale
                or token.get("expires_at", float("inf")) - TOKEN_MARGIN < time.time()
            ):
                token = self._token = self._fetch_token()
            return token["access_token"]

    def _fetch_token(self) -> dict[str, Any]:
        from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
        from requests_oauthlib import OAuth2Session

        oauth = OAuth2Session(client=BackendApplicationClient(client_id=self._client_id))
        oauth.mount("https://", self.session.get_adapter("https://"))
        try:
            token = oauth.fetch_token(
                token_url=self.token_url,
                client_id=self._client_id,
                client_secret=self._client_secret,
                include_client_id=True,
                verify=self.verify,
            )
        except OAuth2Error as error:
            raise DataStoreError(
                f"{self.service} refused the credentials at {self.token_url}: "
                f"{error.description or error.error}; check 'client_id' and 'client_secret'"
            ) from None
        except Exception as error:
            raise DataStoreError(
                f"{self.service} gave no access token at {self.token_url}: {error_text(error)}"
            ) from None
        secrets.register_secrets({"token": token.get("access_token")})
        if "expires_in" in token and "expires_at" not in token:
            token["expires_at"] = time.time() + float(token["expires_in"])
        return dict(token)

    # --- requests ---------------------------------------------------------------

    def request(self, method: str, url: str, what: str, **kwargs: Any):
        """The answer to an authorised request; a :class:`DataStoreError` unless 2xx."""
        import requests

        extra_headers = kwargs.pop("headers", {})
        token = self._bearer()
        for attempt in range(2):
            headers = {**extra_headers, "Authorization": f"Bearer {token}"}
            try:
                response = self.session.request(
                    method, url, headers=headers, verify=self.verify, **kwargs
                )
            except requests.RequestException as error:
                raise DataStoreError(
                    f"{self.service} could not be reached for {what} at {url}: {error_text(error)}"
                ) from None
            if response.status_code != 401 or attempt:
                break
            token = self._bearer(stale=token)  # ended early: one more try, with a new one
        self._check(response, url, what)
        return response

    def get_json(self, url: str, what: str, **kwargs: Any) -> Any:
        return self._json(self.request("GET", url, what, **kwargs), url, what)

    def post_json(self, url: str, what: str, body: Any) -> Any:
        return self._json(self.request("POST", url, what, json=body), url, what)

    def _json(self, response, url: str, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise DataStoreError(
                f"{self.service} answered {url} for {what} with something that is not JSON"
            ) from None

    def _check(self, response, url: str, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = _error_detail(response)
        advice = {
            401: "; check 'client_id' and 'client_secret'",
            403: "; the account may lack access to this collection or have no processing "
            "units left",
            404: "; check the service URLs and the collection",
            429: f" (still after {self.session.get_adapter(url).max_retries.total} retries); "
            "lower 'max_workers' or raise 'num_retries'",
        }.get(status, "")
        raise DataStoreError(
            f"{self.service} failed {what}: {url} answered HTTP {status} "
            f"{response.reason}{': ' + detail if detail else ''}{advice}"
        )


def _error_detail(response) -> str:
    """The message of Sentinel Hub's error document ``{"error": {"message": ...}}``."""
    try:
        document = response.json()
    except ValueError:
        return response.text[:200].strip()
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("reason") or "")
    if isinstance(document, dict):
        return str(document.get("message") or document.get("description") or "")
    return ""
