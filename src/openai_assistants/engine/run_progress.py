"""What the progress bar says while runs are waited on: their states, and a bar that moves.

A run waited on takes seconds to minutes, so "3 of 200 runs done" alone would sit still (at
0 % for a single run) while the work goes on. Each row's run reports its latest status here
(from whichever thread polls it); the calling thread alone turns that into the caller's
progress ("Waiting for 4 runs: 2 queued, 1 in_progress, 1 completed; 12 of 200 runs done"),
because KNIME's context may only be used from the thread that called the node.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from .run_polling import TERMINAL_STATUSES

Progress = Callable[[float, str], None]

# how far a row is once its run has this status (1.0 = the row is done)
_QUEUED_SHARE = 0.25
_RUNNING_SHARE = 0.5
_ENDED_SHARE = 0.9
_ORDER = ("queued", "in_progress", "requires_action", "cancelling")  # then the ended ones


class RunProgress:
    """The latest status of every run being waited on, by row; thread-safe to update,
    reported by the calling thread (:meth:`report`) only when something changed."""

    def __init__(self, total: int, noun: str, progress: Progress | None) -> None:
        self.total = max(total, 1)
        self.noun = noun
        self.progress = progress
        self._lock = threading.Lock()
        self._statuses: dict[Hashable, str] = {}
        self._changed = False

    def update(self, row: Hashable, status: str) -> None:
        """A run's latest status (any thread)."""
        with self._lock:
            if self._statuses.get(row) != status:
                self._statuses[row] = status
                self._changed = True

    def row_done(self, row: Hashable) -> None:
        """The row is finished: its run no longer counts as waited on (calling thread)."""
        with self._lock:
            if self._statuses.pop(row, None) is not None:
                self._changed = True

    def waiting(self) -> bool:
        with self._lock:
            return bool(self._statuses)

    def report(self, done: int, *, force: bool = False) -> None:
        """Tell the caller, when a status changed since the last report (calling thread)."""
        if self.progress is None:
            return
        with self._lock:
            if not (self._changed or force):
                return
            self._changed = False
            statuses = list(self._statuses.values())
        self.progress(self.fraction(done, statuses), self.message(done, statuses))

    def fraction(self, done: int, statuses: list[str]) -> float:
        """Rows done, plus a share for each run by how far it got; below 1 until all done."""
        partial = sum(_share(status) for status in statuses)
        return min((done + partial) / self.total, 1.0)

    def message(self, done: int, statuses: list[str]) -> str:
        finished = f"{done} of {self.total} {self.noun} done"
        if not statuses:
            return finished
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        ordered = sorted(counts, key=_rank)
        listed = ", ".join(f"{counts[status]} {status}" for status in ordered)
        runs = "run" if len(statuses) == 1 else "runs"
        return f"Waiting for {len(statuses)} {runs}: {listed}; {finished}"


def _share(status: str) -> float:
    if status in TERMINAL_STATUSES:
        return _ENDED_SHARE
    return _QUEUED_SHARE if status == "queued" else _RUNNING_SHARE


def _rank(status: str) -> tuple[int, str]:
    """The run's lifecycle order: queued, in_progress, …, then the ended ones by name."""
    if status in _ORDER:
        return (_ORDER.index(status), "")
    return (len(_ORDER), status)
