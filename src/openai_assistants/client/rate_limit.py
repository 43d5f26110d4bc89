"""The 429 gate: one back-off shared by every request of a client.

Without it, N workers that hit a rate limit would each retry on their own clock and keep the
limit exceeded; with it, a 429 to any of them pauses them all (cancel-aware).
"""

from __future__ import annotations

import threading
import time

from .cancellation import POLL_SECONDS, IsCanceled, pause, raise_if_canceled


class RateLimitGate:
    """One back-off shared by concurrent requests: a 429 to any of them pauses them all."""

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - time.monotonic())

    def wait(self, is_canceled: IsCanceled | None) -> None:
        """Wait out the hold, which another request's 429 may extend meanwhile."""
        while (remaining := self.remaining()) > 0:
            pause(min(remaining, POLL_SECONDS), is_canceled)
        raise_if_canceled(is_canceled)
