"""Searching a store: the :class:`DataSearcher` interface and a default."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from .assertions import assert_valid_params
from .datatype import DataTypeLike
from .descriptor import DataDescriptor
from .schema import JsonObjectSchema


class DataSearcher(ABC):
    """Something that finds data by search parameters described by a JSON Schema."""

    @classmethod
    @abstractmethod
    def get_search_params_schema(cls, data_type: DataTypeLike = None) -> JsonObjectSchema:
        """The parameters :meth:`search_data` accepts (for *data_type*)."""

    @abstractmethod
    def search_data(
        self, data_type: DataTypeLike = None, **search_params: Any
    ) -> Iterator[DataDescriptor]:
        """Yield descriptors of the data matching *search_params*."""


class DefaultSearchMixin(DataSearcher):
    """Search for stores without search parameters: every data ID of the
    data type, described. Mix in before the store class."""

    @classmethod
    def get_search_params_schema(cls, data_type: DataTypeLike = None) -> JsonObjectSchema:
        return JsonObjectSchema(additional_properties=False)

    def search_data(
        self, data_type: DataTypeLike = None, **search_params: Any
    ) -> Iterator[DataDescriptor]:
        schema = self.get_search_params_schema(data_type=data_type)
        assert_valid_params(search_params, schema=schema, name="search_params")
        for data_id in self.get_data_ids(data_type=data_type):  # type: ignore[attr-defined]
            yield self.describe_data(data_id, data_type=data_type)  # type: ignore[attr-defined]
