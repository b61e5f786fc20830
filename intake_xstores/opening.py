"""How datasets open: the open parameters every dataset reader shares,
opening a Zarr store as a dataset with access logging, a cache and checked
variable metadata, and chunk reads that name the data they belong to.

Shared by the filesystem formats (``fs/formats``) and the reference store
(``ref/``), which may both import the engine but not each other.
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
import posixpath
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from zarr.storage import WrapperStore

from .errors import DataStoreError, DataStoreParamsError, error_text, param_error, shown
from .lru import LruCache
from .schema import (
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonIntegerSchema,
    JsonNullSchema,
    JsonObjectSchema,
    JsonSchema,
    JsonStringSchema,
    names_schema,
)

access_logger = logging.getLogger("intake_xstores.access")


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
    drop_variables=names_schema("Name or names of variables to drop"),
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


def _read_chunk(data_id: str, format_id: str, array: Any, index: Any, *args: Any, **kwargs: Any):
    from dask.array.core import getter

    try:
        return getter(array, index, *args, **kwargs)
    except DataStoreError:
        raise
    except Exception as error:  # a corrupt or vanished chunk: a codec's bare RuntimeError
        raise DataStoreError(
            f"Cannot read a chunk of {data_id!r} as {format_id}: {error_text(error)}"
        ) from error


def open_xarray(
    open_: Callable[..., Any], params: dict[str, Any], format_id: str, path: str
) -> Any:
    """``open_(**kwargs)`` with xarray's keyword arguments from validated *params*.

    xarray silently ignores a chunk size for a dimension the dataset lacks and
    a variable to drop that it does not have; every dataset format opens
    through here, so each such name is an error naming it and what exists.
    Variables are dropped after opening, once their names are checked. Every
    chunk read of the Dask arrays goes through a getter (a picklable partial,
    for distributed workers) whose errors name the data (see
    :func:`~intake_xstores.errors.shown`) and the format.
    """
    kwargs = {k: v for k, v in params.items() if k in DATASET_OPEN_PARAMS}
    kwargs.setdefault("chunks", {})  # lazy: Dask arrays in the stored chunking
    if kwargs["chunks"] is not None:
        name = shown(path)
        kwargs["from_array_kwargs"] = {"getitem": functools.partial(_read_chunk, name, format_id)}
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
            raise param_error(
                param,
                name,
                problem=f"the dataset has no {kind} {name!r}{hint}",
                allowed=f"its {kind}s: {', '.join(existing)}",
            )


class AccessStore(WrapperStore):
    """Wraps a zarr store to log reads (``log_access``), cache them
    (``cache_size``) and refuse a variable whose metadata is corrupt.

    zarr reads a variable's metadata only while looking for the group's
    members, and leaves out, without a word, one whose document is not an
    array's: here that is an error naming the variable, or, with
    ``skip_bad_variables``, a warning.
    """

    def __init__(
        self,
        store,
        log_access: bool = False,
        cache_size: int = 0,
        path: str = "",
        skip_bad_variables: bool = False,
    ):
        super().__init__(store)
        self.log_access = log_access
        self.cache_size = cache_size
        self.path = path
        self.skip_bad_variables = skip_bad_variables
        self._cache = LruCache(cache_size, weigh=len)

    def _with_store(self, store):
        return type(self)(
            store, self.log_access, self.cache_size, self.path, self.skip_bad_variables
        )

    async def get(self, key, prototype, byte_range=None):
        cacheable = self.cache_size and byte_range is None
        cached = self._cache.get(key) if cacheable else None
        if cached is not None:
            return cached
        start = time.perf_counter()
        value = await self._store.get(key, prototype, byte_range)
        if self.log_access:
            access_logger.info(
                "read %r (%s bytes) in %.1f ms",
                key,
                len(value) if value is not None else "no",
                1000 * (time.perf_counter() - start),
            )
        if value is not None and posixpath.basename(key) in _ARRAY_KEYS:
            value = self._checked_metadata(key, value)
        if cacheable and value is not None:
            self._cache.put(key, value)
        return value

    def _checked_metadata(self, key: str, value):
        variable = posixpath.dirname(key)
        problem = _metadata_problem(posixpath.basename(key), value.to_bytes())
        if problem is None or not variable:
            return value
        corrupt = f"corrupt metadata of variable {variable!r} ({key!r}): {problem}"
        if not self.skip_bad_variables:
            raise DataStoreError(
                f"Cannot read {shown(self.path)!r} as zarr: {corrupt}; "
                "pass skip_bad_variables=True to open it without that variable"
            )
        warnings.warn(f"Skipping, in {shown(self.path)!r}, {corrupt}", UserWarning, stacklevel=2)
        return None


# A variable's metadata document, by Zarr format, and the keys an array's has.
_ARRAY_KEYS = {".zarray": ("shape", "chunks", "dtype"), "zarr.json": ("node_type",)}


def _metadata_problem(name: str, content: bytes) -> str | None:
    try:
        document = json.loads(content)
    except ValueError as error:
        return f"not JSON ({error})"
    if not isinstance(document, dict):
        return "not a JSON object"
    required = _ARRAY_KEYS[name]
    if document.get("node_type") == "array":
        required = ("shape", "data_type")
    missing = [k for k in required if k not in document]
    return f"it lacks {', '.join(missing)}" if missing else None


def zarr_open_params_schema() -> JsonObjectSchema:
    """The parameters of :func:`open_zarr`."""
    engine = JsonStringSchema(
        min_length=1,
        default="zarr",
        description="xarray backend that reads the Zarr store (as in xcube)",
    )
    skip = JsonBooleanSchema(
        default=False,
        description="Open without a variable whose metadata is corrupt, with a "
        "warning naming it, instead of failing",
    )
    return JsonObjectSchema(
        properties=dict(ZARR_OPEN_PARAMS, engine=engine, skip_bad_variables=skip),
        additional_properties=False,
    )


def open_zarr(store, path: str, **params: Any):
    """The Zarr *store* (whose data is named *path* in messages) as a lazy
    ``xarray.Dataset``, with validated :func:`zarr_open_params_schema` *params*."""
    import xarray as xr

    store = AccessStore(
        store,
        params.get("log_access", False),
        params.get("cache_size", 0),
        path,
        params.get("skip_bad_variables", False),
    )
    consolidated = params.get("consolidated")
    engine = params.get("engine", "zarr")
    if engine != "zarr":
        return open_xarray(
            lambda **kw: xr.open_dataset(store, engine=engine, **kw), params, engine, path
        )
    return open_xarray(
        lambda **kw: xr.open_zarr(store, consolidated=consolidated, **kw), params, "zarr", path
    )
