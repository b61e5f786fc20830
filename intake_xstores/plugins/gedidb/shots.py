"""GEDI shots as gedidb returns them, made into a GeoDataFrame or a vector data cube.

gedidb answers a query with a pandas DataFrame (``return_type="dataframe"``)
or an ``xarray.Dataset`` along ``shot_number`` (``"xarray"``), each with the
shots' ``latitude``, ``longitude`` and ``time``, or with ``None`` when no
shot matches. Either way the shots become points in EPSG:4326; no match is
an empty result of the same kind, not an error.
"""

from __future__ import annotations

from typing import Any

CRS = "EPSG:4326"


def to_geodataframe(frame: Any):
    """One row per shot, with a point geometry."""
    import geopandas as gpd

    if frame is None:
        return gpd.GeoDataFrame(
            {"shot_number": [], "latitude": [], "longitude": [], "time": []},
            geometry=gpd.GeoSeries([], crs=CRS),
            crs=CRS,
        )
    points = gpd.points_from_xy(frame["longitude"], frame["latitude"], crs=CRS)
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=points, crs=CRS)


def to_vector_cube(dataset: Any):
    """A dataset whose dimension ``geometry`` holds the shots' points (an xvec index)."""
    import numpy as np
    import shapely
    import xarray as xr
    import xvec  # noqa: F401 - registers the .xvec accessor

    if dataset is None:
        dataset = xr.Dataset(coords={"shot_number": ("shot_number", np.array([], "uint64"))})
        lon = lat = np.array([], dtype="float64")
    else:
        lon, lat = dataset["longitude"].values, dataset["latitude"].values
    points = shapely.points(lon, lat)
    cube = dataset.assign_coords(geometry=("shot_number", points)).swap_dims(shot_number="geometry")
    return cube.xvec.set_geom_indexes("geometry", crs=CRS)
