"""MultiLevelDataset in memory: levels, aggregation, laziness, pickling.

Expected values are computed here with plain numpy (reshape and reduce), not
with the code under test.
"""

import pickle
import re

import dask
import numpy as np
import pytest
import xarray as xr

from intake_xstores import DataStoreParamsError, MultiLevelDatasetDescriptor, new_data_descriptor
from intake_xstores.mldataset import MultiLevelDataset
from tests.conftest import make_cube


def block_reduce(values: np.ndarray, factor: int, func) -> np.ndarray:
    """Reduce the last two axes in factor x factor blocks (sizes divisible)."""
    *lead, ny, nx = values.shape
    blocks = values.reshape(*lead, ny // factor, factor, nx // factor, factor)
    return func(blocks, axis=(-3, -1))


def block_mode(values: np.ndarray, factor: int) -> np.ndarray:
    *lead, ny, nx = values.shape
    blocks = values.reshape(*lead, ny // factor, factor, nx // factor, factor)
    blocks = np.moveaxis(blocks, -3, -2).reshape(*lead, ny // factor, nx // factor, -1)
    out = np.empty(blocks.shape[:-1], dtype=values.dtype)
    for index in np.ndindex(out.shape):
        uniques, counts = np.unique(blocks[index], return_counts=True)
        out[index] = uniques[np.argmax(counts)]  # ties: np.unique sorts, so the smallest
    return out


def test_levels_halve_resolution_and_aggregate_by_default():
    cube = make_cube(nt=2, ny=8, nx=16)
    mlds = MultiLevelDataset.from_dataset(cube, num_levels=3, ds_id="chl")

    assert mlds.num_levels == 3
    assert mlds.base_dataset is cube
    assert [dict(mlds.get_dataset(i).sizes) for i in range(3)] == [
        {"time": 2, "lat": 8, "lon": 16},
        {"time": 2, "lat": 4, "lon": 8},
        {"time": 2, "lat": 2, "lon": 4},
    ]
    assert mlds.resolutions == ((0.5, 0.5), (1.0, 1.0), (2.0, 2.0))
    assert mlds.crs == "EPSG:4326"
    for level in (1, 2):
        ds = mlds.get_dataset(level)
        factor = 2**level
        # floats: mean; integers: the first (top-left) pixel of each block
        np.testing.assert_allclose(
            ds.chl.values, block_reduce(cube.chl.values, factor, np.mean), rtol=1e-6
        )
        np.testing.assert_array_equal(ds.qc.values, cube.qc.values[:, ::factor, ::factor])
        assert ds.chl.dtype == np.float32 and ds.qc.dtype == np.int16
        assert ds.chl.attrs["units"] == "mg m-3"
        # The extent stays: coarse pixel centres sit in the middle of their blocks.
        np.testing.assert_allclose(ds.lon.values, cube.lon.values.reshape(-1, factor).mean(1))
        np.testing.assert_allclose(ds.lat.values, cube.lat.values.reshape(-1, factor).mean(1))


@pytest.mark.parametrize("method", ["first", "mean", "median", "min", "max", "mode"])
def test_each_aggregation_method(method):
    cube = make_cube(nt=2, ny=8, nx=8)
    mlds = MultiLevelDataset.from_dataset(cube, 2, agg_methods={"qc": method, "chl": method})
    level = mlds.get_dataset(1)
    for name in ("qc", "chl"):
        values = cube[name].values
        expected = {
            "first": values[:, ::2, ::2],
            "mean": block_reduce(values.astype("float64"), 2, np.mean),
            "median": block_reduce(values.astype("float64"), 2, np.median),
            "min": block_reduce(values, 2, np.min),
            "max": block_reduce(values, 2, np.max),
            "mode": block_mode(values, 2),
        }[method]
        np.testing.assert_allclose(level[name].values, expected, rtol=1e-6)
    if method in ("first", "min", "max", "mode"):
        assert level.qc.dtype == np.int16  # an integer class stays an integer


def test_agg_methods_as_one_method_or_wildcards():
    cube = make_cube(nt=1, ny=4, nx=4)
    assert MultiLevelDataset.from_dataset(cube, 2, agg_methods="max").agg_methods == {
        "chl": "max",
        "qc": "max",
    }
    assert MultiLevelDataset.from_dataset(cube, 2, agg_methods={"c*": "min"}).agg_methods == {
        "chl": "min",
        "qc": "first",
    }


def test_flag_variables_default_to_first():
    cube = make_cube(nt=1, ny=4, nx=4)
    cube["chl"].attrs["flag_values"] = [0.0, 1.0]
    assert MultiLevelDataset.from_dataset(cube, 2).agg_methods == {"chl": "first", "qc": "first"}


def test_sizes_not_divisible_keep_the_extent():
    cube = make_cube(nt=1, ny=6, nx=5)
    mlds = MultiLevelDataset.from_dataset(cube, 4)
    sizes = [(mlds.get_dataset(i).sizes["lat"], mlds.get_dataset(i).sizes["lon"]) for i in range(4)]
    assert sizes == [(6, 5), (3, 3), (2, 2), (1, 1)]
    level1 = mlds.get_dataset(1)
    # The last column's window holds only the pixels the edge has.
    np.testing.assert_allclose(
        level1.chl.values[0, 0, 2], cube.chl.values[0, 0:2, 4].mean(), rtol=1e-6
    )
    # Coarse pixels are 1 degree wide, from the base grid's edge at 10 degrees east.
    np.testing.assert_allclose(level1.lon.values, [10.5, 11.5, 12.5])
    assert MultiLevelDataset.from_dataset(cube).num_levels == 1  # fits one 256-pixel tile


def test_default_num_levels_halve_until_width_or_height_fits_a_tile():
    # xcube's rule: stop as soon as one side fits in a tile
    cube = make_cube(nt=1, ny=32, nx=64, chunks={"lat": 8, "lon": 8})
    mlds = MultiLevelDataset.from_dataset(cube)
    assert mlds.tile_size == (8, 8)
    assert mlds.num_levels == 3  # 64x32 -> 32x16 -> 16x8
    assert MultiLevelDataset.from_dataset(cube, tile_size=[16, 32]).num_levels == 1
    assert MultiLevelDataset.from_dataset(cube, tile_size=[16, 4]).num_levels == 3


def test_levels_are_lazy_and_cached():
    cube = make_cube(nt=2, ny=16, nx=16, chunks={"lat": 4, "lon": 4})
    with dask.config.set(scheduler=_no_compute):
        mlds = MultiLevelDataset.from_dataset(cube, 5)
        coarsest = mlds.get_dataset(4)
    assert coarsest.chl.chunks is not None  # still a Dask array
    assert mlds.get_dataset(4) is coarsest
    assert coarsest.chl.values.shape == (2, 1, 1)
    np.testing.assert_allclose(
        coarsest.chl.values[:, 0, 0], cube.chl.values.mean(axis=(1, 2)), rtol=1e-6
    )


def _no_compute(*args, **kwargs):
    raise AssertionError("computed data while only building levels")


def test_pickles_with_its_levels():
    cube = make_cube(nt=1, ny=8, nx=8, chunks={"lat": 4, "lon": 4})
    mlds = MultiLevelDataset.from_dataset(cube, 3, ds_id="cube", agg_methods={"qc": "max"})
    clone = pickle.loads(pickle.dumps(mlds))
    assert (clone.ds_id, clone.num_levels, clone.tile_size) == ("cube", 3, (4, 4))
    xr.testing.assert_identical(clone.get_dataset(2).compute(), mlds.get_dataset(2).compute())


def test_from_datasets_callables_and_files(tmp_path):
    cube = make_cube(nt=1, ny=8, nx=8)
    levels = [cube, cube.isel(lat=slice(None, None, 2), lon=slice(None, None, 2))]
    from_list = MultiLevelDataset.from_datasets(levels, ds_id="list")
    assert from_list.num_levels == 2 and from_list.get_dataset(1) is levels[1]
    assert from_list.resolutions == ((0.5, 0.5), (1.0, 1.0))

    calls = []

    def make(index):
        def level():
            calls.append(index)
            return levels[index]

        return level

    from_calls = MultiLevelDataset.from_callables([make(0), make(1)])
    assert calls == []
    assert from_calls.get_dataset(1) is levels[1]
    from_calls.get_dataset(1)
    assert calls == [1]  # made once, when first asked for

    paths = []
    for index, ds in enumerate(levels):
        paths.append(str(tmp_path / f"{index}.zarr"))
        ds.to_zarr(paths[-1], zarr_format=2)
    from_files = MultiLevelDataset.from_files(paths)
    assert from_files.get_dataset(1).sizes["lon"] == 4
    np.testing.assert_array_equal(from_files.get_dataset(1).qc.values, levels[1].qc.values)


def test_descriptor_tells_the_number_of_levels():
    mlds = MultiLevelDataset.from_dataset(make_cube(nt=1, ny=8, nx=8), 3)
    descriptor = new_data_descriptor("cube.levels", mlds)
    assert isinstance(descriptor, MultiLevelDatasetDescriptor)
    assert descriptor.num_levels == 3
    assert descriptor.to_dict()["data_type"] == "mldataset"
    assert descriptor.bbox == (10.0, 50.0, 14.0, 54.0)


def test_repr_names_id_levels_and_variables():
    mlds = MultiLevelDataset.from_dataset(make_cube(nt=1, ny=8, nx=8), 2, ds_id="demo")
    text = repr(mlds)
    assert "ds_id='demo'" in text and "num_levels=2" in text and "'chl'" in text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_levels": 0}, "'num_levels': 0; allowed: an integer from 1 to 4"),
        ({"num_levels": 9}, "'num_levels': 9; allowed: an integer from 1 to 4"),
        ({"agg_methods": "avg"}, "'agg_methods': 'avg'; allowed: one of first, mean"),
        ({"agg_methods": {"qc": "avg"}}, "'avg'; the method for 'qc'; allowed: one of first, mean"),
        ({"agg_methods": {"chlorophyll": "max"}}, "'chlorophyll'; names no spatial variable"),
        ({"tile_size": [0, 4]}, "'tile_size': [0, 4]; allowed: a positive integer"),
    ],
)
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(DataStoreParamsError, match=re.escape(message)):
        MultiLevelDataset.from_dataset(make_cube(nt=1, ny=8, nx=8), **kwargs)


def test_bad_level_index_and_grid_are_explained():
    mlds = MultiLevelDataset.from_dataset(make_cube(nt=1, ny=8, nx=8), 2)
    with pytest.raises(DataStoreParamsError, match="'index': 2; allowed: an integer from 0 to 1"):
        mlds.get_dataset(2)
    with pytest.raises(DataStoreParamsError, match="needs an x dimension"):
        MultiLevelDataset.from_dataset(xr.Dataset({"v": (("a", "b"), np.zeros((2, 2)))}))


def test_resolutions_and_grid_mapping_open_only_level_zero():
    opened = []
    cube = make_cube(nt=1, ny=8, nx=8)

    def level(index):
        opened.append(index)
        return cube if index == 0 else cube.isel(lat=slice(None, None, 2**index))

    mlds = MultiLevelDataset(level, 3, ds_id="counted")
    assert mlds.resolutions == ((0.5, 0.5), (1.0, 1.0), (2.0, 2.0))
    assert mlds.grid_mapping.size == (8, 8)
    assert mlds.get_level_for_resolution(1.5) == 1
    assert opened == [0]
