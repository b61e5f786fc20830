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
from typing import Any

from ...errors import DataStoreError, error_text

#: STAC API ``query`` extension operators and their CQL2 equivalents.
QUERY_OPERATORS = {
    "eq": "=",
    "neq": "<>",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
    "in": "in",
}


def query_to_cql2(query: dict[str, Any]) -> dict[str, Any]:
    """A STAC ``query`` (``{"eo:cloud_cover": {"lt": 20}}``) as a CQL2-JSON ``filter``.

    Servers that implement the filter extension but not the older query
    extension (``rustac serve``, and STAC APIs built on it) then filter alike.
    """
    from ...errors import param_error

    args = []
    for prop, conditions in query.items():
        if not isinstance(conditions, dict):
            conditions = {"eq": conditions}
        for op, value in conditions.items():
            if op not in QUERY_OPERATORS:
                raise param_error(
                    "query",
                    {prop: conditions},
                    problem=f"unknown operator {op!r}",
                    allowed=", ".join(QUERY_OPERATORS),
                )
            args.append({"op": QUERY_OPERATORS[op], "args": [{"property": prop}, value]})
    return args[0] if len(args) == 1 else {"op": "and", "args": args}


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

    @property
    def client(self):
        """pystac-client's client of the API (its landing page read once)."""
        if self._client is None:
            self._client = self._call("reading the landing page", self._open)
        return self._client

    def _open(self):
        from pystac_client import Client
        from pystac_client.stac_api_io import StacApiIO
        from urllib3.util.retry import Retry

        retry = Retry(
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=None,  # item search POSTs are safe to repeat
            respect_retry_after_header=True,
            raise_on_status=False,
            **self._retry,
        )
        io = StacApiIO(max_retries=retry, timeout=self.timeout)
        return Client.open(self.url, stac_io=io)

    def collection(self, collection_id: str) -> dict[str, Any]:
        """The collection's JSON document; an error if the API has none of that ID."""
        from pystac_client.exceptions import APIError

        def get():
            return self.client.get_collection(collection_id).to_dict(transform_hrefs=False)

        try:
            return self._call(f"reading collection {collection_id!r}", get)
        except DataStoreError as error:
            if isinstance(error.__cause__, APIError) and "404" in str(error.__cause__):
                raise DataStoreError(
                    f"The STAC API at {self.url} has no collection {collection_id!r}"
                ) from None
            raise

    def search(
        self,
        collection_id: str,
        bbox: list[float],
        time_range: list[str],
        query: dict[str, Any] | None = None,
    ) -> list[Any]:
        """Every item of *collection_id* in *bbox* and *time_range* (all pages)."""
        params: dict[str, Any] = dict(
            collections=[collection_id],
            bbox=bbox,
            datetime=f"{time_range[0]}T00:00:00Z/{time_range[1]}T23:59:59.999Z",
            limit=self.page_size,
        )
        if query:
            params.update(filter=query_to_cql2(query), filter_lang="cql2-json")

        def run():
            return list(self.client.search(**params).items())

        return self._call(f"searching collection {collection_id!r}", run)

    def _call(self, what: str, fn):
        import requests
        from pystac_client.exceptions import APIError

        try:
            return fn()
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
