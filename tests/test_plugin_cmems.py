"""The ``cmems`` store against a loopback Copernicus Marine (tests/plugins/cmems_rig.py):
STAC metadata on a fake service, ARCO Zarr stores in both layouts on moto."""

from __future__ import annotations

import dask.array
import numpy as np
import pytest

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from tests.plugins.cmems_rig import marine_cube, serve_marine
from tests.service_kit import FakeService

PHY = "cmems_mod_glo_phy_anfc_1deg_P1D-m"
WAV = "cmems_mod_glo_wav_anfc_1deg_P1D-m"


@pytest.fixture(scope="module")
def marine(s3_endpoint):
    cube = marine_cube()
    with FakeService() as service:
        url = serve_marine(
            service,
            s3_endpoint,
            {
                "GLOBAL_ANALYSISFORECAST_PHY_001_024": {
                    f"{PHY}_202311": marine_cube(times=2),
                    f"{PHY}_202406": cube,
                },
                "GLOBAL_ANALYSISFORECAST_WAV_001_027": {f"{WAV}_202411": marine_cube(times=3)},
            },
        )
        yield {"service": service, "url": url, "cube": cube}


@pytest.fixture
def store(marine):
    return new_data_store("cmems", metadata_url=marine["url"], retry_backoff_base=0.01)


def test_data_ids_are_the_datasets_of_the_metadata_read_without_items(marine, store):
    before = marine["service"].count()
    assert store.list_data_ids() == [PHY, WAV]
    asked = [r.path for r in marine["service"].requests[before:]]
    assert not any(p.endswith("dataset.stac.json") for p in asked)
    assert store.has_data(PHY) and not store.has_data("cmems_mod_unknown")


def test_describe_data_reads_the_newest_item_only(marine, store):
    descriptor = store.describe_data(PHY)
    assert descriptor.time_range == ("2024-01-01", "2024-01-06")  # the 202406 version's
    assert descriptor.bbox == (-5.0, 40.0, 4.0, 47.0) and descriptor.spatial_res == 1.0
    assert descriptor.data_vars["thetao"].attrs["standard_name"] == (
        "sea_water_potential_temperature"
    )
    assert descriptor.attrs["product_id"] == "GLOBAL_ANALYSISFORECAST_PHY_001_024"
    assert descriptor.attrs["version"] == "202406"
    schema = descriptor.open_params_schema.to_dict()["properties"]
    assert schema["variable_names"]["items"]["enum"] == ["thetao", "so"]
    asked = [r.path for r in marine["service"].requests]
    assert any(p.endswith(f"{PHY}_202406/dataset.stac.json") for p in asked)
    assert not any(p.endswith(f"{PHY}_202311/dataset.stac.json") for p in asked)


def test_a_time_series_of_a_small_area_opens_the_geo_chunked_store_lazily(marine, store):
    ds = store.open_data(PHY, variable_names=["thetao"], bbox=[-3, 41, 0, 43])
    assert ds.attrs["arco_layout"] == "geoChunked"
    assert isinstance(ds.thetao.data, dask.array.Array)
    assert list(ds.data_vars) == ["thetao"] and dict(ds.sizes) == {"time": 6, "lat": 3, "lon": 4}
    expected = marine["cube"].thetao.sel(latitude=slice(41, 43), longitude=slice(-3, 0))
    np.testing.assert_array_equal(ds.thetao.values, expected.values)


def test_a_map_of_one_day_opens_the_time_chunked_store(marine, store):
    ds = store.open_data(PHY, time_range=["2024-01-03T00:00:00Z", "2024-01-03T00:00:00Z"])
    assert ds.attrs["arco_layout"] == "timeChunked"
    assert dict(ds.sizes) == {"time": 1, "lat": 8, "lon": 10}
    np.testing.assert_array_equal(ds.so.values[0], marine["cube"].so.values[2])


def test_retired_params_warn_and_say_what_replaced_them(marine):
    with pytest.warns(DeprecationWarning, match=r"'csw_url'.*STAC metadata at 'metadata_url'"):
        store = new_data_store(
            "cmems",
            metadata_url=marine["url"],
            csw_url="https://cmems-catalog-ro.cls.fr/geonetwork/srv/eng/csw",
            cmems_username="mermaid",
            cmems_password="pearl-0987654321",
        )
    assert store.list_data_ids() == [PHY, WAV]
    assert "pearl-0987654321" not in repr(store) and "mermaid" not in repr(store)


def test_bad_requests_name_the_parameter_and_what_is_allowed(store):
    with pytest.raises(DataStoreParamsError, match=r"'uo'.*'thetao', 'so'"):
        store.open_data(PHY, variable_names=["uo"])
    with pytest.raises(DataStoreParamsError, match=r"'bbox'.*west must be < east"):
        store.open_data(PHY, bbox=[3, 40, 1, 42])
    with pytest.raises(DataStoreError, match=rf"'cmems_mod_nope' is not in the Copernicus.*{PHY}"):
        store.describe_data("cmems_mod_nope")


def test_metadata_errors_are_retried_then_explained(marine, store):
    product = "/mdl-metadata/metadata/GLOBAL_ANALYSISFORECAST_WAV_001_027/product.stac.json"
    fault = marine["service"].fault(product, status=503, times=1)
    assert store.list_data_ids() == [PHY, WAV]
    assert fault.hits == 1
    broken = new_data_store("cmems", metadata_url=marine["url"].replace("V1", "V9"), num_retries=0)
    with pytest.raises(DataStoreError, match="Copernicus Marine has no clients configuration"):
        broken.list_data_ids()


def test_an_open_ended_time_range_reads_to_the_end(marine, store):
    ds = store.open_data(PHY, time_range=["2024-01-05", None], bbox=[-5, 40, -4, 41])
    assert ds.time.dt.day.values.tolist() == [5, 6]
    assert ds.attrs["arco_layout"] == "geoChunked"


def test_credentials_default_to_the_toolbox_variables_and_stay_hidden(marine, monkeypatch):
    monkeypatch.setenv("COPERNICUSMARINE_SERVICE_USERNAME", "selkie")
    monkeypatch.setenv("COPERNICUSMARINE_SERVICE_PASSWORD", "kelp-1234567890")
    store = new_data_store("cmems", metadata_url=marine["url"])
    assert store.params["cmems_username"] == "selkie"
    assert store.list_data_ids() == [PHY, WAV]
    assert "kelp-1234567890" not in repr(store)
    given = new_data_store("cmems", metadata_url=marine["url"], cmems_username="mermaid")
    assert given.params["cmems_username"] == "mermaid"
