"""Conformance tests of the filesystem stores, run on every writable protocol."""

import logging
import pickle

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from intake_xstores import (
    DatasetDescriptor,
    DataStoreError,
    DataStoreParamsError,
    MutableDataStore,
)
from tests.conftest import make_cube


def test_write_list_describe_search_open_delete(new_store, cube):
    store = new_store(max_depth=3)
    assert isinstance(store, MutableDataStore)
    assert store.list_data_ids() == []
    assert store.write_data(cube, "a/b/cube.zarr") == "a/b/cube.zarr"
    store.write_data(cube.isel(time=slice(0, 2)), "early.nc")
    assert sorted(store.list_data_ids()) == ["a/b/cube.zarr", "early.nc"]
    assert store.has_data("a/b/cube.zarr") and store.has_data("early.nc", data_type="dataset")
    assert not store.has_data("a/b/other.zarr")
    assert not store.has_data("early.nc", data_type="geodataframe")

    d = store.describe_data("a/b/cube.zarr")
    assert isinstance(d, DatasetDescriptor)
    assert d.data_id == "a/b/cube.zarr"
    assert d.time_range == ("2021-03-01", "2021-03-04")
    assert d.bbox == pytest.approx((10, 50, 14, 53))
    assert d.open_params_schema.properties["chunks"] is not None

    found = [x.data_id for x in store.search_data(time_range=["2021-03-03", None])]
    assert found == ["a/b/cube.zarr"]
    found = {x.data_id for x in store.search_data(bbox=[13, 52, 20, 60], data_type="dataset")}
    assert found == {"a/b/cube.zarr", "early.nc"}
    assert list(store.search_data(bbox=[-20, -20, -10, -10])) == []

    ds = store.open_data("a/b/cube.zarr")
    assert isinstance(ds.chl.data, da.Array)
    xr.testing.assert_identical(ds.compute(), cube)
    xr.testing.assert_identical(store.open_data("early.nc").compute(), cube.isel(time=slice(0, 2)))

    store.delete_data("a/b/cube.zarr")
    assert store.list_data_ids() == ["early.nc"]
    assert not store.has_data("a/b/cube.zarr")


def test_max_depth_and_listing_stops_at_datasets(new_store, cube):
    writer = new_store(max_depth=None)
    for data_id in ["top.zarr", "l1/one.zarr", "l1/l2/two.zarr", "l1/l2/l3/three.nc"]:
        writer.write_data(cube, data_id)
    assert new_store().list_data_ids() == ["top.zarr"]
    assert sorted(new_store(max_depth=2).list_data_ids()) == ["l1/one.zarr", "top.zarr"]
    everything = sorted(writer.list_data_ids())
    assert everything == ["l1/l2/l3/three.nc", "l1/l2/two.zarr", "l1/one.zarr", "top.zarr"]
    # nothing inside a .zarr folder is listed as data
    assert not any(".zarr/" in data_id for data_id in everything)


def test_includes_and_excludes(new_store, cube):
    store = new_store(max_depth=2)
    for data_id in ["chl_2020.zarr", "chl_2021.zarr", "sst_2021.nc", "x/chl_2022.zarr"]:
        store.write_data(cube, data_id)
    assert sorted(new_store(max_depth=2, includes="chl_*").list_data_ids()) == [
        "chl_2020.zarr",
        "chl_2021.zarr",
    ]
    ids = new_store(max_depth=2, includes=["*2021*", "x/*"], excludes="*.nc").list_data_ids()
    assert sorted(ids) == ["chl_2021.zarr", "x/chl_2022.zarr"]
    excluded = new_store(max_depth=2, excludes=["chl_202?.zarr"])
    assert not excluded.has_data("chl_2020.zarr")
    assert sorted(excluded.list_data_ids()) == ["sst_2021.nc", "x/chl_2022.zarr"]


def test_list_by_data_type_and_with_attrs(new_store, cube):
    store = new_store()
    store.write_data(cube, "c.zarr")
    assert store.list_data_ids(data_type="geodataframe") == []
    [(data_id, attrs)] = store.list_data_ids(include_attrs=["time_range", "crs"])
    assert data_id == "c.zarr"
    assert attrs == {"time_range": ["2021-03-01", "2021-03-04"], "crs": "EPSG:4326"}


def test_log_access_logs_every_key_read(new_store, caplog):
    store = new_store()
    store.write_data(make_cube(chunks={"time": 1}), "c.zarr")
    with caplog.at_level(logging.INFO, logger="intake_xstores.access"):
        store.open_data("c.zarr", log_access=True).chl.isel(time=2).compute()
    keys = [r.args[0] for r in caplog.records]
    assert "chl/2.0.0" in keys and "chl/0.0.0" not in keys
    assert all(" ms" in r.getMessage() for r in caplog.records)


def test_describe_reads_no_data_chunk(new_store):
    """Describing works with every data chunk gone: it cannot have read one."""
    store = new_store()
    store.write_data(make_cube(chunks={"time": 1}), "c.zarr")
    fs, path = store.fs, store._path("c.zarr")
    chunks = [
        p
        for p in fs.find(path)
        if p.split("/")[-2] in ("chl", "qc") and p.split("/")[-1][0].isdigit()
    ]
    assert len(chunks) == 8
    fs.rm(chunks)
    fs.invalidate_cache()

    descriptor = store.describe_data("c.zarr")
    assert descriptor.dims == {"time": 4, "lat": 6, "lon": 8}
    assert descriptor.time_range == ("2021-03-01", "2021-03-04")
    assert descriptor.data_vars["chl"].chunks == (1, 6, 8)
    assert descriptor.data_vars["chl"].attrs == {"units": "mg m-3"}
    # the data really is gone: reading it gives fill values, not the original
    assert np.isnan(store.open_data("c.zarr").chl.values).all()


def test_write_refuses_to_overwrite_without_replace(new_store, cube):
    store = new_store()
    store.write_data(cube, "c.zarr")
    with pytest.raises(DataStoreError, match="'c.zarr' already exists.*replace=True"):
        store.write_data(cube.isel(time=[0]), "c.zarr")
    assert store.open_data("c.zarr").sizes["time"] == 4  # untouched
    store.write_data(cube.isel(time=[0]), "c.zarr", replace=True)
    assert store.open_data("c.zarr").sizes["time"] == 1


def test_failed_write_leaves_nothing(new_store, cube):
    store = new_store()

    def explode(block):
        raise RuntimeError("disk on fire")

    bad = cube.chunk({"time": 1})
    bad["chl"] = bad.chl.copy(data=bad.chl.data.map_blocks(explode, dtype="float32"))
    for data_id in ("bad.zarr", "bad.nc"):
        with pytest.raises(DataStoreError, match=f"Cannot write '{data_id}'.*disk on fire"):
            store.write_data(bad, data_id)
        assert not store.has_data(data_id)
    assert store.list_data_ids() == []
    assert store.fs.exists(store._root_path) is False or store.fs.ls(store._root_path) == []

    # a failed replace keeps the old data
    store.write_data(cube, "keep.zarr")
    with pytest.raises(DataStoreError, match="disk on fire"):
        store.write_data(bad, "keep.zarr", replace=True)
    xr.testing.assert_identical(store.open_data("keep.zarr").compute(), cube)


def test_write_without_data_id_generates_one(new_store, cube):
    store = new_store()
    data_id = store.write_data(cube)
    assert data_id.endswith(".zarr")
    assert store.list_data_ids() == [data_id]


def test_append_along_time(new_store, cube):
    store = new_store()
    store.write_data(cube.isel(time=slice(0, 2)), "c.zarr")
    store.write_data(cube.isel(time=slice(2, 4)), "c.zarr", append_dim="time")
    xr.testing.assert_identical(store.open_data("c.zarr").compute(), cube)


@pytest.mark.parametrize(
    "data_id",
    [
        "../escape.zarr",
        "a/../../escape.zarr",
        "/abs/x.zarr",
        "s3://bucket/x.zarr",
        "file:///etc/x.zarr",
        "..",
        "~/x.zarr",
        "a\\..\\x.zarr",
        "C:/x.zarr",
    ],
)
def test_data_ids_never_escape_the_root(new_store, cube, data_id):
    store = new_store()
    for operation in (
        lambda: store.write_data(cube, data_id),
        lambda: store.open_data(data_id),
        lambda: store.describe_data(data_id),
        lambda: store.has_data(data_id),
        lambda: store.delete_data(data_id),
    ):
        with pytest.raises(DataStoreError, match="outside the store root"):
            operation()


def test_bad_input_gets_clear_errors(new_store, cube):
    store = new_store()
    with pytest.raises(DataStoreError, match="'missing.zarr' does not exist"):
        store.open_data("missing.zarr")
    with pytest.raises(DataStoreError, match="'missing.zarr' does not exist"):
        store.delete_data("missing.zarr")
    with pytest.raises(DataStoreError, match="'missing.zarr' does not exist"):
        store.describe_data("missing.zarr")
    with pytest.raises(
        DataStoreError, match="Cannot determine data type for data resource 'notes.txt'.*\\.zarr"
    ):
        store.write_data(cube, "notes.txt")
    store.write_data(cube, "c.zarr")
    with pytest.raises(DataStoreParamsError, match="Unknown parameter.*'chunkz'.*chunks"):
        store.open_data("c.zarr", chunkz={"time": 1})
    with pytest.raises(DataStoreParamsError, match="'chunks.time'.*0"):
        store.open_data("c.zarr", chunks={"time": 0})
    with pytest.raises(DataStoreParamsError, match="Cannot write a dataset as 'c.geojson'"):
        store.write_data(cube, "c.geojson")
    with pytest.raises(DataStoreParamsError, match="'opener_id'.*'dataset:zarr:gopher'"):
        store.open_data("c.zarr", opener_id="dataset:zarr:gopher")


def test_open_params_are_applied(new_store):
    store = new_store()
    store.write_data(make_cube(chunks={"time": 1, "lat": 3}), "c.zarr")
    ds = store.open_data("c.zarr", chunks={"time": 2, "lat": 3}, drop_variables=["qc"])
    assert "qc" not in ds and ds.chl.data.chunksize == (2, 3, 8)
    raw = store.open_data("c.zarr", decode_times=False)
    assert np.issubdtype(raw.time.dtype, np.number)
    assert (
        store.open_data("c.zarr", opener_id=f"dataset:zarr:{store.protocol.name}").sizes["time"]
        == 4
    )
    schema = store.get_open_data_params_schema("c.zarr").to_dict()["properties"]
    assert schema["decode_cf"]["default"] is True and schema["consolidated"]["type"] == "boolean"
    assert store.get_data_opener_ids("c.zarr") == (f"dataset:zarr:{store.protocol.name}",)


def test_open_as_unsupported_data_type_warns_and_falls_back(new_store, cube):
    store = new_store()
    store.write_data(cube, "c.nc")
    with pytest.warns(UserWarning, match="cannot be opened as 'geodataframe'; using 'dataset'"):
        ds = store.open_data("c.nc", data_type="geodataframe")
    assert isinstance(ds, xr.Dataset)


def test_read_only_store_refuses_writes(new_store, cube):
    new_store().write_data(cube, "c.zarr")
    store = new_store(read_only=True)
    assert store.get_data_writer_ids() == ()
    with pytest.raises(DataStoreError, match="read-only"):
        store.write_data(cube, "d.zarr")
    with pytest.raises(DataStoreError, match="read-only"):
        store.delete_data("c.zarr")
    assert store.list_data_ids() == ["c.zarr"]


def test_store_pickles_and_has_a_helpful_repr(new_store, cube):
    store = new_store(max_depth=2)
    store.write_data(cube, "c.zarr")
    again = pickle.loads(pickle.dumps(store))
    assert again.params == store.params
    assert again.list_data_ids() == ["c.zarr"]
    assert repr(store).startswith(f"{store.protocol.name.capitalize()}DataStore(root=")
    assert "max_depth=2" in repr(store)
    if store.protocol.name != "memory":  # in-memory data cannot travel to another process
        ds = store.open_data("c.zarr")
        xr.testing.assert_identical(pickle.loads(pickle.dumps(ds)).compute(), cube)


def test_cache_size_serves_repeated_reads_from_memory(new_store, caplog):
    store = new_store()
    store.write_data(make_cube(chunks={"time": 1}), "c.zarr")
    ds = store.open_data("c.zarr", cache_size=10_000_000, log_access=True)
    with caplog.at_level(logging.INFO, logger="intake_xstores.access"):
        first = ds.chl.compute()
        n_first = len(caplog.records)
        second = ds.chl.compute()
    assert n_first >= 4  # one read per chunk
    assert len(caplog.records) == n_first  # the second pass hit the cache
    xr.testing.assert_identical(first, second)
