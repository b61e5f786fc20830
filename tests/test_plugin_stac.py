"""The STAC item stores against real servers on loopback.

- ``stac``: a STAC API (``rustac serve``) of two collections, one with more
  items than a page, whose assets are COGs (with overviews), Zarr and NetCDF
  on moto S3, on the loopback HTTPS server and on Azurite; and a static
  catalog of the same kind of items served over HTTPS.
- faults (429 with Retry-After, 500, invalid JSON) from a fake STAC API on
  the service kit, and the ``query`` → CQL2 ``filter`` mapping it records;
- ``stac-xcube``: a fake xcube server's STAC answering its JSON shape, the
  cube served from moto;
- ``stac-cdse``: rustac with CDSE-shaped items, assets on moto's ``eodata``;
- Intake and the CLI on the ``stac`` store.
"""

from __future__ import annotations

import datetime
import json
import os
import pickle
import uuid

import numpy as np
import pytest
import xarray as xr

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from intake_xstores.mldataset import MultiLevelDataset
from tests.conftest import run_python
from tests.plugins import stac_rig as rig
from tests.servers import run_https, run_stac_api, s3_options

NUM_S2 = 23  # items of collection "s2": more than a page of PAGE_SIZE
PAGE_SIZE = 10


def s2_items(bucket: str) -> list[dict]:
    return [
        rig.item(
            "s2",
            f"s2-{i:03d}",
            {
                "B04": rig.cog_asset(f"s3://{bucket}/B04.tif", scaled=True),
                "B08": rig.cog_asset(f"s3://{bucket}/B08.tif"),
                "thumbnail": rig.thumbnail_asset(f"s3://{bucket}/thumb.png"),
            },
            datetime=f"2023-06-{1 + i % 28:02d}T10:00:00Z",
            bbox=(9.0 + i % 5, 50.0, 10.0 + i % 5, 51.0),
            **{"eo:cloud_cover": i * 4, "platform": "sentinel-2a" if i % 2 else "sentinel-2b"},
        )
        for i in range(NUM_S2)
    ]


@pytest.fixture(scope="module")
def world(tmp_path_factory, s3_endpoint, abfs_endpoint):
    """Assets on moto, Azurite and HTTPS; a rustac API and a static catalog of items."""
    import adlfs
    import s3fs

    folder = tmp_path_factory.mktemp("stac-assets")
    values = rig.write_assets(folder / "assets")
    bucket = f"stac-{uuid.uuid4().hex[:12]}"
    s3 = s3_options(s3_endpoint)
    fs = s3fs.S3FileSystem(**s3)
    fs.mkdir(bucket)
    fs.put(str(folder / "assets") + "/", f"{bucket}/", recursive=True)
    container = f"stac-{uuid.uuid4().hex[:12]}"
    abfs = {"connection_string": abfs_endpoint["connection_string"]}
    azure = adlfs.AzureBlobFileSystem(**abfs)
    azure.mkdir(container)
    azure.put(str(folder / "assets" / "B04.tif"), f"{container}/B04.tif")
    with run_https(folder) as https:
        web = f"{https['url']}/assets"
        cubes = [
            rig.item(
                "cubes",
                "zarr-s3",
                {"cube": rig.cube_asset(f"s3://{bucket}/cube.zarr", rig.ZARR_TYPE)},
            ),
            rig.item(
                "cubes", "nc-https", {"cube": rig.cube_asset(f"{web}/cube.nc", rig.NETCDF_TYPE)}
            ),
            rig.item("cubes", "cog-abfs", {"B04": rig.cog_asset(f"abfs://{container}/B04.tif")}),
            rig.item("cubes", "cog-https", {"B08": rig.cog_asset(f"{web}/B08.tif")}),
            rig.item("cubes", "gone", {"B04": rig.cog_asset(f"s3://{bucket}/no-such.tif")}),
            rig.item(
                "cubes",
                "two-grids",
                {
                    "B04": rig.cog_asset(f"s3://{bucket}/B04.tif"),
                    "B8A": rig.cog_asset(f"s3://{bucket}/B8A.tif"),
                },
            ),
        ]
        static_items = [
            rig.item(
                "static",
                f"st-{i}",
                {"B08": rig.cog_asset("../../../assets/B08.tif")},
                datetime=f"2023-07-0{i + 1}T00:00:00Z",
                **{"eo:cloud_cover": 10 * i},
            )
            for i in range(5)
        ]
        static_url = rig.write_static_catalog(
            folder / "static", f"{https['url']}/static", static_items, "static"
        )
        collections = [rig.collection("s2"), rig.collection("cubes")]
        with run_stac_api(collections, s2_items(bucket) + cubes) as api_url:
            yield dict(
                api_url=api_url,
                static_url=static_url,
                values=values,
                storage_options={
                    "s3": s3,
                    "abfs": abfs,
                    "https": {"ssl": https["ssl_context"]},
                },
                s3=s3,
                bucket=bucket,
                assets=folder / "assets",
                https=https,
            )


@pytest.fixture
def stac(world):
    return new_data_store(
        "stac", url=world["api_url"], page_size=PAGE_SIZE, storage_options=world["storage_options"]
    )


@pytest.fixture
def static(world):
    return new_data_store("stac", url=world["static_url"], storage_options=world["storage_options"])


S2_001 = "collections/s2/items/s2-001"


# --- registration and parameters ------------------------------------------------


def test_registered_through_one_entry_point():
    from importlib.metadata import entry_points

    from intake_xstores import list_data_store_ids

    assert {"stac", "stac-xcube", "stac-cdse", "stac-pc"} <= set(list_data_store_ids())
    [ep] = [e for e in entry_points(group="intake_xstores.plugins") if e.name == "stac"]
    assert ep.value == "intake_xstores.plugins.stac:init_plugin"


def test_url_is_required_and_checked():
    with pytest.raises(DataStoreParamsError, match="url"):
        new_data_store("stac")
    with pytest.raises(DataStoreParamsError, match="'ftp://x'"):
        new_data_store("stac", url="ftp://x")


def test_secrets_are_masked_and_the_store_pickles(world, stac):
    secret = world["s3"]["secret"]
    assert secret not in repr(stac)
    assert world["storage_options"]["abfs"]["connection_string"] not in repr(stac)
    picklable = new_data_store("stac", url=world["api_url"], storage_options={"s3": world["s3"]})
    clone = pickle.loads(pickle.dumps(picklable))
    assert clone.describe_data(S2_001).bbox == stac.describe_data(S2_001).bbox
    assert secret not in repr(clone)


# --- listing, describing, searching: a STAC API -------------------------------------


def test_lists_every_item_across_pages(stac):
    ids = stac.list_data_ids()
    s2 = [i for i in ids if i.startswith("collections/s2/")]
    assert len(s2) == NUM_S2 > PAGE_SIZE
    assert f"collections/s2/items/s2-{NUM_S2 - 1:03d}" in s2
    assert "collections/cubes/items/zarr-s3" in ids
    assert stac.has_data(S2_001)
    assert not stac.has_data("collections/s2/items/nope")
    assert not stac.has_data("collections/nope/items/s2-001")


def test_listing_is_lazy(world, stac):
    """The first data IDs arrive before the last page is asked for."""
    first = next(iter(stac.get_data_ids()))
    assert first.startswith("collections/")


def test_describe_from_metadata_without_reading_assets(stac):
    # the asset of "gone" does not exist: describing must not need it
    d = stac.describe_data("collections/cubes/items/gone")
    assert d.bbox == (9.0, 50.0, 10.0, 51.0)
    d = stac.describe_data(S2_001)
    assert d.crs == "EPSG:32632"
    assert d.time_range == ("2023-06-02", "2023-06-02")
    assert d.spatial_res == 10.0
    assert set(d.data_vars) == {"B04", "B08"}  # the thumbnail holds no data
    assert d.data_vars["B04"].dtype == "uint16"
    assert d.data_vars["B04"].attrs["scale"] == rig.B04_SCALE
    assert d.dims == {"y": rig.COG_SIZE, "x": rig.COG_SIZE}
    assert d.attrs["eo:cloud_cover"] == 4
    zarr = stac.describe_data("collections/cubes/items/zarr-s3")
    assert zarr.data_vars["chl"].dims == ("time", "lat", "lon")


def test_describe_as_mldataset_counts_the_overviews(stac):
    d = stac.describe_data(S2_001, data_type="mldataset")
    assert d.data_type.alias == "mldataset" and d.num_levels == 3
    with pytest.raises(DataStoreParamsError, match="'mldataset'.*'dataset'"):
        stac.describe_data("collections/cubes/items/zarr-s3", data_type="mldataset")


def test_unknown_collection_and_item_are_named(stac):
    with pytest.raises(DataStoreError, match=r"no collection 'nope'.*'s2'"):
        stac.describe_data("collections/nope/items/s2-001")
    with pytest.raises(DataStoreError, match=r"collection 's2' has no item 'nope'"):
        stac.open_data("collections/s2/items/nope")
    with pytest.raises(DataStoreError, match=r"collections/\{collection\}/items/\{item\}"):
        stac.describe_data("s2-001")


def ids(descriptors) -> list[str]:
    return [d.data_id.rsplit("/", 1)[1] for d in descriptors]


def test_search_by_collection_bbox_and_time(stac):
    found = ids(
        stac.search_data(
            collections=["s2"],
            bbox=[13.5, 50.2, 14.5, 50.8],  # only the items shifted by 4 degrees
            time_range=["2023-06-01", "2023-06-15"],
        )
    )
    expected = [f"s2-{i:03d}" for i in range(NUM_S2) if i % 5 == 4 and 1 + i % 28 <= 15]
    assert found == expected and found


def test_search_query_is_filtered_when_the_server_cannot(stac):
    """rustac conforms to neither the query nor the filter extension: the store
    filters the items itself, across pages."""
    found = ids(
        stac.search_data(
            collections=["s2"],
            query={"eo:cloud_cover": {"gte": 60}, "platform": {"eq": "sentinel-2a"}},
        )
    )
    assert found == [f"s2-{i:03d}" for i in range(NUM_S2) if i * 4 >= 60 and i % 2]
    assert len(list(stac.search_data(collections=["s2"], max_items=3))) == 3


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(collections=["nope"]), r"'collections': 'nope'.*allowed: 'cubes', 's2'"),
        (dict(collections=["s2"], bbox=[100, -80, 110, -70]), r"'bbox'.*outside.*\['s2'\]"),
        (dict(query={"eo:cloud_cover": {"less": 3}}), r"'query'.*unknown operator 'less'"),
        (dict(query={"eo:cloud_cover": 3}), r"'query'.*object of comparisons"),
        (dict(time_range=["yesterday", None]), r"time_range"),
    ],
)
def test_bad_search_params_are_named(stac, params, message):
    with pytest.raises(DataStoreParamsError, match=message):
        list(stac.search_data(**params))


# --- opening ------------------------------------------------------------------------


def test_open_merges_the_data_assets_lazily(world, stac):
    ds = stac.open_data(S2_001)
    assert set(ds.data_vars) == {"B04", "B08"}
    assert ds.B04.chunks is not None  # lazy
    np.testing.assert_array_equal(ds.B08.values[8:, 8:], world["values"]["B08.tif"][8:, 8:])
    assert np.isnan(ds.B08.values[0, 0])  # the file's nodata
    assert ds.attrs["stac_item_id"] == "s2-001" and ds.attrs["eo:cloud_cover"] == 4


def test_apply_scaling_uses_raster_bands(world, stac):
    ds = stac.open_data(S2_001, asset_names=["B04"], apply_scaling=True)
    assert list(ds.data_vars) == ["B04"]
    raw = world["values"]["B04.tif"].astype("float64")
    expected = raw[100, 50] * rig.B04_SCALE + rig.B04_OFFSET
    assert float(ds.B04[100, 50]) == pytest.approx(expected, rel=1e-6)
    unscaled = stac.open_data(S2_001, asset_names=["B04"])
    assert float(unscaled.B04[100, 50]) == raw[100, 50]


def test_unknown_asset_is_named_with_the_allowed(stac):
    with pytest.raises(DataStoreParamsError, match=r"'asset_names.*'B99'.*'B04', 'B08'"):
        stac.open_data(S2_001, asset_names=["B99"])
    with pytest.raises(DataStoreParamsError, match="thumbnail"):
        stac.open_data(S2_001, asset_names=["thumbnail"])


def test_mldataset_from_cog_overviews(world, stac):
    ml = stac.open_data(S2_001, data_type="mldataset")
    assert isinstance(ml, MultiLevelDataset) and ml.num_levels == 3
    level1 = ml.get_dataset(1)
    assert set(level1.data_vars) == {"B04", "B08"}
    assert dict(level1.sizes) == {"y": 128, "x": 128}
    assert stac.get_data_opener_ids(S2_001, "mldataset") == ("mldataset:geotiff:s3",)


@pytest.mark.parametrize(
    "item, opener",
    [
        ("zarr-s3", "dataset:zarr:s3"),
        ("nc-https", "dataset:netcdf:https"),
    ],
)
def test_cubes_open_through_our_openers(world, stac, item, opener):
    data_id = f"collections/cubes/items/{item}"
    assert stac.get_data_opener_ids(data_id) == (opener,)
    ds = stac.open_data(data_id)
    xr.testing.assert_allclose(ds.chl.compute(), world["values"]["cube"].chl)


@pytest.mark.parametrize("item, band", [("cog-abfs", "B04"), ("cog-https", "B08")])
def test_cogs_on_azure_and_https(world, stac, item, band):
    ds = stac.open_data(f"collections/cubes/items/{item}")
    np.testing.assert_array_equal(ds[band].values[8:, 8:], world["values"][f"{band}.tif"][8:, 8:])


def test_missing_asset_and_other_grids_are_explained(stac):
    with pytest.raises(DataStoreError, match=r"asset 'B04' of 'collections/cubes/items/gone'"):
        stac.open_data("collections/cubes/items/gone")
    with pytest.raises(DataStoreError, match=r"do not lie on one grid.*asset_names"):
        stac.open_data("collections/cubes/items/two-grids")
    ds = stac.open_data("collections/cubes/items/two-grids", asset_names=["B8A"])
    assert dict(ds.sizes) == {"y": rig.COG_SIZE // 2, "x": rig.COG_SIZE // 2}


# --- a static catalog -------------------------------------------------------------------


def test_static_catalog_lists_item_files(static):
    assert static.list_data_ids() == [f"static/items/st-{i}.json" for i in range(5)]
    d = static.describe_data("static/items/st-2.json")
    assert d.time_range == ("2023-07-03", "2023-07-03")


def test_static_catalog_search_walks(static):
    found = ids(
        static.search_data(
            collections=["static"],
            time_range=["2023-07-02", "2023-07-04"],
            query={"eo:cloud_cover": {"lt": 30}},
        )
    )
    assert found == ["st-1.json", "st-2.json"]


def test_static_catalog_opens_relative_hrefs(world, static):
    ds = static.open_data("static/items/st-0.json")
    np.testing.assert_array_equal(ds.B08.values[8:, 8:], world["values"]["B08.tif"][8:, 8:])


@pytest.mark.parametrize("data_id", ["../secret.json", "/etc/passwd", "static/items/none.json"])
def test_static_catalog_refuses_what_is_not_an_item(static, data_id):
    assert not static.has_data(data_id)
    with pytest.raises(DataStoreError, match="is not in the STAC catalog"):
        static.describe_data(data_id)


# --- faults of an API -------------------------------------------------------------------


LANDING = {
    "type": "Catalog",
    "id": "fake",
    "description": "A fake STAC API",
    "stac_version": "1.0.0",
    "conformsTo": [
        "https://api.stacspec.org/v1.0.0/core",
        "https://api.stacspec.org/v1.0.0/item-search",
        "https://api.stacspec.org/v1.0.0/collections",
        "https://api.stacspec.org/v1.0.0-rc.2/item-search#filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    ],
    "links": [],
}


@pytest.fixture
def fake_api(fake_service):
    url = fake_service.url
    landing = dict(
        LANDING,
        links=[
            {"rel": "self", "href": f"{url}/"},
            {"rel": "root", "href": f"{url}/"},
            {"rel": "search", "href": f"{url}/search", "method": "POST"},
            {"rel": "data", "href": f"{url}/collections"},
        ],
    )
    fake_service.json("/", landing)
    fake_service.json("/collections", {"collections": [rig.collection("c")], "links": []})
    fake_service.json("/collections/c/items/a", rig.item("c", "a", {}))
    return fake_service


def fake_store(service, **params):
    return new_data_store("stac", url=service.url, retry_backoff_base=0.01, **params)


def test_429_is_retried_after_retry_after(fake_api):
    fake_api.fault("/collections/c/items/a", status=429, retry_after=1, times=1)
    store = fake_store(fake_api)
    assert store.describe_data("collections/c/items/a").attrs["stac_item_id"] == "a"
    assert fake_api.count("GET", "/collections/c/items/a") == 2


def test_500_is_retried_then_explained(fake_api):
    fake_api.fault("/collections/c/items/a", status=500)
    store = fake_store(fake_api, num_retries=1)
    with pytest.raises(DataStoreError, match=r"failed to deliver.*item 'collections/c/items/a'"):
        store.describe_data("collections/c/items/a")
    assert fake_api.count("GET", "/collections/c/items/a") == 2


def test_invalid_json_is_explained(fake_api):
    from werkzeug.wrappers import Response

    fake_api.route("/collections/c/items/bad", lambda request: Response("<html>oops", 200))
    with pytest.raises(DataStoreError, match="not STAC JSON"):
        fake_store(fake_api).describe_data("collections/c/items/bad")


def test_not_a_catalog_is_explained(fake_service):
    fake_service.json("/", {"hello": "world"})
    with pytest.raises(DataStoreError, match="no STAC catalog.*check 'url'"):
        fake_store(fake_service).list_data_ids()


def test_query_becomes_a_cql2_filter_where_the_server_conforms(fake_api):
    bodies = []

    def search(request):
        bodies.append(request.get_json())
        return {"type": "FeatureCollection", "features": [rig.item("c", "a", {})], "links": []}

    fake_api.route("/search", search, methods=("POST",))
    found = list(fake_store(fake_api).search_data(query={"eo:cloud_cover": {"lt": 10, "gte": 2}}))
    assert [d.data_id for d in found] == ["collections/c/items/a"]
    assert bodies[0]["filter"] == {
        "op": "and",
        "args": [
            {"op": "<", "args": [{"property": "eo:cloud_cover"}, 10]},
            {"op": ">=", "args": [{"property": "eo:cloud_cover"}, 2]},
        ],
    }
    assert bodies[0]["filter-lang"] == "cql2-json" and "query" not in bodies[0]


# --- stac-xcube ---------------------------------------------------------------------------


@pytest.fixture
def xcube_server(fake_service, s3_endpoint, cube):
    """A fake xcube server: its STAC (no item search) and, on moto, the cube it describes."""
    import s3fs

    bucket = f"xcube-{uuid.uuid4().hex[:12]}"
    s3 = s3_options(s3_endpoint)
    s3fs.S3FileSystem(**s3).mkdir(bucket)
    store = new_data_store("s3", root=bucket, storage_options=s3)
    store.write_data(cube, "demo.zarr")
    store.write_data(cube, "demo.levels", num_levels=2)
    url = f"{fake_service.url}/ogc"
    described = {"root": bucket, "storage_options": {"anon": False, **s3}}

    def asset(name, data_id):
        return {
            "href": f"{fake_service.url}/s3/{bucket}/{data_id}",
            "title": name,
            "roles": ["analytic"],
            "xcube:data_store_id": "s3",
            "xcube:data_store_params": described,
            "xcube:open_data_params": {"data_id": data_id},
        }

    item = rig.item(
        "datacubes",
        "demo",
        {
            "analytic": asset("analytic", "demo.zarr"),
            "analytic_multires": asset("analytic_multires", "demo.levels"),
        },
    )
    item["properties"]["cube:variables"] = {
        "chl": {"type": "data", "dimensions": ["time", "lat", "lon"], "data_type": "float32"}
    }
    coll = dict(
        rig.collection("datacubes"),
        links=[{"rel": "item", "href": f"{url}/collections/datacubes/items/demo"}],
    )
    root = {
        "type": "Catalog",
        "id": "xcube-server",
        "stac_version": "1.0.0",
        "description": "xcube server",
        "conformsTo": ["https://api.stacspec.org/v1.0.0/core"],
        "links": [{"rel": "child", "href": f"{url}/collections/datacubes"}],
    }
    fake_service.json("/ogc", root)
    fake_service.json("/ogc/collections/datacubes", coll)
    fake_service.json("/ogc/collections/datacubes/items/demo", item)
    return url


def test_stac_xcube_opens_through_the_described_store(xcube_server, cube):
    store = new_data_store("stac-xcube", url=xcube_server)
    data_id = "collections/datacubes/items/demo"
    assert store.list_data_ids() == [data_id]
    assert store.get_data_types_for_data(data_id) == ("dataset", "mldataset")
    assert "chl" in store.describe_data(data_id).data_vars
    ds = store.open_data(data_id)
    xr.testing.assert_allclose(ds.chl.compute(), cube.chl)
    ml = store.open_data(data_id, data_type="mldataset")
    assert isinstance(ml, MultiLevelDataset) and ml.num_levels == 2


def test_stac_xcube_item_without_a_store_is_explained(fake_service):
    url = f"{fake_service.url}/ogc"
    fake_service.json(
        "/ogc",
        {
            "type": "Catalog",
            "id": "x",
            "stac_version": "1.0.0",
            "description": "x",
            "links": [{"rel": "item", "href": f"{url}/items/plain.json"}],
        },
    )
    fake_service.json("/ogc/items/plain.json", rig.item("c", "plain", {}))
    with pytest.raises(DataStoreError, match="no 'analytic' asset naming an xcube data store"):
        new_data_store("stac-xcube", url=url).open_data("items/plain.json")


# --- stac-cdse ---------------------------------------------------------------------------


def cdse_item(iid: str, href: str) -> dict:
    """Shaped like CDSE's Sentinel-2 L2A items: band assets named ``B08_10m`` with an
    https href and the ``eodata`` S3 href as alternate."""
    asset = rig.cog_asset(f"https://download.example/{iid}/B08_10m.tif")
    asset["alternate"] = {"s3": {"href": href}}
    return rig.item(
        "sentinel-2-l2a",
        iid,
        {"B08_10m": asset},
        **{"eo:cloud_cover": 5, "grid:code": "MGRS-32UNE"},
    )


@pytest.fixture
def cdse(world, s3_endpoint, stac_api, monkeypatch):
    import s3fs

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    fs = s3fs.S3FileSystem(**world["s3"])
    if not fs.exists("eodata"):
        fs.mkdir("eodata")
    fs.copy(f"{world['bucket']}/B08.tif", "eodata/Sentinel-2/MSI/L2A/B08_10m.tif")
    items = [
        cdse_item(f"S2B_MSIL2A_{i}", "s3://eodata/Sentinel-2/MSI/L2A/B08_10m.tif") for i in range(3)
    ]
    url = stac_api([rig.collection("sentinel-2-l2a")], items)
    return new_data_store(
        "stac-cdse",
        url=url,
        key=s3_endpoint["key"],
        secret=s3_endpoint["secret"],
        s3_endpoint_url=s3_endpoint["endpoint_url"],
        s3_region_name="eu-west-1",
    )


def test_stac_cdse_refuses_listing_and_points_to_search(cdse):
    with pytest.raises(DataStoreError, match=r"too many to list.*search_data"):
        cdse.list_data_ids()
    found = [d.data_id for d in cdse.search_data(collections=["sentinel-2-l2a"])]
    assert found == [f"collections/sentinel-2-l2a/items/S2B_MSIL2A_{i}" for i in range(3)]


def test_stac_cdse_reads_assets_with_its_keys_never_from_the_environment(world, cdse, s3_endpoint):
    ds = cdse.open_data("collections/sentinel-2-l2a/items/S2B_MSIL2A_1")
    data_id = "collections/sentinel-2-l2a/items/S2B_MSIL2A_1"
    assert cdse.get_data_opener_ids(data_id, "dataset") == ("dataset:geotiff:s3",)
    np.testing.assert_array_equal(ds.B08_10m.values[8:, 8:], world["values"]["B08.tif"][8:, 8:])
    assert "AWS_SECRET_ACCESS_KEY" not in os.environ
    assert s3_endpoint["secret"] not in repr(cdse)


def test_provider_stores_default_to_the_real_services():
    from intake_xstores import get_data_store_params_schema

    cdse = get_data_store_params_schema("stac-cdse").to_dict()["properties"]
    assert cdse["url"]["default"] == "https://stac.dataspace.copernicus.eu/v1"
    assert cdse["secret"]["writeOnly"] is True
    pc = get_data_store_params_schema("stac-pc").to_dict()["properties"]
    assert pc["url"]["default"] == "https://planetarycomputer.microsoft.com/api/stac/v1"
    assert pc["sas_url"]["default"].startswith("https://planetarycomputer.microsoft.com/")


# --- Intake and the CLI ---------------------------------------------------------------------


def test_intake_catalog_of_items(world, stac):
    import intake

    cat = intake.open_xstore(
        "stac", url=world["api_url"], page_size=PAGE_SIZE, storage_options=world["storage_options"]
    )
    assert S2_001 in list(cat)
    ds = cat[S2_001](asset_names=["B08"]).to_dask()
    assert list(ds.data_vars) == ["B08"]
    found = cat.search(collections=["s2"], query={"eo:cloud_cover": {"lt": 8}})
    assert sorted(found) == ["collections/s2/items/s2-000", "collections/s2/items/s2-001"]


def test_cli_lists_the_items_page_by_page(world, capsys):
    from intake_xstores.cli import main

    main(["list", "stac", "--param", f"url={world['api_url']}", "--param", "page_size=5"])
    out = capsys.readouterr().out.split()
    assert len([i for i in out if i.startswith("collections/s2/items/")]) == NUM_S2
    assert "collections/cubes/items/nc-https" in out


# --- stac-pc ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pc(world, abfs_endpoint):
    """A PC-shaped API whose asset is a blob of a private Azurite container, readable
    only with a SAS token of the loopback token endpoint."""
    from azure.storage.blob import BlobServiceClient

    from tests.test_plugin_stac_ardc import _sas_service

    conn = abfs_endpoint["connection_string"]
    blob_endpoint = conn.split("BlobEndpoint=")[1].rstrip(";")
    container = f"pc-{uuid.uuid4().hex[:12]}"
    client = BlobServiceClient.from_connection_string(conn).get_container_client(container)
    client.create_container()
    client.upload_blob("B08.tif", (world["assets"] / "B08.tif").read_bytes())
    href = f"{blob_endpoint}/{container}/B08.tif"
    items = [
        rig.item("landsat-c2-l2", f"LC09_{i}", {"nir08": rig.cog_asset(href)}) for i in range(2)
    ]
    with (
        _sas_service(abfs_endpoint, datetime.timedelta(hours=1)) as sas,
        run_stac_api([rig.collection("landsat-c2-l2")], items) as url,
    ):
        store = new_data_store(
            "stac-pc",
            url=url,
            sas_url=f"{sas.url}/api/sas/v1/token",
            blob_endpoints=[blob_endpoint.rsplit("/", 1)[0]],
        )
        yield store, sas, container, href


def test_stac_pc_signs_blob_hrefs_with_cached_tokens(world, pc):
    store, sas, container, href = pc
    with pytest.raises(DataStoreError, match=r"too many to list.*search_data"):
        store.list_data_ids()
    found = [d.data_id for d in store.search_data(collections=["landsat-c2-l2"])]
    assert found == [f"collections/landsat-c2-l2/items/LC09_{i}" for i in range(2)]
    for data_id in found:
        ds = store.open_data(data_id)
        values = world["values"]["B08.tif"]
        np.testing.assert_array_equal(ds.nir08.values[8:, 8:], values[8:, 8:])
    assert sas.count("GET", f"/api/sas/v1/token/xstoretest/{container}") == 1  # cached
    assert "sig=" not in repr(store) and "sig=" not in json.dumps(ds.attrs)


def test_showcase_catalogs_take_the_url_from_the_environment(world, monkeypatch):
    import intake

    from tests.servers import REPO

    monkeypatch.setenv("XSTORES_STAC_URL", world["api_url"])
    v1 = intake.open_catalog(str(REPO / "catalogs" / "stores.yaml"))
    assert {"stac", "stac-xcube", "stac-cdse", "stac-pc"} <= set(v1)
    assert S2_001 in list(v1.stac)
    v2 = intake.from_yaml_file(str(REPO / "catalogs" / "stores-v2.yaml"))
    items = v2.stac.read()
    assert items.entries[S2_001].metadata["bbox"] == [10.0, 50.0, 11.0, 51.0]


def test_static_walk_that_fails_keeps_nothing_and_recovers(fake_service, tmp_path):
    items = [rig.item("static", f"st-{i}", {}) for i in range(3)]
    url = rig.write_static_catalog(tmp_path, f"{fake_service.url}/cat", items, "static")
    for path in tmp_path.rglob("*.json"):
        fake_service.file(f"/cat/{path.relative_to(tmp_path).as_posix()}", path.read_bytes())
    fake_service.fault("/cat/static/items/st-1.json", status=500)
    store = new_data_store("stac", url=url, num_retries=1, retry_backoff_base=0.01)
    with pytest.raises(DataStoreError, match=r"st-1\.json.*HTTP 500"):
        store.list_data_ids()
    fake_service.clear_faults()
    assert store.list_data_ids() == [f"static/items/st-{i}.json" for i in range(3)]


def test_making_a_store_asks_nothing_and_registering_imports_no_stac_library():

    store = new_data_store("stac", url="http://127.0.0.1:9/nothing-listens-here")
    assert "catalog" not in vars(store)  # made when first needed
    code = (
        "import sys, intake_xstores; intake_xstores.list_data_store_ids(); "
        "print([m for m in sys.modules "
        "if m.startswith(('pystac', 'intake_xstores.plugins.stac.'))])"
    )
    out = run_python(code, check=True)
    assert out.stdout.strip() == "[]"
