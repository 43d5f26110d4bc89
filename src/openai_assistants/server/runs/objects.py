"""The objects of a run's world as the API shapes them: IDs, runs, and thread messages.

Pure builders (no storage): what a new run or message looks like, with the defaults and the
order of precedence (run body over assistant over server default) the API documents.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ..store import Store


def new_id(prefix: str) -> str:
    """``asst_``/``thread_``/``msg_``/``run_``/``step_`` plus 24 hex digits, like real IDs."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def run_object(
    thread_id: str,
    assistant: dict[str, Any],
    body: dict[str, Any],
    *,
    now: int,
    expires_after: float,
    default_model: str | None,
) -> dict[str, Any]:
    """The run as created: body values override the assistant's, as the API documents."""

    def pick(name: str, default: Any) -> Any:
        value = body.get(name)
        return default if value is None else value

    instructions = pick("instructions", assistant.get("instructions") or "")
    if body.get("additional_instructions"):
        instructions = "\n".join(filter(None, [instructions, body["additional_instructions"]]))
    model = body.get("model") or assistant.get("model") or default_model or ""
    return {
        "id": new_id("run"),
        "object": "thread.run",
        "created_at": now,
        "thread_id": thread_id,
        "assistant_id": assistant["id"],
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": now + int(expires_after),
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
        "truncation_strategy": pick("truncation_strategy", {"type": "auto", "last_messages": None}),
        "tool_choice": pick("tool_choice", "auto"),
        "parallel_tool_calls": pick("parallel_tool_calls", True),
        "response_format": pick("response_format", assistant.get("response_format", "auto")),
    }


def add_message(
    store: Store,
    thread_id: str,
    role: str,
    content: list[dict[str, Any]],
    attachments: list[Any] | None,
    metadata: dict[str, str] | None,
    *,
    now: int,
    status: str = "completed",
    run: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A new message at the end of a thread (a run's own messages name the run)."""
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
    store.insert("message", message, thread_id=thread_id, run_id=run["id"] if run else None)
    return message
