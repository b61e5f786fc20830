"""The ``cds`` store against a fake CDS Processes API on loopback (tests/plugins/cds_fake.py).

ECMWF's own client submits and polls the jobs; the fake advances each job one
state per poll and answers with NetCDF or zip results the tests make. HOME and
the CDSAPI_* variables are isolated, so no real ~/.cdsapirc is read.
"""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from tests.plugins.cds_fake import FakeCds, era5_dataset, era5_netcdf
from tests.plugins.zenodo_fake import zip_bytes
from tests.service_kit import FakeService

ERA5 = "reanalysis-era5-single-levels"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No real CDS configuration, and temporary files in a folder of the test's own."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("CDSAPI_URL", "CDSAPI_KEY", "CDSAPI_RC", "ECMWF_DATASTORES_URL",
                 "ECMWF_DATASTORES_KEY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return {"home": home, "temp": temp}


@pytest.fixture(scope="module")
def cds_service():
    with FakeService() as service:
        yield service, FakeCds(service)


@pytest.fixture
def cds(cds_service):
    """The module's fake CDS, with no jobs, faults or failures yet."""
    service, fake = cds_service
    service.clear_faults()
    service.requests.clear()
    fake.jobs.clear()
    fake.failures.clear()
    fake.never_finish = False
    fake.results = {ERA5: era5_netcdf}
    return fake


def cds_store(cds, **params):
    params = {"endpoint_url": cds.url, "cds_api_key": cds.key, "poll_interval": 0.01,
              "progress": False, "retry_backoff_base": 0.01, **params}  # fmt: skip
    return new_data_store("cds", **params)


def test_listing_and_describing_need_no_service_and_no_key():
    store = new_data_store("cds", endpoint_url="http://127.0.0.1:9")  # nothing listens there
    ids = store.list_data_ids()
    assert ids[:2] == [ERA5, f"{ERA5}-monthly-means"]
    assert "satellite-soil-moisture:saturation:10-day" in ids
    assert "satellite-sea-ice-thickness:cryosat-2" in ids
    descriptor = store.describe_data("reanalysis-era5-land")
    assert descriptor.spatial_res == 0.1 and descriptor.time_range == ("1950-01-01", None)
    assert {"t2m", "swvl1"} <= set(descriptor.data_vars)
    schema = descriptor.open_params_schema.to_dict()
    assert schema["required"] == ["time_range"]
    assert schema["properties"]["spatial_res"]["enum"] == [0.1, 0.25, 0.5, 1.0]
    sea_ice = store.describe_data("satellite-sea-ice-thickness:envisat")
    assert sea_ice.crs == "EPSG:6931" and sea_ice.time_range == ("2002-10-01", "2010-10-31")
    assert (
        new_data_store("cds")
        .get_data_store_params_schema()
        .to_dict()["properties"]["cds_api_key"]["writeOnly"]
    )


def test_open_era5_submits_the_request_and_returns_a_normalised_dataset(cds, capsys):
    store = cds_store(cds, progress=True)
    ds = store.open_data(
        ERA5,
        variable_names=["t2m"],
        bbox=[0, 40, 2, 42],
        time_range=["2020-01-01", "2020-01-02"],
        spatial_res=0.5,
    )
    (inputs,) = cds.submitted
    assert inputs["variable"] == ["2m_temperature"] and inputs["product_type"] == ["reanalysis"]
    assert inputs["area"] == [42, 0, 40, 2] and inputs["grid"] == [0.5, 0.5]
    assert inputs["day"] == ["01", "02"] and len(inputs["time"]) == 24
    assert list(ds.data_vars) == ["t2m"] and dict(ds.sizes) == {"time": 48, "lat": 5, "lon": 5}
    assert ds.lat.values.tolist() == [40.0, 40.5, 41.0, 41.5, 42.0]  # ascending
    expected = era5_dataset(inputs).t2m.isel(latitude=slice(None, None, -1)).values
    np.testing.assert_array_equal(ds.t2m.values, expected)
    assert ds.attrs["time_coverage_end"] == "2020-01-02T23:00:00"
    assert ds.attrs["Conventions"].startswith("CF") and ds.lat.attrs["units"] == "degrees_north"
    job = next(iter(cds.jobs.values()))
    assert job["polls"] >= 3  # accepted, running, successful
    bar = capsys.readouterr().err
    assert "accepted" in bar and "running" in bar and "downloading" in bar


def test_a_zip_of_daily_files_is_combined_and_cut_to_the_area(cds):
    def daily_zip(inputs):
        files = {}
        for day in inputs["day"]:
            ds = xr.Dataset(
                {"sm": (("time", "lat", "lon"), np.full((1, 4, 8), float(day), "float32"))},
                coords={
                    "time": [pd.Timestamp(f"2021-03-{day}")],
                    "lat": [67.5, 22.5, -22.5, -67.5],
                    "lon": np.arange(-157.5, 180, 45.0),
                },
            )
            files[f"C3S-SOILMOISTURE-2021-03-{day}.nc"] = ds.to_netcdf(engine="h5netcdf")
        return "result.zip", zip_bytes(files)

    cds.results["satellite-soil-moisture"] = daily_zip
    ds = cds_store(cds, normalize_names=True).open_data(
        "satellite-soil-moisture:volumetric:daily",
        bbox=[-180, 0, 0, 90],
        time_range=["2021-03-02", "2021-03-03"],
    )
    (inputs,) = cds.submitted
    assert inputs["time_aggregation"] == ["day_average"] and "area" not in inputs
    assert ds.time.dt.day.values.tolist() == [2, 3]
    assert ds.lat.values.tolist() == [22.5, 67.5] and ds.lon.values.tolist() == [
        -157.5,
        -112.5,
        -67.5,
        -22.5,
    ]
    assert ds.sm.values[:, 0, 0].tolist() == [2.0, 3.0]


def test_a_failed_job_surfaces_its_message_and_leaves_nothing(cds, isolated):
    cds.failures[ERA5] = "Request too large: 120000 fields requested, the limit is 60000"
    with pytest.raises(DataStoreError) as caught:
        cds_store(cds).open_data(ERA5, time_range=["2020-01-01", "2020-01-01"])
    message = str(caught.value)
    (job,) = cds.jobs
    assert f"CDS job {job} for {ERA5} ended 'failed'" in message
    assert "the limit is 60000" in message
    assert list(isolated["temp"].glob("cds-*")) == []


def test_an_invalid_key_is_a_clear_error_that_does_not_show_the_key(cds):
    store = cds_store(cds, cds_api_key="wrong-0123456789")
    with pytest.raises(DataStoreError, match="refused the API key") as caught:
        store.open_data(ERA5, time_range=["2020-01-01", "2020-01-01"])
    assert "cds_api_key" in str(caught.value) and "Authentication failed" in str(caught.value)
    assert "wrong-0123456789" not in str(caught.value) + repr(store)
    assert cds.jobs == {}


def test_a_job_that_never_finishes_ends_at_job_timeout_and_is_deleted(cds, isolated):
    cds.never_finish = True
    store = cds_store(cds, job_timeout=0.2, poll_interval=0.05)
    with pytest.raises(DataStoreError, match=r"job_timeout=0.2 s \(still 'accepted'\)"):
        store.open_data(ERA5, time_range=["2020-01-01", "2020-01-01"])
    assert [job["deleted"] for job in cds.jobs.values()] == [True]
    assert list(isolated["temp"].glob("cds-*")) == []


def test_server_errors_are_retried(cds):
    cds.service.fault("/api/retrieve/v1/jobs/", status=503, times=2)
    cds.service.fault("/download/", status=429, retry_after=0, times=1)
    ds = cds_store(cds).open_data(ERA5, variable_names=["t2m"], time_range=["2020-01-01"] * 2,
                                  bbox=[0, 0, 1, 1], spatial_res=1.0)  # fmt: skip
    assert ds.t2m.shape == (24, 2, 2)
    assert sum(r.status == 503 for r in cds.service.requests) == 2


def test_key_and_url_come_from_cdsapirc_or_the_environment(cds, isolated, monkeypatch):
    (isolated["home"] / ".cdsapirc").write_text(f"url: {cds.url}\nkey: {cds.key}\n")
    store = new_data_store("cds", poll_interval=0.01, progress=False)
    ds = store.open_data(ERA5, variable_names=["t2m"], time_range=["2020-01-01"] * 2,
                         bbox=[0, 0, 1, 1], spatial_res=1.0)  # fmt: skip
    assert ds.t2m.shape == (24, 2, 2)
    (isolated["home"] / ".cdsapirc").unlink()
    monkeypatch.setenv("CDSAPI_URL", cds.url)
    monkeypatch.setenv("CDSAPI_KEY", "from-the-environment")
    store = new_data_store("cds", poll_interval=0.01, progress=False)
    with pytest.raises(DataStoreError, match="refused the API key"):
        store.open_data(ERA5, time_range=["2020-01-01"] * 2)
    monkeypatch.delenv("CDSAPI_KEY")
    with pytest.raises(DataStoreParamsError, match="'cds_api_key'.*CDSAPI_KEY or ~/.cdsapirc"):
        new_data_store("cds").open_data(ERA5, time_range=["2020-01-01"] * 2)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"variable_names": ["t2m", "sst2"]}, r"'sst2'.*'t2m'"),
        ({"time_range": ["1900-01-01", "1900-01-02"]}, "1940-01-01"),
        ({"bbox": [10, 0, 5, 1]}, r"'bbox'.*west must be < east"),
        ({"spatial_res": 0.3}, r"0\.3.*0\.25"),
        ({"time_range": ["2020-02-01", "2020-01-01"]}, "start is after end"),
    ],
)
def test_bad_open_params_are_refused_before_any_request(cds, params, expected):
    params = {"time_range": ["2020-01-01", "2020-01-02"], **params}
    with pytest.raises(DataStoreParamsError, match=expected):
        cds_store(cds).open_data(ERA5, **params)
    assert cds.jobs == {}


def test_the_showcase_catalogs_list_cds_datasets_without_network():
    import intake

    from tests.test_plugin_stores import REPO

    source = intake.open_catalog(str(REPO / "catalogs" / "stores.yaml")).cds
    assert source.store.params["endpoint_url"] == "https://cds.climate.copernicus.eu/api"
    assert ERA5 in list(source)
    v2 = intake.from_yaml_file(str(REPO / "catalogs" / "stores-v2.yaml")).cds.read()
    assert ERA5 in list(v2)


def test_interrupting_the_wait_deletes_the_job(cds, monkeypatch):
    from intake_xstores.plugins.cds import job

    def interrupted(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(job.time, "sleep", interrupted)  # Ctrl-C while the job is queued
    with pytest.raises(KeyboardInterrupt):
        cds_store(cds).open_data(ERA5, time_range=["2020-01-01"] * 2)
    assert [j["deleted"] for j in cds.jobs.values()] == [True]
