"""A read-only Zarr store whose chunks are computed by Python callbacks.

Stores backed by web APIs that deliver tiles or time steps (rather than
files) present their data as a dataset through :class:`GenericZarrStore`:
each array says its shape, chunking and dtype, and a ``get_data`` callback
that computes one chunk when a reader asks for it. ``xarray.open_zarr(store)``
then gives a lazy dataset: nothing is computed until a chunk is read, and
only the chunks read are computed.

The store speaks the Zarr v2 key layout (``.zgroup``, ``.zattrs``,
``.zmetadata``, ``<array>/.zarray``, ``<array>/<i>.<j>``) through zarr 3's
asynchronous store interface; callbacks run in worker threads so that a
reader fetching many chunks at once computes them concurrently.

The API follows xcube's ``xcube.core.zarrstore.GenericZarrStore``::

    def get_tile(chunk_info):
        (y, x) = chunk_info["index"]
        return fetch_tile(y, x)  # an ndarray, or encoded chunk bytes

    store = GenericZarrStore(
        GenericArray(name="band", dims=("y", "x"), shape=(1000, 1000),
                     chunks=(256, 256), dtype="uint16", fill_value=0,
                     get_data=get_tile),
        attrs={"title": "Tiles on demand"},
    )
    ds = xarray.open_zarr(store)
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import math
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from zarr.abc.store import (
    ByteRequest,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
)
from zarr.core.buffer import Buffer, BufferPrototype, default_buffer_prototype

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["GenericArray", "GenericArrayLike", "GenericZarrStore"]

_FIELDS = (
    "name",
    "dims",
    "shape",
    "dtype",
    "chunks",
    "fill_value",
    "compressor",
    "filters",
    "order",
    "attrs",
    "data",
    "get_data",
    "get_data_params",
    "on_close",
)


class GenericArray(dict):
    """The description of one array of a :class:`GenericZarrStore`.

    A dict (as in xcube) with the keys

    - ``name``, ``dims`` (required);
    - ``data``: an array-like (numpy, dask, ...) sliced chunk by chunk, or
    - ``get_data``: a callable computing one chunk, called as
      ``get_data(**get_data_params, chunk_info=..., array_info=...)``, the
      last two only if its signature names them. ``chunk_info`` is
      ``{"index": (i, j, ...), "shape": (...), "slices": (slice, ...)}``;
      ``array_info`` is this dict. It returns the chunk as an ndarray (of
      the chunk's shape; edge chunks may be returned at their true, smaller
      shape and are padded with ``fill_value``) or as bytes already encoded
      with ``filters`` and ``compressor``;
    - ``shape``, ``dtype`` (required with ``get_data``), ``chunks``
      (default: one chunk), ``fill_value`` (default ``None``; padding uses
      0 then), ``compressor`` and ``filters`` (numcodecs codecs),
      ``order`` (``"C"`` or ``"F"``), ``attrs``;
    - ``on_close``: called with this dict when the store is closed.
    """

    def __init__(self, array: GenericArrayLike | None = None, **kwargs: Any):
        super().__init__(array or {}, **kwargs)

    def finalize(self) -> GenericArray:
        """A validated copy with every field filled in; raise ``ValueError`` if invalid."""
        unknown = sorted(set(self) - set(_FIELDS) - {"_wants"})
        name = self.get("name")
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise ValueError(
                f"GenericArray: name must be a non-empty string without '/', got {name!r}"
            )
        where = f"array {name!r}"
        if unknown:
            raise ValueError(f"{where}: unknown fields {unknown}; allowed are {list(_FIELDS)}")
        data, get_data = self.get("data"), self.get("get_data")
        if (data is None) == (get_data is None):
            raise ValueError(f"{where}: give exactly one of 'data' and 'get_data'")
        if get_data is not None and not callable(get_data):
            raise ValueError(f"{where}: get_data must be callable, got {get_data!r}")
        if data is not None:
            shape = tuple(data.shape)
            dtype = np.dtype(self.get("dtype") or data.dtype)
            chunks = self.get("chunks") or _chunks_of(data)
        else:
            for key in ("shape", "dtype"):
                if self.get(key) is None:
                    raise ValueError(f"{where}: {key!r} is required with get_data")
            shape = tuple(int(n) for n in self["shape"])
            dtype = np.dtype(self["dtype"])
            chunks = self.get("chunks") or shape
        dims = self.get("dims")
        if isinstance(dims, str):
            dims = (dims,)
        if dims is None or len(dims) != len(shape):
            raise ValueError(
                f"{where}: dims {dims!r} must name each of the {len(shape)} dimensions"
            )
        chunks = tuple(int(c) for c in chunks)
        if len(chunks) != len(shape) or any(c < 1 for c in chunks):
            raise ValueError(f"{where}: chunks {chunks} must be {len(shape)} positive sizes")
        if dtype.kind not in "biufcmM":
            raise ValueError(
                f"{where}: dtype {dtype} is not supported; use a numeric, bool or datetime dtype"
            )
        order = self.get("order") or "C"
        if order not in ("C", "F"):
            raise ValueError(f"{where}: order must be 'C' or 'F', got {order!r}")
        on_close = self.get("on_close")
        if on_close is not None and not callable(on_close):
            raise ValueError(f"{where}: on_close must be callable, got {on_close!r}")
        params = inspect.signature(get_data).parameters if get_data is not None else {}
        return GenericArray(
            self,
            dims=tuple(str(d) for d in dims),
            shape=shape,
            dtype=dtype.str,
            chunks=tuple(min(c, max(n, 1)) for c, n in zip(chunks, shape, strict=True)),
            fill_value=self.get("fill_value"),
            compressor=self.get("compressor"),
            filters=list(self.get("filters") or []) or None,
            order=order,
            attrs=dict(self.get("attrs") or {}),
            get_data_params=dict(self.get("get_data_params") or {}),
            _wants=tuple(k for k in ("chunk_info", "array_info") if k in params),
        )

    @property
    def num_chunks(self) -> tuple[int, ...]:
        return tuple(
            math.ceil(n / c) if n else 0 for n, c in zip(self["shape"], self["chunks"], strict=True)
        )

    def zarray(self) -> dict[str, Any]:
        """The array's Zarr v2 ``.zarray`` document."""
        return {
            "zarr_format": 2,
            "shape": list(self["shape"]),
            "chunks": list(self["chunks"]),
            "dtype": self["dtype"],
            "compressor": _codec_config(self["compressor"]),
            "filters": [_codec_config(f) for f in self["filters"]] if self["filters"] else None,
            "fill_value": _json_fill_value(self["fill_value"], np.dtype(self["dtype"])),
            "order": self["order"],
            "dimension_separator": ".",
        }

    def chunk_bytes(self, index: tuple[int, ...]) -> bytes:
        """Compute the encoded chunk at *index*."""
        shape, chunks = self["shape"], self["chunks"]
        slices = tuple(
            slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(index, chunks, shape, strict=True)
        )
        true_shape = tuple(s.stop - s.start for s in slices)
        if self.get("data") is not None:
            chunk = np.asarray(self["data"][slices])
        else:
            kwargs = dict(self["get_data_params"])
            if "chunk_info" in self["_wants"]:
                kwargs["chunk_info"] = {"index": index, "shape": true_shape, "slices": slices}
            if "array_info" in self["_wants"]:
                kwargs["array_info"] = dict(self)
            chunk = self["get_data"](**kwargs)
            if isinstance(chunk, (bytes, bytearray, memoryview)):
                return bytes(chunk)
        return self._encode(np.asarray(chunk), index, true_shape)

    def _encode(
        self, chunk: np.ndarray, index: tuple[int, ...], true_shape: tuple[int, ...]
    ) -> bytes:
        dtype, full = np.dtype(self["dtype"]), tuple(self["chunks"])
        if chunk.shape not in (true_shape, full):
            raise ValueError(
                f"array {self['name']!r}: get_data returned shape {chunk.shape} for chunk "
                f"{index}; expected {true_shape}" + (f" or {full}" if full != true_shape else "")
            )
        chunk = chunk.astype(dtype, copy=False)
        if chunk.shape != full:
            fill = self["fill_value"]
            padded = np.full(full, 0 if fill is None else fill, dtype=dtype)
            padded[tuple(slice(0, n) for n in chunk.shape)] = chunk
            chunk = padded
        data: Any = chunk.tobytes(order=self["order"])
        for codec in self["filters"] or ():
            data = codec.encode(data)
        if self["compressor"] is not None:
            data = self["compressor"].encode(data)
        return bytes(data)


GenericArrayLike = GenericArray | dict[str, Any]


class GenericZarrStore(Store):
    """A read-only Zarr store of :class:`GenericArray` s (see the module docstring).

    ``array_defaults`` fill in fields every array leaves out (e.g. a common
    ``compressor``). Arrays sharing a dimension must agree on its size.
    """

    Array = GenericArray

    def __init__(
        self,
        *arrays: GenericArrayLike,
        attrs: dict[str, Any] | None = None,
        array_defaults: GenericArrayLike | None = None,
    ):
        super().__init__(read_only=True)
        self._attrs = dict(attrs or {})
        self._array_defaults = dict(array_defaults or {})
        self._arrays: dict[str, GenericArray] = {}
        self._dim_sizes: dict[str, int] = {}
        self._metadata: dict[str, bytes] | None = None
        for array in arrays:
            self.add_array(array)

    def add_array(self, array: GenericArrayLike | None = None, **kwargs: Any) -> None:
        """Add an array given as a :class:`GenericArray`, a dict and/or keywords."""
        final = GenericArray({**self._array_defaults, **(array or {}), **kwargs}).finalize()
        name = final["name"]
        if name in self._arrays:
            raise ValueError(f"array {name!r} is already defined")
        sizes = dict(self._dim_sizes)
        for dim, size in zip(final["dims"], final["shape"], strict=True):
            known = sizes.setdefault(dim, size)
            if known != size:
                raise ValueError(
                    f"array {name!r}: dimension {dim!r} has size {size}, "
                    f"but size {known} elsewhere in this store"
                )
        self._dim_sizes = sizes
        self._arrays[name] = final
        self._metadata = None

    @property
    def arrays(self) -> dict[str, GenericArray]:
        """The arrays by name (a copy)."""
        return dict(self._arrays)

    @classmethod
    def from_dataset(
        cls, dataset: xr.Dataset, array_defaults: GenericArrayLike | None = None
    ) -> GenericZarrStore:
        """A store serving *dataset*'s variables chunk by chunk, CF-encoded.

        Dask-backed variables stay lazy: a chunk is computed when read.
        """
        import xarray as xr

        variables, attrs = xr.conventions.cf_encoder(dataset.variables, dataset.attrs)
        arrays = []
        for name, var in variables.items():
            var_attrs = dict(var.attrs)
            fill_value = var_attrs.pop("_FillValue", None)
            arrays.append(
                GenericArray(
                    name=str(name),
                    dims=tuple(str(d) for d in var.dims),
                    data=var.data,
                    attrs=var_attrs,
                    **({"fill_value": fill_value} if fill_value is not None else {}),
                )
            )
        return cls(*arrays, attrs=attrs, array_defaults=array_defaults)

    def close(self) -> None:
        """Close the store: call each array's ``on_close(array)``."""
        for array in self._arrays.values():
            if array.get("on_close") is not None:
                array["on_close"](array)
        super().close()

    def __repr__(self) -> str:
        return f"GenericZarrStore(arrays={list(self._arrays)}, dims={self._dim_sizes})"

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_metadata": None}

    # --- keys and metadata ---------------------------------------------------

    def _metadata_docs(self) -> dict[str, bytes]:
        if self._metadata is None:
            docs: dict[str, Any] = {".zgroup": {"zarr_format": 2}, ".zattrs": self._attrs}
            for name, array in self._arrays.items():
                docs[f"{name}/.zarray"] = array.zarray()
                docs[f"{name}/.zattrs"] = {
                    **array["attrs"],
                    "_ARRAY_DIMENSIONS": list(array["dims"]),
                }
            consolidated = {"zarr_consolidated_format": 1, "metadata": docs}
            self._metadata = {
                key: _json_bytes(doc) for key, doc in {**docs, ".zmetadata": consolidated}.items()
            }
        return self._metadata

    def _chunk_index(self, key: str) -> tuple[GenericArray, tuple[int, ...]] | None:
        name, _, chunk = key.partition("/")
        array = self._arrays.get(name)
        if array is None or not chunk:
            return None
        try:
            index = tuple(int(i) for i in chunk.split("."))
        except ValueError:
            return None
        counts = array.num_chunks or (1,)
        if len(index) != len(counts) or not all(
            0 <= i < n for i, n in zip(index, counts, strict=True)
        ):
            return None
        return array, index if array["shape"] else ()

    def _keys(self) -> Iterator[str]:
        yield from self._metadata_docs()
        for name, array in self._arrays.items():
            ranges = [range(n) for n in array.num_chunks] or [range(1)]
            for index in itertools.product(*ranges):
                yield f"{name}/" + ".".join(map(str, index))

    # --- zarr.abc.store.Store -------------------------------------------------

    async def get(
        self,
        key: str,
        prototype: BufferPrototype | None = None,
        byte_range: ByteRequest | None = None,
    ) -> Buffer | None:
        prototype = prototype or default_buffer_prototype()
        data = self._metadata_docs().get(key)
        if data is None:
            found = self._chunk_index(key)
            if found is None:
                return None
            array, index = found
            data = await asyncio.to_thread(array.chunk_bytes, index)
        return prototype.buffer.from_bytes(_byte_slice(data, byte_range))

    async def get_partial_values(
        self,
        prototype: BufferPrototype,
        key_ranges: Iterable[tuple[str, ByteRequest | None]],
    ) -> list[Buffer | None]:
        return await asyncio.gather(*(self.get(k, prototype, r) for k, r in key_ranges))

    async def exists(self, key: str) -> bool:
        return key in self._metadata_docs() or self._chunk_index(key) is not None

    @property
    def supports_writes(self) -> bool:
        return False

    @property
    def supports_deletes(self) -> bool:
        return False

    @property
    def supports_listing(self) -> bool:
        return True

    async def set(self, key: str, value: Buffer) -> None:
        raise PermissionError(f"GenericZarrStore is read-only: cannot write {key!r}")

    async def delete(self, key: str) -> None:
        raise PermissionError(f"GenericZarrStore is read-only: cannot delete {key!r}")

    async def list(self) -> AsyncIterator[str]:
        for key in self._keys():
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        for key in self._keys():
            if key.startswith(prefix):
                yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        prefix = prefix.rstrip("/")
        seen = set()
        for key in self._keys():
            if prefix and not key.startswith(prefix + "/"):
                continue
            child = key[len(prefix) + 1 if prefix else 0 :].split("/", 1)[0]
            if child not in seen:
                seen.add(child)
                yield child


def _chunks_of(data: Any) -> Sequence[int]:
    """The chunk sizes of a dask-like *data* (the largest per dimension), else its shape."""
    chunks = getattr(data, "chunks", None)
    if chunks and all(isinstance(c, tuple) for c in chunks):
        return tuple(max(c) if c else 1 for c in chunks)
    return tuple(data.shape)


def _codec_config(codec: Any) -> dict | None:
    return None if codec is None else codec.get_config()


def _json_fill_value(value: Any, dtype: np.dtype) -> Any:
    """*value* as Zarr v2 writes it in JSON (NaN and infinities as strings)."""
    if value is None:
        return None
    if dtype.kind in "mM":
        return int(np.asarray(value).astype(dtype).view("i8"))
    if dtype.kind == "b":
        return bool(value)
    if dtype.kind in "iu":
        return int(value)
    if dtype.kind == "c":
        value = complex(value)
        return [_json_float(value.real), _json_float(value.imag)]
    return _json_float(float(value))


def _json_float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, indent=2, sort_keys=True).encode()


def _byte_slice(data: bytes, byte_range: ByteRequest | None) -> bytes:
    if byte_range is None:
        return data
    if isinstance(byte_range, RangeByteRequest):
        return data[byte_range.start : byte_range.end]
    if isinstance(byte_range, OffsetByteRequest):
        return data[byte_range.offset :]
    if isinstance(byte_range, SuffixByteRequest):
        return data[len(data) - byte_range.suffix :]
    raise ValueError(f"Unexpected byte_range {byte_range!r}")
