"""Intake's own GUI (``intake.interface.gui.GUI``, what ``intake.gui`` shows) on our entries.

Not our ``XStoresGUI``: the stock one, served on loopback in a subprocess and
driven in Debian's headless Chromium like ``test_gui.py``. It shows what a
source's ``_yaml()`` holds, and its 📊 button plots ``metadata["plots"]``;
our sources put the descriptor and quick maps there.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tests.servers import LOCALHOST, _subprocess
from tests.test_gui import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    TIMEOUT_MS,
    draw_quick_map,
    gui_home,  # noqa: F401 - a fixture: stores.yaml next to the demo data
    options,
    shot,
    wait_for_info,
    wait_for_options,
)

pytestmark = pytest.mark.timeout(240)

_SERVE_STOCK_GUI = """
import sys
import intake
import panel as pn
from intake.interface.gui import GUI

catalog, port = sys.argv[1], int(sys.argv[2])
pn.extension("codeeditor")
pn.serve(
    {"/": lambda: GUI(cats={"stores.yaml": intake.open_catalog(catalog)}).main},
    port=port, address="127.0.0.1", show=False, websocket_origin=[f"127.0.0.1:{port}"],
)
"""


@pytest.fixture(scope="module")
def stock_page(gui_home) -> Iterator:  # noqa: F811 - the imported fixture
    """Chromium on Intake's stock GUI browsing ``stores.yaml``."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is not installed: apt-get install -y chromium (make test does)")
    from playwright.sync_api import sync_playwright

    catalog = gui_home / "catalogs" / "stores.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "AWS_", "XSTORES_"))}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def command(port: int) -> list[str]:
        return [sys.executable, "-c", _SERVE_STOCK_GUI, str(catalog), str(port)]

    with _subprocess(command, env=env) as port, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"http://{LOCALHOST}:{port}/")
        page.locator("select").first.wait_for()
        yield page
        browser.close()


def test_stock_gui_shows_descriptors_as_metadata_and_plots_a_quick_map(stock_page):
    page = stock_page
    catalogs, sources = page.locator("select").nth(0), page.locator("select").nth(1)
    catalogs.select_option(label="stores.yaml")
    listed = wait_for_options(catalogs, "\u2002\u2002└─>local")
    catalogs.select_option(label=next(o for o in listed if o.endswith("local")))
    assert "cubes/chl.zarr" in wait_for_options(sources, "cubes/chl.zarr")

    sources.select_option(label="cubes/chl.zarr")
    info = wait_for_info(page, "bbox")
    metadata = info.split("metadata:")[1]
    assert "- -10.0" in metadata and "time_range:" in metadata and "2023-06-10" in metadata
    assert "units: mg m-3" in metadata
    assert "map of chl:" in metadata and "kind: image" in metadata
    shot(page, "stock-1-cube")

    draw_quick_map(page, "map of chl", "stock-2-plot")


def test_stock_gui_plot_button_on_vector_data_offers_no_map(stock_page):
    page = stock_page
    page.get_by_role("button", name="📊").click()  # hide the plot panel
    sources = page.locator("select").nth(1)
    sources.select_option(label="regions.geojson")
    info = wait_for_info(page, "geodataframe")
    assert "bbox" in info
    page.get_by_role("button", name="📊").click()
    plot_select = page.locator("select").nth(2)
    plot_select.wait_for()
    assert options(plot_select) == ["None"]  # no KeyError: 'plots'
