"""Where a run's answer comes from: the model call behind the Assistants API.

A backend receives a :class:`ModelRequest` (a Chat Completions request: messages, function
tools and sampling options, built by the engine from the assistant, thread and run) and yields
the answer as it arrives: :class:`TextDelta` pieces, :class:`ToolCallDelta` pieces and one
:class:`Usage`. The engine turns these into run steps, messages and stream events, so a
backend knows nothing about the Assistants API. Failures are :class:`BackendError` with the
``last_error`` code the run reports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ModelRequest:
    """One Chat Completions request (OpenAI's field names)."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: Any = None  # "auto", "none", "required" or {"type": "function", ...}
    parallel_tool_calls: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_completion_tokens: int | None = None
    response_format: Any = None  # None or "auto": the model's default
    reasoning_effort: str | None = None
    stream: bool = False  # a client is watching: ask the model for a stream

    def body(self) -> dict[str, Any]:
        """The JSON body of ``POST /chat/completions``; unset options are left out."""
        body: dict[str, Any] = {"model": self.model, "messages": self.messages}
        if self.tools:
            body["tools"] = self.tools
            if self.tool_choice is not None:
                body["tool_choice"] = self.tool_choice
            if self.parallel_tool_calls is not None:
                body["parallel_tool_calls"] = self.parallel_tool_calls
        for name in ("temperature", "top_p", "max_completion_tokens", "reasoning_effort"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        if self.response_format not in (None, "auto"):
            body["response_format"] = self.response_format
        if self.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A piece of the ``index``-th tool call; ``arguments`` pieces are concatenated."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


Chunk = TextDelta | ToolCallDelta | Usage


class BackendError(Exception):
    """The model call failed; ``code`` is the run's ``last_error.code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Backend(Protocol):
    """A model behind the runs; ``queue_delay`` is how long a new run stays ``queued``.

    A backend may also set ``history_limit``: the number of latest thread messages it needs
    (default: all of them, as a model does), and ``secrets``: the keys it sends, which the
    server then redacts from everything it answers and logs.
    """

    queue_delay: float

    def respond(self, request: ModelRequest) -> AsyncIterator[Chunk]: ...

    async def aclose(self) -> None: ...
