"""When to try a request again, and how long to wait: pure functions, no I/O.

Mirrors the official SDK (2 retries, exponential back-off from 0.5 s capped at 8 s with jitter,
``Retry-After`` / ``retry-after-ms`` honoured up to 60 s) with one deliberate difference: a
failure *after* the request was sent is never retried, because ``POST .../runs`` may already
have started a run and a second send would start another.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
INITIAL_DELAY_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0
MAX_RETRY_AFTER_SECONDS = 60.0


def is_retryable_status(status: int) -> bool:
    """Timeouts, conflicts, rate limits and server-side failures; never other 4xx."""
    return status in RETRYABLE_STATUSES


def retry_delay(
    retries_done: int,
    headers: dict[str, str] | None = None,
    *,
    random: Callable[[], float],
    now: Callable[[], float] = time.time,
) -> float:
    """Seconds to wait before retry number ``retries_done + 1``.

    A server's ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date) wins when it is
    usable (0 < delay <= 60 s); otherwise 0.5 s doubling per retry, capped at 8 s, minus up to
    25 % jitter so that many clients do not retry in lockstep.
    """
    server_delay = _server_requested_delay(headers or {}, now)
    if server_delay is not None:
        return server_delay
    backoff = min(INITIAL_DELAY_SECONDS * (2**retries_done), MAX_BACKOFF_SECONDS)
    return backoff * (1 - 0.25 * random())


def _server_requested_delay(headers: dict[str, str], now: Callable[[], float]) -> float | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    candidates = []
    if "retry-after-ms" in lowered:
        try:
            candidates.append(float(lowered["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    if "retry-after" in lowered and not candidates:
        value = lowered["retry-after"].strip()
        try:
            candidates.append(float(value))
        except ValueError:
            try:
                candidates.append(email.utils.parsedate_to_datetime(value).timestamp() - now())
            except (TypeError, ValueError, IndexError):
                pass
    for delay in candidates:
        if 0 < delay <= MAX_RETRY_AFTER_SECONDS:
            return delay
        if delay > MAX_RETRY_AFTER_SECONDS:
            return MAX_RETRY_AFTER_SECONDS
    return None
