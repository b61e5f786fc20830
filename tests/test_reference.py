"""The ``reference`` store: NetCDF files indexed by kerchunk, opened as lazy datasets.

The NetCDF files are made here, indexed with kerchunk (one file with
``SingleHdf5ToZarr``, a time series with ``MultiZarrToZarr``), and the
references written as JSON and in kerchunk's Parquet form, on the local
filesystem and on the S3 test server.
"""

from __future__ import annotations

import json
import pickle
import shutil

import fsspec
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from intake_xstores import (
    DatasetDescriptor,
    DataStoreError,
    DataStoreParamsError,
    MutableDataStore,
    get_data_store_params_schema,
    list_data_store_ids,
    new_data_store,
)

kerchunk_hdf = pytest.importorskip("kerchunk.hdf")
kerchunk_combine = pytest.importorskip("kerchunk.combine")

TIME_UNITS = "days since 2020-01-01"


def make_day_file(path, day: int) -> xr.Dataset:
    """A NetCDF4 file of two daily SST fields starting at *day*, chunked and compressed."""
    rng = np.random.default_rng(day)
    sst = rng.normal(285.0, 3.0, (2, 16, 24)).astype("float32")
    sst[:, 0, 0] = np.nan  # stored as _FillValue
    ds = xr.Dataset(
        {"sst": (("time", "lat", "lon"), sst, {"units": "K"})},
        coords={
            "time": pd.date_range("2020-01-01", periods=2) + pd.Timedelta(days=day),
            "lat": 40.0 + np.arange(16) + 0.5,
            "lon": -10.0 + np.arange(24) + 0.5,
        },
        attrs={"title": "sea surface temperature"},
    )
    ds["sst"].encoding = {"chunksizes": (1, 8, 12), "zlib": True, "_FillValue": -999.0}
    ds["time"].encoding = {"units": TIME_UNITS, "dtype": "int32"}
    ds.to_netcdf(path, engine="netcdf4")
    return ds


def single_refs(url: str, storage_options: dict | None = None, inline: int = 250) -> dict:
    return kerchunk_hdf.SingleHdf5ToZarr(
        url, storage_options=storage_options, inline_threshold=inline
    ).translate()


def series_refs(refs: list[dict], storage_options: dict | None = None, inline: int = 250) -> dict:
    return kerchunk_combine.MultiZarrToZarr(
        refs,
        remote_options=storage_options,
        concat_dims=["time"],
        identical_dims=["lat", "lon"],
        inline_threshold=inline,
    ).translate()


def write_parquet_refs(refs: dict, url: str, storage_options: dict | None = None) -> None:
    """References in kerchunk's Parquet form (as ``kerchunk.df.refs_to_dataframe``
    writes them, with pyarrow), a few references per record file."""
    from fsspec.implementations.reference import LazyReferenceMapper

    fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    out = LazyReferenceMapper.create(root, fs=fs, record_size=3, engine="pyarrow")
    for key, value in sorted(refs["refs"].items()):
        out[key] = value
    out.flush()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Three NetCDF files and their references (JSON and Parquet) in one folder."""
    root = tmp_path_factory.mktemp("archive")
    originals, paths = [], []
    for i in range(3):
        path = root / f"sst_{i}.nc"
        originals.append(make_day_file(path, 2 * i))
        paths.append(str(path))
    refs = [single_refs(p) for p in paths]
    (root / "day0.json").write_text(json.dumps(refs[0]))
    series = series_refs(refs)
    (root / "series.json").write_text(json.dumps(series))
    write_parquet_refs(series, str(root / "series.parq"))
    return {"root": root, "paths": paths, "originals": originals}


def open_netcdf(paths: list[str]) -> xr.Dataset:
    return xr.open_mfdataset(paths, engine="netcdf4", combine="by_coords")


def assert_same_values(actual: xr.Dataset, expected: xr.Dataset) -> None:
    assert set(actual.data_vars) == set(expected.data_vars)
    for name in ["time", "lat", "lon", *expected.data_vars]:
        np.testing.assert_array_equal(actual[name].values, expected[name].values)
    assert actual["sst"].attrs["units"] == "K"


# --- registration and parameters ----------------------------------------------


def test_registered_with_description():
    assert "reference" in list_data_store_ids()
    detail = list_data_store_ids(detail=True)["reference"]
    assert "kerchunk" in detail["description"]
    schema = get_data_store_params_schema("reference").to_dict()
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["refs"]
    assert {
        "refs",
        "target_protocol",
        "target_options",
        "remote_protocol",
        "remote_options",
        "max_gap",
        "max_block",
        "cache_size",
        "allowed_targets",
        # xcube's reference store takes the filesystem options common to all stores
        "asynchronous",
        "listings_expiry_time",
        "max_paths",
        "skip_instance_cache",
        "use_listings_cache",
    } == set(schema["properties"])


def test_bad_store_params_are_named():
    with pytest.raises(DataStoreParamsError, match="root"):
        new_data_store("reference", refs=["a.json"], root="x")
    with pytest.raises(DataStoreParamsError, match="ref_path"):
        new_data_store("reference", refs=[{"data_id": "a"}])
    with pytest.raises(DataStoreParamsError, match="max_block"):
        new_data_store("reference", refs=[], max_block=0)


def test_data_ids_from_file_names_or_given():
    store = new_data_store(
        "reference",
        refs=[
            "/nowhere/sst.json",
            "s3://bucket/refs/chl.parq/",
            "https://example.org/x/wind.parquet?version=2",
            {"ref_path": "/nowhere/sst.json", "data_id": "sst-again"},
        ],
    )
    # listing reads nothing: none of these files exists
    assert store.list_data_ids() == ["sst", "chl", "wind", "sst-again"]
    assert store.has_data("chl")
    assert not store.has_data("chl", data_type="geodataframe")
    assert not store.has_data("sst.json")
    assert store.list_data_ids(data_type="geodataframe") == []
    assert store.get_data_types() == ("dataset",)
    assert store.get_data_opener_ids("sst") == ("dataset:zarr:reference",)


def test_duplicate_data_ids_refused():
    with pytest.raises(DataStoreParamsError, match="'sst'.*data_id"):
        new_data_store("reference", refs=["a/sst.json", "b/sst.json"])


def test_unknown_data_id_names_the_known_ones(archive):
    store = new_data_store("reference", refs=[str(archive["root"] / "series.json")])
    with pytest.raises(DataStoreError, match="'sst'.*'series'"):
        store.open_data("sst")
    with pytest.raises(DataStoreError, match="'sst'"):
        store.describe_data("sst")


def test_read_only():
    store = new_data_store("reference", refs=["/nowhere/sst.json"])
    assert not isinstance(store, MutableDataStore)
    with pytest.raises(DataStoreError, match="read-only"):
        store.write_data(xr.Dataset(), "copy")
    with pytest.raises(DataStoreError, match="read-only"):
        store.delete_data("sst")


def test_credentials_hidden_from_repr():
    store = new_data_store(
        "reference",
        refs=["s3://bucket/sst.json"],
        target_options={"key": "AKIA-ID", "secret": "s3cr3t-target"},
        remote_options={"secret": "s3cr3t-remote", "anon": False},
    )
    text = repr(store)
    assert "s3cr3t" not in text and "AKIA-ID" not in text
    assert "anon" in text and "s3://bucket/sst.json" in text


# --- opening from the local filesystem ---------------------------------------------


@pytest.mark.parametrize(
    ("ref_name", "files"),
    [("day0.json", [0]), ("series.json", [0, 1, 2]), ("series.parq", [0, 1, 2])],
)
def test_open_matches_netcdf(archive, ref_name, files):
    store = new_data_store("reference", refs=[str(archive["root"] / ref_name)])
    data_id = ref_name.split(".")[0]
    ds = store.open_data(data_id)
    assert ds["sst"].chunks == ((1,) * 2 * len(files), (8, 8), (12, 12))  # lazy, stored chunks
    expected = open_netcdf([archive["paths"][i] for i in files])
    assert_same_values(ds, expected)
    assert ds.attrs["title"] == "sea surface temperature"
    assert np.isnan(ds["sst"].values[:, 0, 0]).all()


def test_open_params(archive):
    store = new_data_store("reference", refs=[str(archive["root"] / "series.json")])
    schema = store.get_open_data_params_schema("series").to_dict()["properties"]
    assert {"chunks", "decode_cf", "mask_and_scale", "decode_times", "drop_variables"} <= set(
        schema
    )
    ds = store.open_data("series", chunks={"time": 3, "lat": 16, "lon": 24})
    assert ds["sst"].chunks == ((3, 3), (16,), (24,))
    raw = store.open_data("series", mask_and_scale=False, decode_times=False)
    assert raw["sst"].values[0, 0, 0] == -999.0
    assert raw["time"].values.tolist() == [0, 1, 2, 3, 4, 5]
    assert "sst" not in store.open_data("series", drop_variables=["sst"])
    with pytest.raises(DataStoreParamsError, match="consolidated"):
        store.open_data("series", consolidated=True)  # metadata always comes from the refs
    with pytest.raises(DataStoreParamsError, match="opener_id"):
        store.open_data("series", opener_id="dataset:zarr:file")


def test_relative_ref_path_and_target_protocol(archive, monkeypatch):
    monkeypatch.chdir(archive["root"])
    store = new_data_store("reference", refs=["series.parq"], target_protocol="file")
    assert store.open_data("series")["sst"].shape == (6, 16, 24)


def test_store_and_dataset_pickle(archive):
    store = new_data_store(
        "reference",
        refs=[
            str(archive["root"] / "series.json"),
            {"ref_path": str(archive["root"] / "series.parq"), "data_id": "series-parquet"},
        ],
    )
    store = pickle.loads(pickle.dumps(store))
    expected = open_netcdf(archive["paths"])["sst"].values
    for data_id in ("series", "series-parquet"):
        ds = pickle.loads(pickle.dumps(store.open_data(data_id)))
        np.testing.assert_array_equal(ds["sst"].values, expected)


# --- describing -------------------------------------------------------------------


def test_describe_computed_from_references(archive):
    store = new_data_store("reference", refs=[str(archive["root"] / "series.parq")])
    descriptor = store.describe_data("series")
    assert isinstance(descriptor, DatasetDescriptor)
    assert descriptor.data_id == "series"
    assert descriptor.dims == {"time": 6, "lat": 16, "lon": 24}
    assert descriptor.bbox == (-10.0, 40.0, 14.0, 56.0)
    assert descriptor.time_range == ("2020-01-01", "2020-01-06")
    assert descriptor.time_period == "1D"
    assert descriptor.crs == "EPSG:4326"
    assert descriptor.data_vars["sst"].chunks == (1, 8, 12)
    assert "chunks" in descriptor.open_params_schema.properties
    assert [d.data_id for d in store.search_data(time_range=["2020-01-05", None])] == ["series"]
    assert list(store.search_data(bbox=[20, 0, 30, 10])) == []
    ((data_id, attrs),) = store.list_data_ids(include_attrs=["time_range"])
    assert (data_id, attrs) == ("series", {"time_range": ["2020-01-01", "2020-01-06"]})


def test_describe_returns_declared_descriptor_without_reading():
    declared = {"bbox": [0, 0, 10, 10], "time_range": ["2001-01-01", "2001-12-31"]}
    store = new_data_store(
        "reference",
        refs=[{"ref_path": "/nowhere/sst.json", "data_descriptor": declared}],
    )
    descriptor = store.describe_data("sst")  # the file does not exist: nothing is read
    assert descriptor.data_id == "sst"
    assert descriptor.bbox == (0.0, 0.0, 10.0, 10.0)
    assert descriptor.time_range == ("2001-01-01", "2001-12-31")


def test_bad_declared_descriptor_refused():
    with pytest.raises(DataStoreParamsError, match="data_descriptor.*'geodataframe'"):
        new_data_store(
            "reference",
            refs=[{"ref_path": "a.json", "data_descriptor": {"data_type": "geodataframe"}}],
        )


@pytest.mark.parametrize("form", ["json", "parq"])
def test_describe_and_open_read_no_data_chunks(archive, tmp_path, form):
    """With the NetCDF files gone, only what the references inline can be read:
    describing and opening still work, computing the data says what is missing."""
    paths = [shutil.copy(p, tmp_path / f"copy_{i}.nc") for i, p in enumerate(archive["paths"])]
    refs = series_refs([single_refs(str(p)) for p in paths])
    assert all(isinstance(refs["refs"][k], list) for k in refs["refs"] if k.startswith("sst/0"))
    ref_path = tmp_path / f"gone.{form}"
    if form == "json":
        ref_path.write_text(json.dumps(refs))
    else:
        write_parquet_refs(refs, str(ref_path))
    for path in paths:
        path.unlink()
    store = new_data_store("reference", refs=[str(ref_path)])
    assert store.describe_data("gone").time_range == ("2020-01-01", "2020-01-06")
    ds = store.open_data("gone")
    assert ds["lat"].values[0] == 40.5
    with pytest.raises(Exception, match="copy_0.nc"):
        ds["sst"][0].load()


# --- bad references -----------------------------------------------------------------


def test_missing_reference_file(tmp_path):
    store = new_data_store("reference", refs=[str(tmp_path / "missing.json")])
    for call in (store.open_data, store.describe_data):
        with pytest.raises(DataStoreError, match=r"missing\.json.*'missing'.*not found"):
            call("missing")


def test_missing_parquet_folder(tmp_path):
    (tmp_path / "empty.parq").mkdir()
    store = new_data_store(
        "reference", refs=[str(tmp_path / "gone.parq"), str(tmp_path / "empty.parq")]
    )
    for data_id in ("gone", "empty"):
        with pytest.raises(DataStoreError, match=rf"{data_id}\.parq.*not found.*\.zmetadata"):
            store.open_data(data_id)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"version": 1, "refs": {".zgroup": ', "not valid JSON"),
        ("[1, 2, 3]", "not a kerchunk reference set"),
        ('{"version": 1, "refs": {"a/.zarray": "{}"}}', "no Zarr group"),
    ],
)
def test_malformed_reference_file(tmp_path, content, message):
    (tmp_path / "bad.json").write_text(content)
    store = new_data_store("reference", refs=[str(tmp_path / "bad.json")])
    with pytest.raises(DataStoreError, match=rf"bad\.json.*{message}"):
        store.open_data("bad")


def test_reference_out_of_reach(tmp_path):
    store = new_data_store(
        "reference",
        refs=[{"ref_path": "nosuchprotocol://host/sst.json", "data_id": "far"}],
    )
    with pytest.raises(DataStoreError, match=r"nosuchprotocol://host/sst\.json.*'far'"):
        store.open_data("far")
    store = new_data_store(
        "reference", refs=[str(tmp_path / "sst.json")], remote_protocol="nosuchprotocol"
    )
    (tmp_path / "sst.json").write_text(json.dumps({"version": 1, "refs": {".zgroup": "{}"}}))
    with pytest.raises(DataStoreError, match=r"sst\.json.*nosuchprotocol"):
        store.open_data("sst")


# --- S3: references and data on the S3 test server ------------------------------------


@pytest.fixture
def s3_archive(archive, s3_storage_options):
    """The archive's NetCDF files on S3, indexed there, references JSON and Parquet on S3."""
    s3fs = pytest.importorskip("s3fs")
    import uuid

    fs = s3fs.S3FileSystem(**s3_storage_options)
    bucket = f"refs-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)
    urls = []
    for i, path in enumerate(archive["paths"]):
        url = f"s3://{bucket}/data/sst_{i}.nc"
        fs.put(path, url)
        urls.append(url)
    # kerchunk's MultiZarrToZarr cannot itself read coordinates from S3 with zarr 3,
    # so the files' references inline them; day0.json inlines nothing at all.
    refs = [single_refs(u, s3_storage_options) for u in urls]
    series = series_refs(refs, s3_storage_options)
    fs.pipe(f"{bucket}/refs/series.json", json.dumps(series).encode())
    write_parquet_refs(series, f"s3://{bucket}/refs/series.parq", s3_storage_options)
    day0 = single_refs(urls[0], s3_storage_options, inline=0)
    fs.pipe(f"{bucket}/refs/day0.json", json.dumps(day0).encode())
    return {"bucket": bucket, "fs": fs}


@pytest.mark.parametrize("ref_name", ["series.json", "series.parq"])
def test_open_from_s3(archive, s3_archive, s3_storage_options, ref_name):
    bucket = s3_archive["bucket"]
    store = new_data_store(
        "reference",
        refs=[f"s3://{bucket}/refs/{ref_name}"],
        target_options=s3_storage_options,
        remote_protocol="s3",  # the data are outside the references' folder
        remote_options=s3_storage_options,
    )
    assert "moto-secret" not in repr(store)
    descriptor = store.describe_data("series")
    assert descriptor.time_range == ("2020-01-01", "2020-01-06")
    ds = store.open_data("series", chunks={"time": 2})
    assert_same_values(ds, open_netcdf(archive["paths"]))
    ds = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(ds["sst"][4].values, open_netcdf(archive["paths"])["sst"][4])


def test_open_from_s3_coordinates_not_inlined(archive, s3_archive, s3_storage_options):
    store = new_data_store(
        "reference",
        refs=[f"s3://{s3_archive['bucket']}/refs/day0.json"],
        target_options=s3_storage_options,
        remote_protocol="s3",
        remote_options=s3_storage_options,
        max_gap=-1,
    )
    assert store.describe_data("day0").bbox == (-10.0, 40.0, 14.0, 56.0)
    assert_same_values(store.open_data("day0"), open_netcdf(archive["paths"][:1]))


def test_s3_reference_missing(s3_archive, s3_storage_options):
    store = new_data_store(
        "reference",
        refs=[f"s3://{s3_archive['bucket']}/refs/nope.json"],
        target_options=s3_storage_options,
        remote_protocol="s3",  # the data are outside the references' folder
        remote_options=s3_storage_options,
    )
    with pytest.raises(DataStoreError, match=r"nope\.json.*not found"):
        store.open_data("nope")
