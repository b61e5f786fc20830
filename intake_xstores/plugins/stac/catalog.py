"""Reading a STAC catalog: a STAC API with item search, or a static catalog of JSON files.

:func:`open_catalog` reads the root document once and picks the reader: an
API that conforms to the item-search class is searched through
``pystac-client`` (paging by the ``next`` links the server returns, retried on
429/5xx as the store's retry parameters say); any other catalog is walked
link by link, the documents of one depth fetched concurrently, through our
:class:`~intake_xstores.plugins.web.WebClient` (so the ``https`` storage
options, e.g. an SSL context, apply to the catalog too).

Data IDs are item paths relative to the catalog URL:
``collections/{collection}/items/{item}`` for an API, the item file's path
(``sentinel/2023/item-1.json``) for a static catalog.
"""

from __future__ import annotations

import functools
import posixpath
import re
import threading
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ...errors import DataStoreError, error_text, param_error
from ..web import WebClient
from .query import matches_query, query_to_cql2

ItemHit = tuple[str, dict[str, Any]]

_API_ITEM = re.compile(r"^collections/(?P<collection>[^/]+)/items/(?P<item>[^/]+)$")


class UnknownItemError(DataStoreError):
    """The catalog has no item (or collection) of that data ID."""


def open_catalog(
    url: str, web: WebClient, api_options: dict[str, Any], max_workers: int
) -> StacCatalog:
    """The reader of the catalog at *url*: an API when it conforms to item search."""
    root = web.get_json(url, "the STAC catalog's root document")
    if not isinstance(root, dict) or root.get("type") not in ("Catalog", "Collection"):
        raise DataStoreError(
            f"{url} is no STAC catalog (its root document is not a Catalog or "
            "Collection); check 'url'"
        )
    conforms = [str(c) for c in root.get("conformsTo") or ()]
    if any(c.rstrip("/").endswith("/item-search") for c in conforms):
        return ApiCatalog(url, conforms, api_options)
    return StaticCatalog(url, root, web, max_workers)


class StacCatalog(ABC):
    """Items of one catalog, by data ID."""

    def __init__(self, url: str):
        self.url = url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    @property
    def name(self) -> str:
        return f"the STAC catalog at {self.url}"

    @abstractmethod
    def item(self, data_id: str) -> dict[str, Any]:
        """The item *data_id* as a STAC JSON dict; :class:`UnknownItemError` if absent."""

    @abstractmethod
    def items(self) -> Iterator[ItemHit]:
        """Every item, lazily, as ``(data_id, item)``."""

    @abstractmethod
    def search(
        self,
        bbox: list[float] | None = None,
        time_range: list[str | None] | None = None,
        collections: list[str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> Iterator[ItemHit]:
        """The items matching all criteria given, lazily, as ``(data_id, item)``."""

    @abstractmethod
    def collections(self) -> dict[str, dict[str, Any]]:
        """The catalog's collections by ID."""

    def check_collections(self, names: Iterable[str], bbox: list[float] | None) -> None:
        """Unknown collections, and a bbox outside all their extents, are errors."""
        known = self.collections()
        for name in names:
            if name not in known:
                raise param_error(
                    "collections",
                    name,
                    problem=f"no such collection in {self.name}",
                    allowed=", ".join(repr(c) for c in known) or "none",
                )
        if not bbox or not names:
            return
        extents = [e for n in names for e in _spatial_extents(known[n])]
        if extents and not any(_intersects(e, bbox) for e in extents):
            raise param_error(
                "bbox",
                bbox,
                problem=f"outside the spatial extent of the collections {list(names)}",
                allowed=f"a bbox intersecting {extents}",
            )


class ApiCatalog(StacCatalog):
    """A STAC API with item search, through ``pystac-client``."""

    def __init__(self, url: str, conforms_to: list[str], api_options: dict[str, Any]):
        super().__init__(url.rstrip("/"))
        self.conforms_to = conforms_to
        self.api_options = api_options
        self._lock = threading.Lock()
        self._collections: dict[str, dict[str, Any]] | None = None

    def __getstate__(self):
        skip = ("_lock", "client", "stac_io")
        return {k: v for k, v in self.__dict__.items() if k not in skip}

    def __setstate__(self, state):
        self.__dict__.update(state, _lock=threading.Lock())

    @functools.cached_property
    def stac_io(self):
        """pystac-client's HTTP I/O, retrying as the store's parameters say."""
        from pystac_client.stac_api_io import StacApiIO

        options = self.api_options
        return StacApiIO(
            headers=options.get("headers"),
            timeout=options.get("timeout"),
            max_retries=options.get("max_retries"),
        )

    @functools.cached_property
    def client(self):
        from pystac_client import Client

        with self._api_errors("its landing page", self.url):
            return Client.open(self.url, stac_io=self.stac_io)

    def item_url(self, data_id: str) -> str:
        collection, item = _split_api_data_id(data_id)
        quote = functools.partial(urllib.parse.quote, safe="")
        return f"{self.url}/collections/{quote(collection)}/items/{quote(item)}"

    def item(self, data_id: str) -> dict[str, Any]:
        url = self.item_url(data_id)
        collection, item_id = _split_api_data_id(data_id)
        try:
            with self._api_errors(f"item {data_id!r}", url):
                return self.stac_io.read_json(url)
        except UnknownItemError:
            if collection not in self.collections():
                known = ", ".join(repr(c) for c in self.collections()) or "none"
                raise UnknownItemError(
                    f"Data resource {data_id!r} is not in {self.name}: it has no collection "
                    f"{collection!r}; its collections are: {known}"
                ) from None
            raise UnknownItemError(
                f"Data resource {data_id!r} is not in {self.name}: collection "
                f"{collection!r} has no item {item_id!r}"
            ) from None

    def collections(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            if self._collections is None:
                with self._api_errors("its collections", f"{self.url}/collections"):
                    found = {c.id: c.to_dict() for c in self.client.get_collections()}
                self._collections = found
            return self._collections

    def items(self) -> Iterator[ItemHit]:
        return self.search()

    def search(self, bbox=None, time_range=None, collections=None, query=None):
        if collections:
            self.check_collections(collections, bbox)
        kwargs: dict[str, Any] = dict(
            bbox=bbox,
            collections=collections,
            limit=self.api_options.get("limit", 100),
        )
        if time_range:
            kwargs["datetime"] = "/".join(t or ".." for t in time_range)
        local_query = None
        if query:
            if self._conforms("query"):
                kwargs["query"] = query
            elif self._conforms("filter"):
                kwargs.update(filter=query_to_cql2(query), filter_lang="cql2-json")
            else:  # e.g. rustac: neither; the items are filtered here
                local_query = query
        return self._hits(kwargs, local_query)

    def _hits(self, kwargs: dict[str, Any], local_query: dict | None) -> Iterator[ItemHit]:
        search = self.client.search(**{k: v for k, v in kwargs.items() if v is not None})
        with self._api_errors("an item search", search.url):
            for page in search.pages_as_dicts():
                for item in page.get("features") or ():
                    if local_query and not matches_query(item.get("properties") or {}, local_query):
                        continue
                    yield f"collections/{item.get('collection')}/items/{item['id']}", item

    def _conforms(self, name: str) -> bool:
        return any(re.search(rf"/{name}(#|$)", c.rstrip("/")) for c in self.conforms_to)

    def _api_errors(self, what: str, url: str):
        return _ApiErrors(self, what, url)


class _ApiErrors:
    """Turns pystac-client's errors into :class:`DataStoreError` naming the URL."""

    def __init__(self, catalog: ApiCatalog, what: str, url: str):
        self.catalog, self.what, self.url = catalog, what, url

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None or isinstance(error, DataStoreError):
            return False
        from pystac_client.exceptions import APIError

        where = f"{self.catalog.name}: {self.what} ({self.url})"
        status = getattr(error, "status_code", None)
        if isinstance(error, APIError) and status == 404:
            raise UnknownItemError(f"Not found in {where}") from None
        if isinstance(error, APIError) and status is not None:
            raise DataStoreError(
                f"The STAC API failed to deliver {where}: HTTP {status}: {str(error)[:200]}"
            ) from None
        if isinstance(error, ValueError):  # json.JSONDecodeError included
            raise DataStoreError(
                f"The STAC API answered {where} with something that is not STAC JSON: "
                f"{error_text(error)[:200]}"
            ) from None
        if isinstance(error, Exception):
            raise DataStoreError(
                f"The STAC API failed to deliver {where}: {error_text(error)[:300]}"
            ) from None
        return False


class StaticCatalog(StacCatalog):
    """A catalog of JSON files linked by ``child`` and ``item`` links, walked concurrently."""

    def __init__(self, url: str, root: dict[str, Any], web: WebClient, max_workers: int):
        super().__init__(url)
        self.base = url.rsplit("/", 1)[0] if url.endswith(".json") else url.rstrip("/")
        self.root = root
        self.web = web
        self.max_workers = max_workers
        self._lock = threading.Lock()
        self._walked: tuple[list[ItemHit], dict[str, dict]] | None = None

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_walked")}

    def __setstate__(self, state):
        self.__dict__.update(state, _lock=threading.Lock(), _walked=None)

    def item_url(self, data_id: str) -> str:
        path = posixpath.normpath(data_id) if isinstance(data_id, str) else ""
        if (
            not path
            or path.startswith(("/", ".."))
            or "://" in data_id
            or not path.endswith(".json")
        ):
            raise UnknownItemError(
                f"Data resource {data_id!r} is not in {self.name}: its data IDs are the "
                "paths of item files (.json) relative to the catalog's folder"
            )
        return f"{self.base}/{urllib.parse.quote(path)}"

    def item(self, data_id: str) -> dict[str, Any]:
        url = self.item_url(data_id)
        try:
            item = self.web.get_json(url, f"item {data_id!r}")
        except DataStoreError as error:
            if "HTTP 404" in str(error):
                raise UnknownItemError(f"Data resource {data_id!r} is not in {self.name}") from None
            raise
        if not isinstance(item, dict) or item.get("type") != "Feature":
            raise UnknownItemError(
                f"Data resource {data_id!r} of {self.name} is no STAC item ({url})"
            )
        return item

    def items(self) -> Iterator[ItemHit]:
        return iter(self._walk()[0])

    def collections(self) -> dict[str, dict[str, Any]]:
        return self._walk()[1]

    def search(self, bbox=None, time_range=None, collections=None, query=None):
        if collections:
            self.check_collections(collections, bbox)
        for data_id, item in self.items():
            if collections and item.get("collection") not in collections:
                continue
            if bbox and not _intersects(item.get("bbox"), bbox):
                continue
            if time_range and not _overlaps(item_time_range(item), time_range):
                continue
            if query and not matches_query(item.get("properties") or {}, query):
                continue
            yield data_id, item

    def _walk(self) -> tuple[list[ItemHit], dict[str, dict]]:
        """Every item and collection, the documents of each depth fetched at once.

        Kept once complete (a failed walk keeps nothing).
        """
        with self._lock:
            if self._walked is None:
                self._walked = self._walk_afresh()
            return self._walked

    def _walk_afresh(self) -> tuple[list[ItemHit], dict[str, dict]]:
        items: list[ItemHit] = []
        collections: dict[str, dict] = {}
        seen = {self.url}
        level = [(self.url, self.root, None)]
        with ThreadPoolExecutor(self.max_workers) as pool:
            while level:
                children, item_links = [], []
                for url, doc, collection in level:
                    if doc.get("type") == "Collection":
                        collections[doc["id"]] = doc
                        collection = doc["id"]
                    for link in doc.get("links") or ():
                        href = urllib.parse.urljoin(url, str(link.get("href", "")))
                        if link.get("rel") not in ("child", "item") or href in seen:
                            continue
                        seen.add(href)
                        wanted = children if link["rel"] == "child" else item_links
                        wanted.append((href, collection))
                fetched = pool.map(self._fetch, [h for h, _ in children + item_links])
                level = []
                for (href, collection), doc in zip(children + item_links, fetched, strict=True):
                    if doc.get("type") == "Feature":
                        doc.setdefault("collection", collection)
                        items.append((self._data_id(href), doc))
                    else:
                        level.append((href, doc, collection))
        return items, collections

    def _fetch(self, url: str) -> dict[str, Any]:
        doc = self.web.get_json(url, "a document of the catalog")
        if not isinstance(doc, dict):
            raise DataStoreError(f"{url} in {self.name} is not a STAC JSON object")
        return doc

    def _data_id(self, href: str) -> str:
        prefix = self.base + "/"
        if not href.startswith(prefix):
            raise DataStoreError(
                f"The item {href} of {self.name} lies outside the catalog's folder {self.base}"
            )
        return urllib.parse.unquote(href[len(prefix) :])


def _split_api_data_id(data_id: str) -> tuple[str, str]:
    match = _API_ITEM.match(data_id) if isinstance(data_id, str) else None
    if match is None:
        raise UnknownItemError(
            f"Data resource {data_id!r} is no item of a STAC API: its data IDs read "
            "'collections/{collection}/items/{item}'"
        )
    return match["collection"], match["item"]


def item_time_range(item: dict[str, Any]) -> tuple[str | None, str | None] | None:
    """An item's (start, end) from ``start_/end_datetime``, else ``(datetime, datetime)``."""
    props = item.get("properties") or {}
    start = props.get("start_datetime") or props.get("datetime")
    end = props.get("end_datetime") or props.get("datetime")
    return (start, end) if start or end else None


def _spatial_extents(collection: dict[str, Any]) -> list[list[float]]:
    boxes = ((collection.get("extent") or {}).get("spatial") or {}).get("bbox") or []
    return [list(b[:2]) + list(b[-2:]) for b in boxes if isinstance(b, list) and len(b) >= 4]


def _intersects(bbox, query) -> bool:
    from ...store import _intersects as intersects

    return intersects(bbox, query)


def _overlaps(time_range, query) -> bool:
    from ...store import _overlaps as overlaps

    return overlaps(time_range, query)
