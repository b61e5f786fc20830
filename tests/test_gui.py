"""Intake's GUI browsing ``catalogs/stores.yaml``, in a real headless Chromium.

``xstores gui`` serves the GUI on loopback in a subprocess; Playwright drives
Debian's Chromium (never a browser of its own). The tests share one page and
run in order, like a user clicking through: pick the catalog, a store, a
data ID, then plot it. Screenshots go to ``test-artifacts/gui/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake_xstores import new_data_store
from intake_xstores.demo import make_demo_data
from tests.servers import LOCALHOST, free_port, wait_for_port

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "gui"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def gui_home(tmp_path_factory) -> Path:
    """A copy of ``catalogs/stores.yaml`` with the demo data next to it."""
    home = tmp_path_factory.mktemp("gui")
    (home / "catalogs").mkdir()
    shutil.copy(REPO / "catalogs" / "stores.yaml", home / "catalogs" / "stores.yaml")
    make_demo_data(home / "demo_data")
    return home


@pytest.fixture(scope="module")
def s3_bucket(s3_endpoint, gui_home) -> str:
    """A bucket on the test S3 server holding a copy of the demo cube."""
    import s3fs

    from tests.servers import s3_options

    options = s3_options(s3_endpoint)
    s3fs.S3FileSystem(**options).mkdir("gui-cubes")
    local = new_data_store("file", root=str(gui_home / "demo_data"))
    s3 = new_data_store("s3", root="gui-cubes", storage_options=options)
    s3.write_data(local.open_data("cubes/chl.zarr"), "ocean/chl.zarr")
    return "gui-cubes"


@pytest.fixture(scope="module")
def gui_url(gui_home, s3_endpoint, s3_bucket, https_server) -> Iterator[str]:
    """``xstores gui catalogs/stores.yaml`` served on a loopback port."""
    catalog = gui_home / "catalogs" / "stores.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "AWS_", "XSTORES_"))}
    env.update(
        XSTORES_S3_ROOT=s3_bucket,
        XSTORES_S3_ENDPOINT_URL=s3_endpoint["endpoint_url"],
        AWS_ACCESS_KEY_ID=s3_endpoint["key"],
        AWS_SECRET_ACCESS_KEY=s3_endpoint["secret"],
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_EC2_METADATA_DISABLED="true",
        XSTORES_HTTPS_ROOT=f"{https_server['url']}/data",  # the https store requires a root
        SSL_CERT_FILE=https_server["ca_file"],
    )
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "gui-server.log", "w")  # noqa: SIM115 - closed below
    command = [sys.executable, "-m", "intake_xstores.cli", "gui", str(catalog), "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, timeout=60)
        yield f"http://{LOCALHOST}:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def page(gui_url):
    """One Chromium page on the GUI, shared by the tests of this module."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is not installed: apt-get install -y chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(gui_url)
        page.locator("select").first.wait_for()
        yield page
        browser.close()


def shot(page, name: str) -> Path:
    """Save a screenshot of the whole page as ``test-artifacts/gui/<name>.png``."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def catalogs(page):
    return page.locator("select").nth(0)


def sources(page):
    return page.locator("select").nth(1)


def options(select) -> list[str]:
    return [o.strip() for o in select.locator("option").all_inner_texts()]


def info_text(page) -> str:
    """The whole text of the information pane (an Ace editor, which scrolls)."""
    return page.locator(".ace_editor").first.evaluate("el => el.env.editor.getValue()")


def wait_for_info(page, text: str) -> str:
    """Wait until the information pane contains *text*; return all of it."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        value = info_text(page)
        if text in value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared in the information pane:\n{info_text(page)}")


def wait_for_options(select, wanted: str) -> list[str]:
    """Wait until *select* offers *wanted*; return its options."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while wanted not in options(select) and time.monotonic() < deadline:
        time.sleep(0.1)
    return options(select)


def select_catalog(page, name: str) -> None:
    label = next(o for o in options(catalogs(page)) if o.endswith(name))
    catalogs(page).select_option(label=label)


def test_catalogs_of_the_same_file_name_are_both_shown(gui_home, tmp_path):
    from intake_xstores.intake.gui import XStoresGUI

    other = tmp_path / "other" / "stores.yaml"
    other.parent.mkdir()
    other.write_text("sources: {}\n")
    gui = XStoresGUI.from_paths([gui_home / "catalogs" / "stores.yaml", other])
    assert gui.catsel.options == ["catalogs/stores.yaml", "other/stores.yaml"]
    assert "local" in gui._cats["catalogs/stores.yaml"]
    assert list(gui._cats["other/stores.yaml"]) == []


def test_catalog_shows_the_stores(page):
    assert options(catalogs(page)) == ["stores.yaml"]
    catalogs(page).select_option(label="stores.yaml")
    listed = wait_for_options(catalogs(page), "\u2002\u2002└─>local")
    stores = [o.split(">")[-1] for o in listed[1:]]
    assert set(stores) >= {"local", "memory", "s3", "abfs", "https", "reference"}
    info = wait_for_info(page, "stores.yaml")
    assert "Data stores of intake_xstores" in info
    shot(page, "1-stores")


def test_store_shows_its_data_ids_and_parameters(page):
    select_catalog(page, "local")
    info = wait_for_info(page, "The demo data made by `make demo`")
    assert "max_depth" in info and "user_parameters" in info
    assert "store_params_in_use" in info and "read_only: true" in info
    listed = wait_for_options(sources(page), "cubes/chl.zarr")
    assert {"cubes/chl.zarr", "cubes/sst.nc", "regions.geojson", "dem.tif"} <= set(listed)
    shot(page, "2-local-store")


def test_cube_entry_shows_descriptor_and_open_parameters(page):
    sources(page).select_option(label="cubes/chl.zarr")
    info = wait_for_info(page, "bbox")
    assert "Demo chlorophyll cube (cubes/chl.zarr in data store 'file')" in info
    assert "bbox: [-10.0, 30.0, 30.0, 60.0]" in info
    assert "time_range: ['2023-06-01', '2023-06-10']" in info
    assert "crs: EPSG:4326" in info
    assert "dims: {time: 10, lat: 120, lon: 160}" in info
    assert "units: mg m-3" in info
    # open parameters as user parameters, with types and defaults
    params = info.split("user_parameters:")[1]
    assert "drop_variables: {description: Name or names of variables to drop, type: str}" in params
    assert "decode_times:" in params and "default: true" in params
    # what is visible without scrolling: the top of the pane
    visible = page.locator(".ace_content").first.inner_text()
    assert "bbox" in visible and "time_range" in visible
    shot(page, "3-cube")


def test_vector_entry_shows_features(page):
    sources(page).select_option(label="regions.geojson")
    info = wait_for_info(page, "geodataframe")
    assert "container: dataframe" in info
    assert "bbox: [-4.0, 40.0, 30.0, 60.0]" in info
    assert "columns:" in info.split("user_parameters:")[1]
    assert "map of" not in info  # no quick map of vector data
    shot(page, "4-vector")


def draw_quick_map(page, plot: str, name: str) -> None:
    """Show the plot panel (📊), pick *plot*, and wait until Bokeh has painted a map:
    many distinct colours in its canvas. The screenshot goes to ``<name>.png``."""
    page.get_by_role("button", name="📊").click()
    plot_select = page.locator("select").nth(2)
    plot_select.wait_for()
    assert plot in options(plot_select)
    plot_select.select_option(label=plot)
    canvas = page.locator("canvas").first
    canvas.wait_for()
    from PIL import Image

    deadline = time.monotonic() + TIMEOUT_MS / 1000
    colours = 0
    while colours <= 50 and time.monotonic() < deadline:
        time.sleep(1)
        image = Image.open(shot(page, name)).convert("RGB")
        box = canvas.bounding_box()
        crop = image.crop((box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]))
        colours = len(crop.getcolors(maxcolors=1 << 20) or ())
    assert box["width"] > 200 and box["height"] > 150
    assert colours > 50


def test_quick_plot_of_a_cube(page):
    sources(page).select_option(label="cubes/chl.zarr")
    wait_for_info(page, "map of chl")
    draw_quick_map(page, "map of chl", "5-plot")
    page.get_by_role("button", name="📊").click()  # hide the plot again


def test_s3_store_on_the_test_server(page, s3_endpoint):
    select_catalog(page, "s3")
    assert wait_for_options(sources(page), "ocean/chl.zarr") == ["ocean/chl.zarr"]
    info = wait_for_info(page, "store_params_in_use")
    assert "root: gui-cubes" in info
    assert "secret: '***'" in info
    sources(page).select_option(label="ocean/chl.zarr")
    info = wait_for_info(page, "data store 's3'")
    assert "time_range: ['2023-06-01', '2023-06-10']" in info
    page_text = page.content() + info
    assert s3_endpoint["secret"] not in page_text and s3_endpoint["key"] not in page_text
    shot(page, "6-s3")


def test_store_that_cannot_list_shows_why(page):
    select_catalog(page, "abfs")
    info = wait_for_info(page, "error:")
    assert "account_name" in info  # adlfs: no account configured
    assert options(sources(page)) == []
    shot(page, "7-abfs-error")
    # the page still works after the error
    select_catalog(page, "local")
    wait_for_info(page, "The demo data made by `make demo`")
