"""How the filesystem side plugs into the registry (formats and protocols
are looked up in :mod:`.components`).

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
from typing import Any

from ..errors import DataStoreParamsError
from ..registry import (
    EXTENSION_POINT_DATA_OPENERS,
    EXTENSION_POINT_DATA_STORES,
    EXTENSION_POINT_DATA_WRITERS,
    EXTENSION_POINT_FS_PROTOCOLS,
    Extension,
    ExtensionProvider,
    ExtensionRegistry,
)
from .components import format_classes, get_protocol
from .protocols import FsProtocol, generic_protocol


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
