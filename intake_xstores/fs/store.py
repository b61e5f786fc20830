"""``FsDataStore``: a data store over any fsspec filesystem.

A data ID is a path relative to the store's ``root`` and never leaves it.
Its extension selects the format; the protocol selects the filesystem. The
store class of each protocol is made by :func:`fs_store_class`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import functools
import os
import posixpath
import re
import urllib.parse
import uuid
import warnings
from collections.abc import Container, Iterator, Sequence
from typing import Any, Literal

from ..accessor import split_accessor_id
from ..datatype import ANY_TYPE, DataType, DataTypeLike, data_type_of
from ..descriptor import DataDescriptor
from ..errors import DataStoreError, DataStoreParamsError, error_text, naming, param_error
from ..schema import (
    JsonBooleanSchema,
    JsonIntegerSchema,
    JsonObjectSchema,
    names_schema,
)
from ..secrets import redact_url, scrub
from ..store import DataIdIter, MutableDataStore
from . import journal
from .accessor import FsDataAccessor
from .components import format_class, format_class_of, format_classes, get_format, get_protocol
from .protocols import FsProtocol

_DEFAULT_FORMATS = {"dataset": "zarr", "mldataset": "levels", "geodataframe": "geojson"}
_LISTING_CONCURRENCY = 64
_INVALID_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_DATA_IDS = "a non-empty path relative to the store root"


def _decoded(data_id: str) -> str:
    """*data_id* percent-decoded until it no longer changes (``%252e`` too)."""
    for _ in range(5):
        decoded = urllib.parse.unquote(data_id)
        if decoded == data_id:
            break
        data_id = decoded
    return data_id


class FsDataStore(MutableDataStore):
    """A data store whose data are files and folders on an fsspec filesystem."""

    protocol: FsProtocol

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._fs = None

    @classmethod
    def get_data_store_params_schema(cls) -> JsonObjectSchema:
        return JsonObjectSchema(
            properties=dict(
                root=cls.protocol.get_root_schema(),
                max_depth=JsonIntegerSchema(
                    minimum=1,
                    nullable=True,
                    default=1,
                    description="Folder levels listed below root; null: unlimited",
                ),
                read_only=JsonBooleanSchema(
                    default=cls.protocol.read_only, description="Refuse writes and deletes"
                ),
                includes=names_schema("Data IDs to include; wildcards * and ? allowed"),
                excludes=names_schema("Data IDs to exclude; wildcards * and ? allowed"),
                storage_options=cls.protocol.get_storage_options_schema(),
            ),
            required=["root"] if cls.protocol.root_required else None,
            additional_properties=False,
        )

    # --- filesystem and paths ----------------------------------------------

    @property
    def fs(self):
        """The fsspec filesystem, created on first use."""
        if self._fs is None:
            try:
                self._fs = self.protocol.new_filesystem(self._params.get("storage_options"))
            except DataStoreError:  # a library to install, not an option to check
                raise
            except Exception as error:  # FTP connects here, abfs checks its account
                raise DataStoreError(
                    f"Cannot connect {self!r} to its {self.protocol.name!r} filesystem: "
                    f"{scrub(error_text(error))}; check 'storage_options'"
                ) from error
        return self._fs

    @property
    def root(self) -> str:
        return self._params["root"]

    @property
    def _shown_root(self) -> str:
        """The root as messages show it: without a password in its URL."""
        return redact_url(self.root)

    @property
    def read_only(self) -> bool:
        return self.protocol.read_only or self._params["read_only"]

    @functools.cached_property
    def _root_path(self) -> str:
        # The filesystem's class strips the protocol: no connection needed yet.
        root = self.root or self.protocol.default_root
        strip = self.protocol.filesystem_class()._strip_protocol
        return strip(root).rstrip("/") if root else ""

    def _path(self, data_id: str) -> str:
        """The path of *data_id*, refusing any that would leave the root."""
        data_id = self._normal_id(data_id)
        path = f"{self._root_path}/{data_id}" if self._root_path else data_id
        if not self._inside_root(path):
            raise DataStoreError(
                f"Data ID {data_id!r} is outside the store root {self._shown_root!r}: "
                "it passes through a symbolic link that leads out of the root"
            )
        return path

    def _normal_id(self, data_id: str) -> str:
        """*data_id* without ``.`` segments, doubled or trailing slashes.

        Refused: whatever names something outside the root, as written or once
        percent-decoded (a web server decodes ``%2e%2e/`` to ``../``), and
        characters no filesystem takes in a name.
        """
        if not isinstance(data_id, str) or not data_id.strip("/"):
            raise param_error("data_id", data_id, allowed=_DATA_IDS)
        if _INVALID_CHARS.search(data_id):
            raise param_error(
                "data_id",
                data_id,
                problem="it contains a control character (such as a null byte), "
                "which no data ID may hold",
            )
        for form in (data_id, _decoded(data_id)):
            parts = form.split("/")
            if (
                "://" in form
                or form.startswith(("/", "~"))
                or "\\" in form
                or re.match(r"^[A-Za-z]:", form)
                or ".." in parts
                or (form != data_id and "." in parts)
            ):
                raise DataStoreError(
                    f"Data ID {data_id!r} is outside the store root {self._shown_root!r}: "
                    "data IDs are relative paths without '..', '\\', '~', a protocol "
                    "or a leading '/', also once percent-decoded"
                )
        normal = "/".join(p for p in data_id.split("/") if p not in ("", "."))
        if not normal:
            raise param_error("data_id", data_id, allowed=_DATA_IDS)
        return normal

    def _inside_root(self, path: str) -> bool:
        """Whether *path* stays inside the root once symbolic links are resolved.

        Only some filesystems (local ones) have links a path can pass through unseen.
        """
        if not self.protocol.get_kind().has_links:
            return True
        root = os.path.realpath(self._root_path or ".")
        real = os.path.realpath(path)
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    # --- formats and data types ---------------------------------------------

    def _format_id_of(self, data_id: str) -> str | None:
        fmt = format_class_of(data_id.rstrip("/"))
        return None if fmt is None else fmt.id

    def _resolve(
        self,
        data_id: str | None,
        accessor_id: str | None = None,
        data_type: DataTypeLike = None,
    ) -> tuple[str, str]:
        """(data type alias, format id) for *data_id* or an opener/writer ID."""
        if accessor_id:
            type_alias, format_id, protocol = split_accessor_id(accessor_id)
            if protocol != self.protocol.name:
                raise param_error(
                    "opener_id",
                    accessor_id,
                    problem=f"this store's protocol is {self.protocol.name!r}",
                )
            data_type = data_type or type_alias
        else:
            format_id = self._format_id_of(data_id or "")
            if format_id is None:
                known = sorted(e for fmt in format_classes() for e in fmt.extensions)
                raise DataStoreError(
                    f"Cannot determine data type for data resource {data_id!r}: "
                    f"its extension is none of {', '.join(known)}"
                )
        if format_class(format_id) is None:
            raise DataStoreParamsError(f"Unknown format {format_id!r} in {accessor_id!r}")
        supported = self._data_types_of(format_id)
        alias = DataType.normalize(data_type).alias
        if alias == ANY_TYPE.alias:
            alias = supported[0]
        elif alias not in supported:
            warnings.warn(
                f"Data resource {data_id!r} in {format_id} format cannot be opened "
                f"as {alias!r}; using {supported[0]!r}",
                UserWarning,
                stacklevel=3,
            )
            alias = supported[0]
        return alias, format_id

    def _data_types_of(self, format_id: str) -> tuple[str, ...]:
        return format_class(format_id).data_types

    def _accessor(self, data_type: str, format_id: str) -> FsDataAccessor:
        return FsDataAccessor(data_type, format_id, self.protocol.name, fs=self.fs)

    @contextlib.contextmanager
    def _speaking_of(self, data_id: str, path: str, reading: bool = False, format_id: str = ""):
        """Let the accessor, the formats and the journal name *data_id* in their
        messages (see :func:`~intake_xstores.errors.naming`), a library's error
        at *path* name it too, and, when *reading*, say so plainly if the data
        read is not there.

        Checking existence only after a failure keeps a successful open or
        describe free of extra round trips to remote storage.
        """
        try:
            with naming(data_id):
                yield
        except DataStoreError as error:
            text = scrub(str(error))
            if text == str(error):
                raise
            raise type(error)(text) from None
        except Exception as error:
            if reading and not self.has_data(data_id):
                raise self._missing(data_id) from None
            doing = "read" if reading else "write"
            as_format = f" as {format_id}" if format_id else ""
            said = journal.in_own_words(error_text(error), path, data_id)
            text = f"Cannot {doing} {data_id!r}{as_format}: {said}"
            raise DataStoreError(scrub(text)) from error

    @classmethod
    def get_data_types(cls) -> tuple[str, ...]:
        types: dict[str, None] = {}
        for fmt in format_classes():
            types.update(dict.fromkeys(fmt.data_types))
        return tuple(types)

    def get_data_types_for_data(self, data_id: str) -> tuple[str, ...]:
        """The data types *data_id* opens as, the one :meth:`open_data` gives
        by default first; a data ID not in the store is a :class:`DataStoreError`
        (as in xcube)."""
        self._existing(data_id)
        return self._data_types_of(self._resolve(data_id)[1])

    # --- listing ------------------------------------------------------------

    def get_data_ids(
        self, data_type: DataTypeLike = None, include_attrs: Container[str] | bool = False
    ) -> DataIdIter:
        data_type = DataType.normalize(data_type)
        for data_id in self._walk():
            format_id = self._format_id_of(data_id)
            if data_type is not ANY_TYPE and data_type.alias not in self._data_types_of(format_id):
                continue
            item = self._listing_item(data_id, include_attrs)
            if item is not None:
                yield item

    def _walk(self) -> Iterator[str]:
        """Data IDs below root, level by level, listing each level concurrently."""
        max_depth = self._params["max_depth"]
        level = [(self._root_path, "")]
        depth = 0
        while level and (max_depth is None or depth < max_depth):
            next_level = []
            for (_, prefix), entries in zip(
                level, self._ls_many([p for p, _ in level]), strict=True
            ):
                for entry in sorted(entries, key=lambda e: e["name"]):
                    name = posixpath.basename(entry["name"].rstrip("/"))
                    if not name or name.startswith("."):
                        continue  # hidden, including writes in progress
                    data_id = prefix + name
                    if entry.get("islink") and not self._inside_root(entry["name"]):
                        continue  # a symbolic link out of the root
                    if self._format_id_of(data_id):
                        if self._is_selected(data_id):
                            yield data_id
                    elif entry.get("type") == "directory":
                        next_level.append((entry["name"].rstrip("/"), data_id + "/"))
            level = next_level
            depth += 1

    def _ls_many(self, paths: list[str]) -> list[list[dict]]:
        fs = self.fs
        for path in paths:  # fresh listings: another program may have written since
            fs.invalidate_cache(path)
        if getattr(fs, "async_impl", False) and len(paths) > 1:
            from fsspec.asyn import sync

            async def ls_all():
                semaphore = asyncio.Semaphore(_LISTING_CONCURRENCY)

                async def ls(path):
                    async with semaphore:
                        return await fs._ls(path, detail=True)

                return await asyncio.gather(*(ls(p) for p in paths), return_exceptions=True)

            results = sync(fs.loop, ls_all)
        else:
            results = []
            for path in paths:
                try:
                    results.append(fs.ls(path, detail=True))
                except Exception as error:  # noqa: BLE001 - reported below
                    results.append(error)
        listings = []
        for path, result in zip(paths, results, strict=True):
            if isinstance(result, FileNotFoundError) and path == self._root_path:
                result = []  # a store whose root does not exist yet is empty
            if isinstance(result, Exception):
                raise DataStoreError(
                    scrub(f"Cannot list {path!r}: {error_text(result)}")
                ) from result
            listings.append(result)
        return listings

    def assert_root_exists(self) -> None:
        """Raise :class:`DataStoreError` unless the root (bucket, container, folder) exists.

        Listing a root that does not exist gives no data IDs, as in xcube; an
        Intake catalog of the store calls this to tell a typo from an empty store.
        """
        path = self._root_path
        if not path or self.protocol.ephemeral:
            return
        self.fs.invalidate_cache(path)
        if not self.fs.exists(path):
            hint = "" if self.read_only else "; writing data creates it"
            raise DataStoreError(
                f"The root {self.root!r} of the {self.protocol.name!r} data store "
                f"does not exist{hint}"
            )

    def _is_selected(self, data_id: str) -> bool:
        """Whether includes/excludes admit *data_id*, matched as normalised and
        as percent-decoded (what a web server would serve)."""
        includes, excludes = self._params.get("includes"), self._params.get("excludes")
        includes = [includes] if isinstance(includes, str) else includes
        excludes = [excludes] if isinstance(excludes, str) else excludes
        normal = self._normal_id(data_id)
        forms = {normal, _decoded(normal)}
        if includes and not all(any(fnmatch.fnmatchcase(f, p) for p in includes) for f in forms):
            return False
        return not (excludes and any(fnmatch.fnmatchcase(f, p) for f in forms for p in excludes))

    # --- reading ------------------------------------------------------------

    def has_data(self, data_id: str, data_type: DataTypeLike = None) -> bool:
        path = self._path(data_id)
        format_id = self._format_id_of(data_id)
        if format_id is None or not self._is_selected(data_id):
            return False
        data_type = DataType.normalize(data_type)
        if data_type is not ANY_TYPE and data_type.alias not in self._data_types_of(format_id):
            return False
        self._recover(data_id, path)
        return bool(get_format(format_id).files(self.fs, path))

    def _missing(self, data_id: str) -> DataStoreError:
        return DataStoreError(
            f"Data resource {data_id!r} does not exist in store {self._shown_root!r}"
        )

    def _existing(self, data_id: str) -> str:
        path = self._path(data_id)
        if not self.has_data(data_id):
            raise self._missing(data_id)
        return path

    def _selected_path(self, data_id: str) -> str:
        """The path of *data_id*, which includes/excludes must not hide, with an
        interrupted write to it finished or undone (see :mod:`.journal`)."""
        path = self._path(data_id)
        if not self._is_selected(data_id):
            raise self._missing(data_id)
        self._recover(data_id, path)
        return path

    def _recover(self, data_id: str, path: str) -> None:
        """Finish or undo an interrupted write to *data_id* (see :mod:`.journal`)."""
        if not self.protocol.read_only:
            with self._speaking_of(data_id, path):
                journal.recover(self.fs, path)

    def describe_data(self, data_id: str, data_type: DataTypeLike = None) -> DataDescriptor:
        path = self._selected_path(data_id)
        alias, format_id = self._resolve(data_id, data_type=data_type)
        with self._speaking_of(data_id, path, reading=True, format_id=format_id):
            descriptor = get_format(format_id).describe(self.fs, path, data_id, alias)
        descriptor.open_params_schema = self._accessor(
            alias, format_id
        ).get_open_data_params_schema()
        return descriptor

    def get_data_opener_ids(
        self, data_id: str | None = None, data_type: DataTypeLike = None
    ) -> tuple[str, ...]:
        """Opener IDs in xcube's order: by format as registered, ``dataset``
        before ``mldataset``, except for a *data_id*, whose ``mldataset``
        opener comes first."""
        data_type = DataType.normalize(data_type)
        if data_id is not None:
            self._path(data_id)
            format_id = self._resolve(data_id)[1]
            types = {format_id: _mldataset_first(self._data_types_of(format_id))}
        else:
            types = {fmt.id: _dataset_first(fmt.data_types) for fmt in format_classes()}
        return tuple(
            f"{t}:{f}:{self.protocol.name}"
            for f, aliases in types.items()
            for t in aliases
            if data_type.is_super_type_of(t)
        )

    @classmethod
    def get_filename_extensions(
        cls, accessor_type: Literal["openers", "writers"] = "openers"
    ) -> dict[str, list[str]]:
        """Filename extensions and the IDs of this protocol's openers (or writers)
        for them, ``mldataset`` first (as in xcube)."""
        from .components import get_filename_extensions

        found = get_filename_extensions(accessor_type, protocol=cls.protocol.name)
        return {
            ext: sorted(ids, key=lambda i: not i.startswith("mldataset:"))
            for ext, ids in found.items()
        }

    def get_open_data_params_schema(
        self, data_id: str | None = None, opener_id: str | None = None
    ) -> JsonObjectSchema:
        """The open parameters for *data_id* or *opener_id*; with neither, those of
        a Zarr dataset, the default format (as in xcube)."""
        if data_id is None and opener_id is None:
            opener_id = f"dataset:{_DEFAULT_FORMATS['dataset']}:{self.protocol.name}"
        if data_id is not None:
            self._path(data_id)
        return self._accessor(*self._resolve(data_id, opener_id)).get_open_data_params_schema()

    def open_data(self, data_id: str, opener_id: str | None = None, **open_params: Any) -> Any:
        path = self._selected_path(data_id)
        alias, format_id = self._resolve(data_id, opener_id, open_params.pop("data_type", None))
        with self._speaking_of(data_id, path, reading=True, format_id=format_id):
            accessor = self._accessor(alias, format_id)
            return accessor.open_data(path, data_type=alias, **open_params)

    # --- writing ------------------------------------------------------------

    def _check_writable(self, operation: str) -> None:
        if self.read_only:
            # Begins with xcube's words, which its users search their logs for.
            raise DataStoreError(
                f"Data store is read-only. Cannot {operation}: the "
                f"{self.protocol.name!r} store at {self._shown_root!r} is read-only"
            )

    def get_data_writer_ids(self, data_type: DataTypeLike = None) -> tuple[str, ...]:
        if self.read_only:
            return ()
        data_type = DataType.normalize(data_type)
        return tuple(
            f"{t}:{fmt.id}:{self.protocol.name}"
            for fmt in format_classes()
            if fmt.writable
            for t in fmt.data_types
            if data_type is ANY_TYPE or t == data_type.alias
        )

    def get_write_data_params_schema(self, writer_id: str | None = None) -> JsonObjectSchema:
        alias, format_id = self._resolve(None, writer_id or f"dataset:zarr:{self.protocol.name}")
        return self._accessor(alias, format_id).get_write_data_params_schema()

    def write_data(
        self,
        data: Any,
        data_id: str | None = None,
        writer_id: str | None = None,
        replace: bool = False,
        **write_params: Any,
    ) -> str:
        self._check_writable("write data")
        alias = data_type_of(data).alias
        if data_id is None:
            format_id = split_accessor_id(writer_id)[1] if writer_id else _DEFAULT_FORMATS[alias]
            data_id = f"{uuid.uuid4().hex}{format_class(format_id).extensions[0]}"
        path = self._path(data_id)
        format_id = split_accessor_id(writer_id)[1] if writer_id else self._format_id_of(data_id)
        if format_id is None:
            self._resolve(data_id)  # raises, explaining the known extensions
        fmt = format_class(format_id)
        if fmt is None or not fmt.writable:
            raise DataStoreError(
                f"Can not find suitable data writer for {data_id!r}: "
                f"no writer for format {format_id!r}"
            )
        if alias not in fmt.data_types:
            raise DataStoreParamsError(
                f"Cannot write a {alias} as {data_id!r}: the {format_id} format takes "
                f"{', '.join(fmt.data_types)}"
            )
        accessor = self._accessor(alias, format_id)
        write_params = self._data_id_params_as_paths(
            accessor.get_write_data_params_schema(), write_params
        )
        with self._speaking_of(data_id, path, format_id=format_id):
            accessor.write_data(data, path, replace=replace, **write_params)
        return data_id

    def _data_id_params_as_paths(
        self, schema: JsonObjectSchema, params: dict[str, Any]
    ) -> dict[str, Any]:
        """Formats see paths only: a parameter whose schema has ``format: "data-id"``
        names other data in this store, so pass the format its path instead,
        refusing data IDs that leave the root or do not exist."""
        params = dict(params)
        for name, prop in schema.properties.items():
            if getattr(prop, "format", None) == "data-id" and params.get(name) is not None:
                try:
                    params[name] = self._existing(params[name])
                except DataStoreError as error:
                    raise param_error(name, problem=str(error)) from None
        return params

    def get_delete_data_params_schema(self, data_id: str | None = None) -> JsonObjectSchema:
        """Deleting takes no parameters (as in xcube's filesystem stores)."""
        if data_id is not None:
            self._path(data_id)
        return JsonObjectSchema(additional_properties=False)

    def delete_data(self, data_id: str, **delete_params: Any) -> None:
        self._check_writable("delete data")
        self.get_delete_data_params_schema(data_id).validate_instance(delete_params)
        path = self._existing(data_id)
        with self._speaking_of(data_id, path):
            self._accessor(*self._resolve(data_id)).delete_data(path)

    def cleanup(self) -> list[str]:
        """Finish or undo writes that were interrupted (killed, or cut off from
        the server) anywhere in the store, and remove their hidden temps.

        Returns the hidden paths acted on. The next write to, or read of, a
        data ID does the same for that data ID alone.
        """
        self._check_writable("clean up")
        return journal.cleanup(self.fs, self._root_path)

    def __reduce__(self):
        return _new_fs_store, (self.protocol.name, self._params)


def _mldataset_first(aliases: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(aliases, key=lambda a: a != "mldataset"))


def _dataset_first(aliases: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted(aliases, key=lambda a: a == "mldataset"))


@functools.cache
def fs_store_class(protocol: str) -> type[FsDataStore]:
    """The data store class for *protocol*, e.g. ``S3DataStore`` for ``"s3"``."""
    name = protocol.capitalize() + "DataStore"
    return type(name, (FsDataStore,), {"protocol": get_protocol(protocol), "__module__": __name__})


def _new_fs_store(protocol: str, params: dict[str, Any]) -> FsDataStore:
    return fs_store_class(protocol)(**params)
