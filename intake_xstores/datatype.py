"""Data types: the in-memory Python representations a store can return.

As in xcube, the set is open: :meth:`DataType.register_data_type` adds one,
and :meth:`DataType.normalize` turns an alias, a fully qualified class name
or any class into a ``DataType``. The built-in types name their class by
import path and resolve it only when needed, so that naming
``geodataframe`` never imports geopandas.
"""

from __future__ import annotations

import importlib
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from .errors import DataStoreParamsError, param_error

T = TypeVar("T")


class DataIterator(Generic[T], Iterator[T], ABC):
    """Marks data a store yields item by item (e.g. dataset after dataset).

    Stores may return any iterator from ``open_data()``; this class only
    names the data types ``dsiter``, ``mldsiter`` and ``gdfiter``.
    """

    @abstractmethod
    def __next__(self) -> T:
        """The next data item."""


class DataType:
    """A Python type a store's data can be, known by aliases.

    *dtype* is the class, or (for classes in modules not imported yet) its
    import path such as ``"xarray.Dataset"``. *alias* is one alias or a list;
    the first is the primary one. The class's fully qualified name (e.g.
    ``xarray.core.dataset.Dataset``) is always an alias too.
    """

    _REGISTERED_DATA_TYPES: ClassVar[list[DataType]] = []

    def __init__(self, dtype: type | str, alias: str | Sequence[str] | None = None):
        if not isinstance(dtype, (type, str)):
            raise TypeError(f"dtype must be a class or its import path, was {type(dtype)}")
        if alias is not None and not isinstance(alias, (str, tuple, list)):
            raise TypeError(f"alias must be a str or a list of str, was {type(alias)}")
        self._dtype = dtype if isinstance(dtype, type) else None
        self._type_path = dtype if isinstance(dtype, str) else _qualified_name(dtype)
        self._explicit = [alias] if isinstance(alias, str) else list(alias or [])

    @classmethod
    def register_data_type(cls, data_type: DataType) -> None:
        """Make *data_type* known to :meth:`normalize` by its aliases."""
        if not isinstance(data_type, DataType):
            raise TypeError(f"data_type must be a DataType, was {type(data_type)}")
        cls._REGISTERED_DATA_TYPES.append(data_type)

    @property
    def dtype(self) -> type:
        """The Python class this data type stands for (imported on first use)."""
        if self._dtype is None:
            module, _, name = self._type_path.rpartition(".")
            self._dtype = getattr(importlib.import_module(module), name)
        return self._dtype

    @property
    def type_path(self) -> str:
        """The import path of the class, e.g. ``"xarray.Dataset"`` (imports nothing)."""
        return self._type_path

    @property
    def alias(self) -> str:
        """The primary alias."""
        return self._explicit[0] if self._explicit else self.qualified_name

    @property
    def aliases(self) -> tuple[str, ...]:
        """All aliases, the fully qualified class name last."""
        return (*self._explicit, self.qualified_name)

    @property
    def qualified_name(self) -> str:
        """``module.Class`` where the class is defined (imports it)."""
        return _qualified_name(self.dtype)

    def _loaded_dtype(self) -> type | None:
        """The class if its module is imported already, else ``None``."""
        if self._dtype is None and self._type_path.rpartition(".")[0] in sys.modules:
            return self.dtype
        return self._dtype

    def is_instance(self, obj: Any) -> bool:
        """Whether *obj* is of this data type (never imports a module to tell)."""
        if self._type_path == "builtins.object":
            return True
        # No instance can exist before its class's module was imported, and
        # checking this first keeps geopandas unimported for xarray data.
        dtype = self._loaded_dtype()
        return dtype is not None and isinstance(obj, dtype)

    def is_sub_type_of(self, data_type: DataTypeLike) -> bool:
        """Whether this type is *data_type* or a subclass of it."""
        return _is_subclass(self, _as_data_type(data_type))

    def is_super_type_of(self, data_type: DataTypeLike) -> bool:
        """Whether this type is *data_type* or a base class of it."""
        return _is_subclass(_as_data_type(data_type), self)

    @classmethod
    def normalize(cls, data_type: DataTypeLike) -> DataType:
        """A ``DataType`` from an alias, a fully qualified class name or a class.

        ``None`` is :data:`ANY_TYPE`; a class not registered gets a new,
        unregistered ``DataType`` (``str`` gives one aliased ``builtins.str``).
        """
        if isinstance(data_type, DataType):
            return data_type
        if data_type is None or data_type is type(None):
            return ANY_TYPE
        if isinstance(data_type, str):
            found = _find_by_name(cls._REGISTERED_DATA_TYPES, data_type)
            if found is not None:
                return found
            allowed = ", ".join(repr(t.alias) for t in cls._REGISTERED_DATA_TYPES)
            raise param_error(
                "data_type",
                data_type,
                problem="unknown data type",
                allowed=f"one of {allowed}, a fully qualified class name, or a class",
            )
        if isinstance(data_type, type):
            for registered in cls._REGISTERED_DATA_TYPES:
                if registered._loaded_dtype() is data_type:
                    return registered
            return DataType(data_type)
        raise param_error(
            "data_type",
            data_type,
            problem="not convertible into a data type",
            allowed="an alias, a fully qualified class name, or a class",
        )

    @classmethod
    def get_schema(cls):
        """The JSON Schema of a data type: its alias, made into a ``DataType``."""
        from .schema import JsonStringSchema

        return JsonStringSchema(min_length=1, factory=cls.normalize, serializer=str)

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, DataType)
            and self._type_path == other._type_path
            and self._explicit == other._explicit
        )

    def __hash__(self) -> int:
        return hash((self._type_path, tuple(self._explicit)))

    def __str__(self) -> str:
        return self.alias

    def __repr__(self) -> str:
        # As xcube: the primary alias, quoted.
        return repr(self.alias)

    def __reduce__(self):
        if self in DataType._REGISTERED_DATA_TYPES:
            return DataType.normalize, (self.alias,)
        return DataType, (self._type_path, self._explicit)


DataTypeLike = str | type | DataType | None


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _as_data_type(value: DataTypeLike) -> DataType:
    return value if isinstance(value, DataType) else DataType.normalize(value)


def _find_by_name(data_types: list[DataType], name: str) -> DataType | None:
    """The registered type with alias *name*; fully qualified names import the
    class only of types living in the package the name starts with."""
    for data_type in data_types:
        if name in data_type._explicit or name == data_type._type_path:
            return data_type
    package = name.partition(".")[0]
    for data_type in data_types:
        if data_type._type_path.partition(".")[0] == package or data_type._dtype is not None:
            try:
                if data_type.qualified_name == name:
                    return data_type
            except ImportError:
                continue
    return None


# Classes known to be unrelated, so that asking whether a dataset is a
# GeoDataFrame needs not import geopandas to answer "no".
_UNRELATED = {
    "xarray.Dataset",
    "intake_xstores.mldataset.MultiLevelDataset",
    "geopandas.GeoDataFrame",
    f"{__name__}.DataIterator",
}


def _is_subclass(sub: DataType, sup: DataType) -> bool:
    if sup._type_path == "builtins.object" or sub._type_path == sup._type_path:
        return True
    if sub._type_path in _UNRELATED and sup._type_path in _UNRELATED:
        return False
    sup_class = sup._loaded_dtype()
    if sup_class is None:
        sub_class = sub.dtype  # a subclass's module imports its base's
        sup_class = sup._loaded_dtype()
        return sup_class is not None and issubclass(sub_class, sup_class)
    return issubclass(sub.dtype, sup_class)


ANY_TYPE = DataType("builtins.object", ["any", "*", "object"])
DATASET_TYPE = DataType("xarray.Dataset", ["dataset", "xarray.Dataset"])
DATASET_ITERATOR_TYPE = DataType(DataIterator, ["dsiter", "DataIterator[xarray.Dataset]"])
MULTI_LEVEL_DATASET_TYPE = DataType(
    "intake_xstores.mldataset.MultiLevelDataset",
    [
        "mldataset",
        "MultiLevelDataset",
        "multi_level_dataset",
        "xcube.MultiLevelDataset",
        "xcube.core.mldataset.MultiLevelDataset",
    ],
)
MULTI_LEVEL_DATASET_ITERATOR_TYPE = DataType(
    DataIterator, ["mldsiter", "DataIterator[xcube.MultiLevelDataset]"]
)
GEO_DATA_FRAME_TYPE = DataType(
    "geopandas.GeoDataFrame", ["geodataframe", "geopandas.GeoDataFrame", "GeoDataFrame"]
)
GEO_DATA_FRAME_ITERATOR_TYPE = DataType(
    DataIterator, ["gdfiter", "DataIterator[geopandas.GeoDataFrame]"]
)

for _data_type in (
    ANY_TYPE,
    DATASET_TYPE,
    DATASET_ITERATOR_TYPE,
    MULTI_LEVEL_DATASET_TYPE,
    MULTI_LEVEL_DATASET_ITERATOR_TYPE,
    GEO_DATA_FRAME_TYPE,
    GEO_DATA_FRAME_ITERATOR_TYPE,
):
    DataType.register_data_type(_data_type)

_WRITABLE_TYPES = (DATASET_TYPE, MULTI_LEVEL_DATASET_TYPE, GEO_DATA_FRAME_TYPE)


def data_type_of(obj: Any) -> DataType:
    """The data type of an in-memory object a store can write, or a clear error."""
    for data_type in _WRITABLE_TYPES:
        if data_type.is_instance(obj):
            return data_type
    raise DataStoreParamsError(
        f"Cannot determine data type of object of type {type(obj).__name__}; "
        f"supported are: {', '.join(t._type_path for t in _WRITABLE_TYPES)}"
    )
