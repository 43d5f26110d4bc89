"""One turn of a run: a model call, and what its answer makes of the run.

The backend's answer arrives as text deltas, tool-call deltas and usage. Text becomes the
assistant's message (with its ``message_creation`` step), streamed as ``thread.message.delta``
events; tool calls become a ``tool_calls`` step and leave the run ``requires_action`` until
the client submits their outputs; an answer with neither is an empty message. Without tool
calls the run is ``completed`` with the usage of all its model calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backends import Backend, TextDelta, ToolCallDelta, Usage
from ..store import Store
from ..validation import text_part
from .events import Listeners
from .model_request import model_request
from .objects import add_message
from .steps import add_usage, new_step, usage_of
from .tools import save_transcript, tool_calls_of, tool_calls_step_details


class Turns:
    """Takes the turns of runs: reads the model's answer, writes messages, steps, the run."""

    def __init__(
        self, store: Store, backend: Backend, listeners: Listeners, now: Callable[[], int]
    ) -> None:
        self.store = store
        self.backend = backend
        self.listeners = listeners
        self.now = now

    async def take(self, run: dict[str, Any]) -> None:
        """One model call and what it answers: a message, tool calls, or both."""
        run_id = run["id"]
        emit = self.listeners.emit
        request, transcript = model_request(
            self.store, self.backend, run, stream=self.listeners.watched(run_id)
        )
        message: dict[str, Any] | None = None
        step: dict[str, Any] | None = None
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        usage: Usage | None = None
        async for chunk in self.backend.respond(request):
            if isinstance(chunk, TextDelta):
                if message is None:
                    step, message = self._start_message(run)
                first = not text
                text.append(chunk.text)
                part: dict[str, Any] = {"value": chunk.text}
                if first:
                    part["annotations"] = []
                emit(
                    run_id,
                    "thread.message.delta",
                    {
                        "id": message["id"],
                        "object": "thread.message.delta",
                        "delta": {"content": [{"index": 0, "type": "text", "text": part}]},
                    },
                )
            elif isinstance(chunk, ToolCallDelta):
                call = calls.setdefault(chunk.index, {"id": None, "name": None, "arguments": ""})
                call["id"] = call["id"] or chunk.id
                call["name"] = call["name"] or chunk.name
                call["arguments"] += chunk.arguments
            elif isinstance(chunk, Usage):
                usage = chunk
        step_usage = usage_of(usage)
        transcript["usage"] = add_usage(transcript["usage"], step_usage)
        now = self.now()
        current = self.store.get("run", run_id)
        if current is None or current["status"] != "in_progress":  # ended meanwhile
            self.listeners.close(run_id)
            return
        if message is None and not calls:
            step, message = self._start_message(run)
        if message is not None and step is not None:
            content = [text_part("".join(text))]
            message = self._save(
                "message", message, status="completed", completed_at=now, content=content
            )
            emit(run_id, "thread.message.completed", message)
            step = self._save("step", step, status="completed", completed_at=now, usage=step_usage)
            emit(run_id, "thread.run.step.completed", step)
        if calls:
            tool_calls = tool_calls_of(calls)
            turn: dict[str, Any] = {"role": "assistant", "tool_calls": tool_calls}
            turn["content"] = "".join(text) if text else None
            transcript["turns"].append(turn)
            save_transcript(self.store, run, transcript)
            tool_step = new_step(self.store, run, tool_calls_step_details(tool_calls), self.now())
            tool_step = self._save(
                "step", tool_step, usage=None if message is not None else step_usage
            )
            emit(run_id, "thread.run.step.created", tool_step)
            emit(run_id, "thread.run.step.in_progress", tool_step)
            self._end(
                run_id,
                "thread.run.requires_action",
                status="requires_action",
                required_action={
                    "type": "submit_tool_outputs",
                    "submit_tool_outputs": {"tool_calls": tool_calls},
                },
                usage=None,
            )
            return
        self._end(
            run_id,
            "thread.run.completed",
            status="completed",
            completed_at=now,
            expires_at=None,
            usage=transcript["usage"],
        )

    def _save(self, kind: str, obj: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """Write back only the fields the run owns (metadata a client set meanwhile stays),
        only while the object is ``in_progress`` (an ended one never changes again); the
        object as it is now."""
        saved = self.store.patch(kind, obj["id"], fields, statuses=("in_progress",))
        return saved or {**obj, **fields}

    def _end(self, run_id: str, event: str, **fields: Any) -> None:
        """The run's outcome, unless the run is no longer ``in_progress`` (ended elsewhere)."""
        run = self.store.patch("run", run_id, fields, statuses=("in_progress",))
        if run is not None:
            self.listeners.emit(run_id, event, run)
        self.listeners.close(run_id)

    def _start_message(self, run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The assistant's message (in progress) and its ``message_creation`` step."""
        message = add_message(
            self.store,
            run["thread_id"],
            "assistant",
            [],
            None,
            None,
            now=self.now(),
            status="in_progress",
            run=run,
        )
        step = new_step(
            self.store,
            run,
            {"type": "message_creation", "message_creation": {"message_id": message["id"]}},
            self.now(),
        )
        emit = self.listeners.emit
        emit(run["id"], "thread.run.step.created", step)
        emit(run["id"], "thread.run.step.in_progress", step)
        emit(run["id"], "thread.message.created", message)
        emit(run["id"], "thread.message.in_progress", message)
        return step, message
