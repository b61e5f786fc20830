"""The format interface and the open parameters datasets share."""

from __future__ import annotations

import difflib
import posixpath
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

from ...descriptor import DataDescriptor, new_data_descriptor
from ...errors import DataStoreError, DataStoreParamsError
from ...schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonIntegerSchema,
    JsonNullSchema,
    JsonObjectSchema,
    JsonSchema,
    JsonStringSchema,
)


class FsFormat(ABC):
    """Reads (and maybe writes) one format on any fsspec filesystem.

    Its identity is declared once, in the registration (see ``plugin.py``),
    and handed to the constructor, so listing a store needs no format's
    imports. ``data_types[0]`` is what the format opens as by default.
    """

    def __init__(
        self,
        id: str,
        extensions: tuple[str, ...],
        data_types: tuple[str, ...],
        writable: bool = False,
        **metadata: Any,
    ):
        self.id = id
        self.extensions = tuple(extensions)
        self.data_types = tuple(data_types)
        self.writable = writable

    @abstractmethod
    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        """Parameters of :meth:`open` for *data_type*."""

    @abstractmethod
    def open(self, fs, path: str, data_type: str, **params: Any) -> Any:
        """Open *path* lazily as *data_type*."""

    def get_write_params_schema(self) -> JsonObjectSchema:
        return JsonObjectSchema(additional_properties=False)

    def write(self, data: Any, fs, path: str, **params: Any) -> None:
        raise DataStoreError(f"The {self.id} format cannot be written")

    def append(self, data: Any, fs, path: str, **params: Any) -> None:
        raise DataStoreError(f"The {self.id} format cannot be appended to")

    def describe(self, fs, path: str, data_id: str, data_type: str) -> DataDescriptor:
        """Describe *path*; by default opens it lazily and reads metadata only."""
        return new_data_descriptor(data_id, self.open(fs, path, data_type))

    def files(self, fs, path: str) -> list[str]:
        """The paths that together hold the data at *path* (e.g. a shapefile's)."""
        return [path] if fs.exists(path) else []


def is_local(fs) -> bool:
    """Whether *fs* is the local filesystem, where native paths are fastest."""
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


def sibling_files(fs, path: str, suffixes: tuple[str, ...]) -> list[str]:
    """*path* plus existing files with the same stem and one of *suffixes*."""
    stem = posixpath.splitext(path)[0]
    return [p for p in [path, *(stem + s for s in suffixes)] if fs.exists(p)]


_CHUNK_SIZE = JsonComplexSchema(
    any_of=[
        JsonIntegerSchema(minimum=1),
        JsonIntegerSchema(enum=[-1]),
        JsonStringSchema(enum=["auto"]),
    ]
)

CHUNKS_SCHEMA = JsonComplexSchema(
    any_of=[
        JsonNullSchema(),
        _CHUNK_SIZE,
        JsonObjectSchema(
            additional_properties=JsonComplexSchema(any_of=[_CHUNK_SIZE, JsonNullSchema()])
        ),
    ],
    description="Chunk sizes, as in xarray.open_dataset: {} (the default) Dask arrays in the "
    "stored chunking; null no Dask arrays; -1 one chunk per variable; 'auto' Dask's automatic "
    "sizes; an integer for every dimension; or {dimension: size, -1, 'auto' or null}",
)

DATASET_OPEN_PARAMS: dict[str, JsonSchema] = dict(
    group=JsonStringSchema(description="Group path (a.k.a. path in zarr terminology)"),
    chunks=CHUNKS_SCHEMA,
    decode_cf=JsonBooleanSchema(
        default=True,
        description="Decode variables assuming they were saved with CF conventions",
    ),
    mask_and_scale=JsonBooleanSchema(
        default=True,
        description="Replace '_FillValue' with NaN and apply scale_factor/add_offset",
    ),
    decode_times=JsonBooleanSchema(
        default=True, description="Decode CF times into datetime objects"
    ),
    decode_coords=JsonBooleanSchema(
        default=True,
        description="Decode the 'coordinates' attribute to identify coordinates",
    ),
    drop_variables=JsonComplexSchema(
        any_of=[JsonStringSchema(), JsonArraySchema(items=JsonStringSchema())],
        description="Name or names of variables to drop",
    ),
)

ZARR_OPEN_PARAMS: dict[str, JsonSchema] = dict(
    DATASET_OPEN_PARAMS,
    cache_size=JsonIntegerSchema(
        minimum=0, description="Bytes of an LRU cache in front of the Zarr store"
    ),
    consolidated=JsonBooleanSchema(
        description="Use consolidated metadata; by default used when present",
    ),
    log_access=JsonBooleanSchema(
        default=False, description="Log every store key read, with its timing"
    ),
)


def open_xarray(open_: Callable[..., Any], params: dict[str, Any]) -> Any:
    """``open_(**kwargs)`` with xarray's keyword arguments from validated *params*.

    xarray silently ignores a chunk size for a dimension the dataset lacks and
    a variable to drop that it does not have; every dataset format opens
    through here, so each such name is an error naming it and what exists.
    Variables are dropped after opening, once their names are checked.
    """
    kwargs = {k: v for k, v in params.items() if k in DATASET_OPEN_PARAMS}
    kwargs.setdefault("chunks", {})  # lazy: Dask arrays in the stored chunking
    drop = kwargs.pop("drop_variables", None)
    drop = [drop] if isinstance(drop, str) else list(drop or ())
    ds = open_(**kwargs)
    chunks = kwargs["chunks"]
    try:
        _check_names("chunks", "dimension", chunks if isinstance(chunks, dict) else {}, ds.dims)
        _check_names("drop_variables", "variable", drop, ds.variables)
    except DataStoreParamsError:
        ds.close()
        raise
    return ds.drop_vars(drop) if drop else ds


def _check_names(param: str, kind: str, names: Iterable[str], existing: Iterable[Any]) -> None:
    existing = [str(e) for e in existing]
    for name in names:
        if name not in existing:
            close = difflib.get_close_matches(name, existing, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DataStoreParamsError(
                f"Invalid value for parameter {param!r}: the dataset has no {kind} "
                f"{name!r}{hint}; its {kind}s are: {', '.join(existing)}"
            )
