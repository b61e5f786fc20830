"""Run the README's code blocks, top to bottom, as one session a user would type.

Marking convention: an HTML comment on the line right before a block's opening
fence (invisible on GitHub) says what the block needs; unmarked blocks must run
in the base install (``pip install intake_xstores``, no extras)::

    <!-- readme: needs geo -->            extras (geo, remote, reference, gui) or
    <!-- readme: needs s3 https -->       loopback servers (s3, abfs, ftp, https),
                                          or "distributed" (a test dependency)
    <!-- readme: skip REASON -->          not executed; REASON is shown in the report

Only ```python and ```bash blocks are candidates; other languages (``ini``, …)
are text. Blocks share one namespace, so a block may use names an earlier one
made (``store``, ``cube``). Bash blocks run with ``bash -e``.

The session runs in a fresh directory holding ``demo_data/`` (made by
``intake_xstores.demo.make_demo_data``) and a copy of ``catalogs/``.
A block that needs a server gets one of ``tests/servers.py`` on 127.0.0.1 and
has its placeholder addresses rewritten (see ``PLACEHOLDERS``): write the
README with the placeholders, and the block runs against loopback.

Usage: ``python tests/readme.py [--have NAME,...] [--report FILE] [README]``;
``--have`` lists what is installed (default: everything; ``--have ""`` in a
base install). Exits 1 if a runnable block fails. The pytest side is
``tests/test_readme.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXTRAS = ("geo", "remote", "reference", "gui", "distributed")
SERVERS = ("s3", "abfs", "ftp", "https")
EVERYTHING = EXTRAS + SERVERS
RUNNABLE = ("python", "bash")

# Placeholders a README block may use, per server, and what they become on loopback.
PLACEHOLDERS = {
    "s3": {"http://127.0.0.1:9000": "{endpoint_url}"},
    "abfs": {'"connection_string": "..."': '"connection_string": "{connection_string}"'},
    "ftp": {
        '{"host": "ftp.example.org"}': (
            '{{"host": "{host}", "port": {port}, "username": "{username}", '
            '"password": "{password}"}}'
        )
    },
    "https": {"https://data.example.org": "{url}"},
}

_FENCE = re.compile(r"^```(\w*)\s*$")
_MARK = re.compile(r"^<!--\s*readme:\s*(skip|needs)\b(.*?)-->\s*$")


@dataclasses.dataclass
class Block:
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    needs: tuple[str, ...] = ()
    skip: str | None = None

    @property
    def name(self) -> str:
        return f"line{self.line}-{self.language}"


def parse(text: str) -> list[Block]:
    """The ```python and ```bash blocks of *text*, with their marks."""
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match or not match.group(1):
            i += 1
            continue
        start, language = i, match.group(1)
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        mark = _MARK.match(lines[start - 1].strip()) if start else None
        block = Block(start + 1, language, "\n".join(lines[start + 1 : end]) + "\n")
        if mark and mark.group(1) == "skip":
            block.skip = mark.group(2).strip() or "marked skip"
        elif mark:
            block.needs = tuple(mark.group(2).split())
            unknown = set(block.needs) - set(EVERYTHING)
            if unknown:
                raise ValueError(f"README line {start}: unknown needs {sorted(unknown)}")
        if language in RUNNABLE:
            blocks.append(block)
        i = end + 1
    return blocks


def _servers(names: set[str], data: Path, stack: contextlib.ExitStack) -> dict[str, dict]:
    """Start the servers in *names*; their values for the placeholders."""
    if not names:
        return {}  # and no need for the test dependencies of tests/servers.py
    sys.path.insert(0, str(REPO))
    from tests import servers

    values = {}
    if "https" in names:  # first: aiohttp reads SSL_CERT_FILE when imported (s3fs imports it)
        web = data / "web"
        shutil.copytree(data / "demo_data" / "cubes", web / "cubes")
        values["https"] = server = stack.enter_context(servers.run_https(web))
        os.environ["SSL_CERT_FILE"] = server["ca_file"]  # trusted like a real CA
    if "s3" in names:
        import s3fs

        endpoint = stack.enter_context(servers.run_moto())
        os.environ.update(
            AWS_ACCESS_KEY_ID=endpoint["key"],
            AWS_SECRET_ACCESS_KEY=endpoint["secret"],
            AWS_DEFAULT_REGION="eu-west-1",
        )
        s3fs.S3FileSystem(**servers.s3_options(endpoint)).mkdir("my-bucket")
        values["s3"] = endpoint
    if "abfs" in names:
        import adlfs

        values["abfs"] = endpoint = stack.enter_context(servers.run_azurite())
        adlfs.AzureBlobFileSystem(connection_string=endpoint["connection_string"]).mkdir(
            "container"
        )
    if "ftp" in names:
        values["ftp"] = endpoint = stack.enter_context(servers.run_ftp())
        os.makedirs(os.path.join(endpoint["home"], "pub", "cubes"))
    return values


def _substitute(block: Block, values: dict[str, dict]) -> str:
    code = block.code
    for server in set(block.needs) & set(SERVERS):
        for placeholder, template in PLACEHOLDERS[server].items():
            code = code.replace(placeholder, template.format(**values[server]))
    return code


def run(readme: Path, have: set[str], workdir: Path) -> list[dict]:
    """Run the blocks of *readme* in *workdir*; one result per block."""
    from intake_xstores.demo import make_demo_data

    blocks = parse(readme.read_text())
    make_demo_data(workdir / "demo_data")
    shutil.copytree(REPO / "catalogs", workdir / "catalogs")
    os.chdir(workdir)
    runnable = [b for b in blocks if not b.skip and set(b.needs) <= have]
    results, namespace, failed = [], {"__name__": "__readme__"}, None
    with contextlib.ExitStack() as stack:
        values = _servers({n for b in runnable for n in b.needs} & set(SERVERS), workdir, stack)
        for block in blocks:
            result = {"name": block.name, "line": block.line}
            if block.skip:
                result.update(status="skipped", reason=block.skip)
            elif block not in runnable:
                missing = sorted(set(block.needs) - have)
                result.update(status="skipped", reason=f"needs {', '.join(missing)}")
            elif failed:
                result.update(status="failed", reason=f"an earlier block ({failed}) failed")
            else:
                error = _execute(block, _substitute(block, values), namespace)
                result.update(status="failed" if error else "passed", reason=error)
                failed = block.name if error else None
            results.append(result)
            print(f"README {block.name}: {result['status']} {result.get('reason') or ''}")
    return results


def _execute(block: Block, code: str, namespace: dict) -> str | None:
    """Run *code*; the error as text, or None."""
    if block.language == "bash":
        bin_dir = os.path.dirname(sys.executable)  # where pip put the xstores command
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
        done = subprocess.run(["bash", "-e", "-c", code], capture_output=True, text=True, env=env)
        return f"exit {done.returncode}:\n{done.stderr}" if done.returncode else None
    try:
        exec(compile(code, f"README.md:{block.line}", "exec"), namespace)
    except BaseException:  # noqa: BLE001 - reported as the block's failure
        return traceback.format_exc()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("readme", nargs="?", default=str(REPO / "README.md"))
    parser.add_argument("--have", default=",".join(EVERYTHING), help="installed extras, servers")
    parser.add_argument("--report", help="write the results as JSON to this file")
    args = parser.parse_args(argv)
    have = {n for n in args.have.split(",") if n}
    with tempfile.TemporaryDirectory(prefix="readme-") as tmp:
        results = run(Path(args.readme).resolve(), have, Path(tmp))
        os.chdir(REPO)
    if args.report:
        Path(args.report).write_text(json.dumps(results, indent=1))
    return 1 if any(r["status"] == "failed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
