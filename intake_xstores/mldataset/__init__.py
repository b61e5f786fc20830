"""Multi-level datasets: one cube at several resolutions, for fast map display.

:class:`MultiLevelDataset` is the type stores return; the other classes are
xcube's kinds of multi-level dataset (see :mod:`.derived`), and
:class:`GridMapping` tells where a level's pixels are. Imported lazily:
``import intake_xstores`` imports neither this package nor xarray.
"""

from .abc import MultiLevelDataset, get_num_levels
from .derived import (
    BaseMultiLevelDataset,
    CombinedMultiLevelDataset,
    ComputedMultiLevelDataset,
    FsMultiLevelDataset,
    IdentityMultiLevelDataset,
    LazyMultiLevelDataset,
    MappedMultiLevelDataset,
)
from .downsample import (
    AGG_METHODS,
    X_DIM_NAMES,
    Y_DIM_NAMES,
    AggMethods,
    TileSize,
    default_agg_method,
    downsample,
    max_num_levels,
    normalize_tile_size,
    resolve_agg_methods,
    spatial_dims,
)
from .gridmapping import GridMapping

__all__ = [
    "AGG_METHODS",
    "X_DIM_NAMES",
    "Y_DIM_NAMES",
    "AggMethods",
    "BaseMultiLevelDataset",
    "CombinedMultiLevelDataset",
    "ComputedMultiLevelDataset",
    "FsMultiLevelDataset",
    "GridMapping",
    "IdentityMultiLevelDataset",
    "LazyMultiLevelDataset",
    "MappedMultiLevelDataset",
    "MultiLevelDataset",
    "TileSize",
    "default_agg_method",
    "downsample",
    "get_num_levels",
    "max_num_levels",
    "normalize_tile_size",
    "resolve_agg_methods",
    "spatial_dims",
]
