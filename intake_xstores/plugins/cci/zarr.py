"""``ccizarr``: the ESA CCI Zarr archive, a bucket of Zarr cubes readable anonymously.

The store is our ``s3`` filesystem store with the archive's endpoint and
bucket as defaults, read-only. The archive publishes its data IDs in a
``data_ids.json`` file at its root (a JSON list of data IDs); when the file is
there the store lists from it, which is one request instead of a listing of
the bucket, and otherwise it lists the bucket like any ``s3`` store.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

from ...errors import DataStoreError, error_text
from ...fs.store import fs_store_class
from ...schema import JsonObjectSchema, JsonStringSchema
from ...store import DataStore

#: The archive as ESA CCI publishes it.
CCI_ZARR_ENDPOINT_URL = "https://cci-ke-o.s3-ext.jc.rl.ac.uk:443"
CCI_ZARR_ROOT = "esacci"
DATA_IDS_FILE = "data_ids.json"

S3DataStore = fs_store_class("s3")


class CciZarrDataStore(S3DataStore):
    """The ESA CCI Zarr archive (``ccizarr``): cubes such as
    ``ESACCI-BIOMASS-L4-AGB-MERGED-100m-2010-2018-fv2.0.zarr``, opened lazily.

    ``endpoint_url`` and ``root`` default to the archive of ESA CCI; point
    them at a mirror (or a test server) to read a copy. Access is anonymous
    unless ``storage_options`` says otherwise. Writing and deleting raise
    :class:`DataStoreError`.
    """

    def __init__(self, **params: Any):
        super().__init__(**params)
        options = dict(self._params.get("storage_options") or {})
        options.setdefault("anon", True)
        options["client_kwargs"] = {
            **(options.get("client_kwargs") or {}),
            "endpoint_url": self._params["endpoint_url"],
        }
        self._params["storage_options"] = options

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        properties = dict(super().get_data_store_params_schema().properties)
        del properties["read_only"]
        properties["root"] = JsonStringSchema(
            default=CCI_ZARR_ROOT, description="Bucket (and prefix) of the archive"
        )
        properties["endpoint_url"] = JsonStringSchema(
            default=CCI_ZARR_ENDPOINT_URL,
            min_length=1,
            description="S3 endpoint URL of the archive (of a mirror, if any)",
        )
        options = properties["storage_options"]
        options.description = "Further options of s3fs; access is anonymous unless 'anon' is false"
        return JsonObjectSchema(properties=properties, additional_properties=False)

    @property
    def read_only(self) -> bool:
        return True

    def _check_writable(self, operation: str) -> None:
        raise DataStoreError(f"Cannot {operation}: the 'ccizarr' store is read-only")

    def _walk(self) -> Iterator[str]:
        """The data IDs of ``data_ids.json`` when the archive has one, else a listing."""
        data_ids = self._published_data_ids()
        if data_ids is None:
            yield from super()._walk()
            return
        for data_id in data_ids:
            if self._format_id_of(data_id) and self._is_selected(data_id):
                yield data_id

    def _published_data_ids(self) -> list[str] | None:
        path = self._path(DATA_IDS_FILE)
        try:
            content = self.fs.cat_file(path)
        except FileNotFoundError:
            return None
        except Exception as error:
            raise DataStoreError(f"Cannot read {path!r}: {error_text(error)}") from error
        try:
            data_ids = json.loads(content)
        except ValueError as error:
            raise DataStoreError(f"{path!r} is not valid JSON: {error}") from None
        if isinstance(data_ids, dict):
            data_ids = data_ids.get("data_ids")
        if not isinstance(data_ids, list):
            raise DataStoreError(f"{path!r} is not a JSON list of data IDs")
        valid = []
        for data_id in data_ids:
            try:
                self._path(data_id)
            except DataStoreError as error:
                warnings.warn(f"{path!r}: skipped {data_id!r}: {error}", stacklevel=4)
                continue
            valid.append(data_id)
        return valid

    def __reduce__(self):
        return DataStore.__reduce__(self)
