"""The ESA CCI stores: ``ccizarr`` against moto, ``esa-cci-kc`` against a loopback HTTPS service.

``ccizarr`` reads a bucket of CCI-like Zarr cubes anonymously, listing them
from the bucket's ``data_ids.json`` or, without one, from a listing.
``esa-cci-kc`` reads an index of kerchunk reference sets (shaped like ESA
CCI's: reference URLs with declared descriptors) whose targets are NetCDF
files served with range requests.
"""

from __future__ import annotations

import io
import json
import pickle
import uuid

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from intake_xstores import (
    DataStoreError,
    DataStoreParamsError,
    find_data_store_extensions,
    get_data_store_params_schema,
    new_data_store,
)

CUBE_IDS = [
    "ESACCI-SOILMOISTURE-L3S-SSMV-COMBINED-1978-2021-fv07.1.zarr",
    "ESACCI-OC-L3S-CHLOR_A-MERGED-1M_MONTHLY_4km_GEO_PML_OCx-fv6.0.zarr",
    "ESACCI-SST-L4-GHRSST-CDR2.1-1981-2016-v02.0-fv01.0.zarr",
]


def cci_cube(seed: int, west: float, start: str) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    return xr.Dataset(
        {"sm": (("time", "lat", "lon"), rng.random((3, 4, 5)).astype("float32"))},
        coords={
            "time": pd.date_range(start, periods=3, freq="MS"),
            "lat": 40.0 + np.arange(4) + 0.5,
            "lon": west + np.arange(5) + 0.5,
        },
        attrs={"title": f"ESA CCI test cube {seed}", "Conventions": "CF-1.7"},
    ).chunk({"time": 1})


def test_registered_through_their_own_entry_point():
    from importlib.metadata import entry_points

    names = {e.name: e for e in find_data_store_extensions()}
    assert "ccizarr" in names and "esa-cci-kc" in names
    assert "ESA Climate Change Initiative" in names["ccizarr"].metadata["description"]
    [ep] = [e for e in entry_points(group="intake_xstores.plugins") if e.name == "cci"]
    assert ep.value == "intake_xstores.plugins.cci:init_plugin"


def test_real_services_are_the_defaults():
    zarr_props = get_data_store_params_schema("ccizarr").to_dict()["properties"]
    assert zarr_props["endpoint_url"]["default"] == "https://cci-ke-o.s3-ext.jc.rl.ac.uk:443"
    assert zarr_props["root"]["default"] == "esacci"
    assert "read_only" not in zarr_props
    kc_props = get_data_store_params_schema("esa-cci-kc").to_dict()["properties"]
    assert kc_props["refs_url"]["default"].startswith("https://")
    assert "refs" not in kc_props


# --- ccizarr ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cci_bucket(s3_endpoint):
    """A bucket with CCI-like cubes: three published in data_ids.json, one not."""
    import s3fs

    from tests.servers import s3_options

    # the archive is public: readable without credentials
    fs = s3fs.S3FileSystem(
        **s3_options(s3_endpoint),
        s3_additional_kwargs={"ACL": "public-read"},
        skip_instance_cache=True,
    )
    bucket = f"esacci-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket, acl="public-read")
    cubes = {}
    for i, data_id in enumerate(CUBE_IDS):
        cubes[data_id] = cci_cube(i, west=10.0 * i, start=f"{2000 + i}-01-01")
        cubes[data_id].to_zarr(
            fs.get_mapper(f"{bucket}/{data_id}"), zarr_format=2, consolidated=True
        )
    cci_cube(9, 0, "2010-01-01").to_zarr(
        fs.get_mapper(f"{bucket}/UNPUBLISHED.zarr"), zarr_format=2, consolidated=True
    )
    fs.pipe(f"{bucket}/data_ids.json", json.dumps(CUBE_IDS).encode())
    return {"bucket": bucket, "fs": fs, "cubes": cubes}


def ccizarr(s3_endpoint, root, **params):
    return new_data_store("ccizarr", root=root, endpoint_url=s3_endpoint["endpoint_url"], **params)


def test_ccizarr_lists_the_published_data_ids(cci_bucket, s3_endpoint):
    store = ccizarr(s3_endpoint, cci_bucket["bucket"])
    assert store.list_data_ids() == CUBE_IDS
    assert store.has_data(CUBE_IDS[0])
    assert store.has_data("UNPUBLISHED.zarr")  # exists, though not published
    assert not store.has_data("nope.zarr")


def test_ccizarr_lists_the_bucket_without_data_ids_json(cci_bucket, s3_endpoint):
    fs, bucket = cci_bucket["fs"], cci_bucket["bucket"]
    copy = f"{bucket}-nojson"
    fs.mkdir(copy, acl="public-read")
    fs.copy(f"{bucket}/{CUBE_IDS[0]}", f"{copy}/{CUBE_IDS[0]}", recursive=True)
    fs.copy(f"{bucket}/UNPUBLISHED.zarr", f"{copy}/UNPUBLISHED.zarr", recursive=True)
    store = ccizarr(s3_endpoint, copy)
    assert store.list_data_ids() == [CUBE_IDS[0], "UNPUBLISHED.zarr"]


def test_ccizarr_opens_describes_and_searches_anonymously(cci_bucket, s3_endpoint):
    store = ccizarr(s3_endpoint, cci_bucket["bucket"])
    assert store.params["storage_options"]["anon"] is True
    ds = store.open_data(CUBE_IDS[1], chunks={"time": 1})
    xr.testing.assert_equal(ds.compute(), cci_bucket["cubes"][CUBE_IDS[1]])
    assert ds.sm.chunks[0] == (1, 1, 1)
    descriptor = store.describe_data(CUBE_IDS[2])
    assert descriptor.bbox == (20.0, 40.0, 25.0, 44.0)
    assert descriptor.time_range == ("2002-01-01", "2002-03-01")
    found = [d.data_id for d in store.search_data(bbox=[12, 41, 18, 42])]
    assert found == [CUBE_IDS[1]]
    schema = store.get_open_data_params_schema(CUBE_IDS[0]).to_dict()
    assert {"chunks", "drop_variables", "decode_times"} <= set(schema["properties"])


def test_ccizarr_is_read_only(cci_bucket, s3_endpoint):
    store = ccizarr(s3_endpoint, cci_bucket["bucket"])
    assert store.get_data_writer_ids() == ()
    with pytest.raises(DataStoreError, match="'ccizarr' store is read-only"):
        store.write_data(cci_cube(0, 0, "2000-01-01"), "new.zarr")
    with pytest.raises(DataStoreError, match="'ccizarr' store is read-only"):
        store.delete_data(CUBE_IDS[0])
    assert store.has_data(CUBE_IDS[0])
    with pytest.raises(DataStoreParamsError, match="read_only"):
        ccizarr(s3_endpoint, cci_bucket["bucket"], read_only=False)


def test_ccizarr_pickles_as_itself(cci_bucket, s3_endpoint):
    store = ccizarr(s3_endpoint, cci_bucket["bucket"], includes="*SST*")
    restored = pickle.loads(pickle.dumps(store))
    assert type(restored).__name__ == "CciZarrDataStore"
    assert restored.list_data_ids() == [CUBE_IDS[2]]


def test_ccizarr_unknown_data_id_and_bad_data_ids_json(cci_bucket, s3_endpoint):
    store = ccizarr(s3_endpoint, cci_bucket["bucket"])
    with pytest.raises(DataStoreError, match="'nope.zarr' does not exist"):
        store.open_data("nope.zarr")
    fs, bucket = cci_bucket["fs"], cci_bucket["bucket"]
    broken = f"{bucket}-broken"
    fs.mkdir(broken, acl="public-read")
    fs.pipe(f"{broken}/data_ids.json", b"{not json")
    with pytest.raises(DataStoreError, match=r"data_ids\.json' is not valid JSON"):
        ccizarr(s3_endpoint, broken).list_data_ids()


def test_ccizarr_unreachable_endpoint_is_explained():
    from tests.servers import free_port

    store = new_data_store(
        "ccizarr",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        storage_options={"connect_timeout": 1},
    )
    with pytest.raises(DataStoreError, match="esacci"):
        store.list_data_ids()


# --- esa-cci-kc ------------------------------------------------------------------


def day_file(day: int) -> tuple[xr.Dataset, bytes]:
    """A NetCDF4 file of SST on two days, chunked and compressed, and its bytes."""
    rng = np.random.default_rng(day)
    ds = xr.Dataset(
        {"sst": (("time", "lat", "lon"), rng.normal(285, 3, (2, 8, 12)).astype("float32"))},
        coords={
            "time": pd.date_range("2020-01-01", periods=2) + pd.Timedelta(days=day),
            "lat": 40.0 + np.arange(8) + 0.5,
            "lon": -10.0 + np.arange(12) + 0.5,
        },
        attrs={"title": f"ESA CCI SST day {day}"},
    )
    ds["sst"].encoding = {"chunksizes": (1, 4, 6), "zlib": True}
    ds["time"].encoding = {"units": "days since 2020-01-01", "dtype": "int32"}
    data = ds.to_netcdf(engine="h5netcdf")
    return ds, bytes(data)


@pytest.fixture
def cci_kc(fake_https_service):
    """NetCDF files, their references and an index, on a loopback HTTPS service."""
    from kerchunk.hdf import SingleHdf5ToZarr

    service = fake_https_service
    originals, index = {}, []
    for day in (0, 10):
        ds, data = day_file(day)
        data_id = f"ESACCI-SST-L4-day{day}-fv3.0_kr1.0"
        nc_url = f"{service.url}/neodc/esacci/sst/day{day}.nc"
        service.file(f"/neodc/esacci/sst/day{day}.nc", data)
        refs = SingleHdf5ToZarr(io.BytesIO(data), url=nc_url, inline_threshold=100).translate()
        service.json(f"/kerchunk/refs/{data_id}.json", refs)
        originals[data_id] = ds
        index.append(
            {
                "ref_path": f"refs/{data_id}.json",  # relative to the index
                "data_descriptor": {
                    "data_id": data_id,
                    "data_type": "dataset",
                    "bbox": [-10.0, 40.0, 2.0, 48.0],
                    "time_range": [str(ds.time.values[0])[:10], str(ds.time.values[-1])[:10]],
                    "attrs": {"title": ds.attrs["title"]},
                },
            }
        )
    service.json("/kerchunk/index.json", index)
    options = {"ssl": service.ssl_context}
    params = {
        "refs_url": f"{service.url}/kerchunk/index.json",
        "target_options": options,
        "remote_options": options,
    }
    if "allowed_targets" in get_data_store_params_schema("esa-cci-kc").properties:
        params["allowed_targets"] = [f"{service.url}/neodc/esacci/"]  # where the files are
    return {"service": service, "params": params, "originals": originals}


def test_kc_lists_describes_and_searches_from_the_index_only(cci_kc):
    service = cci_kc["service"]
    store = new_data_store("esa-cci-kc", **cci_kc["params"])
    assert service.count() == 0  # making the store asks nothing
    ids = list(cci_kc["originals"])
    assert store.list_data_ids() == ids
    descriptor = store.describe_data(ids[1])
    assert descriptor.time_range == ("2020-01-11", "2020-01-12")
    assert descriptor.attrs["title"] == "ESA CCI SST day 10"
    found = [d.data_id for d in store.search_data(time_range=["2020-01-05", "2020-02-01"])]
    assert found == [ids[1]]
    assert [r.path for r in service.requests] == ["/kerchunk/index.json"]


def test_kc_opens_lazily_from_the_netcdf_files(cci_kc):
    service = cci_kc["service"]
    store = new_data_store("esa-cci-kc", **cci_kc["params"])
    data_id, original = next(iter(cci_kc["originals"].items()))
    ds = store.open_data(data_id, chunks={})
    assert service.count(path="/neodc/esacci/sst/day0.nc") == 0  # metadata only
    np.testing.assert_allclose(ds.sst.values, original.sst.values)
    ranged = [r for r in service.requests if r.path.endswith("day0.nc")]
    assert ranged and all("Range" in r.headers for r in ranged)


def test_kc_store_pickles_without_asking_the_service():
    store = pickle.loads(pickle.dumps(new_data_store("esa-cci-kc", max_gap=1000)))
    assert type(store).__name__ == "CciKerchunkDataStore"
    assert store.params["max_gap"] == 1000
    assert "_refs" not in vars(store)  # the index is still unread


def test_kc_unknown_data_id_and_read_only(cci_kc):
    store = new_data_store("esa-cci-kc", **cci_kc["params"])
    with pytest.raises(DataStoreError, match="'ESACCI-NOPE' is not in the index .*index.json"):
        store.open_data("ESACCI-NOPE")
    assert not store.has_data("ESACCI-NOPE")
    with pytest.raises(DataStoreError, match="'esa-cci-kc' store is read-only"):
        store.write_data(day_file(0)[0], "x")
    with pytest.raises(DataStoreError, match="'esa-cci-kc' store is read-only"):
        store.delete_data(store.list_data_ids()[0])


@pytest.mark.parametrize(
    "fault, message",
    [
        (dict(status=404), "not found; check 'refs_url'"),
        (dict(status=503), "Cannot read the index of reference sets .*503"),
        (dict(status=403), "Cannot read the index of reference sets .*403"),
    ],
)
def test_kc_index_failures_are_explained(cci_kc, fault, message):
    cci_kc["service"].fault("/kerchunk/index.json", **fault)
    store = new_data_store("esa-cci-kc", **cci_kc["params"])
    with pytest.raises(DataStoreError, match=message):
        store.list_data_ids()


def test_kc_index_that_is_no_index(cci_kc):
    cci_kc["service"].json("/kerchunk/other.json", {"refs": {}})
    params = dict(cci_kc["params"], refs_url=cci_kc["service"].url + "/kerchunk/other.json")
    with pytest.raises(DataStoreError, match="is not a JSON list of reference sets"):
        new_data_store("esa-cci-kc", **params).list_data_ids()


def test_kc_referenced_file_missing(cci_kc):
    cci_kc["service"].fault("/neodc/esacci/sst/day10.nc", status=404)
    store = new_data_store("esa-cci-kc", **cci_kc["params"])
    ds = store.open_data(store.list_data_ids()[1])
    with pytest.raises(Exception, match="day10.nc"):
        ds.sst.values  # noqa: B018 - reading is what fails
