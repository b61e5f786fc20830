"""The extension registry: where stores, openers, writers, formats and
protocols are found.

Extensions are registered by ``init_plugin(ext_registry)`` functions, found
through the ``intake_xstores.plugins`` entry point group: our own
(``intake_xstores.plugin:init_plugin``, always first) and those of installed
packages. Components are imported lazily, when first used, so registering
costs no imports.

Duplicates: the first registration of a name at a point wins. A later one
(a plugin registering a name the package or an earlier plugin already has)
is ignored with a :class:`RuntimeWarning` naming both plugins, so a plugin
can never silently replace a built-in store, format or protocol.

Some extensions are not registered one by one but computed on demand by an
:class:`ExtensionProvider` (the filesystem openers and writers composed of
every format and protocol, the stores of unregistered fsspec protocols).
"""

from __future__ import annotations

import importlib
import threading
import warnings
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from .errors import error_text

EXTENSION_POINT_DATA_STORES = "intake_xstores.stores"
EXTENSION_POINT_DATA_OPENERS = "intake_xstores.openers"
EXTENSION_POINT_DATA_WRITERS = "intake_xstores.writers"
EXTENSION_POINT_FS_FORMATS = "intake_xstores.fs.formats"
EXTENSION_POINT_FS_PROTOCOLS = "intake_xstores.fs.protocols"

PLUGIN_ENTRY_POINT_GROUP = "intake_xstores.plugins"
BUILTIN_PLUGIN = EntryPoint(
    name="intake_xstores",
    value="intake_xstores.plugin:init_plugin",
    group=PLUGIN_ENTRY_POINT_GROUP,
)

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


class ExtensionProvider:
    """Extensions of one point computed on demand rather than registered.

    :meth:`find` lists what the point offers (what ``find_*`` functions and
    listings show); :meth:`get` may resolve more names than it lists (an
    fsspec protocol that no plugin registered, say). Both are asked each
    time, so they see the registry as it is then.
    """

    def find(self, registry: ExtensionRegistry, point: str) -> list[Extension]:
        """The extensions this provider lists at *point*."""
        return []

    def get(self, registry: ExtensionRegistry, point: str, name: str) -> Extension | None:
        """The extension *name* at *point*, or None; by default one :meth:`find` lists."""
        return next((e for e in self.find(registry, point) if e.name == name), None)


class ExtensionRegistry:
    """Extensions by point and name, registered or provided (see the module doc)."""

    def __init__(self):
        self._extensions: dict[str, dict[str, Extension]] = {}
        self._providers: list[ExtensionProvider] = []
        self._plugin = "the caller"  # who registers now: named in duplicate warnings

    def add_extension(self, *args: Any, **kwargs: Any) -> Extension:
        """Register the :class:`Extension` of the arguments (``point, name,
        component=None, loader=None, **metadata``); a name registered before
        at the same point stays (with a warning)."""
        extension = Extension(*args, plugin=self._plugin, **kwargs)
        point, name = extension.point, extension.name
        existing = self._extensions.setdefault(point, {}).get(name)
        if existing is not None:
            warnings.warn(
                f"intake_xstores: {self._plugin} registers {name!r} at {point!r}, which "
                f"{existing.metadata['plugin']} registered first; the first registration "
                "is kept",
                RuntimeWarning,
                stacklevel=2,
            )
            return existing
        self._extensions[point][name] = extension
        return extension

    def add_provider(self, provider: ExtensionProvider) -> None:
        """Let *provider* contribute extensions computed on demand."""
        self._providers.append(provider)

    def has_extension(self, point: str, name: str) -> bool:
        """Whether *name* is registered or provided at *point* (as in xcube)."""
        return self.get_extension(point, name) is not None

    def remove_extension(self, point: str, name: str) -> None:
        """Unregister *name* at *point* (as in xcube); provided ones cannot be removed."""
        self._extensions.get(point, {}).pop(name, None)

    def get_extension(self, point: str, name: str) -> Extension | None:
        extension = self._extensions.get(point, {}).get(name)
        for provider in self._providers:
            if extension is not None:
                break
            extension = provider.get(self, point, name)
        return extension

    def get_component(self, point: str, name: str) -> Any:
        extension = self.get_extension(point, name)
        if extension is None:
            raise KeyError(f"no extension {name!r} at point {point!r}")
        return extension.component

    def find_extensions(
        self, point: str, predicate: Callable[[Extension], bool] | None = None
    ) -> list[Extension]:
        """The registered extensions of *point*, then those providers list."""
        found = list(self._extensions.get(point, {}).values())
        for provider in self._providers:
            found.extend(provider.find(self, point))
        return [e for e in found if predicate is None or predicate(e)]

    def __iter__(self) -> Iterator[Extension]:
        for extensions in self._extensions.values():
            yield from extensions.values()

    def load_plugins(self) -> None:
        """Run every installed plugin's ``init_plugin``, ours first; a broken one only warns."""
        found = list(entry_points(group=PLUGIN_ENTRY_POINT_GROUP))
        # Ours is first even from a source tree that was never installed.
        ours = [ep for ep in found if ep.value == BUILTIN_PLUGIN.value] or [BUILTIN_PLUGIN]
        for ep in ours + [ep for ep in found if ep.value != BUILTIN_PLUGIN.value]:
            self._plugin = f"plugin {ep.name!r} ({ep.value})"
            try:
                ep.load()(self)
            except Exception as error:  # a third party's bug must not break ours
                if ep.value == BUILTIN_PLUGIN.value:
                    raise  # ours must not fail quietly
                warnings.warn(
                    f"intake_xstores {self._plugin} failed to load and was skipped: "
                    f"{error_text(error)}",
                    RuntimeWarning,
                    stacklevel=2,
                )
            finally:
                self._plugin = "the caller"


_registry: ExtensionRegistry | None = None
_lock = threading.Lock()


def get_extension_registry() -> ExtensionRegistry:
    """The process-wide registry, filled by all plugins on first use."""
    global _registry
    with _lock:
        if _registry is None:
            registry = ExtensionRegistry()
            registry.load_plugins()
            _registry = registry
    return _registry


def refresh_extension_registry() -> ExtensionRegistry:
    """Read the plugins' entry points again, e.g. after installing a plugin
    in a running session; returns the new process-wide registry.

    Stores already made keep working; new ones see the new plugins.
    """
    global _registry
    registry = ExtensionRegistry()
    registry.load_plugins()
    with _lock:
        _registry = registry
    return registry
