"""Close, at interpreter exit, the asynchronous filesystems the package opened.

s3fs and adlfs close their sessions in ``weakref.finalize`` callbacks run at
exit. adlfs's callback for an asynchronous instance (the twin zarr reads
through, see ``kinds.py``) names no event loop, and zarr stops its own
loop at exit before those callbacks run: both end in "RuntimeError: Loop is
not running" tracebacks. So at exit, before zarr's clean-up (our hook is
registered again after each new filesystem, and ``atexit`` runs the latest
first), each filesystem's pending callbacks run now, on a loop that still
runs: their own, or zarr's for an asynchronous instance.
"""

from __future__ import annotations

import atexit
import logging
import weakref

logger = logging.getLogger(__name__)

_opened: weakref.WeakSet = weakref.WeakSet()


def track(fs) -> None:
    """Close *fs* at exit, and every other instance of its class: the asynchronous
    twins zarr reads through, and those xarray or dask made from them."""
    if not getattr(fs, "async_impl", False):
        return
    _opened.add(fs)
    atexit.unregister(close_opened)
    atexit.register(close_opened)


def close_opened() -> None:
    """Run the pending close callbacks of the filesystems :func:`track` saw."""
    classes = tuple({type(fs) for fs in _opened})
    # weakref.finalize keeps its callbacks in this class attribute, the only
    # way to reach those a library registered.
    for finalizer in list(weakref.finalize._registry):  # type: ignore[attr-defined]
        target = finalizer.peek()
        if not classes or target is None or not isinstance(target[0], classes):
            continue
        _, func, args, kwargs = finalizer.detach() or (None, None, (), {})
        try:
            _close(func, args, kwargs)
        except Exception as error:  # noqa: BLE001 - at exit, a failed close only matters to logs
            logger.debug("closing %r at exit failed: %s", target[0], error)


def _close(func, args, kwargs) -> None:
    from fsspec.asyn import sync

    if func is sync and args and args[0] is None:  # an asynchronous instance's callback
        from zarr.core.sync import sync as zarr_sync

        coroutine_function, *rest = args[1:]
        zarr_sync(coroutine_function(*rest, **kwargs))
    elif func is not None:
        func(*args, **kwargs)
