"""The ``smos`` store on its rig: a rustac STAC API, L2 products on moto S3, a grid table.

See ``tests/plugins/smos_rig.py`` for what the rig holds; every mapped value
is checked against the value the rig wrote for the pixel's DGG point.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from tests.plugins import smos_rig as rig

SM, OS = "SMOS-L2C-SM", "SMOS-L2C-OS"
DAYS = ["2023-05-01", "2023-05-02"]


@pytest.fixture(scope="session")
def smos_params(s3_endpoint, tmp_path_factory):
    with rig.run_smos_rig(s3_endpoint, tmp_path_factory.mktemp("smos")) as params:
        yield params


@pytest.fixture(scope="session")
def smos_store(smos_params):
    return new_data_store("smos", **smos_params)


@pytest.fixture(scope="session")
def sm_cube(smos_store):
    return smos_store.open_data(SM, time_range=DAYS).compute()


def expected(product_index: int, first_col: int, last_col: int) -> np.ndarray:
    """The rig's soil moisture values as the cube must show them (level 0)."""
    seqnum = rig.grid_seqnum()
    covered = np.isin(seqnum, rig.product_points(first_col, last_col)) & (seqnum > 0)
    values = np.where(covered, rig.sm_value(seqnum, product_index), np.nan)
    points = rig.product_points(first_col, last_col)
    no_retrieval = np.isin(seqnum, points[::7])
    return np.where(no_retrieval, np.nan, values).astype("float32")


def test_listing_and_describing_need_no_service():
    store = new_data_store("smos", stac_url="http://127.0.0.1:9/stac", grid_path="/nowhere")
    assert store.list_data_ids() == [SM, OS]
    assert store.get_data_types_for_data(SM) == ("dataset", "mldataset")
    descriptor = store.describe_data(OS)
    assert descriptor.attrs["title"] == "SMOS Level-2 Ocean Salinity"
    assert "SSS_corr" in descriptor.attrs["variables"]
    assert store.describe_data(SM, data_type="mldataset").data_type.alias == "mldataset"
    schema = store.get_open_data_params_schema(SM)
    assert schema.required == ["time_range"] and "res_level" in schema.properties
    ml_schema = store.get_open_data_params_schema(SM, "mldataset:zarr:smos")
    assert "l2_product_cache_size" in ml_schema.properties


def test_cube_maps_every_product_pixel(sm_cube):
    # the 2023-05-10 product is outside the range, the OS products another type
    assert sm_cube.sizes == {"time": 3, "lat": rig.HEIGHT, "lon": rig.WIDTH, "bnds": 2}
    assert sorted(sm_cube.data_vars) == [
        "Chi_2",
        "Mean_acq_time",
        "Soil_Moisture",
        "Soil_Moisture_DQX",
        "time_bnds",
    ]
    for t, (_, start, stop, c0, c1) in enumerate(rig.SM_PRODUCTS[:3]):
        np.testing.assert_array_equal(sm_cube.Soil_Moisture[t].values, expected(t, c0, c1))
        mid = pd.Timestamp(start) + (pd.Timestamp(stop) - pd.Timestamp(start)) / 2
        assert pd.Timestamp(sm_cube.time.values[t]) == mid
        assert pd.Timestamp(sm_cube.time_bnds.values[t, 0]) == pd.Timestamp(start)
    # an integer variable without fill value: 0 where the product has no point
    chi2 = sm_cube.Chi_2[0].values
    assert chi2.dtype == np.uint8
    seqnum = rig.grid_seqnum()
    assert chi2[10, 5] == seqnum[10, 5] % 200 and chi2[10, 100] == 0
    assert sm_cube.Soil_Moisture.attrs["units"] == "m3 m-3"
    assert sm_cube.lat.values[0] == pytest.approx(90 - rig.RES / 2)


def test_one_chunk_per_product(smos_store):
    cube = smos_store.open_data(SM, time_range=DAYS)
    assert cube.Soil_Moisture.chunks == ((1, 1, 1), (rig.HEIGHT,), (rig.WIDTH,))


def test_bbox_and_res_level_cut_and_coarsen(smos_store, sm_cube):
    bbox = [-60.0, -30.0, 60.0, 45.0]
    cube = smos_store.open_data(SM, time_range=DAYS, bbox=bbox, res_level=1).compute()
    assert cube.lon.min() >= -60 and cube.lon.max() <= 60
    assert cube.lat.min() >= -30 and cube.lat.max() <= 45
    # level 1 shows every 2nd pixel of level 0: the one at offset 1 of each 2 x 2 block
    full = sm_cube.Soil_Moisture.values[:, 1::2, 1::2]
    lon1 = -180 + 2 * rig.RES * (np.arange(rig.WIDTH // 2) + 0.5)
    lat1 = 90 - 2 * rig.RES * (np.arange(rig.HEIGHT // 2) + 0.5)
    cols = np.flatnonzero((lon1 >= -60) & (lon1 <= 60))
    rows = np.flatnonzero((lat1 >= -30) & (lat1 <= 45))
    np.testing.assert_allclose(cube.lon.values, lon1[cols])
    np.testing.assert_array_equal(
        cube.Soil_Moisture.values, full[:, rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    )


def test_bbox_leaves_out_products_outside_it(smos_store):
    # only the third product reaches east of 101.25 degrees
    cube = smos_store.open_data(SM, time_range=DAYS, bbox=[110, -10, 170, 10])
    assert cube.sizes["time"] == 1
    assert pd.Timestamp(cube.time_bnds.values[0, 0]) == pd.Timestamp(rig.SM_PRODUCTS[2][1])


def test_mldataset_levels(smos_store, sm_cube):
    ml = smos_store.open_data(
        SM, opener_id="mldataset:zarr:smos", time_range=DAYS, l2_product_cache_size=3
    )
    assert ml.num_levels == 5
    level0 = ml.get_dataset(0)
    np.testing.assert_array_equal(level0.Soil_Moisture.values, sm_cube.Soil_Moisture.values)
    level2 = ml.get_dataset(2)
    assert level2.sizes["lon"] == rig.WIDTH // 4
    np.testing.assert_array_equal(
        level2.Soil_Moisture.values, sm_cube.Soil_Moisture.values[:, 2::4, 2::4]
    )
    same = smos_store.open_data(SM, data_type="mldataset", time_range=DAYS)
    assert same.num_levels == 5


def test_ocean_salinity(smos_store):
    cube = smos_store.open_data(OS, time_range=DAYS).compute()
    assert sorted(cube.data_vars) == ["Coast_distance", "SSS_corr", "time_bnds"]
    seqnum = rig.grid_seqnum()
    _, _, _, c0, c1 = rig.OS_PRODUCTS[1]
    row, col = 20, 100
    assert c0 <= col < c1
    assert cube.SSS_corr.values[1, row, col] == pytest.approx(
        rig.sm_value(seqnum[row, col], 1) + 30
    )
    assert np.isnan(cube.SSS_corr.values[0, row, col])  # the first product ends at column 70


def test_cube_pickles_and_computes_elsewhere(smos_store, sm_cube):
    cube = smos_store.open_data(SM, time_range=DAYS)
    copy = pickle.loads(pickle.dumps(cube))
    np.testing.assert_array_equal(copy.Soil_Moisture.values, sm_cube.Soil_Moisture.values)


def test_file_cache_keeps_products(smos_params, tmp_path):
    store = new_data_store("smos", **smos_params, cache_path=str(tmp_path / "cache"))
    store.open_data(SM, time_range=["2023-05-02", "2023-05-02"]).Soil_Moisture.compute()
    assert len([p for p in (tmp_path / "cache").iterdir() if p.stat().st_size > 1000]) == 1


def test_secrets_are_masked(smos_store, smos_params):
    secret = smos_params["source_storage_options"]["secret"]
    assert secret not in repr(smos_store)
    assert "'secret': '***'" in repr(smos_store)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({}, ["time_range"]),
        ({"time_range": DAYS, "res_level": 7}, ["res_level", "7"]),
        ({"time_range": ["2023-05-02", "2023-05-01"]}, ["time_range", "start before the end"]),
        ({"time_range": DAYS, "bbox": [10, 0, -10, 5]}, ["bbox", "west < east"]),
        ({"time_range": DAYS, "bbox": [0.1, 0.1, 0.5, 0.5]}, ["bbox", "no pixel"]),
        ({"time_range": DAYS, "variables": ["x"]}, ["variables"]),
    ],
)
def test_bad_open_params_are_named(smos_store, params, words):
    with pytest.raises(DataStoreParamsError) as info:
        smos_store.open_data(SM, **params)
    for word in words:
        assert word in str(info.value)


def test_no_products_is_an_error_naming_the_service(smos_store):
    with pytest.raises(DataStoreError, match=r"SMOS STAC .* lists no SMOS-L2C-OS products"):
        smos_store.open_data(OS, time_range=["2023-05-05", "2023-05-20"])


def test_grid_path_is_needed_to_open(smos_params):
    params = {k: v for k, v in smos_params.items() if k != "grid_path"}
    with pytest.raises(DataStoreParamsError, match="grid_path"):
        new_data_store("smos", **params).open_data(SM, time_range=DAYS)


def test_unknown_data_id(smos_store):
    with pytest.raises(DataStoreError, match="SMOS-L3.*SMOS-L2C-SM"):
        smos_store.open_data("SMOS-L3", time_range=DAYS)


def test_stac_failures_are_retried_then_explained(smos_params, fake_service):
    items = [rig.stac_item(*p) for p in rig.SM_PRODUCTS[:1]]
    fake_service.json("/stac/items", {"type": "FeatureCollection", "features": items})
    fake_service.fault("/stac/items", status=503, times=1)
    params = dict(smos_params, stac_url=f"{fake_service.url}/stac", num_retries=2)
    cube = new_data_store("smos", **params).open_data(SM, time_range=DAYS)
    assert cube.sizes["time"] == 1
    assert fake_service.count("GET", "/stac/items") == 2
    fake_service.fault("/stac/items", status=500)
    with pytest.raises(DataStoreError, match=r"SMOS STAC failed .* HTTP 500 .*3 attempts"):
        new_data_store("smos", **params).open_data(SM, time_range=DAYS)
