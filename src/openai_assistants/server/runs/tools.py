"""Function tools in a run: the calls the model makes, the outputs the client submits, and
the run's transcript that carries both into the next model call.

The transcript is the run's model turns beyond the thread (the assistant's tool calls and the
tool outputs) and its usage so far; it is stored only once a run has tool calls, as only such
a run continues.
"""

from __future__ import annotations

import copy
from typing import Any

from ..store import Store
from ..validation import RequestError
from .objects import new_id


def load_transcript(store: Store, run_id: str) -> dict[str, Any]:
    """The run's transcript, or an empty one."""
    return store.get("transcript", run_id) or {"id": run_id, "turns": [], "usage": None}


def save_transcript(store: Store, run: dict[str, Any], transcript: dict[str, Any]) -> None:
    """Store the transcript as the run's (and its thread's): deleting the thread deletes it."""
    if store.get("transcript", transcript["id"]) is None:
        store.insert("transcript", transcript, thread_id=run["thread_id"], run_id=run["id"])
    else:
        store.update("transcript", transcript)


def function_tools(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's function tools as Chat Completions tools."""
    return [
        {"type": "function", "function": copy.deepcopy(t["function"])}
        for t in run.get("tools") or []
        if t.get("type") == "function"
    ]


def tool_calls_of(calls: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The calls assembled from a model answer's deltas (by index), as the API lists them."""
    return [
        {
            "id": call["id"] or new_id("call"),
            "type": "function",
            "function": {"name": call["name"] or "", "arguments": call["arguments"]},
        }
        for _, call in sorted(calls.items())
    ]


def tool_calls_step_details(tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``tool_calls`` step's details: the calls, each with its output still ``None``."""
    return {
        "type": "tool_calls",
        "tool_calls": [
            {**copy.deepcopy(c), "function": {**c["function"], "output": None}} for c in tool_calls
        ],
    }


def outputs_by_call(run: dict[str, Any], outputs: list[dict[str, str]]) -> dict[str, str]:
    """Submitted outputs by call ID; every pending call needs exactly one output."""
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
    return {item["tool_call_id"]: item["output"] for item in outputs}
