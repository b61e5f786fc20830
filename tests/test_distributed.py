"""Beyond one machine: a ``dask.distributed`` cluster of two worker processes
computes on cubes opened from S3 (moto) through both faces, and gets what a
local computation gets.
"""

from __future__ import annotations

import os

import intake
import numpy as np
import pytest
from dask.distributed import Client, LocalCluster

from intake_xstores import new_data_store
from tests.conftest import make_cube

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with cluster, Client(cluster) as client:
        yield client


@pytest.fixture
def s3_cube(s3_store_params):
    """Store parameters of an S3 store holding the test cube, in chunks along time."""
    new_data_store("s3", **s3_store_params).write_data(make_cube(chunks={"time": 1}), "cube.zarr")
    return s3_store_params


def _worker_pids(client) -> set[int]:
    return set(client.run(os.getpid).values())


def test_the_cluster_has_two_worker_processes(client):
    pids = _worker_pids(client)
    assert len(pids) == 2 and os.getpid() not in pids


def _local_mean() -> float:
    return float(np.mean(make_cube().chl.values))


def test_a_mean_through_new_data_store(client, s3_cube):
    cube = new_data_store("s3", **s3_cube).open_data("cube.zarr")
    assert cube.chl.data.npartitions == 4
    mean = client.compute(cube.chl.mean()).result()
    assert float(mean) == pytest.approx(_local_mean(), rel=1e-6)


def test_a_mean_through_the_intake_face(client, s3_cube):
    catalog = intake.open_xstore("s3", **s3_cube)
    cube = catalog["cube.zarr"].to_dask()
    mean = client.compute(cube.chl.mean()).result()
    assert float(mean) == pytest.approx(_local_mean(), rel=1e-6)


def _open_and_mean(opener) -> tuple[int, float]:
    """Runs on a worker: open there, compute there."""
    import dask

    with dask.config.set(scheduler="synchronous"):
        return os.getpid(), float(opener().chl.mean())


def test_stores_and_sources_travel_to_workers(client, s3_cube):
    store = new_data_store("s3", **s3_cube)
    source = intake.open_xstore("s3", **s3_cube)["cube.zarr"]
    for opener in (lambda: store.open_data("cube.zarr"), source.to_dask):
        pid, mean = client.submit(_open_and_mean, opener, pure=False).result()
        assert pid in _worker_pids(client)
        assert mean == pytest.approx(_local_mean(), rel=1e-6)


def test_netcdf_on_azure_blob_computes_on_workers(client, abfs_store_params):
    """A remote NetCDF file's lazy chunks are read by the workers, not the client."""
    store = new_data_store("abfs", **abfs_store_params)
    store.write_data(make_cube(), "cube.nc")
    cube = store.open_data("cube.nc", chunks={"time": 1})
    assert cube.chl.data.npartitions == 4
    mean = client.compute(cube.chl.mean()).result(timeout=120)
    assert float(mean) == pytest.approx(_local_mean(), rel=1e-6)
    source = intake.open_xstore("abfs", **abfs_store_params)["cube.nc"]
    pid, mean = client.submit(_open_and_mean, source.to_dask, pure=False).result(timeout=120)
    assert pid in _worker_pids(client)
    assert mean == pytest.approx(_local_mean(), rel=1e-6)
