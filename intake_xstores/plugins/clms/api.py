"""A thin client of the CLMS API (the Plone REST API of land.copernicus.eu).

What it speaks, as the service and xcube-clms do:

- **auth**: a JWT (RS256) signed with the private key of the user's service
  key (``iss`` = ``client_id``, ``sub`` = ``user_id``, ``aud`` = ``token_uri``),
  exchanged at ``token_uri`` (grant ``urn:ietf:params:oauth:grant-type:jwt-bearer``)
  for a bearer token. Tokens are kept until shortly before they expire and
  renewed at once when the service answers 401 (a token it expired early);
- **catalogue**: ``GET {api}/@search?portal_type=DataSet&fullobjects=1``, paged
  by ``batching.next``;
- **data requests**: ``POST {api}/@datarequest_post`` (``{"Datasets": [...]}`` ->
  ``{"TaskIds": [{"TaskID": ...}]}``), ``GET {api}/@datarequest_search``
  (each task's ``Status``, ``DownloadURL``, ``FileSize``, ``Message``) and
  ``DELETE {api}/@datarequest_delete`` (``{"TaskID": ...}``).

Every call goes through one ``requests`` session whose urllib3 ``Retry``
retries 429 and 5xx answers and failed connections with exponential backoff,
honouring ``Retry-After``. Whatever fails for good is a ``DataStoreError``
naming CLMS, what was asked and why; the private key and tokens never appear
in one.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ...errors import DataStoreError, param_error
from ..web import retrying_session

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

#: Renew a token this many seconds before it expires (as xcube-clms does).
TOKEN_MARGIN = 300.0

#: Seconds a signed assertion is valid for.
ASSERTION_LIFETIME = 3600

SERVICE = "CLMS"


class ClmsApi:
    """Calls of the CLMS API at *api_url* with the service key *credentials*,
    retried as *retry* (the store's :data:`~..web.RETRY_PARAMS`) says."""

    def __init__(
        self,
        api_url: str,
        credentials: dict[str, Any] | None,
        retry: dict[str, Any] | None = None,
        timeout: float = 60.0,
    ):
        self.api_url = api_url.rstrip("/")
        self._credentials = credentials
        self._timeout = timeout
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()
        self._session = retrying_session(**(retry or {}), pool=16)

    def __repr__(self) -> str:
        return f"ClmsApi({self.api_url!r})"

    # --- the catalogue -------------------------------------------------------------

    def datasets(self) -> list[dict[str, Any]]:
        """Every dataset's metadata (``@search`` with full objects), all pages."""
        url: str | None = f"{self.api_url}/@search"
        params: dict[str, Any] | None = {
            "portal_type": "DataSet",
            "fullobjects": 1,
            "b_size": 100,
        }
        items: list[dict[str, Any]] = []
        while url:
            page = self._call("GET", url, "the dataset catalogue", params=params, auth=False)
            items.extend(i for i in page.get("items") or [] if isinstance(i, dict))
            url, params = (page.get("batching") or {}).get("next"), None
        return items

    def text(self, url: str, what: str) -> str:
        """The text at *url* (a file list the catalogue names), fetched without auth."""
        return self._call("GET", url, what, auth=False, text=True)

    # --- data requests -------------------------------------------------------------

    def post_request(self, dataset_uid: str, file_id: str, what: str) -> str:
        """Ask for the download package *file_id* of the dataset *dataset_uid*; its task ID."""
        body = {"Datasets": [{"DatasetID": dataset_uid, "FileID": file_id}]}
        answer = self._call("POST", f"{self.api_url}/@datarequest_post", what, json=body)
        try:
            return str(answer["TaskIds"][0]["TaskID"])
        except (KeyError, IndexError, TypeError):
            raise DataStoreError(
                f"{SERVICE} accepted the data request for {what} but named no task"
            ) from None

    def request_status(self, task_id: str, what: str) -> dict[str, Any]:
        """The state of data request *task_id*: ``Status``, ``DownloadURL``, ..."""
        tasks = self._call("GET", f"{self.api_url}/@datarequest_search", what)
        task = tasks.get(task_id) if isinstance(tasks, dict) else None
        if not isinstance(task, dict):
            raise DataStoreError(f"{SERVICE} no longer knows the data request for {what}")
        return task

    def delete_request(self, task_id: str, what: str) -> None:
        """Withdraw data request *task_id*."""
        self._call("DELETE", f"{self.api_url}/@datarequest_delete", what, json={"TaskID": task_id})

    # --- the machinery -------------------------------------------------------------

    def _call(
        self, method: str, url: str, what: str, auth: bool = True, text: bool = False, **kwargs: Any
    ) -> Any:
        response = self._send(method, url, what, auth, False, kwargs)
        if response.status_code == 401 and auth:  # the token expired early: renew it once
            response = self._send(method, url, what, auth, True, kwargs)
        return _answer(response, method, url, what, text)

    def _send(self, method: str, url: str, what: str, auth: bool, renew: bool, kwargs: dict):
        import requests

        headers = {"Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self._bearer(renew=renew)}"
        try:
            return self._session.request(
                method, url, headers=headers, timeout=self._timeout, **kwargs
            )
        except requests.exceptions.RetryError as error:
            raise DataStoreError(
                f"{SERVICE} failed to answer {method} {url} for {what}: "
                f"{_reason(error)} (after retries)"
            ) from None
        except requests.exceptions.RequestException as error:
            raise DataStoreError(
                f"{SERVICE} cannot be reached at {url} for {what}: {_reason(error)}; "
                "check 'api_url'"
            ) from None

    def _bearer(self, renew: bool = False) -> str:
        with self._token_lock:
            if renew or self._token is None or time.time() >= self._token[1]:
                self._token = self._new_token()
            return self._token[0]

    def _new_token(self) -> tuple[str, float]:
        credentials = self._credentials
        if not credentials:
            raise param_error(
                "credentials",
                problem=f"{SERVICE} data requests need the service key",
                allowed=(
                    "the JSON of a CLMS API service key (client_id, user_id, token_uri, "
                    "private_key)"
                ),
            )
        token_uri = credentials["token_uri"]
        answer = self._call(
            "POST",
            token_uri,
            "an access token",
            auth=False,
            data={"grant_type": JWT_GRANT, "assertion": _assertion(credentials)},
        )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise DataStoreError(f"{SERVICE} gave no access token at {token_uri}")
        lifetime = float(answer.get("expires_in") or ASSERTION_LIFETIME)
        return token, time.time() + max(lifetime - TOKEN_MARGIN, lifetime / 2)


def _assertion(credentials: dict[str, Any]) -> str:
    """The JWT that proves the service key: signed with its private key."""
    import jwt

    now = int(time.time())
    claims = {
        "iss": credentials["client_id"],
        "sub": credentials["user_id"],
        "aud": credentials["token_uri"],
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
    }
    try:
        return jwt.encode(claims, credentials["private_key"], algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError):
        raise param_error(
            "credentials",
            problem="its private_key is not a PEM RSA private key",
            allowed="the service key's private_key, '-----BEGIN PRIVATE KEY-----...'",
        ) from None


def _answer(response, method: str, url: str, what: str, text: bool = False) -> Any:
    status = response.status_code
    if status < 400 and text:
        return response.content.decode("utf-8-sig")
    if status < 400:
        if status == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise DataStoreError(
                f"{SERVICE} answered {method} {url} for {what} with something that is not JSON"
            ) from None
    detail = _message(response)
    if status in (401, 403):
        raise DataStoreError(
            f"{SERVICE} refused {method} {url} for {what}: HTTP {status}{detail}; "
            "check 'credentials' (the service key may be revoked or expired)"
        )
    if status == 404:
        raise DataStoreError(f"{SERVICE} has no {what}: {method} {url} answered HTTP 404{detail}")
    raise DataStoreError(
        f"{SERVICE} could not serve {what}: {method} {url} answered HTTP {status}{detail}"
    )


def _message(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            if isinstance(body.get(key), str):
                return f" ({body[key]})"
    return ""


def _reason(error: Exception) -> str:
    cause = error.args[0] if error.args else error
    reason = getattr(cause, "reason", None)
    return str(reason or cause)
