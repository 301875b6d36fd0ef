"""A small thread-safe memo of what a store read recently, by point id.

Turning a hit's payload into Python objects costs more than finding it
(``docs/benchmarks.md``: about 40 µs a passage, against about 10 µs for the
nearest-neighbour search itself), and the same passages come back for related
questions. ``EdgeStore`` keeps its recent passages and sentence vectors here,
and forgets them all whenever it writes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """The last ``size`` values read, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()  # the app serves sessions from threads
        self._epoch = 0  # bumped by clear: a read that began before it is not kept

    def get_many(
        self, keys: Sequence[K], read: Callable[[list[K]], Iterable[tuple[K, V]]]
    ) -> dict[K, V]:
        """The values for ``keys``; ``read`` is asked once, for the ones not held.

        A key ``read`` does not return is left out of the answer (and not remembered).
        """
        found: dict[K, V] = {}
        with self._lock:
            epoch = self._epoch
            for key in keys:
                value = self._items.get(key)
                if value is not None:
                    self._items.move_to_end(key)
                    found[key] = value
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if not missing:
            return found
        fresh = dict(read(missing))
        found.update(fresh)
        if self.size > 0:
            with self._lock:
                if epoch != self._epoch:  # a write came between: what was read may be old
                    return found
                self._items.update(fresh)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._epoch += 1

    def __len__(self) -> int:
        return len(self._items)
