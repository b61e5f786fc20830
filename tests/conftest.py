"""Shared fixtures.

Store conformance tests take the ``new_store`` fixture, which makes fresh
empty stores of every protocol in ``WRITABLE_PROTOCOLS``. A protocol joins
by providing a ``<protocol>_store_params`` fixture (see ``servers.py`` for
the protocols backed by real servers on loopback).
"""

import subprocess
import sys
import textwrap
import uuid

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from intake_xstores import new_data_store

pytest_plugins = ["tests.servers"]
pytest_plugins.append("tests.service_kit")  # fake web services: fake_service, ...

WRITABLE_PROTOCOLS = ["file", "memory", "s3", "abfs", "ftp"]


def run_python(code: str, **kwargs) -> subprocess.CompletedProcess:
    """*code* (dedented) run by a fresh interpreter, as a user's program starts:
    what a light import leaves out shows only there."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, **kwargs
    )


@pytest.fixture
def file_store_params(tmp_path):
    return {"root": str(tmp_path / "store")}


@pytest.fixture
def memory_store_params():
    return {"root": f"/test-{uuid.uuid4().hex}"}


@pytest.fixture(params=WRITABLE_PROTOCOLS)
def protocol(request):
    return request.param


@pytest.fixture
def new_store(protocol, request):
    """``new_store(**params)`` makes a store of ``protocol`` on a fresh root."""
    base = request.getfixturevalue(f"{protocol}_store_params")

    def make(**params):
        return new_data_store(protocol, **{**base, **params})

    return make


def make_cube(nt=4, ny=6, nx=8, chunks=None, seed=0) -> xr.Dataset:
    """A small CF-style lat/lon cube with a float and an integer variable."""
    rng = np.random.default_rng(seed)
    ds = xr.Dataset(
        {
            "chl": (("time", "lat", "lon"), rng.random((nt, ny, nx)).astype("float32")),
            "qc": (("time", "lat", "lon"), rng.integers(0, 4, (nt, ny, nx)).astype("int16")),
        },
        coords={
            "time": pd.date_range("2021-03-01", periods=nt, freq="D"),
            "lat": 50.0 + 0.5 * np.arange(ny) + 0.25,
            "lon": 10.0 + 0.5 * np.arange(nx) + 0.25,
        },
        attrs={"title": "test cube"},
    )
    ds["chl"].attrs["units"] = "mg m-3"
    return ds.chunk(chunks) if chunks else ds


@pytest.fixture
def cube():
    return make_cube()
