"""Remote rasters are read by byte ranges: opening a large COG moves kilobytes."""

import pickle
import urllib.parse

import numpy as np
import pytest

from benchmarks.proxy import LatencyProxy
from intake_xstores import new_data_store

rasterio = pytest.importorskip("rasterio")


def write_tiled_tiff(path, size: int) -> np.ndarray:
    """A *size* x *size* GeoTIFF of noise in 512-pixel tiles, uncompressed."""
    from rasterio.transform import from_origin

    data = np.random.default_rng(0).integers(0, 255, (size, size), dtype="uint8")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="uint8",
        crs="EPSG:32632",
        transform=from_origin(500000, 5800000, 10, 10),
        tiled=True,
        blockxsize=512,
        blockysize=512,
    ) as dst:
        dst.write(data, 1)
    return data


@pytest.fixture
def counted_s3(s3_store_params):
    """An s3 store whose requests pass a proxy that counts the bytes downloaded."""
    options = s3_store_params["storage_options"]
    endpoint = options["client_kwargs"]["endpoint_url"]
    host, port = urllib.parse.urlsplit(endpoint).netloc.split(":")
    with LatencyProxy(host, int(port), 0) as proxy:
        client_kwargs = {
            **options["client_kwargs"],
            "endpoint_url": f"http://127.0.0.1:{proxy.port}",
        }
        storage_options = {**options, "client_kwargs": client_kwargs, "skip_instance_cache": True}
        yield (
            new_data_store("s3", root=s3_store_params["root"], storage_options=storage_options),
            proxy,
        )


def test_large_remote_geotiff_opens_describes_and_reads_a_tile_by_ranges(counted_s3, tmp_path):
    store, proxy = counted_s3
    data = write_tiled_tiff(tmp_path / "big.tif", 7168)  # 51 MB
    size = (tmp_path / "big.tif").stat().st_size
    store.fs.put_file(str(tmp_path / "big.tif"), f"{store.root}/big.tif")

    proxy.received = 0
    ds = store.open_data("big.tif")
    d = store.describe_data("big.tif")
    tile = ds.band_1[512:1024, 1024:1536].values
    assert proxy.received < 0.05 * size, f"{proxy.received} bytes of {size} downloaded"

    np.testing.assert_array_equal(tile, data[512:1024, 1024:1536])
    assert d.crs == "EPSG:32632" and d.spatial_res == 10
    # chunks follow the file's tiles, so one tile is one chunk
    assert ds.band_1.chunks == ((512,) * 14, (512,) * 14)
    # a Dask worker gets the dataset by pickle and reads by ranges too
    proxy.received = 0
    copy = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(copy.band_1[-512:, -512:].values, data[-512:, -512:])
    assert proxy.received < 0.05 * size
