"""What opening a remote GeoTIFF asks of the server: its info and its header,
at once, and no pixels until they are read."""

import threading

import numpy as np
import pytest
from werkzeug.wrappers import Response

from intake_xstores import new_data_store

rasterio = pytest.importorskip("rasterio")
pytest.importorskip("rioxarray")


def write_geotiff(path, seed: int) -> np.ndarray:
    """A 1024 x 1024 tiled GeoTIFF of noise: its header is a few KB, its pixels 1 MB."""
    from rasterio.transform import from_origin

    data = np.random.default_rng(seed).integers(0, 255, (1024, 1024), dtype="uint8")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=1024,
        height=1024,
        count=1,
        dtype="uint8",
        crs="EPSG:32632",
        transform=from_origin(500000, 5800000, 10, 10),
        tiled=True,
        blockxsize=256,
        blockysize=256,
    ) as dst:
        dst.write(data, 1)
    return data


def test_a_first_open_asks_info_and_header_together_and_reads_no_pixels(fake_service, tmp_path):
    data = write_geotiff(tmp_path / "a.tif", 0)
    content = (tmp_path / "a.tif").read_bytes()
    # The first two requests are answered only once both have arrived: an
    # opener asking one after the other would wait for nothing and fail.
    together = threading.Barrier(2, timeout=10)
    arrived = []

    def geotiff(request):
        arrived.append(request.method)
        if len(arrived) <= 2:
            together.wait()
        response = Response(content, content_type="image/tiff")
        return response.make_conditional(request, accept_ranges=True, complete_length=len(content))

    fake_service.route("/data/a.tif", geotiff)
    store = new_data_store("https", root=f"{fake_service.url}/data")

    ds = store.open_data("a.tif")
    assert len(fake_service.requests) == 2  # its info, its header
    header = [r for r in fake_service.requests if r.method == "GET"]
    assert len(header) == 1 and header[0].headers["Range"] == "bytes=0-16383"

    ds = store.open_data("a.tif")  # again: only is it still the same file?
    assert [r.method for r in fake_service.requests[2:]] == ["HEAD"]

    np.testing.assert_array_equal(ds.band_1[256:512, :256].values, data[256:512, :256])
    assert len(fake_service.requests) == 4  # one tile, when read


def test_a_file_changed_since_its_last_open_opens_at_its_new_version(fake_service, tmp_path):
    old, new = write_geotiff(tmp_path / "old.tif", 1), write_geotiff(tmp_path / "new.tif", 2)
    served = {"content": (tmp_path / "old.tif").read_bytes()}

    def geotiff(request):
        content = served["content"]
        response = Response(content, content_type="image/tiff")
        return response.make_conditional(request, accept_ranges=True, complete_length=len(content))

    fake_service.route("/data/a.tif", geotiff)
    store = new_data_store("https", root=f"{fake_service.url}/data")
    ds = store.open_data("a.tif")
    np.testing.assert_array_equal(ds.band_1[:256, :256].values, old[:256, :256])

    served["content"] = (tmp_path / "new.tif").read_bytes() + b"\0"  # another size
    ds = store.open_data("a.tif")
    np.testing.assert_array_equal(ds.band_1[:256, :256].values, new[:256, :256])


def test_a_remote_cog_pyramid_asks_once_and_its_levels_ask_nothing(fake_service, tmp_path):
    from tests.plugins.stac_rig import NODATA, write_cog

    values = write_cog(tmp_path / "cog.tif", 3)
    fake_service.file("/data/cog.tif", (tmp_path / "cog.tif").read_bytes())
    store = new_data_store("https", root=f"{fake_service.url}/data")

    ml = store.open_data("cog.tif", data_type="mldataset")
    assert len(fake_service.requests) == 2  # its info, its header
    levels = [ml.get_dataset(i) for i in range(ml.num_levels)]
    assert ml.num_levels == 3 and len(fake_service.requests) == 2
    expected = np.where(values == NODATA, np.nan, values)[:128, :128]
    np.testing.assert_array_equal(levels[0].band_1[:128, :128].values, expected)
