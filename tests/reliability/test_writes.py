"""Writes never partial, never lost, never two winners (issue 19, area C).

Fault injection: a failing computation during an append, writers killed with
SIGKILL at seeded random moments, two writers of one data ID at once, an S3
connection cut mid-write, a full disk. Afterwards the data ID opens as the
complete old or the complete new dataset (after the automatic recovery on
next access), or not at all if it did not exist before.
"""

import os
import random
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import xarray as xr

from intake_xstores import DataStoreError, new_data_store
from tests.conftest import WRITABLE_PROTOCOLS, make_cube

OLD = make_cube(nt=8, seed=1).chunk({"time": 1})
NEW = make_cube(nt=8, seed=2).chunk({"time": 1})


def _which(store, data_id):
    """'old', 'new' or 'absent': what *data_id* opens as, compared value by value."""
    if not store.has_data(data_id):
        return "absent"
    ds = store.open_data(data_id).compute()
    for name, cube in (("old", OLD), ("new", NEW)):
        if ds.sizes == cube.sizes and np.array_equal(ds["chl"].values, cube["chl"].values):
            xr.testing.assert_identical(ds, cube.compute())
            return name
    raise AssertionError(f"{data_id} is neither the old nor the new dataset:\n{ds}")


def _hidden(store):
    """Hidden entries (temps, journals) left in the store's root folder."""
    store.fs.invalidate_cache()
    names = [p.rstrip("/").rsplit("/", 1)[-1] for p in store.fs.ls(store._root_path, detail=False)]
    return [n for n in names if n.startswith(".")]


def _exploding(cube):
    def explode(block):
        raise RuntimeError("computation failed")

    bad = cube.copy()
    bad["chl"] = bad["chl"].copy(data=bad["chl"].data.map_blocks(explode, dtype="float32"))
    return bad


@pytest.mark.parametrize("protocol", WRITABLE_PROTOCOLS)
def test_failed_append_leaves_the_dataset_as_before(new_store, protocol):
    store = new_store()
    store.write_data(OLD, "c.zarr")
    more = make_cube(nt=8, seed=3).assign_coords(time=OLD.time + np.timedelta64(8, "D"))
    with pytest.raises(DataStoreError, match="Cannot write 'c.zarr'.*computation failed"):
        store.write_data(_exploding(more.chunk({"time": 1})), "c.zarr", append_dim="time")
    assert _which(new_store(), "c.zarr") == "old"
    store.write_data(more, "c.zarr", append_dim="time")  # the next append works
    assert store.open_data("c.zarr").sizes["time"] == 16
    with pytest.raises(DataStoreError, match="append_dim.*'nope'.*'time'"):
        store.write_data(more, "c.zarr", append_dim="nope")


@pytest.mark.parametrize("protocol", WRITABLE_PROTOCOLS)
@pytest.mark.parametrize("replace", [False, True])
def test_two_writers_one_winner(new_store, protocol, replace):
    """Two writers of one data ID at once: never a mix; with replace=False exactly one wins."""
    store = new_store()
    if replace:
        store.write_data(OLD, "c.zarr")
    barrier = threading.Barrier(2)
    results = {}

    def write(name, cube):
        writer = new_store()  # its own store, as another program would have
        barrier.wait()
        try:
            writer.write_data(cube, "c.zarr", replace=replace)
            results[name] = "ok"
        except DataStoreError as error:
            results[name] = str(error)

    threads = [
        threading.Thread(target=write, args=("new", NEW)),
        threading.Thread(target=write, args=("new2", NEW)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    winners = [k for k, v in results.items() if v == "ok"]
    losers = [v for v in results.values() if v != "ok"]
    if not replace:
        assert len(winners) == 1, results
        assert "in progress" in losers[0] or "already exists" in losers[0]
    for message in losers:
        assert "'c.zarr'" in message or "c.zarr" in message
    assert _which(new_store(), "c.zarr") == "new"
    assert _hidden(new_store()) == []


_WRITER = """
import sys, json, time
from intake_xstores import new_data_store
from tests.reliability.test_writes import NEW
protocol, params = sys.argv[1], json.loads(sys.argv[2])
store = new_data_store(protocol, **params)
store.write_data(NEW, "warm-up.zarr", replace=True)  # imports what writing needs
start = time.perf_counter()
store.write_data(NEW, "warm-up.zarr", replace=True)
print(time.perf_counter() - start, flush=True)
sys.stdin.readline()
store.write_data(NEW, "c.zarr", replace=True)
"""


def _json_params(params):
    import json

    return json.dumps(params)


@pytest.mark.parametrize("protocol", ["file", "s3", "abfs", "ftp"])
def test_killed_writers_leave_old_or_new(new_store, protocol):
    """SIGKILL at seeded random moments of a replace: old or new, never a mix or nothing."""
    rng = random.Random(19)
    store = new_store()
    seen = []
    runs = 6 if protocol == "file" else 4  # remote writes are slow: fewer, still seeded
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    for _ in range(runs):
        store.write_data(OLD, "c.zarr", replace=True)
        params = {k: v for k, v in store._params.items() if k in ("root", "storage_options")}
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITER, protocol, _json_params(params)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        duration = float(child.stdout.readline())  # of a write like the one killed
        child.stdin.write("go\n")
        child.stdin.flush()
        time.sleep(rng.uniform(0.0, 1.3 * duration))
        child.kill()
        child.wait(30)
        seen.append(_which(new_store(), "c.zarr"))
    print(f"{protocol}: {runs} kills, outcomes {seen}")
    assert set(seen) <= {"old", "new"}, seen
    new_store().cleanup()
    assert _hidden(new_store()) == []


def test_ftp_lock_left_by_a_killed_writer_is_taken_over(ftp_store_params, monkeypatch):
    """FTP locks are folders made before the journal is written: a writer killed
    between the two leaves a lock alone, which must not refuse every later write."""
    from intake_xstores.fs.kinds import FtpKind

    monkeypatch.setattr(FtpKind, "ORPHAN_SECONDS", 0.5)
    store = new_data_store("ftp", **ftp_store_params)
    store.write_data(OLD, "c.zarr")
    store.fs.mkdir(f"{store._root_path}/.journal-c.zarr.lock")  # the killed writer's lock

    store.write_data(NEW, "c.zarr", replace=True)

    assert _which(store, "c.zarr") == "new"
    assert _hidden(store) == []


class _CuttingProxy:
    """Forwards loopback TCP to *target*; after *budget* bytes from clients it cuts
    every connection and refuses new ones (a server dying mid-write)."""

    def __init__(self, target: tuple[str, int], budget: int):
        self.target, self.budget = target, budget
        self.sent = 0
        self.cut = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.cut.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source, sink, counted):
        try:
            while data := source.recv(65536):
                if counted:
                    self.sent += len(data)
                    if self.sent > self.budget:
                        self.close()
                        return
                sink.sendall(data)
        except OSError:
            pass

    def close(self):
        self.cut.set()
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


def test_s3_connection_cut_mid_write_reports_the_write_error(s3_store_params):
    import urllib.parse

    endpoint = s3_store_params["storage_options"]["client_kwargs"]["endpoint_url"]
    target = urllib.parse.urlsplit(endpoint)
    direct = new_data_store("s3", **s3_store_params)
    direct.write_data(OLD, "c.zarr")
    proxy = _CuttingProxy((target.hostname, target.port), budget=60_000)
    options = dict(s3_store_params["storage_options"])
    options["client_kwargs"] = {
        **options["client_kwargs"],
        "endpoint_url": f"http://127.0.0.1:{proxy.port}",
    }
    options["config_kwargs"] = {
        "retries": {"max_attempts": 1},
        "connect_timeout": 2,
        "read_timeout": 5,
    }
    options["skip_instance_cache"] = True
    cut = new_data_store("s3", **{**s3_store_params, "storage_options": options})
    try:
        with pytest.raises(DataStoreError) as info:
            cut.write_data(NEW, "c.zarr", replace=True)
    finally:
        proxy.close()
    message = str(info.value)
    assert "'c.zarr'" in message and ".tmp-" not in message.split("\n")[0]
    fresh = new_data_store("s3", **s3_store_params)
    assert _which(fresh, "c.zarr") in ("old", "new")
    fresh.write_data(NEW, "c.zarr", replace=True)  # the next write cleans up and works
    fresh.cleanup()
    assert _hidden(fresh) == []


def test_leftover_temps_cleaned_by_next_write_and_cleanup(tmp_path):
    store = new_data_store("file", root=str(tmp_path))
    make_cube().to_zarr(tmp_path / ".tmp-0123456789ab-c.zarr", zarr_format=2)
    make_cube().to_zarr(tmp_path / ".tmp-0123456789ab-d.zarr", zarr_format=2)
    store.write_data(make_cube(), "c.zarr")
    assert not (tmp_path / ".tmp-0123456789ab-c.zarr").exists()
    assert (tmp_path / ".tmp-0123456789ab-d.zarr").exists()
    assert store.cleanup() == [str(tmp_path / ".tmp-0123456789ab-d.zarr")]
    assert sorted(os.listdir(tmp_path)) == ["c.zarr"]


@pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="mounting needs root")
def test_full_disk_during_netcdf_write_is_a_clear_error(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        store = new_data_store("file", root=str(mount))
        big = make_cube(nt=40, ny=40, nx=40)
        with pytest.raises(DataStoreError, match="No space left to write 'big.nc'") as info:
            store.write_data(big, "big.nc")
        assert "No space left" in str(info.value) or "space" in str(info.value).lower()
        assert os.listdir(mount) == []
    finally:
        subprocess.run(["umount", str(mount)])


def test_xstores_clean_command(tmp_path):
    store = new_data_store("file", root=str(tmp_path))
    store.write_data(make_cube(), "c.zarr")
    make_cube().to_zarr(tmp_path / ".tmp-0123456789ab-d.zarr", zarr_format=2)
    result = subprocess.run(
        [sys.executable, "-m", "intake_xstores.cli", "clean", "file", "-p", f"root={tmp_path}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert ".tmp-0123456789ab-d.zarr" in result.stdout
    assert sorted(os.listdir(tmp_path)) == ["c.zarr"]
