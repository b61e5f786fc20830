"""Formats and protocols by ID, as registered (by our plugin or another).

The lowest layer of the filesystem side: it imports no filesystem store
and no filesystem accessor, so every other ``fs`` module may import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..accessor import find_data_opener_extensions, find_data_writer_extensions
from ..errors import DataStoreError, DataStoreParamsError, param_error
from ..registry import EXTENSION_POINT_FS_FORMATS as FORMATS
from ..registry import EXTENSION_POINT_FS_PROTOCOLS as PROTOCOLS
from ..registry import Extension, ExtensionRegistry, get_extension_registry, import_component
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
            raise DataStoreError(
                f"The format registered as {extension.name!r} ({spec}) declares "
                f"id {getattr(cls, 'id', None)!r}; they must be the same"
            )
        return cls

    return load


def format_classes(registry: ExtensionRegistry | None = None) -> list[type[FsFormat]]:
    """The registered format classes, in registration order."""
    registry = registry or get_extension_registry()
    return [e.component for e in registry.find_extensions(FORMATS)]


def format_class_of(path: str, formats: list[type[FsFormat]] | None = None):
    """The first of *formats* (by default the registered ones) whose filename
    extensions *path* ends with, whatever its case; None if there is none."""
    lower = path.lower()
    for cls in format_classes() if formats is None else formats:
        if lower.endswith(cls.extensions):
            return cls
    return None


def format_class(format_id: str, registry: ExtensionRegistry | None = None):
    """The format class *format_id*, or None if none is registered."""
    registry = registry or get_extension_registry()
    extension = registry.get_extension(FORMATS, format_id)
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
    extension = registry.get_extension(PROTOCOLS, name)
    if extension is not None:
        return extension.component
    protocol = generic_protocol(name)
    if protocol is None:
        raise DataStoreParamsError(f"Unknown protocol {name!r}: fsspec knows no such filesystem")
    return protocol


def get_filename_extensions(
    accessor_type: Literal["openers", "writers"] = "openers", *, protocol: str | None = None
) -> dict[str, list[str]]:
    """Filename extensions (``".zarr"``) and the IDs of the openers (or writers)
    that read (or write) them, optionally of one *protocol* only.

    Extensions are read from the metadata ``extensions`` of each opener or
    writer extension, or ``filename_extensions`` as the xcube docs name it.
    """
    finders = {"openers": find_data_opener_extensions, "writers": find_data_writer_extensions}
    if accessor_type not in finders:
        raise param_error("accessor_type", accessor_type, allowed="one of 'openers', 'writers'")
    result: dict[str, list[str]] = {}
    for extension in finders[accessor_type](storage_id=protocol):
        names = extension.metadata.get("extensions") or extension.metadata.get(
            "filename_extensions", ()
        )
        for name in names:
            result.setdefault(name, []).append(extension.name)
    return result
