"""Every notebook in ``notebooks/`` runs top to bottom on data it makes itself."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert "01_quickstart.ipynb" in names and len(names) >= 5


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path):
    notebook = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        f"{path.name} is committed with outputs; clear them"
    )
    env_before = dict(os.environ)
    os.environ["MPLBACKEND"] = "Agg"
    try:
        client = NotebookClient(
            notebook,
            timeout=240,
            kernel_name="python3",
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{error}", pytrace=False)
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    errors = [
        o for c in notebook.cells for o in c.get("outputs", ()) if o.get("output_type") == "error"
    ]
    assert not errors
