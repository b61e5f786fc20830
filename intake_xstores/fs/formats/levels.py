"""The ``.levels`` format: a multi-level dataset as a folder of Zarrs.

::

    NAME.levels/
      .zlevels     JSON: version, num_levels, tile_size, agg_methods, use_saved_levels
      0.zarr       level 0, the finest (or 0.link: where level 0 lives instead)
      1.zarr       half the resolution of level 0
      ...

``0.link`` holds the path of a dataset relative to the ``.levels`` folder,
e.g. ``../cube.zarr``, so a pyramid can sit beside its full-resolution cube
without copying it. A link may only point into the folder holding the
``.levels`` folder or below it: that keeps it inside the store (whose root
the format does not know) and keeps it valid when the store root moves.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from ...errors import DataStoreError, param_error, shown
from ...opening import ZARR_OPEN_PARAMS
from ...schema import (
    JsonArraySchema,
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonIntegerSchema,
    JsonObjectSchema,
    JsonStringSchema,
)
from .base import FsFormat
from .zarr import ZarrFormat

LEVELS_VERSION = "1.0"
META_NAME = ".zlevels"
LINK_NAME = "0.link"
_AGG_METHODS = ["first", "mean", "median", "min", "max", "mode"]


class LevelsFormat(FsFormat):
    """Multi-level datasets (``mldataset``), or their level 0 (``dataset``)."""

    id = "levels"
    extensions = (".levels",)
    data_types = ("mldataset", "dataset")

    def get_open_params_schema(self, data_type: str) -> JsonObjectSchema:
        properties = {k: v for k, v in ZARR_OPEN_PARAMS.items() if k != "group"}
        return JsonObjectSchema(properties=properties, additional_properties=False)

    def open(self, fs, path: str, data_type: str, **params: Any):
        from ...mldataset import MultiLevelDataset

        meta = read_levels_meta(fs, path)
        link = _read_link(fs, path)
        mlds = MultiLevelDataset(
            _LevelOpener(fs, path, link, params),
            meta["num_levels"],
            ds_id=path,
            tile_size=meta.get("tile_size"),
            agg_methods=meta.get("agg_methods"),
        )
        return mlds if data_type == "mldataset" else mlds.base_dataset

    def get_write_params_schema(self) -> JsonObjectSchema:
        return JsonObjectSchema(
            properties=dict(
                num_levels=JsonIntegerSchema(
                    minimum=1,
                    description="Number of levels; by default, until the coarsest "
                    "level fits in one tile",
                ),
                tile_size=JsonComplexSchema(
                    one_of=[
                        JsonIntegerSchema(minimum=1),
                        JsonArraySchema(
                            items=JsonIntegerSchema(minimum=1), min_items=2, max_items=2
                        ),
                    ],
                    description="Tile (and Zarr chunk) size in pixels, as N or "
                    "[width, height]; by default the data's spatial chunk size if "
                    "smaller than its extent, else 256",
                ),
                agg_methods=JsonComplexSchema(
                    one_of=[
                        JsonStringSchema(enum=_AGG_METHODS),
                        JsonObjectSchema(additional_properties=JsonStringSchema(enum=_AGG_METHODS)),
                    ],
                    description="How to aggregate pixels into the next level: one "
                    "method for all variables, or one per variable name (wildcards "
                    "allowed); default: mean for floats, first for integers and flags",
                ),
                base_dataset_id=JsonStringSchema(
                    format="data-id",
                    description="Data ID of the full-resolution dataset in the same "
                    "store, in the folder of the multi-level dataset or below it; "
                    "level 0 becomes a link to it instead of a copy",
                ),
                use_saved_levels=JsonBooleanSchema(
                    default=False,
                    description="Compute each level from the previous level as "
                    "written, not from the in-memory chain (smaller task graphs "
                    "for deep pyramids)",
                ),
                progress=JsonBooleanSchema(
                    default=False,
                    description="Show a progress bar per level, counting its chunks written",
                ),
            ),
            additional_properties=False,
        )

    def write(
        self,
        data: Any,
        fs,
        path: str,
        num_levels: int | None = None,
        tile_size: int | list[int] | None = None,
        agg_methods: str | dict[str, str] | None = None,
        base_dataset_id: str | None = None,
        use_saved_levels: bool = False,
        progress: bool = False,
        **params: Any,
    ) -> None:
        """Write *data* (a dataset or a ``MultiLevelDataset``) as *path*.

        *base_dataset_id*, if given, is the path of level 0 on *fs* (the
        store translates the data ID); level 0 is then linked, not written.
        """
        from ...mldataset import (
            MultiLevelDataset,
            downsample,
            normalize_tile_size,
            spatial_dims,
        )

        if isinstance(data, MultiLevelDataset):
            base = data.base_dataset
            if num_levels is not None and num_levels > data.num_levels:
                raise param_error(
                    "num_levels",
                    num_levels,
                    allowed=f"at most {data.num_levels}, the levels of the given "
                    "multi-level dataset",
                )
            mlds = data
            methods = data.agg_methods  # None: made by some other means
            tile_size = tile_size if tile_size is not None else data.tile_size
        else:
            base = data
            if tile_size is None:
                tile_size = _default_tile_size(data)
            # Validates everything and settles the default of num_levels.
            mlds = MultiLevelDataset.from_dataset(
                data, num_levels, tile_size=tile_size, agg_methods=agg_methods
            )
            methods = mlds.agg_methods
        num_levels = num_levels or mlds.num_levels
        x_dim, y_dim = spatial_dims(base)
        tile = normalize_tile_size(tile_size) or mlds.tile_size
        if tile is None:
            tile = (min(base.sizes[x_dim], 512), min(base.sizes[y_dim], 512))

        link = None
        if base_dataset_id is not None:
            link = _link_to(fs, path, base_dataset_id)
            _check_same_grid(base, _open_linked(fs, path, link, {}), base_dataset_id, x_dim, y_dim)

        fs.makedirs(path, exist_ok=True)
        previous = None
        for index in range(num_levels):
            if isinstance(data, MultiLevelDataset):
                level = data.get_dataset(index)
            elif index == 0:
                level = base
            else:
                level = downsample(previous, methods)
            if index == 0 and link is not None:
                fs.pipe_file(posixpath.join(path, LINK_NAME), link.encode("utf-8"))
                saved = _open_linked(fs, path, link, {}) if use_saved_levels else level
            else:
                level_path = posixpath.join(path, f"{index}.zarr")
                _write_level(level, fs, level_path, tile, x_dim, y_dim, progress)
                saved = _open_zarr(fs, level_path, {}) if use_saved_levels else level
            previous = saved
        meta = {
            "version": LEVELS_VERSION,
            "num_levels": num_levels,
            "tile_size": list(tile),
            "agg_methods": methods,
            "use_saved_levels": use_saved_levels,
        }
        fs.pipe_file(posixpath.join(path, META_NAME), json.dumps(meta, indent=2).encode())


class _LevelOpener:
    """Opens level *index* of a ``.levels`` folder (picklable, for Dask)."""

    def __init__(self, fs, path: str, link: str | None, params: dict[str, Any]):
        self.fs = fs
        self.path = path
        self.link = link
        self.params = params

    def __call__(self, index: int):
        if index == 0 and self.link is not None:
            return _open_linked(self.fs, self.path, self.link, self.params)
        return _open_zarr(self.fs, posixpath.join(self.path, f"{index}.zarr"), self.params)


def read_levels_meta(fs, path: str) -> dict[str, Any]:
    """The ``.zlevels`` object of *path*, or one inferred from its level names."""
    try:
        meta = json.loads(fs.cat_file(posixpath.join(path, META_NAME)))
    except FileNotFoundError:
        meta = None
    except ValueError as error:
        raise DataStoreError(f"Invalid {META_NAME} in {shown(path)!r}: {error}") from None
    if meta is None:  # e.g. written by a tool that does not write .zlevels
        names = {posixpath.basename(p.rstrip("/")) for p in fs.ls(path, detail=False)}
        indexes = {int(m.group(1)) for n in names if (m := re.fullmatch(r"(\d+)\.zarr", n))}
        if LINK_NAME in names:
            indexes.add(0)
        num_levels = 0
        while num_levels in indexes:
            num_levels += 1
        meta = {"num_levels": num_levels}
    num_levels = meta.get("num_levels")
    if not isinstance(num_levels, int) or num_levels < 1:
        raise DataStoreError(
            f"{shown(path)!r} is not a multi-level dataset: it has no levels "
            f"(num_levels={num_levels!r}); expected 0.zarr (or {LINK_NAME}), 1.zarr, ..."
        )
    if not str(meta.get("version", LEVELS_VERSION)).startswith("1."):
        raise DataStoreError(
            f"Unsupported {META_NAME} version {meta['version']!r} in {shown(path)!r}; "
            f"this version reads 1.x"
        )
    return meta


def _read_link(fs, path: str) -> str | None:
    try:
        link = fs.cat_file(posixpath.join(path, LINK_NAME)).decode("utf-8").strip()
    except FileNotFoundError:
        return None
    _check_link(link, path)
    return link


def _check_link(link: str, path: str) -> None:
    parts = link.split("/")
    if (
        len(parts) < 2
        or parts[0] != ".."
        or any(p in ("", ".", "..") for p in parts[1:])
        or "://" in link
        or "\\" in link
    ):
        raise DataStoreError(
            f"Invalid link {link!r} in {posixpath.join(path, LINK_NAME)!r}: a link is "
            "'../' followed by a path without '..', naming a dataset in the folder of "
            "the multi-level dataset or below it"
        )


def _link_to(fs, path: str, base_path: str) -> str:
    """The link from the ``.levels`` folder *path* to *base_path*, or a clear error."""
    base_path = base_path.rstrip("/")
    link = posixpath.relpath(base_path, path)
    parts = link.split("/")
    if parts[0] != ".." or ".." in parts[1:] or len(parts) < 2:
        raise param_error(
            "base_dataset_id",
            base_path,
            allowed="a dataset in the folder of the multi-level dataset or below it",
        )
    if not fs.exists(base_path):
        raise param_error("base_dataset_id", base_path, problem="it does not exist")
    _format_of(base_path, "base_dataset_id")
    return link


def _format_of(path: str, what: str):
    """The registered dataset format for *path*, by its extension."""
    from ..components import format_class_of, format_classes, get_format

    datasets = [c for c in format_classes() if "dataset" in c.data_types and c is not LevelsFormat]
    cls = format_class_of(path, datasets)
    if cls is not None:
        return get_format(cls.id)
    candidates = sorted(e for c in datasets for e in c.extensions)
    raise param_error(
        what, path, allowed=f"a dataset with one of the extensions {', '.join(candidates)}"
    )


def _open_linked(fs, path: str, link: str, params: dict[str, Any]):
    target = _link_target(path, link)
    fmt = _format_of(target, "0.link")
    schema = fmt.get_open_params_schema("dataset")
    known = {k: v for k, v in params.items() if k in schema.properties}
    try:
        return fmt.open(fs, target, "dataset", **known)
    except FileNotFoundError:
        raise DataStoreError(
            f"The base dataset {link!r} linked from {shown(path)!r} does not exist"
        ) from None


def _link_target(path: str, link: str) -> str:
    """Where the checked *link* (``../`` + a path) of the folder *path* points.

    Joined by hand: ``posixpath.normpath`` would collapse the ``//`` of a URL.
    """
    parent = posixpath.dirname(path.rstrip("/"))
    rest = link[len("../") :]
    return f"{parent}/{rest}" if parent else rest


def _open_zarr(fs, path: str, params: dict[str, Any]):
    return ZarrFormat().open(fs, path, "dataset", **params)


def _check_same_grid(data, base, base_id: str, x_dim: str, y_dim: str) -> None:
    got = {d: data.sizes.get(d) for d in (x_dim, y_dim)}
    linked = {d: base.sizes.get(d) for d in (x_dim, y_dim)}
    if got != linked:
        raise param_error(
            "base_dataset_id",
            base_id,
            problem=f"it has the spatial sizes {linked}, but the data written has {got}; "
            "level 0 must be the linked dataset",
        )


def _write_level(
    level, fs, path: str, tile: tuple[int, int], x_dim: str, y_dim: str, progress: bool
):
    """Write one level in tiles, through the Zarr format (and its protocol care);
    with *progress*, on its own bar counting its chunks, labelled with the level."""
    level = level.copy()
    for var in level.variables.values():
        for key in ("chunks", "preferred_chunks", "shards"):
            var.encoding.pop(key, None)
    tiles = {x_dim: tile[0], y_dim: tile[1]}  # other dimensions keep their chunks
    ZarrFormat().write(
        level, fs, path, zarr_format=2, consolidated=True, chunks=tiles, progress=progress
    )


def _default_tile_size(data) -> tuple[int, int] | None:
    """The data's spatial chunks if they make tiles, else tiles of DEFAULT_TILE_SIZE.

    Data opened in one chunk (as NetCDF often is) would otherwise be one tile
    of its full extent, and its pyramid a single level.
    """
    from ...mldataset.downsample import DEFAULT_TILE_SIZE, spatial_dims

    try:
        x_dim, y_dim = spatial_dims(data)
        chunks = data.chunksizes
    except (DataStoreError, ValueError):  # no spatial dims, or ragged chunks
        return None  # from_dataset explains
    width, height = data.sizes[x_dim], data.sizes[y_dim]
    if x_dim in chunks and y_dim in chunks:
        tile = chunks[x_dim][0], chunks[y_dim][0]
        if tile[0] < width or tile[1] < height:
            return int(tile[0]), int(tile[1])
    return min(width, DEFAULT_TILE_SIZE), min(height, DEFAULT_TILE_SIZE)
