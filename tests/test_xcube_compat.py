"""Code written for xcube's store API runs with only its import line changed.

Organised like the xcube API: store, pool, data types, descriptors,
schemas, multi-level datasets, preload; then the xcube docs' own snippets.
Expected values are what xcube-core 1.14.1 does (read in its source), or,
where xcube has a bug, what it meant (each such case says so).
"""

import importlib
import json
import math
import subprocess
import sys
import textwrap
import threading

import jsonschema
import numpy as np
import pytest
import xarray as xr
from xstores_testplugin.store import GreetingsStore

import intake_xstores
import intake_xstores.mldataset
from intake_xstores import (
    ANY_TYPE,
    DATASET_ITERATOR_TYPE,
    DATASET_TYPE,
    GEO_DATA_FRAME_ITERATOR_TYPE,
    MULTI_LEVEL_DATASET_ITERATOR_TYPE,
    MULTI_LEVEL_DATASET_TYPE,
    DataDeleter,
    DataDescriptor,
    DataIterator,
    DatasetDescriptor,
    DataStoreConfig,
    DataStoreError,
    DataStoreInstance,
    DataStorePool,
    DataTimeSliceUpdater,
    DataType,
    DefaultSearchMixin,
    JsonArraySchema,
    JsonComplexSchema,
    JsonDateSchema,
    JsonDatetimeSchema,
    JsonIntegerSchema,
    JsonNumberSchema,
    JsonObject,
    JsonObjectSchema,
    JsonSimpleSchema,
    JsonStringSchema,
    MultiLevelDatasetDescriptor,
    VariableDescriptor,
    assert_valid_config,
    assert_valid_params,
    find_data_opener_extensions,
    get_data_accessor_predicate,
    get_data_store_instance,
    get_filename_extensions,
    new_data_opener,
    new_data_store,
    new_fs_data_store,
)
from tests.conftest import make_cube

# xcube.core.store.__all__ of xcube-core 1.14.1
XCUBE_STORE_NAMES = [
    "ANY_TYPE",
    "DATASET_TYPE",
    "GEO_DATA_FRAME_TYPE",
    "MULTI_LEVEL_DATASET_TYPE",
    "DataDeleter",
    "DataDescriptor",
    "DataOpener",
    "DataPreloader",
    "DataSearcher",
    "DataStore",
    "DataStoreConfig",
    "DataStoreError",
    "DataStoreInstance",
    "DataStorePool",
    "DataStorePoolLike",
    "DataTimeSliceUpdater",
    "DataType",
    "DataTypeLike",
    "DataWriter",
    "DatasetDescriptor",
    "DefaultSearchMixin",
    "GeoDataFrameDescriptor",
    "MultiLevelDatasetDescriptor",
    "MutableDataStore",
    "PreloadHandle",
    "PreloadState",
    "PreloadStatus",
    "PreloadedDataStore",
    "VariableDescriptor",
    "assert_valid_config",
    "assert_valid_params",
    "find_data_opener_extensions",
    "find_data_store_extensions",
    "find_data_writer_extensions",
    "get_data_accessor_predicate",
    "get_data_store_class",
    "get_data_store_instance",
    "get_data_store_params_schema",
    "get_filename_extensions",
    "list_data_store_ids",
    "new_data_descriptor",
    "new_data_opener",
    "new_data_store",
    "new_data_writer",
    "new_fs_data_store",
]
PRELOAD_NAMES = {
    "DataPreloader",
    "PreloadHandle",
    "PreloadState",
    "PreloadStatus",
    "PreloadedDataStore",
}

# xcube's opener order for a filesystem store (xcube/plugin.py, _FS_DATA_OPENER_ITEMS)
XCUBE_OPENER_ORDER = [
    "dataset:netcdf",
    "dataset:zarr",
    "dataset:levels",
    "mldataset:levels",
    "geodataframe:shapefile",
    "geodataframe:geojson",
    "dataset:geotiff",
    "mldataset:geotiff",
    "dataset:j2k",
    "mldataset:j2k",
]


@pytest.fixture
def store(tmp_path):
    return new_data_store("file", root=str(tmp_path / "store"))


# --- names -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(set(XCUBE_STORE_NAMES) - PRELOAD_NAMES))
def test_every_xcube_store_name_imports(name):
    assert hasattr(intake_xstores, name), f"intake_xstores lacks {name}"
    assert name in intake_xstores.__all__


@pytest.mark.parametrize(
    "module, names",
    [
        ("intake_xstores.datatype", ["DataType", "DATASET_TYPE", "DataIterator"]),
        ("intake_xstores.descriptor", ["DatasetDescriptor", "new_data_descriptor"]),
        ("intake_xstores.accessor", ["DataOpener", "get_data_accessor_predicate"]),
        ("intake_xstores.assertions", ["assert_valid_params", "assert_valid_config"]),
        ("intake_xstores.search", ["DataSearcher", "DefaultSearchMixin"]),
        ("intake_xstores.pool", ["DataStorePool", "get_data_store_instance"]),
        ("intake_xstores.fs.registry", ["new_fs_data_store", "get_filename_extensions"]),
        ("intake_xstores.schema", ["JsonObjectSchema", "JsonObject", "JsonDatetimeSchema"]),
        ("intake_xstores.registry", ["ExtensionRegistry", "import_component"]),
        (
            "intake_xstores.mldataset",
            ["MultiLevelDataset", "BaseMultiLevelDataset", "FsMultiLevelDataset"],
        ),
    ],
)
def test_submodules_a_porting_user_imports_from(module, names):
    imported = importlib.import_module(module)
    assert all(hasattr(imported, n) for n in names)


def test_preload_names_import_once_built():
    preload = pytest.importorskip(
        "intake_xstores.preload", reason="the preload API is built by the plugin-store work"
    )
    missing = [n for n in sorted(PRELOAD_NAMES) if not hasattr(intake_xstores, n)]
    assert not missing, f"not exported from intake_xstores: {missing}"
    assert hasattr(preload, "PreloadState")


# --- store -----------------------------------------------------------------


def test_opener_ids_in_xcube_order(store):
    assert store.get_data_opener_ids() == tuple(f"{i}:file" for i in XCUBE_OPENER_ORDER)
    assert "dataset:j2k:s3" in {e.name for e in find_data_opener_extensions()}
    assert "mldataset:j2k:file" in store.get_data_opener_ids(data_id="scene.j2k")


def test_data_types_and_openers_of_a_data_id(store):
    store.write_data(make_cube(), "cube.zarr")
    assert store.get_data_types_for_data("cube.zarr") == ("dataset",)
    store.write_data(make_cube(), "cube.levels")
    # the type open_data gives by default first (for .levels, as in xcube)
    assert store.get_data_types_for_data("cube.levels") == ("mldataset", "dataset")
    assert store.get_data_opener_ids("cube.levels") == (
        "mldataset:levels:file",
        "dataset:levels:file",
    )
    assert store.get_data_opener_ids(data_type="geodataframe") == (
        "geodataframe:shapefile:file",
        "geodataframe:geojson:file",
    )


def test_data_types_for_a_missing_data_id_is_an_error(store):
    with pytest.raises(DataStoreError, match="'nope.zarr' does not exist"):
        store.get_data_types_for_data("nope.zarr")


def test_open_params_schema_without_data_id_is_zarrs(store):
    properties = store.get_open_data_params_schema().properties
    assert {"engine", "consolidated", "chunks", "data_type", "cache_size"} <= set(properties)
    assert properties["engine"].default == "zarr"


def test_zarr_engine_parameter_opens_through_xarray(store):
    store.write_data(make_cube(), "cube.zarr")
    ds = store.open_data("cube.zarr", engine="zarr", chunks={})
    xr.testing.assert_allclose(ds.compute(), make_cube())


@pytest.mark.parametrize("zarr_format, marker", [(2, ".zgroup"), (3, "zarr.json")])
def test_zarr_format_write_parameter(store, tmp_path, zarr_format, marker):
    schema = store.get_write_data_params_schema()
    assert schema.properties["zarr_format"].enum == [2, 3]
    assert schema.properties["zarr_format"].default == 2
    store.write_data(make_cube(), "cube.zarr", zarr_format=zarr_format)
    assert (tmp_path / "store" / "cube.zarr" / marker).exists()
    xr.testing.assert_allclose(store.open_data("cube.zarr").compute(), make_cube())


def test_delete_params_schema_takes_nothing(store):
    store.write_data(make_cube(), "cube.zarr")
    assert store.get_delete_data_params_schema().to_dict() == {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }
    with pytest.raises(DataStoreError, match="force"):
        store.delete_data("cube.zarr", force=True)
    assert store.has_data("cube.zarr")
    store.delete_data("cube.zarr")
    assert not store.has_data("cube.zarr")


def test_filename_extensions_as_function_and_classmethod(store):
    openers = get_filename_extensions()
    assert "dataset:zarr:file" in openers[".zarr"] and "dataset:zarr:s3" in openers[".zarr"]
    assert {"dataset:j2k:file", "mldataset:j2k:file"} <= set(openers[".j2k"])
    assert ".tif" not in get_filename_extensions("writers")
    by_class = type(store).get_filename_extensions()
    assert by_class[".levels"] == ["mldataset:levels:file", "dataset:levels:file"]
    assert by_class[".tif"] == ["mldataset:geotiff:file", "dataset:geotiff:file"]
    assert all(i.endswith(":file") for ids in by_class.values() for i in ids)
    with pytest.raises(DataStoreError, match="'accessor_type'.*'readers'"):
        get_filename_extensions("readers")


def test_read_only_and_unknown_format_errors_say_what_xcube_says(tmp_path):
    store = new_data_store("file", root=str(tmp_path), read_only=True)
    with pytest.raises(DataStoreError, match="^Data store is read-only"):
        store.write_data(make_cube(), "cube.zarr")
    with pytest.raises(DataStoreError, match="^Data store is read-only"):
        store.delete_data("cube.zarr")
    writable = new_data_store("file", root=str(tmp_path))
    with pytest.raises(DataStoreError, match="Cannot determine data type for data resource"):
        writable.write_data(make_cube(), "cube.unknown")


def test_new_fs_data_store_is_new_data_store_spelled_out(tmp_path):
    store = new_fs_data_store("file", root=str(tmp_path), max_depth=2, includes="*.zarr")
    assert (
        store.params
        == new_data_store("file", root=str(tmp_path), max_depth=2, includes="*.zarr").params
    )
    with pytest.raises(DataStoreError, match="'nope'"):
        new_fs_data_store("nope")


def test_bad_store_params_are_every_kind_of_error_callers_catch(tmp_path):
    with pytest.raises(DataStoreError) as info:
        new_data_store("file", root=str(tmp_path), max_depth="deep")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, jsonschema.ValidationError)
    assert "max_depth" in info.value.message
    with pytest.raises(DataStoreError, match="'nope'"):
        new_data_store("nope")


def test_data_accessor_predicate():
    names = [e.name for e in find_data_opener_extensions(get_data_accessor_predicate())]
    assert "dataset:zarr:file" in names
    by_format = find_data_opener_extensions(
        get_data_accessor_predicate(format_id="levels", storage_id="memory")
    )
    # xcube's registration order: a format's dataset opener first
    assert [e.name for e in by_format] == ["dataset:levels:memory", "mldataset:levels:memory"]
    datasets = find_data_opener_extensions(get_data_accessor_predicate(data_type="dataset"))
    assert {e.name.split(":")[0] for e in datasets} == {"dataset"}
    anything = find_data_opener_extensions(get_data_accessor_predicate(data_type="any"))
    assert len(anything) == len(find_data_opener_extensions())


def test_standalone_opener_takes_storage_options(tmp_path):
    new_data_store("file", root=str(tmp_path)).write_data(make_cube(), "cube.zarr")
    opener = new_data_opener("dataset:zarr:file")
    schema = opener.get_open_data_params_schema()
    assert "auto_mkdirs" in schema.properties["storage_options"].properties
    ds = opener.open_data(str(tmp_path / "cube.zarr"), storage_options={"auto_mkdirs": False})
    assert set(ds.data_vars) == {"chl", "qc"}


def test_reference_store_takes_xcubes_filesystem_options():
    options = dict(
        asynchronous=True,
        listings_expiry_time=10.0,
        max_paths=5,
        skip_instance_cache=True,
        use_listings_cache=False,
    )
    store = new_data_store("reference", refs=["sst.json"], **options)
    assert list(store.get_data_ids()) == ["sst"]
    with pytest.raises(DataStoreError, match="max_paths"):
        new_data_store("reference", refs=["sst.json"], max_paths="many")


def test_assert_valid_params_and_config():
    schema = JsonObjectSchema(
        properties=dict(n=JsonIntegerSchema(minimum=1)), additional_properties=False
    )
    assert_valid_params(None, schema)
    assert_valid_params({"n": 2}, schema)
    with pytest.raises(DataStoreError, match="^Invalid parameterization detected: .*'n'"):
        assert_valid_params({"n": 0}, schema, name="open_params")
    with pytest.raises(DataStoreError, match="^Invalid configuration detected"):
        assert_valid_config({"x": 1}, schema)
    with pytest.raises(TypeError, match="params must be a dict"):
        assert_valid_params([1], schema)


class _SearchableGreetings(DefaultSearchMixin, GreetingsStore):
    """A plugin's store with xcube's default search mixed in, as xcube stores do."""


def test_default_search_mixin_describes_everything_and_takes_no_params():
    store = _SearchableGreetings()
    assert isinstance(store, intake_xstores.DataSearcher)
    assert store.get_search_params_schema().to_dict()["additionalProperties"] is False
    assert [d.data_id for d in store.search_data()] == ["en", "de"]
    with pytest.raises(DataStoreError, match="Invalid parameterization detected"):
        list(store.search_data(bbox=[0, 0, 1, 1]))


def test_time_slice_updater_and_deleter_are_interfaces():
    with pytest.raises(TypeError, match="abstract"):
        DataTimeSliceUpdater()

    class Deleter(DataDeleter):
        def delete_data(self, data_id, **delete_params):
            pass

    assert Deleter().get_delete_data_params_schema().additional_properties is False
    assert issubclass(DataTimeSliceUpdater, intake_xstores.DataWriter)


# --- pool ------------------------------------------------------------------

POOL = {
    "cubes": {
        "store_id": "file",
        "store_params": {"root": "ROOT", "max_depth": 2},
        "title": "Cubes",
        "description": "Local cubes",
        "cost_params": {"input_pixels_per_punit": 100, "output_pixels_per_punit": 200},
    },
    "scratch": {"store_id": "memory", "store_params": {"root": "/scratch-pool"}},
}


@pytest.fixture
def pool_dict(tmp_path):
    new_data_store("file", root=str(tmp_path / "cubes")).write_data(make_cube(), "chl.zarr")
    return json.loads(json.dumps(POOL).replace("ROOT", str(tmp_path / "cubes")))


def test_pool_from_dict_makes_stores_lazily_once(pool_dict):
    pool = DataStorePool.from_dict(pool_dict)
    assert pool.store_instance_ids == ["cubes", "scratch"] and not pool.is_empty
    instance = pool.get_store_instance("cubes")
    assert isinstance(instance, DataStoreInstance) and instance._store is None
    store = pool.get_store("cubes")
    assert store is pool.get_store("cubes")
    assert store.list_data_ids() == ["chl.zarr"]
    config = pool.get_store_config("cubes")
    assert (config.store_id, config.title, config.description) == ("file", "Cubes", "Local cubes")
    assert config.cost_params == {
        "input_pixels_per_punit": 100,
        "output_pixels_per_punit": 200,
        "input_punits_weight": 1.0,
        "output_punits_weight": 1.0,
    }


def test_pool_round_trips_through_to_dict_keeping_the_title(pool_dict):
    # xcube writes the title as "name", which from_dict then ignores
    pool = DataStorePool.from_dict(pool_dict)
    again = DataStorePool.from_dict(pool.to_dict())
    assert again.to_dict() == pool.to_dict()
    assert again.get_store_config("cubes").title == "Cubes"
    assert again.get_store_config("cubes") == pool.get_store_config("cubes")


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_pool_from_json_and_yaml_files_with_environment_variables(
    pool_dict, tmp_path, monkeypatch, suffix
):
    import yaml

    pool_dict["scratch"]["store_params"]["root"] = "${SCRATCH_ROOT}"
    path = tmp_path / f"pool{suffix}"
    path.write_text(json.dumps(pool_dict) if suffix == ".json" else yaml.safe_dump(pool_dict))
    monkeypatch.setenv("SCRATCH_ROOT", "/from-env")
    pool = DataStorePool.normalize(str(path))
    assert pool.get_store_config("scratch").store_params == {"root": "/from-env"}
    assert pool.get_store("cubes").list_data_ids() == ["chl.zarr"]


def test_pool_errors(pool_dict, tmp_path):
    pool = DataStorePool.from_dict(pool_dict)
    pool.remove_store_config("scratch")
    with pytest.raises(DataStoreError, match='"scratch" not found'):
        pool.get_store("scratch")
    with pytest.raises(jsonschema.ValidationError, match="store_id"):
        DataStorePool.from_dict({"x": {"store_params": {}}})
    with pytest.raises(DataStoreError, match="Invalid configuration detected"):
        DataStoreConfig.from_dict({"store_id": ""})
    with pytest.raises(ValueError, match="store_id must be given"):
        DataStoreConfig("")
    with pytest.raises(TypeError, match="store_params"):
        DataStoreConfig("file", store_params=["root"])
    with pytest.raises(TypeError, match="data_store_pool"):
        DataStorePool.normalize(42)
    with pytest.raises(ValueError, match="Cannot find configuration"):
        DataStorePool.from_file(str(tmp_path / "missing.yaml"))
    assert DataStorePool.normalize(pool) is pool


def test_pool_config_lookup_add_and_remove_all(pool_dict):
    pool = DataStorePool.from_dict(pool_dict)
    like = DataStoreConfig("memory", {"root": "/scratch-pool"}, title="Other")
    assert pool.get_store_instance_id(like) == "scratch"
    assert pool.get_store_instance_id(like, strict_check=True) is None
    assert pool.has_store_config(like) and pool.has_store_instance("cubes")
    pool.add_store_config("more", like)
    assert pool.store_instance_ids == ["cubes", "more", "scratch"]
    pool.remove_all_store_configs()
    assert pool.is_empty


def test_get_data_store_instance(pool_dict):
    pool = DataStorePool.from_dict(pool_dict)
    assert get_data_store_instance("@cubes", store_pool=pool).store is pool.get_store("cubes")
    assert get_data_store_instance("@cubes", store_pool=pool_dict).store.root.endswith("cubes")
    fresh = get_data_store_instance("memory", {"root": "/fresh"})
    assert fresh.store.root == "/fresh" and fresh.store_config.store_id == "memory"
    with pytest.raises(ValueError, match="store_pool must be given"):
        get_data_store_instance("@cubes")
    with pytest.raises(ValueError, match="store_params cannot be given"):
        get_data_store_instance("@cubes", {"root": "x"}, store_pool=pool)


def test_config_repr_hides_secrets():
    config = DataStoreConfig(
        "s3", {"root": "bucket", "storage_options": {"key": "AKIA", "secret": "s3cr3t"}}
    )
    assert "s3cr3t" not in repr(config) and "AKIA" not in repr(config)
    assert "bucket" in repr(config)
    assert "v" not in repr(DataStoreConfig("unknown-store", {"token": "v"})).split("(")[1]


def test_pool_file_opens_as_intake_catalog(pool_dict, tmp_path):
    import intake

    from intake_xstores.intake.pool import catalog_to_pool

    path = tmp_path / "pool.json"
    path.write_text(json.dumps(pool_dict))
    cat = intake.open_catalog(str(path), driver="xstore_pool")
    assert sorted(cat) == ["cubes", "scratch"]
    assert list(cat.cubes) == ["chl.zarr"]
    assert set(cat.cubes["chl.zarr"].to_dask().data_vars) == {"chl", "qc"}
    assert cat.cubes(max_depth=1).store_params["max_depth"] == 1
    assert cat.cubes.metadata["title"] == "Cubes"
    back = catalog_to_pool(cat)
    assert (
        back.get_store_config("cubes").store_params["root"]
        == pool_dict["cubes"]["store_params"]["root"]
    )
    assert back.get_store_config("cubes").cost_params["input_pixels_per_punit"] == 100
    assert back.get_store("cubes").list_data_ids() == ["chl.zarr"]


def test_cli_writes_a_catalog_from_a_pool(pool_dict, tmp_path):
    import intake

    pool_dict["cubes"]["store_params"]["storage_options"] = {"auto_mkdirs": True}
    path = tmp_path / "pool.json"
    path.write_text(json.dumps(pool_dict))
    out = subprocess.run(
        [sys.executable, "-m", "intake_xstores.cli", "catalog", "--from-pool", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    catalog = tmp_path / "stores.yaml"
    catalog.write_text(out.stdout)
    cat = intake.open_catalog(str(catalog))
    assert sorted(cat) == ["cubes", "scratch"]
    assert list(cat.cubes) == ["chl.zarr"]


# --- data types --------------------------------------------------------------


def test_data_type_normalize_any_class_and_qualified_names():
    assert DataType.normalize("xarray.core.dataset.Dataset") is DATASET_TYPE
    assert DataType.normalize(xr.Dataset) is DATASET_TYPE
    str_type = DataType.normalize(str)
    assert str_type.alias == "builtins.str" and str_type.dtype is str
    assert DataType.normalize(None) is ANY_TYPE and DataType.normalize(type(None)) is ANY_TYPE
    assert repr(DATASET_TYPE) == "'dataset'" and str(DATASET_TYPE) == "dataset"
    assert DATASET_TYPE.aliases == ("dataset", "xarray.Dataset", "xarray.core.dataset.Dataset")
    with pytest.raises(ValueError, match="'cube'"):
        DataType.normalize("cube")
    with pytest.raises(ValueError, match="42"):
        DataType.normalize(42)


def test_register_data_type_and_sub_types():
    class MyCube(xr.Dataset):
        __slots__ = ()

    my_type = DataType(MyCube, ["mycube"])
    with pytest.raises(ValueError):
        DataType.normalize("mycube")
    DataType.register_data_type(my_type)
    try:
        assert DataType.normalize("mycube") is my_type
        assert DataType.normalize(MyCube) is my_type
        assert my_type.is_sub_type_of(DATASET_TYPE) and my_type.is_sub_type_of("any")
        assert DATASET_TYPE.is_super_type_of("mycube")
        assert not DATASET_TYPE.is_sub_type_of("mycube")
        assert not DATASET_TYPE.is_sub_type_of(MULTI_LEVEL_DATASET_TYPE)
    finally:
        DataType._REGISTERED_DATA_TYPES.remove(my_type)
    with pytest.raises(TypeError):
        DataType.register_data_type("mycube")


def test_iterator_types():
    assert DATASET_ITERATOR_TYPE.dtype is DataIterator
    assert DataType.normalize("dsiter") is DATASET_ITERATOR_TYPE
    assert DataType.normalize("DataIterator[xcube.MultiLevelDataset]") is (
        MULTI_LEVEL_DATASET_ITERATOR_TYPE
    )
    assert DataType.normalize("gdfiter") is GEO_DATA_FRAME_ITERATOR_TYPE
    # all share the class DataIterator, so each is a sub-type of the others (as in xcube)
    assert GEO_DATA_FRAME_ITERATOR_TYPE.is_sub_type_of(DATASET_ITERATOR_TYPE)

    class Cubes(DataIterator):
        def __next__(self):
            raise StopIteration

    assert list(Cubes()) == []


def test_data_type_schema_converts_aliases():
    schema = DataType.get_schema()
    assert schema.from_instance("mldataset") is MULTI_LEVEL_DATASET_TYPE
    assert schema.to_instance(DATASET_TYPE) == "dataset"
    with pytest.raises(jsonschema.ValidationError):
        schema.from_instance("")


# --- descriptors -------------------------------------------------------------


def test_descriptor_from_dict_validates_against_its_schema():
    schema = DatasetDescriptor.get_schema().to_dict()
    assert schema["required"] == ["data_id", "data_type"]
    assert schema["additionalProperties"] is False
    with pytest.raises(DataStoreError, match="spatial_res"):
        DataDescriptor.from_dict({"data_id": "a", "data_type": "dataset", "spatial_res": -1})
    with pytest.raises(jsonschema.ValidationError, match="colour"):
        DatasetDescriptor.from_dict({"data_id": "a", "colour": "red"})
    with pytest.raises(DataStoreError, match="num_levels"):
        DataDescriptor.from_dict({"data_id": "a", "data_type": "mldataset", "num_levels": 0})


def test_descriptor_schema_makes_descriptors_as_xcubes():
    d = intake_xstores.new_data_descriptor("c.zarr", make_cube())
    again = DatasetDescriptor.get_schema().from_instance(d.to_dict())
    assert isinstance(again, DatasetDescriptor) and again == d
    assert isinstance(again.data_vars["chl"], VariableDescriptor)
    assert again.attrs == {"title": "test cube"}
    assert DatasetDescriptor.get_schema().to_instance(d) == d.to_dict()


def test_descriptor_constructors_as_xcubes():
    ml = MultiLevelDatasetDescriptor("pyramid.levels", 5)
    assert (ml.num_levels, ml.data_type) == (5, MULTI_LEVEL_DATASET_TYPE)
    var = VariableDescriptor("chl", "float32", ["time", "lat", "lon"], chunks=[1, 6, 8])
    assert var.dims == ("time", "lat", "lon") and var.chunks == (1, 6, 8) and var.ndim == 3
    with pytest.raises(ValueError, match="data_type"):
        DatasetDescriptor("a", data_type="geodataframe")


def test_new_data_descriptor_of_other_data():
    d = intake_xstores.new_data_descriptor("numbers", [1, 2, 3])
    assert type(d) is DataDescriptor and d.data_type is ANY_TYPE
    with pytest.raises(DataStoreError, match="list"):
        intake_xstores.new_data_descriptor("numbers", [1, 2, 3], require=True)


def test_nan_fill_value_round_trips():
    cube = make_cube()
    cube["chl"].attrs["_FillValue"] = np.float32(np.nan)
    d = intake_xstores.new_data_descriptor("c.zarr", cube)
    assert math.isnan(d.data_vars["chl"].attrs["_FillValue"])
    again = DataDescriptor.from_dict(json.loads(json.dumps(d.to_dict())))
    assert math.isnan(again.data_vars["chl"].attrs["_FillValue"])
    assert again == d


def test_time_range_from_time_bounds_as_dates():
    cube = make_cube(nt=3)
    times = cube.time.values
    day = np.timedelta64(1, "D")
    cube["time_bnds"] = (("time", "bnds"), np.stack([times, times + day], axis=1))
    cube.time.attrs["bounds"] = "time_bnds"
    d = intake_xstores.new_data_descriptor("c.zarr", cube)
    assert d.time_range == ("2021-03-01", "2021-03-04")  # end of the last bound
    no_time = make_cube().isel(time=0, drop=True)
    no_time.attrs.update(time_coverage_start="2020-01-01T00:00:00Z", time_coverage_end="2020-12-31")
    assert intake_xstores.new_data_descriptor("x", no_time).time_range == (
        "2020-01-01",
        "2020-12-31",
    )


def test_bbox_from_cf_attributes_when_coordinates_give_none():
    ds = xr.Dataset(
        {"v": (("row", "col"), np.zeros((2, 3)))},
        attrs=dict(
            geospatial_lon_min=-10.0,
            geospatial_lat_min=40.0,
            geospatial_lon_max=5.5,
            geospatial_lat_max=52,
        ),
    )
    assert intake_xstores.new_data_descriptor("x", ds).bbox == (-10.0, 40.0, 5.5, 52.0)


def test_described_open_params_schema_is_the_stores(store):
    store.write_data(make_cube(), "cube.zarr")
    d = store.describe_data("cube.zarr")
    assert isinstance(d.open_params_schema, JsonObjectSchema)
    assert d.open_params_schema == store.get_open_data_params_schema("cube.zarr")
    again = DataDescriptor.from_dict(d.to_dict())
    assert again.open_params_schema == d.open_params_schema


# --- schemas -----------------------------------------------------------------


class Point(JsonObject):
    def __init__(self, x: float, y: float, label: str | None = None):
        self.x, self.y, self.label = x, y, label

    @classmethod
    def get_schema(cls):
        return JsonObjectSchema(
            properties=dict(x=JsonNumberSchema(), y=JsonNumberSchema(), label=JsonStringSchema()),
            required=["x", "y"],
            additional_properties=False,
            factory=cls,
        )


def test_json_object_round_trip_with_factory():
    p = Point.from_dict({"x": 1, "y": 2.5})
    assert isinstance(p, Point) and (p.x, p.y, p.label) == (1, 2.5, None)
    assert p.to_dict() == {"x": 1, "y": 2.5}
    with pytest.raises(jsonschema.ValidationError):
        Point.from_dict({"x": "one", "y": 2})
    polyline = JsonArraySchema(items=Point.get_schema())
    points = polyline.from_instance([{"x": 0, "y": 0}, {"x": 1, "y": 1, "label": "end"}])
    assert [type(q) for q in points] == [Point, Point] and points[1].label == "end"
    assert polyline.to_instance(points)[1] == {"x": 1, "y": 1, "label": "end"}


def test_simple_schemas_convert_with_factory_and_serializer():
    schema = JsonStringSchema(factory=lambda s: s.upper(), serializer=lambda v: v.lower())
    assert schema.from_instance("abc") == "ABC" and schema.to_instance("ABC") == "abc"
    with pytest.raises(ValueError, match="factory must be callable"):
        JsonStringSchema(factory="x")
    assert JsonSimpleSchema("string", title="Name").to_dict() == {
        "type": "string",
        "title": "Name",
    }
    assert JsonSimpleSchema("boolean").to_dict() == {"type": "boolean"}
    with pytest.raises(ValueError, match="illegal type"):
        JsonSimpleSchema(["string"])
    assert JsonNumberSchema(type="integer", minimum=0).to_dict() == {
        "type": "integer",
        "minimum": 0,
    }
    with pytest.raises(ValueError, match="Type must be one of"):
        JsonNumberSchema(type="string")
    with pytest.raises(ValueError, match="type must be one of"):
        JsonSimpleSchema("text")


def test_complex_schema_needs_exactly_one_combination():
    with pytest.raises(ValueError, match="exactly one of one_of, any_of, all_of"):
        JsonComplexSchema()
    with pytest.raises(ValueError, match="exactly one"):
        JsonComplexSchema(one_of=[JsonStringSchema()], any_of=[JsonIntegerSchema()])
    either = JsonComplexSchema(any_of=[JsonStringSchema(), JsonIntegerSchema()])
    either.validate_instance(3)
    with pytest.raises(jsonschema.ValidationError):
        either.validate_instance(3.5)


def test_date_schemas_bounds_are_enforced_and_ranges():
    # xcube writes minDate/maxDate but no validator knows them: never checked there
    schema = JsonDateSchema(min_date="2020-01-01", max_date="2020-12-31")
    assert schema.to_dict() == {
        "type": "string",
        "format": "date",
        "minDate": "2020-01-01",
        "maxDate": "2020-12-31",
    }
    schema.validate_instance("2020-06-01")
    with pytest.raises(jsonschema.ValidationError, match="earlier than '2020-01-01'"):
        schema.validate_instance("2019-12-31")
    with pytest.raises(ValueError, match='min_date must be formatted as a "date"'):
        JsonDateSchema(min_date="01.01.2020")
    dates = JsonDateSchema.new_range("2000-01-01", nullable=True)
    dates.validate_instance(["2000-01-01", None])
    dates.validate_instance(("2001-01-01", "2002-01-01"))  # tuples are arrays
    dates.validate_instance(None)
    with pytest.raises(jsonschema.ValidationError):
        dates.validate_instance(["1999-01-01", None])
    times = JsonDatetimeSchema.new_range(max_datetime="2020-01-01T00:00:00Z")
    assert times.items[0].to_dict()["format"] == "date-time"
    with pytest.raises(jsonschema.ValidationError, match="later than"):
        times.validate_instance(["2019-01-01T00:00:00Z", "2020-01-01T00:00:01Z"])
    again = JsonDateSchema.from_dict(schema.to_dict())
    assert isinstance(again, JsonDateSchema) and again.min_date == "2020-01-01"


def test_process_kwargs_subset():
    schema = JsonObjectSchema(
        properties=dict(
            a=JsonIntegerSchema(default=1),
            b=JsonIntegerSchema(default=2),
            c=JsonStringSchema(const="C"),
        ),
        required=["b"],
    )
    kwargs = {"a": 10, "z": 0}
    subset, rest = schema.process_kwargs_subset(kwargs, ["a", "b", "c", "d"])
    # a given; b missing but required with a default; c a const; d unknown
    assert subset == {"a": 10, "b": 2, "c": "C"} and rest == {"z": 0}
    assert kwargs == {"a": 10, "z": 0}


def test_object_schema_dependencies_and_positional_arguments():
    schema = JsonObjectSchema(
        dict(user=JsonStringSchema(), password=JsonStringSchema()),
        False,
        dependencies={"password": ["user"]},
    )
    assert schema.additional_properties is False
    schema.validate_instance({"user": "u"})
    with pytest.raises(jsonschema.ValidationError, match="'user' is a dependency"):
        schema.validate_instance({"password": "p"})


# --- multi-level datasets ----------------------------------------------------


def global_grid():
    lat = np.linspace(89.875, -89.875, 720)
    lon = np.linspace(-179.875, 179.875, 1440)
    values = np.arange(720 * 1440, dtype="float32").reshape(720, 1440)
    return xr.Dataset({"v": (("lat", "lon"), values)}, coords={"lat": lat, "lon": lon})


def test_number_of_levels_as_xcube():
    from intake_xstores.mldataset import BaseMultiLevelDataset, MultiLevelDataset

    ds = global_grid().chunk(256)
    assert MultiLevelDataset.from_dataset(ds).num_levels == 3  # 1440x720 -> 720x360 -> 360x180
    assert BaseMultiLevelDataset(ds).num_levels == 3


def test_grid_mapping_and_resolutions():
    from intake_xstores.mldataset import BaseMultiLevelDataset, GridMapping

    mlds = BaseMultiLevelDataset(global_grid().chunk({"lat": 180, "lon": 360}))
    gm = mlds.grid_mapping
    assert isinstance(gm, GridMapping)
    assert gm.crs.to_epsg() == 4326 and gm.spatial_unit_name == "degree"
    assert gm.size == (1440, 720) and gm.tile_size == (360, 180) and gm.is_tiled
    assert gm.xy_res == pytest.approx((0.25, 0.25))
    assert gm.xy_bbox == pytest.approx((-180, -90, 180, 90))
    assert gm.is_j_axis_up is False  # latitudes run north to south
    assert mlds.num_levels == 3
    np.testing.assert_allclose(mlds.resolutions, [(0.25, 0.25), (0.5, 0.5), (1.0, 1.0)])
    assert mlds.avg_resolutions == pytest.approx([0.25, 0.5, 1.0])
    assert mlds.get_level_for_resolution(0.1) == 0
    assert mlds.get_level_for_resolution(0.6) == 1
    assert mlds.get_level_for_resolution((1.0, 1.0)) == 2
    assert mlds.get_level_for_resolution(5) == 2
    assert GridMapping.regular((10, 5), (0, 0), 2.0, "EPSG:32633").xy_bbox == (0, 0, 20, 10)


def test_base_multi_level_dataset_as_xcube():
    from intake_xstores.mldataset import BaseMultiLevelDataset

    cube = make_cube(nt=1, ny=8, nx=8)
    mlds = BaseMultiLevelDataset(cube, num_levels=2)
    assert mlds.agg_methods == {"chl": "first", "qc": "first"}  # xcube's default
    np.testing.assert_array_equal(mlds.get_dataset(1).chl.values, cube.chl.values[:, ::2, ::2])
    assert isinstance(mlds.lock, type(threading.RLock()))
    assert len(mlds.ds_id) == 36  # a UUID, as xcube gives
    mlds.ds_id = "mine"
    assert mlds.ds_id == "mine"
    with pytest.raises(TypeError):
        BaseMultiLevelDataset(cube.chl)


def test_mapped_identity_and_combined():
    from intake_xstores.mldataset import (
        CombinedMultiLevelDataset,
        IdentityMultiLevelDataset,
        MultiLevelDataset,
    )

    base = MultiLevelDataset.from_dataset(make_cube(nt=1, ny=8, nx=8), 3)
    same = IdentityMultiLevelDataset(base, ds_id="same")
    assert same.num_levels == 3 and same.get_dataset(2) is base.get_dataset(2)
    doubled = base.apply(lambda ds, factor: ds[["chl"]] * factor, {"factor": 2})
    np.testing.assert_allclose(doubled.get_dataset(1).chl, base.get_dataset(1).chl * 2)
    renamed = base.apply(lambda ds: ds[["chl"]].rename(chl="chl2"))
    combined = CombinedMultiLevelDataset([base, renamed])
    assert set(combined.get_dataset(1).data_vars) == {"chl", "qc", "chl2"}
    merged = CombinedMultiLevelDataset([base, renamed], combiner_function=xr.merge)
    assert "chl2" in merged.get_dataset(0)
    with pytest.raises(ValueError, match="at least two"):
        CombinedMultiLevelDataset([base])


def test_computed_multi_level_dataset_runs_a_script(tmp_path):
    from intake_xstores.mldataset import ComputedMultiLevelDataset, MultiLevelDataset

    (tmp_path / "helpers.py").write_text("FACTOR = 3\n")
    (tmp_path / "compute.py").write_text(
        textwrap.dedent(
            """
            from helpers import FACTOR

            def triple(ds, offset=0):
                return (ds[["chl"]] * FACTOR + offset)
            """
        )
    )
    inputs = {"in": MultiLevelDataset.from_dataset(make_cube(nt=1, ny=8, nx=8), 2)}
    computed = ComputedMultiLevelDataset(
        str(tmp_path / "compute.py"),
        "triple",
        ["in"],
        inputs.__getitem__,
        input_parameters={"offset": 1},
        ds_id="tripled",
    )
    assert computed.num_levels == 2
    np.testing.assert_allclose(
        computed.get_dataset(1).chl, inputs["in"].get_dataset(1).chl * 3 + 1, rtol=1e-6
    )
    with pytest.raises(ValueError, match="not a valid Python identifier"):
        ComputedMultiLevelDataset(
            str(tmp_path / "compute.py"), "triple", ["in"], inputs.__getitem__, {"1x": 1}, "t"
        )
    with pytest.raises(ValueError, match="Invalid dataset descriptor 't'"):
        ComputedMultiLevelDataset(
            str(tmp_path / "compute.py"), "nothing", ["in"], inputs.__getitem__, ds_id="t"
        )


def test_fs_multi_level_dataset_writes_and_opens(tmp_path):
    from intake_xstores.mldataset import FsMultiLevelDataset

    cube = make_cube(nt=1, ny=16, nx=16)
    path = str(tmp_path / "cube.levels")
    assert FsMultiLevelDataset.write_dataset(cube, path, num_levels=3, tile_size=8) == path
    with pytest.raises(DataStoreError, match="already exists"):
        FsMultiLevelDataset.write_dataset(cube, path)
    mlds = FsMultiLevelDataset(path)
    assert (mlds.num_levels, mlds.tile_size, mlds.path) == (3, (8, 8), path)
    assert dict(mlds.get_dataset(2).sizes) == {"time": 1, "lat": 4, "lon": 4}
    store = new_data_store("file", root=str(tmp_path))
    assert store.open_data("cube.levels").num_levels == 3


# --- the xcube docs' snippets, only the import lines changed ------------------

SNIPPET_LIST_STORES = """
from xcube.core.store import find_data_store_extensions

for ex in find_data_store_extensions():
    store_id = ex.name
    store_md = ex.metadata
    print(store_id, "-", store_md.get("description"))
"""

SNIPPET_STORE_IDS = """
from xcube.core.store import list_data_store_ids

list_data_store_ids()
"""

SNIPPET_PLUGIN = """
from xcube.constants import EXTENSION_POINT_DATA_OPENERS
from xcube.constants import EXTENSION_POINT_DATA_STORES
from xcube.constants import EXTENSION_POINT_DATA_WRITERS
from xcube.util import extension

def init_plugin(ext_registry: extension.ExtensionRegistry):

    # register your DataStore extension
    ext_registry.add_extension(
        loader=extension.import_component(
            '{your_package}.store:{YourStoreClass}'),
        point=EXTENSION_POINT_DATA_STORES,
        name="{your_store_id}",
        description='{your store description}'
    )

    # register any extra DataOpener (EXTENSION_POINT_DATA_OPENERS)
    # or DataWriter (EXTENSION_POINT_DATA_WRITERS) extensions (optional)
    ext_registry.add_extension(
        loader=extension.import_component(
            '{your_package}.opener:{YourOpenerClass}'),
        point=EXTENSION_POINT_DATA_OPENERS,
        name="{your_opener_id}",
        description="{your opener description}",
        filename_extensions=[".j2k", ".zarr"],  # adjust or leave empty
    )
"""

SNIPPET_LOCAL_STORE = """
from xcube.core.store import new_data_store

store = new_data_store("file", root=ROOT)
store.write_data(CUBE, "cube.zarr", replace=True)
data_ids = store.list_data_ids()
open_schema = store.get_open_data_params_schema("cube.zarr")
cube = store.open_data("cube.zarr", chunks={"time": 1})
descriptor = store.describe_data("cube.zarr")
results = list(store.search_data(bbox=[9, 49, 15, 54]))
store.delete_data("cube.zarr")
"""

IMPORTS = {
    "from xcube.core.store import": "from intake_xstores import",
    "from xcube.constants import": "from intake_xstores import",
    "from xcube.util import extension": "from intake_xstores import registry as extension",
}


def run_snippet(text: str, **names):
    for xcube_import, ours in IMPORTS.items():
        text = text.replace(xcube_import, ours)
    assert "xcube" not in text
    scope = dict(names)
    exec(compile(text, "<snippet>", "exec"), scope)
    return scope


def test_snippet_list_store_extensions(capsys):
    run_snippet(SNIPPET_LIST_STORES)
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("file - ") for line in lines)
    assert any(line.startswith("reference - ") for line in lines)


def test_snippet_list_store_ids():
    scope = run_snippet(SNIPPET_STORE_IDS)
    assert {"file", "s3", "memory", "reference"} <= set(scope["list_data_store_ids"]())


def test_snippet_plugin_registers_its_store_and_opener():
    scope = run_snippet(SNIPPET_PLUGIN)
    registry = intake_xstores.ExtensionRegistry()
    scope["init_plugin"](registry)
    store = registry.get_extension(intake_xstores.EXTENSION_POINT_DATA_STORES, "{your_store_id}")
    assert store.metadata["description"] == "{your store description}"
    opener = registry.find_extensions(intake_xstores.EXTENSION_POINT_DATA_OPENERS)[0]
    assert opener.metadata["filename_extensions"] == [".j2k", ".zarr"]


def test_snippet_local_store_round_trip(tmp_path):
    scope = run_snippet(SNIPPET_LOCAL_STORE, ROOT=str(tmp_path), CUBE=make_cube())
    assert scope["data_ids"] == ["cube.zarr"]
    assert "chunks" in scope["open_schema"].properties
    assert scope["cube"].chunks["time"] == (1, 1, 1, 1)
    assert scope["descriptor"].bbox == pytest.approx((10.0, 50.0, 14.0, 53.0))
    assert [d.data_id for d in scope["results"]] == ["cube.zarr"]
    assert scope["store"].list_data_ids() == []


class _XcubeStyleLevels(intake_xstores.mldataset.MultiLevelDataset):
    """A subclass written for xcube's abstract MultiLevelDataset: no __init__ call."""

    def __init__(self, dataset):
        self._dataset = dataset

    @property
    def ds_id(self):
        return "mine"

    @property
    def grid_mapping(self):
        from intake_xstores.mldataset import GridMapping

        return GridMapping.from_dataset(self._dataset)

    @property
    def num_levels(self):
        return 2

    def get_dataset(self, index):
        step = slice(None, None, 2**index)
        return self._dataset.isel(lat=step, lon=step)


def test_xcube_style_subclass_gets_the_rest_of_the_api():
    mlds = _XcubeStyleLevels(make_cube(nt=1, ny=8, nx=8))
    assert mlds.resolutions == ((0.5, 0.5), (1.0, 1.0))
    assert mlds.get_level_for_resolution(1.0) == 1
    assert [dict(d.sizes)["lon"] for d in mlds.datasets] == [8, 4]
    assert repr(mlds) == "_XcubeStyleLevels(ds_id='mine', num_levels=2)"
    assert intake_xstores.new_data_descriptor("m", mlds).num_levels == 2
    assert mlds.apply(lambda ds: ds[["chl"]]).get_dataset(1).chl.shape == (1, 4, 4)
