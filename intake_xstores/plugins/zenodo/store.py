"""``ZenodoDataStore``: the files of one Zenodo record as data IDs.

Zenodo publishes a record's metadata at ``{api_url}/api/records/{record}``
(its ``files`` list names each file's ``key``, size and checksum) and each
file at ``{api_url}/records/{record}/files/{key}``. The data IDs are the keys
of the files this package can read:

- GeoTIFF/COG, JPEG 2000, GeoJSON, Shapefile (and Zarr, where a server
  serves one) open lazily over HTTPS, through our ``https`` store;
- a ``.zip`` or ``.tar`` holding a Zarr dataset opens lazily through fsspec's
  ``zip::``/``tar::`` chaining, reading only the parts of the archive needed;
- NetCDF files and other archives (``.tar.gz``, ``.tgz``, a zip of NetCDF
  files) are *preloaded*: :meth:`ZenodoDataStore.preload_data` downloads,
  unpacks and converts them into a cache store, and returns that store.
  Once preloaded, :meth:`open_data` opens them from the cache as well.
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from typing import Any

from ...datatype import DATASET_TYPE, DataTypeLike
from ...descriptor import DataDescriptor, DatasetDescriptor
from ...errors import DataStoreError, error_text
from ...opening import DATASET_OPEN_PARAMS, ZARR_OPEN_PARAMS
from ...schema import JsonComplexSchema, JsonIntegerSchema, JsonObjectSchema, JsonStringSchema
from ...store import new_data_store
from ..base import ApiDataStore, writable_cache_store
from ..params import cache_store_schemas, url_schema
from ..web import WebClient, web_store_params_schema
from .archive import ARCHIVE_SUFFIXES, LAZY_ARCHIVE_SUFFIXES, zarr_roots

ZENODO_API_URL = "https://zenodo.org"

#: Formats opened only after preloading (reading them over HTTP is slow).
PRELOAD_FORMATS = ("netcdf",)

#: Where preloading records, in the cache store, what it made of a file.
MANIFEST_FOLDER = ".zenodo-preloaded"


def _https_options_schema() -> JsonObjectSchema:
    from ...fs.components import get_protocol

    schema = get_protocol("https").get_storage_options_schema()
    schema.description = (
        "Options of the HTTP client (fsspec's 'https' filesystem), for API calls, "
        "downloads and lazy opening alike: headers, client_kwargs, ssl"
    )
    return schema


class ZenodoDataStore(ApiDataStore):
    """The files of the Zenodo record ``root`` (its record ID, e.g. ``"13882204"``).

    ``api_url`` is Zenodo's base URL (a mirror's or a test server's, if need
    be). Preloaded data lands in the store ``cache_store_id`` with
    ``cache_store_params`` (by default the folder ``zenodo_cache/<record>``).
    The store is read-only.
    """

    preload_params = "intake_xstores.plugins.zenodo.preload:PRELOAD_PARAMS"

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return web_store_params_schema(
            root=JsonComplexSchema(
                any_of=[
                    JsonStringSchema(pattern="^[0-9]+$"),
                    JsonIntegerSchema(minimum=1),
                ],
                description="Zenodo record ID, e.g. '8154445' (a number)",
            ),
            api_url=url_schema(ZENODO_API_URL, "Base URL of Zenodo (of a mirror, if any)"),
            **cache_store_schemas(
                "preloaded data is",
                "Parameters of the cache store; by default "
                "{root: 'zenodo_cache/<record>', max_depth: 10}",
            ),
            access_token=JsonStringSchema(
                secret=True,
                description="Zenodo personal access token, for restricted records "
                "(sent as an 'Authorization: Bearer' header)",
            ),
            storage_options=_https_options_schema(),
            required=["root"],
        )

    # --- the record -----------------------------------------------------------

    @property
    def record_id(self) -> str:
        return str(self._params["root"])

    @property
    def api_url(self) -> str:
        return self._params["api_url"].rstrip("/")

    @property
    def catalog_name(self) -> str:
        return f"Zenodo record {self.record_id!r}"

    @functools.cached_property
    def http_options(self) -> dict[str, Any]:
        """The HTTP client's options: ``storage_options``, with the access token if any."""
        options = dict(self._params.get("storage_options") or {})
        token = self._params.get("access_token")
        if token:
            options["headers"] = {**options.get("headers", {}), "Authorization": f"Bearer {token}"}
        return options

    @functools.cached_property
    def client(self) -> WebClient:
        return WebClient.for_store("Zenodo", self._params, self.http_options)

    @functools.cached_property
    def record(self) -> dict[str, Any]:
        """The record's metadata as Zenodo's records API gives it."""
        url = f"{self.api_url}/api/records/{self.record_id}"
        try:
            record = self.client.get_json(url, f"record {self.record_id!r}")
        except DataStoreError as error:
            raise DataStoreError(f"{error}; check 'root' and 'api_url'") from None
        if not isinstance(record, dict):
            raise DataStoreError(f"Zenodo answered {url} with no record")
        return record

    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        files = self.record.get("files") or []
        if isinstance(files, dict):  # the files endpoint's shape: {"entries": [...]}
            files = files.get("entries") or []
        return {
            f["key"]: f
            for f in files
            if isinstance(f, dict) and isinstance(f.get("key"), str) and self._kind(f["key"])
        }

    def file_url(self, data_id: str) -> str:
        """Where Zenodo serves the file *data_id*."""
        return f"{self._files_root}/{urllib.parse.quote(data_id)}"

    @property
    def _files_root(self) -> str:
        return f"{self.api_url}/records/{self.record_id}/files"

    @functools.cached_property
    def _files(self):
        """The record's files as our read-only ``https`` store."""
        return new_data_store("https", root=self._files_root, storage_options=self.http_options)

    def _kind(self, key: str) -> str | None:
        """``"lazy"``, ``"archive"`` or ``"preload"``; ``None`` if *key* is not data."""
        lower = key.lower()
        if lower.endswith(ARCHIVE_SUFFIXES):
            return "archive"
        format_id = self._files._format_id_of(key)
        if format_id is None:
            return None
        return "preload" if format_id in PRELOAD_FORMATS else "lazy"

    # --- the cache --------------------------------------------------------------

    @functools.cached_property
    def cache_store(self):
        """The writable filesystem store preloaded data is kept in."""
        store_id = self._params["cache_store_id"]
        params = self._params.get("cache_store_params")
        if params is None:
            params = {"root": f"zenodo_cache/{self.record_id}", "max_depth": 10}
        return writable_cache_store(store_id, params)

    def preloaded(self, data_id: str) -> list[str] | None:
        """The cache's data IDs made of *data_id* by preloading, or ``None`` if not preloaded."""
        cache = self.cache_store
        try:
            manifest = json.loads(cache.fs.cat_file(self._manifest_path(data_id)))
        except FileNotFoundError:
            return None
        except (ValueError, OSError):
            return None  # unreadable: preloading again rewrites it
        data_ids = manifest.get("data_ids") if isinstance(manifest, dict) else None
        if not isinstance(data_ids, list) or not all(cache.has_data(i) for i in data_ids):
            return None
        return data_ids

    def _manifest_path(self, data_id: str) -> str:
        return self.cache_store._path(f"{MANIFEST_FOLDER}/{data_id}.json")

    # --- data types and descriptions ------------------------------------------

    @classmethod
    def get_data_types(cls) -> tuple[str, ...]:
        from ...fs.store import fs_store_class

        return fs_store_class("https").get_data_types()

    def get_data_types_for_data(self, data_id: str) -> tuple[str, ...]:
        if self._kind(data_id) == "lazy":  # by its format: the record says it exists
            return self._files._data_types_of(self._files._format_id_of(data_id))
        return (DATASET_TYPE.alias,)

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor:
        """Describe *data_id* from metadata: the file's header when it opens lazily
        or is preloaded, otherwise what the record says of the file."""
        entry = self.entry(data_id)
        kind = self._kind(data_id)
        if kind == "lazy":
            return self._files.describe_data(data_id, data_type=data_type)
        self.checked_data_type(data_id, data_type)
        cached = self.preloaded(data_id)
        if cached and len(cached) == 1:
            descriptor = self.cache_store.describe_data(cached[0])
            descriptor.data_id = data_id
            return descriptor
        if kind == "archive" and data_id.lower().endswith(LAZY_ARCHIVE_SUFFIXES):
            try:
                from ...descriptor import describe_dataset

                dataset = self._open_archive(data_id, {})
                return DatasetDescriptor(
                    data_id,
                    **describe_dataset(dataset),
                    open_params_schema=self.get_open_data_params_schema(data_id),
                )
            except DataStoreError:
                pass  # not lazily readable: described from the record below
        return DatasetDescriptor(
            data_id,
            attrs=self._file_attrs(entry),
            open_params_schema=self.get_open_data_params_schema(data_id),
        )

    def _file_attrs(self, entry: dict[str, Any]) -> dict[str, Any]:
        metadata = self.record.get("metadata") or {}
        attrs = {
            "title": metadata.get("title"),
            "doi": metadata.get("doi") or self.record.get("doi"),
            "license": (metadata.get("license") or {}).get("id")
            if isinstance(metadata.get("license"), dict)
            else metadata.get("license"),
            "publication_date": metadata.get("publication_date"),
            "size": entry.get("size"),
            "checksum": entry.get("checksum"),
            "url": self.file_url(entry["key"]),
            "preload_required": True,
        }
        return {k: v for k, v in attrs.items() if v is not None}

    # --- opening --------------------------------------------------------------

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        if data_id is None:
            return self._files.get_data_opener_ids(data_type=data_type)
        self.entry(data_id)
        if self._kind(data_id) == "lazy":
            return self._files.get_data_opener_ids(data_id, data_type)
        if not self._is_of_type(data_id, data_type):
            return ()
        fmt = "netcdf" if self._kind(data_id) == "preload" else "zarr"
        protocol = "https" if fmt == "zarr" else self.cache_store.protocol.name
        return (f"{DATASET_TYPE.alias}:{fmt}:{protocol}",)

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        if data_id is None or self._kind(self._known(data_id)) == "lazy":
            return self._files.get_open_data_params_schema(data_id, opener_id)
        cached = self.preloaded(data_id)
        if cached and len(cached) == 1:
            return self.cache_store.get_open_data_params_schema(cached[0])
        lazy_archive = data_id.lower().endswith(LAZY_ARCHIVE_SUFFIXES)
        params = ZARR_OPEN_PARAMS if lazy_archive else DATASET_OPEN_PARAMS
        return JsonObjectSchema(properties=dict(params), additional_properties=False)

    def _known(self, data_id: str) -> str:
        self.entry(data_id)
        return data_id

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """Open *data_id* lazily; data that needs preloading opens from the cache
        store once :meth:`preload_data` has put it there."""
        kind = self._kind(data_id)
        if kind == "lazy":
            return self._files.open_data(data_id, opener_id, **open_params)
        open_params.pop("data_type", None)
        cached = self.preloaded(data_id)
        if cached is not None:
            if len(cached) != 1:
                raise DataStoreError(
                    f"{data_id!r} of {self.catalog_name} was preloaded as {len(cached)} "
                    f"datasets ({', '.join(cached)}): open them from the cache store, "
                    "which preload_data() returns"
                )
            return self.cache_store.open_data(cached[0], **open_params)
        reason = "it is NetCDF, which Zenodo serves too slowly for lazy reading"
        if kind == "archive":
            if not data_id.lower().endswith(LAZY_ARCHIVE_SUFFIXES):
                reason = "it is a compressed archive, which cannot be read in place"
            else:
                params = self.get_open_data_params_schema(data_id).process(open_params)
                try:
                    return self._open_archive(data_id, params)
                except DataStoreError as error:
                    reason = str(error)
        raise DataStoreError(
            f"Data resource {data_id!r} of {self.catalog_name} must be preloaded before "
            f"it can be opened ({reason}): store.preload_data({data_id!r}) downloads it "
            f"into the cache store ({self._params['cache_store_id']!r}), after which "
            "open_data() opens it from there"
        )

    def _open_archive(self, data_id: str, params: dict[str, Any]):
        """The one Zarr dataset inside the zip or tar *data_id*, read in place."""
        import fsspec

        from ...fs.components import get_format

        protocol = "zip" if data_id.lower().endswith(".zip") else "tar"
        try:
            fs = fsspec.filesystem(
                protocol,
                fo=self.file_url(data_id),
                target_protocol="https",
                target_options=self.http_options,
            )
            roots = zarr_roots(fs)
        except Exception as error:
            raise DataStoreError(
                f"its index cannot be read in place: {error_text(error)}"
            ) from error
        if len(roots) != 1:
            found = ", ".join(repr(r) for r in roots) if roots else "none"
            raise DataStoreError(f"it holds {len(roots)} Zarr datasets, not one ({found})")
        try:
            return get_format("zarr").open(fs, roots[0], DATASET_TYPE.alias, **params)
        except Exception as error:
            raise DataStoreError(
                f"Cannot open {roots[0]!r} in {data_id!r} of {self.catalog_name}: "
                f"{error_text(error)}"
            ) from error

    # --- preloading -----------------------------------------------------------

    def preload_data(self, *data_ids: str, **preload_params: Any):
        """Download, unpack and convert *data_ids* (by default every file that
        needs preloading) into the cache store; return the cache store, whose
        ``preload_handle`` follows the progress (and can cancel it).

        Data already preloaded is skipped unless ``force_preload=True``.
        """
        from .preload import ZenodoPreloadHandle

        monitor = preload_params.pop("monitor", None)
        params = self.get_preload_data_params_schema().process(preload_params)
        if not data_ids:
            data_ids = tuple(i for i in self.catalog if self._kind(i) != "lazy")
        for data_id in data_ids:
            self.entry(data_id)
        cache = self.cache_store
        cache.preload_handle = ZenodoPreloadHandle(self, data_ids, monitor=monitor, **params)
        return cache
