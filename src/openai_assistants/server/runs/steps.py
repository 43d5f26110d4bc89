"""Run steps (``message_creation``, ``tool_calls``) and the token usage they report."""

from __future__ import annotations

from typing import Any

from ..backends import Usage
from ..store import Store
from .objects import new_id


def new_step(
    store: Store, run: dict[str, Any], details: dict[str, Any], now: int
) -> dict[str, Any]:
    """A step of the run, ``in_progress``, stored."""
    step = {
        "id": new_id("step"),
        "object": "thread.run.step",
        "created_at": now,
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
    store.insert("step", step, thread_id=run["thread_id"], run_id=run["id"])
    return step


def pending_tool_step(store: Store, run_id: str) -> dict[str, Any] | None:
    """The ``tool_calls`` step waiting for the client's outputs, if any."""
    for step in reversed(store.all("step", run_id=run_id, statuses=("in_progress",))):
        if step["type"] == "tool_calls":
            return step
    return None


def usage_of(usage: Usage | None) -> dict[str, int] | None:
    """A backend's usage as the API reports it (with ``total_tokens``)."""
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


def add_usage(total: dict[str, int] | None, more: dict[str, int] | None) -> dict[str, int] | None:
    """The run's usage so far plus one more model call's."""
    if more is None:
        return total
    if total is None:
        return dict(more)
    return {key: total[key] + more[key] for key in total}
