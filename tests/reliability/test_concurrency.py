"""Concurrency and load (issue 19, area E): threads opening NetCDF through the
store, remote NetCDF datasets pickled for workers, a source made without I/O.

FTP from several threads too: its single connection is shared in turns.
"""

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from intake_xstores import new_data_store
from tests.conftest import make_cube

THREADS, OPENS = 8, 48


def _open_and_sum(store, data_id):
    return float(store.open_data(data_id)["chl"].sum().compute())


def test_local_netcdf_opened_from_many_threads(tmp_path):
    """In a child process, since a crash (not an exception) is what used to happen."""
    code = textwrap.dedent(f"""
        from concurrent.futures import ThreadPoolExecutor
        from intake_xstores import new_data_store
        from tests.conftest import make_cube
        store = new_data_store("file", root={str(tmp_path)!r})
        for i in range(4):
            store.write_data(make_cube(seed=i), f"c{{i}}.nc")
        def work(k):
            return float(store.open_data(f"c{{k % 4}}.nc")["chl"].sum().compute())
        with ThreadPoolExecutor({THREADS}) as pool:
            sums = list(pool.map(work, range({OPENS})))
        expected = [float(make_cube(seed=k % 4)["chl"].sum()) for k in range({OPENS})]
        assert all(abs(a - b) < 1e-3 for a, b in zip(sums, expected)), sums
        print("ok")
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd="."
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize("protocol", ["s3", "abfs"])
def test_remote_netcdf_opened_from_many_threads(protocol, request):
    store = new_data_store(protocol, **request.getfixturevalue(f"{protocol}_store_params"))
    cube = make_cube()
    store.write_data(cube, "c.nc")
    with ThreadPoolExecutor(4) as pool:
        sums = list(pool.map(lambda _: _open_and_sum(store, "c.nc"), range(12)))
    np.testing.assert_allclose(sums, float(cube["chl"].sum()), rtol=1e-5)


def test_source_constructs_without_io(ftp_store_params):
    """An unreachable FTP server is noticed when data is read, not on construction."""
    from intake_xstores.intake.source import XStoreSource

    params = {**ftp_store_params}
    params["storage_options"] = {**params["storage_options"], "port": 9, "timeout": 2}
    source = XStoreSource("ftp", params, "c.zarr")
    assert source.data_id == "c.zarr"
    with pytest.raises(Exception, match="Cannot connect"):
        source.read()


def test_remote_netcdf_dataset_pickles_for_workers(abfs_store_params):
    import pickle

    store = new_data_store("abfs", **abfs_store_params)
    cube = make_cube()
    store.write_data(cube, "c.nc")
    ds = pickle.loads(pickle.dumps(store.open_data("c.nc")))
    np.testing.assert_allclose(float(ds["chl"].sum()), float(cube["chl"].sum()), rtol=1e-5)


def test_ftp_netcdf_opened_from_many_threads(ftp_store_params):
    """FTP has a single connection: every call on it, the store's own checks
    included, takes its turn. Bounded by joins, since a hung FTP call cannot
    be interrupted."""
    import threading
    import time

    store = new_data_store("ftp", **ftp_store_params)
    cube = make_cube()
    store.write_data(cube, "c.nc")
    results: list = []

    def work():
        try:
            results.append(_open_and_sum(store, "c.nc"))
        except Exception as error:  # reported below, with the sums
            results.append(error)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(4 * 3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "an FTP call hung"
    assert all(isinstance(r, float) for r in results), results
    np.testing.assert_allclose(results, float(cube["chl"].sum()), rtol=1e-5)
