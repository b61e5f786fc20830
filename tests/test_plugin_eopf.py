"""The ``eopf-zarr`` store on loopback: a real STAC API (``rustac serve``) with
EOPF-shaped items, small EOPF-layout Zarr products served over HTTP
(tests/plugins/eopf_rig.py), and a fake STAC API for retries.
"""

from __future__ import annotations

import numpy as np
import pytest

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from tests.plugins import eopf_rig as rig
from tests.servers import run_stac_api
from tests.service_kit import FakeService

EPSG = 32632
X0, Y0, SIZE = 600000.0, 5000000.0, 120  # tile A's corner; 120 pixels of 10 m
L2A, LST = "sentinel-2-l2a", "sentinel-3-slstr-l2-lst"


def _tile(base: int, seed: int) -> np.ndarray:
    """Reflectances in whole 1e-4 steps (exact after EOPF's uint16 scaling)."""
    steps = np.random.default_rng(seed).integers(0, 500, (SIZE, SIZE))
    return (base + steps) * 1e-4


def _lst(lat, lon):
    return 280.0 + lat + 0.5 * lon


@pytest.fixture(scope="module")
def eopf(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eopf-products")
    a, b = _tile(1000, 1), _tile(3000, 2)
    scl = np.arange(60 * 60).reshape(60, 60) % 12
    with FakeService() as service:
        href_a = rig.serve_product(
            rig.s2_product(a, X0, Y0, EPSG, scl=scl), service, folder, "A.zarr"
        )
        href_b = rig.serve_product(
            rig.s2_product(b, X0 + SIZE * 10, Y0, EPSG, scl=scl), service, folder, "B.zarr"
        )
        items = []
        for name, href, x0, day in (
            ("S2A_MSIL2A_20250601T103021_T32TNR_A", href_a, X0, "2025-06-01T10:30:21Z"),
            ("S2A_MSIL2A_20250601T103021_T32TNR_B", href_b, X0 + SIZE * 10, "2025-06-01T10:30:21Z"),
            ("S2B_MSIL2A_20250605T102559_T32TNR_A", href_a, X0, "2025-06-05T10:25:59Z"),
        ):
            bbox = rig.utm_bbox_in_wgs84(EPSG, x0, Y0, SIZE * 10, SIZE * 10)
            items.append(rig.item(name, L2A, href, bbox, day, epsg=EPSG))
        rows, cols = np.mgrid[0:50, 0:40]
        lat = 45.0 + rows * 0.01 + cols * 0.001
        lon = 10.0 + cols * 0.01 - rows * 0.001
        product = rig.s3_product(lat, lon, {"lst": _lst(lat, lon)})
        href = rig.serve_product(product, service, folder, "LST.zarr")
        name = "S3A_SL_2_LST_20250601T095000"
        when = "2025-06-01T09:50:00Z"
        items.append(rig.item(name, LST, href, (9.95, 45.0, 10.4, 45.5), when))
        collections = [
            rig.collection(L2A, (-180, -90, 180, 90), ["2025-01-01T00:00:00Z", None]),
            rig.collection(LST, (-180, -90, 180, 90), ["2025-01-01T00:00:00Z", None]),
        ]
        with run_stac_api(collections, items) as url:
            yield {"params": {"stac_url": url}, "a": a, "b": b, "scl": scl, "service": service}


@pytest.fixture
def store(eopf):
    return new_data_store("eopf-zarr", **eopf["params"])


def test_data_ids_are_the_eopf_collections(store):
    assert store.list_data_ids() == [
        "sentinel-2-l1c",
        "sentinel-2-l2a",
        "sentinel-3-olci-l1-efr",
        "sentinel-3-olci-l2-lfr",
        "sentinel-3-slstr-l1-rbt",
        "sentinel-3-slstr-l2-lst",
    ]
    assert store.has_data(L2A) and not store.has_data("sentinel-1-l1-grd")


def test_describe_data_answers_from_the_stac_collection(store):
    descriptor = store.describe_data(L2A)
    assert descriptor.time_range == ("2025-01-01", None)
    assert descriptor.bbox == (-180.0, -90.0, 180.0, 90.0)
    assert {"b02", "b8a", "scl"} <= set(descriptor.data_vars)
    schema = descriptor.open_params_schema.to_dict()
    assert schema["required"] == ["time_range", "bbox", "spatial_res"]


def test_a_utm_cube_on_the_native_grid_has_the_products_values(store, eopf):
    cube = store.open_data(
        L2A,
        time_range=["2025-06-01", "2025-06-05"],
        bbox=[X0, Y0 - SIZE * 10, X0 + 2 * SIZE * 10, Y0],
        spatial_res=10,
        crs=f"EPSG:{EPSG}",
        variables=["b02", "b04"],
        tile_size=64,
    )
    assert list(cube.data_vars) == ["b02", "b04"]
    assert dict(cube.sizes) == {"time": 2, "y": SIZE, "x": 2 * SIZE}
    assert cube.b02.chunks == ((1, 1), (64, 56), (64, 64, 64, 48))
    assert list(cube.time.dt.strftime("%Y-%m-%d").values) == ["2025-06-01", "2025-06-05"]
    day1, day2 = cube.b02.values
    np.testing.assert_allclose(day1[:, :SIZE], eopf["a"], atol=1e-6)
    np.testing.assert_allclose(day1[:, SIZE:], eopf["b"], atol=1e-6)  # the mosaic
    np.testing.assert_allclose(day2[:, :SIZE], eopf["a"], atol=1e-6)
    assert np.isnan(day2[:, SIZE:]).all()  # no product there that day
    assert "32632" in cube.spatial_ref.attrs["crs_wkt"]


def test_a_20m_cube_reads_the_20m_bands_and_the_scene_classification(store, eopf):
    cube = store.open_data(
        L2A,
        time_range=["2025-06-05", "2025-06-05"],
        bbox=[X0, Y0 - SIZE * 10, X0 + SIZE * 10, Y0],
        spatial_res=20,
        crs=f"EPSG:{EPSG}",
        variables="scl|b05",
    )
    assert sorted(cube.data_vars) == ["b05", "scl"]
    np.testing.assert_array_equal(cube.scl.values[0], eopf["scl"])
    np.testing.assert_allclose(cube.b05.values[0], eopf["a"][::2, ::2], atol=1e-6)


def test_a_geographic_cube_is_a_mosaic_in_lat_lon(store, eopf):
    west, south, east, north = rig.utm_bbox_in_wgs84(EPSG, X0, Y0, 2 * SIZE * 10, SIZE * 10)
    cube = store.open_data(
        L2A,
        time_range=["2025-06-01", "2025-06-01"],
        bbox=[west + 0.002, south + 0.002, east - 0.002, north - 0.002],
        spatial_res=0.0002,
        variables="b0[2-4]",
    )
    assert sorted(cube.data_vars) == ["b02", "b03", "b04"]
    assert cube.b02.dims == ("time", "lat", "lon")
    assert (
        "4326" in cube.spatial_ref.attrs["crs_wkt"] or "WGS 84" in cube.spatial_ref.attrs["crs_wkt"]
    )
    values = cube.b02.values[0]
    west_part, east_part = values[:, : values.shape[1] // 4], values[:, -values.shape[1] // 4 :]
    assert np.nanmin(west_part) >= 0.1 and np.nanmax(west_part) < 0.15  # tile A
    assert np.nanmin(east_part) >= 0.3 and np.nanmax(east_part) < 0.35  # tile B
    assert np.isfinite(values).mean() > 0.9


def test_a_sentinel3_swath_is_rectified(store):
    cube = store.open_data(
        LST,
        time_range=["2025-06-01", "2025-06-01"],
        bbox=[10.05, 45.05, 10.3, 45.4],
        spatial_res=0.02,
    )
    assert list(cube.data_vars) == ["lst"]
    values = cube.lst.values[0]
    lat, lon = np.meshgrid(cube.lat.values, cube.lon.values, indexing="ij")
    assert np.isfinite(values).mean() > 0.9
    assert np.nanmax(np.abs(values - _lst(lat, lon))) < 0.02


def test_no_products_is_an_error_naming_the_search(store):
    with pytest.raises(DataStoreError, match=r"has no 'sentinel-2-l2a' products in bbox"):
        store.open_data(
            L2A, time_range=["2024-01-01", "2024-01-02"], bbox=[0, 0, 1, 1], spatial_res=0.01
        )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"crs": "EPSG:99999"}, "'crs': 'EPSG:99999'.*a CRS pyproj knows"),
        ({"bbox": [11, 45, 10, 46]}, "'bbox'.*west < east"),
        ({"variables": ["b99"]}, r"'variables': \['b99'\].*allowed: b01, b02"),
        ({"spatial_res": 0}, "spatial_res"),
    ],
)
def test_bad_open_params_name_the_parameter(store, params, message):
    params = {
        "time_range": ["2025-06-01", "2025-06-01"],
        "bbox": [10, 45, 11, 46],
        "spatial_res": 0.01,
        **params,
    }
    with pytest.raises(DataStoreParamsError, match=message):
        store.open_data(L2A, **params)


def test_time_range_is_required(store):
    with pytest.raises(DataStoreParamsError, match="time_range"):
        store.open_data(L2A, bbox=[10, 45, 11, 46], spatial_res=0.01)


def test_the_stac_search_is_retried_on_server_errors(fake_service):
    landing = {
        "type": "Catalog",
        "id": "eopf",
        "description": "fake EOPF STAC API",
        "stac_version": "1.0.0",
        "conformsTo": [
            "https://api.stacspec.org/v1.0.0/core",
            "https://api.stacspec.org/v1.0.0/item-search",
        ],
        "links": [
            {"rel": "self", "href": f"{fake_service.url}/"},
            {"rel": "root", "href": f"{fake_service.url}/"},
            {
                "rel": "search",
                "type": "application/geo+json",
                "href": f"{fake_service.url}/search",
                "method": "POST",
            },
        ],
    }
    fake_service.json("/", landing)
    fake_service.route(
        "/search",
        lambda request: {"type": "FeatureCollection", "features": [], "links": []},
        methods=("GET", "POST"),
    )
    fake_service.fault("/search", status=503, times=2)
    store = new_data_store("eopf-zarr", stac_url=fake_service.url, retry_backoff_base=0.01)
    with pytest.raises(DataStoreError, match="has no 'sentinel-2-l2a' products"):
        store.open_data(
            L2A, time_range=["2025-06-01", "2025-06-01"], bbox=[10, 45, 11, 46], spatial_res=0.1
        )
    assert [r.status for r in fake_service.requests if r.path == "/search"] == [503, 503, 200]


def test_the_showcase_catalogs_have_it_with_the_real_service():
    import intake

    cat = intake.open_catalog("catalogs/stores.yaml")
    assert cat["eopf-zarr"].store.params["stac_url"] == "https://stac.core.eopf.eodc.eu"
    v2 = intake.from_yaml_file("catalogs/stores-v2.yaml")
    assert v2["eopf-zarr"].read().store.params["stac_url"] == ("https://stac.core.eopf.eodc.eu")


def test_product_credentials_are_masked():
    store = new_data_store(
        "eopf-zarr", storage_options={"key": "AKIAEXAMPLE", "secret": "s3cr3t-value-42"}
    )
    assert "s3cr3t-value-42" not in repr(store) and "AKIAEXAMPLE" not in repr(store)
