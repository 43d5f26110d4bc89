"""Cancel-aware waiting, shared by back-off, rate-limit pauses and polling.

KNIME's cancel button only sets a flag that the node must poll (``ctx.is_canceled()``); every
wait is cut into short steps so that a cancel takes effect within ``POLL_SECONDS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import CancelledError

IsCanceled = Callable[[], bool]
POLL_SECONDS = 0.1


def raise_if_canceled(is_canceled: IsCanceled | None) -> None:
    if is_canceled is not None and is_canceled():
        raise CancelledError()


def pause(
    seconds: float,
    is_canceled: IsCanceled | None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Sleep ``seconds``, checking for a cancel every ``POLL_SECONDS``."""
    waited = 0.0
    while waited < seconds:
        raise_if_canceled(is_canceled)
        step = min(seconds - waited, POLL_SECONDS) if is_canceled else seconds - waited
        sleep(step)
        waited += step
    raise_if_canceled(is_canceled)
