"""How an execution runs, beside what it sends: error handling, result format, waiting,
concurrency, paging, and their limits. :func:`check_wait` checks the wait's times; the
options as a whole are checked against the operation by :func:`.configure.check_options`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from ..errors import InvalidSettingsError
from ..operations.choices import MAX_CONCURRENCY as MAX_CONCURRENCY
from ..operations.choices import MAX_ITEMS_LIMIT as MAX_ITEMS_LIMIT
from ..tables.results import ResultFormat
from .run_polling import WaitOptions

MAX_WAIT_SECONDS = 7 * 86_400.0


class ErrorHandling(str, Enum):
    """What an error answer does: fail the node, or become an output row plus a warning."""

    FAIL = "fail"
    OUTPUT = "output"


@dataclass(frozen=True)
class OperationOptions:
    on_error: ErrorHandling = ErrorHandling.FAIL
    result_format: ResultFormat = ResultFormat.RAW
    include_headers: bool = False
    wait: WaitOptions | None = None  # operations answering with a run: poll until it ends
    concurrency: int = 4  # 1..MAX_CONCURRENCY
    all_pages: bool = False  # list operations: follow has_more / after
    max_items: int = 1000  # with all_pages: stop after this many items


def check_wait(wait: WaitOptions | None) -> None:
    """Poll interval and maximum wait: finite, above 0, at most a week (else a typo)."""
    if wait is None:
        return
    for name, label, seconds in (
        ("poll_interval", "Poll interval", wait.poll_interval),
        ("max_wait", "Maximum wait", wait.max_wait),
    ):
        number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
        if not (number and math.isfinite(seconds) and 0 < seconds <= MAX_WAIT_SECONDS):
            raise InvalidSettingsError(
                f"{label}: {seconds!r} s is not usable; enter a number of seconds greater than "
                f"0 and at most {MAX_WAIT_SECONDS:g}.",
                setting=name,
            )
