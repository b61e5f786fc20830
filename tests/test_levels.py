"""The ``.levels`` format and COGs as multi-level datasets, on every writable protocol.

Expected values are computed here with plain numpy, not with the code under test.
"""

import json
import posixpath
import uuid

import numpy as np
import pytest
import xarray as xr

from intake_xstores import DataStoreError, DataStoreParamsError, new_data_store
from intake_xstores.mldataset import MultiLevelDataset
from tests.conftest import make_cube


def block_mean(values: np.ndarray, factor: int) -> np.ndarray:
    *lead, ny, nx = values.shape
    return values.reshape(*lead, ny // factor, factor, nx // factor, factor).mean(axis=(-3, -1))


def store_path(store, *names: str) -> str:
    return posixpath.join(store.root, *names)


@pytest.fixture
def memory_store():
    return new_data_store("memory", root=f"/levels-{uuid.uuid4().hex}")


def test_write_and_reopen_as_mldataset_and_dataset(new_store):
    store = new_store()
    cube = make_cube(nt=2, ny=8, nx=16)
    store.write_data(cube, "cube.levels", num_levels=3, tile_size=4)

    assert list(store.get_data_ids()) == ["cube.levels"]
    assert store.get_data_types_for_data("cube.levels") == ("mldataset", "dataset")
    mlds = store.open_data("cube.levels")
    assert isinstance(mlds, MultiLevelDataset)
    assert mlds.num_levels == 3 and mlds.tile_size == (4, 4)
    assert mlds.resolutions == ((0.5, 0.5), (1.0, 1.0), (2.0, 2.0))
    for level in range(3):
        ds = mlds.get_dataset(level)
        factor = 2**level
        assert dict(ds.sizes) == {"time": 2, "lat": 8 // factor, "lon": 16 // factor}
        assert max(ds.chl.chunks[1]) <= 4 and max(ds.chl.chunks[2]) <= 4  # stored in tiles
        np.testing.assert_allclose(ds.chl.values, block_mean(cube.chl.values, factor), rtol=1e-6)
        np.testing.assert_array_equal(ds.qc.values, cube.qc.values[:, ::factor, ::factor])

    base = store.open_data("cube.levels", data_type="dataset")
    assert isinstance(base, xr.Dataset)
    xr.testing.assert_allclose(base.compute(), cube)
    descriptor = store.describe_data("cube.levels")
    assert descriptor.num_levels == 3 and descriptor.data_type.alias == "mldataset"


def test_write_with_link_to_base_dataset(new_store):
    store = new_store()
    cube = make_cube(nt=1, ny=8, nx=8)
    store.write_data(cube, "data/cube.zarr")
    store.write_data(
        cube, "data/cube.levels", num_levels=3, base_dataset_id="data/cube.zarr", agg_methods="max"
    )

    files = {
        posixpath.basename(p)
        for p in store.fs.ls(store_path(store, "data/cube.levels"), detail=False)
    }
    assert files == {".zlevels", "0.link", "1.zarr", "2.zarr"}  # level 0 is not copied
    link = store.fs.cat_file(store_path(store, "data/cube.levels/0.link")).decode()
    assert link == "../cube.zarr"  # relative: the store root may move
    assert sorted(store.get_data_ids()) == []  # max_depth=1 by default
    assert sorted(new_store(max_depth=2).get_data_ids()) == ["data/cube.levels", "data/cube.zarr"]

    mlds = store.open_data("data/cube.levels")
    np.testing.assert_array_equal(mlds.base_dataset.chl.values, cube.chl.values)
    expected = cube.chl.values.reshape(1, 4, 2, 4, 2).max(axis=(2, 4))
    np.testing.assert_array_equal(mlds.get_dataset(1).chl.values, expected)
    assert dict(mlds.get_dataset(2).sizes) == {"time": 1, "lat": 2, "lon": 2}
    base = store.open_data("data/cube.levels", data_type="dataset")
    np.testing.assert_array_equal(base.qc.values, cube.qc.values)


def test_interrupted_write_leaves_nothing(new_store, monkeypatch):
    store = new_store()
    cube = make_cube(nt=1, ny=8, nx=8)
    writes = []
    original = xr.Dataset.to_zarr

    def interrupted(self, *args, **kwargs):
        writes.append(1)
        if len(writes) == 2:  # level 0 is written, then the user presses Ctrl-C
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(xr.Dataset, "to_zarr", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.write_data(cube, "cube.levels", num_levels=3)
    assert list(store.get_data_ids()) == []
    assert not store.has_data("cube.levels")
    root = store_path(store)
    leftovers = store.fs.ls(root, detail=False) if store.fs.exists(root) else []
    assert leftovers == []


def test_existing_pyramid_is_replaced_only_when_asked(memory_store):
    cube = make_cube(nt=1, ny=4, nx=4)
    memory_store.write_data(cube, "cube.levels", num_levels=2)
    with pytest.raises(DataStoreError, match="already exists; pass replace=True"):
        memory_store.write_data(cube + 1, "cube.levels", num_levels=3)
    assert memory_store.open_data("cube.levels").num_levels == 2
    memory_store.write_data(cube + 1, "cube.levels", num_levels=3, replace=True)
    replaced = memory_store.open_data("cube.levels")
    assert replaced.num_levels == 3
    np.testing.assert_allclose(replaced.base_dataset.chl.values, cube.chl.values + 1)


def test_zlevels_records_how_levels_were_made(memory_store):
    cube = make_cube(nt=1, ny=8, nx=8)
    memory_store.write_data(
        cube, "cube.levels", num_levels=2, tile_size=[8, 4], agg_methods={"qc": "mode"}
    )
    meta = json.loads(memory_store.fs.cat_file(store_path(memory_store, "cube.levels/.zlevels")))
    assert meta == {
        "version": "1.0",
        "num_levels": 2,
        "tile_size": [8, 4],
        "agg_methods": {"chl": "mean", "qc": "mode"},
        "use_saved_levels": False,
    }
    assert memory_store.open_data("cube.levels").tile_size == (8, 4)


def test_use_saved_levels_gives_the_same_pyramid(memory_store):
    cube = make_cube(nt=1, ny=8, nx=8)
    memory_store.write_data(cube, "a.levels", num_levels=3)
    memory_store.write_data(cube, "b.levels", num_levels=3, use_saved_levels=True)
    a, b = memory_store.open_data("a.levels"), memory_store.open_data("b.levels")
    for level in range(3):
        xr.testing.assert_allclose(a.get_dataset(level).compute(), b.get_dataset(level).compute())


def test_writes_a_multi_level_dataset_under_a_new_id(memory_store):
    levels = [make_cube(nt=1, ny=4, nx=4), make_cube(nt=1, ny=2, nx=2, seed=1)]
    data_id = memory_store.write_data(MultiLevelDataset.from_datasets(levels))
    assert data_id.endswith(".levels")
    reopened = memory_store.open_data(data_id)
    np.testing.assert_array_equal(reopened.get_dataset(1).chl.values, levels[1].chl.values)


def test_progress_shows_one_labelled_bar_per_level(memory_store, capsys):
    cube = make_cube(nt=2, ny=8, nx=8)
    memory_store.write_data(cube, "cube.levels", num_levels=2, tile_size=4, progress=True)
    err = capsys.readouterr().err
    finished = [line.strip() for line in err.replace("\r", "\n").splitlines() if "100%" in line]
    # level 0: 2 variables x 2 x 2 tiles + 3 coordinates; level 1: one tile each
    assert [line.split("|")[0] for line in finished] == [
        "writing cube.levels/0.zarr: 100%",
        "writing cube.levels/1.zarr: 100%",
    ]
    assert "11/11 [" in finished[0] and "5/5 [" in finished[1]


def test_default_tile_size_makes_tiles_of_data_in_one_chunk(memory_store):
    cube = make_cube(nt=1, ny=300, nx=600)  # in memory: one chunk of the full extent
    memory_store.write_data(cube, "cube.levels")
    mlds = memory_store.open_data("cube.levels")
    assert mlds.tile_size == (256, 256)
    assert mlds.num_levels == 2  # xcube's rule for 600 x 300 pixels in 256-pixel tiles
    assert mlds.get_dataset(0).chl.chunks == ((1,), (256, 44), (256, 256, 88))


@pytest.mark.parametrize(
    "base_dataset_id, message",
    [
        ("../outside.zarr", "outside the store root"),
        ("missing.zarr", "does not exist"),
        ("other/cube.zarr", "in the folder of the multi-level dataset or below it"),
    ],
)
def test_links_stay_inside_the_store(memory_store, base_dataset_id, message):
    cube = make_cube(nt=1, ny=4, nx=4)
    memory_store.write_data(cube, "other/cube.zarr")
    with pytest.raises(DataStoreParamsError, match=message):
        memory_store.write_data(
            cube, "pyramids/cube.levels", num_levels=2, base_dataset_id=base_dataset_id
        )
    assert not memory_store.has_data("pyramids/cube.levels")


def test_link_out_of_the_store_is_refused_on_open(memory_store):
    cube = make_cube(nt=1, ny=4, nx=4)
    memory_store.write_data(cube, "cube.levels", num_levels=2)
    fs = memory_store.fs
    fs.rm(store_path(memory_store, "cube.levels/0.zarr"), recursive=True)
    fs.pipe_file(store_path(memory_store, "cube.levels/0.link"), b"../../secret.zarr")
    with pytest.raises(DataStoreError, match="Invalid link '../../secret.zarr'"):
        memory_store.open_data("cube.levels")


def test_bad_write_parameters_are_named(memory_store):
    cube = make_cube(nt=1, ny=4, nx=4)
    with pytest.raises(DataStoreParamsError, match="agg_methods"):
        memory_store.write_data(cube, "cube.levels", agg_methods="average")
    with pytest.raises(
        DataStoreParamsError, match="'num_levels': 5; allowed: an integer from 1 to 3"
    ):
        memory_store.write_data(cube, "cube.levels", num_levels=5)
    assert list(memory_store.get_data_ids()) == []


def write_cog(store, name: str, data: np.ndarray) -> None:
    """A tiled GeoTIFF with internal overviews (2x and 4x), made by GDAL."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.transform import from_origin

    profile = dict(
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype=data.dtype,
        crs="EPSG:32632",
        transform=from_origin(500000, 6000000, 10, 10),
        tiled=True,
        blockxsize=16,
        blockysize=16,
    )
    with rasterio.MemoryFile() as memfile:
        with memfile.open(**profile) as dst:
            dst.write(data, 1)
            dst.build_overviews([2, 4], Resampling.average)
        content = memfile.read()
    store.fs.makedirs(store_path(store), exist_ok=True)
    store.fs.pipe_file(store_path(store, name), content)


def test_cog_overviews_open_as_levels(new_store):
    store = new_store()
    data = np.arange(64 * 64, dtype="float32").reshape(64, 64)
    write_cog(store, "dem.tif", data)

    mlds = store.open_data("dem.tif", data_type="mldataset")
    assert mlds.num_levels == 3
    assert mlds.resolutions == ((10.0, 10.0), (20.0, 20.0), (40.0, 40.0))
    assert mlds.crs == "EPSG:32632" and mlds.tile_size == (16, 16)
    for level in range(3):
        values = mlds.get_dataset(level).band_1.values
        np.testing.assert_allclose(values, block_mean(data, 2**level) if level else data)
    full = store.open_data("dem.tif")
    assert isinstance(full, xr.Dataset) and dict(full.sizes) == {"y": 64, "x": 64}
    assert store.describe_data("dem.tif", data_type="mldataset").num_levels == 3


def test_cog_pyramid_copies_into_levels(memory_store):
    data = np.arange(32 * 32, dtype="float32").reshape(32, 32)
    write_cog(memory_store, "dem.tif", data)
    cog = memory_store.open_data("dem.tif", data_type="mldataset")
    memory_store.write_data(cog, "dem.levels")
    copy = memory_store.open_data("dem.levels")
    assert copy.num_levels == 3
    np.testing.assert_allclose(copy.get_dataset(2).band_1.values, block_mean(data, 4))


def test_levels_keep_their_tiles_when_chunks_are_large(memory_store):
    cube = make_cube(nt=1100, ny=64, nx=128)  # chl: 18 MB per tile, all times
    memory_store.write_data(cube, "long.levels", num_levels=1, tile_size=64)
    chunks = memory_store.open_data("long.levels").get_dataset(0).chl.chunks
    assert chunks[1:] == ((64,), (64, 64))


def test_format_errors_name_the_data_id_through_a_store_and_the_path_without_one(
    memory_store,
):
    from intake_xstores import new_data_opener

    memory_store.fs.pipe(store_path(memory_store, "empty.levels", "notes.txt"), b"no levels")
    with pytest.raises(DataStoreError, match="^'empty.levels' is not a multi-level") as info:
        memory_store.open_data("empty.levels")
    assert memory_store.root not in str(info.value)

    path = store_path(memory_store, "empty.levels")
    with pytest.raises(DataStoreError, match=f"^{path!r} is not a multi-level"):
        new_data_opener("mldataset:levels:memory").open_data(path)
