"""The Intake 2 face: readers, data types, catalogs, and the v1 drivers over them.

``catalogs/stores-v2.yaml`` is read with ``intake.from_yaml_file`` next to the
same demo data as ``catalogs/stores.yaml`` (tests/test_intake.py), and one
table of cases runs through both faces, comparing results and errors.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import geopandas as gpd
import intake
import pytest
import xarray as xr
import yaml
from intake.readers.entry import Catalog

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from intake_xstores.intake import XStoreSource
from intake_xstores.intake.v2 import (
    SchemaParameter,
    StoreCatalog,
    XStore,
    XStoreCatalogReader,
    XStoreData,
    XStoreReader,
)
from intake_xstores.mldataset import MultiLevelDataset
from tests.conftest import run_python

from .conftest import make_cube
from .test_intake import fill_store, s3_env  # noqa: F401 - s3_env is a fixture

pytestmark = pytest.mark.filterwarnings(
    "ignore:Shell command not executed due to getshell=False:UserWarning"
)

REPO = Path(__file__).resolve().parent.parent
CATALOGS = REPO / "catalogs"


@pytest.fixture(scope="module")
def showcase(tmp_path_factory) -> Path:
    """Both showcase catalogs next to demo data (and a multi-level cube) made for the tests."""
    root = tmp_path_factory.mktemp("showcase2")
    (root / "catalogs").mkdir()
    for name in ("stores.yaml", "stores-v2.yaml"):
        shutil.copy(CATALOGS / name, root / "catalogs" / name)
    store = new_data_store("file", root=str(root / "demo_data"), max_depth=3)
    fill_store(store)
    pyramid = MultiLevelDataset.from_dataset(make_cube(ny=32, nx=32), num_levels=2)
    store.write_data(pyramid, "pyramid.levels")
    return root / "catalogs"


@pytest.fixture
def cat(showcase) -> Catalog:
    return intake.from_yaml_file(str(showcase / "stores-v2.yaml"))


@pytest.fixture
def v1cat(showcase):
    return intake.open_catalog(str(showcase / "stores.yaml"))


@pytest.fixture
def local(cat) -> StoreCatalog:
    return cat.local.read()


# --- how Intake 2 finds and offers our classes -----------------------------------


def test_import_intake_registers_our_readers_converters_and_data_types():
    code = (
        "import intake\n"
        "from intake.readers.utils import subclasses\n"
        "names = {c.__name__ for c in subclasses(intake.BaseReader) | "
        "subclasses(intake.BaseData) if c.__module__.startswith('intake_xstores')}\n"
        "print(sorted(names))"
    )
    out = run_python(code, check=True)
    names = eval(out.stdout)
    for name in ("XStoreReader", "XStoreCatalogReader", "XStore", "XStoreData", "ToXStore"):
        assert name in names


def test_recommend_offers_our_readers_for_our_data_types(tmp_path):
    # the data must exist: a store tells the data types of its data only (as xcube)
    new_data_store("file", root=str(tmp_path)).write_data(make_cube(), "cube.zarr")
    store = XStore("file", {"root": str(tmp_path)})
    assert intake.recommend(store)["importable"] == [XStoreCatalogReader]
    data = XStoreData("file", {"root": str(tmp_path)}, "cube.zarr")
    assert list(data.possible_outputs.items()) == [(XStoreReader, "xarray:Dataset")]
    assert isinstance(data.to_reader(), XStoreReader)


def test_an_unknown_store_or_a_missing_data_id_is_refused_when_described():
    with pytest.raises(DataStoreError, match="no-such-store"):
        XStore("no-such-store")
    with pytest.raises(DataStoreParamsError, match="data_id"):
        XStoreData("file", {"root": "."}, "")


# --- the showcase catalog of stores -----------------------------------------------


def test_stores_v2_has_the_stores_of_stores_yaml(cat, v1cat):
    assert list(cat) == list(v1cat)
    for name in cat:
        assert cat[name].data.store_id == v1cat[name].store_id
        declared = {p["name"]: p.get("default") for p in v1cat[name].describe()["user_parameters"]}
        parameters = cat.entries[name].user_parameters
        assert set(declared) <= set(parameters)
        for key, default in declared.items():
            assert isinstance(parameters[key], SchemaParameter)
            if not str(default).startswith("env("):
                assert parameters[key].default == default, (name, key)


def test_stores_v2_local_store_has_the_entries_and_data_of_stores_yaml(local, v1cat):
    assert sorted(local) == sorted(v1cat.local)
    xr.testing.assert_identical(local.my_cube.read(), v1cat.local.my_cube.to_dask())
    entry = local.entries["my_cube.zarr"]
    assert entry.metadata["bbox"] == [10.0, 50.0, 14.0, 53.0]
    assert entry.metadata["time_range"] == ["2021-03-01", "2021-03-04"]
    assert sorted(entry.metadata["data_vars"]) == ["chl", "qc"]
    assert entry.output_instance == "xarray:Dataset"


def test_store_parameters_are_user_parameters_and_reader_arguments(cat):
    assert len(list(cat(max_depth=1).local.read())) == 3  # my_cube, pyramid, regions
    assert len(list(cat.local(max_depth=1).read())) == 3
    with pytest.raises(DataStoreParamsError, match="max_depth.*0.*>= 1"):
        cat(max_depth=0).local  # noqa: B018
    memory = cat.memory.read()
    assert memory.store.root.endswith("xstores") and list(memory) == []


@pytest.mark.usefixtures("s3_env")
def test_remote_store_takes_location_and_secrets_from_the_environment(cat, s3_endpoint):
    s3 = cat.s3.read()
    assert "my_cube.zarr" in s3
    xr.testing.assert_identical(s3.my_cube.read(), make_cube())
    text = repr(cat.s3.data) + repr(cat.entries["s3"]) + repr(s3.entries["my_cube.zarr"])
    assert s3_endpoint["secret"] not in text
    assert "{env(AWS_SECRET_ACCESS_KEY)}" in repr(cat.entries["s3"])


@pytest.mark.usefixtures("s3_env")
def test_secrets_given_outright_never_show_and_are_saved_as_env_templates(
    s3_store_params, s3_endpoint, tmp_path, monkeypatch
):
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    params = {**s3_store_params, "max_depth": 3}
    reader = XStoreCatalogReader("s3", params)
    s3 = reader.read()
    source = s3["my_cube.zarr"]
    shown = [repr(reader), repr(reader.data), repr(s3), repr(source), str(s3.entries)]
    shown += [repr(source.to_entry()), repr(reader.to_dict()), repr(source.to_dict())]
    path = tmp_path / "s3.yaml"
    s3.to_yaml_file(str(path))
    shown.append(path.read_text())
    assert not [text for text in shown if s3_endpoint["secret"] in text]
    assert "{env(AWS_SECRET_ACCESS_KEY)}" in path.read_text()
    # the saved catalog reads the secret from the environment
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_endpoint["secret"])
    xr.testing.assert_identical(
        Catalog.from_yaml_file(str(path))["my_cube.zarr"].read(), make_cube()
    )


# --- one table of cases through both faces ----------------------------------------

CASES = {
    "cube": ("my_cube.zarr", {}),
    "cube in a folder": ("testing/data/cube.zarr", {}),
    "multi-level cube": ("pyramid.levels", {}),
    "GeoDataFrame": ("regions.geojson", {}),
    "open parameters": ("cubes/sst.nc", {"chunks": {"time": 1}, "drop_variables": ["qc"]}),
    "data type as parameter": ("pyramid.levels", {"data_type": "dataset"}),
    "bad parameter": ("my_cube.zarr", {"chunks": {"time": 0}}),
    "unknown parameter": ("my_cube.zarr", {"colour": "blue"}),
    "missing data ID": ("nope.zarr", {}),
}


def _outcome(read) -> tuple[str, object]:
    try:
        return "data", read()
    except (KeyError, DataStoreError, ValueError) as error:
        return type(error).__name__, str(error)


def _v1(v1cat, data_id, params):
    source = v1cat.local[data_id](**params)
    if source.data_type == "mldataset":
        return source.to_mldataset()
    return source.read() if source.container == "dataframe" else source.to_dask()


def _v2(local, data_id, params):
    return local(**params)[data_id].read()


@pytest.mark.parametrize("case", list(CASES))
def test_both_faces_give_the_same_data_and_errors(case, local, v1cat):
    data_id, params = CASES[case]
    kind1, one = _outcome(lambda: _v1(v1cat, data_id, params))
    kind2, two = _outcome(lambda: _v2(local, data_id, params))
    assert kind1 == kind2
    if kind1 == "DataIdLookupError":  # each face's catalog names its own root
        assert f"No data ID {data_id!r} in data store 'file'" in one
        assert f"No data ID {data_id!r} in data store 'file'" in two
    elif kind1 != "data":
        assert one == two
        assert any(key in one for key in params)
    elif isinstance(one, MultiLevelDataset):
        assert one.num_levels == two.num_levels == 2
        for level in range(one.num_levels):
            xr.testing.assert_identical(one.get_dataset(level), two.get_dataset(level))
    elif isinstance(one, gpd.GeoDataFrame):
        assert one.equals(two) and one.crs == two.crs
    else:
        xr.testing.assert_identical(one, two)
        assert one.chunks == two.chunks


@pytest.mark.parametrize("case", ["cube", "missing data ID", "bad parameter"])
def test_engine_level_source_and_reader_agree(case, showcase):
    data_id, params = CASES[case]
    store = ("file", {"root": str(showcase.parent / "demo_data")}, data_id)
    kind1, one = _outcome(lambda: XStoreSource(*store, open_params=params).to_dask())
    kind2, two = _outcome(lambda: XStoreReader(*store, **params).read())
    assert kind1 == kind2
    if kind1 == "data":
        xr.testing.assert_identical(one, two)
    else:
        assert one == two


def test_open_parameters_are_the_same_user_parameters_in_both_faces(local, v1cat):
    for data_id in ("my_cube.zarr", "cubes/sst.nc", "regions.geojson", "pyramid.levels"):
        v1 = {p["name"]: p for p in v1cat.local[data_id].describe()["user_parameters"]}
        v2 = local.entries[data_id].user_parameters
        assert list(v1) == list(v2)
        for name, parameter in v2.items():
            assert parameter.type == v1[name]["type"]
            assert parameter.default == v1[name].get("default")
            assert getattr(parameter, "allowed", None) == v1[name].get("allowed")


def test_v1_sources_open_through_the_v2_reader(v1cat, monkeypatch):
    opened = []
    original = XStoreReader._read

    def spy(self, data, **open_params):
        opened.append((data.data_id, open_params))
        return original(self, data, **open_params)

    monkeypatch.setattr(XStoreReader, "_read", spy)
    v1cat.local.my_cube(chunks={"time": 2}).to_dask()
    v1cat.local.pyramid.to_mldataset()
    assert opened == [("my_cube.zarr", {"chunks": {"time": 2}}), ("pyramid.levels", {})]
    assert isinstance(v1cat.local.reader, XStoreCatalogReader)
    assert sorted(v1cat.local.reader.read()) == sorted(v1cat.local)


# --- laziness, search, pickling ---------------------------------------------------


def test_store_catalog_lists_once_and_only_when_needed(cat, monkeypatch):
    from intake_xstores.fs.store import FsDataStore

    calls = []
    original = FsDataStore.get_data_ids

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FsDataStore, "get_data_ids", counting)
    local = cat.local.read()
    assert local["cubes/sst.nc"].read().chl.shape[0] == 2
    assert "regions.geojson" in local
    assert calls == []
    assert len(list(local)) == 5
    local.my_cube, local.sst, list(local), repr(local.entries)  # noqa: B018
    assert calls == [1]
    assert "my_cube" in dir(local)
    local.force_reload()
    list(local)
    assert calls == [1, 1]


def test_search_maps_to_the_stores_search(local):
    assert list(local.search(data_type="geodataframe")) == ["regions.geojson"]
    assert list(local.search(bbox=[0, 0, 1, 1])) == []
    found = local.search("sst", time_range=["2021-03-01", "2021-03-02"])
    assert list(found) == ["cubes/sst.nc"]
    assert found["cubes/sst.nc"].read().chl.shape[0] == 2


def test_readers_and_store_catalogs_pickle(local):
    reader = local["my_cube.zarr"](chunks={"time": 2})
    clone = pickle.loads(pickle.dumps(reader))
    xr.testing.assert_identical(clone.read(), reader.read())
    assert sorted(pickle.loads(pickle.dumps(local))) == sorted(local)
    configured = pickle.loads(pickle.dumps(local(chunks={"time": 2})))
    assert configured["my_cube.zarr"].read().chl.chunks[0] == (2, 2)


# --- YAML round trips ---------------------------------------------------------------


def test_catalog_of_stores_round_trips_through_yaml(cat, showcase):
    path = showcase / "again.yaml"  # beside the original: {CATALOG_DIR} stays the same
    cat.to_yaml_file(str(path))
    again = Catalog.from_yaml_file(str(path))
    path.write_text(yaml.safe_dump(again.to_dict()))  # twice: the classes must survive
    again = Catalog.from_yaml_file(str(path))
    assert sorted(again) == sorted(cat)
    for name in cat:
        assert again.entries[name].to_dict() == cat.entries[name].to_dict()
    xr.testing.assert_identical(again.local.read().my_cube.read(), make_cube())
    with pytest.raises(DataStoreParamsError, match="max_depth"):
        again(max_depth="zero").local  # noqa: B018


def test_store_catalog_round_trips_through_yaml(local, tmp_path):
    path = tmp_path / "local.yaml"
    local(chunks={"time": 1}).to_yaml_file(str(path))  # values given are not saved
    again = Catalog.from_yaml_file(str(path))
    assert sorted(again) == sorted(local)
    entry = again.entries["pyramid.levels"]
    assert entry.metadata == local.entries["pyramid.levels"].metadata
    assert isinstance(entry.user_parameters["data_type"], SchemaParameter)
    pyramid = again(data_type="mldataset")["pyramid.levels"].read()
    assert isinstance(pyramid, MultiLevelDataset) and pyramid.num_levels == 2
    assert again["regions.geojson"].read().equals(local["regions.geojson"].read())


def test_cli_writes_a_v2_catalog_of_a_store(showcase, tmp_path):
    from .test_cli import xstores

    root = showcase.parent / "demo_data"
    out = xstores("catalog", "file", "-p", f"root={root}", "-p", "max_depth=3", "--v2").stdout
    path = tmp_path / "file.yaml"
    path.write_text(out)
    written = intake.from_yaml_file(str(path))
    assert list(written) == ["file"]
    assert written.entries["file"].user_parameters["max_depth"].default == 3
    assert sorted(written.file.read()) == sorted(
        new_data_store("file", root=str(root), max_depth=3).get_data_ids()
    )


# --- transforms and converters on what we produce ------------------------------------


def test_intake_transforms_chain_onto_our_readers(local, tmp_path):
    cube = local["my_cube.zarr"]
    assert cube.sel(time="2021-03-02").read().chl.shape == (6, 8)
    assert cube.transform["pandas:DataFrame"].read().shape == (4 * 6 * 8, 2)
    netcdf = cube.transform["intake.readers.datatypes:HDF5"](url=str(tmp_path / "c.nc")).read()
    xr.testing.assert_identical(xr.open_dataset(netcdf.url).load(), make_cube())
    pyramid = local["pyramid.levels"]
    assert pyramid.transform["xarray:Dataset"](level=1).read().chl.shape == (4, 16, 16)
    assert pyramid.auto_pipeline("pandas:DataFrame").read().shape == (4 * 32 * 32, 2)
    table = local["regions.geojson"].transform["pandas:DataFrame"].read()
    assert list(table.columns) == ["name", "id", "geometry"]
    assert table.geometry[0].startswith("POLYGON")


def test_data_written_into_a_store_by_a_pipeline_reads_back(local, memory_store_params):
    write = local["my_cube.zarr"].transform[XStoreData.qname()]
    written = write(store_id="memory", store_params=memory_store_params, data_id="c.zarr").read()
    assert isinstance(written, XStoreData) and written.data_id == "c.zarr"
    xr.testing.assert_identical(XStoreReader(written).read(), make_cube())


def test_cli_v2_catalog_keeps_secrets_in_the_environment():
    from .test_cli import xstores

    out = xstores(
        "catalog", "s3", "-p", "root=b", "-p", "storage_options.secret=S3CR3T", "--v2"
    ).stdout
    assert "S3CR3T" not in out
    options = yaml.safe_load(out)["entries"]["s3"]["kwargs"]["store_params"]["storage_options"]
    assert options == {"secret": "{env(AWS_SECRET_ACCESS_KEY)}"}
