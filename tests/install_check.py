"""Install the package as a user would, and use it there (``make test`` runs this).

Two virtual environments under ``.cache/``, neither with the test extras:

- ``venv-base``: ``pip install .`` only. Runs the README blocks that need no
  extra (``tests/readme.py --have ""``), the ``xstores`` command on demo data,
  and checks that a protocol and a format whose extra is missing say which
  extra to install.
- ``venv-all``: ``pip install ".[all]"``. Runs ``make demo``'s job
  (``python -m intake_xstores.demo``) in a fresh folder; its output must show
  no traceback, at exit included.

An environment is made afresh whenever setup.cfg, setup.py or pyproject.toml
change (or with ``--fresh``); otherwise it is kept and only the package is
reinstalled (``--no-deps``), which is honest: its dependencies are exactly
those the unchanged metadata declares. pip's cache makes a fresh one quick.
Exits non-zero, naming the step, if anything fails.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache"
METADATA = ("setup.cfg", "setup.py", "pyproject.toml")

MISSING_EXTRAS = """
from pathlib import Path

from intake_xstores import DataStoreError, new_data_store

Path("demo_data/regions.geojson").write_text('{"type": "FeatureCollection", "features": []}')
store = new_data_store("file", root="demo_data")
for call, extra in [
    (lambda: new_data_store("s3", root="bucket").list_data_ids(), "remote"),
    (lambda: store.open_data("regions.geojson"), "geo"),
]:
    try:
        call()
    except DataStoreError as error:
        assert f'pip install "intake_xstores[{extra}]"' in str(error), error
    else:
        raise AssertionError(f"no DataStoreError naming the {extra!r} extra")
print("missing extras are named")
"""


class CheckFailed(Exception):
    pass


def _run(step: str, args: list, cwd: Path | None = None, check_stderr: bool = False) -> str:
    started = time.monotonic()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    print(f"  {step}: exit {done.returncode} ({time.monotonic() - started:.0f} s)", flush=True)
    if done.returncode or (check_stderr and "Traceback" in done.stderr):
        raise CheckFailed(f"{step} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return done.stdout


def _environment(name: str, requirement: str, fresh: bool) -> Path:
    """The venv *name* with *requirement* installed from this folder; its bin folder."""
    path = CACHE / name
    bin_dir = path / "bin"
    digest = hashlib.sha256(
        b"".join((REPO / f).read_bytes() for f in METADATA) + requirement.encode()
    ).hexdigest()
    stamp = path / ".metadata-sha256"
    pip = [
        str(bin_dir / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    if fresh or not stamp.exists() or stamp.read_text() != digest:
        shutil.rmtree(path, ignore_errors=True)
        venv.create(path, with_pip=True)
        _run(f"{name}: pip install {requirement}", [*pip, requirement], cwd=REPO)
        stamp.write_text(digest)
    else:
        _run(f"{name}: reinstall the package", [*pip, "--no-deps", "--force-reinstall", "."], REPO)
    return bin_dir


def check_base(fresh: bool) -> None:
    bin_dir = _environment("venv-base", ".", fresh)
    python = str(bin_dir / "python")
    _run(
        "base: README blocks needing no extra",
        [python, str(REPO / "tests" / "readme.py"), "--have", ""],
    )
    with tempfile.TemporaryDirectory(prefix="install-base-") as tmp:
        work = Path(tmp)
        _run(
            "base: demo data",
            [
                python,
                "-c",
                "from intake_xstores.demo import make_demo_data; make_demo_data('demo_data')",
            ],
            work,
        )
        xstores = str(bin_dir / "xstores")
        _run(
            "base: xstores list", [xstores, "list", "file", "-p", "root=demo_data", "--attrs"], work
        )
        _run(
            "base: xstores copy",
            [
                xstores,
                "copy",
                "file:cubes/sst.nc",
                "file:copy/sst.zarr",
                "--src-param",
                "root=demo_data",
                "--dst-param",
                "root=demo_data",
            ],
            work,
        )
        _run("base: missing extras", [python, "-c", MISSING_EXTRAS], work)


def check_all(fresh: bool) -> None:
    bin_dir = _environment("venv-all", ".[all]", fresh)
    with tempfile.TemporaryDirectory(prefix="install-all-") as tmp:
        shutil.copytree(REPO / "catalogs", Path(tmp) / "catalogs")
        out = _run(
            "all: the demo",
            [str(bin_dir / "python"), "-m", "intake_xstores.demo"],
            Path(tmp),
            check_stderr=True,
        )
        for expected in ("regions.geojson", "cat.reference.sst"):
            if expected not in out:
                raise CheckFailed(f"The demo's output lacks {expected!r}:\n{out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="make the environments anew")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        print("Clean install, no extras (.cache/venv-base):", flush=True)
        check_base(args.fresh)
        print('Clean install of ".[all]" (.cache/venv-all):', flush=True)
        check_all(args.fresh)
    except CheckFailed as error:
        print(f"Install check: {error}", file=sys.stderr)
        return 1
    print(f"Install checks passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    os.environ.pop("PYTHONPATH", None)  # the environments see only what they installed
    sys.exit(main())
