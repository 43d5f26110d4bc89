"""How one attempt failed: before anything was sent (safe to send again), or after (a POST may
have been processed, so it is never sent again), and what a message says about it.
"""

from __future__ import annotations

from .exchange import ApiRequest


class NotSentError(Exception):
    """The request never reached the server, so sending it again cannot duplicate anything."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class SentError(Exception):
    """Failed after the request was (perhaps) sent: it may have been processed."""


def maybe_created(request: ApiRequest) -> str:
    """For a POST whose outcome is unknown: what may exist, and that it was not re-sent."""
    if request.idempotent or not request.subject:
        return ""
    subject = request.subject[0].upper() + request.subject[1:]
    return (
        f"{subject} may have been created; the request was not sent again, to avoid creating "
        "it twice. Check before executing again."
    )
