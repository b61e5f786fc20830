"""The xcube-style top-level API, the plugin registry and import lightness."""

import json
import textwrap
from pathlib import Path

import pytest

from intake_xstores import (
    DataStoreParamsError,
    find_data_opener_extensions,
    find_data_store_extensions,
    find_data_writer_extensions,
    get_data_store_class,
    get_data_store_params_schema,
    list_data_store_ids,
    new_data_opener,
    new_data_store,
    new_data_writer,
)
from tests.conftest import make_cube, run_python

REPO = Path(__file__).resolve().parent.parent
BUILTIN_STORES = {"file", "memory", "s3", "abfs", "https", "ftp"}


def test_documented_listing_snippet_prints_stores_with_descriptions():
    out = run_python(
        """
        from intake_xstores import find_data_store_extensions
        for ex in find_data_store_extensions():
            print(ex.name, "-", ex.metadata.get("description"))
        """,
        check=True,
    ).stdout
    lines = dict(line.split(" - ", 1) for line in out.strip().splitlines())
    assert BUILTIN_STORES <= set(lines)
    assert lines["s3"] == "Data store in AWS S3 compatible object storage"


def test_list_data_store_ids():
    ids = list_data_store_ids()
    assert BUILTIN_STORES <= set(ids)
    detail = list_data_store_ids(detail=True)
    assert detail["file"]["description"] == "Data store on the local filesystem"
    assert [e.name for e in find_data_store_extensions(lambda e: e.name == "ftp")] == ["ftp"]


def test_store_params_schema():
    schema = get_data_store_params_schema("s3").to_dict()
    props = schema["properties"]
    assert schema["additionalProperties"] is False
    assert {"root", "max_depth", "read_only", "includes", "excludes", "storage_options"} <= set(
        props
    )
    assert props["max_depth"]["default"] == 1
    s3_options = props["storage_options"]["properties"]
    assert s3_options["use_ssl"]["default"] is True
    assert s3_options["secret"]["writeOnly"] is True
    assert (
        "auto_mkdirs"
        in get_data_store_params_schema("file").to_dict()["properties"]["storage_options"][
            "properties"
        ]
    )
    ftp_port = get_data_store_params_schema("ftp").to_dict()["properties"]["storage_options"][
        "properties"
    ]["port"]
    assert (ftp_port["minimum"], ftp_port["maximum"], ftp_port["default"]) == (0, 65535, 21)
    json.dumps(schema)


def test_unknown_store_id_is_a_clear_error():
    with pytest.raises(DataStoreParamsError, match="Unknown data store ID 'nope'.*'file'"):
        new_data_store("nope")
    with pytest.raises(DataStoreParamsError):
        get_data_store_class("nope")


@pytest.mark.parametrize(
    "params, words",
    [
        ({"rooot": "x"}, ["'memory'", "Unknown parameter", "'rooot'", "root"]),
        ({"max_depth": "2"}, ["'max_depth'", "'2'", "integer"]),
        ({"read_only": "yes"}, ["'read_only'", "'yes'", "boolean"]),
        ({"storage_options": []}, ["'storage_options'", "object"]),
    ],
)
def test_bad_store_params_are_clear_errors(params, words):
    with pytest.raises(DataStoreParamsError) as info:
        new_data_store("memory", **params)
    for word in words:
        assert word in str(info.value)


def test_opener_and_writer_ids_are_composed_from_type_format_protocol(tmp_path):
    openers = {e.name for e in find_data_opener_extensions()}
    assert {"dataset:zarr:s3", "dataset:netcdf:file", "geodataframe:geojson:abfs"} <= openers
    assert {"dataset:zarr:https"} <= openers
    writers = {e.name for e in find_data_writer_extensions(storage_id="https")}
    assert writers == set()  # https is read-only
    zarr_file = find_data_writer_extensions(format_id="zarr", storage_id="file")
    assert [e.name for e in zarr_file] == ["dataset:zarr:file"]

    path = str(tmp_path / "cube.zarr")
    new_data_writer("dataset:zarr:file").write_data(make_cube(), path)
    ds = new_data_opener("dataset:zarr:file").open_data(path)
    assert ds.chl.shape == (4, 6, 8)
    with pytest.raises(DataStoreParamsError, match="'<data_type>:<format>:<protocol>'"):
        new_data_opener("zarr")
    with pytest.raises(DataStoreParamsError, match="Unknown data opener 'dataset:zarr:gopher'"):
        new_data_opener("dataset:zarr:gopher")


def test_third_party_plugin_from_installed_package_registers_a_store():
    # tests/plugin_pkg is pip-installed by `make test`; found via its entry point.
    assert "greetings" in list_data_store_ids()
    store = new_data_store("greetings", name="Intake")
    assert store.list_data_ids() == ["en", "de"]
    assert store.open_data("de").greeting.item() == "Hallo, Intake!"
    with pytest.raises(DataStoreParamsError, match="'name'"):
        new_data_store("greetings", name=1)


def test_broken_plugin_warns_and_others_still_load(tmp_path):
    # A distribution whose init_plugin raises, visible to importlib.metadata
    # exactly as an installed one would be.
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[intake_xstores.plugins]\nbroken = broken_plugin:init_plugin\n"
    )
    (tmp_path / "broken_plugin.py").write_text(
        "def init_plugin(registry):\n    raise RuntimeError('boom')\n"
    )
    result = run_python(
        f"""
        import sys, warnings
        sys.path.insert(0, {str(tmp_path)!r})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from intake_xstores import list_data_store_ids
            print(sorted(list_data_store_ids()))
        for w in caught:
            print("WARNING", w.category.__name__, w.message)
        """,
        check=True,
    )
    assert "'file'" in result.stdout and "'greetings'" in result.stdout
    assert "WARNING RuntimeWarning" in result.stdout
    assert "'broken'" in result.stdout and "boom" in result.stdout


def test_import_is_light():
    result = run_python(
        """
        import sys, time
        t = time.perf_counter()
        import intake_xstores
        from intake_xstores import list_data_store_ids
        list_data_store_ids()
        heavy = ["xarray", "geopandas", "rasterio", "panel", "s3fs", "intake", "zarr", "dask"]
        print([m for m in heavy if m in sys.modules])
        """,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def _fake_distribution(folder, name: str, module_code: str) -> None:
    """A distribution *name* with a plugin entry point, as importlib.metadata sees
    installed ones, whose module ``{name}_plugin`` is *module_code*."""
    dist = folder / f"{name}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[intake_xstores.plugins]\n{name} = {name}_plugin:init_plugin\n"
    )
    (folder / f"{name}_plugin.py").write_text(textwrap.dedent(module_code))


def test_a_plugin_registering_a_builtin_name_warns_and_the_builtin_wins(tmp_path):
    _fake_distribution(
        tmp_path,
        "dup",
        """
        from intake_xstores.registry import EXTENSION_POINT_DATA_STORES

        def init_plugin(registry):
            registry.add_extension(EXTENSION_POINT_DATA_STORES, "file", component=object)
            registry.add_extension(EXTENSION_POINT_DATA_STORES, "dup-store", component=object)
        """,
    )
    result = run_python(
        f"""
        import sys, warnings
        sys.path.insert(0, {str(tmp_path)!r})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from intake_xstores import get_data_store_class, list_data_store_ids
            print(get_data_store_class("file").__name__, "dup-store" in list_data_store_ids())
        for w in caught:
            print("WARNING", w.category.__name__, w.message)
        """,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "FileDataStore True"
    assert lines[1:] == [
        "WARNING RuntimeWarning intake_xstores: plugin 'dup' (dup_plugin:init_plugin) "
        "registers 'file' at 'intake_xstores.stores', which plugin 'intake_xstores' "
        "(intake_xstores.plugin:init_plugin) registered first; the first registration is kept"
    ]


def test_refresh_reads_plugins_installed_since(tmp_path):
    code = """
        from intake_xstores.registry import EXTENSION_POINT_DATA_STORES

        def init_plugin(registry):
            registry.add_extension(EXTENSION_POINT_DATA_STORES, "late", component=object)
        """
    result = run_python(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from intake_xstores import list_data_store_ids
        from intake_xstores.registry import refresh_extension_registry
        print("late" in list_data_store_ids())
        from tests.test_registry import _fake_distribution
        from pathlib import Path
        _fake_distribution(Path({str(tmp_path)!r}), "late", {code!r})
        print("late" in list_data_store_ids())
        refresh_extension_registry()
        print("late" in list_data_store_ids())
        """,
        check=True,
        cwd=str(REPO),
    )
    assert result.stdout.split() == ["False", "False", "True"]


def test_an_injected_registry_with_a_provider_is_used_instead_of_the_global_one():
    from intake_xstores.registry import (
        EXTENSION_POINT_DATA_OPENERS,
        EXTENSION_POINT_DATA_STORES,
        Extension,
        ExtensionProvider,
        ExtensionRegistry,
    )

    class Greeter:
        def __init__(self, **params):
            self.params = params

        @classmethod
        def get_data_store_params_schema(cls):
            return get_data_store_params_schema("memory")

    class Openers(ExtensionProvider):
        """Lists one opener, resolves any ``dataset:hello:<name>``."""

        def find(self, registry, point):
            extension = self.get(registry, point, "dataset:hello:world")
            return [extension] if extension else []

        def get(self, registry, point, name):
            if point != EXTENSION_POINT_DATA_OPENERS or not name.startswith("dataset:hello:"):
                return None
            return Extension(point, name, component=lambda: name, data_type="dataset")

    registry = ExtensionRegistry()
    registry.add_extension(EXTENSION_POINT_DATA_STORES, "greeter", component=Greeter)
    registry.add_provider(Openers())
    assert new_data_store("greeter", extension_registry=registry, root="x").params == {"root": "x"}
    assert [e.name for e in find_data_store_extensions(extension_registry=registry)] == ["greeter"]
    assert "greeter" not in list_data_store_ids()
    found = find_data_opener_extensions(extension_registry=registry)
    assert [e.name for e in found] == ["dataset:hello:world"]
    moon = "dataset:hello:moon"  # not listed, resolved on demand
    assert new_data_opener(moon, extension_registry=registry) == moon
    with pytest.raises(DataStoreParamsError, match="Unknown data opener 'dataset:zarr:file'"):
        new_data_opener("dataset:zarr:file", extension_registry=registry)
