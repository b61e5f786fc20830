"""Item search against a STAC API with pystac-client: retried, and failures explained.

Requests go through pystac-client's ``StacApiIO`` (requests), whose urllib3
retry policy retries 429 and 5xx answers (``Retry-After`` honoured) and
failed connections, also for the POSTs of item search. Anything that still
fails, or answers with something that is not STAC JSON, becomes a
:class:`DataStoreError` naming the API and what went wrong. Search results
are paged by following the ``next`` links the server returns.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from typing import Any

from ...errors import DataStoreError, error_text
from ..stac.query import check_query, matches_query, query_to_cql2


def stac_query(query: dict[str, Any]) -> dict[str, Any]:
    """*query* checked, its shorthand ``{"platform": "sentinel-2a"}`` (equality)
    written out, in the form :mod:`..stac.query` maps onto CQL2 and evaluates."""
    full = {p: c if isinstance(c, dict) else {"eq": c} for p, c in query.items()}
    check_query(full)
    return full


class StacApi:
    """A STAC API at *url*, asked with *num_retries* retries and *page_size* items a page."""

    def __init__(
        self,
        url: str,
        *,
        page_size: int = 100,
        num_retries: int = 5,
        retry_backoff_base: float = 0.5,
        retry_backoff_max: float = 30.0,
        timeout: float = 60.0,
    ):
        self.url = url.rstrip("/")
        self.page_size = page_size
        self._retry = dict(
            total=num_retries,
            backoff_factor=retry_backoff_base,
            backoff_max=retry_backoff_max,
        )
        self.timeout = timeout
        self._client = None
        self._io = None
        self._collections: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def io(self):
        """pystac-client's HTTP client, with our retry policy."""
        if self._io is None:
            from pystac_client.stac_api_io import StacApiIO
            from urllib3.util.retry import Retry

            retry = Retry(
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=None,  # item search POSTs are safe to repeat
                respect_retry_after_header=True,
                raise_on_status=False,
                **self._retry,
            )
            self._io = StacApiIO(max_retries=retry, timeout=self.timeout)
        return self._io

    @property
    def client(self):
        """pystac-client's client of the API (its landing page read once)."""
        if self._client is None:
            from pystac_client import Client

            self._client = self._call(
                "reading the landing page", lambda: Client.open(self.url, stac_io=self.io)
            )
        return self._client

    def collection(self, collection_id: str) -> dict[str, Any]:
        """The collection's JSON document, read once; an error if the API has none of that ID."""
        with self._lock:
            document = self._collections.get(collection_id)
        if document is None:
            document = self._read_collection(collection_id)
            with self._lock:
                self._collections[collection_id] = document
        return document

    def _read_collection(self, collection_id: str) -> dict[str, Any]:
        from pystac_client.exceptions import APIError

        url = f"{self.url}/collections/{urllib.parse.quote(collection_id, safe='')}"
        try:
            document = self._call(f"reading collection {collection_id!r}", self.io.read_json, url)
        except DataStoreError as error:
            cause = error.__cause__
            if isinstance(cause, APIError) and getattr(cause, "status_code", None) == 404:
                raise DataStoreError(
                    f"The STAC API at {self.url} has no collection {collection_id!r}"
                ) from None
            raise
        if not isinstance(document, dict) or document.get("id") != collection_id:
            raise DataStoreError(
                f"The STAC API at {self.url} answered {url} with no collection document"
            )
        return document

    def search(
        self,
        collection_id: str,
        bbox: list[float],
        time_range: list[str],
        query: dict[str, Any] | None = None,
    ) -> list[Any]:
        """Every item of *collection_id* in *bbox* and *time_range* (all pages).

        *query* goes to the server as a CQL2 filter where it conforms to the
        filter extension, else as a STAC query where it conforms to that;
        else (as ``rustac serve``'s memory backend) the items are filtered here.
        """
        params: dict[str, Any] = dict(
            collections=[collection_id],
            bbox=bbox,
            datetime=f"{time_range[0]}T00:00:00Z/{time_range[1]}T23:59:59.999Z",
            limit=self.page_size,
        )
        query = stac_query(query or {})  # refuse bad operators before asking

        def run():
            client = self.client
            where = "server"
            if query and client.conforms_to("FILTER"):
                params.update(filter=query_to_cql2(query), filter_lang="cql2-json")
            elif query and client.conforms_to("QUERY"):
                params.update(query=query)
            elif query:
                where = "here"
            items = list(client.search(**params).items())
            if where == "here":
                items = [i for i in items if matches_query(i.properties, query)]
            return items

        return self._call(f"searching collection {collection_id!r}", run)

    def _call(self, what: str, fn, *args):
        import requests
        from pystac_client.exceptions import APIError

        try:
            return fn(*args)
        except APIError as error:
            status = getattr(error, "status_code", None)
            detail = f"HTTP {status}" if status else error_text(error)
            raise DataStoreError(
                f"The STAC API at {self.url} failed {what}: {detail} "
                f"(after retries); check the store's 'url'"
            ) from error
        except requests.exceptions.RequestException as error:
            raise DataStoreError(
                f"The STAC API at {self.url} failed {what}: {error_text(error)}; "
                "check the store's 'url' and that the service is reachable"
            ) from error
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise DataStoreError(
                f"The STAC API at {self.url} answered {what} with something that is not "
                f"STAC JSON ({error_text(error)})"
            ) from error
