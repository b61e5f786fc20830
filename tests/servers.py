"""Real servers on loopback for the remote protocols, started per test session.

Each server is started the first time a test asks for it, on a free port of
127.0.0.1, and stopped when the session ends:

- s3: moto in server mode (a subprocess), spoken to by s3fs over HTTP;
- abfs: Azurite's blob service (a Node subprocess; ``make test`` installs it
  into ``.cache/node``) with an account and key made up for the session;
- ftp: pyftpdlib (a subprocess) with a user, a password and a temporary home;
- https: a TLS server with a certificate from a throw-away CA (trustme),
  serving a folder of prepared datasets (a thread of this process);
- stac: a STAC API (``rustac serve``, in-memory backend, a subprocess) loaded
  with the collections and items a test makes.

``<protocol>_store_params`` fixtures give the parameters of a store on a fresh,
empty bucket, container or folder; ``conftest.new_store`` builds stores from them.
The context managers (``run_moto`` ...) need no pytest, so the benchmarks use them too.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LOCALHOST = "127.0.0.1"
AZURITE_DIR = REPO / ".cache" / "node"


# --- helpers -----------------------------------------------------------------


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    """Wait until something accepts connections on *port*; fail if *process* dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"Server {process.args!r} exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((LOCALHOST, port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"No server answered on {LOCALHOST}:{port} within {timeout} s")


@contextlib.contextmanager
def _subprocess(make_args, env=None, cwd=None, attempts=3) -> Iterator[int]:
    """Run the server ``make_args(port)`` on a free port; yield the port.

    Its output goes to a temporary file (a pipe nobody reads would fill up and
    block the server), shown if it fails to start.
    """
    for attempt in range(attempts):
        port = free_port()
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                make_args(port),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_for_port(port, process)
            except RuntimeError as error:
                process.kill()
                process.wait()
                log.seek(0)
                output = log.read().decode(errors="replace")[-2000:]
                if attempt == attempts - 1:
                    raise RuntimeError(f"{error}\n{output}") from None
                continue  # most likely someone took the port meanwhile
            try:
                yield port
            finally:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            return


# --- S3: moto ----------------------------------------------------------------


@contextlib.contextmanager
def run_moto() -> Iterator[dict]:
    """A moto S3 server; yields ``{"endpoint_url", "key", "secret"}``."""

    def args(port):
        return [sys.executable, "-m", "moto.server", "-H", LOCALHOST, "-p", str(port)]

    with _subprocess(args) as port:
        yield {
            "endpoint_url": f"http://{LOCALHOST}:{port}",
            "key": "moto-key",
            "secret": "moto-secret",
        }


def s3_options(endpoint: dict) -> dict:
    """s3fs ``storage_options`` reaching the S3 server *endpoint*."""
    return {
        "key": endpoint["key"],
        "secret": endpoint["secret"],
        "client_kwargs": {"endpoint_url": endpoint["endpoint_url"], "region_name": "eu-west-1"},
    }


@pytest.fixture(scope="session")
def s3_endpoint():
    """The session's S3 server: ``{"endpoint_url", "key", "secret"}``."""
    with run_moto() as endpoint:
        yield endpoint


@pytest.fixture
def s3_storage_options(s3_endpoint):
    """s3fs ``storage_options`` reaching the session's S3 server."""
    return s3_options(s3_endpoint)


@pytest.fixture
def s3_store_params(s3_storage_options):
    """An s3 store on a fresh, empty bucket."""
    import s3fs

    bucket = f"test-{uuid.uuid4().hex[:16]}"
    s3fs.S3FileSystem(**s3_storage_options).mkdir(bucket)
    return {"root": bucket, "storage_options": s3_storage_options}


# --- Azure Blob: Azurite -----------------------------------------------------


def azurite_command() -> list[str]:
    local = AZURITE_DIR / "node_modules" / ".bin" / "azurite-blob"
    found = str(local) if local.exists() else shutil.which("azurite-blob")
    if not found:
        raise RuntimeError(
            "Azurite is not installed: run `make test`, or "
            f"`npm install --prefix {AZURITE_DIR} azurite`"
        )
    return [found]


@contextlib.contextmanager
def run_azurite() -> Iterator[dict]:
    """Azurite's blob service; yields ``{"account_name", "account_key", "connection_string"}``."""
    account = "xstoretest"
    key = base64.b64encode(secrets.token_bytes(64)).decode()
    with tempfile.TemporaryDirectory(prefix="azurite-") as workdir:
        env = dict(os.environ, AZURITE_ACCOUNTS=f"{account}:{key}")

        def args(port):
            return [
                *azurite_command(),
                "--blobHost",
                LOCALHOST,
                "--blobPort",
                str(port),
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--disableProductStyleUrl",
                "--silent",
            ]

        with _subprocess(args, env=env, cwd=workdir) as port:
            yield {
                "account_name": account,
                "account_key": key,
                "connection_string": (
                    f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};"
                    f"BlobEndpoint=http://{LOCALHOST}:{port}/{account};"
                ),
            }


@pytest.fixture(scope="session")
def abfs_endpoint():
    """The session's Azurite: ``{"account_name", "account_key", "connection_string"}``."""
    with run_azurite() as endpoint:
        yield endpoint


@pytest.fixture
def abfs_storage_options(abfs_endpoint):
    return {"connection_string": abfs_endpoint["connection_string"]}


@pytest.fixture
def abfs_store_params(abfs_storage_options):
    """An abfs store on a fresh, empty container."""
    import adlfs

    container = f"test-{uuid.uuid4().hex[:16]}"
    adlfs.AzureBlobFileSystem(**abfs_storage_options).mkdir(container)
    return {"root": container, "storage_options": abfs_storage_options}


# --- FTP: pyftpdlib ----------------------------------------------------------

_FTP_SERVER = """
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import ThreadedFTPServer

host, port, home, user, password = sys.argv[1:]
authorizer = DummyAuthorizer()
authorizer.add_user(user, password, home, perm="elradfmwMT")
handler = type("Handler", (FTPHandler,), {"authorizer": authorizer})
ThreadedFTPServer((host, int(port)), handler).serve_forever()
"""


@contextlib.contextmanager
def run_ftp() -> Iterator[dict]:
    """A pyftpdlib server; yields ``{"host", "port", "username", "password", "home"}``."""
    with _run_home_server(_FTP_SERVER, "ftp") as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def ftp_endpoint():
    """The session's FTP server: ``{"host", "port", "username", "password", "home"}``."""
    with run_ftp() as endpoint:
        yield endpoint


@pytest.fixture
def ftp_storage_options(ftp_endpoint):
    return {k: ftp_endpoint[k] for k in ("host", "port", "username", "password")}


@pytest.fixture
def ftp_store_params(ftp_endpoint, ftp_storage_options):
    """An ftp store on a fresh, empty folder."""
    folder = f"test-{uuid.uuid4().hex[:16]}"
    os.mkdir(os.path.join(ftp_endpoint["home"], folder))
    return {"root": f"/{folder}", "storage_options": ftp_storage_options}


# --- HTTPS: a TLS server with a throw-away CA --------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files, and folder listings except below ``/unlisted/``."""

    def list_directory(self, path):
        if self.path.startswith("/unlisted/"):
            self.send_error(403, "Directory listing refused")
            return None
        return super().list_directory(path)

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def run_https(directory: str | os.PathLike) -> Iterator[dict]:
    """Serve *directory* over HTTPS; yields ``{"url", "ssl_context", "ca_file"}``.

    Folders list as HTML pages with links, like most web servers' index
    pages, except below ``/unlisted/``, which refuses them (403).

    ``ssl_context`` trusts the server's certificate; ``ca_file`` is the CA in PEM.
    """
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(LOCALHOST, "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)

    class Handler(_Handler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

    server = http.server.ThreadingHTTPServer((LOCALHOST, 0), Handler)
    server.daemon_threads = True
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with tempfile.TemporaryDirectory(prefix="https-ca-") as tmp:
        ca_file = os.path.join(tmp, "ca.pem")
        ca.cert_pem.write_to_path(ca_file)
        try:
            yield {
                "url": f"https://{LOCALHOST}:{server.server_address[1]}",
                "ssl_context": client_context,
                "ca_file": ca_file,
            }
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)


def write_https_datasets(directory: Path) -> dict:
    """Write the datasets the https tests read into *directory*/data.

    Returns the originals by data ID. ``unlisted/chl.zarr`` (in a folder
    the server does not list) is the cube too.
    """
    import geopandas as gpd
    import rioxarray  # noqa: F401 - registers the .rio accessor
    from shapely.geometry import Point

    from tests.conftest import make_cube

    cube = make_cube()
    public = directory / "data"
    (public / "cubes").mkdir(parents=True)
    cube.to_zarr(public / "cubes" / "chl.zarr", zarr_format=2, consolidated=True)
    cube.to_netcdf(public / "cubes" / "chl.nc", engine="h5netcdf")
    raster = cube[["chl"]].isel(time=0, drop=True).rename(lat="y", lon="x").sortby("y", False)
    raster = raster.rio.write_crs("EPSG:4326").rio.set_spatial_dims("x", "y")
    raster["chl"].rio.to_raster(public / "chl.tif")
    regions = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"], "value": [1.5, 2.5, 3.5]},
        geometry=[Point(10.5, 50.5), Point(11.0, 51.0), Point(12.25, 52.75)],
        crs="EPSG:4326",
    )
    regions.to_file(public / "regions.geojson", driver="GeoJSON")
    (public / "README.txt").write_text("not a dataset\n")
    cube.to_zarr(directory / "unlisted" / "chl.zarr", zarr_format=2, consolidated=True)
    return {
        "cubes/chl.zarr": cube,
        "cubes/chl.nc": cube,
        "chl.tif": raster,
        "regions.geojson": regions,
    }


@pytest.fixture(scope="session")
def https_server(tmp_path_factory):
    """The session's HTTPS server: ``{"url", "ssl_context", "ca_file", "datasets"}``.

    ``datasets`` maps the data IDs below ``{url}/data`` to the original data.
    """
    directory = tmp_path_factory.mktemp("https-root")
    datasets = write_https_datasets(directory)
    with run_https(directory) as server:
        yield {**server, "datasets": datasets}


@pytest.fixture
def https_store_params(https_server):
    """A read-only https store on the prepared datasets; it trusts the test CA."""
    return {
        "root": f"{https_server['url']}/data",
        "storage_options": {"ssl": https_server["ssl_context"]},
    }


# --- STAC API: rustac serve --------------------------------------------------


def rustac_command() -> list[str]:
    found = Path(sys.executable).parent / "rustac"
    if not found.exists():
        raise RuntimeError("rustac is not installed: run `make test`, or `pip install rustac`")
    return [str(found)]


@contextlib.contextmanager
def run_stac_api(collections: list[dict], items: list[dict]) -> Iterator[str]:
    """A STAC API serving *collections* and *items* (STAC JSON dicts); yields its root URL.

    ``rustac serve`` answers item search (GET and POST), paging with ``next``
    links, ``collections``/``bbox``/``datetime``/``ids``. Its memory backend
    advertises neither the ``query`` nor the ``filter`` conformance class (a
    ``query`` answers no items; a CQL2 ``filter`` is ignored), so stores must
    filter such requests on their side; ``bbox`` with ``limit`` on GET may be a 500.
    """
    with tempfile.TemporaryDirectory(prefix="stac-api-") as workdir:
        hrefs = []
        for i, collection in enumerate(collections):
            path = os.path.join(workdir, f"collection-{i}.json")
            Path(path).write_text(json.dumps(collection))
            hrefs.append(path)
        if items:
            path = os.path.join(workdir, "items.json")
            Path(path).write_text(json.dumps({"type": "FeatureCollection", "features": items}))
            hrefs.append(path)

        def args(port):
            return [*rustac_command(), "serve", "--addr", f"{LOCALHOST}:{port}", *hrefs]

        with _subprocess(args, cwd=workdir) as port:
            yield f"http://{LOCALHOST}:{port}"


@pytest.fixture
def stac_api():
    """Start STAC APIs for this test: ``url = stac_api(collections, items)``; stopped after."""
    with contextlib.ExitStack() as stack:
        yield lambda collections, items: stack.enter_context(run_stac_api(collections, items))


# --- SFTP: asyncssh (a protocol no plugin registers) -------------------------

_SFTP_SERVER = """
import asyncio, sys
import asyncssh

host, port, home, user, password = sys.argv[1:]


class Server(asyncssh.SSHServer):
    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return True

    def validate_password(self, username, given):
        return username == user and given == password


class ChrootedSFTP(asyncssh.SFTPServer):
    def __init__(self, chan):
        super().__init__(chan, chroot=home)


async def main():
    await asyncssh.listen(
        host,
        int(port),
        server_factory=Server,
        server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
        sftp_factory=ChrootedSFTP,
    )
    await asyncio.Future()


asyncio.run(main())
"""


@contextlib.contextmanager
def _run_home_server(script: str, name: str) -> Iterator[dict]:
    """The server *script* (run as ``script host port home user password``) for a
    made-up user in a temporary home; yields its endpoint as :func:`run_sftp`."""
    user, password = "xstore", secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix=f"{name}-home-") as home:

        def args(port):
            return [sys.executable, "-c", script, LOCALHOST, str(port), home, user, password]

        with _subprocess(args) as port:
            endpoint = {"host": LOCALHOST, "port": port, "username": user}
            yield {**endpoint, "password": password, "home": home}


@contextlib.contextmanager
def run_sftp() -> Iterator[dict]:
    """An asyncssh SFTP server (password login, chrooted to a temporary home);
    yields ``{"host", "port", "username", "password", "home"}``."""
    with _run_home_server(_SFTP_SERVER, "sftp") as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def sftp_endpoint():
    """The session's SFTP server (see :func:`run_sftp`)."""
    with run_sftp() as endpoint:
        yield endpoint


@pytest.fixture
def sftp_store_params(sftp_endpoint):
    """An sftp store on a fresh, empty folder; paramiko (fsspec's client) looks
    for no keys or agent, so the password alone logs in."""
    folder = f"test-{uuid.uuid4().hex[:16]}"
    os.mkdir(os.path.join(sftp_endpoint["home"], folder))
    options = {k: v for k, v in sftp_endpoint.items() if k != "home"}
    return {
        "root": f"/{folder}",
        "storage_options": {**options, "look_for_keys": False, "allow_agent": False},
    }
