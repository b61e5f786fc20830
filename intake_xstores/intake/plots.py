"""Quick maps of a dataset, as hvplot arguments declared in Intake metadata.

Intake's GUI (its plot button) and ``hvplot`` read a source's
``metadata["plots"]``: ``{name: hvplot keyword arguments}``. Our sources
declare one quick map per variable there, made from the descriptor alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..conventions import X_DIM_NAMES, Y_DIM_NAMES

#: Names of horizontal dimensions, x first, for which quick plots are made.
SPATIAL_DIMS: tuple[tuple[str, str], ...] = tuple(zip(X_DIM_NAMES, Y_DIM_NAMES, strict=True))

#: Most variables that get a quick plot each.
MAX_PLOTS = 8


def suggest_plots(metadata: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """hvplot arguments of one quick map per variable of a dataset's descriptor.

    *metadata* is a descriptor as a dict (``descriptor.to_dict()``). Each
    variable with two horizontal dimensions (``lon``/``lat``, ``x``/``y``)
    gets an ``image`` plot; any further dimension (``time``) becomes a
    slider. Vector data and variables without a map get none.
    """
    plots: dict[str, dict[str, Any]] = {}
    for name, var in (metadata.get("data_vars") or {}).items():
        dims = list(var.get("dims") or ())
        for x, y in SPATIAL_DIMS:
            if x in dims and y in dims:
                plot: dict[str, Any] = {"kind": "image", "x": x, "y": y, "z": name}
                others = [d for d in dims if d not in (x, y)]
                if others:
                    plot["groupby"] = others
                plot["title"] = name
                units = (var.get("attrs") or {}).get("units")
                plot["clabel"] = f"{name} [{units}]" if units else name
                plots[f"map of {name}"] = plot
                break
        if len(plots) >= MAX_PLOTS:
            break
    return plots
