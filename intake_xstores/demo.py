"""``make demo``: the main job end to end, on sample data made here.

Makes ``demo_data/`` (a Zarr cube, a NetCDF cube, a GeoTIFF, GeoJSON
regions and a kerchunk reference set of the NetCDF), then finds, describes,
searches, opens, computes on and writes data through both faces: the
xcube-style API and the Intake catalog ``catalogs/stores.yaml``, whose
``local`` and ``reference`` stores are this demo data.

With the base install only, the data that needs an extra (``geo`` for the
GeoTIFF and GeoJSON, ``reference`` for the reference set) is left out, and
the demo says which extra adds it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from intake_xstores import find_data_store_extensions, new_data_store
from intake_xstores.extras import Needs

GEO = Needs(("rioxarray", "geopandas", "shapely"), "geo")
REFERENCE = Needs(("kerchunk", "h5py"), "reference")


def make_demo_data(root: str | os.PathLike) -> Path:
    """Write the sample data under *root* (replacing what a previous run made).

    Data whose libraries are not installed is left out, with a note saying
    which extra adds it.
    """
    root = Path(root)
    store = new_data_store("file", root=str(root), max_depth=3)
    rng = np.random.default_rng(42)
    lat = np.arange(30.0, 60.0, 0.25) + 0.125
    lon = np.arange(-10.0, 30.0, 0.25) + 0.125
    time = pd.date_range("2023-06-01", periods=10, freq="D")
    base = np.exp(-(((lat[:, None] - 45) / 8) ** 2 + ((lon[None, :] - 10) / 12) ** 2))
    chl = base[None] * (1 + 0.2 * rng.standard_normal((time.size, lat.size, lon.size)))
    cube = xr.Dataset(
        {"chl": (("time", "lat", "lon"), chl.astype("float32"), {"units": "mg m-3"})},
        coords={"time": time, "lat": lat, "lon": lon},
        attrs={"title": "Demo chlorophyll cube"},
    ).chunk({"time": 1, "lat": 60, "lon": 80})
    sst = (cube.chl * 5 + 283.15).rename("sst").to_dataset()
    sst["sst"].attrs = {"units": "K"}
    store.write_data(cube, "cubes/chl.zarr", replace=True)
    store.write_data(sst.isel(time=slice(0, 5)), "cubes/sst.nc", replace=True)
    if _have(GEO, "dem.tif and regions.geojson"):
        _write_geotiff(root / "dem.tif", lat, lon, base)
        _write_regions(store)
    if _have(REFERENCE, "cubes/sst.json"):
        _write_references(root / "cubes" / "sst.nc", root / "cubes" / "sst.json")
    return root


def _have(needs: Needs, what: str) -> bool:
    missing = needs.missing()
    if missing:
        print(f"Not making {what}: {', '.join(missing)} missing (the {needs.extra!r} extra)")
    return not missing


def _write_references(netcdf: Path, target: Path) -> None:
    """Index *netcdf* with kerchunk: the ``reference`` store of the catalog reads it."""
    import json

    from kerchunk.hdf import SingleHdf5ToZarr

    url = netcdf.resolve().as_uri()
    with open(netcdf, "rb") as f:
        refs = SingleHdf5ToZarr(f, url).translate()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(refs))


def _write_geotiff(path: Path, lat, lon, values) -> None:
    import rioxarray  # noqa: F401 - registers the .rio accessor

    da = xr.DataArray(
        (values * 1000).astype("int16")[::-1], dims=("y", "x"), coords={"y": lat[::-1], "x": lon}
    )
    da.rio.write_crs("EPSG:4326", inplace=True).rio.to_raster(path)


def _write_regions(store) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    regions = gpd.GeoDataFrame(
        {"name": ["North Sea", "Baltic", "Adriatic"], "id": [1, 2, 3]},
        geometry=[box(-4, 51, 9, 60), box(10, 53, 30, 60), box(12, 40, 20, 46)],
        crs="EPSG:4326",
    )
    store.write_data(regions, "regions.geojson", replace=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="demo_data", help="where to make the sample data")
    parser.add_argument(
        "--catalog", default="catalogs/stores.yaml", help="Intake catalog to browse afterwards"
    )
    args = parser.parse_args(argv)
    root = args.root

    print("Installed data stores:")
    for ext in find_data_store_extensions():
        print(f"  {ext.name:10} {ext.metadata.get('description', '')}")

    make_demo_data(root)
    store = new_data_store("file", root=root, max_depth=2)
    print(f"\n{store!r} holds:")
    for data_id, attrs in store.list_data_ids(include_attrs=["data_type", "bbox"]):
        print(f"  {data_id:18} {attrs['data_type']:13} bbox={attrs.get('bbox')}")

    descriptor = store.describe_data("cubes/chl.zarr")
    print("\ncubes/chl.zarr:", descriptor.time_range, descriptor.spatial_res, descriptor.crs)
    print("  variables:", list(descriptor.data_vars))
    found = [d.data_id for d in store.search_data(bbox=[0, 40, 5, 45], data_type="dataset")]
    print("Datasets over [0, 40, 5, 45]:", found)

    cube = store.open_data("cubes/chl.zarr", chunks={"time": 5})
    mean = cube.chl.mean("time")
    print(
        f"Opened lazily ({cube.chl.data.npartitions} Dask chunks); "
        f"mean chlorophyll = {float(mean.mean()):.4f} mg m-3"
    )
    store.write_data(mean.to_dataset(name="chl_mean"), "cubes/chl_mean.nc", replace=True)
    if "regions.geojson" in store.list_data_ids():
        regions = store.open_data("regions.geojson")
        print(f"regions.geojson: {len(regions)} regions, CRS {regions.crs}")
    print("\nWrote cubes/chl_mean.nc; store now lists:", store.list_data_ids())

    if os.path.exists(args.catalog):
        browse_catalog(args.catalog)


def browse_catalog(path: str) -> None:
    """The same data through Intake: stores are catalogs, data IDs entries."""
    import intake

    cat = intake.open_catalog(path)
    print(f"\nIntake catalog {path}: stores {list(cat)}")
    local = cat.local
    print("cat.local entries:", list(local))
    source = local["cubes/chl.zarr"]
    metadata = source.describe()["metadata"]
    print(
        "cat.local['cubes/chl.zarr'] bbox:",
        metadata.get("bbox"),
        "time range:",
        metadata.get("time_range"),
    )
    ds = local.chl(chunks={"time": 2}).to_dask()
    print(f"to_dask(): {dict(ds.sizes)}, chunks along time {ds.chl.data.chunks[0]}")
    if "regions.geojson" in list(local):
        regions = local.regions.read()
        print(f"cat.local.regions.read(): {len(regions)} regions: {', '.join(regions['name'])}")
    if os.path.exists(os.path.join(os.path.dirname(path), "..", "demo_data", "cubes", "sst.json")):
        sst = cat.reference.sst.to_dask()
        print(f"cat.reference.sst (kerchunk references to cubes/sst.nc): {dict(sst.sizes)}")


if __name__ == "__main__":
    main()
