"""The ``gedidb`` store on a small database gedidb writes (``tests/plugins/gedi_rig.py``),
read locally and from moto S3 through gedidb's own provider."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from tests.plugins import gedi_rig as rig
from tests.servers import REPO

YEAR = ["2020-01-01", "2020-12-31"]


@pytest.fixture(scope="session")
def gedi_folder(tmp_path_factory):
    return rig.write_database(tmp_path_factory.mktemp("gedidb") / "db")


@pytest.fixture(scope="session")
def gedi_store(gedi_folder):
    return new_data_store("gedidb", storage_type="local", local_path=str(gedi_folder))


@pytest.fixture(scope="session")
def gedi_s3_params(gedi_folder, s3_endpoint):
    return dict(
        s3_bucket=rig.copy_to_s3(gedi_folder, s3_endpoint),
        endpoint_url=s3_endpoint["endpoint_url"],
        key=s3_endpoint["key"],
        secret=s3_endpoint["secret"],
    )


def in_box(west, south, east, north, start=YEAR[0], end=YEAR[1]) -> pd.DataFrame:
    shots = rig.shots()
    return shots[
        shots.longitude.between(west, east)
        & shots.latitude.between(south, north)
        & shots.time.between(pd.Timestamp(start), pd.Timestamp(end))
    ]


def test_construction_and_listing_touch_no_database():
    # the default is GFZ's public database: nothing may be asked of it yet
    store = new_data_store("gedidb", endpoint_url="http://127.0.0.1:9")
    assert store.list_data_ids() == ["L2A", "L2B", "L4A", "L4C", "all"]
    assert store.get_data_types_for_data("L2A") == ("geodataframe", "dataset")
    schema = store.get_open_data_params_schema("L2A").to_dict()
    assert schema["oneOf"] == [
        {"type": "object", "properties": {}, "required": ["bbox"]},
        {"type": "object", "properties": {}, "required": ["point"]},
    ]
    assert {"bbox", "point", "num_shots", "radius", "time_range", "variables"} <= set(
        schema["properties"]
    )


def test_bbox_query_as_geodataframe(gedi_store):
    box = (10.05, 0.05, 10.65, 0.55)
    gdf = gedi_store.open_data("L4A", bbox=list(box), time_range=["2020-01-01", "2020-03-31"])
    want = in_box(*box, "2020-01-01", "2020-03-31")
    assert len(want) > 5
    assert sorted(gdf.shot_number) == sorted(want.shot_number)
    got = gdf.set_index("shot_number").sort_index()
    np.testing.assert_array_equal(got.agbd, want.set_index("shot_number").sort_index().agbd)
    assert gdf.crs == "EPSG:4326"
    assert (gdf.geometry.x == gdf.longitude).all() and (gdf.geometry.y == gdf.latitude).all()
    # L4A means the L4A variables only, next to where and when
    assert set(gdf.columns) == {"shot_number", "latitude", "longitude", "time", "agbd", "geometry"}


def test_level_variables_and_profiles(gedi_store):
    gdf = gedi_store.open_data("L2A", bbox=[10, 0, 10.15, 0.05], time_range=YEAR)
    assert set(gdf.columns) >= {"quality_flag", "rh"}
    first = gdf.set_index("shot_number").loc[10_001]
    assert list(first.rh) == pytest.approx([0.1, 5.1, 9.1])
    one = gedi_store.open_data(
        "all", bbox=[10, 0, 10.15, 0.05], time_range=YEAR, variables=["rh:95", "wsci"]
    )
    assert set(one.columns) == {
        "shot_number",
        "latitude",
        "longitude",
        "time",
        "rh_p95",
        "wsci",
        "geometry",
    }
    assert one.set_index("shot_number").loc[10_001].rh_p95 == pytest.approx(5.1)


def test_point_query_finds_the_nearest_shots(gedi_store):
    point = (10.52, 0.61)
    gdf = gedi_store.open_data("L2B", point=list(point), num_shots=4, radius=0.25, time_range=YEAR)
    shots = in_box(point[0] - 0.25, point[1] - 0.25, point[0] + 0.25, point[1] + 0.25)
    distance = np.hypot(shots.longitude - point[0], shots.latitude - point[1])
    assert sorted(gdf.shot_number) == sorted(
        shots.shot_number.iloc[np.argsort(distance.values)[:4]]
    )
    assert "cover" in gdf.columns


def test_vector_data_cube(gedi_store):
    import xvec

    cube = gedi_store.open_data(
        "all", data_type="dataset", bbox=[10.05, 0.05, 10.35, 0.25], time_range=YEAR
    )
    want = in_box(10.05, 0.05, 10.35, 0.25)
    assert cube.sizes["geometry"] == len(want)
    assert isinstance(cube.xindexes["geometry"], xvec.GeometryIndex)
    assert cube.xindexes["geometry"].crs == "EPSG:4326"
    assert cube.rh.dims == ("geometry", "profile_points")
    shot = cube.swap_dims(geometry="shot_number").sel(shot_number=10_021)
    assert float(shot.agbd) == pytest.approx(21 * 1.5)
    assert shot.geometry.item().x == pytest.approx(10.1)
    assert cube.agbd.attrs["units"] == "Mg/ha"


def test_no_shots_is_an_empty_result(gedi_store):
    gdf = gedi_store.open_data("L4A", bbox=[15, 5, 16, 6], time_range=YEAR)
    assert len(gdf) == 0 and gdf.crs == "EPSG:4326"
    cube = gedi_store.open_data(
        "L4A", opener_id="dataset:xvec:gedidb", bbox=[15, 5, 16, 6], time_range=YEAR
    )
    assert cube.sizes["geometry"] == 0


def test_database_on_s3(gedi_s3_params, gedi_store):
    store = new_data_store("gedidb", **gedi_s3_params)
    box = dict(bbox=[10.05, 0.05, 10.65, 0.55], time_range=YEAR)
    from_s3 = store.open_data("L4A", **box).sort_values("shot_number")
    local = gedi_store.open_data("L4A", **box).sort_values("shot_number")
    np.testing.assert_array_equal(from_s3.agbd.values, local.agbd.values)
    assert gedi_s3_params["secret"] not in repr(store) and "secret='***'" in repr(store)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        (dict(bbox=[10, 0, 11, 1], point=[10, 0]), ["'bbox'", "cannot be combined with point"]),
        (dict(bbox=[10, 0, 11, 1], radius=0.2), ["cannot be combined with radius"]),
        (dict(), ["neither bbox nor point", "either bbox + time_range"]),
        (dict(bbox=[11, 0, 10, 1]), ["'bbox'", "west < east"]),
        (dict(point=[10, 0], num_shots=0), ["num_shots", "0"]),
        (dict(bbox=[10, 0, 11, 1], variables=["agbd_x"]), ["variables", "agbd_x", "agbd"]),
        (dict(bbox=[10, 0, 11, 1], time_range=["2020-12-31", "2020-01-01"]), ["time_range"]),
    ],
)
def test_bad_open_params_are_named(gedi_store, params, words):
    params.setdefault("time_range", YEAR)
    with pytest.raises(DataStoreParamsError) as info:
        gedi_store.open_data("L4A", **params)
    for word in words:
        assert word in str(info.value)
    if "neither" in str(info.value):
        assert "point + time_range (+ num_shots, radius, variables)" in str(info.value)


def test_missing_database_is_named(tmp_path):
    store = new_data_store("gedidb", storage_type="local", local_path=str(tmp_path / "none"))
    with pytest.raises(DataStoreError, match=r"GEDI database .*none/array_uri"):
        store.open_data("L4A", bbox=[10, 0, 11, 1], time_range=YEAR)
    with pytest.raises(DataStoreParamsError, match="local_path"):
        new_data_store("gedidb", storage_type="local").describe_data("L2A")


def test_describe_from_database_metadata(gedi_store):
    descriptor = gedi_store.describe_data("L2A", data_type="dataset")
    assert set(descriptor.attrs["variables"]) == {"quality_flag", "rh"}
    assert descriptor.attrs["variables"]["rh"]["units"] == "m"
    assert gedi_store.describe_data("L4C").data_type.alias == "geodataframe"


def test_showcase_catalogs_open_a_local_database(gedi_folder, monkeypatch):
    """Intake readers pass every parameter's default; num_shots and radius must not
    turn a bbox query into a mixed one."""
    import intake

    monkeypatch.setenv("XSTORES_GEDIDB_PATH", str(gedi_folder))
    box = dict(bbox=[10.05, 0.05, 10.65, 0.55], time_range=YEAR)
    want = len(in_box(*box["bbox"]))
    v2 = intake.from_yaml_file(str(REPO / "catalogs" / "stores-v2.yaml"))
    entries = v2.gedidb(storage_type="local").read()
    assert len(entries["L4A"](**box).read()) == want
    v1 = intake.open_catalog(str(REPO / "catalogs" / "stores.yaml"))
    assert len(v1.gedidb(storage_type="local")["L4A"](**box).read()) == want
