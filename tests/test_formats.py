"""Every format round-trips on every writable protocol, with CRS and bbox."""

import numpy as np
import pytest
import xarray as xr

from intake_xstores import DataStoreError, DataStoreParamsError, GeoDataFrameDescriptor
from tests.conftest import make_cube

gpd = pytest.importorskip("geopandas")
rioxarray = pytest.importorskip("rioxarray")


@pytest.fixture
def regions():
    from shapely.geometry import box

    return gpd.GeoDataFrame(
        {"name": ["north", "south", "point"], "code": [1, 2, 3], "area": [1.5, 2.5, 0.0]},
        geometry=[box(0, 50, 5, 55), box(0, 40, 5, 45), box(2, 46, 4, 48)],
        crs="EPSG:4326",
    )


def put_local_file(store, local_path, data_id):
    path = store._path(data_id)
    parent = path.rsplit("/", 1)[0]
    if parent:
        store.fs.makedirs(parent, exist_ok=True)
    store.fs.put_file(str(local_path), path)
    store.fs.invalidate_cache()


def raster_file(tmp_path, name, driver, **profile):
    """A 2-band UTM raster written by rasterio, and its values."""
    import rasterio
    from rasterio.transform import from_origin

    values = np.arange(2 * 64 * 48, dtype="uint16").reshape(2, 64, 48)
    path = tmp_path / name
    transform = from_origin(500000, 5800000, 30, 30)
    with rasterio.open(
        path,
        "w",
        driver=driver,
        width=48,
        height=64,
        count=2,
        dtype="uint16",
        crs="EPSG:32632",
        transform=transform,
        **profile,
    ) as dst:
        dst.write(values)
    return path, values


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zarr_round_trip(new_store, zarr_format):
    store = new_store()
    cube = make_cube(chunks={"time": 2})
    store.write_data(cube, "c.zarr", zarr_format=zarr_format)
    ds = store.open_data("c.zarr")
    xr.testing.assert_identical(ds.compute(), cube.compute())
    assert ds.chl.data.chunksize == (2, 6, 8)


def test_netcdf_round_trip(new_store):
    store = new_store()
    cube = make_cube()
    store.write_data(cube, "c.nc")
    xr.testing.assert_identical(store.open_data("c.nc").compute(), cube)
    d = store.describe_data("c.nc")
    assert d.crs == "EPSG:4326" and d.time_range == ("2021-03-01", "2021-03-04")


@pytest.mark.parametrize(
    "name, driver, profile",
    [
        ("plain.tif", "GTiff", {}),
        ("cog.tif", "COG", {"blocksize": 16}),
        ("scene.jp2", "JP2OpenJPEG", {"QUALITY": "100", "REVERSIBLE": "YES"}),
    ],
)
def test_raster_formats_open_as_datasets(new_store, tmp_path, name, driver, profile):
    store = new_store()
    path, values = raster_file(tmp_path, name, driver, **profile)
    put_local_file(store, path, f"scenes/{name}")
    store = new_store(max_depth=2)
    assert store.list_data_ids() == [f"scenes/{name}"]
    ds = store.open_data(f"scenes/{name}")
    assert list(ds.data_vars) == ["band_1", "band_2"]
    np.testing.assert_array_equal(ds.band_1.values, values[0])
    np.testing.assert_array_equal(ds.band_2.values, values[1])
    d = store.describe_data(f"scenes/{name}")
    assert d.crs == "EPSG:32632"
    assert d.bbox == pytest.approx((500000, 5800000 - 64 * 30, 500000 + 48 * 30, 5800000))
    assert d.spatial_res == 30
    with pytest.raises(DataStoreError, match="no writer for format"):
        store.write_data(ds, f"scenes/copy{path.suffix}")


@pytest.mark.parametrize("data_id", ["regions.geojson", "shapes/regions.shp"])
def test_vector_round_trip(new_store, regions, data_id):
    store = new_store(max_depth=2)
    store.write_data(regions, data_id)
    assert store.list_data_ids() == [data_id]  # a shapefile's companions are not data
    gdf = store.open_data(data_id)
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert list(gdf["name"]) == ["north", "south", "point"]
    assert list(gdf["code"]) == [1, 2, 3]
    assert gdf.geometry.geom_equals(regions.geometry).all()
    assert gdf.crs.to_epsg() == 4326
    d = store.describe_data(data_id)
    assert isinstance(d, GeoDataFrameDescriptor)
    assert d.bbox == (0.0, 40.0, 5.0, 55.0)
    assert d.feature_schema.properties["code"].type == "integer"
    assert list(store.open_data(data_id, columns=["code"]).columns) == ["code", "geometry"]
    store.write_data(regions.iloc[:1], data_id, replace=True)
    assert len(store.open_data(data_id)) == 1
    store.delete_data(data_id)
    assert store.list_data_ids() == []
    assert store.fs.find(store._root_path) == []  # companions went too


def test_generated_ids_have_the_format_extension(new_store, regions):
    store = new_store()
    assert store.write_data(regions).endswith(".geojson")
    assert store.write_data(
        make_cube(), writer_id=f"dataset:netcdf:{store.protocol.name}"
    ).endswith(".nc")


def test_zarr_rechunked_on_open_writes_in_its_new_chunks(new_store):
    store = new_store()
    store.write_data(make_cube(chunks={"time": 2}), "c.zarr")
    rechunked = store.open_data("c.zarr", chunks={"time": 1, "lat": 3})
    store.write_data(rechunked, "copy.zarr")
    copy = store.open_data("copy.zarr")
    assert copy.chl.data.chunksize == (1, 3, 8)
    xr.testing.assert_identical(copy.compute(), make_cube())


def test_zarr_writes_sensible_chunks_unless_told(memory_store_params):
    from intake_xstores import new_data_store

    store = new_data_store("memory", **memory_store_params)
    schema = store.get_write_data_params_schema().to_dict()["properties"]
    assert {"chunks", "encoding", "progress"} <= set(schema)
    big = make_cube(nt=40, ny=360, nx=360)  # chl: 21 MB in memory, one chunk
    store.write_data(big, "auto.zarr")
    chunks = store.open_data("auto.zarr").chl.chunks
    assert len(chunks[0]) * len(chunks[1]) * len(chunks[2]) > 1
    assert 4 * max(chunks[0]) * max(chunks[1]) * max(chunks[2]) <= 8 * 2**20
    store.write_data(big, "asked.zarr", chunks={"time": 10, "lat": -1, "lon": 180})
    assert store.open_data("asked.zarr").chl.chunks == ((10,) * 4, (360,), (180, 180))
    store.write_data(big, "encoded.zarr", encoding={"qc": {"chunks": [40, 90, 90]}})
    assert store.open_data("encoded.zarr").qc.chunks == ((40,), (90,) * 4, (90,) * 4)
    with pytest.raises(DataStoreParamsError, match="'chunks': no dimensions 'tiem'; allowed"):
        store.write_data(big, "typo.zarr", chunks={"tiem": 1})
    with pytest.raises(DataStoreParamsError, match="'encoding': no variables 'sst'; allowed"):
        store.write_data(big, "typo.zarr", encoding={"sst": {}})
    assert not store.has_data("typo.zarr")
    small = make_cube()
    store.write_data(small.chunk({"time": 1}), "small.zarr")  # small chunks stay
    assert store.open_data("small.zarr").chl.chunks == ((1,) * 4, (6,), (8,))
