"""Remembered results of pure checks: the process state besides the cache of HTTP clients.

A table of 2,000 rows is validated on the calling thread before its first request goes
out, and a node executed again repeats the checks of its last execution. A :class:`Memo`
keeps what a check that passed returned, keyed by everything the check depends on, so each
distinct input is checked once. Memos hold no key (secrets never enter a memo key or value)
and nothing a server answered; each is bounded in entries (emptied when full) and, where its
values can be large, in the size of an entry. A check that fails is never remembered: it
runs, and reports, every time.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

MEMOS: list[Memo[Any]] = []  # every memo of the process, for clear_all()


class Memo(Generic[V]):
    """A bounded dictionary of results; an unhashable key is simply not remembered."""

    def __init__(self, name: str, limit: int, max_size: int | None = None) -> None:
        self.name = name
        self.limit = limit
        self.max_size = max_size  # an entry larger than this (in bytes) is not kept
        self._values: dict[Hashable, V] = {}
        MEMOS.append(self)

    def get(self, key: Hashable) -> V | None:
        try:
            return self._values.get(key)
        except TypeError:  # unhashable (e.g. a list in a hand-made configuration)
            return None

    def put(self, key: Hashable, value: V, size: int = 0) -> None:
        if self.max_size is not None and size > self.max_size:
            return
        try:
            hash(key)
        except TypeError:
            return
        if len(self._values) >= self.limit:
            self._values.clear()  # dict operations are atomic: safe from worker threads
        self._values[key] = value

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Memo({self.name!r}, {len(self)}/{self.limit})"


_ATOMIC = frozenset({str, int, float, bool, bytes, type(None)})


def typed(value: Any) -> Any:
    """``value`` as part of a memo key that keeps apart what Python finds equal: ``True``,
    ``1`` and ``1.0`` are equal (and hash alike), but a setting of ``True`` is refused where
    ``1`` is accepted, so each value goes with its type; lists, tuples and dicts part by part
    (a key of an unhashable value then fails to hash: it is simply not remembered)."""
    kind = type(value)
    if kind in _ATOMIC:
        return (kind, value)
    if isinstance(value, (list, tuple)):
        return (kind, tuple(typed(item) for item in value))
    if isinstance(value, dict):
        return (dict, tuple((key, typed(item)) for key, item in value.items()))
    return (kind, value)


def clear_all() -> None:
    """Forget every remembered result (tests; never needed for correctness)."""
    for memo in MEMOS:
        memo._values.clear()
