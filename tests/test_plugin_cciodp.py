"""The ``cciodp`` store against pydap's own OPeNDAP server behind a fake OpenSearch.

The NetCDF files are written here; what the store reads through DAP2 is
compared with xarray reading the same files from disk.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from tests.plugins.opendap_rig import CciOpenSearch, PydapServer, write_cci_dataset
from tests.service_kit import FakeService

SST = "esacci.SST.day.L4.SSTdepth.multi-sensor.multi-platform.OSTIA.3-0.r1"
OZONE = "esacci.OZONE.month.L3.NP.multi-sensor.multi-platform.MERGED.fv0002.r1"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    root = tmp_path_factory.mktemp("cci")
    sst = write_cci_dataset(root / "sst", 4)
    ozone = write_cci_dataset(root / "ozone", 2, start="2001-01-01", stem="OZONE")
    with PydapServer(root) as dap, FakeService() as service:
        search = CciOpenSearch(service, dap.url)
        search.add(SST, sst, root, institute="Met Office")
        search.add(OZONE, ozone, root, institute="DLR")
        yield {"search": search, "dap": dap, "service": service, "sst": sst, "root": root}


@pytest.fixture(autouse=True)
def clean(portal):
    yield
    portal["service"].clear_faults()


def make_store(portal, **params):
    search = portal["search"]
    return new_data_store(
        "cciodp",
        endpoint_url=search.endpoint_url,
        endpoint_description_url=search.description_url,
        retry_backoff_base=0.01,
        **params,
    )


def on_disk(paths) -> xr.Dataset:
    """The files as xarray reads them locally, latitudes going north."""
    return xr.open_mfdataset(paths, combine="by_coords").sortby("lat").load()


def dods_requests(portal) -> list[str]:
    """The DAP2 data requests for data variables (not coordinates)."""
    data = (".dods?analysed_sst", ".dods?sea_ice_fraction")
    return [r for r in portal["dap"].requests if any(d in r for d in data)]


def test_listing_reads_the_description_only(portal):
    service = portal["service"]
    before, dap_before = len(service.requests), len(portal["dap"].requests)
    store = make_store(portal)
    assert store.list_data_ids() == [SST, OZONE]
    assert store.catalog[SST] == {"num_files": 4}
    assert len(service.requests) - before == 1
    assert len(portal["dap"].requests) == dap_before
    with pytest.raises(DataStoreError, match="'esacci.NOPE' is not in the ESA CCI Open Data"):
        store.describe_data("esacci.NOPE")


def test_describe_data_from_record_iso_and_dds(portal):
    described = make_store(portal).describe_data(SST)
    assert described.dims == {"time": 4, "lat": 36, "lon": 72}
    assert set(described.data_vars) == {"analysed_sst", "sea_ice_fraction"}
    assert described.data_vars["analysed_sst"].attrs == {"units": "kelvin"}
    assert described.time_range == ("2000-01-01T00:00:00Z", "2000-01-04T23:59:59Z")
    assert described.attrs["abstract"] == f"Abstract of {SST}."
    assert described.attrs["num_files"] == 4
    schema = described.open_params_schema.to_dict()["properties"]
    assert schema["variable_names"]["items"]["enum"] == ["analysed_sst", "sea_ice_fraction"]


def test_open_data_reads_subsets_lazily(portal):
    store = make_store(portal)
    before = len(dods_requests(portal))
    ds = store.open_data(SST, bbox=[-20, 30, 40, 60], time_range=["2000-01-02", "2000-01-03"])
    assert len(dods_requests(portal)) == before  # nothing read yet
    expected = on_disk(portal["sst"][1:3]).sel(lon=slice(-20, 40), lat=slice(30, 60))
    assert list(ds.lat.values) == list(expected.lat.values)  # north-going, as normalised
    values = ds.compute()
    xr.testing.assert_allclose(values.analysed_sst, expected.analysed_sst)
    xr.testing.assert_allclose(values.sea_ice_fraction, expected.sea_ice_fraction)
    assert np.isnan(values.analysed_sst.values).sum() == 0  # the fill row is outside the bbox
    # one hyperslab request per file and variable, for just the bbox
    new = dods_requests(portal)[before:]
    assert len(new) == 4 and all("%5B0:1:0%5D%5B6:1:11%5D%5B32:1:43%5D" in r for r in new)


def test_whole_dataset_with_fill_values_and_no_normalisation(portal):
    store = make_store(portal)
    ds = store.open_data(SST, variable_names=["analysed_sst"], normalize_data=False)
    assert list(ds.data_vars) == ["analysed_sst", "time_bnds"]
    assert ds.lat.values[0] > ds.lat.values[-1]  # as in the files
    expected = on_disk(portal["sst"]).sortby("lat", ascending=False)
    np.testing.assert_array_equal(ds.analysed_sst.values, expected.analysed_sst.values)
    assert np.isnan(ds.analysed_sst.values[:, 0]).all()  # _FillValue decoded


def test_bad_open_params_name_the_parameter(portal):
    store = make_store(portal)
    with pytest.raises(DataStoreParamsError, match="'variable_names.*'sst'"):
        store.open_data(SST, variable_names=["sst"])
    with pytest.raises(DataStoreParamsError, match="'bbox'.*no pixel"):
        store.open_data(SST, bbox=[-20, 95, 40, 99])
    with pytest.raises(DataStoreParamsError, match="'time_range'.*no file"):
        store.open_data(SST, time_range=["2010-01-01", "2010-02-01"])


def test_search_by_cci_attrs_dates_and_institute(portal):
    store = make_store(portal)
    found = lambda **p: [d.data_id for d in store.search_data(**p)]  # noqa: E731
    assert found(cci_attrs={"ecv": "ozone"}) == [OZONE]
    assert found(cci_attrs={"frequency": "day", "processing_level": "L4"}) == [SST]
    assert found(cci_attrs={"institute": "DLR"}) == [OZONE]
    assert found(start_date="2000-12-01T00:00:00", end_date="2001-06-01T00:00:00") == [OZONE]
    assert found(bbox=[0, 0, 10, 10]) == [SST, OZONE]
    with pytest.raises(DataStoreParamsError, match="cci_attrs"):
        found(cci_attrs={"colour": "blue"})


def test_opensearch_failures_are_retried_then_explained(portal):
    service = portal["service"]
    service.fault("/opensearch/", status=503, times=2)
    assert make_store(portal).list_data_ids() == [SST, OZONE]
    service.fault("/opensearch/", status=500)
    with pytest.raises(
        DataStoreError, match=r"ESA CCI Open Data Portal could not deliver .*HTTP 500"
    ):
        make_store(portal, num_retries=1).list_data_ids()


def test_a_file_gone_from_the_server_names_it(portal, tmp_path):
    store = make_store(portal)
    ds = store.open_data(OZONE, variable_names=["analysed_sst"])
    gone = sorted((portal["root"] / "ozone").iterdir())[-1]
    moved = tmp_path / gone.name
    gone.rename(moved)
    try:
        with pytest.raises(
            DataStoreError, match=f"could not deliver analysed_sst of .*{gone.name}"
        ):
            ds.analysed_sst.compute()
    finally:
        moved.rename(gone)


def test_chunk_cache_and_user_agent(portal):
    store = make_store(portal, cache_size=16, user_agent="cci-tests/1.0")
    ds = store.open_data(SST, variable_names=["analysed_sst"], bbox=[0, 0, 10, 10])
    ds.analysed_sst.compute()
    before = len(dods_requests(portal))
    again = store.open_data(SST, variable_names=["analysed_sst"], bbox=[0, 0, 10, 10])
    again.analysed_sst.compute()
    assert len(dods_requests(portal)) == before  # all from the cache
    assert portal["service"].requests[-1].headers["User-Agent"] == "cci-tests/1.0"


def test_files_without_opendap_link_are_left_out_with_a_warning(portal):
    files = portal["search"].datasets[OZONE]["files"]
    files.append({"type": "Feature", "id": "odd", "properties": {"title": "odd.nc"}})
    try:
        with pytest.warns(UserWarning, match="1 file.*without an OPeNDAP link.*odd.nc"):
            described = make_store(portal, enable_warnings=True).describe_data(OZONE)
        assert described.dims["time"] == 2
    finally:
        files.pop()
