"""``ReferenceDataStore``: kerchunk reference sets as a read-only data store.

Archives of NetCDF, HDF5 or GRIB files are often indexed by kerchunk into
*reference sets*: the Zarr metadata of a dataset plus, for each chunk, the
URL, offset and length of its bytes in the original files. fsspec's
``ReferenceFileSystem`` presents such a set as a Zarr store, so a dataset
opens lazily, straight from the original files, without copying them.

A reference set is stored either as one JSON file or in kerchunk's Parquet
form (a folder with a ``.zmetadata`` file and one folder of ``refs.N.parq``
files per variable). The store reads the JSON file, or the ``.zmetadata``
file of the Parquet form, when a dataset is described or opened; listing
reads nothing.
"""

from __future__ import annotations

import json
import os
import posixpath
import urllib.parse
from collections.abc import Mapping
from typing import Any

from fsspec.implementations.reference import LazyReferenceMapper, ReferenceFileSystem

from ..datatype import ANY_TYPE, DATASET_TYPE, DataType, DataTypeLike
from ..descriptor import DataDescriptor, DatasetDescriptor
from ..errors import DataStoreError, error_text, param_error
from ..fs.protocols import COMMON_STORAGE_OPTIONS, credential_options
from ..opening import ZARR_OPEN_PARAMS, open_zarr
from ..schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonIntegerSchema,
    JsonObjectSchema,
    JsonSchema,
    JsonStringSchema,
    count_schema,
)
from ..store import CollectionListing, DataStore

STORE_ID = "reference"
OPENER_ID = f"{DATASET_TYPE.alias}:zarr:{STORE_ID}"

#: File name suffixes removed from a reference file's name to make its data ID.
REFERENCE_SUFFIXES = (".json", ".parquet", ".parq")

_PARQUET_SUFFIXES = (".parquet", ".parq", "/")


def _reference_fs_options() -> dict[str, JsonSchema]:

    options = dict(COMMON_STORAGE_OPTIONS)
    options["asynchronous"] = JsonBooleanSchema(
        description="Accepted as in xcube; the reference filesystem is always "
        "asynchronous here, as Zarr reads through it asynchronously"
    )
    return options


_REFERENCE_FS_OPTIONS = _reference_fs_options()

_REF_ITEM = JsonComplexSchema(
    one_of=[
        JsonStringSchema(min_length=1, description="Path or URL of a reference file"),
        JsonObjectSchema(
            properties=dict(
                ref_path=JsonStringSchema(
                    min_length=1,
                    description="Path or URL of a reference file (JSON) or folder (Parquet)",
                ),
                data_id=JsonStringSchema(
                    min_length=1,
                    description="Data ID of the referenced dataset; "
                    "by default the file name without .json/.parquet/.parq",
                ),
                data_descriptor=JsonObjectSchema(
                    additional_properties=True,
                    description="Descriptor returned by describe_data() instead of "
                    "one computed from the reference metadata",
                ),
            ),
            required=["ref_path"],
            additional_properties=False,
        ),
    ]
)


class ReferenceDataStore(CollectionListing, DataStore):
    """A read-only store of datasets described by kerchunk reference sets.

    Each item of the ``refs`` parameter is one dataset: a path or URL of a
    reference JSON file or Parquet folder, or an object with ``ref_path``
    and optionally ``data_id`` and ``data_descriptor``. Without a
    ``data_id``, the data ID is the file (or folder) name with a ``.json``,
    ``.parquet`` or ``.parq`` suffix removed: ``s3://bucket/refs/sst.json``
    becomes ``sst``, ``refs/sst.parq/`` becomes ``sst``. Data IDs must be
    unique.

    The reference files are read with ``target_protocol``/``target_options``
    (by default, the protocol of each path); the referenced bytes with
    ``remote_protocol``/``remote_options`` (by default, the protocol of the
    first referenced URL that has one, as fsspec does).

    Datasets open lazily through fsspec's ``ReferenceFileSystem``: opening
    reads the reference set only; computing reads only the byte ranges of
    the chunks needed. The store is read-only: :meth:`write_data` and
    :meth:`delete_data` raise :class:`DataStoreError`.
    """

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._refs: dict[str, _Ref] = {}
        for index, item in enumerate(self._params["refs"]):
            ref = _Ref.from_param(item, index)
            other = self._refs.get(ref.data_id)
            if other is not None:
                raise param_error(
                    "refs",
                    problem=f"items {other.index} ({other.path!r}) and {index} "
                    f"({ref.path!r}) both have data ID {ref.data_id!r}",
                    allowed="unique data IDs (give one with 'data_id')",
                )
            self._refs[ref.data_id] = ref

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return JsonObjectSchema(
            properties=dict(
                refs=JsonArraySchema(
                    items=_REF_ITEM,
                    description="Reference sets, one per dataset: a path or URL, or an "
                    "object {ref_path, data_id, data_descriptor}",
                ),
                target_protocol=JsonStringSchema(
                    min_length=1,
                    description="Protocol of the reference files; "
                    "by default derived from each path",
                ),
                target_options=credential_options(
                    "Options of the filesystem holding the reference files"
                ),
                remote_protocol=JsonStringSchema(
                    min_length=1,
                    description="Protocol of the filesystem holding the referenced bytes; "
                    "by default that of the first referenced URL with a protocol",
                ),
                remote_options=credential_options(
                    "Options of the filesystem holding the referenced bytes"
                ),
                max_gap=JsonIntegerSchema(
                    default=64_000,
                    description="Merge byte ranges of one file read together when at "
                    "most this many bytes apart; negative: never merge",
                ),
                max_block=count_schema("Largest size in bytes of a merged byte range", 256_000_000),
                cache_size=count_schema(
                    "Parquet record files of references kept in an LRU cache", 128
                ),
                allowed_targets=JsonArraySchema(
                    items=JsonStringSchema(min_length=1),
                    description="Where referenced bytes may be read from: protocols "
                    "('s3') or URL prefixes ('s3://bucket/data/', 'file:///archive/'); "
                    "by default the folder of each reference file and any URL of "
                    "'remote_protocol'. A reference set from an untrusted source must "
                    "not widen this: it could read any file or URL the process can reach",
                ),
                # xcube's reference store takes the options common to all
                # filesystems, for its reference filesystem.
                **_REFERENCE_FS_OPTIONS,
            ),
            required=["refs"],
            additional_properties=False,
        )

    # --- data IDs and types -------------------------------------------------

    @property
    def collection_ids(self) -> Mapping[str, _Ref]:
        """The data IDs of ``refs``, in their order: listing reads nothing
        unless attrs are asked for."""
        return self._refs

    def lists_type(self, data_type: DataTypeLike) -> bool:
        return _is_dataset_type(data_type)

    def collection(self, data_id: str) -> _Ref:
        """The reference set of *data_id*, or an error naming the data IDs there are."""
        ref = self._refs.get(data_id) if isinstance(data_id, str) else None
        if ref is None:
            known = ", ".join(repr(i) for i in self._refs) or "none"
            raise DataStoreError(
                f"Data resource {data_id!r} is not in the reference store; "
                f"its data IDs are: {known}"
            )
        return ref

    # --- describing ---------------------------------------------------------

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor:
        """The declared ``data_descriptor`` of *data_id*, or one computed from its references.

        A computed descriptor reads the reference set and the coordinate
        values (which kerchunk usually inlines into it), never a chunk of a
        data variable.
        """
        ref = self.collection(data_id)
        _check_data_type(data_id, data_type)
        if ref.descriptor is not None:
            descriptor = DatasetDescriptor.from_dict(ref.descriptor)
        else:
            from ..descriptor import describe_dataset

            dataset = self._open(ref, {})
            descriptor = DatasetDescriptor(data_id, **describe_dataset(dataset))
        if descriptor.open_params_schema is None:
            descriptor.open_params_schema = self.get_open_data_params_schema(data_id)
        return descriptor

    # --- opening ------------------------------------------------------------

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        if data_id is not None:
            self.collection(data_id)
        return (OPENER_ID,) if _is_dataset_type(data_type) else ()

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        if data_id is not None:
            self.collection(data_id)
        _check_opener_id(opener_id)
        # All Zarr metadata is in the reference set, so "consolidated" means nothing here.
        properties = {k: v for k, v in ZARR_OPEN_PARAMS.items() if k != "consolidated"}
        properties["data_type"] = JsonStringSchema(
            enum=[DATASET_TYPE.alias],
            default=DATASET_TYPE.alias,
            description="Data type to open the data as",
        )
        return JsonObjectSchema(properties=properties, additional_properties=False)

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        """Open *data_id* lazily as an ``xarray.Dataset`` backed by Dask arrays.

        Accepts the common Zarr open parameters (``chunks``, ``decode_cf``,
        ``mask_and_scale``, ``decode_times``, ``drop_variables``, ...); see
        :meth:`get_open_data_params_schema`.
        """
        ref = self.collection(data_id)
        params = self.get_open_data_params_schema(data_id, opener_id).process(open_params)
        params.pop("data_type")
        return self._open(ref, params)

    def _open(self, ref: _Ref, params: dict[str, Any]) -> Any:
        from zarr.storage import FsspecStore

        fs = self._reference_filesystem(ref)
        try:
            store = FsspecStore(fs, path="", read_only=True)  # asynchronous, as zarr needs
            return open_zarr(store, ref.data_id, consolidated=False, **params)
        except DataStoreError:
            raise
        except Exception as error:
            raise DataStoreError(
                f"Cannot open data ID {ref.data_id!r} from reference set {ref.path!r}: "
                f"{error_text(error)}"
            ) from error

    def _reference_filesystem(self, ref: _Ref):
        """fsspec's ``ReferenceFileSystem`` of *ref*, in async mode for Zarr."""

        target_fs, path = self._target(ref)
        if _is_parquet(target_fs, path, ref.path):
            fo = self._read_parquet_references(ref, target_fs, path)
        else:
            fo = _read_json_references(ref, target_fs, path)
        p = self._params
        remote_options = dict(p.get("remote_options") or {})
        # Zarr reads asynchronously, in its own event loop: the remote filesystems
        # must be async instances (as those zarr itself makes for URLs).
        remote_options["asynchronous"] = True
        try:
            return ConfinedReferenceFileSystem(
                allowed_targets=self._allowed_targets(ref),
                fo=fo,
                remote_protocol=p.get("remote_protocol"),
                remote_options=remote_options,
                max_gap=p["max_gap"],
                max_block=p["max_block"],
                cache_size=p["cache_size"],
                **{k: p[k] for k in _REFERENCE_FS_OPTIONS if k in p and k != "asynchronous"},
                asynchronous=True,
            )
        except Exception as error:
            raise DataStoreError(
                f"Cannot reach the data referenced by {ref.path!r} (data ID "
                f"{ref.data_id!r}): {error_text(error)}"
            ) from error

    def _allowed_targets(self, ref: _Ref) -> list[str]:
        """The ``allowed_targets`` parameter, or its default for *ref*."""
        allowed = self._params.get("allowed_targets")
        if allowed is not None:
            return list(allowed)
        protocol = self._params.get("target_protocol")
        location = ref.path if protocol is None or "://" in ref.path else f"{protocol}://{ref.path}"
        folder = _normal_target(location).rsplit("/", 1)[0] + "/"
        remote = self._params.get("remote_protocol")
        return [folder, *([remote] if remote else [])]

    def _target(self, ref: _Ref):
        """The filesystem holding the reference file of *ref*, and its path there."""
        import fsspec

        options = dict(self._params.get("target_options") or {})
        protocol = self._params.get("target_protocol")
        try:
            if protocol:
                fs = fsspec.filesystem(protocol, **options)
                return fs, fs._strip_protocol(ref.path)
            return fsspec.core.url_to_fs(ref.path, **options)
        except Exception as error:
            raise DataStoreError(
                f"Cannot reach reference set {ref.path!r} (data ID {ref.data_id!r}): "
                f"{error_text(error)}"
            ) from error

    def _read_parquet_references(self, ref: _Ref, fs, path: str) -> Mapping:
        references = _ParquetReferences(path, fs=fs, cache_size=self._params["cache_size"])
        try:
            references.setup()
        except FileNotFoundError:
            raise DataStoreError(
                f"Reference set {ref.path!r} (data ID {ref.data_id!r}) not found: "
                "a Parquet reference set is a folder with a '.zmetadata' file"
            ) from None
        except Exception as error:
            raise DataStoreError(
                f"Reference set {ref.path!r} (data ID {ref.data_id!r}) is not a valid "
                f"Parquet reference set: {error_text(error)}"
            ) from error
        _check_zarr_group(ref, references)
        return references

    # --- read-only ----------------------------------------------------------

    def write_data(self, data: Any, data_id: str | None = None, **write_params: Any) -> str:
        """Always raises :class:`DataStoreError`: the reference store is read-only."""
        raise DataStoreError(
            "Cannot write data: the 'reference' store is read-only; write to a "
            "filesystem store such as 'file' or 's3' instead"
        )

    def delete_data(self, data_id: str, **delete_params: Any) -> None:
        """Always raises :class:`DataStoreError`: the reference store is read-only."""
        raise DataStoreError(f"Cannot delete {data_id!r}: the 'reference' store is read-only")


class _Ref:
    """One item of the ``refs`` parameter, normalized."""

    def __init__(self, index: int, path: str, data_id: str, descriptor: dict | None):
        self.index = index
        self.path = path
        self.data_id = data_id
        self.descriptor = descriptor

    @classmethod
    def from_param(cls, item: str | Mapping[str, Any], index: int) -> _Ref:
        if isinstance(item, str):
            item = {"ref_path": item}
        path = item["ref_path"]
        data_id = item.get("data_id") or _data_id_of(path)
        if not data_id:
            raise param_error(
                "refs",
                problem=f"item {index} ({path!r}) has no file name to derive a data ID from",
                allowed="give one with 'data_id'",
            )
        descriptor = item.get("data_descriptor")
        if descriptor is not None:
            descriptor = {**descriptor, "data_id": data_id}
            descriptor.setdefault("data_type", DATASET_TYPE.alias)
            try:
                parsed = DatasetDescriptor.from_dict(descriptor)
            except (TypeError, ValueError, KeyError) as error:
                raise param_error(
                    "refs",
                    problem=f"the data_descriptor of item {index} ({path!r}) is not a "
                    f"dataset descriptor: {error}",
                ) from None
            if parsed.data_type is not DATASET_TYPE:
                raise param_error(
                    "refs",
                    problem=f"the data_descriptor of item {index} ({path!r}) has "
                    f"data_type {parsed.data_type.alias!r}",
                    allowed=repr(DATASET_TYPE.alias),
                )
        return cls(index, path, data_id, descriptor)


def _data_id_of(path: str) -> str:
    """The file name of *path* without a reference suffix: ``a/sst.json`` -> ``sst``."""
    if "://" in path:
        path = urllib.parse.urlsplit(path).path
    name = posixpath.basename(path.replace("\\", "/").rstrip("/"))
    for suffix in REFERENCE_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _is_dataset_type(data_type: DataTypeLike) -> bool:
    return DataType.normalize(data_type) in (ANY_TYPE, DATASET_TYPE)


def _check_data_type(data_id: str, data_type: DataTypeLike) -> None:
    if not _is_dataset_type(data_type):
        raise param_error(
            "data_type",
            data_type,
            problem=f"data ID {data_id!r} of the reference store is a {DATASET_TYPE.alias!r}",
        )


def _check_opener_id(opener_id: str | None) -> None:
    if opener_id is not None and opener_id != OPENER_ID:
        raise param_error("opener_id", opener_id, allowed=repr(OPENER_ID))


def _is_parquet(fs, path: str, ref_path: str) -> bool:
    """Whether *path* is a Parquet reference set (a folder), as fsspec decides it."""
    if path.lower().endswith(".json"):
        return False
    if ref_path.lower().endswith(_PARQUET_SUFFIXES):
        return True
    try:
        return fs.isdir(path)
    except Exception:  # noqa: BLE001 - then reading it as JSON reports the problem
        return False


def _read_json_references(ref: _Ref, fs, path: str) -> dict[str, Any]:
    try:
        with fs.open(path, "rb") as f:
            references = json.load(f)
    except FileNotFoundError:
        raise DataStoreError(
            f"Reference file {ref.path!r} (data ID {ref.data_id!r}) not found"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataStoreError(
            f"Reference file {ref.path!r} (data ID {ref.data_id!r}) is not valid JSON: {error}"
        ) from None
    except Exception as error:
        raise DataStoreError(
            f"Cannot read reference file {ref.path!r} (data ID {ref.data_id!r}): "
            f"{error_text(error)}"
        ) from error
    refs = references.get("refs") if isinstance(references, dict) else None
    if not isinstance(refs, dict):
        refs = references if isinstance(references, dict) else None
    if refs is None or not isinstance(references.get("version", 1), int):
        raise DataStoreError(
            f"Reference file {ref.path!r} (data ID {ref.data_id!r}) is not a kerchunk "
            "reference set: expected a JSON object of Zarr keys, or one with "
            "'version' and 'refs'"
        )
    _check_zarr_group(ref, refs)
    return references


def _check_zarr_group(ref: _Ref, refs: Mapping) -> None:
    if ".zgroup" not in refs and "zarr.json" not in refs:
        raise DataStoreError(
            f"Reference set {ref.path!r} (data ID {ref.data_id!r}) holds no Zarr group: "
            "it has neither '.zgroup' nor 'zarr.json'"
        )


def _parquet_engine() -> str:
    """pyarrow when installed: pandas deprecates reading Parquet with fastparquet."""
    from importlib.util import find_spec

    return "pyarrow" if find_spec("pyarrow") is not None else "fastparquet"


class _ParquetReferences(LazyReferenceMapper):
    """fsspec's lazily loaded Parquet references, read with pyarrow if installed.

    Unlike its base class, it pickles (by its root, filesystem and cache size),
    so datasets opened from it pickle too.
    """

    def __init__(self, root: str, fs, cache_size: int = 128):
        super().__init__(root, fs=fs, cache_size=cache_size, engine=_parquet_engine())

    def __reduce__(self):
        return type(self), (self.root, self.fs, self.cache_size)


def _normal_target(url: str) -> str:
    """*url* as ``protocol://path``, percent-decoded, without ``.``/``..`` segments
    (local paths made absolute), so a prefix check cannot be walked around."""
    protocol, sep, path = url.partition("://")
    if not sep:
        protocol, path = "file", url
    protocol = protocol.lower()
    path = urllib.parse.unquote(path)
    if protocol in ("file", "local"):
        return "file://" + posixpath.normpath(os.path.abspath(path))
    return f"{protocol}://" + posixpath.normpath("/" + path).lstrip("/")


def _target_allowed(url: str, allowed: list[str]) -> bool:
    normal = _normal_target(url)
    for entry in allowed:
        if "://" not in entry:  # a protocol
            if normal.startswith(entry.lower().rstrip(":/") + "://"):
                return True
            continue
        prefix = _normal_target(entry)
        if normal == prefix or normal.startswith(prefix.rstrip("/") + "/"):
            return True
    return False


class ConfinedReferenceFileSystem(ReferenceFileSystem):
    """fsspec's ``ReferenceFileSystem`` reading referenced bytes only from
    targets that *allowed_targets* admits (see :func:`_target_allowed`).

    Every read of a reference passes through ``_cat_common``, so the check
    there covers JSON and Parquet reference sets alike, lazily.
    """

    def __init__(self, allowed_targets: list[str], **kwargs: Any):
        self.allowed_targets = list(allowed_targets)
        super().__init__(**kwargs)

    def _cat_common(self, path, start=None, end=None):
        url, start, end = super()._cat_common(path, start=start, end=end)
        if isinstance(url, str) and not _target_allowed(url, self.allowed_targets):
            raise DataStoreError(
                f"Reference {path!r} names {url!r}, which the reference store may not "
                f"read: allowed targets are {self.allowed_targets}; widen the store "
                "parameter 'allowed_targets' only for reference sets you trust"
            )
        return url, start, end
