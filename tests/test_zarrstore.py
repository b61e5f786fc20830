"""GenericZarrStore: arrays computed chunk by chunk read back exactly as numpy has them."""

import math
import pickle
import threading

import numcodecs
import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync

from intake_xstores.zarrstore import GenericArray, GenericZarrStore
from tests.conftest import make_cube

DTYPES = ["bool", "int8", "uint16", "int32", "int64", "float32", "float64", "complex64"]


def read_raw(store, key):
    """The bytes a Zarr reader gets for *key* (``None`` if missing)."""
    buffer = sync(store.get(key, default_buffer_prototype()))
    return None if buffer is None else buffer.to_bytes()


def fill_values(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(int(info.min), int(info.max))
    if dtype.kind == "c":
        return st.complex_numbers(width=dtype.itemsize * 8)
    return st.floats(width=dtype.itemsize * 8)


@st.composite
def cases(draw):
    """An array, its chunking and fill value, and how the callback delivers chunks."""
    ndim = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(1, 7), min_size=ndim, max_size=ndim)))
    chunks = tuple(draw(st.integers(1, n + 2)) for n in shape)
    dtype = draw(st.sampled_from(DTYPES))
    values = draw(hnp.arrays(dtype, shape))
    fill_value = draw(st.none() | fill_values(dtype))
    order = draw(st.sampled_from(["C", "F"]))
    compressor = draw(st.sampled_from([None, numcodecs.Zstd(level=1), numcodecs.Zlib(level=1)]))
    delivery = draw(st.sampled_from(["true-shape", "padded", "bytes", "data"]))
    return values, chunks, fill_value, order, compressor, delivery


def make_array(values, chunks, fill_value, order, compressor, delivery, calls=None):
    """A GenericArray serving *values*; its callback records the chunk indices asked for."""
    dtype = values.dtype
    full = tuple(min(c, n) for c, n in zip(chunks, values.shape, strict=True))

    def get_data(chunk_info):
        if calls is not None:
            calls.append(chunk_info["index"])
        chunk = values[chunk_info["slices"]]
        assert chunk.shape == chunk_info["shape"]
        if delivery == "true-shape":
            return chunk
        padded = np.full(full, 0 if fill_value is None else fill_value, dtype)
        padded[tuple(slice(0, n) for n in chunk.shape)] = chunk
        if delivery == "padded":
            return padded
        data = padded.tobytes(order=order)
        return compressor.encode(data) if compressor else data

    source = {"data": values} if delivery == "data" else {"get_data": get_data}
    return GenericArray(
        name="a",
        dims=[f"d{i}" for i in range(values.ndim)],
        shape=values.shape,
        dtype=dtype,
        chunks=chunks,
        fill_value=fill_value,
        order=order,
        compressor=compressor,
        **source,
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_reads_back_what_numpy_has(case):
    values, chunks, fill_value, order, compressor, delivery = case
    store = GenericZarrStore(make_array(*case), attrs={"title": "t"})
    ds = xr.open_zarr(store, mask_and_scale=False)

    assert ds.attrs == {"title": "t"}
    np.testing.assert_array_equal(ds["a"].values, values)
    assert ds["a"].dtype == values.dtype
    # the edges of the last chunk along each dimension are padded with the fill value
    array = store.arrays["a"]
    last = tuple(n - 1 for n in array.num_chunks)
    raw = read_raw(store, "a/" + (".".join(map(str, last)) or "0"))
    raw = compressor.decode(raw) if compressor else raw
    chunk = np.frombuffer(raw, values.dtype).reshape(array["chunks"], order=order)
    outside = np.ones(chunk.shape, bool)
    sizes = zip(values.shape, last, array["chunks"], strict=True)
    outside[tuple(slice(0, n - i * c) for n, i, c in sizes)] = 0
    if delivery != "data":
        fill = 0 if fill_value is None else fill_value
        np.testing.assert_array_equal(chunk[outside], np.full(outside.sum(), fill, values.dtype))


def test_chunks_are_computed_lazily_one_by_one():
    values = np.arange(60, dtype="float32").reshape(6, 10)
    calls = []
    store = GenericZarrStore(make_array(values, (4, 3), np.nan, "C", None, "true-shape", calls))
    ds = xr.open_zarr(store)
    assert calls == []
    assert float(ds["a"][5, 9]) == 59.0
    assert calls == [(1, 3)]
    np.testing.assert_array_equal(ds["a"].values, values)
    assert sorted(set(calls)) == [(i, j) for i in range(2) for j in range(4)]


def test_chunks_are_computed_concurrently():
    """A reader asking for many chunks gets them computed in parallel threads."""
    barrier = threading.Barrier(2, timeout=10)

    def get_data(chunk_info):
        barrier.wait()  # two chunks must be in the callback at the same time
        return np.zeros(chunk_info["shape"], "uint8")

    store = GenericZarrStore(
        GenericArray(name="a", dims=["x"], shape=[4], chunks=[2], dtype="uint8", get_data=get_data)
    )
    np.testing.assert_array_equal(xr.open_zarr(store)["a"].values, np.zeros(4, "uint8"))


def test_get_data_params_and_array_info_reach_the_callback():
    seen = {}

    def get_data(scale, array_info, chunk_info):
        seen["name"] = array_info["name"]
        return np.ones(chunk_info["shape"]) * scale

    store = GenericZarrStore(
        array_defaults={"dtype": "float64", "get_data": get_data},
    )
    store.add_array(name="b", dims=["x"], shape=[3], get_data_params={"scale": 2.5})
    np.testing.assert_array_equal(xr.open_zarr(store)["b"].values, [2.5, 2.5, 2.5])
    assert seen == {"name": "b"}


def test_from_dataset_round_trips_a_cf_cube():
    cube = make_cube(chunks={"time": 1, "lat": 4, "lon": 5})
    store = GenericZarrStore.from_dataset(cube)
    opened = xr.open_zarr(store)
    xr.testing.assert_identical(opened, cube)
    assert opened["chl"].encoding["chunks"] == (1, 4, 5)


def test_conflicting_dimension_sizes_are_refused():
    store = GenericZarrStore(GenericArray(name="a", dims=["x"], data=np.zeros(3)))
    with pytest.raises(ValueError, match=r"'b'.*dimension 'x' has size 4.*size 3"):
        store.add_array(name="b", dims=["x"], data=np.zeros(4))
    assert list(store.arrays) == ["a"]
    with pytest.raises(ValueError, match=r"'c'.*dimension 'y' has size 3.*size 2"):
        store.add_array(name="c", dims=["y", "y"], data=np.zeros((2, 3)))
    assert store.arrays.keys() == {"a"}


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"dims": ["x"], "data": np.zeros(2)}, "name must be"),
        ({"name": "a", "data": np.zeros(2)}, "dims None must name each of the 1"),
        ({"name": "a", "dims": ["x"]}, "exactly one of 'data' and 'get_data'"),
        ({"name": "a", "dims": ["x"], "get_data": len, "dtype": "f4"}, "'shape' is required"),
        ({"name": "a", "dims": ["x"], "get_data": 3, "shape": [2]}, "get_data must be callable"),
        ({"name": "a", "dims": ["x"], "data": np.zeros(2), "chunks": [0]}, "positive sizes"),
        ({"name": "a", "dims": ["x"], "data": np.array(["s"])}, "dtype <U1 is not supported"),
        ({"name": "a", "dims": ["x"], "data": np.zeros(2), "colour": 1}, "unknown fields"),
    ],
)
def test_invalid_arrays_are_refused_with_the_reason(fields, message):
    with pytest.raises(ValueError, match=message):
        GenericZarrStore(GenericArray(**fields))


def test_duplicate_array_names_are_refused():
    store = GenericZarrStore(GenericArray(name="a", dims=["x"], data=np.zeros(2)))
    with pytest.raises(ValueError, match="'a' is already defined"):
        store.add_array(name="a", dims=["x"], data=np.zeros(2))


def test_wrong_chunk_shape_from_the_callback_is_an_error_naming_the_chunk():
    store = GenericZarrStore(
        GenericArray(
            name="a",
            dims=["x"],
            shape=[5],
            chunks=[2],
            dtype="int8",
            get_data=lambda: np.zeros(7, "int8"),
        )
    )
    with pytest.raises(ValueError, match=r"'a': get_data returned shape \(7,\) for chunk \(\d,\)"):
        xr.open_zarr(store)["a"].load()


def _double(chunk_info):
    return 2 * np.arange(math.prod(chunk_info["shape"])).reshape(chunk_info["shape"])


def test_pickles_when_its_callbacks_do():
    store = GenericZarrStore(
        GenericArray(name="a", dims=["x"], shape=[5], chunks=[2], dtype="int64", get_data=_double)
    )
    xr.open_zarr(store)  # metadata made and cached before pickling
    copy = pickle.loads(pickle.dumps(store))
    np.testing.assert_array_equal(xr.open_zarr(copy)["a"].values, [0, 2, 0, 2, 0])


def test_close_calls_on_close_of_each_array():
    closed = []
    store = GenericZarrStore(
        GenericArray(name="a", dims=["x"], data=np.zeros(2), on_close=closed.append),
        GenericArray(name="b", dims=["x"], data=np.zeros(2)),
    )
    store.close()
    assert [array["name"] for array in closed] == ["a"]


def test_read_only_and_listable_with_zarr_v2_layout():
    store = GenericZarrStore(GenericArray(name="a", dims=["y", "x"], data=np.zeros((3, 2))))
    assert not store.supports_writes
    with pytest.raises(PermissionError, match="read-only"):
        sync(store.set("a/0.0", default_buffer_prototype().buffer.from_bytes(b"")))

    async def keys():
        return [key async for key in store.list()], [key async for key in store.list_dir("")]

    all_keys, top = sync(keys())
    assert set(all_keys) == {".zgroup", ".zattrs", ".zmetadata", "a/.zarray", "a/.zattrs", "a/0.0"}
    assert set(top) == {".zgroup", ".zattrs", ".zmetadata", "a"}
    assert read_raw(store, "a/1.0") is None
    assert read_raw(store, "zarr.json") is None
    group = zarr.open_group(store, mode="r")
    assert group["a"].shape == (3, 2)
    assert "GenericZarrStore(arrays=['a'], dims={'y': 3, 'x': 2})" == repr(store)


def test_nan_and_infinite_fill_values_in_metadata():
    store = GenericZarrStore(
        GenericArray(name="n", dims=["x"], data=np.zeros(2), fill_value=float("nan")),
        GenericArray(name="i", dims=["x"], data=np.zeros(2), fill_value=float("-inf")),
    )
    group = zarr.open_group(store, mode="r")
    assert np.isnan(group["n"].fill_value)
    assert group["i"].fill_value == float("-inf")
