"""The extension registry: where stores, openers, writers, formats and
protocols are found.

Extensions are registered by ``init_plugin(ext_registry)`` functions: our own
(:mod:`intake_xstores.plugin`) and those of installed packages that declare
an entry point in the ``intake_xstores.plugins`` group. Components are
imported lazily, when first used, so registering costs no imports.
"""

from __future__ import annotations

import importlib
import threading
import warnings
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any

from .errors import error_text

EXTENSION_POINT_DATA_STORES = "intake_xstores.stores"
EXTENSION_POINT_DATA_OPENERS = "intake_xstores.openers"
EXTENSION_POINT_DATA_WRITERS = "intake_xstores.writers"
EXTENSION_POINT_FS_FORMATS = "intake_xstores.fs.formats"
EXTENSION_POINT_FS_PROTOCOLS = "intake_xstores.fs.protocols"

PLUGIN_ENTRY_POINT_GROUP = "intake_xstores.plugins"

Loader = Callable[["Extension"], Any]


class Extension:
    """A named component at an extension point, loaded on first access."""

    def __init__(
        self,
        point: str,
        name: str,
        component: Any = None,
        loader: Loader | None = None,
        **metadata: Any,
    ):
        if component is None and loader is None:
            raise ValueError("an extension needs a component or a loader")
        self.point = point
        self.name = name
        self.metadata = metadata
        self._component = component
        self._loader = loader

    @property
    def is_loaded(self) -> bool:
        return self._component is not None

    @property
    def component(self) -> Any:
        """The component, imported by the loader the first time it is asked for."""
        if self._component is None:
            self._component = self._loader(self)
        return self._component

    def __repr__(self) -> str:
        return f"Extension(point={self.point!r}, name={self.name!r})"


def import_component(spec: str) -> Loader:
    """A loader for ``"package.module:Attribute"``, imported when called."""
    module_name, _, attr = spec.partition(":")

    def load(extension: Extension) -> Any:
        obj = importlib.import_module(module_name)
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
        return obj

    load.spec = spec  # type: ignore[attr-defined]
    return load


class ExtensionRegistry:
    """Extensions by point and name."""

    def __init__(self):
        self._extensions: dict[str, dict[str, Extension]] = {}

    def add_extension(
        self,
        point: str,
        name: str,
        component: Any = None,
        loader: Loader | None = None,
        **metadata: Any,
    ) -> Extension:
        extension = Extension(point, name, component, loader, **metadata)
        self._extensions.setdefault(point, {})[name] = extension
        return extension

    def remove_extension(self, point: str, name: str) -> None:
        self._extensions.get(point, {}).pop(name, None)

    def has_extension(self, point: str, name: str) -> bool:
        return name in self._extensions.get(point, {})

    def get_extension(self, point: str, name: str) -> Extension | None:
        return self._extensions.get(point, {}).get(name)

    def get_component(self, point: str, name: str) -> Any:
        extension = self.get_extension(point, name)
        if extension is None:
            raise KeyError(f"no extension {name!r} at point {point!r}")
        return extension.component

    def find_extensions(
        self, point: str, predicate: Callable[[Extension], bool] | None = None
    ) -> list[Extension]:
        return [
            e for e in self._extensions.get(point, {}).values() if predicate is None or predicate(e)
        ]

    def __iter__(self) -> Iterator[Extension]:
        for extensions in self._extensions.values():
            yield from extensions.values()


_registry: ExtensionRegistry | None = None
_lock = threading.Lock()


def get_extension_registry() -> ExtensionRegistry:
    """The process-wide registry, filled by all plugins on first use."""
    global _registry
    with _lock:
        if _registry is None:
            registry = ExtensionRegistry()
            from .plugin import init_plugin

            init_plugin(registry)
            load_plugins(registry)
            _registry = registry
    return _registry


def load_plugins(registry: ExtensionRegistry) -> None:
    """Run every installed plugin's ``init_plugin``; a broken one only warns."""
    for ep in entry_points(group=PLUGIN_ENTRY_POINT_GROUP):
        if ep.value == "intake_xstores.plugin:init_plugin":
            continue  # already initialised above, even when not installed
        try:
            ep.load()(registry)
        except Exception as error:  # a third party's bug must not break ours
            warnings.warn(
                f"intake_xstores plugin {ep.name!r} ({ep.value}) failed to load "
                f"and was skipped: {error_text(error)}",
                RuntimeWarning,
                stacklevel=2,
            )
