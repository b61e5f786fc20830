"""Browsing data stores in Intake's own GUI (Panel).

:class:`XStoresGUI` is Intake's :class:`intake.interface.gui.GUI` (the same
catalog and source lists, plots, search and "add catalog" panels), showing
more of what our drivers know in its information pane:

- for a *store* (a catalog): its description, arguments and user
  parameters (``root``, ``max_depth``, ...) with types and defaults;
- for a *data ID* (a source): its description, the descriptor (CRS, bbox,
  time range, dimensions, variables), its open parameters as user
  parameters, and quick plots hvplot can draw (:func:`.plots.suggest_plots`),
  listed in the source's ``metadata["plots"]`` for the GUI's plot panel.

Intake's own GUI (``intake.gui``) shows the descriptor and plots too: they
are the source's metadata (see :attr:`.source.XStoreSource.metadata`).

A store that cannot be listed (e.g. no credentials) shows its error in the
information pane instead of breaking the page. Serve it with::

    xstores gui catalogs/stores.yaml --port 5006

or in a notebook: ``XStoresGUI.from_paths("catalogs/stores.yaml").main``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from intake.interface.gui import GUI

from ..errors import error_text
from ..schema import to_json_value
from .source import XStoreSource


def source_info(source: Any) -> dict[str, Any]:
    """What the GUI shows of a source or catalog, as plain data for YAML."""
    try:
        described = dict(source.describe())
    except Exception as error:  # a third-party source that cannot describe itself
        described = {"description": getattr(source, "description", None), "error": str(error)}
    info: dict[str, Any] = {}
    description = described.get("description") or getattr(source, "description", None)
    title = ((getattr(source, "metadata", None) or {}).get("attrs") or {}).get("title")
    if title and isinstance(source, XStoreSource):
        description = f"{title} ({source.data_id} in data store {source.store_id!r})"
    if description:
        info["description"] = description
    for key in ("container", "driver"):
        value = described.get(key)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value:
            info[key] = value
    try:
        metadata = dict(getattr(source, "metadata", None) or described.get("metadata") or {})
    except Exception:  # data that cannot be described: the caller shows why
        metadata = {}
    metadata.pop("catalog_dir", None)
    if metadata:
        info["metadata"] = metadata
    parameters = {}
    for p in described.get("user_parameters") or ():
        p = dict(p)
        name = p.pop("name")
        parameters[name] = {k: v for k, v in p.items() if v is not None}
    if parameters:
        info["user_parameters"] = parameters
    if described.get("args"):
        info["args"] = described["args"]
    store_params = _params_in_use(source)
    if store_params:
        info["store_params_in_use"] = store_params
    return to_json_value(info)


def _params_in_use(source: Any) -> dict[str, Any] | None:
    """The store parameters a store catalog resolved its templates to, secrets hidden."""
    from ..store import get_data_store_params_schema
    from .catalog import XStoreCatalog
    from .params import redact

    if not isinstance(source, XStoreCatalog):
        return None
    schema = get_data_store_params_schema(source.store_id)
    return redact(source.store_id, schema, source.store.params, replacement="***")


def _dump(name: str, info: Mapping[str, Any]) -> str:
    return yaml.safe_dump(
        {name: dict(info)}, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
    )


class XStoresGUI(GUI):
    """Intake's GUI, telling what our stores and data IDs hold.

    Parameters
    ----------
    cats:
        Catalogs to browse, ``{display name: catalog}``.
    """

    def __init__(self, cats: Mapping[str, Any] | None = None):
        super().__init__(cats=dict(cats) if cats else None)
        self.sourceinf.param.update(sizing_mode="stretch_both", min_height=400, min_width=500)
        _embed_logo(self.main)

    @classmethod
    def from_paths(cls, paths: Sequence[str | os.PathLike]) -> XStoresGUI:
        """A GUI browsing the YAML catalogs at *paths*, named by file name.

        Catalogs of the same file name are told apart by their folders
        (``a/stores.yaml``, ``b/stores.yaml``).
        """
        import intake

        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        names = display_names(paths)
        return cls(
            {name: intake.open_catalog(str(p)) for name, p in zip(names, paths, strict=True)}
        )

    def cat_selected(self, *events: Any) -> None:
        """List the selected catalog's entries; describe it, or tell why it cannot list."""
        if not self.catsel.value:
            return
        name = self.catsel.value[0]
        cat, shown = self._cats[name], name.strip(" \u2002└─>")
        list_entries = super().cat_selected

        def attempt() -> None:
            try:
                list_entries(*events)
            except Exception:
                self.sourcesel.param.update(options=[])  # before the error shows
                raise

        if not self._failed(shown, cat, attempt):
            self._show(shown, source_info(cat))

    def source_selected(self, *events: Any) -> None:
        """Show the selected source's descriptor, parameters and plots."""
        if not self.sourcesel.value:
            return
        name = self.sourcesel.value[0]
        source = self._sources[name]
        # an XStoreSource describes its data when its metadata is first asked for
        if self._failed(name, source, lambda: source.metadata):
            return
        try:
            info = source_info(source)
        except Exception as error:
            info = {"error": _one_line(error)}
        self._show(name, info)
        if self.plots.panel.visible:
            self.plots.source = source

    def _failed(self, name: str, obj: Any, attempt: Callable[[], Any]) -> bool:
        """Run *attempt*; if it fails, show why beside what *obj* tells, and say so."""
        try:
            attempt()
        except Exception as error:
            self._show(name, {"error": _one_line(error), **source_info(obj)})
            return True
        return False

    def _show(self, name: str, info: Mapping[str, Any]) -> None:
        self.sourceinf.param.update(value=_dump(name, info))


def display_names(paths: Sequence[str | os.PathLike]) -> list[str]:
    """The file names of *paths*, with as many parent folders as tell them apart."""
    parts = [Path(os.path.abspath(p)).parts for p in paths]
    longest = max((len(p) for p in parts), default=0)
    depth = 1
    while True:
        names = ["/".join(p[-depth:]) for p in parts]
        if len(set(names)) == len(set(parts)) or depth >= longest:
            return names
        depth += 1


def _embed_logo(layout: Any) -> None:
    """Embed Intake's logo, or hide it: a file path reaches the browser as a broken image."""
    from intake.interface.base import ICONS
    from panel.pane import PNG

    logo = ICONS["logo"]
    for pane in layout.select(PNG):
        if pane.object == logo:
            if os.path.isfile(logo):
                with open(logo, "rb") as f:
                    pane.object = f.read()
            else:  # intake 2.0.9 ships without its icons
                pane.visible = False


def _one_line(error: BaseException) -> str:
    return " ".join(error_text(error).split())


def serve(
    paths: Sequence[str | os.PathLike],
    port: int = 5006,
    address: str = "127.0.0.1",
    show: bool = False,
) -> None:
    """Serve a GUI browsing the YAML catalogs at *paths* until interrupted.

    Each browser session gets its own :class:`XStoresGUI`. Only *address*
    (loopback by default) may connect.
    """
    import panel as pn

    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no such catalog file: {path}")
    pn.extension("codeeditor")

    def app() -> Any:
        return pn.Column(
            pn.pane.Markdown("## intake_xstores: data stores in Intake"),
            XStoresGUI.from_paths(paths).main,
            sizing_mode="stretch_width",
        )

    origins = [f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    pn.serve(
        {"/": app},
        port=port,
        address=address,
        show=show,
        title="intake_xstores",
        websocket_origin=origins,
        print_url=True,
    )
