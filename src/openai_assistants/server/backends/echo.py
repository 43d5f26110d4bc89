"""The offline backend: the assistant echoes the last user message (the sandbox's behaviour).

A run spends a third of ``run_duration`` queued and the rest writing its reply word by word,
so every status and stream event can be watched. With function tools (and ``tool_choice``
not ``"none"``), the first answer is a call of the chosen tool with the user's text as
``{"input": ...}``; once the outputs are submitted, the reply quotes them. That makes Submit
Tool Outputs testable without a model. With the ``file_search`` tool, the first answer
searches for the user's text; the reply then cites the best result with its marker
(``Echo: <question> 【0:0†notes.txt】``), so file search and citations work offline.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

from . import Chunk, ModelRequest, TextDelta, ToolCallDelta, Usage

SEARCH = "file_search"  # the function a run with file_search offers (runs.file_search)
MARKER = re.compile(r"【\d+:\d+†[^】]*】")


class EchoBackend:
    """``Echo: <last user message>``, spread over ``run_duration`` seconds."""

    history_limit = 20  # the echo reads the latest user message only: load no more

    def __init__(self, run_duration: float = 0.3) -> None:
        if run_duration < 0:
            raise ValueError("run_duration must be >= 0 seconds")
        self.run_duration = run_duration
        self.queue_delay = run_duration / 3
        self.instant = run_duration == 0  # a run ends without waiting on anything

    async def respond(self, request: ModelRequest) -> AsyncIterator[Chunk]:
        span = self.run_duration - self.queue_delay
        user_text, outputs, found = _last_turn(request.messages)
        prompt_tokens = sum(len(_text(m).split()) for m in request.messages)
        tool = _tool_to_call(request)
        if tool is not None and not outputs and found is None:
            await asyncio.sleep(span)
            arguments = {"queries": [user_text]} if tool == SEARCH else {"input": user_text}
            yield ToolCallDelta(
                index=0,
                id=f"call_{uuid.uuid4().hex[:24]}",
                name=tool,
                arguments=json.dumps(arguments),
            )
            yield Usage(prompt_tokens, 1)
            return
        reply = "Echo: " + user_text
        if outputs:
            reply += " (tool output: " + "; ".join(outputs) + ")"
        marker = MARKER.search(found or "")
        if marker is not None:  # the best search result, cited
            reply += " " + marker.group(0)
        words = re.findall(r"\S+\s*", reply) or [""]
        loop = asyncio.get_running_loop()
        started = loop.time()
        for i, word in enumerate(words):
            delay = started + span * i / len(words) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            yield TextDelta(word)
        delay = started + span - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        yield Usage(prompt_tokens, len(words))

    async def aclose(self) -> None:
        return None


def _tool_to_call(request: ModelRequest) -> str | None:
    """The tool the first answer calls: the chosen one, else ``file_search`` (searching
    comes first), else the first function."""
    names = [t["function"]["name"] for t in request.tools if t.get("type") == "function"]
    choice = request.tool_choice
    if not names or choice == "none":
        return None
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return choice["function"].get("name") or names[0]
    return SEARCH if SEARCH in names else names[0]


def _last_turn(messages: list[dict[str, Any]]) -> tuple[str, list[str], str | None]:
    """The last user message's text, the function outputs that came after it, and the
    ``file_search`` results after it (None: no search was made)."""
    searches = {
        call.get("id")
        for message in messages
        if message["role"] == "assistant"
        for call in message.get("tool_calls") or []
        if (call.get("function") or {}).get("name") == SEARCH
    }
    outputs: list[str] = []
    found: str | None = None
    for message in reversed(messages):
        if message["role"] == "tool":
            if message.get("tool_call_id") in searches:
                found = _text(message) if found is None else _text(message) + "\n" + found
            else:
                outputs.insert(0, _text(message))
        elif message["role"] == "user":
            return _text(message) or "(no text)", outputs, found
    return "(no user message)", outputs, found


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""
