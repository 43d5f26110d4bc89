"""Server-sent events of a streamed run: parsing them and finding the final run.

Parsed as the HTML specification's event-stream format says: lines end at CR, LF or CRLF
only (never at U+2028, U+0085 or other characters ``str.splitlines`` splits on, which occur
inside JSON strings); ``field: value`` with one optional space after the colon; comments start
with ``:``; an event is dispatched at a blank line. The stream of the Assistants API ends at
``data: [DONE]``: everything after it is ignored, even if the server keeps sending.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

DONE = "[DONE]"
RUN_EVENT_PREFIX = "thread.run."
ERROR_EVENT = "error"


@dataclass(frozen=True, slots=True)  # slots: a long stream holds many thousands of these
class ServerEvent:
    event: str
    data: str


class EventStreamParser:
    """Incremental parser: feed decoded text as it arrives, collect events until [DONE].

    Used by the transport while reading, so a stream is parsed once, and reading can stop at
    ``[DONE]`` although the connection stays open.
    """

    def __init__(self) -> None:
        self.events: list[ServerEvent] = []
        self.done = False
        self._pending = ""  # an unfinished line
        self._cr = False  # the last chunk ended in CR: a following LF belongs to it
        self._name = ""
        self._data: list[str] = []
        self._has_data = False
        self._fed = 0
        self.consumed = 0  # characters fed up to the end of the [DONE] event (when done)

    def feed(self, text: str) -> None:
        """Parse ``text``; stops collecting at the ``[DONE]`` event."""
        if self.done or not text:
            return
        fed_before = self._fed
        self._fed += len(text)
        position = 1 if self._cr and text.startswith("\n") else 0
        self._cr = False
        length = len(text)
        while position < length:
            cr = text.find("\r", position)
            lf = text.find("\n", position)
            end = lf if cr < 0 else cr if lf < 0 else min(cr, lf)
            if end < 0:
                self._pending += text[position:]
                return
            line = self._pending + text[position:end]
            self._pending = ""
            step = 1
            if text[end] == "\r":
                if end + 1 < length:
                    step = 2 if text[end + 1] == "\n" else 1
                else:
                    self._cr = True
            position = end + step
            self._line(line)
            if self.done:
                self.consumed = fed_before + position
                return

    def close(self) -> None:
        """End of input: a last line without its line end still counts (not a whole event)."""
        if self._pending and not self.done:
            self._line(self._pending)
            self._pending = ""

    def _line(self, line: str) -> None:
        if not line:
            if self._has_data or self._name:
                data = "\n".join(self._data)
                self.events.append(ServerEvent(self._name or "message", data))
                if data.strip() == DONE:
                    self.done = True
            self._name, self._data, self._has_data = "", [], False
            return
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._name = sys.intern(value)  # a few names, repeated thousands of times
        elif name == "data":
            self._data.append(value)
            self._has_data = True


def parse_event_stream(text: str) -> list[ServerEvent]:
    """Every event in order up to ``[DONE]``; multi-line ``data`` joined with newlines."""
    parser = EventStreamParser()
    parser.feed(text)
    parser.feed("\n\n")  # a last event without its blank line is still an event
    return parser.events


def is_complete(events: Iterable[ServerEvent]) -> bool:
    """A stream is whole when it reached its ``data: [DONE]`` event."""
    return any(event.data.strip() == DONE for event in events)


def error_event(events: Iterable[ServerEvent]) -> str | None:
    """The message of the first ``event: error``, None when there is none."""
    for event in events:
        if event.event == ERROR_EVENT:
            payload = loads_or_none(event.data)
            if isinstance(payload, dict):
                error = payload.get("error", payload)
                if isinstance(error, dict) and isinstance(error.get("message"), str):
                    return error["message"].strip() or "(empty message)"
            return event.data.strip()[:200] or "(no message)"
    return None


def final_run(events: Iterable[ServerEvent]) -> dict[str, Any] | None:
    """The run object of the last ``thread.run.*`` event: the run as the stream left it."""
    for event in reversed(list(events)):
        if event.event.startswith(RUN_EVENT_PREFIX):  # run steps are filtered by "object"
            run = loads_or_none(event.data)
            if isinstance(run, dict) and run.get("object") == "thread.run":
                return run
    return None


def loads_or_none(text: str) -> Any:
    """``json.loads`` that answers None for anything it cannot parse, however hostile."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
