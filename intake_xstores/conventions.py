"""Names the whole package agrees on, kept in one light module (no imports).

Descriptors find a dataset's bbox, the multi-level code its axes to
downsample, and the Intake face its quick maps by the same dimension names;
the ``.levels`` format and the multi-level code accept the same aggregation
methods.
"""

X_DIM_NAMES: tuple[str, ...] = ("x", "lon", "longitude")
"""Names of a horizontal x dimension, in order of preference."""

Y_DIM_NAMES: tuple[str, ...] = ("y", "lat", "latitude")
"""Names of the y dimension, each at the same index as its x in :data:`X_DIM_NAMES`."""

GEOGRAPHIC_X_DIM_NAMES: tuple[str, ...] = ("lon", "longitude")
"""x dimension names that mean geographic coordinates (EPSG:4326) when no CRS is given."""

AGG_METHODS: tuple[str, ...] = ("first", "mean", "median", "min", "max", "mode")
"""Aggregation methods for downsampling a variable to the next level."""
