"""``esa-cci-kc``: ESA CCI datasets read lazily through kerchunk references.

ESA CCI indexes many of its NetCDF datasets with kerchunk and publishes the
list of those reference sets as one JSON index: a list of ``refs`` items of
the ``reference`` store, each a reference file's URL with the dataset's
descriptor (``{"ref_path": ..., "data_descriptor": {...}}``). This store is
the ``reference`` store over that index: listing, describing and searching
read the index only; opening reads a reference set, and computing reads only
the byte ranges needed from the original files.
"""

from __future__ import annotations

import copy
import functools
import json
import posixpath
import urllib.parse
from typing import Any

from ...errors import DataStoreError, DataStoreParamsError, error_text
from ...ref.store import ReferenceDataStore
from ...schema import JsonObjectSchema, JsonStringSchema
from ...store import DataStore

#: Where ESA CCI's reference sets point: the CCI archive at CEDA.
CCI_DATA_URL = "https://dap.ceda.ac.uk/neodc/esacci/"

#: The index of the CCI kerchunk reference sets, as xcube-cci publishes it.
CCI_KC_INDEX_URL = (
    "https://raw.githubusercontent.com/esa-cci/xcube-cci/main/xcube_cci/data/kc_refs.json"
)


class CciKerchunkDataStore(ReferenceDataStore):
    """The ESA CCI kerchunk store (``esa-cci-kc``), read-only.

    ``refs_url`` is the index of reference sets (by default ESA CCI's); the
    other parameters are those of the ``reference`` store, and say how to
    read the reference files (``target_options``) and the NetCDF files they
    point into (``remote_options``). A relative ``ref_path`` in the index is
    relative to the index's URL, so a mirror can copy both together.
    """

    def __init__(self, **params: Any):
        # The index is read when first needed, not here: making a store
        # (e.g. for an Intake catalog) costs no request.
        DataStore.__init__(self, **params)

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        properties = dict(super().get_data_store_params_schema().properties)
        del properties["refs"]
        if "allowed_targets" in properties:  # the reference store's confinement
            allowed = copy.copy(properties["allowed_targets"])
            allowed.default = [CCI_DATA_URL]
            allowed.description = (
                "Where referenced bytes may be read from: protocols or URL prefixes; "
                f"by default the CCI archive at CEDA ({CCI_DATA_URL}). Widen it only "
                "for reference sets you trust"
            )
            properties["allowed_targets"] = allowed
        properties["refs_url"] = JsonStringSchema(
            default=CCI_KC_INDEX_URL,
            min_length=1,
            description="URL or path of the index of reference sets: a JSON list of "
            "reference file URLs or {ref_path, data_id, data_descriptor} objects",
        )
        return JsonObjectSchema(properties=properties, additional_properties=False)

    @functools.cached_property
    def _refs(self) -> dict:
        """The index's reference sets by data ID, checked as the ``reference`` store does."""
        params = {k: v for k, v in self._params.items() if k != "refs_url"}
        try:
            return ReferenceDataStore(refs=self._read_index(), **params)._refs
        except DataStoreParamsError as error:
            raise DataStoreError(
                f"The index of reference sets {self._params['refs_url']!r} has an invalid "
                f"entry: {error}"
            ) from None

    def _read_index(self) -> list:
        import fsspec

        url = self._params["refs_url"]
        try:
            fs, path = fsspec.core.url_to_fs(url, **(self._params.get("target_options") or {}))
            index = json.loads(fs.cat_file(path))
        except FileNotFoundError:
            raise DataStoreError(
                f"The index of reference sets {url!r} was not found; check 'refs_url'"
            ) from None
        except ValueError as error:
            raise DataStoreError(
                f"The index of reference sets {url!r} is not valid JSON: {error}"
            ) from None
        except Exception as error:
            raise DataStoreError(
                f"Cannot read the index of reference sets {url!r}: {error_text(error)}; "
                "check 'refs_url' and 'target_options'"
            ) from error
        if not isinstance(index, list):
            raise DataStoreError(
                f"The index of reference sets {url!r} is not a JSON list of reference sets"
            )
        return [_absolute(item, url) for item in index]

    def collection(self, data_id: str):
        """The reference set of *data_id*, or an error naming the index (whose
        thousands of data IDs are too many to list in a message)."""
        ref = self._refs.get(data_id) if isinstance(data_id, str) else None
        if ref is None:
            raise DataStoreError(
                f"Data resource {data_id!r} is not in the index of reference sets "
                f"{self._params['refs_url']!r}; list_data_ids() gives the "
                f"{len(self._refs)} data IDs it has"
            )
        return ref

    def write_data(self, data: Any, data_id: str | None = None, **write_params: Any) -> str:
        """Always raises :class:`DataStoreError`: the store is read-only."""
        raise DataStoreError("Cannot write data: the 'esa-cci-kc' store is read-only")

    def delete_data(self, data_id: str, **delete_params: Any) -> None:
        """Always raises :class:`DataStoreError`: the store is read-only."""
        raise DataStoreError(f"Cannot delete {data_id!r}: the 'esa-cci-kc' store is read-only")


def _absolute(item: Any, index_url: str) -> Any:
    """*item* with a relative ``ref_path`` made relative to the index's location."""
    if isinstance(item, dict) and isinstance(item.get("ref_path"), str):
        return {**item, "ref_path": _absolute(item["ref_path"], index_url)}
    if not isinstance(item, str) or "://" in item or posixpath.isabs(item):
        return item
    if "://" in index_url:
        return urllib.parse.urljoin(index_url, item)
    return posixpath.join(posixpath.dirname(index_url), item)
