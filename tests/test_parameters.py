"""Parameters behave as users expect, in every face.

Text values (GUI fields, ``--param``, YAML templates) are read strictly by
their schema; dates are checked; ``chunks`` and ``drop_variables`` mean what
they mean in ``xarray.open_dataset``, and a name the dataset lacks is an error.
"""

from __future__ import annotations

import os
import subprocess
import sys

import dask.array as da
import intake
import numpy as np
import pytest

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from intake_xstores.coercion import coerce_text
from intake_xstores.intake import store_catalog_yaml
from tests.conftest import make_cube

pytestmark = pytest.mark.filterwarnings(
    "ignore:Shell command not executed due to getshell=False:UserWarning"
)

BOOLEAN = {"type": "boolean"}
INTEGER = {"type": "integer", "minimum": 0}
NUMBER = {"type": "number"}
NULLABLE_INT = {"type": ["integer", "null"]}
STRING_OR_LIST = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


@pytest.mark.parametrize(
    "schema, text, value",
    [
        (BOOLEAN, "false", False),
        (BOOLEAN, "False", False),
        (BOOLEAN, " TRUE ", True),
        (INTEGER, "2", 2),
        (INTEGER, "2.0", 2),
        (NUMBER, "2", 2.0),
        (NUMBER, "1e-3", 0.001),
        (NULLABLE_INT, "None", None),
        (NULLABLE_INT, "null", None),
        (STRING_OR_LIST, "qc", "qc"),
        (STRING_OR_LIST, "['qc', 'chl']", ["qc", "chl"]),
        (STRING_OR_LIST, '["qc"]', ["qc"]),
        ({"type": "string"}, "2023", "2023"),
        ({"type": "array"}, "(1, 2)", [1, 2]),
        ({"type": "object"}, '{"time": 1}', {"time": 1}),
    ],
)
def test_text_is_read_as_its_schema_type(schema, text, value):
    got = coerce_text(schema, text, "p")
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    "schema, text, allowed",
    [
        (BOOLEAN, "maybe", "true or false"),
        (BOOLEAN, "1", "true or false"),
        (INTEGER, "1.5", "an integer"),
        (INTEGER, "two", "an integer"),
        (NUMBER, "NaN-ish", "a number"),
        ({"type": "array"}, "qc", "a list"),
        (NULLABLE_INT, "nothing", "an integer or null"),
    ],
)
def test_text_that_is_none_of_the_types_is_an_error_naming_the_parameter(schema, text, allowed):
    with pytest.raises(DataStoreParamsError) as info:
        coerce_text(schema, text, "my_param")
    message = str(info.value)
    assert "'my_param'" in message and repr(text) in message and allowed in message


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> str:
    """A local store with a chunked Zarr cube, the same cube as NetCDF, and a GeoTIFF."""
    import rioxarray  # noqa: F401 - the .rio accessor

    path = tmp_path_factory.mktemp("params") / "data"
    store = new_data_store("file", root=str(path))
    store.write_data(make_cube(chunks={"time": 1}), "cube.zarr")
    store.write_data(make_cube(), "cube.nc")
    raster = make_cube()[["chl"]].isel(time=0, drop=True).rename(lat="y", lon="x")
    raster = raster.rio.write_crs("EPSG:4326").rio.set_spatial_dims("x", "y")
    raster["chl"].rio.to_raster(path / "chl.tif")
    return str(path)


@pytest.fixture
def cat(root):
    return intake.open_xstore("file", root=root)


def test_intake_entry_reads_text_strictly(cat):
    raw = cat["cube.zarr"](decode_cf="false").to_dask()
    assert np.issubdtype(raw.time.dtype, np.number)  # not decoded: "false" is False
    assert cat["cube.zarr"](decode_cf="true").to_dask().time.dtype.kind == "M"
    assert cat["cube.zarr"](cache_size="1024").open_params == {"cache_size": 1024}
    with pytest.raises(DataStoreParamsError, match=r"'decode_cf': 'maybe'; allowed: true or false"):
        cat["cube.zarr"](decode_cf="maybe")
    with pytest.raises(DataStoreParamsError, match=r"'cache_size': '1\.5'; allowed: an integer"):
        cat["cube.zarr"](cache_size="1.5")
    # a source made without an entry reads text the same way
    source = intake.open_xstore_data(
        "file", {"root": cat.store.root}, "cube.zarr", open_params={"decode_cf": "false"}
    )
    assert np.issubdtype(source.to_dask().time.dtype, np.number)


def test_yaml_declared_parameters_read_text_strictly(root, tmp_path):
    """Intake itself would read "false" for a bool parameter as True."""
    path = tmp_path / "generated.yaml"
    path.write_text(store_catalog_yaml("file", {"root": root}, name="mine"))
    cat = intake.open_catalog(str(path))
    assert cat.mine(read_only="false").store.read_only is False
    assert cat.mine(read_only="true").store.read_only is True
    assert cat.mine(max_depth="2").store.params["max_depth"] == 2
    with pytest.raises(DataStoreParamsError, match="'read_only': 'maybe'"):
        cat.mine(read_only="maybe")


def xstores(*args: str, cwd: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "intake_xstores.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)


def test_cli_params_are_read_by_the_same_rule(root):
    parent, name = os.path.split(root)
    os.makedirs(os.path.join(parent, "2023"), exist_ok=True)
    new_data_store("file", root=os.path.join(parent, "2023")).write_data(make_cube(), "y.zarr")
    # "2023" is a folder name (a string), not the number JSON would make of it
    listed = xstores("list", "file", "-p", "root=2023", "-p", "read_only=False", cwd=parent)
    assert listed.stdout.split() == ["y.zarr"], listed.stderr
    bad = xstores("list", "file", "-p", f"root={name}", "-p", "read_only=maybe", cwd=parent)
    assert bad.returncode != 0
    assert "'read_only': 'maybe'; allowed: true or false" in bad.stderr


def test_dates_are_checked_by_the_schema(cat):
    for search in (cat.store.search_data, cat.search):
        with pytest.raises(DataStoreParamsError, match=r"'time_range\.0': 'not-a-date'.*ISO 8601"):
            list(search(time_range=["not-a-date", None]))
    found = cat.search(time_range=["2021-03-02T12:00:00Z", None])
    assert sorted(found) == ["cube.nc", "cube.zarr"]
    assert list(cat.search(time_range=["2022-01-01", None])) == []


@pytest.mark.parametrize("chunks", [{}, None, -1, "auto", 2, {"time": 2, "lat": -1}])
@pytest.mark.parametrize("data_id", ["cube.zarr", "cube.nc"])
def test_chunks_mean_what_they_mean_in_xarray(root, data_id, chunks):
    import xarray as xr

    ours = new_data_store("file", root=root).open_data(data_id, chunks=chunks)
    theirs = xr.open_dataset(os.path.join(root, data_id), chunks=chunks)
    assert ours.chl.chunks == theirs.chl.chunks
    assert isinstance(ours.chl.data, da.Array) == (chunks is not None)
    if data_id == "cube.zarr" and chunks == {}:
        assert ours.chl.chunks[0] == (1, 1, 1, 1)  # the stored chunking
    # and the same through Intake, given as text
    text = chunks if isinstance(chunks, str) else repr(chunks)
    via_intake = intake.open_xstore("file", root=root)[data_id](chunks=text).to_dask()
    assert via_intake.chl.chunks == theirs.chl.chunks


def test_chunk_and_variable_names_must_exist_in_every_format(cat):
    for data_id in ("cube.zarr", "cube.nc"):
        ds = cat[data_id](drop_variables="qc").to_dask()
        assert list(ds.data_vars) == ["chl"]
        with pytest.raises(
            DataStoreParamsError,
            match=r"'chunks'.*no dimension 'tiem' \(did you mean 'time'\?\).*: time, lat, lon",
        ):
            cat[data_id](chunks={"tiem": 2}).to_dask()
        with pytest.raises(DataStoreParamsError, match=r"'drop_variables'.*'qcc'.*chl, qc"):
            cat[data_id](drop_variables=["chl", "qcc"]).to_dask()
    with pytest.raises(DataStoreError, match=r"'chl.tif' as geotiff.*'lat'.*'y', 'x'"):
        cat["chl.tif"](chunks={"lat": 2}).to_dask()
    assert cat["chl.tif"](chunks={"x": 4}).to_dask().band_1.chunks[1] == (4, 4)
