"""The gedidb rig: a small GEDI database written by gedidb itself, locally and on S3.

:func:`shots` are 240 made-up shots on a 12 x 20 raster (latitude 0..1.1,
longitude 10..11.9, 0.1 degrees apart), one a day from 2020-01-01, with
variables of every product level (``rh`` a profile of three labels).
:func:`write_database` writes them with gedidb's ``GEDIDatabase`` (the
library's own writer, so the array has gedidb's schema and metadata);
:func:`copy_to_s3` puts a copy into a bucket of the moto server.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from tests.servers import REPO, s3_options  # noqa: F401 - REPO for the tests

ROWS, COLS = 12, 20

VARIABLES = {
    "level_2a": {
        "shot_number": dict(dtype="uint64", units="", description="Shot number"),
        "quality_flag": dict(dtype="uint8", units="", description="Quality flag"),
        "rh": dict(
            dtype="float32",
            units="m",
            description="Relative height metrics",
            is_profile=True,
            profile_length=3,
            profile_labels="50,95,98",
        ),
    },
    "level_2b": {"cover": dict(dtype="float32", units="", description="Canopy cover")},
    "level_4a": {
        "agbd": dict(dtype="float32", units="Mg/ha", description="Aboveground biomass density")
    },
    "level_4c": {"wsci": dict(dtype="float32", units="", description="Structural complexity")},
}


def shots() -> pd.DataFrame:
    """The rig's shots, one row each, as gedidb's writer takes them."""
    n = ROWS * COLS
    rows, cols = np.divmod(np.arange(n), COLS)
    index = np.arange(n)
    return pd.DataFrame(
        {
            "latitude": np.round(rows * 0.1, 6),
            "longitude": np.round(10 + cols * 0.1, 6),
            "time": pd.Timestamp("2020-01-01") + pd.to_timedelta(index, unit="D"),
            "shot_number": (10_000 + index).astype("uint64"),
            "quality_flag": (index % 2).astype("uint8"),
            "rh_1": (index / 10).astype("float32"),
            "rh_2": (index / 10 + 5).astype("float32"),
            "rh_3": (index / 10 + 9).astype("float32"),
            "cover": (index % 100 / 100).astype("float32"),
            "agbd": (index * 1.5).astype("float32"),
            "wsci": (index % 13).astype("float32"),
        }
    )


def write_database(folder: Path) -> Path:
    """Write :func:`shots` into a gedidb database in *folder*; return *folder*."""
    from intake_xstores.plugins.gedidb.provider import import_gedidb

    gedidb = import_gedidb()
    levels = {
        level: {
            "variables": {
                k: {**v, "product_level": "L" + level[-2:].upper()} for k, v in vs.items()
            }
        }
        for level, vs in VARIABLES.items()
    }
    config = {
        "tiledb": {
            "storage_type": "local",
            "local_path": str(folder),
            "overwrite": True,
            "spatial_range": {"lat_min": -10.0, "lat_max": 10.0, "lon_min": 0.0, "lon_max": 20.0},
            "time_range": {"start_time": "2019-01-01", "end_time": "2023-12-31"},
            "dimensions": ["latitude", "longitude", "time"],
            "consolidation_settings": {},
        },
        **levels,
    }
    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("gedidb").setLevel(logging.WARNING)
    database = gedidb.GEDIDatabase(config)
    database._create_arrays()  # gedidb's processor calls this before writing granules
    database.write_granule(shots())
    return folder


def copy_to_s3(folder: Path, s3_endpoint: dict) -> str:
    """Copy the database in *folder* into a new bucket; return the bucket's name."""
    import s3fs

    bucket = f"gedidb-{uuid.uuid4().hex[:12]}"
    fs = s3fs.S3FileSystem(**s3_options(s3_endpoint))
    fs.mkdir(bucket)
    fs.put(str(folder / "array_uri"), f"{bucket}/array_uri", recursive=True)
    return bucket
