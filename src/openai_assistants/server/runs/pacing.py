"""Sharing the event loop: a run's long stretch of work gives the loop back now and then.

One event loop serves every client of ``serve``. A model answer of many chunks that arrive
without a wait (the echo without duration, or a network read that brought many at once) is
handled chunk by chunk without ever suspending, so without a pause now and then the other
clients' requests and streams would wait for the whole answer.
"""

from __future__ import annotations

import asyncio
import time

SLICE_SECONDS = 0.01  # the longest a run's loop of work holds the event loop at a stretch


class Pacer:
    """Gives the event loop back once its owner has held it for a slice; cheap to ask often."""

    def __init__(self, slice_seconds: float = SLICE_SECONDS) -> None:
        self.slice_seconds = slice_seconds
        self._since = time.perf_counter()

    async def pause(self) -> None:
        """Let the other tasks run if the slice is used up (a pause of one loop turn)."""
        if time.perf_counter() - self._since >= self.slice_seconds:
            await asyncio.sleep(0)
            self._since = time.perf_counter()
