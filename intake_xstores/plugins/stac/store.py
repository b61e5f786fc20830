"""``StacDataStore`` (``stac``): the items of any STAC catalog as data.

Data IDs are items (see :mod:`.catalog`); describing one reads the item's
metadata only (bbox, time range, CRS, variables from its assets and the
``raster``/``proj``/``datacube`` extensions); opening one opens its data
assets lazily through our own openers (see :mod:`.assets`) and merges them
into one dataset, or into one multi-level dataset of COG overviews or
``.levels`` pyramids.
"""

from __future__ import annotations

import functools
from collections.abc import Container, Iterator
from typing import Any

from ...datatype import DATASET_TYPE, MULTI_LEVEL_DATASET_TYPE, DataType, DataTypeLike
from ...descriptor import DatasetDescriptor
from ...errors import DataStoreError, error_text, param_error
from ...lru import LruCache
from ...opening import CHUNKS_SCHEMA
from ...schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonIntegerSchema,
    JsonObjectSchema,
    JsonStringSchema,
    count_schema,
)
from ...store import DataIdIter, DataStore
from ..web import WebClient, retry_options, retry_policy, web_store_params_schema
from .assets import EXTENSIONS, MEDIA_TYPES, DataAsset, data_assets, select_assets
from .catalog import StacCatalog, UnknownItemError, open_catalog
from .query import check_query

#: Protocols whose storage options a STAC store takes, one object each.
ASSET_PROTOCOLS = ("s3", "abfs", "https")

#: Items kept from listings and searches, so that describing or opening them
#: right after asks the catalog nothing.
ITEM_CACHE_SIZE = 10_000


def storage_options_schema(protocols=ASSET_PROTOCOLS) -> JsonObjectSchema:
    """One object of fsspec options per asset protocol, with its secrets marked."""
    from ...fs.components import get_protocol

    return JsonObjectSchema(
        properties={p: get_protocol(p).get_storage_options_schema() for p in protocols},
        additional_properties=False,
        description="Options of the filesystems assets are read from, by protocol: "
        "'s3' (s3fs; anonymous unless keys or 'anon' are given), 'abfs' (adlfs) and "
        "'https' (fsspec's HTTP; also used to read static catalogs)",
    )


class StacDataStore(DataStore):
    """The items of the STAC catalog at ``url`` (an API or a static ``catalog.json``).

    Assets are read with ``storage_options`` of their protocol. Listing pages
    through the catalog lazily; ``search_data`` maps ``bbox``, ``time_range``,
    ``collections`` and ``query`` onto the API's item search (a static catalog
    is walked, its documents fetched ``max_workers`` at a time).
    """

    #: What errors call the catalog's provider.
    provider = "STAC"

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return web_store_params_schema(
            url=JsonStringSchema(
                pattern=r"^https?://[^/\s]+",
                description="URL of the catalog: a STAC API's landing page or a "
                "static catalog's catalog.json",
            ),
            storage_options=storage_options_schema(),
            page_size=count_schema("Items asked of a STAC API per page", 100, maximum=10_000),
            max_workers=count_schema("Documents of a static catalog fetched at once", 32),
            timeout=JsonIntegerSchema(
                minimum=1, default=120, description="Seconds a request to the API may take"
            ),
            required=["url"],
        )

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._items = LruCache(ITEM_CACHE_SIZE)
        self._openers: dict[str, Any] = {}

    # --- the catalog ------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._params["url"]

    def asset_storage_options(self, protocol: str) -> dict[str, Any]:
        """The fsspec options assets of *protocol* are read with."""
        options = dict((self._params.get("storage_options") or {}).get(protocol) or {})
        if protocol == "s3" and not {"anon", "key", "secret", "profile"} & options.keys():
            options["anon"] = True  # STAC catalogs mostly point at public buckets
        return options

    @functools.cached_property
    def web(self) -> WebClient:
        return WebClient.for_store(
            f"The {self.provider} catalog", self._params, self.asset_storage_options("https")
        )

    def api_options(self) -> dict[str, Any]:
        """How pystac-client speaks to an API: headers, timeout, retries, page size."""
        p = self._params
        headers = self.asset_storage_options("https").get("headers")
        return dict(
            headers=headers,
            timeout=p["timeout"],
            max_retries=retry_policy(**retry_options(p)),
            limit=p["page_size"],
        )

    @functools.cached_property
    def catalog(self) -> StacCatalog:
        """The catalog's reader, made when first needed (one request: its root)."""
        try:
            return open_catalog(self.url, self.web, self.api_options(), self._params["max_workers"])
        except DataStoreError as error:
            raise DataStoreError(f"{error}; check 'url'") from None

    def item(self, data_id: str) -> dict[str, Any]:
        """The STAC item *data_id* (a JSON dict), from the cache of listings or the catalog."""
        item = self._items.get(data_id)
        if item is None:
            item = self.catalog.item(data_id)
            self._items.put(data_id, item)
        return item

    def item_url(self, data_id: str) -> str:
        return self.catalog.item_url(data_id)

    def data_assets(self, data_id: str, item: dict[str, Any] | None = None) -> dict[str, DataAsset]:
        """The data assets of *data_id* by key."""
        item = item if item is not None else self.item(data_id)
        return data_assets(item, self.item_url(data_id))

    # --- listing and searching ----------------------------------------------------

    @classmethod
    def get_data_types(cls) -> tuple[str, ...]:
        return (DATASET_TYPE.alias, MULTI_LEVEL_DATASET_TYPE.alias)

    def get_data_types_for_data(self, data_id: str) -> tuple[str, ...]:
        return self._types_of(self.data_assets(data_id))

    def _types_of(self, assets: dict[str, DataAsset]) -> tuple[str, ...]:
        if assets and all(a.multi_level for a in assets.values()):
            return (DATASET_TYPE.alias, MULTI_LEVEL_DATASET_TYPE.alias)
        return (DATASET_TYPE.alias,)

    def get_data_ids(
        self, data_type: DataTypeLike = None, include_attrs: Container[str] | bool = False
    ) -> DataIdIter:
        """Every item of the catalog, paged (or walked) lazily."""
        wanted = DataType.normalize(data_type)
        for data_id, item in self.catalog.items():
            self._items.put(data_id, item)
            types = self._types_of(self.data_assets(data_id, item))
            if not any(wanted.is_super_type_of(t) for t in types):
                continue
            listed = self._listing_item(data_id, include_attrs)
            if listed is not None:
                yield listed

    def has_data(self, data_id: str, data_type: DataTypeLike = None) -> bool:
        try:
            types = self.get_data_types_for_data(data_id)
        except UnknownItemError:
            return False
        wanted = DataType.normalize(data_type)
        return any(wanted.is_super_type_of(t) for t in types)

    @classmethod
    def get_search_params_schema(cls, data_type: DataTypeLike = None) -> JsonObjectSchema:
        schema = super().get_search_params_schema(data_type)
        schema.properties.update(
            collections=JsonArraySchema(
                items=JsonStringSchema(min_length=1),
                description="IDs of the collections to search",
            ),
            query=JsonObjectSchema(
                additional_properties=True,
                description="Conditions on item properties (STAC query extension), e.g. "
                '{"eo:cloud_cover": {"lt": 10}}; operators eq, neq, lt, lte, gt, gte, '
                "startsWith, endsWith, contains, in",
            ),
            max_items=JsonIntegerSchema(minimum=1, description="Most items to yield"),
        )
        return schema

    def search_data(
        self, data_type: DataTypeLike = None, **search_params: Any
    ) -> Iterator[DatasetDescriptor]:
        """Descriptors of the items matching ``bbox``, ``time_range``, ``collections``
        and ``query``, lazily, in the catalog's order."""
        if data_type is not None:
            search_params["data_type"] = DataType.normalize(data_type).alias
        params = self.get_search_params_schema().process(search_params)
        if params.get("query"):
            check_query(params["query"])
        wanted = DataType.normalize(params.pop("data_type", None))
        max_items = params.pop("max_items", None)
        if params.get("time_range"):
            params["time_range"] = whole_days(params["time_range"])
        hits = self.catalog.search(**params)
        return self._found(hits, wanted, max_items)

    def _found(self, hits, wanted: DataType, max_items: int | None) -> Iterator[DatasetDescriptor]:
        count = 0
        for data_id, item in hits:
            self._items.put(data_id, item)
            assets = self.data_assets(data_id, item)
            if not any(wanted.is_super_type_of(t) for t in self._types_of(assets)):
                continue
            yield self._describe(data_id, item, assets, None)
            count += 1
            if max_items is not None and count >= max_items:
                return

    # --- describing -------------------------------------------------------------

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DatasetDescriptor:
        """The item's bbox, time range, CRS and variables, from its metadata only."""
        item = self.item(data_id)
        return self._describe(data_id, item, self.data_assets(data_id, item), data_type)

    def _describe(self, data_id, item, assets, data_type) -> DatasetDescriptor:
        from .describe import describe_item

        data_type = self._checked_type(data_id, assets, data_type)
        return describe_item(
            data_id,
            item,
            assets,
            data_type,
            lambda: self._open_schema(data_id, assets, data_type),
        )

    def _checked_type(self, data_id: str, assets, data_type: DataTypeLike) -> str:
        types = self._types_of(assets)
        if data_type is None:
            return types[0]
        alias = DataType.normalize(data_type).alias
        if alias not in types:
            raise param_error(
                "data_type",
                alias,
                problem=f"item {data_id!r} opens as {' or '.join(map(repr, types))} "
                "(multi-level only when all its data assets are COGs or .levels)",
            )
        return alias

    # --- opening ------------------------------------------------------------------

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        wanted = DataType.normalize(data_type)
        if data_id is None:
            formats = sorted(set(MEDIA_TYPES.values()) | set(EXTENSIONS.values()))
            types = self.get_data_types()
            return tuple(
                f"{t}:{f}:{p}"
                for t in types
                if wanted.is_super_type_of(t)
                for f in formats
                for p in ASSET_PROTOCOLS
                if t == DATASET_TYPE.alias or f in ("geotiff", "levels")
            )
        assets = self.data_assets(data_id)
        types = [t for t in self._types_of(assets) if wanted.is_super_type_of(t)]
        return tuple(dict.fromkeys(a.opener_id(t) for t in types for a in assets.values()))

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        if data_id is None:
            return self._open_schema(None, {}, None)
        assets = self.data_assets(data_id)
        return self._open_schema(data_id, assets, opener_id.split(":")[0] if opener_id else None)

    def _open_schema(self, data_id, assets, data_type) -> JsonObjectSchema:
        types = list(self._types_of(assets)) if data_id else list(self.get_data_types())
        names = list(assets) or None
        return JsonObjectSchema(
            properties=dict(
                data_type=JsonStringSchema(
                    enum=types,
                    default=data_type or types[0],
                    description="Open as a dataset, or as a multi-level dataset of the "
                    "COGs' overviews or .levels pyramids",
                ),
                asset_names=JsonArraySchema(
                    items=JsonStringSchema(enum=names),
                    unique_items=True,
                    min_items=1,
                    description="Data assets to open (default: all); each becomes "
                    "variables of the dataset",
                ),
                apply_scaling=JsonBooleanSchema(
                    default=False,
                    description="Mask 'nodata' and apply 'scale'/'offset' of the assets' "
                    "raster:bands",
                ),
                chunks=CHUNKS_SCHEMA,
            ),
            additional_properties=False,
        )

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """The item's data assets as one lazy dataset (or multi-level dataset).

        ``asset_names`` picks assets; ``apply_scaling`` applies the
        ``raster:bands`` nodata/scale/offset; ``data_type="mldataset"`` gives
        the COG overviews (or ``.levels``) as levels.
        """
        item = self.item(data_id)
        assets = self.data_assets(data_id, item)
        if opener_id is not None:
            allowed = self.get_data_opener_ids(data_id)
            if opener_id not in allowed:
                raise param_error("opener_id", opener_id, allowed=", ".join(map(repr, allowed)))
            open_params.setdefault("data_type", opener_id.split(":")[0])
        if "data_type" in open_params:
            open_params["data_type"] = self._checked_type(data_id, assets, open_params["data_type"])
        params = self._open_schema(data_id, assets, None).process(open_params)
        chosen = select_assets(assets, params.get("asset_names"), data_id)
        from .opening import open_assets

        return open_assets(self, data_id, item, chosen, params)

    def opener(self, opener_id: str):
        """Our opener *opener_id* with the storage options of its protocol, made once."""
        from ...accessor import new_data_opener

        opener = self._openers.get(opener_id)
        if opener is None:
            protocol = opener_id.rsplit(":", 1)[1]
            opener = new_data_opener(opener_id, **self.asset_storage_options(protocol))
            opener = self._openers.setdefault(opener_id, opener)  # atomic: one per ID
        return opener

    def asset_path(self, asset: DataAsset) -> str:
        """Where the asset is read from, on its protocol's filesystem."""
        return asset.path

    def open_asset(self, data_id: str, asset: DataAsset, data_type: str, chunks: Any):
        """One asset, through our opener of its type, format and protocol."""
        opener = self.opener(asset.opener_id(data_type))
        kwargs = {} if chunks is None and data_type != DATASET_TYPE.alias else {"chunks": chunks}
        try:
            return opener.open_data(self.asset_path(asset), **kwargs)
        except DataStoreError as error:
            raise DataStoreError(
                f"Cannot open asset {asset.name!r} of {data_id!r} ({asset.path}): {error}"
            ) from None
        except Exception as error:
            raise DataStoreError(
                f"Cannot open asset {asset.name!r} of {data_id!r} ({asset.path}): "
                f"{error_text(error)}"
            ) from error

    def __reduce__(self):
        return DataStore.__reduce__(self)


def whole_days(time_range: list) -> list[str | None]:
    """*time_range* as ISO texts, a stop given as a date meaning the end of that day
    (so API and static catalogs both find the items of the last day)."""
    start, stop = (None if t is None else str(t) for t in time_range)
    if stop is not None and len(stop) == 10:
        stop += "T23:59:59.999Z"
    return [start, stop]
