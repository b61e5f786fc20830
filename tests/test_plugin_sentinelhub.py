"""The ``sentinelhub`` stores against a fake Sentinel Hub over TLS (tests/plugins/sh_fake.py).

The fake computes each tile from the request, so the values a user reads
show that tiles land where they belong; faults (429 with Retry-After, 500,
ended tokens) are injected on the same loopback service.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from tests.plugins.sh_fake import BANDS, SentinelHubFake, expected_band
from tests.service_kit import FakeService

ACQUISITIONS = ["2024-05-01T10:00:00Z", "2024-05-01T10:00:05Z", "2024-05-04T10:20:00Z"]
CUBE = dict(bbox=[10.0, 50.0, 10.24, 50.16], spatial_res=0.01, tile_size=[8, 8])


@pytest.fixture(scope="module")
def fake():
    with FakeService(tls=True) as service:
        many = [f"2023-01-{d:02d}T{h:02d}:00:00Z" for d in range(1, 31) for h in range(5)]
        yield SentinelHubFake(
            service, acquisitions={"sentinel-2-l2a": ACQUISITIONS, "sentinel-1-grd": many}
        )


@pytest.fixture(autouse=True)
def clean(fake):
    yield
    fake.service.clear_faults()


def make_store(fake, store_id="sentinelhub", **params):
    params = {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "instance_url": fake.url,
        "ssl_verify": fake.service.ca_file,
        "retry_backoff_base": 0.01,
        **params,
    }
    return new_data_store(store_id, **params)


def process_count(fake) -> int:
    return fake.service.count("POST", "/api/v1/process")


def test_listing_asks_no_service_and_hides_the_secret(fake):
    before = len(fake.service.requests)
    store = make_store(fake, client_secret="s3cr3t-value")
    assert store.list_data_ids() == [
        "S2L1C", "S2L2A", "S1GRD", "S3OLCI", "S3SLSTR", "S5PL2",
        "L8L1C", "LOTL1", "LOTL2", "DEM", "MODIS", "CUSTOM",
    ]  # fmt: skip
    assert store.has_data("S1GRD") and not store.has_data("S9")
    assert "s3cr3t-value" not in repr(store) and "client_secret='***'" in repr(store)
    assert len(fake.service.requests) == before


def test_cdse_variant_defaults_to_the_cdse_services():
    store = new_data_store("sentinelhub-cdse")
    assert store.params["instance_url"] == "https://sh.dataspace.copernicus.eu"
    assert store.oauth2_url.startswith("https://identity.dataspace.copernicus.eu/")
    assert store.process_url == "https://sh.dataspace.copernicus.eu/api/v1/process"
    assert new_data_store("sentinelhub").oauth2_url == "https://services.sentinel-hub.com/oauth"


def test_describe_data_has_bands_units_and_time_extent(fake):
    store = make_store(fake)
    described = store.describe_data("S2L2A")
    assert list(described.data_vars) == [name for name, _ in BANDS["S2L2A"]]
    assert described.data_vars["SCL"].attrs == {"units": "1"}
    assert described.time_range[0] == ACQUISITIONS[0]
    # DEM: the configuration API does not know it, the built-in bands answer; no catalog
    dem = store.describe_data("DEM")
    assert list(dem.data_vars) == ["DEM"] and dem.time_range is None
    with pytest.warns(UserWarning, match="No dataset DEM.*using the built-in bands"):
        make_store(fake, enable_warnings=True).describe_data("DEM")
    with pytest.raises(DataStoreError, match="'S9' is not in the collections of Sentinel Hub"):
        store.describe_data("S9")


@pytest.mark.parametrize("response_format", ["image/tiff", "application/octet-stream"])
def test_open_data_computes_tiles_on_read(fake, response_format):
    store = make_store(fake)
    before = process_count(fake)
    ds = store.open_data(
        "S2L2A",
        variable_names=["B04", "B08"],
        time_range=["2024-05-01", "2024-05-04"],
        response_format=response_format,
        **CUBE,
    )
    assert process_count(fake) == before  # lazy: nothing computed yet
    assert dict(ds.sizes) == {"time": 2, "lat": 16, "lon": 24, "bnds": 2}
    # the two acquisitions 5 s apart are one time step (time_tolerance 10 min)
    assert list(ds.time.values) == list(pd.to_datetime(["2024-05-01T10:00", "2024-05-04T10:20"]))
    values = ds.compute()
    for t, day in enumerate((122, 125)):
        for name, band in (("B04", 2), ("B08", 3)):
            np.testing.assert_allclose(
                values[name].values[t],
                expected_band(band, ds.lon.values, ds.lat.values, day),
                rtol=1e-6,
            )
    # one request per tile and time step, for both bands together
    assert process_count(fake) - before == 2 * 3 * 2
    body = fake.process_bodies[-1]
    assert body["input"]["bounds"]["properties"]["crs"].endswith("/EPSG/0/4326")
    assert body["input"]["data"][0]["dataFilter"]["mosaickingOrder"] == "mostRecent"
    assert '["B04", "B08"]' in body["evalscript"]


def test_time_period_makes_regular_steps_and_dem_needs_one(fake):
    store = make_store(fake)
    ds = store.open_data("DEM", time_range=["2024-01-01", "2024-01-04"], time_period="2D", **CUBE)
    assert list(ds.time_bnds.values[:, 0]) == list(pd.to_datetime(["2024-01-01", "2024-01-03"]))
    np.testing.assert_allclose(
        ds.DEM.values[1], expected_band(0, ds.lon.values, ds.lat.values, 3), rtol=1e-6
    )
    with pytest.raises(DataStoreParamsError, match="'time_period'.*no acquisitions"):
        store.open_data("DEM", time_range=["2024-01-01", "2024-01-04"], **CUBE)


def test_bad_open_params_name_the_parameter(fake):
    store = make_store(fake)
    good = dict(time_range=["2024-05-01", "2024-05-04"], **CUBE)
    with pytest.raises(DataStoreParamsError, match="'bbox'.*west < east"):
        store.open_data("S2L2A", **{**good, "bbox": [11, 50, 10, 51]})
    with pytest.raises(DataStoreParamsError, match="variable_names.*B99"):
        store.open_data("S2L2A", variable_names=["B99"], **good)
    with pytest.raises(DataStoreParamsError, match="'collection_id'"):
        store.open_data("CUSTOM", variable_names=["b1"], **good)
    with pytest.raises(DataStoreParamsError, match="'time_period': '3 parsecs'"):
        store.open_data("S2L2A", time_period="3 parsecs", **good)
    with pytest.raises(DataStoreParamsError, match="'spatial_res'"):
        store.open_data("S2L2A", **{**good, "spatial_res": 0})


def test_search_data_pages_through_the_catalog(fake):
    store = make_store(fake)
    before = fake.service.count("POST", "/api/v1/catalog/1.0.0/search")
    found = list(
        store.search_data(
            collections=["S1GRD", "S2L2A"],
            bbox=[0, 40, 20, 60],
            time_range=["2023-01-01", "2023-12-31"],
        )
    )
    assert [d.data_id for d in found] == ["S1GRD"]  # no S2L2A acquisitions in 2023
    assert len(found[0].attrs["acquisition_times"]) == 150
    assert found[0].time_range == ("2023-01-01T00:00:00Z", "2023-01-30T04:00:00Z")
    # 150 items: two pages of S1GRD, one (empty) of S2L2A
    assert fake.service.count("POST", "/api/v1/catalog/1.0.0/search") - before == 3
    with pytest.raises(DataStoreParamsError, match="time_range"):
        next(store.search_data(bbox=[0, 40, 20, 60]))


def test_429_and_500_are_retried(fake):
    store = make_store(fake)
    ds = store.open_data("DEM", time_range=["2024-01-01", "2024-01-01"], time_period="1D", **CUBE)
    fake.service.fault("/api/v1/process", status=429, retry_after=1, times=1)
    fake.service.fault("/api/v1/process", status=500, times=2)
    before = len(fake.service.requests)
    values = ds.DEM.values
    np.testing.assert_allclose(
        values[0], expected_band(0, ds.lon.values, ds.lat.values, 1), rtol=1e-6
    )
    statuses = [r.status for r in fake.service.requests[before:] if r.path == "/api/v1/process"]
    # the first request used up one of each fault (the 429 answered it), the next got a 500
    assert sorted(statuses) == [200] * 6 + [429, 500]


def test_tiles_failing_for_good_follow_the_error_policy(fake):
    cube = dict(time_range=["2024-01-01", "2024-01-01"], time_period="1D", **CUBE)
    fake.service.fault("/api/v1/process", status=500)
    failing = make_store(fake, num_retries=1).open_data("DEM", **cube)
    with pytest.raises(
        DataStoreError, match=r"Sentinel Hub failed .*/api/v1/process answered HTTP 500"
    ):
        failing.DEM.compute()
    warned = make_store(fake, num_retries=0, error_policy="warn").open_data("DEM", **cube)
    with pytest.warns(UserWarning, match="is missing, filled with NaN"):
        assert np.isnan(warned.DEM.values).all()
    ignored = make_store(fake, num_retries=0, error_policy="ignore").open_data("DEM", **cube)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(ignored.DEM.values).all()


def test_an_ended_token_is_replaced(fake):
    store = make_store(fake)
    tokens = fake.service.count("POST", "/oauth/token")
    ds = store.open_data("S2L2A", variable_names=["B02"], time_range=ACQUISITIONS[:2], **CUBE)
    fake.expire_tokens()  # the token that searched the catalog ends
    assert np.isfinite(ds.B02.values).all()
    assert fake.service.count("POST", "/oauth/token") - tokens == 2  # first one, then its successor


def test_credentials_come_from_params_or_environment(fake, monkeypatch):
    monkeypatch.delenv("SH_CLIENT_ID", raising=False)
    monkeypatch.delenv("SH_CLIENT_SECRET", raising=False)
    store = make_store(fake, client_id=None, client_secret=None)
    with pytest.raises(DataStoreParamsError, match=r"'client_id'.*\$SH_CLIENT_ID"):
        store.describe_data("S2L2A")
    monkeypatch.setenv("SH_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("SH_CLIENT_SECRET", fake.client_secret)
    assert make_store(fake, client_id=None, client_secret=None).describe_data("S1GRD").data_vars
    wrong = make_store(fake, client_secret="not-the-secret")
    with pytest.raises(DataStoreError, match="refused the credentials.*'client_secret'") as error:
        wrong.describe_data("S2L2A")
    assert "not-the-secret" not in str(error.value)


def test_the_ca_is_trusted_by_its_store_only(fake):
    with pytest.raises(DataStoreError, match="Sentinel Hub gave no access token.*SSL"):
        make_store(fake, ssl_verify=True).describe_data("S2L2A")


def test_debug_logs_show_neither_secret_nor_token(fake, caplog):
    with caplog.at_level(logging.DEBUG):
        make_store(fake).describe_data("S1GRD")
    assert any(r.name.startswith("requests_oauthlib") for r in caplog.records)
    assert "client_secret=***" in caplog.text
    assert fake.client_secret not in caplog.text and "token-" not in caplog.text


def test_a_missing_library_names_the_extra(fake, monkeypatch):
    from intake_xstores.extras import Needs
    from intake_xstores.plugins.sentinelhub import store as module

    monkeypatch.setattr(module, "NEEDS", Needs(("no_such_module_here",), "sentinelhub"))
    with pytest.raises(DataStoreError, match=r'pip install "intake_xstores\[sentinelhub\]"'):
        make_store(fake).describe_data("S2L2A")


def test_projected_crs_and_byoc_collections(fake):
    store = make_store(fake)
    x0, y0 = 1113000.0, 6446000.0  # about 10 E, 50 N in web mercator
    ds = store.open_data(
        "S2L2A",
        variable_names=["B02"],
        crs="EPSG:3857",
        bbox=[x0, y0, x0 + 1600, y0 + 800],
        spatial_res=100,
        tile_size=[8, 8],
        time_range=["2024-05-04", "2024-05-04"],
    )
    assert dict(ds.B02.sizes) == {"time": 1, "y": 8, "x": 16}
    np.testing.assert_allclose(
        ds.B02.values[0], expected_band(0, ds.x.values, ds.y.values, 125), rtol=1e-6
    )
    assert fake.process_bodies[-1]["input"]["bounds"]["properties"]["crs"].endswith("/3857")
    custom = store.open_data(
        "CUSTOM",
        collection_id="my-cogs",
        variable_names=["DEM"],
        time_range=["2024-01-01", "2024-01-01"],
        time_period="1D",
        **CUBE,
    )
    assert np.isfinite(custom.DEM.values).all()
    assert fake.process_bodies[-1]["input"]["data"][0]["type"] == "byoc-my-cogs"
