"""The README's code blocks run, in order, against local data and loopback servers.

``tests/readme.py`` runs them in a fresh interpreter (its docstring has the
marking convention); each block is reported here as a test of its own, so a
skipped block shows its reason and a failing one its traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.readme import REPO, parse

BLOCKS = parse((REPO / "README.md").read_text())


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    report = tmp_path_factory.mktemp("readme") / "report.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "tests" / "readme.py"), "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if not report.exists():
        pytest.fail(f"The README runner failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return {r["name"]: r for r in json.loads(report.read_text())}


def test_the_readme_has_runnable_blocks():
    languages = [b.language for b in BLOCKS if not b.skip]
    assert languages.count("python") >= 6


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_readme_block(block, results):
    result = results[block.name]
    if result["status"] == "skipped":
        assert block.skip, f"README {block.name} was not run: {result['reason']}"
        pytest.skip(f"README {block.name}: {block.skip}")
    assert result["status"] == "passed", f"README {block.name} failed:\n{result['reason']}"


def test_marks_are_checked(tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text("<!-- readme: needs warp-drive -->\n```python\npass\n```\n")
    with pytest.raises(ValueError, match="warp-drive"):
        parse(readme.read_text())
