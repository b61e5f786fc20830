"""The seed's plugin data stores, one subpackage per family.

Each subpackage registers its stores through its own ``init_plugin`` named
by an entry point in the ``intake_xstores.plugins`` group, exactly as a
third-party plugin does (see "Writing a plugin" in the README). Nothing here
is imported when ``intake_xstores`` is: a store's module, and its libraries,
load when the store is first used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from intake_xstores.registry import (
    EXTENSION_POINT_DATA_STORES,
    ExtensionRegistry,
    import_component,
)


def data_store_plugin(
    stores: Mapping[str, tuple[str, str]],
) -> Callable[[ExtensionRegistry], None]:
    """An ``init_plugin`` that registers *stores*: store ID -> (``"module:Class"``,
    description). Each class is imported only when its store is first used, so
    registering costs no import of a store's libraries."""

    def init_plugin(ext_registry: ExtensionRegistry) -> None:
        for store_id, (component, description) in stores.items():
            ext_registry.add_extension(
                EXTENSION_POINT_DATA_STORES,
                store_id,
                loader=import_component(component),
                description=description,
            )

    return init_plugin
