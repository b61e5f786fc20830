"""A CDS result file (NetCDF, or a zip or tgz of NetCDF files) as one normalised dataset.

Results differ by dataset and by CDS backend: ERA5 comes as NetCDF with
``valid_time``/``latitude``/``longitude`` (or a zip of such files, one per
kind of variable), satellite products as archives of one file per time step.
:func:`read_result` unpacks what it gets, combines the files, loads the values
(so the downloaded file can be deleted at once, leaving nothing behind) and
normalises the dataset: ``time``/``lat``/``lon`` names, latitudes ascending,
the requested variables, time range and area only, CF attributes.
"""

from __future__ import annotations

import os
import re
import tarfile
import zipfile
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...errors import DataStoreError, error_text

_RENAMES = {"valid_time": "time", "latitude": "lat", "longitude": "lon"}


def netcdf_files(path: str, folder: str) -> list[str]:
    """The NetCDF files of the result *path*: itself, or its archive's members unpacked
    (by base name only, so no member lands outside *folder*)."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic.startswith((b"CDF", b"\x89HDF")):
        return [path]
    members: list[str] = []
    if magic == b"PK\x03\x04":
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.endswith(".nc") and not info.is_dir():
                    members.append(_unpack(folder, info.filename, archive.read(info)))
    elif magic.startswith(b"\x1f\x8b"):
        with tarfile.open(path, "r:gz") as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(".nc"):
                    data = archive.extractfile(member).read()
                    members.append(_unpack(folder, member.name, data))
    else:
        raise DataStoreError(f"the result is neither NetCDF, zip nor tgz (it starts {magic!r})")
    if not members:
        raise DataStoreError("the result archive holds no NetCDF file")
    return sorted(members)


def _unpack(folder: str, name: str, data: bytes) -> str:
    path = os.path.join(folder, f"member-{len(os.listdir(folder))}-{os.path.basename(name)}")
    with open(path, "wb") as f:
        f.write(data)
    return path


def read_result(path: str, folder: str) -> xr.Dataset:
    """The result file *path* as one dataset in memory (its files combined)."""
    datasets = []
    try:
        for file in netcdf_files(path, folder):
            with xr.open_dataset(file) as ds:
                datasets.append(_renamed(ds.load()))
        return datasets[0] if len(datasets) == 1 else xr.combine_by_coords(datasets)
    except DataStoreError:
        raise
    except Exception as error:
        raise DataStoreError(f"the result cannot be read: {error_text(error)}") from error


def _renamed(ds: xr.Dataset) -> xr.Dataset:
    ds = ds.rename({k: v for k, v in _RENAMES.items() if k in ds.variables})
    return ds.drop_vars([c for c in ("number", "expver") if c in ds.coords and c not in ds.dims])


def normalize(
    ds: xr.Dataset,
    params: dict[str, Any],
    variables: list[str],
    normalize_names: bool,
    attrs: dict[str, Any],
) -> xr.Dataset:
    """*ds* cut to the request and given CF attributes; see the module's docstring."""
    ds = ds[[v for v in variables if v in ds.data_vars]]
    if "lon" in ds.coords and float(ds.lon.max()) > 180:
        ds = ds.assign_coords(lon=((ds.lon + 180) % 360) - 180).sortby("lon")
    if "lat" in ds.dims and ds.sizes["lat"] > 1 and ds.lat[0] > ds.lat[-1]:
        ds = ds.isel(lat=slice(None, None, -1))
    if "time" in ds.dims:
        start, end = (pd.Timestamp(t) for t in params["time_range"])
        if end == end.normalize():
            end = end + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        ds = ds.sel(time=slice(start, end))
    west, south, east, north = params["bbox"]
    x, y = ("lon", "lat") if "lon" in ds.dims else ("xc", "yc")
    if x in ds.dims and y in ds.dims:
        ds = ds.sel({x: slice(west, east), y: slice(south, north)})
    if normalize_names:
        ds = ds.rename({name: _normal_name(name) for name in ds.data_vars})
    ds.attrs.update(_cf_attrs(ds, attrs))
    return ds


def _normal_name(name: str) -> str:
    """*name* as a Python identifier: other characters become ``_``."""
    name = re.sub(r"\W", "_", str(name))
    return f"_{name}" if name[:1].isdigit() else name


def _cf_attrs(ds: xr.Dataset, attrs: dict[str, Any]) -> dict[str, Any]:
    out = {"Conventions": "CF-1.7", **attrs}
    if "lat" in ds.coords and ds.sizes.get("lat"):
        out.update(
            geospatial_lat_min=float(ds.lat.min()),
            geospatial_lat_max=float(ds.lat.max()),
            geospatial_lon_min=float(ds.lon.min()),
            geospatial_lon_max=float(ds.lon.max()),
        )
        ds.lat.attrs.update(standard_name="latitude", units="degrees_north")
        ds.lon.attrs.update(standard_name="longitude", units="degrees_east")
    if "time" in ds.coords and ds.sizes.get("time"):
        times = ds.time.values
        out.update(
            time_coverage_start=str(np.datetime_as_string(times.min(), unit="s")),
            time_coverage_end=str(np.datetime_as_string(times.max(), unit="s")),
        )
        ds.time.attrs.setdefault("standard_name", "time")
    return out
