"""``stac-cdse-ardc`` and ``stac-pc-ardc`` against a real STAC API and real object stores.

Items shaped like each provider's (``tests/plugins/ardc_rig.py``) are
served by ``rustac serve``; their COGs lie on moto S3 (CDSE, read with keys
handed to rasterio, never through ``os.environ``) and on Azurite in a
private container readable only with SAS tokens from a fake token
endpoint (Planetary Computer). Two tiles in two UTM zones on two dates:
each cube must mosaic them, reproject them onto one grid and scale them.
"""

from __future__ import annotations

import datetime
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from intake_xstores import new_data_store
from intake_xstores.errors import DataStoreError, DataStoreParamsError
from tests.conftest import run_python
from tests.plugins import ardc_rig as rig
from tests.servers import run_stac_api
from tests.service_kit import FakeService

pytest.importorskip("odc.stac")

OPEN = dict(bbox=rig.BBOX, time_range=["2024-06-01", "2024-06-10"])
CDSE_IDS = ["sentinel-2-l2a", "sentinel-2-l1c", "sentinel-3-syn-2-syn-ntc"]
CDSE_IDS += ["sentinel-3-sl-2-lst-ntc", "sentinel-3-sl-2-lst-nrt"]


# --- rigs -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdse(s3_endpoint, tmp_path_factory):
    """A CDSE-shaped STAC API whose assets are on moto: ``(store params, items)``."""
    import s3fs

    from tests.servers import s3_options

    items, files = rig.cdse_items(tmp_path_factory.mktemp("cdse"))
    fs = s3fs.S3FileSystem(**s3_options(s3_endpoint))
    if not fs.exists("eodata"):
        fs.mkdir("eodata")
    for key, path in files.items():
        fs.put_file(str(path), f"eodata/{key}")
    with run_stac_api([rig.collection("sentinel-2-l2a")], items) as url:
        yield rig.cdse_params(url, s3_endpoint), items


def _sas_service(abfs_endpoint, lifetime: datetime.timedelta) -> FakeService:
    """PC's SAS token endpoint: real read-only container SAS of Azurite's account."""
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    service = FakeService()
    service.lifetime = lifetime

    def token(request, account, container):
        expiry = datetime.datetime.now(datetime.timezone.utc) + service.lifetime
        sas = generate_container_sas(
            account,
            container,
            account_key=abfs_endpoint["account_key"],
            permission=ContainerSasPermissions(read=True),
            expiry=expiry,
        )
        return {"token": sas, "msft:expiry": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}

    service.route("/api/sas/v1/token/<account>/<container>", token)
    return service


@pytest.fixture(scope="module")
def pc(abfs_endpoint, tmp_path_factory):
    """A PC-shaped STAC API, assets in a private Azurite container, a SAS endpoint."""
    from azure.storage.blob import BlobServiceClient

    conn = abfs_endpoint["connection_string"]
    blob_endpoint = conn.split("BlobEndpoint=")[1].rstrip(";")
    endpoint_root = blob_endpoint.rsplit("/", 1)[0]
    folder = tmp_path_factory.mktemp("pc")
    items, files = rig.pc_items(folder, lambda path: f"{blob_endpoint}/{path}")
    landsat, landsat_files = rig.pc_landsat_items(folder, lambda path: f"{blob_endpoint}/{path}")
    client = BlobServiceClient.from_connection_string(conn)
    for key, path in {**files, **landsat_files}.items():
        name, blob = key.split("/", 1)
        container = client.get_container_client(name)
        if not container.exists():
            container.create_container()
        container.upload_blob(blob, path.read_bytes(), overwrite=True)
    collections = [rig.collection("sentinel-2-l2a"), rig.collection("landsat-c2-l2", "Landsat")]
    with (
        _sas_service(abfs_endpoint, datetime.timedelta(hours=1)) as sas,
        run_stac_api(collections, items + landsat) as url,
    ):
        yield (
            {
                "url": url,
                "signer_url": f"{sas.url}/api/sas/v1/token",
                "blob_endpoints": [endpoint_root],
                "num_retries": 2,
                "retry_backoff_base": 0.01,
            },
            items,
            sas,
        )


def _value(ds, band: str, lon: float, lat: float, time_index: int) -> float:
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, ds.odc.crs, always_xy=True).transform(lon, lat)
    xdim, ydim = ds.odc.spatial_dims[::-1]
    at = {xdim: x, ydim: y}
    return float(ds[band].isel(time=time_index).sel(at, method="nearest"))


def _check_cube(ds, bands=("B02", "B04")):
    """Both tiles on both days: the reflectance each pixel must hold, and the SCL flags."""
    assert ds.sizes["time"] == 2
    for day in range(2):
        for tile, (lon, lat) in enumerate(rig.POINTS):
            for band in bands:
                expected = rig.reflectance(band, tile, day)
                assert _value(ds, band, lon, lat, day) == pytest.approx(expected, abs=1e-6)
            assert _value(ds, "SCL", lon, lat, day) == rig.SCL_CLASSES[tile]


# --- CDSE -----------------------------------------------------------------------


def test_cdse_cube_mosaics_two_utm_zones_and_scales_to_reflectance(cdse):
    params, items = cdse
    env_before = dict(os.environ)
    store = new_data_store("stac-cdse-ardc", **params)
    ds = store.open_data(
        "sentinel-2-l2a",
        **OPEN,
        crs="EPSG:32632",
        spatial_res=10,
        asset_names=["B02", "B04", "SCL"],
    )
    assert ds.B04.chunks is not None  # lazy
    assert ds.odc.crs.epsg == 32632 and ds.odc.geobox.resolution.x == 10
    assert ds.B04.dtype == np.float32 and ds.SCL.dtype == np.uint8
    assert ds.SCL.attrs["flag_values"][4] == 4
    assert ds.SCL.attrs["flag_meanings"].split()[8] == "cloud_medium_probability"
    assert params["secret"] not in repr(store)
    ds = pickle.loads(pickle.dumps(ds)).compute()  # the readers' S3 session travels along
    _check_cube(ds)
    # between the two tiles no item has data: NaN reflectance, SCL class 0 (no_data)
    assert np.isnan(_value(ds, "B04", 12.0003, 50.0, 0))
    assert _value(ds, "SCL", 12.0003, 50.0, 0) == 0
    assert dict(os.environ) == env_before  # keys went to rasterio's session only
    day0 = sorted(ds.attrs["stac_item_ids"])[0]
    assert sorted(ds.attrs["stac_item_ids"][day0]) == sorted(i["id"] for i in items[:2])


def test_cdse_spatial_res_picks_the_asset_and_a_geographic_grid(cdse):
    params, _ = cdse
    store = new_data_store("stac-cdse-ardc", **params)
    ds = store.open_data(
        "sentinel-2-l2a", **OPEN, crs="EPSG:4326", spatial_res=0.0002, asset_names=["B02"]
    )
    assert ds.odc.crs.epsg == 4326
    assert ds.odc.geobox.resolution.x == pytest.approx(0.0002)
    # 0.0002 degrees is about 22 m: the B02_20m asset is read (same values as at 10 m)
    assert _value(ds, "B02", *rig.POINTS[1], 1) == pytest.approx(rig.reflectance("B02", 1, 1))


def test_query_filters_items(cdse):
    """rustac's memory backend has neither the filter nor the query extension:
    the store filters the found items itself."""
    params, _ = cdse
    store = new_data_store("stac-cdse-ardc", **params)
    ds = store.open_data(
        "sentinel-2-l2a", **OPEN, asset_names=["B04"], query={"eo:cloud_cover": {"lt": 30}}
    )
    assert ds.sizes["time"] == 1  # day 1 has 50 % clouds


def test_paging_loads_every_item(cdse):
    params, _ = cdse
    store = new_data_store("stac-cdse-ardc", **{**params, "page_size": 1})
    ds = store.open_data("sentinel-2-l2a", **OPEN, asset_names=["B04"])
    assert sum(len(v) for v in ds.attrs["stac_item_ids"].values()) == 4
    assert ds.odc.crs.epsg in rig.ZONES  # crs "utm" (the default): the zone of the bbox's centre


def test_describe_lists_collections_without_pixels(cdse):
    params, _ = cdse
    store = new_data_store("stac-cdse-ardc", **params)
    assert store.list_data_ids() == CDSE_IDS
    d = store.describe_data("sentinel-2-l2a")
    assert d.bbox == (5.0, 45.0, 20.0, 55.0) and d.time_range == ("2015-06-27", None)
    assert {"B04", "SCL"} <= set(d.data_vars) and d.data_vars["SCL"].attrs["flag_meanings"]
    assert (d.data_vars["B04"].dtype, d.data_vars["SCL"].dtype) == ("float32", "uint8")
    assert d.open_params_schema.required == ["bbox", "time_range"]


# --- bad input ------------------------------------------------------------------


def test_unknown_collection_names_the_allowed(cdse):
    store = new_data_store("stac-cdse-ardc", **cdse[0])
    with pytest.raises(DataStoreError, match="'landsat-c2-l2'.*sentinel-2-l2a, sentinel-2-l1c"):
        store.open_data("landsat-c2-l2", **OPEN)
    # supported, but this API has no such collection
    with pytest.raises(DataStoreError, match="has no collection 'sentinel-2-l1c'"):
        store.describe_data("sentinel-2-l1c")


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(OPEN, bbox=[100.0, 0.0, 101.0, 1.0]), "'bbox'.*outside collection"),
        (dict(OPEN, bbox=[12.1, 50.0, 12.0, 50.1]), "'bbox'.*west must be < east"),
        (dict(OPEN, asset_names=["B99"]), "'asset_names'|B99"),
        (dict(OPEN, asset_names=["B08"]), "'asset_names'.*no such assets.*B02, B04, B05, SCL$"),
        (dict(OPEN, spatial_res=-1), "spatial_res"),
        (dict(OPEN, time_range=["2024-06-10", "2024-06-01"]), "'time_range'.*after"),
        (dict(OPEN, query={"eo:cloud_cover": {"like": 3}}), "'query'.*'like'"),
        (dict(bbox=rig.BBOX), "time_range"),
    ],
)
def test_bad_open_params_name_the_parameter(cdse, params, match):
    store = new_data_store("stac-cdse-ardc", **cdse[0])
    with pytest.raises(DataStoreParamsError, match=match):
        store.open_data("sentinel-2-l2a", **params)


def test_time_range_without_items_is_a_clear_error(cdse):
    store = new_data_store("stac-cdse-ardc", **cdse[0])
    with pytest.raises(DataStoreError, match="No items of collection 'sentinel-2-l2a'.*2023-01-01"):
        store.open_data("sentinel-2-l2a", bbox=rig.BBOX, time_range=["2023-01-01", "2023-01-31"])


def _collection_service(answer) -> FakeService:
    """A STAC API whose collection documents are ``answer(request)``."""
    service = FakeService()
    service.route("/collections/<cid>", lambda request, cid: answer(request))
    return service


def test_api_429_is_retried_and_500_named():
    with _collection_service(lambda r: rig.collection("sentinel-2-l2a")) as service:
        service.fault("/collections", status=429, retry_after=0, times=1)
        params = dict(url=service.url, num_retries=1, retry_backoff_base=0.01)
        store = new_data_store("stac-cdse-ardc", **params)
        assert store.describe_data("sentinel-2-l2a").bbox == (5.0, 45.0, 20.0, 55.0)
        assert service.count("GET", "/collections/sentinel-2-l2a") == 2  # retried once
        service.fault("/collections", status=500)
        store = new_data_store("stac-cdse-ardc", **params)
        with pytest.raises(DataStoreError, match=f"STAC API at {service.url} failed.*HTTP 500"):
            store.describe_data("sentinel-2-l2a")
        assert service.count("GET", "/collections/sentinel-2-l2a") == 4


def test_api_answering_invalid_json_is_named():
    from werkzeug.wrappers import Response

    with _collection_service(lambda r: Response("<html>", 200)) as service:
        store = new_data_store("stac-cdse-ardc", url=service.url, num_retries=0)
        with pytest.raises(DataStoreError, match="not STAC JSON|failed reading collection"):
            store.describe_data("sentinel-2-l2a")


@pytest.mark.parametrize("baseline, offset", [("03.01", 0.0), ("04.00", -0.1), ("05.11", -0.1)])
def test_s2_offset_follows_the_processing_baseline(baseline, offset):
    import pystac

    from intake_xstores.plugins.stac_ardc.collections import PC_COLLECTIONS
    from intake_xstores.plugins.stac_ardc.cube import _scaling

    properties = {"s2:processing_baseline": baseline}
    item = pystac.Item.from_dict(rig.item_json(rig.Scene(0, 0), "sentinel-2-l2a", properties, {}))
    assert _scaling(PC_COLLECTIONS["sentinel-2-l2a"], item, "B04") == (1e-4, offset)


def test_query_maps_onto_cql2():
    from intake_xstores.plugins.stac.query import matches_query, query_to_cql2
    from intake_xstores.plugins.stac_ardc.search import stac_query

    query = stac_query({"eo:cloud_cover": {"lt": 20}, "platform": "sentinel-2a"})
    assert query_to_cql2(query) == {
        "op": "and",
        "args": [
            {"op": "<", "args": [{"property": "eo:cloud_cover"}, 20]},
            {"op": "=", "args": [{"property": "platform"}, "sentinel-2a"]},
        ],
    }
    assert matches_query({"eo:cloud_cover": 10, "platform": "sentinel-2a"}, query)
    assert not matches_query({"eo:cloud_cover": 30, "platform": "sentinel-2a"}, query)
    assert not matches_query({"platform": "sentinel-2a"}, query)  # no cloud cover: no match


# --- Planetary Computer -----------------------------------------------------------


def test_pc_cube_signs_blob_hrefs_and_applies_the_baseline_offset(pc):
    params, items, sas = pc
    path = "/api/sas/v1/token/xstoretest/sentinel2-l2"
    before = sas.count("GET", path)
    store = new_data_store("stac-pc-ardc", **params)
    ds = store.open_data(
        "sentinel-2-l2a", **OPEN, crs="EPSG:32633", asset_names=["B02", "B04", "SCL"]
    )
    _check_cube(ds.compute())
    assert ds.SCL.attrs["flag_meanings"].startswith("no_data ")
    # one token for the one container, however many hrefs and chunks
    assert sas.count("GET", path) == before + 1
    # a pickled cube (as dask.distributed sends it) signs with a token of its own
    _check_cube(pickle.loads(pickle.dumps(ds)).compute())
    assert sas.count("GET", path) == before + 2


def test_pc_landsat_scaled_by_its_raster_extension(pc):
    params, _, _ = pc
    store = new_data_store("stac-pc-ardc", **params)
    ds = store.open_data("landsat-c2-l2", **OPEN, crs="EPSG:32632").compute()
    assert set(ds.data_vars) == {"red", "nir08", "qa_pixel"} and ds.sizes["time"] == 1
    assert ds.odc.geobox.resolution.x == 30  # the collection's default spatial_res
    for tile, (lon, lat) in enumerate(rig.POINTS):
        for band in ("red", "nir08"):
            expected = rig.landsat_dn(band, tile, 0) * rig.LANDSAT_SCALE + rig.LANDSAT_OFFSET
            assert _value(ds, band, lon, lat, 0) == pytest.approx(expected, abs=1e-6)
        assert _value(ds, "qa_pixel", lon, lat, 0) == rig.landsat_dn("qa_pixel", tile, 0)
    assert ds.qa_pixel.dtype == np.uint16 and "long_name" in ds.qa_pixel.attrs


def test_pc_chunks_read_after_the_token_expires_use_a_renewed_one(pc):
    params, _, sas = pc
    path = "/api/sas/v1/token/xstoretest/sentinel2-l2"
    store = new_data_store("stac-pc-ardc", **params)
    sas.lifetime = datetime.timedelta(seconds=30)  # within the 60 s margin: expiring at once
    try:
        before = sas.count("GET", path)
        ds = store.open_data("sentinel-2-l2a", **OPEN, crs="EPSG:32633", asset_names=["B04"])
        opened = sas.count("GET", path)
        assert opened == before + 1  # fetched by open_data, so a failing endpoint fails there
        value = _value(ds, "B04", *rig.POINTS[0], 1)
        assert value == pytest.approx(rig.reflectance("B04", 0, 1))
        assert sas.count("GET", path) > opened  # the reads asked for fresh tokens
    finally:
        sas.lifetime = datetime.timedelta(hours=1)


def test_pc_refused_read_logs_no_signature(pc, caplog):
    params, _, sas = pc
    store = new_data_store("stac-pc-ardc", **params)
    sas.lifetime = datetime.timedelta(seconds=-5)  # tokens expired on arrival: Azurite refuses
    try:
        ds = store.open_data("sentinel-2-l2a", **OPEN, asset_names=["B04"])
        with pytest.raises(Exception, match="(?i)403|denied|not authorized|failed"):
            ds.B04.compute()
    finally:
        sas.lifetime = datetime.timedelta(hours=1)
    assert "Failed to load http" in caplog.text  # odc-loader names the asset ...
    assert ".tif?***" in caplog.text and "sig=" not in caplog.text  # ... but not its token


def test_pc_unsigned_blob_is_refused(pc, abfs_endpoint):
    """Without signing, the private container refuses: the SAS token does the work."""
    params, _, _ = pc
    store = new_data_store("stac-pc-ardc", **{**params, "blob_endpoints": []})
    ds = store.open_data("sentinel-2-l2a", **OPEN, asset_names=["B04"])
    with pytest.raises(Exception, match="(?i)403|denied|not authorized|failed"):
        ds.B04.compute()


def test_sas_token_cached_then_renewed_after_expiry(pc):
    from intake_xstores.plugins.stac.sas import SasTokenSigner

    params, _, sas = pc
    endpoint = params["blob_endpoints"][0]
    href = f"{endpoint}/xstoretest/sentinel2-l2/a/b.tif"
    signer = SasTokenSigner(params["signer_url"], blob_endpoints=[endpoint], expiry_margin=0)
    path = "/api/sas/v1/token/xstoretest/sentinel2-l2"
    before = sas.count("GET", path)
    signed = signer.sign_href(href)
    assert signed.startswith(href + "?") and "sig=" in signed
    assert signer.sign_href(href + "?x=1").startswith(href + "?x=1&")
    assert signer.sign_href(signed) == signed  # already signed
    assert signer.sign_href("https://example.com/a.tif") == "https://example.com/a.tif"
    assert sas.count("GET", path) == before + 1  # cached
    sas.lifetime = datetime.timedelta(seconds=-1)  # the next token is expired on arrival
    signer._tokens.clear()
    signer.token("xstoretest", "sentinel2-l2")
    signer.token("xstoretest", "sentinel2-l2")
    assert sas.count("GET", path) == before + 3  # an expired token is renewed each time
    sas.lifetime = datetime.timedelta(hours=1)
    assert "sig=" not in repr(signer) and pickle.loads(pickle.dumps(signer))._tokens == {}


def test_sas_endpoint_errors_are_named(pc):
    from intake_xstores.plugins.stac.sas import SasTokenSigner

    params, _, sas = pc
    href = "https://acct.blob.core.windows.net/box/a.tif"
    signer = SasTokenSigner(params["signer_url"], num_retries=1, retry_backoff_base=0.01)
    sas.fault("/api/sas/v1/token/acct/", status=500)
    try:
        with pytest.raises(DataStoreError, match="SAS token .*container 'box' of account 'acct'"):
            signer.sign_href(href)
    finally:
        sas.clear_faults()
    sas.fault("/api/sas/v1/token/acct/", status=429, retry_after=0, times=1)
    assert "sig=" in signer.sign_href(href)  # retried after 429
    assert signer._tokens  # and cached only once it succeeded
    sas.route("/bad/<account>/<container>", lambda request, **_: {"no": "token"})
    bad = SasTokenSigner(f"{sas.url}/bad", num_retries=0)
    with pytest.raises(DataStoreError, match="without a 'token'"):
        bad.sign_href(href)
    assert bad._tokens == {}


# --- Intake ---------------------------------------------------------------------


def test_intake_entries_are_collections_with_cube_parameters(cdse, tmp_path, monkeypatch):
    import intake

    from intake_xstores.intake.params import store_catalog_yaml

    params, _ = cdse
    # the catalog names the keys' environment variables, never the keys
    monkeypatch.setenv("XSTORES_STAC_CDSE_ARDC_KEY", params["key"])
    monkeypatch.setenv("XSTORES_STAC_CDSE_ARDC_SECRET", params["secret"])
    path = tmp_path / "cat.yaml"
    path.write_text(store_catalog_yaml("stac-cdse-ardc", params, name="cdse"))
    text = path.read_text()
    assert params["secret"] not in text and params["key"] not in text
    cat = intake.open_catalog(str(path)).cdse
    assert list(cat) == CDSE_IDS
    entry = cat["sentinel-2-l2a"]
    names = {p["name"] for p in entry.describe()["user_parameters"]}
    assert {"bbox", "time_range", "spatial_res", "crs", "asset_names", "tile_size"} <= names
    ds = cat["sentinel-2-l2a"](
        bbox=rig.BBOX, time_range=OPEN["time_range"], crs="EPSG:32632", asset_names=["B04", "SCL"]
    ).to_dask()
    _check_cube(ds.compute(), bands=("B04",))


def test_missing_libraries_name_the_extra(monkeypatch):
    store = new_data_store("stac-cdse-ardc", url="http://127.0.0.1:9")
    assert store.list_data_ids()  # listing needs none of them
    monkeypatch.setitem(sys.modules, "odc.stac", None)  # as if not installed
    with pytest.raises(DataStoreError, match=r'pip install "intake_xstores\[stac-ardc\]"'):
        store.open_data("sentinel-2-l2a", **OPEN)


def test_registered_without_importing_their_libraries():
    code = (
        "import sys, intake_xstores\n"
        "ids = intake_xstores.list_data_store_ids()\n"
        "heavy = [m for m in sys.modules if m.startswith(('odc', 'pystac', 'rasterio'))\n"
        "         or m.startswith('intake_xstores.plugins.stac_ardc.')]\n"
        "print(sorted(i for i in ids if i.endswith('-ardc')), heavy)"
    )
    out = run_python(code, check=True).stdout
    assert out.strip() == "['stac-cdse-ardc', 'stac-pc-ardc'] []"


def test_showcase_catalogs_list_them_offline_with_the_real_services():
    import intake

    repo = Path(__file__).resolve().parent.parent
    cat = intake.open_catalog(str(repo / "catalogs" / "stores.yaml"))
    assert list(cat["stac-cdse-ardc"]) == CDSE_IDS
    assert cat["stac-cdse-ardc"].store.params["url"] == "https://stac.dataspace.copernicus.eu/v1"
    pc_store = cat["stac-pc-ardc"].store
    assert pc_store.params["signer_url"].startswith("https://planetarycomputer.microsoft.com/")
    v2 = intake.from_yaml_file(str(repo / "catalogs" / "stores-v2.yaml"))
    assert list(v2["stac-pc-ardc"].read()) == list(cat["stac-pc-ardc"])


# --- more collections: CDSE Sentinel-2 L1C, Planetary Computer HLS ----------------


@pytest.fixture(scope="module")
def cdse_l1c(cdse, s3_endpoint, tmp_path_factory):
    """CDSE's Sentinel-2 L1C: a STAC API of its own, JPEG 2000 files on the same moto."""
    import s3fs

    from tests.servers import s3_options

    items, files = rig.cdse_l1c_items(tmp_path_factory.mktemp("cdse-l1c"))
    fs = s3fs.S3FileSystem(**s3_options(s3_endpoint))
    for key, path in files.items():
        fs.put_file(str(path), f"eodata/{key}")
    collections = [rig.collection("sentinel-2-l1c", "Sentinel-2 Level-1C")]
    with run_stac_api(collections, items) as url:
        yield {**cdse[0], "url": url}


@pytest.fixture(scope="module")
def pc_hls(pc, abfs_endpoint, tmp_path_factory):
    """Planetary Computer's HLS collections: a STAC API of their own, blobs in the private
    container ``hls2`` of the same Azurite, signed by the same SAS endpoint."""
    from azure.storage.blob import BlobServiceClient

    conn = abfs_endpoint["connection_string"]
    blob_endpoint = conn.split("BlobEndpoint=")[1].rstrip(";")
    folder = tmp_path_factory.mktemp("hls")
    items, files = [], {}
    for product in rig.HLS_BANDS:
        found, written = rig.pc_hls_items(folder, lambda p: f"{blob_endpoint}/{p}", product)
        items += found
        files.update(written)
    container = BlobServiceClient.from_connection_string(conn).get_container_client("hls2")
    if not container.exists():
        container.create_container()
    for key, path in files.items():
        container.upload_blob(key.split("/", 1)[1], path.read_bytes(), overwrite=True)
    collections = [rig.collection("hls2-l30", "HLS L30"), rig.collection("hls2-s30", "HLS S30")]
    params, _, sas = pc
    with run_stac_api(collections, items) as url:
        yield {**params, "url": url}, sas


def test_cdse_l1c_scaled_per_item_by_its_baseline_offset(cdse_l1c):
    """L1C assets are one per band at its native resolution (B01 60 m, B02 10 m, B05
    20 m), all resampled onto the 20 m grid; each day keeps its own offset (0 before
    baseline 04.00, -0.1 after) from its items' raster extension."""
    store = new_data_store("stac-cdse-ardc", **cdse_l1c)
    ds = store.open_data("sentinel-2-l1c", **OPEN, crs="EPSG:32633", spatial_res=20)
    assert set(ds.data_vars) == set(rig.L1C_BANDS)  # default: the bands the items have
    assert ds.odc.geobox.resolution.x == 20 and ds.sizes["time"] == 2
    assert all(ds[b].dtype == np.float32 and ds[b].attrs["units"] == "1" for b in ds.data_vars)
    ds = ds.compute()
    for day in range(2):
        for tile, (lon, lat) in enumerate(rig.POINTS):
            for band in rig.L1C_BANDS:
                expected = rig.l1c_reflectance(band, tile, day)
                assert _value(ds, band, lon, lat, day) == pytest.approx(expected, abs=1e-6)
    assert rig.l1c_reflectance("B02", 0, 0) - rig.l1c_reflectance("B02", 0, 1) == pytest.approx(
        0.09  # 100 DN less on day 0, but no -0.1 offset
    )


@pytest.mark.parametrize(
    "collection, spatial_res, bands",
    [("hls2-l30", None, ("B04", "B05")), ("hls2-s30", 10, ("B04", "B8A"))],
)
def test_pc_hls_scaled_to_reflectance_with_fmask_flags(pc_hls, collection, spatial_res, bands):
    """HLS items carry no raster extension: the collection's scale (1e-4) and data types
    (int16, nodata -9999; Fmask uint8) make reflectance and keep Fmask integer bits. At
    10 m the 30 m assets (the only ones) are read, upsampled."""
    params, sas = pc_hls
    path = "/api/sas/v1/token/xstoretest/hls2"
    before = sas.count("GET", path)
    store = new_data_store("stac-pc-ardc", **params)
    res = {} if spatial_res is None else {"spatial_res": spatial_res}
    ds = store.open_data(collection, **OPEN, crs="EPSG:32632", **res)
    assert set(ds.data_vars) == {*bands, "Fmask"} and ds.sizes["time"] == 1
    assert ds.odc.geobox.resolution.x == (spatial_res or 30)  # the collections' default: 30 m
    assert ds.Fmask.dtype == np.uint8 and ds.Fmask.attrs["long_name"].startswith("Quality")
    assert ds[bands[0]].dtype == np.float32
    ds = ds.compute()
    for tile, (lon, lat) in enumerate(rig.POINTS):
        for band in bands:
            expected = rig.hls_dn(band, tile, 0) * 1e-4
            assert _value(ds, band, lon, lat, 0) == pytest.approx(expected, abs=1e-6)
        assert _value(ds, "Fmask", lon, lat, 0) == rig.HLS_FMASK[tile]
    assert sas.count("GET", path) == before + 1  # one token for the hls2 container
