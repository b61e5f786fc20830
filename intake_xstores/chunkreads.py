"""Chunk reads that say which data they belong to.

A lazily opened dataset reads its chunks much later, inside a Dask task, where
a corrupt or vanished chunk surfaces as a codec's ``RuntimeError: error during
blosc decompression`` with no hint of the dataset. Opening with
``from_array_kwargs=chunk_read_kwargs(data_id, format_id)`` makes every chunk
read of the dataset raise a :class:`DataStoreError` naming both instead, with
the library's error as its cause. The getter is a ``functools.partial`` of a
module-level function, so the graph still pickles for distributed workers.
"""

from __future__ import annotations

import functools
from typing import Any

from .errors import DataStoreError, error_text


def _read_chunk(data_id: str, format_id: str, array: Any, index: Any, *args: Any, **kwargs: Any):
    from dask.array.core import getter

    try:
        return getter(array, index, *args, **kwargs)
    except DataStoreError:
        raise
    except Exception as error:
        raise DataStoreError(
            f"Cannot read a chunk of {data_id!r} as {format_id}: {error_text(error)}"
        ) from error


def chunk_read_kwargs(data_id: str, format_id: str) -> dict[str, Any]:
    """``from_array_kwargs`` for xarray's openers: chunk reads that name *data_id*."""
    return {"getitem": functools.partial(_read_chunk, data_id, format_id)}
