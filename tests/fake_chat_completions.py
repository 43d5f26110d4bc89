"""A fake Chat Completions endpoint for the server's tests: it records what the server sent
and answers from a script: text, tool calls (whole or as streamed chunks, as the request
asks), with the ``finish_reason`` a real model gives (``length`` when cut off), or an HTTP
error such as 429, 500 or a 400 ``context_length_exceeded``.

It is an httpx transport (``fake.transport()``) for in-process tests, and a Starlette app
(``fake.app()``) for tests and benchmarks that need it on a real socket.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Text:
    text: str
    chunks: tuple[str, ...] = ()  # how a streamed answer is cut (default: word by word)
    finish: str = "stop"  # "length": the model was cut off by its token limit


@dataclass(frozen=True)
class Calls:
    calls: tuple[tuple[str, str], ...]  # (function name, arguments JSON)
    finish: str = "tool_calls"


@dataclass(frozen=True)
class Fail:
    status: int
    message: str
    code: str | None = None  # error.code, e.g. "context_length_exceeded"


@dataclass
class Received:
    url: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeChatCompletions:
    answers: list[Any] = field(default_factory=list)
    latency: float = 0.0
    chunk_delay: float = 0.0  # pause before each streamed text piece
    usage: tuple[int, int] = (11, 7)
    received: list[Received] = field(default_factory=list)
    hold: asyncio.Event | None = None  # set by a test: calls wait until it is set
    called: asyncio.Event | None = None  # set when a call arrives

    def __post_init__(self) -> None:
        self._script: deque[Any] = deque(self.answers)

    def script(self, *answers: Any) -> None:
        self._script.extend(answers)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.received.append(Received(str(request.url), dict(request.headers), body))
        if self.called is not None:
            self.called.set()
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.hold is not None:
            await self.hold.wait()
        answer = self._script.popleft() if self._script else Text("(no more answers)")
        if isinstance(answer, Fail):
            kind = "rate_limit_error" if answer.status == 429 else "server_error"
            if answer.status == 400:
                kind = "invalid_request_error"
            error = {"message": answer.message, "type": kind}
            if answer.code is not None:
                error["code"] = answer.code
            return httpx.Response(answer.status, json={"error": error})
        if body.get("stream"):
            return httpx.Response(
                200,
                headers={"content-type": "text/event-stream"},
                content=self._stream(answer, body["model"]),
            )
        return httpx.Response(200, json=self._completion(answer, body["model"]))

    def _completion(self, answer: Text | Calls, model: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if isinstance(answer, Text):
            message["content"] = answer.text
        else:
            message["tool_calls"] = [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
                for i, (name, arguments) in enumerate(answer.calls)
            ]
        prompt, completion = self.usage
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": answer.finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    async def _stream(self, answer: Text | Calls, model: str) -> AsyncIterator[bytes]:
        def chunk(delta: dict[str, Any], usage: Any = None) -> bytes:
            payload = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{"index": 0, "delta": delta}] if delta else [],
                "usage": usage,
            }
            return f"data: {json.dumps(payload)}\n\n".encode()

        yield chunk({"role": "assistant"})
        if isinstance(answer, Text):
            pieces = answer.chunks or tuple(answer.text.split(" "))
            for i, piece in enumerate(pieces):
                if self.chunk_delay:
                    await asyncio.sleep(self.chunk_delay)
                text = piece if answer.chunks or i == len(pieces) - 1 else piece + " "
                yield chunk({"content": text})
        else:
            for i, (name, arguments) in enumerate(answer.calls):
                half = len(arguments) // 2
                yield chunk(
                    {
                        "tool_calls": [
                            {
                                "index": i,
                                "id": f"call_{i}",
                                "type": "function",
                                "function": {"name": name, "arguments": arguments[:half]},
                            }
                        ]
                    }
                )
                yield chunk(
                    {"tool_calls": [{"index": i, "function": {"arguments": arguments[half:]}}]}
                )
        finish = {"index": 0, "delta": {}, "finish_reason": answer.finish}
        payload = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model}
        yield f"data: {json.dumps({**payload, 'choices': [finish]})}\n\n".encode()
        prompt, completion = self.usage
        yield chunk(
            {},
            {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        )
        yield b"data: [DONE]\n\n"

    def app(self) -> Any:
        """The same endpoint as an ASGI app (``POST /v1/chat/completions``)."""
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response, StreamingResponse
        from starlette.routing import Route

        async def endpoint(request: Request) -> Response:
            proxied = httpx.Request(
                "POST", str(request.url), headers=request.headers, content=await request.body()
            )
            answer = await self.handle(proxied)
            if answer.headers.get("content-type") == "text/event-stream":
                return StreamingResponse(answer.aiter_bytes(), media_type="text/event-stream")
            return Response(await answer.aread(), answer.status_code, media_type="application/json")

        return Starlette(routes=[Route("/v1/chat/completions", endpoint, methods=["POST"])])
