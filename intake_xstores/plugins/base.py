"""``ApiDataStore``: what stores whose data IDs come from a web service's catalogue share.

Such a store asks its service once for the catalogue (the data IDs with what
the service says of each) and answers :meth:`get_data_ids`, :meth:`has_data`
and the "unknown data ID" error from it; the service is asked again only
after :meth:`refresh`.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Container, Iterator
from typing import Any

from ..datatype import ANY_TYPE, DataType, DataTypeLike
from ..errors import DataStoreError
from ..store import DataStore


class ApiDataStore(DataStore):
    """A read-only store listing the entries of a web service's catalogue."""

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._catalog: dict[str, dict[str, Any]] | None = None
        self._catalog_lock = threading.Lock()

    @property
    @abstractmethod
    def catalog_name(self) -> str:
        """The catalogue as errors name it, e.g. ``"Zenodo record '42'"``."""

    @abstractmethod
    def fetch_catalog(self) -> dict[str, dict[str, Any]]:
        """Ask the service for its data IDs, in order, each with its metadata."""

    @property
    def catalog(self) -> dict[str, dict[str, Any]]:
        """The data IDs and their metadata, fetched once."""
        with self._catalog_lock:
            if self._catalog is None:
                self._catalog = self.fetch_catalog()
            return self._catalog

    def refresh(self) -> None:
        """Forget the catalogue, so the next call asks the service again."""
        with self._catalog_lock:
            self._catalog = None

    def entry(self, data_id: str) -> dict[str, Any]:
        """The catalogue entry of *data_id*, or an error naming the catalogue."""
        entry = self.catalog.get(data_id) if isinstance(data_id, str) else None
        if entry is None:
            known = list(self.catalog)
            shown = ", ".join(repr(i) for i in known[:10]) + (", ..." if len(known) > 10 else "")
            raise DataStoreError(
                f"Data resource {data_id!r} is not in {self.catalog_name}; "
                f"its data IDs are: {shown or 'none'}"
            )
        return entry

    def get_data_ids(
        self,
        data_type: DataTypeLike = None,
        include_attrs: Container[str] | bool = False,
    ) -> Iterator[str | tuple[str, dict[str, Any]]]:
        for data_id in self.catalog:
            if self._is_of_type(data_id, data_type):
                yield self._listing_item(data_id, include_attrs)

    def has_data(self, data_id: str, data_type: DataTypeLike = None) -> bool:
        return (
            isinstance(data_id, str)
            and data_id in self.catalog
            and self._is_of_type(data_id, data_type)
        )

    def _is_of_type(self, data_id: str, data_type: DataTypeLike) -> bool:
        data_type = DataType.normalize(data_type)
        return data_type is ANY_TYPE or data_type.alias in self.get_data_types_for_data(data_id)
