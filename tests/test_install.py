"""A new user's first hour: what the install lacks is named, every entry of the
showcase catalog works after the demo or says what it needs, and nothing
prints a traceback at exit.

The clean-venv installs themselves are ``tests/install_check.py`` (``make test``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from intake_xstores import DataStoreParamsError, new_data_store
from intake_xstores.demo import make_demo_data
from intake_xstores.fs.extensions import format_classes
from intake_xstores.fs.protocols import PROTOCOLS
from tests.conftest import make_cube

REPO = Path(__file__).resolve().parent.parent


def run_without(module: str, code: str) -> list[str]:
    """Run *code* in a new interpreter where ``import module`` fails as if it
    were not installed; its output lines."""
    prelude = f"import sys\nsys.modules[{module!r}] = None\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


_ERRORS_OF = """
from intake_xstores import DataStoreError, new_data_store

def error_of(call, *args):
    try:
        call(*args)
    except DataStoreError as error:
        return f"{type(error).__name__}: {error}"
    return "no DataStoreError"
"""


# --- a missing extra is named -------------------------------------------------

FORMAT_FILES = {
    "geotiff": "dem.tif",
    "j2k": "a.jp2",
    "geojson": "regions.geojson",
    "shapefile": "a.shp",
}


@pytest.mark.parametrize(
    ("format_id", "module"),
    [(f.id, m) for f in format_classes() for m in f.needs.modules],
)
def test_a_format_without_its_library_names_the_extra(format_id, module, tmp_path):
    data_id = FORMAT_FILES[format_id]
    (tmp_path / data_id).write_bytes(b"not read")
    lines = run_without(
        module,
        _ERRORS_OF
        + f"""
store = new_data_store("file", root={str(tmp_path)!r})
print(store.list_data_ids())  # listing needs no format's library
print(error_of(store.open_data, {data_id!r}))
print(error_of(store.describe_data, {data_id!r}))
""",
    )
    assert lines[0] == str([data_id])
    for message in lines[1:]:  # hiding one module may break another that needs it
        missing = message.removeprefix(f"DataStoreError: The {format_id} format needs ")
        assert module in missing.split(", which")[0].split(", "), message
        assert message.endswith('not installed: pip install "intake_xstores[geo]"'), message


@pytest.mark.parametrize("protocol", [p for p in PROTOCOLS if p.needs.modules], ids=str)
def test_a_protocol_without_its_library_names_the_extra(protocol):
    module = protocol.needs.modules[0]
    root = "https://127.0.0.1:1/x" if protocol.name == "https" else "bucket"
    store = f"new_data_store({protocol.name!r}, root={root!r})"
    [message] = run_without(module, _ERRORS_OF + f"print(error_of({store}.list_data_ids))")
    assert message == (
        f"DataStoreError: The {protocol.name!r} protocol needs {module}, which is not "
        'installed: pip install "intake_xstores[remote]"'
    )


def test_the_intake_face_names_the_extra_too(showcase):
    [message] = run_without(
        "geopandas",
        _ERRORS_OF
        + f"""
import intake
print(error_of(lambda: intake.open_catalog({str(showcase)!r}).local.regions.read()))
""",
    )
    assert message.startswith("DataStoreError: The geojson format needs geopandas")
    assert message.endswith('pip install "intake_xstores[geo]"')


def test_installed_libraries_pass_the_check():
    for fmt in format_classes():
        assert fmt.needs.missing() == []
    assert all(not p.needs.missing() for p in PROTOCOLS)


# --- the https store needs a root it can reach -----------------------------------


@pytest.mark.parametrize(
    "params", [{}, {"root": ""}, {"root": "data.example.org/cubes"}, {"root": "ftp://host/x"}]
)
def test_the_https_store_requires_an_http_root(params):
    with pytest.raises(DataStoreParamsError, match="root") as error:
        new_data_store("https", **params)
    if params:
        assert repr(params["root"]) in str(error.value)
        assert "https?://" in str(error.value)


def test_other_stores_keep_their_default_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert new_data_store("file").root == ""
    assert new_data_store("https", root="http://127.0.0.1:1/data").root.startswith("http://")


# --- every entry of the showcase catalog, after the demo's data ------------------


@pytest.fixture(scope="module")
def showcase(tmp_path_factory) -> Path:
    """``catalogs/`` copied next to the data ``make demo`` makes."""
    home = tmp_path_factory.mktemp("first-hour")
    shutil.copytree(REPO / "catalogs", home / "catalogs")
    make_demo_data(home / "demo_data")
    return home / "catalogs" / "stores.yaml"


@pytest.fixture
def loopback_env(monkeypatch, s3_endpoint, s3_store_params, abfs_store_params, https_server):
    """The catalog's environment variables, pointing at the loopback servers."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "AZURE_", "XSTORES_")):
            monkeypatch.delenv(name)
    s3 = new_data_store("s3", **s3_store_params)
    s3.write_data(make_cube(), "cube.zarr")
    abfs = new_data_store("abfs", **abfs_store_params)
    abfs.write_data(make_cube(), "cube.zarr")
    monkeypatch.setenv("XSTORES_S3_ROOT", s3_store_params["root"])
    monkeypatch.setenv("XSTORES_S3_ENDPOINT_URL", s3_endpoint["endpoint_url"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_endpoint["key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_endpoint["secret"])
    monkeypatch.setenv("XSTORES_ABFS_ROOT", abfs_store_params["root"])
    monkeypatch.setenv(
        "AZURE_STORAGE_CONNECTION_STRING",
        abfs_store_params["storage_options"]["connection_string"],
    )
    monkeypatch.setenv("XSTORES_HTTPS_ROOT", f"{https_server['url']}/data")
    monkeypatch.setenv("SSL_CERT_FILE", https_server["ca_file"])


EXPECTED = {
    "local": "cubes/chl.zarr",
    "memory": None,  # empty until written to
    "s3": "cube.zarr",
    "abfs": "cube.zarr",
    "https": "cubes/chl.zarr",
    "reference": "sst",
}


def test_every_entry_of_the_showcase_opens(showcase, loopback_env, https_server):
    import intake

    from intake_xstores import list_data_store_ids

    cat = intake.open_catalog(str(showcase))
    # the plugin stores' entries default to their real services; their tests
    # point them at loopback fakes (tests/test_plugin_*.py)
    assert set(EXPECTED) <= set(cat)
    assert set(cat) - set(EXPECTED) <= set(list_data_store_ids()), "an entry of no store"
    for name, data_id in EXPECTED.items():
        entry = cat[name]
        if name == "https":  # the catalog cannot pass an SSL context; the store can
            entry = entry(storage_options={"ssl": https_server["ssl_context"]})
        data_ids = list(entry)
        if data_id is None:
            assert data_ids == [], name
            continue
        assert data_id in data_ids, (name, data_ids)
        ds = entry[data_id].to_dask()
        assert ds.sizes, name


def test_the_reference_entry_reads_the_demo_netcdf(showcase):
    import intake
    import xarray as xr

    cat = intake.open_catalog(str(showcase))
    via_refs = cat.reference.sst.to_dask()
    netcdf = xr.open_dataset(showcase.parent.parent / "demo_data" / "cubes" / "sst.nc")
    xr.testing.assert_allclose(via_refs.compute(), netcdf)


def test_the_https_entry_without_its_variable_says_it_needs_a_root(showcase, monkeypatch):
    import intake

    monkeypatch.delenv("XSTORES_HTTPS_ROOT", raising=False)
    https = intake.open_catalog(str(showcase)).https  # made: the others still list
    with pytest.raises(DataStoreParamsError) as error:
        list(https)
    assert "Data store 'https': Missing required parameter: 'root'" in str(error.value)
    assert "InvalidUrlClientError" not in str(error.value)


# --- no traceback at interpreter exit ------------------------------------------

_WRITE_AND_READ = textwrap.dedent(
    """
    import json, sys
    from intake_xstores import new_data_store
    from tests.conftest import make_cube

    for protocol, params in json.loads(sys.argv[1]).items():
        store = new_data_store(protocol, **params)
        store.write_data(make_cube(), "cube.zarr")
        assert float(store.open_data("cube.zarr").chl.mean()) > 0
        assert store.list_data_ids() == ["cube.zarr"]
    print("done")
    """
)


def test_no_traceback_at_exit_after_abfs_and_s3(abfs_store_params, s3_store_params):
    params = json.dumps({"abfs": abfs_store_params, "s3": s3_store_params})
    done = subprocess.run(
        [sys.executable, "-c", _WRITE_AND_READ, params],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert "Traceback" not in done.stderr
    assert "Loop is not running" not in done.stderr


def test_no_traceback_at_exit_after_the_cli(abfs_store_params):
    store = new_data_store("abfs", **abfs_store_params)
    store.write_data(make_cube(), "cube.zarr")
    options = abfs_store_params["storage_options"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "intake_xstores.cli",
            "describe",
            "abfs",
            "cube.zarr",
            "-p",
            f"root={abfs_store_params['root']}",
            "-p",
            f"storage_options.connection_string={options['connection_string']}",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert "data_id: cube.zarr" in done.stdout
    assert "Traceback" not in done.stderr
