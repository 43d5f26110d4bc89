"""When to try a request again, and how long to wait: pure functions, no I/O.

Mirrors the official SDK's timing (2 retries, exponential back-off from 0.5 s capped at 8 s
with jitter, ``Retry-After`` / ``retry-after-ms`` honoured up to 60 s) but not its choice of
what to retry: a POST that may have been processed is never sent again, because
``POST .../runs`` may already have started a run and a second send would start another.
:func:`should_retry` is the whole rule, a pure function of the method's idempotency and what
happened, so every operation (create, poll, cancel, delete) shares it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

# Answers that say the server did not act on the request: safe to send again, even a POST.
NOT_PROCESSED_STATUSES = frozenset({408, 409, 429, 503})
# Answers that may come after the request was processed (the gateway or server failed
# around it): an idempotent request is sent again, a POST never.
MAYBE_PROCESSED_STATUSES = frozenset({500, 502, 504})
RETRYABLE_STATUSES = NOT_PROCESSED_STATUSES | MAYBE_PROCESSED_STATUSES  # for idempotent ones

RETRY_POLICY_TEXT = (
    "Retries (up to 'Maximum retries', with exponential back-off from 0.5 s, or the server's "
    "Retry-After up to 60 s): a POST (such as Create Run) is sent again only when the server "
    "certainly did not act on it: the connection failed before the request was sent, or the "
    "answer was 408, 409, 429 or 503. It is never sent again after 500, 502, 504 or any other "
    "5xx, nor after a failure once the request was sent (timeout, dropped connection): the run "
    "may exist, and the error says so and names the thread. GET and DELETE requests (polling "
    "a run) are idempotent and are also retried after 500, 502, 504 and after failures once "
    "sent. Other 4xx answers are never retried."
)


class Outcome(str, Enum):
    """What happened to one attempt, as far as retrying is concerned."""

    NOT_SENT = "not_sent"  # the connection failed before any byte of the request left
    SENT_NO_ANSWER = "sent_no_answer"  # failed after sending: timeout, cut connection
    ANSWERED = "answered"  # a status came back


def should_retry(idempotent: bool, outcome: Outcome, status: int | None = None) -> bool:
    """Whether the attempt may be repeated without risk of doing the work twice.

    ``idempotent``: GET/DELETE-like requests, whose repetition is harmless. For a POST only
    what certainly created nothing is repeated (see :data:`RETRY_POLICY_TEXT`).
    """
    if outcome is Outcome.NOT_SENT:
        return True
    if outcome is Outcome.SENT_NO_ANSWER:
        return idempotent
    if status is None:
        return False
    if status in NOT_PROCESSED_STATUSES:
        return True
    return idempotent and (status in MAYBE_PROCESSED_STATUSES)


def may_have_been_processed(outcome: Outcome, status: int | None = None) -> bool:
    """Whether a POST with this outcome may have done its work (a run may exist)."""
    if outcome is Outcome.NOT_SENT:
        return False
    if outcome is Outcome.SENT_NO_ANSWER:
        return True
    return status is not None and status >= 500 and status != 503


INITIAL_DELAY_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0
MAX_RETRY_AFTER_SECONDS = 60.0


def is_retryable_status(status: int, idempotent: bool = True) -> bool:
    """The status half of :func:`should_retry`."""
    return should_retry(idempotent, Outcome.ANSWERED, status)


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
                from email.utils import parsedate_to_datetime  # rare: not paid at import

                candidates.append(parsedate_to_datetime(value).timestamp() - now())
            except (TypeError, ValueError, IndexError):
                pass
    for delay in candidates:
        if 0 < delay <= MAX_RETRY_AFTER_SECONDS:
            return delay
        if delay > MAX_RETRY_AFTER_SECONDS:
            return MAX_RETRY_AFTER_SECONDS
    return None
