"""The package's layers, read from its import graph (grimp sees imports inside
functions too, so a cycle "broken" by a late import still counts).

- No module imports itself through others (no cycle). Imports only for type
  checkers (``if TYPE_CHECKING:``) never run, so they close no cycle.
- The engine core knows no filesystem, reference store, plugin store, face
  or the built-in plugin module: those plug into it through the registry.
- The filesystem side imports no store but the engine's base classes, and
  its formats import no protocol: they ask the filesystem's kind.
"""

from __future__ import annotations

import grimp
import pytest

PACKAGE = "intake_xstores"
CORE = [
    "errors",
    "schema",
    "coercion",
    "datatype",
    "descriptor",
    "registry",
    "store",
    "accessor",
    "search",
    "pool",
    "mldataset",
    "zarrstore",
    "preload",
    "secrets",
    "extras",
    "assertions",
    "opening",
    "conventions",
]
ABOVE_CORE = ["fs", "ref", "plugins", "intake", "cli", "plugin"]

#: Imports (each inside a function) that close a cycle, in modules this
#: change did not own; each is to be removed, and then from this list (the
#: test fails once one no longer exists, so the list only shrinks).
CYCLES_TO_BREAK: dict[tuple[str, str], str] = {}  # all broken (house-core)


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(PACKAGE, exclude_type_checking_imports=True, cache_dir=None)


def _modules(graph, name: str) -> set[str]:
    module = f"{PACKAGE}.{name}"
    return {module} | (graph.find_descendants(module) if graph.find_children(module) else set())


def find_cycle(graph) -> list[str] | None:
    """One import cycle of the graph (a list of modules, the first repeated last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph.modules):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph.find_modules_directly_imported_by(start)))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.find_modules_directly_imported_by(nxt))))
    return None


def test_find_cycle_finds_a_cycle_made_by_an_import_inside_a_function():
    graph = grimp.ImportGraph()
    for module in ("p.a", "p.b", "p.c"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    assert find_cycle(graph) is None
    graph.add_import(importer="p.c", imported="p.a")
    assert find_cycle(graph) == ["p.a", "p.b", "p.c", "p.a"]


def test_the_graph_includes_imports_made_inside_functions(graph):
    # fs/extensions.py imports fs/store.py inside a function only
    assert graph.direct_import_exists(
        importer=f"{PACKAGE}.fs.extensions", imported=f"{PACKAGE}.fs.store"
    )


def test_no_import_cycle():
    graph = grimp.build_graph(
        PACKAGE, exclude_type_checking_imports=True, cache_dir=None
    )  # its own: imports are removed below
    for importer, imported in CYCLES_TO_BREAK:
        assert graph.direct_import_exists(importer=importer, imported=imported), (
            f"{importer} no longer imports {imported}: remove it from CYCLES_TO_BREAK"
        )
        graph.remove_import(importer=importer, imported=imported)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("core", CORE)
def test_the_core_imports_nothing_above_it(graph, core):
    illegal = []
    for importer in sorted(_modules(graph, core)):
        for above in ABOVE_CORE:
            for imported in _modules(graph, above):
                if graph.direct_import_exists(importer=importer, imported=imported):
                    illegal.append(f"{importer} imports {imported}")
    assert illegal == []


def test_fs_imports_no_store_but_the_engine_base_classes(graph):
    illegal = [
        f"{importer} imports {imported}"
        for importer in _modules(graph, "fs")
        for above in ["ref", "plugins", "intake", "cli", "plugin"]
        for imported in _modules(graph, above)
        if graph.direct_import_exists(importer=importer, imported=imported)
    ]
    assert illegal == []


def test_formats_import_no_protocol(graph):
    protocols = f"{PACKAGE}.fs.protocols"
    importers = {m for m in _modules(graph, "fs.formats")}
    assert not [m for m in importers if graph.direct_import_exists(importer=m, imported=protocols)]
