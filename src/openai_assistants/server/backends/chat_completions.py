"""The real backend: ``POST {base_url}/chat/completions`` on any OpenAI-compatible endpoint.

OpenAI, Azure OpenAI (``api-key`` header and ``api-version`` query), Ollama, vLLM and LiteLLM
all speak this. The key is read once from the environment by the caller and kept in this
object only: it is sent to the model endpoint and nowhere else, and never appears in
``repr()``, errors or logs. A run that a client streams gets a streamed model call, so the
model's text reaches the client as it is written.

Failures become :class:`~openai_assistants.server.backends.BackendError`:
``rate_limit_exceeded`` for HTTP 429, ``server_error`` for everything else, with the
endpoint's own ``error.message`` when it sent one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..redaction import Redactor
from . import BackendError, Chunk, ModelRequest, TextDelta, ToolCallDelta, Usage

ERROR_EXCERPT = 200


class ChatCompletionsBackend:
    """Runs every model call on ``{base_url}/chat/completions``."""

    queue_delay = 0.0

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        auth: str = "bearer",
        api_version: str | None = None,
        timeout: float = 600.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if auth not in ("bearer", "api-key"):
            raise ValueError(f"auth must be 'bearer' or 'api-key', not {auth!r}")
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the model base URL must be an http(s) URL, not {base_url!r}")
        self.url = urlunsplit(
            (parts.scheme, parts.netloc, parts.path.rstrip("/") + "/chat/completions", "", "")
        )
        self._params = {"api-version": api_version} if api_version else {}
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self.secrets: tuple[str, ...] = (api_key,) if api_key else ()
        self._redactor = Redactor(self.secrets)
        if api_key:
            if auth == "bearer":
                headers["Authorization"] = f"Bearer {api_key}"
            else:
                headers["api-key"] = api_key
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
            transport=transport,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )

    def __repr__(self) -> str:
        return f"ChatCompletionsBackend(url={self.url!r})"

    async def respond(self, request: ModelRequest) -> AsyncIterator[Chunk]:
        """The answer's chunks; a failure's message never holds the key, even when the
        endpoint's own error message quotes it."""
        try:
            async for chunk in self._respond(request):
                yield chunk
        except BackendError as exc:
            raise BackendError(exc.code, self._redactor.text(exc.message)) from None

    async def _respond(self, request: ModelRequest) -> AsyncIterator[Chunk]:
        body = request.body()
        try:
            if request.stream:
                for first_try in (True, False):
                    async with self._client.stream(
                        "POST", self.url, params=self._params, json=body
                    ) as response:
                        if response.status_code != 200:
                            await response.aread()
                            if first_try and _refuses_stream_options(response):
                                # older endpoints (e.g. Azure API versions before 2024-09)
                                # refuse it; the answer then just comes without usage
                                body = {k: v for k, v in body.items() if k != "stream_options"}
                                continue
                            raise _status_error(response)
                        async for chunk in _stream_chunks(response):
                            yield chunk
                        return
            response = await self._client.post(self.url, params=self._params, json=body)
        except httpx.TimeoutException:
            raise BackendError(
                "server_error", f"The model endpoint {self.url} did not answer in time."
            ) from None
        except httpx.HTTPError as exc:
            raise BackendError(
                "server_error",
                f"The model endpoint {self.url} could not be reached: {type(exc).__name__}.",
            ) from None
        if response.status_code != 200:
            raise _status_error(response)
        for chunk in _answer_chunks(_json(response.content)):
            yield chunk

    async def aclose(self) -> None:
        await self._client.aclose()


def _refuses_stream_options(response: httpx.Response) -> bool:
    return response.status_code == 400 and b"stream_options" in response.content


def _status_error(response: httpx.Response) -> BackendError:
    code = "rate_limit_exceeded" if response.status_code == 429 else "server_error"
    message = _error_message(response.content)
    return BackendError(code, f"The model endpoint answered HTTP {response.status_code}: {message}")


def _error_message(content: bytes) -> str:
    try:
        payload = json.loads(content)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        message = payload["error"].get("message")
        if isinstance(message, str) and message:
            return message
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        return payload["error"]
    text = content.decode("utf-8", "replace").strip()
    return text[:ERROR_EXCERPT] if text else "(no message)"


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        raise BackendError(
            "server_error",
            "The model endpoint answered HTTP 200 with a body that is not JSON: "
            + content.decode("utf-8", "replace")[:ERROR_EXCERPT],
        ) from None


def _answer_chunks(payload: Any) -> list[Chunk]:
    """A whole (not streamed) chat completion as chunks."""
    try:
        message = payload["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        raise BackendError(
            "server_error", "The model endpoint's answer has no choices[0].message."
        ) from None
    chunks: list[Chunk] = []
    if isinstance(message.get("content"), str) and message["content"]:
        chunks.append(TextDelta(message["content"]))
    for index, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {}
        chunks.append(
            ToolCallDelta(
                index=index,
                id=call.get("id"),
                name=function.get("name"),
                arguments=function.get("arguments") or "",
            )
        )
    usage = _usage(payload.get("usage"))
    if usage is not None:
        chunks.append(usage)
    return chunks


async def _stream_chunks(response: httpx.Response) -> AsyncIterator[Chunk]:
    """Server-sent ``chat.completion.chunk`` events as chunks, up to ``data: [DONE]``."""
    done = False
    async for line in response.aiter_lines():
        if done or not line.startswith("data:"):
            continue  # read to the end: a fully read answer keeps its connection for reuse
        data = line[5:].strip()
        if data == "[DONE]":
            done = True
            continue
        payload = _json(data.encode("utf-8"))
        if isinstance(payload, dict) and payload.get("error"):
            raise BackendError(
                "server_error",
                "The model endpoint's stream failed: "
                + _error_message(json.dumps(payload).encode("utf-8")),
            )
        for choice in (payload.get("choices") or []) if isinstance(payload, dict) else []:
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str) and delta["content"]:
                yield TextDelta(delta["content"])
            for call in delta.get("tool_calls") or []:
                function = call.get("function") or {}
                yield ToolCallDelta(
                    index=call.get("index", 0),
                    id=call.get("id"),
                    name=function.get("name"),
                    arguments=function.get("arguments") or "",
                )
        usage = _usage(payload.get("usage")) if isinstance(payload, dict) else None
        if usage is not None:
            yield usage
    if not done:
        raise BackendError("server_error", "The model endpoint's stream ended before [DONE].")


def _usage(value: Any) -> Usage | None:
    if not isinstance(value, dict):
        return None
    prompt, completion = value.get("prompt_tokens"), value.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return Usage(prompt, completion)
