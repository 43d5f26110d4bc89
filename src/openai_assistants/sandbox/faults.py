"""Fault injection: what a sandbox does wrong, and for how many requests.

Faults are counted ("the next N requests") so a retry test sees a failure and then a success.
Each API request takes at most one counted fault, in this order: dropped connection, 429,
5xx, malformed JSON. ``truncated_stream`` is only taken by a streamed run creation, and
``latency_ms`` delays every API request until it is switched off.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

COUNTED = ("drop_connection", "rate_limit", "server_error", "malformed_json")


@dataclass(frozen=True)
class Faults:
    """A sandbox's faults; the counts say how many of the next requests they hit."""

    latency_ms: int = 0  # added to every API request
    rate_limit: int = 0  # next N requests: 429 with Retry-After
    retry_after: float = 1.0  # seconds, sent as Retry-After (rounded up) and retry-after-ms
    server_error: int = 0  # next N requests: server_error_status
    server_error_status: int = 500
    drop_connection: int = 0  # next N requests: the socket is closed without an answer
    malformed_json: int = 0  # next N requests: HTTP 200 with a body that is not JSON
    truncated_stream: int = 0  # next N streamed runs: the stream ends without [DONE]

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = (int, float) if f.name == "retry_after" else int
            if isinstance(value, bool) or not isinstance(value, kind) or value < 0:
                what = "a number" if f.name == "retry_after" else "a whole number"
                raise ValueError(f"fault '{f.name}' must be {what} >= 0, not {value!r}")
        if not 500 <= self.server_error_status <= 599:
            raise ValueError(
                f"fault 'server_error_status' must be a 5xx status, not {self.server_error_status}"
            )

    @classmethod
    def from_dict(cls, data: Any) -> Faults:
        """From the control endpoint's JSON; unknown names are an error, not ignored."""
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown fault {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultPlan:
    """The faults still to come, consumed under a lock by concurrent requests."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()

    @property
    def current(self) -> Faults:
        with self._lock:
            return self._faults

    def replace(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults

    def take(self) -> str | None:
        """The counted fault this request gets (its count goes down by one), or None."""
        with self._lock:
            for name in COUNTED:
                if getattr(self._faults, name) > 0:
                    self._faults = replace(self._faults, **{name: getattr(self._faults, name) - 1})
                    return name
            return None

    def take_truncation(self) -> bool:
        with self._lock:
            if self._faults.truncated_stream > 0:
                self._faults = replace(
                    self._faults, truncated_stream=self._faults.truncated_stream - 1
                )
                return True
            return False
