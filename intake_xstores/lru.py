"""A least-recently-used cache shared by threads, for the package's small caches.

Stores, readers and byte-range openers keep recent things (stores made from
catalog entries, STAC items, file headers, open products) without letting
them grow: one class, so each cache says only its size and what it weighs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class LruCache:
    """At most *max_size* (by *weigh*: values count 1 each unless told) of the
    values put in, the least recently used dropped first; thread-safe.

    A pickled cache arrives empty (with its size): caches hold what one
    process fetched, not state to ship to Dask workers.
    """

    def __init__(self, max_size: int, weigh: Callable[[Any], int] | None = None):
        self.max_size = max_size
        self.weigh = weigh
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value of *key*, now the most recently used, or None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep *value* as *key*'s, unless it alone weighs more than the cache holds."""
        weight = self._weigh(value)
        if weight > self.max_size:
            return
        with self._lock:
            old = self._values.pop(key, None)
            if old is not None:
                self._weight -= self._weigh(old)
            self._values[key] = value
            self._weight += weight
            while self._weight > self.max_size:
                _, dropped = self._values.popitem(last=False)
                self._weight -= self._weigh(dropped)

    def _weigh(self, value: Any) -> int:
        return 1 if self.weigh is None else self.weigh(value)

    def __len__(self) -> int:
        return len(self._values)

    def __reduce__(self):
        return type(self), (self.max_size, self.weigh)

    def __repr__(self) -> str:
        return f"LruCache({len(self)} of at most {self.max_size})"
