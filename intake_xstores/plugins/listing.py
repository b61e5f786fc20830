"""Listing for stores whose data IDs are a fixed set of collections, each a dataset.

Such a store (``eopf-zarr``, the ``stac_ardc`` stores) knows its data IDs
without asking a service: it names them in :attr:`CollectionListing.collection_ids`
and finds one with ``collection(data_id)``, which raises for an unknown ID.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from typing import Any

from ..datatype import DATASET_TYPE, DataTypeLike


class CollectionListing:
    """``get_data_types``, ``get_data_types_for_data``, ``get_data_ids`` and
    ``has_data`` of a :class:`~intake_xstores.store.DataStore` whose data IDs
    are its collections; it gives ``collection_ids``, ``collection`` and
    ``lists_type`` (whether a requested data type is one its datasets answer)."""

    collection_ids: Container[str]

    @classmethod
    def get_data_types(cls) -> tuple[str, ...]:
        return (DATASET_TYPE.alias,)

    def get_data_types_for_data(self, data_id: str) -> tuple[str, ...]:
        self.collection(data_id)
        return (DATASET_TYPE.alias,)

    def get_data_ids(
        self, data_type: DataTypeLike = None, include_attrs: Container[str] | bool = False
    ) -> Iterator[str | tuple[str, dict[str, Any]]]:
        if self.lists_type(data_type):
            for data_id in self.collection_ids:
                item = self._listing_item(data_id, include_attrs)
                if item is not None:
                    yield item

    def has_data(self, data_id: str, data_type: DataTypeLike = None) -> bool:
        return (
            isinstance(data_id, str)
            and data_id in self.collection_ids
            and self.lists_type(data_type)
        )
