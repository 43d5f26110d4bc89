"""The events of a run, for the clients streaming it: one queue per listening client.

Every change of a run (created, in progress, message deltas, steps, the final status) is an
event; it is serialized when it happens (a snapshot, so later changes do not alter it) and
put on the queue of each client streaming the run. :data:`END` ends a client's stream.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

Event = tuple[str, str]  # (event name, data as JSON text)
END = None  # the item that ends a listener's stream


class Listeners:
    """The queues of the clients streaming each run."""

    def __init__(self) -> None:
        self._queues: dict[str, list[asyncio.Queue[Event | None]]] = {}
        self._detailed: set[int] = set()  # queues that asked for the full details (include[])

    def listen(self, run_id: str, *, detailed: bool = False) -> asyncio.Queue[Event | None]:
        """A new client's queue; ``detailed``: it gets the details ``include[]`` asks for
        (the search results' content)."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._queues.setdefault(run_id, []).append(queue)
        if detailed:
            self._detailed.add(id(queue))
        return queue

    def unlisten(self, run_id: str, queue: asyncio.Queue[Event | None]) -> None:
        """A streaming client went away; the run goes on."""
        queues = self._queues.get(run_id, [])
        if queue in queues:
            queues.remove(queue)
        self._detailed.discard(id(queue))
        if not queues:
            self._queues.pop(run_id, None)

    def watched(self, run_id: str) -> bool:
        """Whether a client streams this run (then the model is asked for a stream too)."""
        return bool(self._queues.get(run_id))

    def emit(
        self,
        run_id: str,
        event: str,
        data: dict[str, Any],
        detailed: dict[str, Any] | None = None,
    ) -> None:
        """Queue an event for the run's streaming clients, serialized now (a snapshot);
        ``detailed``: the data for the clients that asked for the full details."""
        queues = self._queues.get(run_id)
        if queues:
            text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
            full = text
            if detailed is not None and any(id(q) in self._detailed for q in queues):
                full = json.dumps(detailed, separators=(",", ":"), ensure_ascii=False)
            for queue in queues:
                queue.put_nowait((event, full if id(queue) in self._detailed else text))

    def close(self, run_id: str) -> None:
        """End the streams of a run."""
        for queue in self._queues.pop(run_id, ()):
            self._detailed.discard(id(queue))
            queue.put_nowait(END)

    def close_all(self) -> None:
        for run_id in list(self._queues):
            self.close(run_id)
