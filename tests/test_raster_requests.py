"""What opening a remote GeoTIFF asks of the server: its info and its header,
at once, and no pixels until they are read."""

import threading

import numpy as np
import pytest
from werkzeug.wrappers import Response

from intake_xstores import new_data_store
from tests.plugins.stac_rig import NODATA, write_cog

pytest.importorskip("rasterio")
pytest.importorskip("rioxarray")

#: One chunk per 128-pixel tile of the rig's COGs: reading one reads one tile.
TILE_CHUNKS = {"x": 128, "y": 128}


def cog(path, seed: int) -> np.ndarray:
    """The rig's COG (256 x 256, 128-pixel tiles, two overviews) as read: nodata is NaN."""
    values = write_cog(path, seed)
    return np.where(values == NODATA, np.nan, values)


def serve(service, path: str, served: dict, before=lambda request: None) -> None:
    """Serve ``served["content"]`` (which a test may change) at *path*, with
    ranges; *before* sees each request first."""

    def answer(request):
        before(request)
        content = served["content"]
        response = Response(content, content_type="image/tiff")
        return response.make_conditional(request, accept_ranges=True, complete_length=len(content))

    service.route(path, answer)


def test_a_first_open_asks_info_and_header_together_and_reads_no_pixels(fake_service, tmp_path):
    values = cog(tmp_path / "a.tif", 0)
    # The first two requests are answered only once both have arrived: an
    # opener asking one after the other would wait for nothing and fail.
    together = threading.Barrier(2, timeout=10)

    def first_two_together(request):
        if len(fake_service.requests) + together.n_waiting < 2:
            together.wait()

    served = {"content": (tmp_path / "a.tif").read_bytes()}
    serve(fake_service, "/data/a.tif", served, first_two_together)
    store = new_data_store("https", root=f"{fake_service.url}/data")

    ds = store.open_data("a.tif", chunks=TILE_CHUNKS)
    assert len(fake_service.requests) == 2  # its info, its header
    header = [r for r in fake_service.requests if r.method == "GET"]
    assert len(header) == 1 and header[0].headers["Range"] == "bytes=0-16383"

    ds = store.open_data("a.tif", chunks=TILE_CHUNKS)  # again: is it still the same file?
    assert [r.method for r in fake_service.requests[2:]] == ["HEAD"]

    np.testing.assert_array_equal(ds.band_1[128:, :128].values, values[128:, :128])
    assert len(fake_service.requests) == 4  # one tile, when read


def test_a_file_changed_since_its_last_open_opens_at_its_new_version(fake_service, tmp_path):
    old, new = cog(tmp_path / "old.tif", 1), cog(tmp_path / "new.tif", 2)
    served = {"content": (tmp_path / "old.tif").read_bytes()}
    serve(fake_service, "/data/a.tif", served)
    store = new_data_store("https", root=f"{fake_service.url}/data")
    np.testing.assert_array_equal(store.open_data("a.tif").band_1.values, old)

    served["content"] = (tmp_path / "new.tif").read_bytes() + b"\0"  # another size
    np.testing.assert_array_equal(store.open_data("a.tif").band_1.values, new)


def test_a_remote_cog_pyramid_asks_once_and_its_levels_ask_nothing(fake_service, tmp_path):
    values = cog(tmp_path / "cog.tif", 3)
    fake_service.file("/data/cog.tif", (tmp_path / "cog.tif").read_bytes())
    store = new_data_store("https", root=f"{fake_service.url}/data")

    ml = store.open_data("cog.tif", data_type="mldataset")
    assert len(fake_service.requests) == 2  # its info, its header
    levels = [ml.get_dataset(i) for i in range(ml.num_levels)]
    assert ml.num_levels == 3 and len(fake_service.requests) == 2
    np.testing.assert_array_equal(levels[0].band_1.values, values)
