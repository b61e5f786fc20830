"""Sentinel-3 swath collections of ``stac-cdse-ardc`` and ``stac-pc-ardc``.

Synergy and SLSTR LST items shaped like each provider's (tests/plugins/
ardc_rig.py: 40 x 40 pixel swaths located by 2-D latitude/longitude in a
geolocation file, values as scaled integers with a _FillValue) are served
by ``rustac serve``; their NetCDF files lie on moto S3 (CDSE) and in a
private Azurite container behind a SAS token endpoint (Planetary
Computer). Every pixel holds a known field of latitude and longitude, so
each cell of a cube can be checked against the field at the cell's centre.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from intake_xstores import new_data_store
from intake_xstores.errors import DataStoreError, DataStoreParamsError
from tests.plugins import ardc_rig as rig
from tests.servers import run_stac_api

pytest.importorskip("odc.stac")

SYN, LST = rig.SWATH_COLLECTIONS["cdse"]["syn"], rig.SWATH_COLLECTIONS["cdse"]["lst"]
DAY0, BOTH_DAYS = ["2024-06-01", "2024-06-01"], ["2024-06-01", "2024-06-02"]


def _collections(provider: str) -> list[dict]:
    return [rig.collection(c, c) for c in rig.SWATH_COLLECTIONS[provider].values()]


@pytest.fixture(scope="module")
def cdse(s3_endpoint, tmp_path_factory):
    """CDSE-shaped Sentinel-3 items on a STAC API, their files on moto: the store."""
    import s3fs

    from tests.servers import s3_options

    items, files = rig.swath_items(
        "cdse", tmp_path_factory.mktemp("s3-cdse"), lambda key: f"s3://eodata/{key}"
    )
    fs = s3fs.S3FileSystem(**s3_options(s3_endpoint))
    if not fs.exists("eodata"):
        fs.mkdir("eodata")
    for key, path in files.items():
        fs.put_file(str(path), f"eodata/{key}")
    with run_stac_api(_collections("cdse"), items) as url:
        yield new_data_store("stac-cdse-ardc", **rig.cdse_params(url, s3_endpoint))


@pytest.fixture(scope="module")
def pc(abfs_endpoint, tmp_path_factory):
    """PC-shaped Sentinel-3 items, their files in a private Azurite container: ``(store, sas)``."""
    import datetime

    from azure.storage.blob import BlobServiceClient

    from tests.test_plugin_stac_ardc import _sas_service

    conn = abfs_endpoint["connection_string"]
    blob_endpoint = conn.split("BlobEndpoint=")[1].rstrip(";")
    items, files = rig.swath_items(
        "pc", tmp_path_factory.mktemp("s3-pc"), lambda key: f"{blob_endpoint}/sentinel-3/{key}"
    )
    container = BlobServiceClient.from_connection_string(conn).get_container_client("sentinel-3")
    if not container.exists():
        container.create_container()
    for key, path in files.items():
        container.upload_blob(key, path.read_bytes(), overwrite=True)
    with (
        _sas_service(abfs_endpoint, datetime.timedelta(hours=1)) as sas,
        run_stac_api(_collections("pc"), items) as url,
    ):
        store = new_data_store(
            "stac-pc-ardc",
            url=url,
            signer_url=f"{sas.url}/api/sas/v1/token",
            blob_endpoints=[blob_endpoint.rsplit("/", 1)[0]],
            num_retries=1,
            retry_backoff_base=0.01,
        )
        yield store, sas


def _point(p: rig.Pass, row: float, col: float) -> tuple[float, float]:
    """(lon, lat) of pixel [row, col] of swath A's lattice, shifted like pass *p*."""
    dlat, dlon = rig.SYN_STEP if p.kind == "syn" else rig.LST_STEP
    col += p.shift * rig.SWATH
    lat = rig.SWATH_ORIGIN[1] - row * dlat + col * dlat * 0.1
    lon = rig.SWATH_ORIGIN[0] + col * dlon + row * dlon * 0.1
    return lon, lat


def _cell(ds, name: str, lon: float, lat: float, time_index: int = 0) -> tuple[float, float, float]:
    """The value of the cell of *ds* containing (*lon*, *lat*) and that cell's centre (lon, lat)."""
    from pyproj import Transformer

    crs = ds.odc.crs
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    ydim, xdim = ds.odc.spatial_dims
    cell = ds[name].isel(time=time_index).sel({xdim: x, ydim: y}, method="nearest")
    cx, cy = float(cell[xdim]), float(cell[ydim])
    clon, clat = Transformer.from_crs(crs, 4326, always_xy=True).transform(cx, cy)
    return float(cell), clon, clat


def _centres(ds):
    """Longitude and latitude of every cell centre of *ds*, as 2-D arrays."""
    from pyproj import Transformer

    ydim, xdim = ds.odc.spatial_dims
    x, y = np.meshgrid(ds[xdim].values, ds[ydim].values)
    return Transformer.from_crs(ds.odc.crs, 4326, always_xy=True).transform(x, y)


# --- CDSE ------------------------------------------------------------------------


def test_synergy_cells_hold_the_field_at_their_centres_both_days(cdse):
    a = rig.Pass("syn", 0)
    bbox = [*_point(a, 30, 8), *_point(a, 8, 18)]  # inside A, west of B, clear of the mask
    ds = cdse.open_data(SYN, bbox=bbox, time_range=BOTH_DAYS, crs="EPSG:4326", spatial_res=0.004)
    assert set(ds.data_vars) == {"SDR_Oa01", "SDR_Oa17", "SDR_S3N"}  # the assets the items have
    assert ds.SDR_Oa17.chunks is not None and ds.SDR_Oa17.dtype == np.float32  # lazy
    assert ds.SDR_Oa17.attrs["units"] == "1"
    assert ds.odc.crs.epsg == 4326 and ds.odc.geobox.resolution.x == pytest.approx(0.004)
    assert [str(t)[:19] for t in ds.time.values] == ["2024-06-01T10:00:00", "2024-06-02T10:00:00"]
    assert list(ds.attrs["stac_item_ids"].values()) == [[a.name], [rig.Pass("syn", 1).name]]
    ds = ds.compute()
    lon, lat = _centres(ds)
    for day in (0, 1):
        for band in rig.SYN_BANDS:
            expected = rig.syn_value(band, lat, lon, 0.05 * day)
            # a cell is the mean of the pixels in it: within a pixel's change of its centre's value
            np.testing.assert_allclose(ds[f"SDR_{band}"].values[day], expected, atol=0.004)


def test_overlapping_swaths_of_one_day_mosaic_first_valid_wins(cdse):
    a, b = rig.Pass("syn", 0), rig.Pass("syn", 0, shift=0.5, order=1)
    bbox = [*_point(a, 39, -6), *_point(b, 0, 45)]
    ds = cdse.open_data(
        SYN, bbox=bbox, time_range=DAY0, crs="EPSG:4326", spatial_res=0.004, asset_names=["SDR_S3N"]
    )
    assert ds.sizes["time"] == 1 and len(ds.attrs["stac_item_ids"]["2024-06-01T10:00:00"]) == 2
    ds = ds.compute()
    for point, offset in [
        (_point(a, 20, 30), 0.0),  # both swaths: A, the earlier, wins
        (_point(b, 20, 30), 0.1),  # B only
        (_point(a, 20, 10), 0.0),  # A only
    ]:
        value, lon, lat = _cell(ds, "SDR_S3N", *point)
        assert value == pytest.approx(rig.syn_value("S3N", lat, lon, offset), abs=0.004)
    assert np.isnan(_cell(ds, "SDR_S3N", *_point(a, 2, 2))[0])  # masked (fill values) in A
    assert np.isnan(_cell(ds, "SDR_S3N", *_point(a, 20, -4))[0])  # west of both swaths


def test_lst_on_a_utm_grid_coarser_and_finer_than_the_swath(cdse):
    a = rig.Pass("lst", 0)
    bbox = [*_point(a, 32, 6), *_point(a, 6, 16)]  # inside A only
    for res, tol in [(3000, 0.25), (250, 0.12)]:  # 3 pixels per cell; 4 cells per pixel
        ds = cdse.open_data(LST, bbox=bbox, time_range=DAY0, spatial_res=res).compute()
        assert ds.odc.crs.epsg == 32633  # crs "utm" (the default): the zone of the bbox's centre
        assert ds.LST.attrs["units"] == "K"
        lon, lat = _centres(ds)
        # finer than the swath: no holes, each cell the nearest pixel's value
        np.testing.assert_allclose(ds.LST.values[0], rig.lst_value(lat, lon), atol=tol)
        assert np.all(ds.LST_uncertainty.values == pytest.approx(0.5, abs=1e-3))


def test_tiles_read_their_part_of_the_swath_and_join_without_seams(cdse):
    a = rig.Pass("lst", 0)
    bbox = [*_point(a, 34, 8), *_point(a, 8, 16)]
    ds = cdse.open_data(
        LST, bbox=bbox, time_range=DAY0, spatial_res=50, tile_size=256, asset_names=["LST"]
    )
    assert ds.LST.chunks[1:] == ((256, 256, 30), (130,))  # tile_size, 3 x 1 tiles
    assert len(dict(ds.__dask_graph__())) < 60  # one task per tile and item, not per cell
    ds = ds.compute()
    lon, lat = _centres(ds)
    # 400 cells per swath pixel, each the nearest pixel's value, across the tiles' seams
    np.testing.assert_allclose(ds.LST.values[0], rig.lst_value(lat, lon), atol=0.12)


def test_lst_cells_beyond_the_swath_edge_and_masked_pixels_stay_nan(cdse):
    a = rig.Pass("lst", 0)
    west, north = _point(a, 0, 0)
    ds = cdse.open_data(
        LST,
        bbox=[west - 0.1, north - 0.1, west + 0.1, north + 0.05],
        time_range=DAY0,
        crs="EPSG:32633",  # another zone than the bbox's: reprojected
        spatial_res=500,
        asset_names=["LST"],
    ).compute()
    assert ds.odc.crs.epsg == 32633
    assert np.isnan(_cell(ds, "LST", west - 0.05, north + 0.02)[0])  # beyond the swath
    assert np.isnan(_cell(ds, "LST", *_point(a, 2, 2))[0])  # masked
    value, lon, lat = _cell(ds, "LST", *_point(a, 8, 8))
    assert value == pytest.approx(rig.lst_value(lat, lon), abs=0.1)


def test_pickled_cube_reads_with_its_own_s3_session_and_unscaled_values(cdse):
    a = rig.Pass("lst", 0)
    bbox = [*_point(a, 20, 8), *_point(a, 8, 20)]
    ds = cdse.open_data(LST, bbox=bbox, time_range=DAY0, crs="EPSG:4326", spatial_res=0.02)
    ds = pickle.loads(pickle.dumps(ds)).compute()
    value, lon, lat = _cell(ds, "LST", *_point(a, 14, 14))
    assert value == pytest.approx(rig.lst_value(lat, lon), abs=0.25)
    raw = cdse.open_data(
        LST, bbox=bbox, time_range=DAY0, crs="EPSG:4326", spatial_res=0.02, apply_scaling=False
    ).compute()
    dn = _cell(raw, "LST", *_point(a, 14, 14))[0]
    assert dn == pytest.approx((value - 290.0) / 0.002, abs=1)  # the stored integers


def test_describe_and_list_name_the_sentinel3_collections(cdse):
    assert {SYN, LST, "sentinel-3-sl-2-lst-nrt"} <= set(cdse.list_data_ids())
    d = cdse.describe_data(SYN)
    assert len(d.data_vars) == 26 and d.data_vars["SDR_Oa01"].dtype == "float32"
    assert d.spatial_res == 300 and cdse.describe_data(LST).data_vars["LST"].attrs["units"] == "K"
    schema = cdse.get_open_data_params_schema(LST)
    assert schema.properties["asset_names"].items.enum == ["LST", "LST_uncertainty"]


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(asset_names=["B04"]), DataStoreParamsError, "asset_names"),
        (dict(bbox=[14.0, 52.0, 14.5, 52.5]), DataStoreError, f"No items of collection '{SYN}'"),
        (dict(crs="EPSG:99999"), DataStoreParamsError, "'crs'.*EPSG:99999"),
    ],
)
def test_bad_input_is_a_clear_error(cdse, params, error, match):
    a = rig.Pass("syn", 0)
    good = dict(bbox=[*_point(a, 30, 8), *_point(a, 8, 30)], time_range=DAY0, spatial_res=300)
    with pytest.raises(error, match=match):
        cdse.open_data(SYN, **{**good, **params})


def test_an_item_without_its_geolocation_asset_is_named():
    import pystac

    from intake_xstores.plugins.stac_ardc.collections import CDSE_COLLECTIONS
    from intake_xstores.plugins.stac_ardc.swaths import _files

    item = pystac.Item("S3A_X", None, None, rig.S3_START, {})
    item.add_asset("syn_Oa01_reflectance", pystac.Asset("s3://eodata/x.nc"))
    with pytest.raises(DataStoreError, match="'S3A_X'.*has no asset 'geolocation'"):
        _files(item, CDSE_COLLECTIONS[SYN], ["SDR_Oa01"])


# --- Planetary Computer ----------------------------------------------------------


def test_pc_synergy_and_lst_read_through_sas_signed_hrefs(pc):
    store, sas = pc
    path = "/api/sas/v1/token/xstoretest/sentinel-3"
    before = sas.count("GET", path)
    a = rig.Pass("syn", 0)
    bbox = [*_point(a, 30, 8), *_point(a, 8, 30)]
    syn = rig.SWATH_COLLECTIONS["pc"]["syn"]
    ds = store.open_data(syn, bbox=bbox, time_range=BOTH_DAYS, crs="EPSG:4326", spatial_res=0.004)
    assert sas.count("GET", path) == before + 1  # one token, fetched by open_data
    ds = ds.compute()
    lon, lat = _centres(ds)
    expected = rig.syn_value("Oa01", lat, lon, 0.05)
    np.testing.assert_allclose(ds.SDR_Oa01.values[1], expected, atol=0.004)
    lst = rig.SWATH_COLLECTIONS["pc"]["lst"]
    a = rig.Pass("lst", 0)
    ds = store.open_data(
        lst, bbox=[*_point(a, 32, 6), *_point(a, 6, 16)], time_range=DAY0, spatial_res=1000
    ).compute()
    lon, lat = _centres(ds)
    np.testing.assert_allclose(ds.LST.values[0], rig.lst_value(lat, lon), atol=0.15)
