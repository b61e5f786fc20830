"""The ``zenodo`` store against a fake Zenodo on loopback (``tests/plugins/zenodo_fake.py``).

The record holds what Zenodo records hold: a GeoTIFF and a zipped Zarr cube
(opened lazily over HTTP), a NetCDF file, a tar.gz of NetCDF files and a tar
of a Zarr cube, and a file that is no data. Faults are injected by the
service kit: 5xx and 429 answers, refusals, bodies cut short, no ranges.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import xarray as xr

from intake_xstores import (
    DatasetDescriptor,
    DataStoreError,
    DataStoreParamsError,
    find_data_store_extensions,
    get_data_store_params_schema,
    new_data_store,
)
from tests.conftest import make_cube
from tests.plugins.zenodo_fake import (
    folder_members,
    netcdf_bytes,
    serve_record,
    tar_bytes,
    zip_bytes,
)

RECORD = "4242"


@pytest.fixture(scope="module")
def record_files(tmp_path_factory):
    """The record's files (by key) and the datasets they hold."""
    import rioxarray  # noqa: F401 - registers .rio

    tmp = tmp_path_factory.mktemp("zenodo-files")
    cube = make_cube()
    other = make_cube(seed=1).isel(time=slice(0, 2))
    cube.chunk({"time": 1}).to_zarr(tmp / "cube.zarr", zarr_format=2, consolidated=True)
    raster = cube[["chl"]].isel(time=0, drop=True).rename(lat="y", lon="x").sortby("y", False)
    raster = raster.rio.write_crs("EPSG:4326").rio.set_spatial_dims("x", "y")
    raster["chl"].rio.to_raster(tmp / "chl.tif")
    files = {
        "chl.tif": (tmp / "chl.tif").read_bytes(),
        "cube.zarr.zip": zip_bytes(folder_members(tmp / "cube.zarr", "cube.zarr")),
        "cube.tar": tar_bytes(folder_members(tmp / "cube.zarr", "data/cube.zarr")),
        "sst.nc": netcdf_bytes(cube),
        "bundle.tar.gz": tar_bytes(
            {"bundle/a.nc": netcdf_bytes(cube), "bundle/deep/b.nc": netcdf_bytes(other)}, "gz"
        ),
        "README.md": b"# not data\n",
    }
    return {"files": files, "cube": cube, "other": other, "raster": raster}


@pytest.fixture
def zenodo(fake_service, record_files, tmp_path):
    """A fake Zenodo serving the record, and ``make(**params)`` for stores of it."""
    record = serve_record(fake_service, RECORD, record_files["files"], title="Test cubes")

    def make(**params):
        params = {
            "root": RECORD,
            "api_url": fake_service.url,
            "cache_store_params": {"root": str(tmp_path / "cache"), "max_depth": 10},
            "retry_backoff_base": 0.01,
            **params,
        }
        return new_data_store("zenodo", **params)

    return {"service": fake_service, "record": record, "make": make, **record_files}


# --- registration and parameters ---------------------------------------------------


def test_registered_through_its_own_entry_point():
    from importlib.metadata import entry_points

    [ext] = [e for e in find_data_store_extensions() if e.name == "zenodo"]
    assert "Zenodo record" in ext.metadata["description"]
    [ep] = [e for e in entry_points(group="intake_xstores.plugins") if e.name == "zenodo"]
    assert ep.value == "intake_xstores.plugins.zenodo:init_plugin"


def test_params_schema_with_zenodo_as_default():
    schema = get_data_store_params_schema("zenodo").to_dict()
    props = schema["properties"]
    assert schema["required"] == ["root"]
    assert props["api_url"]["default"] == "https://zenodo.org"
    assert props["cache_store_id"]["default"] == "file"
    assert {"storage_options", "num_retries", "cache_store_params"} <= set(props)


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "'root'"),
        ({"root": "zenodo.42"}, "'root'.*'zenodo.42'"),
        ({"root": "42", "api_url": "ftp://x"}, "'api_url'"),
        ({"root": "42", "max_workers": 2}, "max_workers"),
    ],
)
def test_bad_params_are_named(params, message):
    with pytest.raises(DataStoreParamsError, match=message):
        new_data_store("zenodo", **params)


def test_record_id_may_be_a_number(zenodo):
    assert zenodo["make"](root=int(RECORD)).list_data_ids()[0] == "chl.tif"


def test_making_the_store_asks_nothing_and_it_pickles(zenodo):
    store = zenodo["make"]()
    assert zenodo["service"].count() == 0
    restored = pickle.loads(pickle.dumps(store))
    assert restored.params == store.params
    assert zenodo["service"].count() == 0


# --- listing and describing -----------------------------------------------------------


def test_data_ids_are_the_record_files_that_are_data(zenodo):
    store = zenodo["make"]()
    assert store.list_data_ids() == [
        "chl.tif",
        "cube.zarr.zip",
        "cube.tar",
        "sst.nc",
        "bundle.tar.gz",
    ]
    assert store.has_data("sst.nc") and not store.has_data("README.md")
    assert store.list_data_ids(data_type="mldataset") == ["chl.tif"]
    store.list_data_ids()
    assert zenodo["service"].count(path=f"/api/records/{RECORD}") == 1  # asked once


def test_describe_from_metadata(zenodo):
    store = zenodo["make"]()
    lazy = store.describe_data("cube.zarr.zip")
    assert lazy.bbox == (10.0, 50.0, 14.0, 53.0)
    assert set(lazy.data_vars) == {"chl", "qc"}
    assert zenodo["service"].count(path=f"/records/{RECORD}/files/cube.zarr.zip") > 0
    nc = store.describe_data("sst.nc")
    assert isinstance(nc, DatasetDescriptor)
    assert nc.attrs["title"] == "Test cubes"
    assert nc.attrs["size"] == len(zenodo["files"]["sst.nc"])
    assert nc.attrs["preload_required"] is True
    assert zenodo["service"].count(path=f"/records/{RECORD}/files/sst.nc") == 0
    assert store.describe_data("chl.tif").crs == "EPSG:4326"


def test_search_finds_by_bbox_among_what_is_described(zenodo):
    store = zenodo["make"]()
    found = [d.data_id for d in store.search_data(bbox=[11, 51, 12, 52])]
    assert found == ["chl.tif", "cube.zarr.zip", "cube.tar"]


def test_open_params_are_json_schemas(zenodo):
    store = zenodo["make"]()
    tif = store.get_open_data_params_schema("chl.tif").to_dict()["properties"]
    assert "overview_level" in tif
    zipped = store.get_open_data_params_schema("cube.zarr.zip").to_dict()["properties"]
    assert {"chunks", "drop_variables", "consolidated"} <= set(zipped)
    nc = store.get_open_data_params_schema("sst.nc").to_dict()["properties"]
    assert {"chunks", "decode_times"} <= set(nc) and "consolidated" not in nc


# --- opening lazily ---------------------------------------------------------------------


def test_geotiff_opens_over_http(zenodo):
    ds = zenodo["make"]().open_data("chl.tif")
    np.testing.assert_allclose(ds.band_1.values, zenodo["raster"].chl.values)


@pytest.mark.parametrize("data_id", ["cube.zarr.zip", "cube.tar"])
def test_zarr_in_an_archive_opens_in_place(zenodo, data_id):
    service = zenodo["service"]
    store = zenodo["make"]()
    ds = store.open_data(data_id, chunks={"time": 2})
    assert ds.chl.chunks[0] == (2, 2)
    xr.testing.assert_equal(ds.compute(), zenodo["cube"])
    path = f"/records/{RECORD}/files/{data_id}"
    if data_id.endswith(".zip"):  # the zip is read by ranges, never as a whole
        gets = [r for r in service.requests if r.path == path and r.method == "GET"]
        assert gets and all("Range" in r.headers for r in gets)


def test_netcdf_must_be_preloaded_and_the_error_says_how(zenodo):
    store = zenodo["make"]()
    with pytest.raises(DataStoreError, match=r"must be preloaded.*preload_data\('sst.nc'\)"):
        store.open_data("sst.nc")
    with pytest.raises(DataStoreError, match=r"compressed archive.*preload_data"):
        store.open_data("bundle.tar.gz")


def test_zip_without_ranges_cannot_open_in_place_and_says_preload(zenodo):
    zenodo["service"].fault(f"/records/{RECORD}/files/cube.zarr.zip", ranges=False)
    store = zenodo["make"]()
    with pytest.raises(DataStoreError, match=r"must be preloaded.*preload_data\('cube.zarr.zip'\)"):
        store.open_data("cube.zarr.zip")


# --- errors ---------------------------------------------------------------------------------


def test_unknown_record(zenodo):
    store = zenodo["make"](root="999")
    with pytest.raises(DataStoreError, match=r"no record '999'.*404.*check 'root'"):
        store.list_data_ids()


def test_unknown_file(zenodo):
    store = zenodo["make"]()
    with pytest.raises(
        DataStoreError, match=r"'nope.nc' is not in Zenodo record '4242'.*'chl.tif'"
    ):
        store.open_data("nope.nc")
    with pytest.raises(DataStoreError, match="'README.md' is not in Zenodo record"):
        store.describe_data("README.md")


def test_server_error_is_retried_then_explained(zenodo):
    service = zenodo["service"]
    service.fault(f"/api/records/{RECORD}", status=503, times=2)
    assert zenodo["make"]().list_data_ids()[0] == "chl.tif"  # third time lucky
    assert service.count(path=f"/api/records/{RECORD}") == 3
    service.fault(f"/api/records/{RECORD}", status=500)
    with pytest.raises(
        DataStoreError, match=r"HTTP 500.*\(3 attempts\).*check 'root' and 'api_url'"
    ):
        zenodo["make"](num_retries=2).list_data_ids()


def test_too_many_requests_waits_as_told(zenodo):
    service = zenodo["service"]
    service.fault(f"/api/records/{RECORD}", status=429, retry_after=0.2, times=1)
    assert zenodo["make"](retry_backoff_base=10).has_data("sst.nc")  # Retry-After, not backoff
    assert service.count(path=f"/api/records/{RECORD}") == 2


def test_refused_request(zenodo):
    zenodo["service"].fault(f"/api/records/{RECORD}", status=403)
    with pytest.raises(DataStoreError, match=r"Zenodo refused the request for record '4242'.*403"):
        zenodo["make"]().list_data_ids()


def test_unreachable_service(zenodo):
    from tests.servers import free_port

    store = zenodo["make"](api_url=f"http://127.0.0.1:{free_port()}", num_retries=1)
    with pytest.raises(DataStoreError, match=r"Zenodo failed to deliver record '4242'.*Connect"):
        store.list_data_ids()


# --- preloading ------------------------------------------------------------------------------


def file_path(data_id: str) -> str:
    return f"/records/{RECORD}/files/{data_id}"


def cache_files(cache) -> list[str]:
    """Every file in the cache store's folder, hidden ones too."""
    root = cache.root
    return sorted(p[len(root) + 1 :] for p in cache.fs.find(root, withdirs=False))


def test_preload_returns_the_cache_store_and_opens_from_it(zenodo):
    store = zenodo["make"]()
    events = []
    cache = store.preload_data("sst.nc", monitor=lambda handle, event: events.append(event))
    assert cache is store.cache_store
    assert cache.list_data_ids() == ["sst.nc"]
    state = cache.preload_handle.get_state("sst.nc")
    assert str(state.status) == "COMPLETED" and state.progress == 1.0
    progress = [e.progress for e in events if e.progress is not None]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert any("downloading" in (e.message or "") for e in events)
    xr.testing.assert_equal(cache.open_data("sst.nc").compute(), zenodo["cube"])
    # the zenodo store now opens it too, from the cache, and describes it from there
    xr.testing.assert_equal(store.open_data("sst.nc").compute(), zenodo["cube"])
    assert store.describe_data("sst.nc").bbox == (10.0, 50.0, 14.0, 53.0)


def test_preload_converts_and_rechunks(zenodo):
    store = zenodo["make"]()
    cache = store.preload_data(
        "sst.nc", "bundle.tar.gz", target_format="zarr", chunks={"time": 2}, max_workers=2
    )
    assert [str(s.status) for s in cache.preload_handle.states] == ["COMPLETED"] * 2
    assert sorted(cache.list_data_ids()) == ["bundle/a.zarr", "bundle/deep/b.zarr", "sst.zarr"]
    ds = store.open_data("sst.nc")
    assert ds.chl.chunks[0] == (2, 2)
    xr.testing.assert_equal(ds.compute(), zenodo["cube"])
    assert store.get_open_data_params_schema("sst.nc").to_dict()["properties"]["consolidated"]


def test_preload_unpacks_archives_into_several_datasets(zenodo):
    store = zenodo["make"]()
    events = []
    cache = store.preload_data(
        "bundle.tar.gz", "cube.tar", target_format="zarr", monitor=lambda h, e: events.append(e)
    )
    assert cache.list_data_ids() == ["bundle/a.zarr", "bundle/deep/b.zarr", "cube/data/cube.zarr"]
    xr.testing.assert_equal(cache.open_data("bundle/deep/b.zarr").compute(), zenodo["other"])
    xr.testing.assert_equal(store.open_data("cube.tar").compute(), zenodo["cube"])
    messages = [e.message for e in events if e.data_id == "bundle.tar.gz" and e.message]
    assert any("unpacking" in m for m in messages) and any("wrote 2 of 2" in m for m in messages)
    with pytest.raises(DataStoreError, match=r"preloaded as 2 datasets.*cache store"):
        store.open_data("bundle.tar.gz")


def test_preload_without_data_ids_takes_what_needs_it(zenodo):
    store = zenodo["make"]()
    cache = store.preload_data()
    assert set(cache.preload_handle.data_ids) == {
        "cube.zarr.zip",
        "cube.tar",
        "sst.nc",
        "bundle.tar.gz",
    }
    assert zenodo["service"].count(path=file_path("chl.tif")) == 0


def test_preloaded_once_unless_forced(zenodo):
    service = zenodo["service"]
    store = zenodo["make"]()
    store.preload_data("sst.nc")
    handle = store.preload_data("sst.nc").preload_handle
    assert handle.get_state("sst.nc").message == "already preloaded"
    assert service.count("GET", file_path("sst.nc")) == 1
    store.preload_data("sst.nc", force_preload=True)
    assert service.count("GET", file_path("sst.nc")) == 2


def test_downloads_run_at_once(zenodo):
    import threading

    from werkzeug.wrappers import Response

    # each file is answered only once all three are asked for at the same time
    barrier = threading.Barrier(3, timeout=20)

    def together(request, data):
        barrier.wait()
        return Response(data, 200, content_type="application/octet-stream")

    files = {f"day{i}.nc": zenodo["files"]["sst.nc"] for i in range(3)}
    serve_record(zenodo["service"], "78", files, handler=together)
    cache = zenodo["make"](root="78", num_retries=0).preload_data(max_workers=3)
    assert [str(s.status) for s in cache.preload_handle.states] == ["COMPLETED"] * 3
    assert cache.list_data_ids() == ["day0.nc", "day1.nc", "day2.nc"]


def test_truncated_download_resumes_with_a_range(zenodo):
    service = zenodo["service"]
    service.fault(file_path("sst.nc"), truncate=0.5, times=1)
    cache = zenodo["make"]().preload_data("sst.nc")
    assert str(cache.preload_handle.get_state("sst.nc").status) == "COMPLETED"
    first, second = [r for r in service.requests if r.path == file_path("sst.nc")]
    size = len(zenodo["files"]["sst.nc"])
    assert "Range" not in first.headers
    assert second.headers["Range"] == f"bytes={size // 2}-" and second.status == 206
    xr.testing.assert_equal(cache.open_data("sst.nc").compute(), zenodo["cube"])


def test_server_errors_and_rate_limits_are_retried(zenodo):
    service = zenodo["service"]
    service.fault(file_path("sst.nc"), status=503, times=2)
    service.fault(file_path("cube.tar"), status=429, retry_after=0.1, times=1)
    cache = zenodo["make"]().preload_data("sst.nc", "cube.tar")
    assert [str(s.status) for s in cache.preload_handle.states] == ["COMPLETED"] * 2
    assert service.count("GET", file_path("sst.nc")) == 3
    assert service.count("GET", file_path("cube.tar")) == 2


@pytest.mark.parametrize(
    "fault, message",
    [
        (dict(truncate=0.5), r"body ended after \d+ of \d+ bytes \(3 attempts\)"),
        (dict(status=502), r"HTTP 502 .*\(3 attempts\)"),
        (dict(status=403), r"Zenodo refused the request for file 'bundle.tar.gz'.*403"),
        (dict(status=404), r"Zenodo has no file 'bundle.tar.gz'.*404"),
    ],
)
def test_failed_download_leaves_nothing_in_the_cache(zenodo, fault, message):
    zenodo["service"].fault(file_path("bundle.tar.gz"), **fault)
    store = zenodo["make"](num_retries=2)
    cache = store.preload_data("sst.nc", "bundle.tar.gz", target_format="zarr")
    state = cache.preload_handle.get_state("bundle.tar.gz")
    assert str(state.status) == "FAILED"
    assert isinstance(state.exception, DataStoreError)
    assert state.message and pytest.importorskip("re").search(message, state.message)
    assert str(cache.preload_handle.get_state("sst.nc").status) == "COMPLETED"
    files = cache_files(cache)
    assert not any(f.startswith("bundle") or "bundle" in f for f in files)
    assert not any(f.startswith(".tmp") for f in files)
    with pytest.raises(DataStoreError, match="must be preloaded"):
        store.open_data("bundle.tar.gz")


def test_corrupt_download_is_caught_by_its_checksum(zenodo, tmp_path):
    service = zenodo["service"]
    record = dict(zenodo["record"], id=77)
    record["files"] = [dict(f) for f in record["files"] if f["key"] == "sst.nc"]
    record["files"][0]["checksum"] = "md5:" + "0" * 32
    service.json("/api/records/77", record)
    service.file("/records/77/files/sst.nc", zenodo["files"]["sst.nc"])
    cache = zenodo["make"](root="77").preload_data("sst.nc")
    state = cache.preload_handle.get_state("sst.nc")
    assert str(state.status) == "FAILED" and "corrupt" in state.message
    assert cache_files(cache) == []


def test_cancel_stops_the_download_and_leaves_nothing(zenodo):
    service = zenodo["service"]
    service.fault(file_path("sst.nc"), latency=1.0)
    service.fault(file_path("bundle.tar.gz"), latency=1.0)
    store = zenodo["make"]()
    cache = store.preload_data("sst.nc", "bundle.tar.gz", blocking=False, max_workers=1)
    handle = cache.preload_handle
    handle.cancel()
    assert handle.wait(30)
    assert {str(s.status) for s in handle.states} == {"CANCELLED"}
    assert cache.list_data_ids() == []


def test_memory_cache_store_and_bad_cache_store(zenodo):
    store = zenodo["make"](cache_store_id="memory", cache_store_params={"root": "/zenodo-test"})
    cache = store.preload_data("sst.nc")
    assert cache.protocol.name == "memory" and cache.list_data_ids() == ["sst.nc"]
    with pytest.raises(DataStoreParamsError, match="'cache_store_id': 'https'"):
        zenodo["make"](
            cache_store_id="https", cache_store_params={"root": "https://example.org/cache"}
        ).preload_data()


def test_bad_preload_params_and_unknown_files(zenodo):
    store = zenodo["make"]()
    schema = store.get_preload_data_params_schema().to_dict()["properties"]
    assert {"blocking", "silent", "max_workers", "target_format", "chunks"} <= set(schema)
    with pytest.raises(DataStoreParamsError, match="target_format"):
        store.preload_data("sst.nc", target_format="grib")
    with pytest.raises(DataStoreError, match="'nope.nc' is not in Zenodo record"):
        store.preload_data("nope.nc")


def test_access_token_is_sent_and_never_shown(zenodo):
    service = zenodo["service"]
    store = zenodo["make"](access_token="s3cr3t-token")
    assert "s3cr3t-token" not in repr(store)
    store.open_data("chl.tif")
    store.preload_data("sst.nc")
    assert service.requests
    assert all(r.headers.get("Authorization") == "Bearer s3cr3t-token" for r in service.requests)
    service.fault(f"/api/records/{RECORD}", status=401)
    with pytest.raises(DataStoreError) as raised:
        zenodo["make"](access_token="s3cr3t-token").list_data_ids()
    assert "401" in str(raised.value) and "s3cr3t-token" not in str(raised.value)


def test_truncated_download_from_a_server_without_ranges_starts_again(zenodo):
    service = zenodo["service"]
    service.fault(file_path("sst.nc"), ranges=False)
    service.fault(file_path("sst.nc"), truncate=0.5, times=1)
    cache = zenodo["make"]().preload_data("sst.nc")
    assert str(cache.preload_handle.get_state("sst.nc").status) == "COMPLETED"
    assert [r.status for r in service.requests if r.path == file_path("sst.nc")] == [200, 200]
    xr.testing.assert_equal(cache.open_data("sst.nc").compute(), zenodo["cube"])


def test_cancel_stops_running_downloads(zenodo):
    import threading

    from werkzeug.wrappers import Response

    # the files arrive in two halves, the second only after the job is cancelled
    cancelled = threading.Event()

    def slow(request, data):
        def body():
            yield data[: len(data) // 2]
            cancelled.wait(20)
            yield data[len(data) // 2 :]

        return Response(body(), 200, {"Content-Length": str(len(data))})

    files = {f"day{i}.nc": zenodo["files"]["sst.nc"] for i in range(2)}
    serve_record(zenodo["service"], "79", files, handler=slow)
    events = []
    cache = zenodo["make"](root="79").preload_data(
        blocking=False, max_workers=2, monitor=lambda h, e: events.append(e)
    )
    handle = cache.preload_handle
    while not all(
        any("downloading 0." in (e.message or "") and e.data_id == d for e in events) for d in files
    ):
        assert not handle.done
        threading.Event().wait(0.02)
    handle.cancel()
    cancelled.set()
    assert handle.wait(30)
    assert [str(s.status) for s in handle.states] == ["CANCELLED"] * 2
    assert cache_files(cache) == []
