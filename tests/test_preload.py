"""The preload API: states, handles, the default of stores, the CLI and Intake faces.

Stores that preload are stood in for by ``staging`` (tests/plugin_pkg), a
plugin store whose NetCDF files are copied into a ``file`` cache store as
Zarr in slow steps, as Zenodo's are downloaded and converted.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
import xarray as xr
from nbclient import NotebookClient

from intake_xstores import (
    DataStoreError,
    DataStoreParamsError,
    ExecutorPreloadHandle,
    NullPreloadHandle,
    PreloadState,
    PreloadStatus,
    new_data_store,
)
from intake_xstores.intake.source import XStoreSource
from intake_xstores.store import preloaded_location
from tests.conftest import make_cube

XSTORES = shutil.which("xstores", path=str(Path(sys.executable).parent))


# --- states -------------------------------------------------------------------------


def test_state_update_merges_what_the_event_gives():
    state = PreloadState("a", PreloadStatus.started, 0.2, "downloading")
    state.update(PreloadState("a", progress=0.5))
    assert state == PreloadState("a", PreloadStatus.started, 0.5, "downloading")
    state.update(PreloadState("b", progress=0.9))  # another data ID's event
    assert state.progress == 0.5
    assert repr(state) == (
        "PreloadState(data_id='a', status=PreloadStatus.started, progress=0.5, "
        "message='downloading')"
    )
    assert str(PreloadStatus.failed) == "FAILED"
    assert PreloadStatus.cancelled.is_terminal and not PreloadStatus.started.is_terminal


def test_null_handle_has_nothing_to_report():
    with NullPreloadHandle() as handle:
        assert handle.get_state("x") == PreloadState("x")
        assert not handle.cancelled
        assert handle.wait()


# --- the executor handle ---------------------------------------------------------------


def stepping(handle, data_id, steps=3, fail=(), gate=None):
    """A preload task: *steps* progress events; fails for IDs in *fail*."""
    for step in range(steps):
        if gate is not None:
            gate.wait()
        handle.raise_if_cancelled()
        handle.notify(PreloadState(data_id, progress=(step + 1) / steps, message=f"step {step}"))
    if data_id in fail:
        raise OSError(f"cannot fetch {data_id}")


def test_blocking_preload_reports_completed_and_failed_ids():
    events = []
    handle = ExecutorPreloadHandle(
        ["a", "b", "c"],
        preload_data=stepping,
        max_workers=2,
        silent=True,
        monitor=lambda h, event: events.append((event.data_id, event.status, event.progress)),
        fail=("b",),
    )
    assert handle.done
    assert handle.get_state("a").status is PreloadStatus.completed
    assert handle.get_state("a").progress == 1.0
    failed = handle.get_state("b")
    assert failed.status is PreloadStatus.failed
    assert isinstance(failed.exception, OSError)
    assert failed.message == "OSError: cannot fetch b"
    a_events = [e for e in events if e[0] == "a"]
    assert a_events[0] == ("a", PreloadStatus.started, None)
    assert [e[2] for e in a_events[1:-1]] == [1 / 3, 2 / 3, 1.0]
    assert a_events[-1] == ("a", PreloadStatus.completed, 1.0)
    assert repr(handle) == "ExecutorPreloadHandle(3 data IDs: completed=2, failed=1)"
    table = str(handle).splitlines()
    assert table[0].split() == ["Data", "ID", "Status", "Progress", "Message"]
    assert table[3].split()[:3] == ["b", "FAILED", "100%"]


def test_at_most_max_workers_tasks_run_at_once():
    running, peak, lock = [0], [0], threading.Lock()
    pair = threading.Barrier(2, timeout=30)  # needs two tasks at once: max_workers=1 would fail

    def task(handle, data_id):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        pair.wait()
        with lock:
            running[0] -= 1

    handle = ExecutorPreloadHandle(list("abcd"), preload_data=task, max_workers=2, silent=True)
    assert peak[0] == 2
    assert {s.status for s in handle.states} == {PreloadStatus.completed}


def test_non_blocking_preload_returns_at_once_and_can_be_waited_for():
    gate = threading.Event()
    handle = ExecutorPreloadHandle(
        ["a"], preload_data=stepping, blocking=False, silent=True, gate=gate
    )
    assert not handle.done
    assert handle.get_state("a").status in (PreloadStatus.waiting, PreloadStatus.started)
    assert not handle.wait(timeout=0.01)
    gate.set()
    assert handle.wait()
    assert handle.get_state("a").status is PreloadStatus.completed


def test_cancel_stops_running_tasks_and_waiting_ones_never_start():
    started = []
    gate = threading.Event()

    def task(handle, data_id):
        started.append(data_id)
        gate.wait()
        handle.raise_if_cancelled()
        raise AssertionError("a cancelled task went on")

    handle = ExecutorPreloadHandle(
        ["a", "b", "c"], preload_data=task, max_workers=1, blocking=False, silent=True
    )
    while not started:
        threading.Event().wait(0.01)
    handle.cancel()
    gate.set()
    handle.wait()
    assert started == ["a"]
    assert [s.status for s in handle.states] == [PreloadStatus.cancelled] * 3
    assert handle.cancelled


def test_terminal_states_are_final():
    handle = ExecutorPreloadHandle(["a"], preload_data=stepping, silent=True)
    handle.notify(PreloadState("a", PreloadStatus.started, 0.1, "late news"))
    assert handle.get_state("a") == PreloadState("a", PreloadStatus.completed, 1.0, "step 2")


def test_close_cancels_what_still_runs():
    gate = threading.Event()
    with ExecutorPreloadHandle(
        ["a"], preload_data=stepping, blocking=False, silent=True, gate=gate
    ) as handle:
        handle.cancel()
        gate.set()
    assert handle.done
    assert handle.get_state("a").status is PreloadStatus.cancelled


def test_progress_bars_per_data_id_in_a_terminal(capsys):
    ExecutorPreloadHandle(["first.nc", "second.nc"], preload_data=stepping)
    err = capsys.readouterr().err
    assert re.search(r"first\.nc +COMPLETED", err) and "second.nc COMPLETED" in err
    assert "100%" in err


def test_html_table_escapes_and_shows_progress():
    handle = ExecutorPreloadHandle(["<x>"], preload_data=stepping, silent=True)
    page = handle._repr_html_()
    assert "&lt;x&gt;" in page and "<x>" not in page
    assert '<progress value="1.000" max="1">' in page
    assert "COMPLETED" in page


def test_live_table_in_a_notebook(tmp_path):
    """In a Jupyter kernel, progress is one HTML table updated in place."""
    code = (
        "from intake_xstores import ExecutorPreloadHandle, PreloadState\n"
        "def work(handle, data_id):\n"
        "    handle.notify(PreloadState(data_id, progress=0.5, message='half'))\n"
        "handle = ExecutorPreloadHandle(['a.nc', 'b.nc'], preload_data=work)\n"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute(cwd=str(tmp_path))
    outputs = notebook.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"]  # no tqdm text on stderr
    html = outputs[0].data["text/html"]
    assert html.count("COMPLETED") == 2
    assert "a.nc" in html and "b.nc" in html


# --- stores -------------------------------------------------------------------------


def test_default_preload_returns_the_store_itself(tmp_path):
    store = new_data_store("file", root=str(tmp_path))
    store.write_data(make_cube(), "cube.zarr")
    seen = []
    assert store.preload_data("cube.zarr", monitor=lambda *a: seen.append(a)) is store
    assert isinstance(store.preload_handle, NullPreloadHandle)
    assert store.get_preload_data_params_schema().to_dict()["properties"]["blocking"] == {
        "type": "boolean",
        "default": True,
        "description": "Return only when every data ID is preloaded",
    }
    with pytest.raises(DataStoreError, match=r"no such data: \['nope.zarr'\]"):
        store.preload_data("nope.zarr")
    with pytest.raises(DataStoreParamsError, match="Preload parameters of FileDataStore.*'colour'"):
        store.preload_data("cube.zarr", colour="red")


@pytest.fixture
def staging(tmp_path):
    """Params of a ``staging`` store with NetCDF files a.nc and b.nc, and their cubes."""
    source = tmp_path / "source"
    source.mkdir()
    cubes = {"a.nc": make_cube(seed=1), "b.nc": make_cube(seed=2)}
    for name, cube in cubes.items():
        cube.to_netcdf(source / name, engine="h5netcdf")
    return {"source_root": str(source), "cache_root": str(tmp_path / "cache")}, cubes


def test_preloading_store_returns_its_cache_store(staging):
    params, cubes = staging
    store = new_data_store("staging", **params)
    with pytest.raises(DataStoreError, match="must be preloaded first"):
        store.open_data("a.nc")
    cache = store.preload_data("a.nc", silent=True)
    assert cache.preload_handle.get_state("a.nc").status is PreloadStatus.completed
    assert cache.list_data_ids() == ["a.zarr"]
    xr.testing.assert_identical(cache.open_data("a.zarr").load(), cubes["a.nc"])


def test_source_preload_returns_the_source_of_the_copy(staging):
    params, cubes = staging
    source = XStoreSource("staging", params, "b.nc")
    preloaded = source.preload(silent=True)
    assert (preloaded.store_id, preloaded.data_id) == ("file", "b.zarr")
    xr.testing.assert_identical(preloaded.read(), cubes["b.nc"])


def test_source_preload_of_data_that_open_where_they_are_is_the_source(tmp_path):
    new_data_store("file", root=str(tmp_path)).write_data(make_cube(), "c.zarr")
    source = XStoreSource("file", {"root": str(tmp_path)}, "c.zarr")
    assert source.preload() is source


def test_source_preload_failure_says_why(staging):
    params, _ = staging
    Path(params["source_root"], "broken.nc").write_bytes(b"not netcdf")
    source = XStoreSource("staging", params, "broken.nc")
    with pytest.raises(DataStoreError, match="Preloading 'broken.nc' FAILED: "):
        source.preload(silent=True)
    assert not os.path.exists(Path(params["cache_root"], "broken.zarr"))


# --- the command ----------------------------------------------------------------------


def xstores_args(params: dict, *args: str) -> list[str]:
    command = [XSTORES] if XSTORES else [sys.executable, "-m", "intake_xstores.cli"]
    store_params = [f"--param={k}={v}" for k, v in params.items()]
    return [*command, "preload", "staging", *args, *store_params]


def test_cli_preloads_with_progress_and_names_the_cache(staging):
    params, _ = staging
    result = subprocess.run(
        xstores_args(params, "a.nc", "b.nc", "--preload-param", "max_workers=1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "a.nc COMPLETED" in result.stderr  # the bars
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[2][:3] == ["a.nc", "COMPLETED", "100%"]
    assert rows[3][:3] == ["b.nc", "COMPLETED", "100%"]
    assert f"preloaded into FileDataStore(root='{params['cache_root']}'" in result.stdout
    assert sorted(os.listdir(params["cache_root"])) == ["a.zarr", "b.zarr"]


def test_cli_preload_errors_are_one_line(staging):
    params, _ = staging
    for args, words in (
        (["zz.nc"], "No such files to preload: ['zz.nc']"),
        (["a.nc", "--preload-param", "max_workers=0"], "max_workers"),
    ):
        result = subprocess.run(xstores_args(params, *args), capture_output=True, text=True)
        assert result.returncode == 1
        assert result.stderr.startswith("xstores: error: ")
        assert words in result.stderr and "Traceback" not in result.stderr


def test_cli_ctrl_c_cancels_cleanly(staging):
    params, _ = staging
    args = xstores_args(
        params, "a.nc", "b.nc", "--preload-param=step_delay=0.2", "--preload-param=steps=1000"
    )
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    while b"staging" not in seen:  # a task is running
        chunk = process.stderr.read1(4096)
        assert chunk, seen.decode(errors="replace")
        seen += chunk
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "xstores: error: preload cancelled (Ctrl-C)" in err.decode()
    assert "Traceback" not in err.decode()
    assert not os.path.exists(params["cache_root"]) or os.listdir(params["cache_root"]) == []


def test_preloaded_location_finds_the_copy_or_says_why_not(tmp_path):
    cache = new_data_store("file", root=str(tmp_path))
    cache.write_data(make_cube(), "x.zarr")
    assert preloaded_location(cache, "x.nc") == ("file", "x.zarr")
    assert preloaded_location(cache, "x.zarr") == ("file", "x.zarr")
    cache.write_data(make_cube(), "x.nc")
    with pytest.raises(DataStoreError, match=r"Found several: \['x.nc', 'x.zarr'\]"):
        preloaded_location(cache, "x.tar")
    with pytest.raises(DataStoreError, match="Found none"):
        preloaded_location(cache, "y.nc")
