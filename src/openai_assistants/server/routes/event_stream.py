"""A run's answer: the run object, or its events as server-sent events.

A streamed run answers ``text/event-stream``: ``event: <name>`` / ``data: <json>`` pairs as
the run changes, ending ``event: done`` / ``data: [DONE]``, as the API streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from ..runs import Engine, Event
from .http import ApiContext, json_response, response_headers


async def run_response(
    api: ApiContext, run: dict[str, Any], queue: asyncio.Queue[Event | None] | None
) -> Response:
    """The run as created (not streamed), or the stream of its events."""
    if queue is None:
        await api.engine.finish_if_instant(run["id"])
        return json_response(200, run)  # the run as created (queued), as the API answers
    truncate = api.truncate_stream() if api.truncate_stream else False
    return StreamingResponse(
        events(api.engine, run["id"], queue, truncate),
        media_type="text/event-stream",
        headers=response_headers({"Cache-Control": "no-cache"}),
    )


async def events(
    engine: Engine, run_id: str, queue: asyncio.Queue[Event | None], truncate: bool
) -> AsyncIterator[bytes]:
    """Server-sent events as the run changes, ending ``event: done`` / ``data: [DONE]``."""
    sent = 0
    try:
        while True:
            items = [await queue.get()]
            while not queue.empty() and items[-1] is not None:  # what is ready: one write
                items.append(queue.get_nowait())
            chunk = []
            for item in items:
                if item is None:
                    chunk.append("event: done\ndata: [DONE]\n\n")
                    break
                chunk.append(f"event: {item[0]}\ndata: {item[1]}\n\n")
                sent += 1
                if truncate and sent >= 3:  # fault injection: a stream cut short
                    break
            yield "".join(chunk).encode()
            if items[-1] is None or (truncate and sent >= 3):
                return
    finally:
        engine.unlisten(run_id, queue)
