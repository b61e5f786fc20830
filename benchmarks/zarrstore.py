"""Benchmark row: GenericZarrStore against an in-memory Zarr store of the same arrays.

Both are read whole through ``xarray.open_zarr(...).compute()``: ours computes
each chunk by slicing numpy arrays in a callback; raw reads the same arrays,
written uncompressed to zarr's ``MemoryStore`` (so neither pays for codecs).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
import zarr

from intake_xstores.zarrstore import GenericArray, GenericZarrStore


def _arrays(quick: bool) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    shape = (8, 256, 256) if quick else (16, 512, 512)
    return {name: rng.random(shape, dtype="float32") for name in ("a", "b", "c")}


def _generic_store(arrays: dict[str, np.ndarray], chunks: tuple[int, ...]) -> GenericZarrStore:
    def get_data(values, chunk_info):
        return values[chunk_info["slices"]]

    return GenericZarrStore(
        *(
            GenericArray(
                name=name,
                dims=("time", "y", "x"),
                shape=values.shape,
                dtype=values.dtype,
                chunks=chunks,
                get_data=get_data,
                get_data_params={"values": values},
            )
            for name, values in arrays.items()
        )
    )


def _memory_store(arrays: dict[str, np.ndarray], chunks: tuple[int, ...]) -> zarr.abc.store.Store:
    store = zarr.storage.MemoryStore()
    ds = xr.Dataset({name: (("time", "y", "x"), values) for name, values in arrays.items()})
    encoding = {name: {"chunks": chunks, "compressors": None} for name in arrays}
    ds.to_zarr(store, zarr_format=2, consolidated=True, encoding=encoding)
    return store


def bench_generic_zarr_store(timed, report, repeat: int, quick: bool) -> None:
    """Add the row 'GenericZarrStore read all chunks' (target <= 1.2)."""
    arrays = _arrays(quick)
    chunks = (1, 128, 128)
    generic, memory = _generic_store(arrays, chunks), _memory_store(arrays, chunks)

    def ours():
        xr.open_zarr(generic).compute()

    def raw():
        xr.open_zarr(memory).compute()

    np.testing.assert_array_equal(xr.open_zarr(generic)["b"].values, arrays["b"])
    n_chunks = sum(v.size for v in arrays.values()) // int(np.prod(chunks))
    ours_s, raw_s = timed(ours, raw, 2 * repeat)  # short runs: more turns against noise
    report(f"GenericZarrStore read all {n_chunks} chunks", ours_s, raw_s, "s", "<= 1.2")
