"""The sandbox: ``serve --backend echo`` with an in-memory store, on a background thread.

It is the real server (:mod:`openai_assistants.server`: Starlette on uvicorn, all 23
operations, OpenAI error shapes) with the offline echo backend, plus what tests and the demo
need: counted fault injection (:class:`~openai_assistants.sandbox.faults.Faults`) and a log of
the requests received, with keys removed.

Control endpoint (no key needed, loopback use): ``GET``/``POST /_sandbox/faults`` reads or
replaces the faults of a running server.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response

from ..server.app import create_app, with_request_log
from ..server.backends import Backend
from ..server.backends.echo import EchoBackend
from ..server.routes.http import error_payload, json_response
from ..server.runner import TRANSPORT_KEY, BackgroundServer, is_loopback
from ..server.runs import Engine
from ..server.store import SqliteStore
from .faults import FaultPlan, Faults

CONTROL_PATH = "/_sandbox/faults"
MALFORMED_BODY = b'{"id": "run_sandbox_malformed", "object": "thread.run", "status": '
REDACTED = "<redacted>"
REQUEST_LOG_LIMIT = 10_000  # a long-running sandbox must not grow without bound
STOP_GRACE_SECONDS = 1.0  # a request held by the latency fault is cut after this on stop


@dataclass(frozen=True)
class LoggedRequest:
    """One received API request, with the key's value removed from the headers."""

    method: str
    path: str  # as sent, still percent-encoded
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def json(self) -> Any:
        return json.loads(self.body)


class SandboxServer:
    """The echo server with faults and a request log; use :func:`start_sandbox`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        run_duration: float = 0.3,
        faults: Faults | None = None,
        log: Callable[[str], None] | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.api_key = api_key or None
        self.log = log
        self._faults = FaultPlan(faults)
        self._log_lock = threading.Lock()
        self._request_log: deque[LoggedRequest] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.store = SqliteStore()
        self.engine = Engine(self.store, backend or EchoBackend(run_duration))
        app: Any = create_app(
            self.engine,
            api_keys=[self.api_key] if self.api_key else None,
            truncate_stream=self._faults.take_truncation,
            loopback_hosts_only=self.api_key is None and is_loopback(host),
        )
        app = _FaultLayer(app, self)
        if log is not None:
            app = with_request_log(app, log)
        self._server = BackgroundServer(
            app,
            host,
            port,
            before_shutdown=self.engine.stop,
            graceful_seconds=STOP_GRACE_SECONDS,
            expose_transport=True,
        )
        self.base_url = self._server.base_url
        self.port = self._server.port

    def start(self) -> SandboxServer:
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (open streams end with their runs failed)."""
        self._server.stop()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def faults(self) -> Faults:
        """The faults still to come (counts go down as requests take them)."""
        return self._faults.current

    def set_faults(self, faults: Faults) -> None:
        self._faults.replace(faults)

    @property
    def request_log(self) -> list[LoggedRequest]:
        """The API requests received so far (the latest 10,000), oldest first (a copy)."""
        with self._log_lock:
            return list(self._request_log)

    def _record(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self._request_log.append(entry)


def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    api_key: str | None = None,
    run_duration: float = 0.3,
    faults: Faults | None = None,
    log: Callable[[str], None] | None = None,
    backend: Backend | None = None,
) -> SandboxServer:
    """Start a sandbox in the background; ``with start_sandbox() as s: s.base_url``.

    ``port=0`` takes any free port. ``api_key=None`` accepts any key (one is still required,
    as by the real API). ``log`` receives one line per request (method, path, status).
    ``backend``: where answers come from instead of the echo (e.g. a Chat Completions model).
    """
    return SandboxServer(
        host,
        port,
        api_key=api_key,
        run_duration=run_duration,
        faults=faults,
        log=log,
        backend=backend,
    ).start()


class _FaultLayer:
    """ASGI middleware: the control endpoint, the request log, then the faults."""

    def __init__(self, app: Any, sandbox: SandboxServer) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if scope["path"] == CONTROL_PATH:
            await self._control(scope["method"], body)(scope, receive, send)
            return
        sandbox = self.sandbox
        sandbox._record(
            LoggedRequest(
                scope["method"],
                scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
                tuple(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)),
                _redacted(scope["headers"]),
                body,
            )
        )
        faults = sandbox.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        fault = sandbox._faults.take()
        if fault == "drop_connection":
            transport = scope.get("state", {}).get(TRANSPORT_KEY)
            if transport is not None:
                transport.abort()
                while (await receive())["type"] != "http.disconnect":
                    pass
                return
        if fault is not None:
            await _fault_response(fault, faults)(scope, receive, send)
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _control(self, method: str, body: bytes) -> Response:
        sandbox = self.sandbox
        if method == "POST":
            try:
                sandbox.set_faults(Faults.from_dict(json.loads(body or b"{}")))
            except (ValueError, TypeError) as exc:
                return json_response(400, error_payload(f"Invalid faults: {exc}"))
        elif method != "GET":
            return json_response(404, error_payload(f"Invalid URL ({method} {CONTROL_PATH})"))
        return json_response(200, sandbox.faults.to_dict())


def _fault_response(fault: str, faults: Faults) -> Response:
    if fault == "rate_limit":
        seconds = faults.retry_after
        return json_response(
            429,
            error_payload(
                "Rate limit reached for requests (sandbox fault injection). "
                f"Please try again in {seconds:g}s.",
                "requests",
                code="rate_limit_exceeded",
            ),
            {
                "Retry-After": str(max(1, math.ceil(seconds))),
                "retry-after-ms": str(round(seconds * 1000)),
            },
        )
    if fault == "server_error":
        return json_response(
            faults.server_error_status,
            error_payload(
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
            ),
        )
    return Response(MALFORMED_BODY, 200, media_type="application/json")  # malformed_json


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _redacted(raw_headers: Any) -> tuple[tuple[str, str], ...]:
    out = []
    for raw_name, raw_value in raw_headers:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {REDACTED}".strip()
        elif name.lower() == "api-key":
            value = REDACTED
        out.append((name, value))
    return tuple(out)
