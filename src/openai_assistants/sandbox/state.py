"""The sandbox's data: assistants, threads, messages and runs in memory, and the run lifecycle.

No HTTP here: the server turns requests into calls of :class:`SandboxState` and its exceptions
into OpenAI-shaped error answers. Every public method takes the one lock, so concurrent
requests see consistent state.

A run's status is derived from the time since it was created, so the whole loop can be
watched without a background worker: ``queued`` for the first third of ``run_duration``,
``in_progress`` (with the assistant's message being written) until ``run_duration``, then
``completed`` with the deterministic reply ``Echo: <last user message>``. State advances
lazily, whenever a thread or run is looked at.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

QUEUED_FRACTION = 1 / 3  # share of run_duration a run spends queued
EXPIRES_AFTER_SECONDS = 600  # what the real API reports for a run that is not finished
MAX_LIST_LIMIT = 100
TERMINAL_STATUSES = frozenset({"cancelled", "failed", "completed", "incomplete", "expired"})
ASSISTANT_FIELDS = frozenset(
    {
        "model",
        "name",
        "description",
        "instructions",
        "reasoning_effort",
        "tools",
        "tool_resources",
        "metadata",
        "temperature",
        "top_p",
        "response_format",
    }
)
THREAD_FIELDS = frozenset({"messages", "tool_resources", "metadata"})
MESSAGE_FIELDS = frozenset({"role", "content", "attachments", "metadata"})
TOOL_TYPES = ("code_interpreter", "file_search", "function")


class RequestError(Exception):
    """The request cannot be served; carries what the OpenAI error shape needs."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        error_type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param
        self.code = code
        self.error_type = error_type


class NotFoundError(RequestError):
    """An unknown assistant, thread, message or run: 404 with the real API's wording."""

    def __init__(self, kind: str, object_id: str) -> None:
        super().__init__(f"No {kind} found with id '{object_id}'.", status=404)


def new_id(prefix: str) -> str:
    """``asst_``/``thread_``/``msg_``/``run_`` plus 24 hex digits, like the real IDs."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


@dataclass
class _Run:
    """A run's public fields plus what is needed to derive its status from time."""

    data: dict[str, Any]
    created_mono: float
    started_mono: float  # when it turns in_progress
    completed_mono: float  # when it turns completed
    wall_start: float
    reply_id: str
    reply_text: str
    prompt_tokens: int
    in_progress: tuple[dict[str, Any], dict[str, Any]] | None = None  # (run, reply) then


@dataclass
class _Thread:
    data: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunTimeline:
    """Monotonic times at which a run starts and completes; the event stream follows it."""

    started: float
    completed: float


class SandboxState:
    """All objects of one sandbox, behind one lock."""

    def __init__(
        self,
        run_duration: float = 0.3,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if run_duration < 0:
            raise ValueError("run_duration must be >= 0 seconds")
        self.run_duration = run_duration
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.RLock()
        self._assistants: dict[str, dict[str, Any]] = {}
        self._threads: dict[str, _Thread] = {}
        self._runs: dict[str, _Run] = {}

    # assistants

    def create_assistant(self, body: Any) -> dict[str, Any]:
        """``POST /assistants``: ``model`` is required, as in the real API."""
        body = _object_body(body, ASSISTANT_FIELDS)
        model = body.get("model")
        if model is None:
            raise RequestError(
                "Missing required parameter: 'model'.",
                param="model",
                code="missing_required_parameter",
            )
        _check_type(body, "model", str)
        for name in ("name", "description", "instructions"):
            _check_type(body, name, str, nullable=True)
        for name in ("temperature", "top_p"):
            _check_type(body, name, (int, float), nullable=True)
        assistant = {
            "id": new_id("asst"),
            "object": "assistant",
            "created_at": int(self._wall()),
            "name": body.get("name"),
            "description": body.get("description"),
            "model": model,
            "instructions": body.get("instructions"),
            "tools": _tools(body.get("tools")),
            "tool_resources": _optional_object(body, "tool_resources") or {},
            "metadata": _metadata(body.get("metadata")),
            "temperature": body.get("temperature", 1.0),
            "top_p": body.get("top_p", 1.0),
            "response_format": _response_format(body.get("response_format")),
        }
        with self._lock:
            self._assistants[assistant["id"]] = assistant
            return copy.deepcopy(assistant)

    def get_assistant(self, assistant_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._assistant(assistant_id))

    # threads and messages

    def create_thread(self, body: Any) -> dict[str, Any]:
        """``POST /threads``, with the initial ``messages`` added in order."""
        body = _object_body(body, THREAD_FIELDS)
        messages = body.get("messages") or []
        if not isinstance(messages, list):
            raise RequestError("Invalid type for 'messages': expected an array.", param="messages")
        thread = _Thread(
            data={
                "id": new_id("thread"),
                "object": "thread",
                "created_at": int(self._wall()),
                "tool_resources": _optional_object(body, "tool_resources") or {},
                "metadata": _metadata(body.get("metadata")),
            }
        )
        parsed = [_message_request(m, f"messages[{i}]") for i, m in enumerate(messages)]
        with self._lock:
            for role, content, attachments, metadata in parsed:
                thread.messages.append(
                    self._new_message(thread.data["id"], role, content, attachments, metadata)
                )
            self._threads[thread.data["id"]] = thread
            return copy.deepcopy(thread.data)

    def get_thread(self, thread_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._thread(thread_id).data)

    def create_message(self, thread_id: str, body: Any) -> dict[str, Any]:
        """``POST /threads/{id}/messages``."""
        role, content, attachments, metadata = _message_request(body, None)
        with self._lock:
            thread = self._thread(thread_id)
            self._settle_thread(thread)
            message = self._new_message(thread_id, role, content, attachments, metadata)
            thread.messages.append(message)
            return copy.deepcopy(message)

    def get_message(self, thread_id: str, message_id: str) -> dict[str, Any]:
        with self._lock:
            thread = self._thread(thread_id)
            self._settle_thread(thread)
            for message in thread.messages:
                if message["id"] == message_id:
                    return copy.deepcopy(message)
            raise NotFoundError("message", message_id)

    def list_messages(self, thread_id: str, query: dict[str, str]) -> dict[str, Any]:
        """``GET /threads/{id}/messages``: newest first unless ``order=asc``; ``run_id`` filter."""
        with self._lock:
            thread = self._thread(thread_id)
            self._settle_thread(thread)
            items = list(thread.messages)
            if query.get("run_id"):
                items = [m for m in items if m["run_id"] == query["run_id"]]
            return _page(items, query)

    # runs

    def create_run(self, thread_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /threads/{id}/runs`` with a body the node's own rules already accepted.

        Like the real API, a thread runs one run at a time, and the run snapshot returned is
        the one at creation (``queued``).
        """
        with self._lock:
            thread = self._thread(thread_id)
            assistant = self._assistant(body["assistant_id"])
            self._settle_thread(thread)
            for run_id in thread.run_ids:
                if self._runs[run_id].data["status"] not in TERMINAL_STATUSES:
                    raise RequestError(f"Thread {thread_id} already has an active run {run_id}.")
            for i, extra in enumerate(body.get("additional_messages") or []):
                role, content, attachments, metadata = _message_request(
                    extra, f"additional_messages[{i}]"
                )
                thread.messages.append(
                    self._new_message(thread_id, role, content, attachments, metadata)
                )
            now_mono, now_wall = self._monotonic(), self._wall()
            reply = "Echo: " + _last_user_text(thread.messages)
            run = _Run(
                data=_run_object(thread_id, assistant, body, now_wall),
                created_mono=now_mono,
                started_mono=now_mono + self.run_duration * QUEUED_FRACTION,
                completed_mono=now_mono + self.run_duration,
                wall_start=now_wall,
                reply_id=new_id("msg"),
                reply_text=reply,
                prompt_tokens=sum(len(_text_of(m).split()) for m in thread.messages),
            )
            self._runs[run.data["id"]] = run
            thread.run_ids.append(run.data["id"])
            return copy.deepcopy(run.data)

    def get_run(self, thread_id: str, run_id: str) -> dict[str, Any]:
        with self._lock:
            run = self._run(thread_id, run_id)
            self._settle(run)
            return copy.deepcopy(run.data)

    def list_runs(self, thread_id: str, query: dict[str, str]) -> dict[str, Any]:
        """``GET /threads/{id}/runs``: newest first unless ``order=asc``."""
        with self._lock:
            thread = self._thread(thread_id)
            self._settle_thread(thread)
            return _page([self._runs[r].data for r in thread.run_ids], query)

    def cancel_run(self, thread_id: str, run_id: str) -> dict[str, Any]:
        """Answers ``cancelling``; the next look at the run shows ``cancelled``."""
        with self._lock:
            run = self._run(thread_id, run_id)
            self._settle(run)
            status = run.data["status"]
            if status in TERMINAL_STATUSES or status == "cancelling":
                raise RequestError(f"Cannot cancel run with status '{status}'.")
            run.data["status"] = "cancelling"
            return copy.deepcopy(run.data)

    def run_timeline(self, run_id: str) -> RunTimeline:
        with self._lock:
            run = self._runs[run_id]
            return RunTimeline(started=run.started_mono, completed=run.completed_mono)

    def reply_message_id(self, run_id: str) -> str:
        with self._lock:
            return self._runs[run_id].reply_id

    def reply_text(self, run_id: str) -> str:
        with self._lock:
            return self._runs[run_id].reply_text

    def in_progress_snapshots(self, run_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The run and its reply message as they were on turning ``in_progress``.

        The event stream replays them even when the run raced ahead (``run_duration=0``),
        so every stream shows the same event sequence.
        """
        with self._lock:
            run = self._runs[run_id]
            self._settle(run)
            return copy.deepcopy(run.in_progress)

    # internals (called with the lock held)

    def _assistant(self, assistant_id: str) -> dict[str, Any]:
        assistant = self._assistants.get(assistant_id)
        if assistant is None:
            raise NotFoundError("assistant", assistant_id)
        return assistant

    def _thread(self, thread_id: str) -> _Thread:
        thread = self._threads.get(thread_id)
        if thread is None:
            raise NotFoundError("thread", thread_id)
        return thread

    def _run(self, thread_id: str, run_id: str) -> _Run:
        self._thread(thread_id)
        run = self._runs.get(run_id)
        if run is None or run.data["thread_id"] != thread_id:
            raise NotFoundError("run", run_id)
        return run

    def _settle_thread(self, thread: _Thread) -> None:
        for run_id in thread.run_ids:
            self._settle(self._runs[run_id])

    def _settle(self, run: _Run) -> None:
        """Bring a run (and its reply message) up to the current time."""
        data = run.data
        now = self._monotonic()

        def wall(mono: float) -> int:
            return int(run.wall_start + (mono - run.created_mono))

        if data["status"] == "cancelling":
            data.update(status="cancelled", cancelled_at=int(self._wall()), expires_at=None)
            reply = self._find_message(data["thread_id"], run.reply_id)
            if reply is not None and reply["status"] == "in_progress":
                reply.update(
                    status="incomplete",
                    incomplete_details={"reason": "run_cancelled"},
                    incomplete_at=data["cancelled_at"],
                )
            return
        if data["status"] == "queued" and now >= run.started_mono:
            data.update(status="in_progress", started_at=wall(run.started_mono))
            thread = self._threads[data["thread_id"]]
            reply = self._new_message(data["thread_id"], "assistant", [], None, None)
            reply.update(
                id=run.reply_id,
                created_at=data["started_at"],
                status="in_progress",
                completed_at=None,
                assistant_id=data["assistant_id"],
                run_id=data["id"],
            )
            thread.messages.append(reply)
            run.in_progress = (copy.deepcopy(data), copy.deepcopy(reply))
        if data["status"] == "in_progress" and now >= run.completed_mono:
            completed_at = wall(run.completed_mono)
            completion_tokens = len(run.reply_text.split())
            data.update(
                status="completed",
                completed_at=completed_at,
                expires_at=None,
                usage={
                    "prompt_tokens": run.prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": run.prompt_tokens + completion_tokens,
                },
            )
            reply = self._find_message(data["thread_id"], run.reply_id)
            if reply is not None:
                reply.update(
                    status="completed",
                    completed_at=completed_at,
                    content=[_text_part(run.reply_text)],
                )

    def _find_message(self, thread_id: str, message_id: str) -> dict[str, Any] | None:
        return next((m for m in self._threads[thread_id].messages if m["id"] == message_id), None)

    def _new_message(
        self,
        thread_id: str,
        role: str,
        content: list[dict[str, Any]],
        attachments: list[Any] | None,
        metadata: dict[str, str] | None,
    ) -> dict[str, Any]:
        now = int(self._wall())
        return {
            "id": new_id("msg"),
            "object": "thread.message",
            "created_at": now,
            "thread_id": thread_id,
            "status": "completed",
            "incomplete_details": None,
            "completed_at": now,
            "incomplete_at": None,
            "role": role,
            "content": content,
            "assistant_id": None,
            "run_id": None,
            "attachments": attachments or [],
            "metadata": metadata or {},
        }


def _run_object(
    thread_id: str, assistant: dict[str, Any], body: dict[str, Any], now: float
) -> dict[str, Any]:
    """The run as created: body values override the assistant's, as the API documents."""

    def pick(name: str, default: Any) -> Any:
        value = body.get(name)
        return default if value is None else value

    instructions = pick("instructions", assistant["instructions"] or "")
    if body.get("additional_instructions"):
        instructions = "\n".join(filter(None, [instructions, body["additional_instructions"]]))
    return {
        "id": new_id("run"),
        "object": "thread.run",
        "created_at": int(now),
        "thread_id": thread_id,
        "assistant_id": assistant["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": int(now) + EXPIRES_AFTER_SECONDS,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": pick("model", assistant["model"]),
        "instructions": instructions,
        "tools": pick("tools", assistant["tools"]),
        "metadata": pick("metadata", {}),
        "usage": None,
        "temperature": pick("temperature", assistant["temperature"]),
        "top_p": pick("top_p", assistant["top_p"]),
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": pick("truncation_strategy", {"type": "auto", "last_messages": None}),
        "tool_choice": pick("tool_choice", "auto"),
        "parallel_tool_calls": pick("parallel_tool_calls", True),
        "response_format": pick("response_format", assistant["response_format"]),
    }


def _page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """The API's cursor list: ``limit`` (1-100, default 20), ``order``, ``after``, ``before``."""
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise RequestError(
            f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
            param="order",
            code="invalid_value",
        )
    try:
        limit = int(query.get("limit", "20"))
    except ValueError:
        raise RequestError("Invalid 'limit': expected an integer.", param="limit") from None
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise RequestError(
            f"Invalid 'limit': expected a value between 1 and {MAX_LIST_LIMIT}, got {limit}.",
            param="limit",
            code="invalid_value",
        )
    ordered = list(reversed(items)) if order == "desc" else list(items)
    ids = [item["id"] for item in ordered]
    for cursor, keep_after in (("after", True), ("before", False)):
        if query.get(cursor):
            if query[cursor] not in ids:
                raise RequestError(f"Invalid '{cursor}': no object with id '{query[cursor]}'.")
            index = ids.index(query[cursor])
            ordered = ordered[index + 1 :] if keep_after else ordered[:index]
            ids = [item["id"] for item in ordered]
    page = copy.deepcopy(ordered[:limit])
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(ordered) > limit,
    }


def _object_body(body: Any, allowed: frozenset[str]) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RequestError(
            f"Unrecognized request argument supplied: {', '.join(unknown)}",
            code="unknown_parameter",
        )
    return body


def _check_type(body: dict[str, Any], name: str, kind: Any, *, nullable: bool = False) -> None:
    value = body.get(name)
    if value is None and (nullable or name not in body):
        return
    if isinstance(value, bool) or not isinstance(value, kind):
        raise RequestError(
            f"Invalid type for '{name}': expected {_kind_name(kind)}.",
            param=name,
            code="invalid_type",
        )


def _kind_name(kind: Any) -> str:
    return "a string" if kind is str else "a number" if isinstance(kind, tuple) else "an object"


def _optional_object(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    _check_type(body, name, dict, nullable=True)
    return body.get(name)


def _metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """At most 16 string pairs (keys <= 64, values <= 512 characters), as documented."""
    if value is None:
        return {}
    if (
        not isinstance(value, dict)
        or len(value) > 16
        or not all(isinstance(k, str) and len(k) <= 64 for k in value)
        or not all(isinstance(v, str) and len(v) <= 512 for v in value.values())
    ):
        raise RequestError(
            f"Invalid '{param}': expected an object of at most 16 string values.", param=param
        )
    return dict(value)


def _tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RequestError("Invalid type for 'tools': expected an array.", param="tools")
    for i, tool in enumerate(value):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind not in TOOL_TYPES:
            raise RequestError(
                f"Invalid value for 'tools[{i}].type': expected one of "
                + ", ".join(f"'{t}'" for t in TOOL_TYPES)
                + ".",
                param=f"tools[{i}].type",
                code="invalid_value",
            )
        if kind == "function" and not isinstance((tool.get("function") or {}).get("name"), str):
            raise RequestError(
                f"Missing required parameter: 'tools[{i}].function.name'.",
                param=f"tools[{i}].function.name",
                code="missing_required_parameter",
            )
    return copy.deepcopy(value)


def _response_format(value: Any) -> Any:
    if value is None or value == "auto":
        return "auto"
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return copy.deepcopy(value)
    raise RequestError(
        "Invalid 'response_format': expected 'auto' or an object with a 'type'.",
        param="response_format",
    )


def _message_request(
    body: Any, where: str | None
) -> tuple[str, list[dict[str, Any]], list[Any] | None, dict[str, str]]:
    """A create-message body -> (role, content parts as stored, attachments, metadata)."""
    prefix = f"{where}." if where else ""
    if not isinstance(body, dict):
        raise RequestError(f"Invalid '{where or 'body'}': expected an object.", param=where)
    unknown = sorted(set(body) - MESSAGE_FIELDS)
    if unknown:
        raise RequestError(
            f"Unrecognized request argument supplied: {', '.join(prefix + u for u in unknown)}",
            code="unknown_parameter",
        )
    for name in ("role", "content"):
        if name not in body:
            raise RequestError(
                f"Missing required parameter: '{prefix}{name}'.",
                param=prefix + name,
                code="missing_required_parameter",
            )
    role = body["role"]
    if role not in ("user", "assistant"):
        raise RequestError(
            f"Invalid value: '{role}'. Supported values are: 'user' and 'assistant'.",
            param=prefix + "role",
            code="invalid_value",
        )
    content = body["content"]
    if isinstance(content, str):
        parts = [_text_part(content)]
    elif isinstance(content, list) and content:
        parts = [_content_part(part, f"{prefix}content[{i}]") for i, part in enumerate(content)]
    else:
        raise RequestError(
            f"Invalid '{prefix}content': expected a string or a non-empty array of parts.",
            param=prefix + "content",
        )
    attachments = body.get("attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise RequestError(
            f"Invalid type for '{prefix}attachments': expected an array.",
            param=prefix + "attachments",
        )
    return role, parts, attachments, _metadata(body.get("metadata"), prefix + "metadata")


def _content_part(part: Any, where: str) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return _text_part(part["text"])
    if kind in ("image_file", "image_url") and isinstance(part.get(kind), dict):
        return copy.deepcopy(part)
    raise RequestError(
        f"Invalid '{where}': expected a text, image_file or image_url content part.",
        param=where,
    )


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": {"value": text, "annotations": []}}


def _text_of(message: dict[str, Any]) -> str:
    return "\n".join(p["text"]["value"] for p in message["content"] if p["type"] == "text")


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            return _text_of(message) or "(no text)"
    return "(no user message)"
