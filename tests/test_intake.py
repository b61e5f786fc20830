"""The Intake face: stores as Intake catalogs, data IDs as entries, schemas as parameters.

The showcase catalog ``catalogs/stores.yaml`` is opened with ``intake.open_catalog``
next to demo data made here (its ``local`` store reads ``../demo_data``) and with
its ``s3`` store pointed, through environment variables, at the S3 test server.
"""

from __future__ import annotations

import datetime
import pickle
import shutil
import uuid
from pathlib import Path

import dask.array as da
import intake
import pytest
import xarray as xr
import yaml

from intake_xstores import (
    DataStoreParamsError,
    JsonArraySchema,
    JsonBooleanSchema,
    JsonDateSchema,
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonStringSchema,
    get_data_store_params_schema,
    new_data_store,
)
from intake_xstores.intake import (
    XStoreCatalog,
    XStoreSource,
    parameter_schema,
    store_catalog_yaml,
    user_parameter,
)
from intake_xstores.intake.params import coerce_rendered
from tests.conftest import run_python

from .conftest import make_cube

# Intake 2.0.9 warns about shell commands for every string parameter value;
# intake_xstores.intake silences that, but pytest resets filters per test.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Shell command not executed due to getshell=False:UserWarning"
)

REPO = Path(__file__).resolve().parent.parent
SHOWCASE = REPO / "catalogs" / "stores.yaml"


def make_regions():
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        {"name": ["north", "south"], "id": [1, 2]},
        geometry=[shapely.box(10, 52, 14, 53), shapely.box(10, 50, 14, 51)],
        crs="EPSG:4326",
    )


def fill_store(store) -> None:
    """The data the tests browse: cubes at several depths and vector data."""
    store.write_data(make_cube(chunks={"time": 1}), "my_cube.zarr")
    store.write_data(make_cube(seed=1), "testing/data/cube.zarr")
    store.write_data(make_cube(seed=2).isel(time=slice(0, 2)), "cubes/sst.nc")
    store.write_data(make_regions(), "regions.geojson")


@pytest.fixture(scope="module")
def showcase(tmp_path_factory) -> Path:
    """A copy of the showcase catalog next to demo data made for the tests."""
    root = tmp_path_factory.mktemp("showcase")
    (root / "catalogs").mkdir()
    shutil.copy(SHOWCASE, root / "catalogs" / "stores.yaml")
    fill_store(new_data_store("file", root=str(root / "demo_data"), max_depth=3))
    return root / "catalogs" / "stores.yaml"


@pytest.fixture
def cat(showcase):
    return intake.open_catalog(str(showcase))


@pytest.fixture
def s3_env(s3_store_params, s3_endpoint, monkeypatch):
    """Environment pointing the showcase's ``s3`` store at a filled test bucket."""
    fill_store(new_data_store("s3", **s3_store_params, max_depth=3))
    monkeypatch.setenv("XSTORES_S3_ROOT", s3_store_params["root"])
    monkeypatch.setenv("XSTORES_S3_ENDPOINT_URL", s3_endpoint["endpoint_url"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_endpoint["key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_endpoint["secret"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    return s3_store_params


# --- the snippet of the issue, line by line ----------------------------------


def test_snippet_against_s3_and_local(cat, s3_env, s3_endpoint):
    assert list(cat)[:6] == ["local", "memory", "s3", "abfs", "https", "reference"]

    assert sorted(cat.s3) == [
        "cubes/sst.nc",
        "my_cube.zarr",
        "regions.geojson",
        "testing/data/cube.zarr",
    ]

    described = cat.s3.my_cube.describe()
    assert described["name"] == "my_cube.zarr"
    assert described["container"] == "xarray"
    assert described["args"]["data_id"] == "my_cube.zarr"
    assert described["metadata"]["bbox"] == [10.0, 50.0, 14.0, 53.0]
    assert described["metadata"]["time_range"] == ["2021-03-01", "2021-03-04"]
    assert described["metadata"]["crs"] == "EPSG:4326"
    assert set(described["metadata"]["data_vars"]) == {"chl", "qc"}
    names = [p["name"] for p in described["user_parameters"]]
    assert {"chunks", "drop_variables", "decode_cf", "data_type"} <= set(names)

    ds = cat.s3.my_cube.to_dask()
    assert isinstance(ds, xr.Dataset)
    assert isinstance(ds.chl.data, da.Array)
    xr.testing.assert_equal(ds.compute(), make_cube())

    ds = cat.s3.my_cube(chunks={"time": 1}, drop_variables=["qc"]).to_dask()
    assert list(ds.data_vars) == ["chl"]
    assert ds.chl.chunks[0] == (1, 1, 1, 1)
    assert cat.s3.my_cube(chunks={"time": 2}).to_dask().chl.chunks[0] == (2, 2)

    gdf = cat.local.regions.read()
    assert type(gdf).__name__ == "GeoDataFrame"
    assert list(gdf["name"]) == ["north", "south"]

    other = f"other-{uuid.uuid4().hex[:12]}"
    new_data_store("s3", **{**s3_env, "root": other}).write_data(make_cube(), "cubes/x.zarr")
    assert list(cat.s3(root=f"{other}/cubes")) == ["x.zarr"]


def test_secrets_stay_out_of_yaml_reprs_and_descriptions(cat, s3_env, s3_endpoint):
    secret = s3_endpoint["secret"]
    source = cat.s3.my_cube
    texts = [
        repr(cat.s3),
        cat.s3.yaml(),
        repr(source),
        source.yaml(),
        str(source.describe()),
        str(cat.s3.describe()),
        cat.s3.serialize(),
        repr(cat.s3.store),
    ]
    for text in texts:
        assert secret not in text
    assert "AWS_SECRET_ACCESS_KEY" in source.yaml()


def test_source_yaml_reopens_the_same_data_from_s3(cat, s3_env, tmp_path):
    source = cat.s3.my_cube(drop_variables=["qc"])
    path = tmp_path / "source.yaml"
    path.write_text(source.yaml())
    reopened = intake.open_catalog(str(path))["my_cube.zarr"]
    xr.testing.assert_identical(reopened.read(), source.read())
    assert list(reopened.read().data_vars) == ["chl"]


# --- the showcase catalog on the local file store ------------------------------


def test_showcase_local_store_walks_folders_and_describes(cat):
    local = cat.local
    assert isinstance(local, XStoreCatalog)
    assert sorted(local) == [
        "cubes/sst.nc",
        "my_cube.zarr",
        "regions.geojson",
        "testing/data/cube.zarr",
    ]
    # by data ID, by data ID without extension, by file name without extension
    assert local["testing/data/cube.zarr"].data_id == "testing/data/cube.zarr"
    assert local.my_cube.data_id == "my_cube.zarr"
    assert local.sst.data_id == "cubes/sst.nc"
    assert cat["local", "cubes/sst.nc"].data_id == "cubes/sst.nc"
    assert "sst" in dir(local)
    with pytest.raises(AttributeError, match="No data ID 'no_such_cube' in data store 'file'"):
        local.no_such_cube  # noqa: B018


def test_missing_and_ambiguous_keys_say_what_is_there(tmp_path):
    from intake_xstores.mldataset import MultiLevelDataset

    store = new_data_store("file", root=str(tmp_path))
    store.write_data(make_cube(), "my_cube.zarr")
    store.write_data(MultiLevelDataset.from_dataset(make_cube(), num_levels=1), "my_cube.levels")
    cat = intake.open_xstore("file", root=str(tmp_path))
    with pytest.raises(KeyError) as info:
        cat["nope.zarr"]
    assert str(info.value) == (
        f"No data ID 'nope.zarr' in data store 'file' (root {str(tmp_path)!r}) (2 data IDs listed)"
    )
    with pytest.raises(KeyError, match="'my_cub.zarr'.*close matches: 'my_cube.zarr'"):
        cat["my_cub.zarr"]
    with pytest.raises(
        AttributeError,
        match="'my_cube' is ambiguous.*it names 'my_cube.levels', 'my_cube.zarr'; use the full",
    ):
        cat.my_cube  # noqa: B018
    assert cat["my_cube.zarr"].data_id == "my_cube.zarr"
    assert "my_cube" not in cat and "my_cube.zarr" in cat


def test_to_mldataset_is_always_multi_level(cat):
    from intake_xstores.mldataset import MultiLevelDataset

    for source in (cat.local.my_cube, cat.local.sst):
        mlds = source.to_mldataset()
        assert isinstance(mlds, MultiLevelDataset) and mlds.num_levels == 1
        xr.testing.assert_identical(mlds.base_dataset, source.to_dask())
    with pytest.raises(NotImplementedError, match="geodataframe"):
        cat.local.regions.to_mldataset()


def test_store_parameters_of_yaml_entries_are_user_parameters(cat):
    described = cat.local.describe()
    max_depth = {p["name"]: p for p in described["user_parameters"]}["max_depth"]
    assert max_depth == {
        "name": "max_depth",
        "description": "Folder levels listed below root",
        "type": "int",
        "min": 1,
        "default": 3,
    }
    assert cat.local.store.params["max_depth"] == 3
    shallow = cat.local(max_depth=1)
    assert shallow.store.params["max_depth"] == 1
    assert sorted(shallow) == ["my_cube.zarr", "regions.geojson"]
    # a data ID below max_depth is still found by its path
    assert shallow["testing/data/cube.zarr"].read().chl.shape == (4, 6, 8)
    with pytest.raises(ValueError, match="max_depth"):
        cat.local(max_depth=0)


def test_showcase_remote_stores_take_locations_from_the_environment(cat, monkeypatch):
    monkeypatch.setenv("XSTORES_ABFS_ROOT", "cubes")
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_NAME", "devaccount")
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_KEY", "not-a-real-key")
    monkeypatch.setenv("XSTORES_HTTPS_ROOT", "https://example.org/data")
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING", raising=False)
    abfs = cat.abfs  # made, not yet connected
    assert abfs.store.params["root"] == "cubes"
    assert abfs.store.params["storage_options"] == {
        "account_name": "devaccount",
        "account_key": "not-a-real-key",
    }
    assert "not-a-real-key" not in repr(abfs) + abfs.yaml()
    assert cat.https.store.params["root"] == "https://example.org/data"
    assert cat.https.store.read_only
    assert cat.reference.describe()["args"]["store_id"] == "reference"
    assert list(cat.reference) == ["sst"]


def test_memory_store_of_the_showcase_is_empty_until_written_to(cat):
    memory = cat.memory(root=f"/{uuid.uuid4().hex}")
    assert list(memory) == []
    memory.store.write_data(make_cube(), "new.zarr")
    assert list(memory.force_reload() or memory) == ["new.zarr"]


def test_netcdf_and_vector_sources_discover_without_opening_twice(cat):
    source = cat.local.sst
    info = source.discover()
    assert info["dtype"] == {"chl": "float32", "qc": "int16"}
    assert info["shape"] == {"chl": (2, 6, 8), "qc": (2, 6, 8)}
    assert info["metadata"]["dims"] == {"time": 2, "lat": 6, "lon": 8}
    assert source.container == "xarray"

    regions = cat.local.regions
    assert regions.container == "dataframe"
    info = regions.discover()
    assert info["dtype"] == {"name": "string", "id": "integer"}
    assert info["metadata"]["bbox"] == [10.0, 50.0, 14.0, 53.0]
    with pytest.raises(NotImplementedError, match="read"):
        regions.to_dask()


# --- user parameters from JSON Schemas -----------------------------------------


@pytest.mark.parametrize(
    "schema, expected",
    [
        (JsonStringSchema(description="s", default="a"), {"type": "str", "default": "a"}),
        (
            JsonIntegerSchema(description="i", minimum=1, maximum=9),
            {"type": "int", "min": 1, "max": 9},
        ),
        (JsonNumberSchema(description="n", default=0.5), {"type": "float", "default": 0.5}),
        (JsonBooleanSchema(description="b", default=True), {"type": "bool", "default": True}),
        (JsonArraySchema(description="a", items=JsonStringSchema()), {"type": "list"}),
        (JsonObjectSchema(description="o"), {"type": "dict"}),
        (
            JsonStringSchema(description="e", enum=["x", "y"]),
            {"type": "str", "allowed": ["x", "y"]},
        ),
        (JsonIntegerSchema(description="z", nullable=True), {"type": "int"}),
        (
            JsonDateSchema(description="d", format="date-time", default="2021-03-01T12:00:00"),
            {"type": "datetime", "default": datetime.datetime(2021, 3, 1, 12)},
        ),
    ],
)
def test_json_schema_maps_to_user_parameter_and_back(schema, expected):
    parameter = user_parameter("p", schema)
    described = parameter.describe()
    assert described == {"name": "p", "description": schema.description, **expected}
    back = parameter_schema(parameter).to_dict()
    assert back["type"] == schema.to_dict()["type"] if not schema.nullable else "integer"
    assert back.get("enum") == schema.to_dict().get("enum")
    assert back.get("minimum") == schema.to_dict().get("minimum")


def test_entry_user_parameters_follow_the_open_schema(cat):
    entry = cat.local._entries["my_cube.zarr"]
    schema = cat.local.store.get_open_data_params_schema("my_cube.zarr").to_dict()
    described = {p["name"]: p for p in entry.describe()["user_parameters"]}
    assert list(described) == list(schema["properties"])
    for name, prop in schema["properties"].items():
        parameter = described[name]
        assert parameter["description"] == prop["description"]
        assert parameter.get("default") == prop.get("default")
        assert parameter.get("allowed") == prop.get("enum")
        assert parameter.get("min") == prop.get("minimum")
    assert described["decode_cf"]["type"] == "bool"
    # unions with a string are text for Intake, read by the schema (e.g. "auto", "qc")
    assert described["chunks"]["type"] == "str"
    assert described["drop_variables"]["type"] == "str"
    assert described["cache_size"]["type"] == "int"
    assert described["data_type"]["allowed"] == ["dataset"]


def test_user_values_are_coerced_by_intake_and_checked_by_the_schema(cat):
    source = cat.local.my_cube(decode_cf="False", cache_size="1024")
    assert source.open_params == {"decode_cf": False, "cache_size": 1024}
    with pytest.raises(DataStoreParamsError, match=r"'cache_size'.*-1.*>= 0"):
        cat.local.my_cube(cache_size=-1)
    with pytest.raises(DataStoreParamsError, match=r"chunks\.time"):
        cat.local.my_cube(chunks={"time": 0})
    with pytest.raises(DataStoreParamsError, match="Unknown parameter.*'colour'"):
        cat.local.my_cube(colour="red")


def test_templated_values_are_coerced_to_their_schema_types():
    schema = get_data_store_params_schema("s3")
    rendered = {
        "root": "bucket",
        "max_depth": "None",
        "read_only": "True",
        "includes": "['*.zarr']",
        "storage_options": {"key": "", "use_ssl": "False", "client_kwargs": {"endpoint_url": ""}},
    }
    assert coerce_rendered(schema, rendered) == {
        "root": "bucket",
        "max_depth": None,
        "read_only": True,
        "includes": ["*.zarr"],
        "storage_options": {"use_ssl": False, "client_kwargs": {}},
    }


# --- generated catalogs ---------------------------------------------------------


def test_generated_store_catalog_opens_with_parameters_from_the_schema(tmp_path):
    fill_store(new_data_store("file", root=str(tmp_path / "data"), max_depth=3))
    text = store_catalog_yaml("file", {"root": str(tmp_path / "data"), "max_depth": 3}, name="mine")
    path = tmp_path / "generated.yaml"
    path.write_text(text)
    cat = intake.open_catalog(str(path))
    assert list(cat) == ["mine"]
    parameters = {p["name"]: p for p in cat.mine.describe()["user_parameters"]}
    schema = get_data_store_params_schema("file").to_dict()["properties"]
    assert set(parameters) == set(schema)
    assert parameters["root"]["default"] == str(tmp_path / "data")
    assert parameters["max_depth"] == {
        "name": "max_depth",
        "description": schema["max_depth"]["description"],
        "type": "int",
        "min": 1,
        "default": 3,
    }
    assert parameters["read_only"]["default"] is False
    # no default in the schema: Intake's YAML parser shows "" but nothing is passed
    assert parameters["includes"].get("default") in (None, "")
    assert len(list(cat.mine)) == 4
    assert list(cat.mine(includes="*.geojson")) == ["regions.geojson"]
    assert list(cat.mine(max_depth=1)) == ["my_cube.zarr", "regions.geojson"]


def test_generated_s3_catalog_keeps_secrets_in_the_environment(s3_env, s3_endpoint, tmp_path):
    storage_options = {
        "key": s3_endpoint["key"],
        "secret": s3_endpoint["secret"],
        "client_kwargs": {"endpoint_url": s3_endpoint["endpoint_url"]},
    }
    text = store_catalog_yaml(
        "s3", {"root": s3_env["root"], "max_depth": 3, "storage_options": storage_options}
    )
    assert s3_endpoint["secret"] not in text
    args = yaml.safe_load(text)["sources"]["s3"]["args"]
    options = args["store_params"]["storage_options"]
    assert options["secret"] == "{{ env('AWS_SECRET_ACCESS_KEY') }}"
    path = tmp_path / "s3.yaml"
    path.write_text(text)
    cat = intake.open_catalog(str(path))
    assert "my_cube.zarr" in list(cat.s3)
    assert cat.s3.my_cube.read().chl.shape == (4, 6, 8)


def test_unknown_store_parameter_is_refused_by_the_generator():
    with pytest.raises(DataStoreParamsError, match="'colour'"):
        store_catalog_yaml("file", {"colour": "red"})


# --- drivers, pickling and YAML round trips -------------------------------------


def test_drivers_are_registered_with_intake(tmp_path):
    fill_store(new_data_store("file", root=str(tmp_path), max_depth=3))
    cat = intake.open_xstore("file", root=str(tmp_path))
    assert isinstance(cat, XStoreCatalog)
    assert list(cat) == ["my_cube.zarr", "regions.geojson"]
    source = intake.open_xstore_data("file", {"root": str(tmp_path)}, "my_cube.zarr")
    assert isinstance(source, XStoreSource)
    xr.testing.assert_equal(source.read(), make_cube())
    # without a catalog entry, describe() still shows the parameters
    assert "max_depth" in [p["name"] for p in cat.describe()["user_parameters"]]
    assert "chunks" in [p["name"] for p in source.describe()["user_parameters"]]
    assert len(list(cat(max_depth=3))) == 4


def test_sources_and_catalogs_pickle(cat):
    source = cat.local.my_cube(drop_variables=["qc"])
    clone = pickle.loads(pickle.dumps(source))
    assert (clone.data_id, clone.open_params) == (source.data_id, source.open_params)
    xr.testing.assert_identical(clone.read(), source.read())
    local = pickle.loads(pickle.dumps(cat.local))
    assert sorted(local) == sorted(cat.local)
    entry = pickle.loads(pickle.dumps(cat.local._entries["my_cube.zarr"]))
    assert entry().read().chl.shape == (4, 6, 8)


def test_catalog_yaml_round_trips(cat, tmp_path):
    path = tmp_path / "local.yaml"
    path.write_text(cat.local(max_depth=1).yaml())
    reopened = intake.open_catalog(str(path))
    assert list(reopened.local) == ["my_cube.zarr", "regions.geojson"]
    path = tmp_path / "serialized.yaml"
    path.write_text(cat.local.serialize())
    assert sorted(intake.open_catalog(str(path))) == sorted(cat.local)


def test_source_yaml_round_trips_open_params(cat, tmp_path):
    source = cat.local.sst(chunks={"time": 1})
    path = tmp_path / "source.yaml"
    path.write_text(source.yaml())
    reopened = intake.open_catalog(str(path))["cubes/sst.nc"]
    assert reopened.to_dask().chl.chunks[0] == (1, 1)


# --- listing, search and multi-level data ----------------------------------------


def test_data_ids_are_listed_once_and_only_when_needed(showcase, monkeypatch):
    from intake_xstores.fs.store import FsDataStore

    calls = []
    original = FsDataStore.get_data_ids

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FsDataStore, "get_data_ids", counting)
    local = intake.open_catalog(str(showcase)).local
    assert local["cubes/sst.nc"].data_id == "cubes/sst.nc"
    assert calls == []
    assert len(list(local)) == 4
    local.my_cube, local.sst, list(local)  # noqa: B018
    assert calls == [1]
    local.force_reload()
    list(local)
    assert calls == [1, 1]


def test_search_maps_to_search_data(cat):
    found = cat.local.search("test cube")
    assert sorted(found) == ["cubes/sst.nc", "my_cube.zarr", "testing/data/cube.zarr"]
    assert cat.local.search(data_type="geodataframe").keys() is not None
    assert list(cat.local.search(data_type="geodataframe")) == ["regions.geojson"]
    assert list(cat.local.search(bbox=[0, 0, 1, 1])) == []
    assert list(cat.local.search("sst", time_range=["2021-03-01", "2021-03-02"])) == [
        "cubes/sst.nc"
    ]
    entry = found._entries["my_cube.zarr"]
    assert entry.describe()["metadata"]["bbox"] == [10.0, 50.0, 14.0, 53.0]


def test_multi_level_dataset_from_levels(tmp_path):
    from intake_xstores.mldataset import MultiLevelDataset

    store = new_data_store("file", root=str(tmp_path))
    cube = make_cube(ny=32, nx=32)
    store.write_data(MultiLevelDataset.from_dataset(cube, num_levels=2), "pyramid.levels")
    source = intake.open_xstore("file", root=str(tmp_path)).pyramid
    assert source.container == "xarray"
    ml = source.to_mldataset()
    assert ml.num_levels == 2
    assert ml.get_dataset(1).chl.shape == (4, 16, 16)
    assert source.to_dask().chl.shape == (4, 32, 32)


def test_importing_the_package_does_not_import_intake():
    code = "import sys, intake_xstores; print('intake' in sys.modules)"
    out = run_python(code, check=True)
    assert out.stdout.strip() == "False"


def test_broken_yaml_entries_name_the_field_and_what_it_takes(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(
        "sources:\n"
        "  listed_params: {driver: xstore, args: {store_id: file, store_params: [1, 2]}}\n"
        "  no_store: {driver: xstore, args: {store_params: {root: x}}}\n"
    )
    cat = intake.open_catalog(str(path))
    with pytest.raises(DataStoreParamsError, match=r"'store_params'.*\[1, 2\].*a mapping"):
        cat.listed_params  # noqa: B018 - making the entry is the test
    with pytest.raises(DataStoreParamsError, match=r"'store_id'.*None.*installed.*file"):
        cat.no_store  # noqa: B018
