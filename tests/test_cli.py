"""The ``xstores`` command, end to end: run as a user runs it, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from intake_xstores import new_data_store
from intake_xstores.demo import make_demo_data

XSTORES = shutil.which("xstores", path=str(Path(sys.executable).parent))


def xstores(*args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``xstores ARGS``; with *check*, fail the test unless it exits 0."""
    command = [XSTORES] if XSTORES else [sys.executable, "-m", "intake_xstores.cli"]
    env = {k: v for k, v in os.environ.items() if k != "XSTORES_TRACEBACK"}
    result = subprocess.run(
        command + list(args), capture_output=True, text=True, timeout=120, cwd=cwd, env=env
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    """The command failed with one line on stderr (no traceback) mentioning *words*."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("xstores: error: ")
    for word in words:
        assert word in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory) -> str:
    """The demo data (Zarr and NetCDF cubes, GeoTIFF, GeoJSON) in a fresh folder."""
    return str(make_demo_data(tmp_path_factory.mktemp("cli") / "demo_data"))


def test_console_script_is_installed():
    assert XSTORES, "the 'xstores' console script is not installed in this environment"
    assert "list" in xstores("--help").stdout


def test_stores_lists_ids_with_descriptions():
    out = xstores("stores").stdout
    lines = {line.split()[0]: line for line in out.splitlines()}
    for store_id in ("file", "memory", "s3", "https"):
        assert store_id in lines
    assert "local filesystem" in lines["file"]
    assert json.loads(xstores("stores", "--json").stdout)["s3"]["description"]


def test_params_table_and_json_schema():
    out = xstores("params", "s3").stdout
    header, rule, *rows = out.splitlines()
    assert header.split() == ["NAME", "TYPE", "DEFAULT", "DESCRIPTION"]
    by_name = {row.split()[0]: row for row in rows}
    assert by_name["max_depth"].split()[1:3] == ["integer|null", "1"]
    assert "(secret)" in by_name["storage_options.secret"]
    assert "storage_options.client_kwargs.endpoint_url" in by_name
    schema = json.loads(xstores("params", "file", "--json").stdout)
    assert schema["type"] == "object"
    assert schema["properties"]["read_only"]["default"] is False


def test_list_data_ids(demo_root):
    out = xstores("list", "file", "--param", f"root={demo_root}", "--param", "max_depth=2").stdout
    assert set(out.split()) >= {"cubes/chl.zarr", "cubes/sst.nc", "regions.geojson"}
    # max_depth parsed as the integer 1 hides the cubes/ folder's content
    shallow = xstores("list", "file", "-p", f"root={demo_root}", "-p", "max_depth=1").stdout
    assert "cubes/chl.zarr" not in shallow.split() and "regions.geojson" in shallow.split()
    vector = xstores(
        "list", "file", "-p", f"root={demo_root}", "-p", "max_depth=2", "-t", "geodataframe"
    ).stdout
    assert vector.split() == ["regions.geojson"]


def test_list_with_attrs(demo_root):
    params = ("-p", f"root={demo_root}", "-p", "max_depth=2")
    out = xstores("list", "file", *params, "--attrs").stdout
    header, _, *rows = out.splitlines()
    assert header.split()[:3] == ["DATA_ID", "DATA_TYPE", "CRS"]
    chl = next(row for row in rows if row.startswith("cubes/chl.zarr"))
    assert "2023-06-01" in chl and "EPSG:4326" in chl and chl.rstrip().endswith("chl")
    full = json.loads(
        xstores("list", "file", *params, "--attrs", "bbox,time_range", "--json").stdout
    )
    assert full["cubes/chl.zarr"]["time_range"] == ["2023-06-01", "2023-06-10"]
    assert full["regions.geojson"]["bbox"] == [-4.0, 40.0, 30.0, 60.0]


def test_describe(demo_root):
    out = xstores("describe", "file", "cubes/chl.zarr", "-p", f"root={demo_root}").stdout
    d = yaml.safe_load(out)
    assert d["data_type"] == "dataset"
    assert d["bbox"] == [-10.0, 30.0, 30.0, 60.0]
    assert d["dims"] == {"time": 10, "lat": 120, "lon": 160}
    assert d["data_vars"]["chl"]["attrs"]["units"] == "mg m-3"
    assert "open_params_schema" not in d
    full = json.loads(
        xstores("describe", "file", "regions.geojson", "-p", f"root={demo_root}", "--json").stdout
    )
    assert full["data_type"] == "geodataframe"
    assert "columns" in full["open_params_schema"]["properties"]


def test_open_params(demo_root):
    out = xstores("open-params", "file", "cubes/chl.zarr", "-p", f"root={demo_root}").stdout
    rows = {line.split()[0]: line for line in out.splitlines()[2:]}
    assert rows["decode_cf"].split()[1:3] == ["boolean", "true"]
    assert "drop_variables" in rows and "chunks" in rows
    schema = json.loads(
        xstores("open-params", "file", "cubes/sst.nc", "-p", f"root={demo_root}", "--json").stdout
    )
    assert "consolidated" not in schema["properties"]  # a Zarr-only parameter
    drop_variables = schema["properties"]["drop_variables"]["anyOf"]
    assert [s["type"] for s in drop_variables] == ["string", "array"]


def test_copy_netcdf_to_zarr_with_progress(demo_root, tmp_path):
    result = xstores(
        "copy",
        "file:cubes/sst.nc",
        "file:copies/sst.zarr",
        "--src-param",
        f"root={demo_root}",
        "--dst-param",
        f"root={tmp_path}",
    )
    assert "file:cubes/sst.nc -> file:copies/sst.zarr" in result.stdout
    assert "100%" in result.stderr  # the progress bar ran to the end
    source = new_data_store("file", root=demo_root).open_data("cubes/sst.nc")
    copy = new_data_store("file", root=str(tmp_path), max_depth=2).open_data("copies/sst.zarr")
    assert (tmp_path / "copies" / "sst.zarr").is_dir()
    assert copy.sst.shape == source.sst.shape
    assert float(abs(copy.sst - source.sst).max()) == 0.0
    assert copy.sst.attrs["units"] == "K"

    again = xstores(
        "copy",
        "file:cubes/sst.nc",
        "file:copies/sst.zarr",
        "--src-param",
        f"root={demo_root}",
        "--dst-param",
        f"root={tmp_path}",
        "-q",
        check=False,
    )
    assert_one_line_error(again, "already exists", "--replace")
    replaced = xstores(
        "copy",
        "file:cubes/sst.nc",
        "file:copies/sst.zarr",
        "--src-param",
        f"root={demo_root}",
        "--dst-param",
        f"root={tmp_path}",
        "--replace",
        "-q",
    )
    assert replaced.stderr == ""  # --quiet: no progress bar


def test_copy_keeps_data_id_and_passes_open_params(demo_root, tmp_path):
    xstores(
        "copy",
        "file:regions.geojson",
        "file",
        "--src-param",
        f"root={demo_root}",
        "--dst-param",
        f"root={tmp_path}",
        "-q",
    )
    assert (tmp_path / "regions.geojson").is_file()
    xstores(
        "copy",
        "file:cubes/chl.zarr",
        "file:chl.nc",
        "--src-param",
        f"root={demo_root}",
        "--dst-param",
        f"root={tmp_path}",
        "--open-param",
        'drop_variables=["chl"]',
        "-q",
    )
    copy = new_data_store("file", root=str(tmp_path)).open_data("chl.nc")
    assert "chl" not in copy.data_vars and copy.sizes["time"] == 10


def test_copy_zarr_to_s3(demo_root, s3_store_params):
    options = s3_store_params["storage_options"]
    xstores(
        "copy",
        "file:cubes/chl.zarr",
        "s3:cubes/chl.zarr",
        "--src-param",
        f"root={demo_root}",
        "--dst-param",
        f"root={s3_store_params['root']}",
        "--dst-param",
        f"storage_options={json.dumps(options)}",
    )
    s3 = new_data_store("s3", **s3_store_params, max_depth=2)
    assert s3.list_data_ids() == ["cubes/chl.zarr"]
    assert s3.open_data("cubes/chl.zarr").chl.shape == (10, 120, 160)


def test_copy_into_read_only_store_fails(demo_root, tmp_path):
    result = xstores(
        "copy",
        "file:cubes/sst.nc",
        "file:x.zarr",
        "--src-param",
        f"root={demo_root}",
        "--dst-param",
        f"root={tmp_path}",
        "--dst-param",
        "read_only=true",
        check=False,
    )
    assert_one_line_error(result)
    assert not (tmp_path / "x.zarr").exists()


def test_catalog_yaml_opens_in_intake(demo_root, tmp_path):
    intake = pytest.importorskip("intake")
    out = xstores(
        "catalog", "file", "-p", f"root={demo_root}", "-p", "max_depth=2", "--name", "local"
    ).stdout
    entry = yaml.safe_load(out)["sources"]["local"]
    assert entry["driver"] == "xstore"
    assert entry["parameters"]["max_depth"]["default"] == 2
    path = tmp_path / "stores.yaml"
    path.write_text(out)
    cat = intake.open_catalog(str(path))
    assert list(cat) == ["local"]
    assert "cubes/chl.zarr" in list(cat.local)


@pytest.mark.parametrize(
    "args, words",
    [
        (["list", "no-such-store"], ["no-such-store", "installed are"]),
        (["list", "file", "-p", "max_depth=zero"], ["max_depth", "zero"]),
        (["list", "file", "-p", "no_equals_sign"], ["KEY=VALUE"]),
        (["list", "file", "-p", "colour=blue"], ["colour"]),
        (["describe", "file", "missing.zarr"], ["missing.zarr"]),
        (["copy", "file", "memory:x.zarr"], ["STORE:DATA_ID"]),
    ],
)
def test_errors_are_one_line(args, words, tmp_path):
    assert_one_line_error(xstores(*args, check=False, cwd=tmp_path), *words)


def test_usage_error_exits_2():
    result = xstores("describe", check=False)
    assert result.returncode == 2 and "usage: xstores describe" in result.stderr


def test_secrets_never_printed(tmp_path):
    secret = "Sup3rS3cretValue"
    # A failing s3 store (nothing listens on port 1) given a key and secret:
    result = xstores(
        "list",
        "s3",
        "-p",
        "root=bucket",
        "-p",
        f"storage_options.key=AKIA{secret}",
        "-p",
        f"storage_options.secret={secret}",
        "-p",
        "storage_options.client_kwargs.endpoint_url=http://127.0.0.1:1",
        "-p",
        'storage_options.config_kwargs={"retries": {"max_attempts": 1}, "connect_timeout": 1}',
        check=False,
    )
    assert_one_line_error(result)
    assert secret not in result.stderr + result.stdout
    out = xstores(
        "catalog", "s3", "-p", "root=bucket", "-p", f"storage_options.secret={secret}"
    ).stdout
    assert secret not in out
    assert "AWS_SECRET_ACCESS_KEY" in out  # the secret comes from the environment instead


@pytest.fixture(scope="module")
def big_netcdf(tmp_path_factory) -> Path:
    """A NetCDF of one 21 MB variable, stored unchunked (read as one chunk)."""
    import numpy as np
    import xarray as xr

    root = tmp_path_factory.mktemp("big")
    ds = xr.Dataset(
        {"sst": (("time", "lat", "lon"), np.zeros((20, 512, 512), "float32"))},
        coords={"time": np.arange(20), "lat": np.arange(512.0), "lon": np.arange(512.0)},
    )
    ds.to_netcdf(root / "sst.nc")
    return root


def zarr_chunks(path: Path, name: str) -> list[int]:
    return json.loads((path / name / ".zarray").read_text())["chunks"]


def copy_big(big_netcdf: Path, tmp_path: Path, *options: str) -> subprocess.CompletedProcess:
    """``xstores copy`` of the big NetCDF to ``sst.zarr`` in *tmp_path*."""
    return xstores(
        "copy",
        "file:sst.nc",
        "file:sst.zarr",
        "--src-param",
        f"root={big_netcdf}",
        "--dst-param",
        f"root={tmp_path}",
        *options,
    )


def test_copy_writes_sensible_chunks_and_counts_them(big_netcdf, tmp_path):
    result = copy_big(big_netcdf, tmp_path)
    chunks = zarr_chunks(tmp_path / "sst.zarr", "sst")
    nbytes = 4 * chunks[0] * chunks[1] * chunks[2]
    assert 2**20 < nbytes <= 8 * 2**20, chunks  # not one 21 MB chunk
    written = len([p for p in (tmp_path / "sst.zarr" / "sst").iterdir() if p.name[0] != "."])
    bar = [line for line in result.stderr.replace("\r", "\n").splitlines() if "100%" in line][-1]
    assert bar.startswith("writing sst.zarr: 100%") and "chunk" in bar
    assert f"{written + 3}/{written + 3} [" in bar  # the variable's chunks and 3 coordinates


def test_copy_takes_chunks_and_encoding(big_netcdf, tmp_path):
    encoding = '{"sst": {"dtype": "float64"}}'
    copy_big(big_netcdf, tmp_path, "--chunks", "time=1,lat=256", "--encoding", encoding, "-q")
    assert zarr_chunks(tmp_path / "sst.zarr", "sst") == [1, 256, 512]
    copy = new_data_store("file", root=str(tmp_path)).open_data("sst.zarr")
    assert copy.sst.dtype == "float64" and copy.sst.shape == (20, 512, 512)
    bad = xstores("copy", "file:sst.nc", "file:x.zarr", "--chunks", "time=0", check=False)
    assert bad.returncode == 2 and "time=0: a size is a positive integer, -1 or auto" in bad.stderr
