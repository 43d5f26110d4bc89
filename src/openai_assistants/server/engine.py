"""The run lifecycle: what happens between Create Run and a run's final status.

Each run is an asyncio task on the server's event loop: ``queued`` → ``in_progress`` → one
model call (the backend) → either ``completed`` with the assistant's message appended to the
thread, or ``requires_action`` with the function calls the client must answer; Submit Tool
Outputs appends the outputs to the run's transcript and starts the next model call. Steps
(``message_creation``, ``tool_calls``) are recorded as the real API records them, and every
change is also an event for the clients streaming the run.

Backend failures end the run ``failed`` with ``last_error`` (``rate_limit_exceeded`` or
``server_error`` and the backend's message); cancelling cancels the task, even while the
model call is in flight. Runs that wait past ``expires_at`` become ``expired``. On start,
runs a previous server left unfinished become ``failed``; on stop, in-flight runs are
failed with a message that says so, so no client waits on a run nobody works on.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from .backends import Backend, BackendError, ModelRequest, TextDelta, ToolCallDelta, Usage
from .store import Store
from .validation import NotFoundError, RequestError, message_request, text_of, text_part

log = logging.getLogger("openai_assistants.server")

EXPIRES_AFTER_SECONDS = 600  # what the real API reports for a run that is not finished
TERMINAL = frozenset({"cancelled", "failed", "completed", "incomplete", "expired"})
ACTIVE = frozenset({"queued", "in_progress", "requires_action", "cancelling"})
STOPPED_MESSAGE = (
    "The server stopped while this run was in progress; the run did not finish. "
    "Create a new run on the thread."
)
SETTLE_TURNS = 20  # event-loop turns a new run waits for a ready run of its thread
END = None  # the item that ends a listener's stream

Event = tuple[str, str]  # (event name, data as JSON text)


def new_id(prefix: str) -> str:
    """``asst_``/``thread_``/``msg_``/``run_``/``step_`` plus 24 hex digits, like real IDs."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


class Engine:
    """Creates, advances, cancels and recovers runs; owns the run tasks."""

    def __init__(
        self,
        store: Store,
        backend: Backend,
        *,
        default_model: str | None = None,
        expires_after: float = EXPIRES_AFTER_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.backend = backend
        self.default_model = default_model or None
        self.expires_after = expires_after
        self._clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._listeners: dict[str, list[asyncio.Queue[Event | None]]] = {}
        self._stopping = False

    def now(self) -> int:
        return int(self._clock())

    # start and stop

    def recover(self) -> list[str]:
        """Fail the runs a previous server was working on when it stopped; their IDs.

        Runs waiting for tool outputs (``requires_action``) were not being worked on: they
        stay as they are and can still be answered until they expire. A run that was being
        cancelled is ``cancelled``.
        """
        failed = []
        for run in self.store.unfinished_runs():
            if run["status"] == "requires_action":
                continue
            if run["status"] == "cancelling":
                self._finish_interrupted(run, "cancelled", None)
                continue
            self._finish_interrupted(run, "failed", STOPPED_MESSAGE)
            failed.append(run["id"])
        return failed

    async def stop(self) -> None:
        """Fail in-flight runs cleanly, end their streams, close the backend."""
        if self._stopping:
            return
        self._stopping = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for run_id in list(self._listeners):
            self._close(run_id)
        await self.backend.aclose()

    @property
    def active_tasks(self) -> int:
        return len(self._tasks)

    # runs

    def create_run(
        self,
        thread_id: str,
        body: dict[str, Any],
        *,
        stream: bool = False,
        new_thread: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], asyncio.Queue[Event | None] | None]:
        """A new run on a thread (one active run per thread, as the API rules).

        ``new_thread``: the thread Create Thread and Run just made; its stream starts with
        ``thread.created``, as the API's does.
        """
        self._refuse_when_stopping()
        thread = self.thread(thread_id)
        assistant = self.assistant(body["assistant_id"])
        active = self.active_run(thread["id"])
        if active is not None:
            raise RequestError(f"Thread {thread_id} already has an active run {active['id']}.")
        run = self._run_object(thread_id, assistant, body)
        if not run["model"]:
            raise RequestError(
                "No model for this run: set 'model' on the assistant or the run, or start "
                "the server with --default-model.",
                param="model",
            )
        extra = [
            message_request(m, f"additional_messages[{i}]")
            for i, m in enumerate(body.get("additional_messages") or [])
        ]
        for role, content, attachments, metadata in extra:
            self.add_message(thread_id, role, content, attachments, metadata)
        self.store.insert("run", run, thread_id=thread_id, run_id=run["id"])
        queue = self._listen(run["id"]) if stream else None
        if new_thread is not None:
            self._emit(run["id"], "thread.created", new_thread)
        self._emit(run["id"], "thread.run.created", run)
        self._emit(run["id"], "thread.run.queued", run)
        self._start(run["id"])
        return run, queue

    def submit_tool_outputs(
        self, thread_id: str, run_id: str, outputs: list[dict[str, str]], *, stream: bool = False
    ) -> tuple[dict[str, Any], asyncio.Queue[Event | None] | None]:
        """Answer a ``requires_action`` run: every pending call needs exactly one output."""
        self._refuse_when_stopping()
        run = self.run(thread_id, run_id)
        if run["status"] != "requires_action":
            raise RequestError(
                f'Runs in status "{run["status"]}" do not accept tool outputs.',
                param="tool_outputs",
            )
        calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
        expected = [call["id"] for call in calls]
        given = [item["tool_call_id"] for item in outputs]
        if sorted(given) != sorted(expected):
            raise RequestError(
                f"Expected tool outputs for call_ids {expected}, got {given}.",
                param="tool_outputs",
            )
        by_id = {item["tool_call_id"]: item["output"] for item in outputs}
        queue = self._listen(run_id) if stream else None
        transcript = self._transcript(run_id)
        for call in calls:
            transcript["turns"].append(
                {"role": "tool", "tool_call_id": call["id"], "content": by_id[call["id"]]}
            )
        self._save_transcript(transcript)
        step = self._pending_tool_step(run_id)
        if step is not None:
            for call in step["step_details"]["tool_calls"]:
                call["function"]["output"] = by_id.get(call["id"])
            step.update(status="completed", completed_at=self.now())
            self.store.update("step", step)
            self._emit(run_id, "thread.run.step.completed", step)
        run.update(status="queued", required_action=None)
        self.store.update("run", run)
        self._emit(run_id, "thread.run.queued", run)
        self._start(run_id)
        return run, queue

    def cancel_run(self, thread_id: str, run_id: str) -> dict[str, Any]:
        """``cancelling`` while the task winds down (even mid model call), then ``cancelled``."""
        run = self.run(thread_id, run_id)
        if run["status"] in TERMINAL or run["status"] == "cancelling":
            raise RequestError(f"Cannot cancel run with status '{run['status']}'.")
        task = self._tasks.get(run_id)
        if task is not None and not task.done():
            run["status"] = "cancelling"
            self.store.update("run", run)
            task.cancel()
            return run
        self._finish_interrupted(run, "cancelled", None)
        return self.run(thread_id, run_id)

    def run(self, thread_id: str, run_id: str) -> dict[str, Any]:
        """A run of this thread, with expiry applied."""
        self.thread(thread_id)
        run = self.store.get("run", run_id)
        if run is None or run["thread_id"] != thread_id:
            raise NotFoundError("run", run_id)
        return self.refresh(run)

    def refresh(self, run: dict[str, Any]) -> dict[str, Any]:
        """A run past ``expires_at`` that is still waiting becomes ``expired``."""
        expires_at = run.get("expires_at")
        if (
            run["status"] in ("queued", "in_progress", "requires_action")
            and expires_at is not None
            and self._clock() >= expires_at
        ):
            task = self._tasks.pop(run["id"], None)
            if task is not None:
                task.cancel()
            self._finish_interrupted(run, "expired", None)
            return self.store.get("run", run["id"]) or run
        return run

    async def settle(self, thread_id: str) -> None:
        """Let a run that needs no outside answer (echo with no duration) finish first.

        A thread runs one run at a time; a run whose task is ready but has not had its turn
        on the event loop yet would otherwise refuse the next run for no visible reason.
        """
        for _ in range(SETTLE_TURNS):
            active = self.active_run(thread_id)
            task = self._tasks.get(active["id"]) if active is not None else None
            if task is None or task.done():
                return
            await asyncio.sleep(0)

    async def finish_if_instant(self, run_id: str) -> None:
        """With a backend that answers at once (echo without duration), let the run end
        before its creation is answered: the next look sees it completed, and its work is
        not left to compete with the client that is already reading the answer."""
        if not getattr(self.backend, "instant", False):
            return
        for _ in range(SETTLE_TURNS):
            task = self._tasks.get(run_id)
            if task is None or task.done():
                return
            await asyncio.sleep(0)

    def active_run(self, thread_id: str) -> dict[str, Any] | None:
        for run in self.store.all("run", thread_id=thread_id, statuses=tuple(ACTIVE)):
            if self.refresh(run)["status"] in ACTIVE:
                return run
        return None

    # other objects

    def thread(self, thread_id: str) -> dict[str, Any]:
        thread = self.store.get("thread", thread_id)
        if thread is None:
            raise NotFoundError("thread", thread_id)
        return thread

    def assistant(self, assistant_id: Any) -> dict[str, Any]:
        assistant = self.store.get("assistant", str(assistant_id))
        if assistant is None:
            raise NotFoundError("assistant", str(assistant_id))
        return assistant

    def add_message(
        self,
        thread_id: str,
        role: str,
        content: list[dict[str, Any]],
        attachments: list[Any] | None,
        metadata: dict[str, str] | None,
        *,
        status: str = "completed",
        run: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = self.now()
        message = {
            "id": new_id("msg"),
            "object": "thread.message",
            "created_at": now,
            "thread_id": thread_id,
            "status": status,
            "incomplete_details": None,
            "completed_at": now if status == "completed" else None,
            "incomplete_at": None,
            "role": role,
            "content": content,
            "assistant_id": run["assistant_id"] if run else None,
            "run_id": run["id"] if run else None,
            "attachments": attachments or [],
            "metadata": metadata or {},
        }
        self.store.insert(
            "message", message, thread_id=thread_id, run_id=run["id"] if run else None
        )
        return message

    def delete_thread(self, thread_id: str) -> bool:
        """Delete a thread with everything in it; its running runs stop first."""
        for run in self.store.all("run", thread_id=thread_id):
            task = self._tasks.pop(run["id"], None)
            if task is not None:
                task.cancel()
            self._close(run["id"])
        return self.store.delete("thread", thread_id)

    # listeners (clients streaming a run)

    def _listen(self, run_id: str) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._listeners.setdefault(run_id, []).append(queue)
        return queue

    def unlisten(self, run_id: str, queue: asyncio.Queue[Event | None]) -> None:
        """A streaming client went away; the run goes on."""
        queues = self._listeners.get(run_id, [])
        if queue in queues:
            queues.remove(queue)
        if not queues:
            self._listeners.pop(run_id, None)

    def _emit(self, run_id: str, event: str, data: dict[str, Any]) -> None:
        """Queue an event for the run's streaming clients, serialized now (a snapshot)."""
        queues = self._listeners.get(run_id)
        if queues:
            text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
            for queue in queues:
                queue.put_nowait((event, text))

    def _close(self, run_id: str) -> None:
        for queue in self._listeners.pop(run_id, ()):
            queue.put_nowait(END)

    # the task

    def _refuse_when_stopping(self) -> None:
        if self._stopping:
            raise RequestError(
                "The server is shutting down and starts no more runs; try again shortly.",
                status=503,
                error_type="server_error",
            )

    def _start(self, run_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._execute(run_id), name=run_id)
        self._tasks[run_id] = task
        task.add_done_callback(lambda done: self._forget(run_id, done))

    def _forget(self, run_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(run_id) is task:
            del self._tasks[run_id]

    async def _execute(self, run_id: str) -> None:
        try:
            run = self.store.get("run", run_id)
            if run is None:
                return
            if run["started_at"] is None and self.backend.queue_delay:
                await asyncio.sleep(self.backend.queue_delay)
                run = self.store.get("run", run_id)
            if run is None or run["status"] != "queued":
                return
            run["status"] = "in_progress"
            if run["started_at"] is None:
                run["started_at"] = self.now()
            self.store.update("run", run)
            self._emit(run_id, "thread.run.in_progress", run)
            await self._turn(run)
        except asyncio.CancelledError:
            run = self.store.get("run", run_id)
            if run is not None and run["status"] not in TERMINAL:
                if run["status"] == "cancelling":
                    self._finish_interrupted(run, "cancelled", None)
                else:
                    self._finish_interrupted(run, "failed", STOPPED_MESSAGE)
        except BackendError as exc:
            self._fail(run_id, exc.code, exc.message)
        except Exception:  # a bug must fail the run, not leave it in_progress forever
            log.exception("run %s failed inside the server", run_id)
            self._fail(run_id, "server_error", "The server had an error while running this run.")

    async def _turn(self, run: dict[str, Any]) -> None:
        """One model call and what it answers: a message, tool calls, or both."""
        run_id = run["id"]
        request, transcript = self._model_request(run, stream=bool(self._listeners.get(run_id)))
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
                self._emit(
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
        step_usage = _usage(usage)
        transcript["usage"] = _add_usage(transcript["usage"], step_usage)
        now = self.now()
        if message is None and not calls:
            step, message = self._start_message(run)
        if message is not None and step is not None:
            message.update(status="completed", completed_at=now, content=[text_part("".join(text))])
            self.store.update("message", message)
            self._emit(run_id, "thread.message.completed", message)
            step.update(status="completed", completed_at=now, usage=step_usage)
            self.store.update("step", step)
            self._emit(run_id, "thread.run.step.completed", step)
        if calls:
            tool_calls = [
                {
                    "id": call["id"] or new_id("call"),
                    "type": "function",
                    "function": {"name": call["name"] or "", "arguments": call["arguments"]},
                }
                for _, call in sorted(calls.items())
            ]
            turn: dict[str, Any] = {"role": "assistant", "tool_calls": tool_calls}
            turn["content"] = "".join(text) if text else None
            transcript["turns"].append(turn)
            self._save_transcript(transcript)
            tool_step = self._step(
                run,
                {
                    "type": "tool_calls",
                    "tool_calls": [
                        {**copy.deepcopy(c), "function": {**c["function"], "output": None}}
                        for c in tool_calls
                    ],
                },
            )
            tool_step["usage"] = None if message is not None else step_usage
            self.store.update("step", tool_step)
            self._emit(run_id, "thread.run.step.created", tool_step)
            self._emit(run_id, "thread.run.step.in_progress", tool_step)
            run = self.store.get("run", run_id) or run
            run.update(
                status="requires_action",
                required_action={
                    "type": "submit_tool_outputs",
                    "submit_tool_outputs": {"tool_calls": tool_calls},
                },
                usage=None,
            )
            self.store.update("run", run)
            self._emit(run_id, "thread.run.requires_action", run)
            self._close(run_id)
            return
        run = self.store.get("run", run_id) or run
        run.update(status="completed", completed_at=now, expires_at=None, usage=transcript["usage"])
        self.store.update("run", run)
        self._emit(run_id, "thread.run.completed", run)
        self._close(run_id)

    def _start_message(self, run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The assistant's message (in progress) and its ``message_creation`` step."""
        message = self.add_message(
            run["thread_id"], "assistant", [], None, None, status="in_progress", run=run
        )
        step = self._step(
            run, {"type": "message_creation", "message_creation": {"message_id": message["id"]}}
        )
        self._emit(run["id"], "thread.run.step.created", step)
        self._emit(run["id"], "thread.run.step.in_progress", step)
        self._emit(run["id"], "thread.message.created", message)
        self._emit(run["id"], "thread.message.in_progress", message)
        return step, message

    def _step(self, run: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
        step = {
            "id": new_id("step"),
            "object": "thread.run.step",
            "created_at": self.now(),
            "assistant_id": run["assistant_id"],
            "thread_id": run["thread_id"],
            "run_id": run["id"],
            "type": details["type"],
            "status": "in_progress",
            "cancelled_at": None,
            "completed_at": None,
            "expired_at": None,
            "failed_at": None,
            "last_error": None,
            "step_details": details,
            "usage": None,
            "metadata": {},
        }
        self.store.insert("step", step, thread_id=run["thread_id"], run_id=run["id"])
        return step

    def _pending_tool_step(self, run_id: str) -> dict[str, Any] | None:
        for step in reversed(self.store.all("step", run_id=run_id, statuses=("in_progress",))):
            if step["type"] == "tool_calls":
                return step
        return None

    def _transcript(self, run_id: str) -> dict[str, Any]:
        """The run's model turns beyond the thread (tool calls and outputs) and usage so far;
        stored only once a run has tool calls, as only such a run continues."""
        return self.store.get("transcript", run_id) or {"id": run_id, "turns": [], "usage": None}

    def _save_transcript(self, transcript: dict[str, Any]) -> None:
        if self.store.get("transcript", transcript["id"]) is None:
            self.store.insert("transcript", transcript)
        else:
            self.store.update("transcript", transcript)

    def _fail(self, run_id: str, code: str, message: str) -> None:
        run = self.store.get("run", run_id)
        if run is not None and run["status"] not in TERMINAL:
            self._finish_interrupted(run, "failed", message, code=code)

    def _finish_interrupted(
        self, run: dict[str, Any], status: str, error: str | None, *, code: str = "server_error"
    ) -> None:
        """End a run early: ``cancelled``, ``failed`` or ``expired``, with its open parts."""
        now = self.now()
        stamp = {"cancelled": "cancelled_at", "failed": "failed_at", "expired": None}[status]
        run.update(status=status, expires_at=None if status != "expired" else run["expires_at"])
        run["required_action"] = None
        if stamp:
            run[stamp] = now
        if error is not None:
            run["last_error"] = {"code": code, "message": error}
        self.store.update("run", run)
        reason = {"cancelled": "run_cancelled", "failed": "run_failed", "expired": "run_expired"}
        for message in self.store.all("message", run_id=run["id"]):
            if message["status"] == "in_progress":
                message.update(
                    status="incomplete",
                    incomplete_details={"reason": reason[status]},
                    incomplete_at=now,
                )
                self.store.update("message", message)
        for step in self.store.all("step", run_id=run["id"]):
            if step["status"] == "in_progress":
                step["status"] = status
                step_stamp = {"cancelled": "cancelled_at", "failed": "failed_at"}.get(
                    status, "expired_at"
                )
                step[step_stamp] = now
                if error is not None:
                    step["last_error"] = run["last_error"]
                self.store.update("step", step)
        self._emit(run["id"], f"thread.run.{status}", run)
        self._close(run["id"])

    def _model_request(
        self, run: dict[str, Any], *, stream: bool
    ) -> tuple[ModelRequest, dict[str, Any]]:
        """The Chat Completions request for the run's next model call, and the transcript."""
        limit = getattr(self.backend, "history_limit", None)
        if limit is None:
            history = self.store.all("message", thread_id=run["thread_id"])
        else:  # a backend that reads only the latest messages need not load the whole thread
            page = self.store.page("message", thread_id=run["thread_id"], limit=limit)
            history = list(reversed(page.items))
        thread_messages = [m for m in history if m["run_id"] != run["id"]]
        strategy = run.get("truncation_strategy") or {}
        last = strategy.get("last_messages")
        if strategy.get("type") == "last_messages" and isinstance(last, int) and last >= 0:
            thread_messages = thread_messages[-last:] if last else []
        messages: list[dict[str, Any]] = []
        if run.get("instructions"):
            messages.append({"role": "system", "content": run["instructions"]})
        messages += [{"role": m["role"], "content": _chat_content(m)} for m in thread_messages]
        transcript = self._transcript(run["id"])
        messages += transcript["turns"]
        tools = [
            {"type": "function", "function": copy.deepcopy(t["function"])}
            for t in run.get("tools") or []
            if t.get("type") == "function"
        ]
        request = ModelRequest(
            model=run["model"],
            messages=messages,
            tools=tools,
            tool_choice=run.get("tool_choice") if tools else None,
            parallel_tool_calls=run.get("parallel_tool_calls") if tools else None,
            # 1 is the API's default for both; left out, as reasoning models refuse them
            temperature=_unless_default(run.get("temperature")),
            top_p=_unless_default(run.get("top_p")),
            reasoning_effort=self._reasoning_effort(run),
            max_completion_tokens=run.get("max_completion_tokens"),
            response_format=run.get("response_format"),
            stream=stream,
        )
        return request, transcript

    def _reasoning_effort(self, run: dict[str, Any]) -> str | None:
        """The assistant's ``reasoning_effort`` (not a field of the run object)."""
        assistant = self.store.get("assistant", run["assistant_id"]) or {}
        return assistant.get("reasoning_effort")

    def _run_object(
        self, thread_id: str, assistant: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        """The run as created: body values override the assistant's, as the API documents."""

        def pick(name: str, default: Any) -> Any:
            value = body.get(name)
            return default if value is None else value

        instructions = pick("instructions", assistant.get("instructions") or "")
        if body.get("additional_instructions"):
            instructions = "\n".join(filter(None, [instructions, body["additional_instructions"]]))
        now = self.now()
        model = body.get("model") or assistant.get("model") or self.default_model or ""
        return {
            "id": new_id("run"),
            "object": "thread.run",
            "created_at": now,
            "thread_id": thread_id,
            "assistant_id": assistant["id"],
            "status": "queued",
            "required_action": None,
            "last_error": None,
            "expires_at": now + int(self.expires_after),
            "started_at": None,
            "cancelled_at": None,
            "failed_at": None,
            "completed_at": None,
            "incomplete_details": None,
            "model": model,
            "instructions": instructions,
            "tools": copy.deepcopy(pick("tools", assistant.get("tools") or [])),
            "metadata": pick("metadata", {}),
            "usage": None,
            "temperature": pick("temperature", assistant.get("temperature")),
            "top_p": pick("top_p", assistant.get("top_p")),
            "max_prompt_tokens": body.get("max_prompt_tokens"),
            "max_completion_tokens": body.get("max_completion_tokens"),
            "truncation_strategy": pick(
                "truncation_strategy", {"type": "auto", "last_messages": None}
            ),
            "tool_choice": pick("tool_choice", "auto"),
            "parallel_tool_calls": pick("parallel_tool_calls", True),
            "response_format": pick("response_format", assistant.get("response_format", "auto")),
        }


def _unless_default(value: Any) -> Any:
    return None if value == 1 else value


def _chat_content(message: dict[str, Any]) -> Any:
    """A stored message's content as Chat Completions content (text, or parts with images)."""
    parts = message["content"]
    if all(p["type"] == "text" for p in parts):
        return text_of(message)
    chat: list[dict[str, Any]] = []
    for part in parts:
        if part["type"] == "text":
            chat.append({"type": "text", "text": part["text"]["value"]})
        elif part["type"] == "image_url":
            chat.append({"type": "image_url", "image_url": part["image_url"]})
        else:  # image_file: this server has no Files API to read it from
            file_id = (part.get("image_file") or {}).get("file_id")
            chat.append({"type": "text", "text": f"[image file {file_id} not available]"})
    return chat


def _usage(usage: Usage | None) -> dict[str, int] | None:
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


def _add_usage(total: dict[str, int] | None, more: dict[str, int] | None) -> dict[str, int] | None:
    if more is None:
        return total
    if total is None:
        return dict(more)
    return {key: total[key] + more[key] for key in total}
