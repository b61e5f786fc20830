"""The ``clms`` store against a fake CLMS API on loopback (tests/plugins/clms_fake.py).

A real JWT signed with a fresh RSA key is exchanged for a token, data requests
go pending -> complete, zips of GeoTIFF tiles are merged into one Zarr cube in
the cache; faults: an expired token, a failed request, a download cut short,
a cancel, 5xx answers.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import xarray as xr

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from tests.plugins.clms_fake import (
    TOKEN_PATH,
    FakeClms,
    geotiff_tiles,
    new_service_key,
    zip_of,
)
from tests.service_kit import FakeService

FOREST = "forest-type-2015|FTY_2015_100m_eu_03035_d02_Full"
SOIL = "soil-moisture"


@pytest.fixture(scope="module")
def key_pair():
    return new_service_key("")


@pytest.fixture
def clms(key_pair, tmp_path):
    key, public_key = key_pair
    with FakeService() as service:
        fake = FakeClms(service, public_key, key["client_id"])
        credentials = {**key, "token_uri": f"{service.url}{TOKEN_PATH}"}
        values = np.arange(40 * 60, dtype="uint8").reshape(40, 60) % 200
        fake.add_package_dataset(
            "forest-type-2015",
            {
                "FTY_2015_100m_eu_03035_d02_Full": zip_of(geotiff_tiles(values)),
                "FTY_2015_100m_eu_03035_d02_E40N20": zip_of(
                    {"inner.zip": zip_of(geotiff_tiles(values[:20, :20], split=1))}
                ),
            },
        )
        days = xr.Dataset(
            {"ssm": (("time", "lat", "lon"), np.random.default_rng(1).random((2, 3, 4)))},
            coords={
                "time": np.array(["2024-01-01", "2024-01-02"], "datetime64[ns]"),
                "lat": [50.0, 49.0, 48.0],
                "lon": [5.0, 6.0, 7.0, 8.0],
            },
        )
        for i in range(2):
            service.file(f"/files/ssm_{i}.nc", bytes(days.isel(time=[i]).to_netcdf()))
        service.file(
            "/catalogue/ssm.csv",
            (
                "name,path\n" + "".join(f"day {i},{service.url}/files/ssm_{i}.nc\n" for i in (1, 0))
            ).encode(),
        )
        fake.add_netcdf_dataset(SOIL, f"{service.url}/catalogue/ssm.csv")
        params = {
            "api_url": fake.api_url,
            "credentials": credentials,
            "cache_store_params": {"root": str(tmp_path / "cache")},
            "poll_interval": 0.02,
            "retry_backoff_base": 0.01,
        }
        yield {
            "fake": fake,
            "service": service,
            "params": params,
            "values": values,
            "days": days,
            "cache": tmp_path / "cache",
        }


def _store(clms, **params):
    return new_data_store("clms", **{**clms["params"], **params})


def test_lists_packages_and_netcdf_datasets(clms):
    store = _store(clms)
    assert store.list_data_ids() == [
        FOREST,
        "forest-type-2015|FTY_2015_100m_eu_03035_d02_E40N20",
        SOIL,
    ]
    descriptor = store.describe_data(FOREST)
    assert descriptor.attrs["preload_required"] is True
    assert descriptor.attrs["file"] == "FTY_2015_100m_eu_03035_d02_Full"


def test_a_paged_catalogue_is_read_to_its_end(clms):
    for i in range(120):
        clms["fake"].add_package_dataset(f"extra-{i:03d}", {"F": b""})
    ids = _store(clms).list_data_ids()
    assert len(ids) == 123 and ids[-1] == "extra-119|F"
    assert clms["service"].count("GET", "/api/@search") == 2


def test_a_package_must_be_preloaded_first(clms):
    store = _store(clms)
    with pytest.raises(DataStoreError, match=r"must be preloaded.*preload_data\('forest-type"):
        store.open_data(FOREST)
    with pytest.raises(DataStoreError, match="not in the CLMS catalogue.*'soil-moisture'"):
        store.open_data("forest-type-2015|nope")


def test_preload_merges_the_tiles_into_one_cube(clms):
    store = _store(clms)
    events = []
    cache = store.preload_data(
        FOREST,
        "forest-type-2015|FTY_2015_100m_eu_03035_d02_E40N20",
        tile_size=16,
        silent=True,
        monitor=lambda handle, event: events.append(event),
    )
    states = {s.data_id: str(s.status) for s in cache.preload_handle.states}
    assert set(states.values()) == {"COMPLETED"}, str(cache.preload_handle)
    assert sorted(cache.list_data_ids()) == [
        "forest-type-2015/FTY_2015_100m_eu_03035_d02_E40N20.zarr",
        "forest-type-2015/FTY_2015_100m_eu_03035_d02_Full.zarr",
    ]
    cube = store.open_data(FOREST)
    np.testing.assert_array_equal(cube.band_1.values, clms["values"])
    assert cube.band_1.chunks == ((16, 16, 8), (16, 16, 16, 12))
    assert "3035" in cube.spatial_ref.attrs["crs_wkt"]
    assert float(cube.x[0]) == 4000050.0 and float(cube.y[0]) == 2999950.0
    small = store.open_data("forest-type-2015|FTY_2015_100m_eu_03035_d02_E40N20")
    np.testing.assert_array_equal(small.band_1.values, clms["values"][:20, :20])
    assert store.describe_data(FOREST).dims == {"y": 40, "x": 60}
    messages = [e.message for e in events if e.data_id == FOREST and e.message]
    assert "requested" in messages and any(m.startswith("merging") for m in messages)
    # the requests were made with a token from a signed JWT, once for the store
    assert clms["fake"].tokens_issued == 1


def test_preloading_again_asks_clms_for_nothing(clms):
    store = _store(clms)
    store.preload_data(FOREST, silent=True)
    posted = clms["service"].count("POST", "/api/@datarequest_post")
    state = store.preload_data(FOREST, silent=True).preload_handle.get_state(FOREST)
    assert state.message == "already preloaded"
    assert clms["service"].count("POST", "/api/@datarequest_post") == posted


def test_an_expired_token_is_renewed(clms):
    store = _store(clms)
    store.preload_data(FOREST, silent=True)
    clms["fake"].expire_tokens()  # the store's token is refused from now on
    cache = store.preload_data("forest-type-2015|FTY_2015_100m_eu_03035_d02_E40N20", silent=True)
    assert str(cache.preload_handle.states[0].status) == "COMPLETED"
    assert clms["fake"].tokens_issued == 2
    assert clms["service"].count("POST", "/api/@datarequest_post") == 3  # one refused with 401


def test_a_failed_request_names_the_package_and_the_reason(clms):
    fake = clms["fake"]
    fake.fail.add(next(p.file_id for p in fake.packages.values() if p.file.endswith("Full")))
    cache = _store(clms).preload_data(FOREST, silent=True)
    state = cache.preload_handle.get_state(FOREST)
    assert str(state.status) == "FAILED"
    assert "could not prepare package" in state.message
    assert "FAILED (The file could not be produced)" in state.message
    assert cache.list_data_ids() == []


def test_a_download_cut_short_leaves_nothing_in_the_cache(clms):
    clms["service"].fault("/downloads/", truncate=0.5)
    cache = _store(clms, num_retries=2).preload_data(FOREST, silent=True)
    state = cache.preload_handle.get_state(FOREST)
    assert str(state.status) == "FAILED"
    assert "CLMS failed to deliver package" in state.message and "3 attempts" in state.message
    assert cache.list_data_ids() == []
    assert not list(clms["cache"].rglob("*.zarr"))  # no hidden half either
    assert clms["service"].count("GET", "/downloads/task-1.zip") == 3


def test_a_download_cut_short_once_is_resumed(clms):
    clms["service"].fault("/downloads/", truncate=0.5, times=1)
    cache = _store(clms).preload_data(FOREST, silent=True)
    assert str(cache.preload_handle.get_state(FOREST).status) == "COMPLETED"
    ranges = [r.headers.get("Range") for r in clms["service"].requests if "downloads" in r.path]
    assert ranges[0] is None and ranges[1].startswith("bytes=")


def test_cancel_withdraws_the_data_requests(clms):
    clms["fake"].processing_time = 60
    cache = _store(clms).preload_data(
        FOREST, "forest-type-2015|FTY_2015_100m_eu_03035_d02_E40N20", silent=True, blocking=False
    )
    deadline = time.monotonic() + 10
    while len(clms["fake"].tasks) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    cache.preload_handle.cancel()
    assert cache.preload_handle.wait(10)
    assert {str(s.status) for s in cache.preload_handle.states} == {"CANCELLED"}
    assert sorted(clms["fake"].deleted) == ["task-1", "task-2"]
    assert clms["fake"].tasks == {}
    assert cache.list_data_ids() == []


def test_a_request_not_prepared_in_time_is_withdrawn(clms):
    clms["fake"].processing_time = 60
    cache = _store(clms, request_timeout=0.1).preload_data(FOREST, silent=True)
    state = cache.preload_handle.get_state(FOREST)
    assert "did not prepare package" in state.message and "request_timeout=0.1" in state.message
    assert clms["fake"].deleted == ["task-1"]


def test_server_errors_are_retried(clms):
    clms["service"].fault("/api/@datarequest_search", status=503, times=2)
    cache = _store(clms).preload_data(FOREST, silent=True)
    assert str(cache.preload_handle.get_state(FOREST).status) == "COMPLETED"
    statuses = [r.status for r in clms["service"].requests if "datarequest_search" in r.path]
    assert statuses[:3] == [503, 503, 200]


def test_refused_credentials_are_a_clear_error_without_the_key(clms, key_pair):
    other, _ = new_service_key(clms["params"]["credentials"]["token_uri"])
    store = _store(clms, credentials=other)
    cache = store.preload_data(FOREST, silent=True)
    message = cache.preload_handle.get_state(FOREST).message
    assert "CLMS refused POST" in message and "check 'credentials'" in message
    assert other["private_key"][40:80] not in message
    assert other["private_key"][40:80] not in repr(store)
    assert "'credentials': '***'" in repr(store) or "credentials='***'" in repr(store)


def test_a_broken_private_key_names_the_parameter(clms):
    credentials = {**clms["params"]["credentials"], "private_key": "not a key at all"}
    cache = _store(clms, credentials=credentials).preload_data(FOREST, silent=True)
    message = cache.preload_handle.get_state(FOREST).message
    assert "Invalid value for parameter 'credentials'" in message
    assert "not a PEM RSA private key" in message and "not a key at all" not in message


def test_bad_params_name_what_is_allowed(clms):
    with pytest.raises(DataStoreParamsError, match="Missing required parameter: 'user_id'"):
        _store(clms, credentials={"client_id": "x"})
    store = _store(clms)
    with pytest.raises(DataStoreParamsError, match="NetCDF dataset, which opens lazily"):
        store.preload_data(SOIL)
    with pytest.raises(DataStoreParamsError, match="tile_size"):
        store.preload_data(FOREST, tile_size=0)


def test_a_netcdf_dataset_opens_lazily_as_one_cube(clms):
    store = _store(clms)
    cube = store.open_data(SOIL)
    assert cube.ssm.chunks is not None
    xr.testing.assert_allclose(cube.ssm.load(), clms["days"].ssm)
    descriptor = store.describe_data(SOIL)
    assert descriptor.dims == {"time": 2, "lat": 3, "lon": 4}
    assert store.get_data_opener_ids(SOIL) == ("dataset:netcdf:https",)


def test_an_unreachable_service_names_it(clms):
    store = _store(clms, api_url="http://127.0.0.1:9/api", num_retries=0)
    with pytest.raises(DataStoreError, match="CLMS cannot be reached at http://127.0.0.1:9"):
        store.list_data_ids()


def test_the_showcase_catalogs_have_it_with_the_real_service(monkeypatch):
    import intake

    monkeypatch.delenv("CLMS_CREDENTIALS", raising=False)
    cat = intake.open_catalog("catalogs/stores.yaml")
    assert cat.clms.store.params["api_url"] == "https://land.copernicus.eu/api"
    assert "credentials" not in cat.clms.store.params  # unset: not given, nothing asked
    v2 = intake.from_yaml_file("catalogs/stores-v2.yaml")
    assert v2.clms.read().store.params["api_url"] == "https://land.copernicus.eu/api"
