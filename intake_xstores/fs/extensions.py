"""How the filesystem side plugs into the registry.

- Formats and protocols by ID (:func:`get_format`, :func:`get_protocol`).
- :class:`FsAccessorProvider`: the openers and writers
  ``{data_type}:{format}:{protocol}``, composed on demand from every
  registered format and protocol, so a plugin that adds a format gets it on
  every protocol. Listed for the registered protocols; resolved for any
  fsspec protocol (``dataset:zarr:sftp``).
- :class:`FsStoreProvider`: a store for every protocol fsspec knows
  (``new_data_store("sftp", ...)``), with a generic ``storage_options``
  schema. Only the registered protocols are listed by
  ``list_data_store_ids()``: fsspec knows dozens, most needing packages
  that are not installed.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from ..errors import DataStoreParamsError
from ..registry import (
    EXTENSION_POINT_DATA_OPENERS,
    EXTENSION_POINT_DATA_STORES,
    EXTENSION_POINT_DATA_WRITERS,
    EXTENSION_POINT_FS_FORMATS,
    EXTENSION_POINT_FS_PROTOCOLS,
    Extension,
    ExtensionProvider,
    ExtensionRegistry,
    get_extension_registry,
    import_component,
)
from .protocols import FsProtocol, generic_protocol

if TYPE_CHECKING:
    from .formats.base import FsFormat


def format_loader(spec: str):
    """A loader of the format class at *spec* (``"module:Class"``), imported
    when first used; the class's ``id`` must be the registered name."""
    load_class = import_component(spec)

    def load(extension: Extension) -> type[FsFormat]:
        cls = load_class(extension)
        if getattr(cls, "id", None) != extension.name:
            raise DataStoreParamsError(
                f"The format registered as {extension.name!r} ({spec}) declares "
                f"id {getattr(cls, 'id', None)!r}; they must be the same"
            )
        return cls

    return load


def format_classes(registry: ExtensionRegistry | None = None) -> list[type[FsFormat]]:
    """The registered format classes, in registration order."""
    registry = registry or get_extension_registry()
    return [e.component for e in registry.find_extensions(EXTENSION_POINT_FS_FORMATS)]


def format_class(format_id: str, registry: ExtensionRegistry | None = None):
    """The format class *format_id*, or None if none is registered."""
    registry = registry or get_extension_registry()
    extension = registry.get_extension(EXTENSION_POINT_FS_FORMATS, format_id)
    return None if extension is None else extension.component


def get_format(format_id: str, registry: ExtensionRegistry | None = None) -> FsFormat:
    """The format *format_id*, its libraries checked first."""
    cls = format_class(format_id, registry)
    if cls is None:
        raise DataStoreParamsError(f"Unknown format {format_id!r}")
    cls.needs.check(f"The {cls.id} format")
    return cls()


def get_protocol(name: str, registry: ExtensionRegistry | None = None) -> FsProtocol:
    """The registered protocol *name*, else fsspec's protocol of that name."""
    registry = registry or get_extension_registry()
    extension = registry.get_extension(EXTENSION_POINT_FS_PROTOCOLS, name)
    if extension is not None:
        return extension.component
    protocol = generic_protocol(name)
    if protocol is None:
        raise DataStoreParamsError(f"Unknown protocol {name!r}: fsspec knows no such filesystem")
    return protocol


class FsAccessorProvider(ExtensionProvider):
    """The filesystem openers and writers, composed of formats and protocols."""

    def find(self, registry: ExtensionRegistry, point: str) -> list[Extension]:
        if point not in (EXTENSION_POINT_DATA_OPENERS, EXTENSION_POINT_DATA_WRITERS):
            return []
        protocols = registry.find_extensions(EXTENSION_POINT_FS_PROTOCOLS)
        return [e for p in protocols for e in self._composed(registry, point, p.component)]

    def get(self, registry: ExtensionRegistry, point: str, name: str) -> Extension | None:
        parts = name.split(":")
        if point not in (EXTENSION_POINT_DATA_OPENERS, EXTENSION_POINT_DATA_WRITERS):
            return None
        if len(parts) != 3 or not all(parts):
            return None
        try:
            protocol = get_protocol(parts[2], registry)
        except DataStoreParamsError:
            return None
        return next((e for e in self._composed(registry, point, protocol) if e.name == name), None)

    @staticmethod
    def _composed(registry: ExtensionRegistry, point: str, protocol: FsProtocol) -> list[Extension]:
        writers = point == EXTENSION_POINT_DATA_WRITERS
        if writers and protocol.read_only:
            return []
        extensions = []
        for fmt in format_classes(registry):
            if writers and not fmt.writable:
                continue
            # xcube registers a format's dataset accessor before its mldataset one
            for data_type in sorted(fmt.data_types, key=lambda t: t == "mldataset"):
                name = f"{data_type}:{fmt.id}:{protocol.name}"
                extensions.append(
                    Extension(
                        point,
                        name,
                        loader=_accessor_loader(data_type, fmt.id, protocol.name),
                        data_type=data_type,
                        format_id=fmt.id,
                        storage_id=protocol.name,
                        extensions=list(fmt.extensions),
                        description=f"{'Write' if writers else 'Open'} {data_type} in "
                        f"{fmt.id} format on the {protocol.name} filesystem",
                    )
                )
        return extensions


def _accessor_loader(data_type: str, format_id: str, protocol: str):
    def load(extension: Extension) -> Any:
        from .accessor import FsDataAccessor

        return partial(FsDataAccessor, data_type, format_id, protocol)

    return load


class FsStoreProvider(ExtensionProvider):
    """A filesystem store for any protocol fsspec knows that no plugin registered."""

    def get(self, registry: ExtensionRegistry, point: str, name: str) -> Extension | None:
        if point != EXTENSION_POINT_DATA_STORES:
            return None
        protocol = generic_protocol(name)
        if protocol is None:
            return None
        return Extension(point, name, loader=fs_store_loader, description=protocol.description)


def fs_store_loader(extension: Extension) -> Any:
    from .store import fs_store_class

    return fs_store_class(extension.name)
