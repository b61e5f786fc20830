"""Preloading: fetching data ahead of opening it, with progress and cancel.

Some stores cannot open their data lazily where it lives: a NetCDF file in
a web archive, a zip of GeoTIFFs, a product that must be ordered first.
``store.preload_data(*data_ids, **params)`` fetches such data into a cache
store and returns that store, whose ``preload_handle`` reports the state of
each data ID (:class:`PreloadState`) and can cancel the job.

Conventional preload parameters (see :meth:`DataStore.preload_data`):

- ``blocking`` (default ``True``): return only when every data ID is done;
- ``silent`` (default ``False``): show no progress; otherwise a tqdm bar per
  data ID in a terminal, a live HTML table in a notebook;
- ``monitor``: ``monitor(handle, event)`` is called with every partial
  :class:`PreloadState` a task reports (e.g. to drive a GUI).

A store implements preloading by giving :class:`ExecutorPreloadHandle` a
function ``preload_data(handle, data_id, **params)`` (or by subclassing it)
that reports progress with ``handle.notify(PreloadState(data_id,
progress=0.5, message="unpacking"))`` and polls ``handle.cancelled`` (or
calls ``handle.raise_if_cancelled()``) between steps.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, Executor, Future, ThreadPoolExecutor
from enum import Enum
from typing import Any

from .errors import error_text

__all__ = [
    "ExecutorPreloadHandle",
    "NullPreloadHandle",
    "Preloaded",
    "PreloadHandle",
    "PreloadMonitor",
    "PreloadState",
    "PreloadStatus",
]

_LOG = logging.getLogger(__name__)


class PreloadStatus(Enum):
    """Where the preloading of one data ID stands."""

    waiting = "waiting"
    started = "started"
    completed = "completed"
    cancelled = "cancelled"
    failed = "failed"

    @property
    def is_terminal(self) -> bool:
        """Whether the status is final (completed, cancelled or failed)."""
        return self in (PreloadStatus.completed, PreloadStatus.cancelled, PreloadStatus.failed)

    def __str__(self) -> str:
        return self.name.upper()

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


@dataclasses.dataclass(repr=False)
class PreloadState:
    """The state of one data ID's preloading, or a partial update of it.

    Fields left ``None`` in an update (an *event*) leave the state's as they are.
    ``progress`` is a fraction from 0 to 1.
    """

    data_id: str
    status: PreloadStatus | None = None
    progress: float | None = None
    message: str | None = None
    exception: BaseException | None = None

    def __post_init__(self):
        if not self.data_id:
            raise ValueError("PreloadState: data_id must be given")

    def update(self, event: PreloadState) -> None:
        """Merge the partial state *event* (of the same data ID) into this one."""
        if not isinstance(event, PreloadState):
            raise TypeError(f"event must be a PreloadState, got {type(event).__name__}")
        if event.data_id != self.data_id:
            return
        for name, value in event._fields().items():
            setattr(self, name, value)

    def copy(self) -> PreloadState:
        return dataclasses.replace(self)

    def _fields(self) -> dict[str, Any]:
        """The fields that are set."""
        return {k: v for k, v in vars(self).items() if v is not None}

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self._fields().items())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._fields().items())
        return f"{type(self).__name__}({args})"


PreloadMonitor = Callable[["PreloadHandle", PreloadState], None]
"""``monitor(handle, event)``: told of every partial state a preload task reports."""


class PreloadHandle(ABC):
    """A preload job: its states, and a way to cancel and to clean up after it."""

    @abstractmethod
    def get_state(self, data_id: str) -> PreloadState:
        """The current state of *data_id*'s preloading."""

    @property
    @abstractmethod
    def cancelled(self) -> bool:
        """Whether the job was cancelled; running tasks poll it to stop early."""

    @abstractmethod
    def cancel(self) -> None:
        """Cancel the job: waiting tasks do not start, running ones stop when they notice."""

    @abstractmethod
    def show(self) -> Any:
        """Show the job's state (a live table in a notebook, a text table otherwise)."""

    def close(self) -> None:  # noqa: B027 - an optional hook
        """Release what the job holds (e.g. its cache) once the data are no longer needed."""

    def notify(self, event: PreloadState) -> None:  # noqa: B027 - an optional hook
        """Report a partial state of a running task (*event*)."""

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the job to end (at most *timeout* s); return whether it did.

        The default has nothing to wait for.
        """
        return True

    def raise_if_cancelled(self) -> None:
        """Raise ``concurrent.futures.CancelledError`` if the job was cancelled.

        A task calls it between steps; its data ID then ends as ``cancelled``.
        """
        if self.cancelled:
            raise CancelledError("preload cancelled")

    def __enter__(self) -> PreloadHandle:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class NullPreloadHandle(PreloadHandle):
    """The handle of a store that has nothing to preload: every state is empty."""

    def get_state(self, data_id: str) -> PreloadState:
        return PreloadState(data_id)

    @property
    def cancelled(self) -> bool:
        return False

    def cancel(self) -> None:
        pass

    def show(self) -> Any:
        return None

    def __repr__(self) -> str:
        return "NullPreloadHandle()"


class ExecutorPreloadHandle(PreloadHandle):
    """Preloads each data ID as one task on an executor.

    Give the work as ``preload_data(handle, data_id, **preload_params)``, or
    override :meth:`preload_data` in a subclass. The tasks run on *executor*
    (one of this process: they share the handle), by default on a thread
    pool of *max_workers* threads that ends with them. With *blocking*
    the constructor returns when all tasks are done (Ctrl-C cancels them
    and waits for the running ones to stop); otherwise use :meth:`wait`.
    A data ID whose status is terminal (completed, cancelled, failed) keeps it.
    """

    def __init__(
        self,
        data_ids: Iterable[str],
        preload_data: Callable[..., None] | None = None,
        executor: Executor | None = None,
        max_workers: int | None = None,
        blocking: bool = True,
        silent: bool = False,
        monitor: PreloadMonitor | None = None,
        **preload_params: Any,
    ):
        self._data_ids = tuple(dict.fromkeys(data_ids))
        self._preload_data = preload_data
        self._monitor = monitor
        self._preload_params = preload_params
        self._states = {
            data_id: PreloadState(data_id, PreloadStatus.waiting, 0.0) for data_id in self._data_ids
        }
        self._lock = threading.Lock()
        self._cancel_event = threading.Event()
        self._done_event = threading.Event()
        self._futures: list[Future] = []
        self._display = None if silent else _new_display(self)
        own_executor = executor is None
        if own_executor:
            executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="preload")
        for data_id in self._data_ids:
            future = executor.submit(self._run, data_id)
            self._futures.append(future)
            future.add_done_callback(lambda f, d=data_id: self._finish(d, f))
        self._check_done()
        if own_executor:
            executor.shutdown(wait=False)  # the pool ends once its tasks are done
        if blocking:
            self.wait()

    # --- the work ----------------------------------------------------------------

    def preload_data(self, data_id: str, **preload_params: Any) -> None:
        """Preload *data_id*; the default calls the constructor's ``preload_data``."""
        if self._preload_data is None:
            raise NotImplementedError(
                f"{type(self).__name__}: give preload_data= or override preload_data()"
            )
        self._preload_data(self, data_id, **preload_params)

    def _run(self, data_id: str) -> None:
        self.raise_if_cancelled()
        self.notify(PreloadState(data_id, PreloadStatus.started))
        self.preload_data(data_id, **self._preload_params)

    def _finish(self, data_id: str, future: Future) -> None:
        if future.cancelled() or isinstance(future.exception(), CancelledError):
            event = PreloadState(data_id, PreloadStatus.cancelled, message="cancelled")
        elif future.exception() is not None:
            error = future.exception()
            event = PreloadState(data_id, PreloadStatus.failed, message=error_text(error))
            event.exception = error
        else:
            event = PreloadState(data_id, PreloadStatus.completed, progress=1.0)
        self.notify(event)

    # --- the handle ----------------------------------------------------------------

    @property
    def data_ids(self) -> tuple[str, ...]:
        return self._data_ids

    def get_state(self, data_id: str) -> PreloadState:
        with self._lock:
            state = self._states.get(data_id)
            if state is None:
                raise KeyError(f"{data_id!r} is not being preloaded; these are: {self._data_ids}")
            return state.copy()

    @property
    def states(self) -> list[PreloadState]:
        """Copies of the current states, in the order of the data IDs."""
        with self._lock:
            return [state.copy() for state in self._states.values()]

    @property
    def cancelled(self) -> bool:
        return self._cancel_event.is_set()

    @property
    def done(self) -> bool:
        """Whether every data ID has reached a terminal status."""
        return self._done_event.is_set()

    def _check_done(self) -> None:
        with self._lock:
            if len(self._futures) == len(self._data_ids) and all(
                s.status.is_terminal for s in self._states.values()
            ):
                self._done_event.set()

    def cancel(self) -> None:
        self._cancel_event.set()
        for future in list(self._futures):
            future.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the tasks to end (at most *timeout* s); return whether they all did.

        Ctrl-C while waiting cancels the job, waits for the running tasks to
        stop, and raises ``KeyboardInterrupt``.
        """
        try:
            done = self._done_event.wait(timeout)
        except KeyboardInterrupt:
            self.cancel()
            self._done_event.wait()
            raise
        finally:
            if self._display is not None and self.done:
                self._display.update(final=True)
        return done

    def notify(self, event: PreloadState) -> None:
        with self._lock:
            state = self._states.get(event.data_id)
            if state is None or (state.status is not None and state.status.is_terminal):
                return
            state.update(event)
        self._check_done()
        if self._display is not None:
            self._display.update()
        if self._monitor is not None:
            try:
                self._monitor(self, event)
            except Exception:  # a broken monitor must not break the preloading
                _LOG.exception("Preload monitor %r failed on %r", self._monitor, event)

    def close(self) -> None:
        """Cancel what still runs and wait for it; subclasses also clean their caches."""
        if not self.done:
            self.cancel()
            self._done_event.wait()
        if self._display is not None:
            self._display.update(final=True)

    def show(self) -> Any:
        if _in_notebook():
            from IPython.display import display

            display(self)
            return None
        print(self)
        return None

    # --- text and HTML -------------------------------------------------------------

    def _rows(self) -> list[tuple[str, str, str, str]]:
        return [
            (
                s.data_id,
                str(s.status) if s.status else "-",
                f"{s.progress:.0%}" if s.progress is not None else "-",
                s.message or "",
            )
            for s in self.states
        ]

    def __str__(self) -> str:
        header = ("Data ID", "Status", "Progress", "Message")
        rows = [header, *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(line.rstrip() for line in lines)

    def _repr_html_(self) -> str:
        cells = []
        for state, (data_id, status, progress, message) in zip(
            self.states, self._rows(), strict=True
        ):
            bar = (
                f'<progress value="{state.progress:.3f}" max="1"></progress> {progress}'
                if state.progress is not None
                else progress
            )
            cells.append(
                f"<tr><td>{html.escape(data_id)}</td><td>{status}</td>"
                f"<td>{bar}</td><td>{html.escape(message)}</td></tr>"
            )
        return (
            "<table><thead><tr><th>Data ID</th><th>Status</th><th>Progress</th>"
            f"<th>Message</th></tr></thead><tbody>{''.join(cells)}</tbody></table>"
        )

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for state in self.states:
            counts[str(state.status)] = counts.get(str(state.status), 0) + 1
        summary = ", ".join(f"{k.lower()}={n}" for k, n in counts.items())
        return f"{type(self).__name__}({len(self._data_ids)} data IDs: {summary})"


class Preloaded(ABC):
    """Marks a store returned by ``preload_data``: it has a ``preload_handle``."""

    @property
    @abstractmethod
    def preload_handle(self) -> PreloadHandle:
        """The handle of the preload job that filled this store."""


# --- progress displays ------------------------------------------------------------


def _in_notebook() -> bool:
    """Whether we run in a Jupyter kernel (IPython is only looked at if already imported)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _new_display(handle: ExecutorPreloadHandle) -> _Display:
    return _NotebookDisplay(handle) if _in_notebook() else _TqdmDisplay(handle)


class _Display(ABC):
    """Shows a handle's states as they change, at most every ``interval`` s."""

    interval = 0.1

    def __init__(self, handle: ExecutorPreloadHandle):
        self._handle = handle
        self._lock = threading.Lock()
        self._last = 0.0
        self._closed = False

    def update(self, final: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            now = time.monotonic()
            if not final and now - self._last < self.interval and not self._handle.done:
                return
            self._last = now
            self._render(final or self._handle.done)
            self._closed = final or self._handle.done

    @abstractmethod
    def _render(self, final: bool) -> None: ...


class _TqdmDisplay(_Display):
    """A tqdm bar per data ID (on stderr)."""

    def __init__(self, handle: ExecutorPreloadHandle):
        super().__init__(handle)
        from tqdm import tqdm

        self._width = max((len(d) for d in handle.data_ids), default=0)
        self._bars = {
            data_id: tqdm(
                total=100,
                desc=data_id,
                position=i,
                leave=True,
                bar_format="{desc} |{bar}| {percentage:3.0f}%{postfix}",
            )
            for i, data_id in enumerate(handle.data_ids)
        }

    def _render(self, final: bool) -> None:
        for state in self._handle.states:
            bar = self._bars[state.data_id]
            bar.n = round(100 * (state.progress or 0.0))
            status = str(state.status) if state.status else ""
            bar.set_description_str(f"{state.data_id:<{self._width}} {status:<9}", refresh=False)
            bar.set_postfix_str(state.message or "", refresh=False)
            bar.refresh()
        if final:
            for bar in self._bars.values():
                bar.close()


class _NotebookDisplay(_Display):
    """The handle's HTML table, updated in place in the notebook's output."""

    def __init__(self, handle: ExecutorPreloadHandle):
        super().__init__(handle)
        from IPython.display import display

        self._output = display(handle, display_id=True)

    def _render(self, final: bool) -> None:
        self._output.update(self._handle)
