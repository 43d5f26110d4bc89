"""Server-sent events of a streamed run: parsing them and finding the final run.

The format (``event:`` / ``data:`` lines, events separated by a blank line, ``data: [DONE]``
at the end) is the one the Assistants API documents for ``"stream": true``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

DONE = "[DONE]"
RUN_EVENT_PREFIX = "thread.run."


@dataclass(frozen=True)
class ServerEvent:
    event: str
    data: str


def parse_event_stream(text: str) -> list[ServerEvent]:
    """Every event in order; multi-line ``data`` is joined with newlines, comments skipped."""
    events: list[ServerEvent] = []
    name, data = "", []
    for line in [*text.splitlines(), ""]:
        if not line:
            if name or data:
                events.append(ServerEvent(name or "message", "\n".join(data)))
            name, data = "", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
    return events


def is_complete(events: list[ServerEvent]) -> bool:
    """A stream is whole when it reached its ``data: [DONE]`` event."""
    return any(event.data.strip() == DONE for event in events)


def final_run(events: list[ServerEvent]) -> dict[str, Any] | None:
    """The run object of the last ``thread.run.*`` event: the run as the stream left it."""
    for event in reversed(events):
        if event.event.startswith(RUN_EVENT_PREFIX):  # run steps are filtered by "object"
            try:
                run = json.loads(event.data)
            except ValueError:
                continue
            if isinstance(run, dict) and run.get("object") == "thread.run":
                return run
    return None
