"""Data types: the in-memory Python representations a store can return.

The Python type behind each data type is named by import path and resolved
only when needed, so that naming ``geodataframe`` never imports geopandas.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from .errors import DataStoreParamsError


class DataType:
    """A named in-memory representation, e.g. ``dataset`` for ``xarray.Dataset``."""

    def __init__(self, alias: str, type_path: str, aliases: tuple[str, ...] = ()):
        self.alias = alias
        self.type_path = type_path
        self.aliases = (alias, *aliases)

    @property
    def dtype(self) -> type:
        """The Python class this data type stands for (imported on first use)."""
        module, _, name = self.type_path.rpartition(".")
        return getattr(importlib.import_module(module), name)

    def is_instance(self, obj: Any) -> bool:
        if self is ANY_TYPE:
            return True
        # No instance can exist before its class's module was imported, and
        # checking this first keeps geopandas unimported for xarray data.
        if self.type_path.rpartition(".")[0] not in sys.modules:
            return False
        return isinstance(obj, self.dtype)

    def is_super_type_of(self, other: DataTypeLike) -> bool:
        other = DataType.normalize(other)
        return self is ANY_TYPE or self is other

    def is_sub_type_of(self, other: DataTypeLike) -> bool:
        return DataType.normalize(other).is_super_type_of(self)

    @classmethod
    def normalize(cls, value: DataTypeLike) -> DataType:
        """Accept a ``DataType``, one of its aliases, or the Python class."""
        if isinstance(value, DataType):
            return value
        if value is None:
            return ANY_TYPE
        if isinstance(value, str):
            for data_type in _DATA_TYPES:
                if value in data_type.aliases:
                    return data_type
        elif isinstance(value, type):
            for data_type in _DATA_TYPES[1:]:
                if value is data_type.dtype:
                    return data_type
        allowed = ", ".join(repr(t.alias) for t in _DATA_TYPES)
        raise DataStoreParamsError(
            f"Invalid value for parameter 'data_type': {value!r}; allowed: one of {allowed}"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataType) and other.alias == self.alias

    def __hash__(self) -> int:
        return hash(self.alias)

    def __str__(self) -> str:
        return self.alias

    def __repr__(self) -> str:
        return f"DataType({self.alias!r})"

    def __reduce__(self):
        return DataType.normalize, (self.alias,)


DataTypeLike = str | type | DataType | None

ANY_TYPE = DataType("any", "builtins.object", ("*", "object"))
DATASET_TYPE = DataType("dataset", "xarray.Dataset", ("xarray.Dataset",))
MULTI_LEVEL_DATASET_TYPE = DataType(
    "mldataset",
    "intake_xstores.mldataset.MultiLevelDataset",
    ("MultiLevelDataset", "multi_level_dataset"),
)
GEO_DATA_FRAME_TYPE = DataType(
    "geodataframe", "geopandas.GeoDataFrame", ("geopandas.GeoDataFrame", "GeoDataFrame")
)

_DATA_TYPES = (ANY_TYPE, DATASET_TYPE, MULTI_LEVEL_DATASET_TYPE, GEO_DATA_FRAME_TYPE)


def data_type_of(obj: Any) -> DataType:
    """The data type of an in-memory object, or a clear error."""
    for data_type in _DATA_TYPES[1:]:
        if data_type.is_instance(obj):
            return data_type
    raise DataStoreParamsError(
        f"Cannot determine data type of object of type {type(obj).__name__}; "
        f"supported are: {', '.join(t.type_path for t in _DATA_TYPES[1:])}"
    )
