"""The Assistants API v2 application: a Starlette app with every operation of :mod:`.routes`.

The same application object is served by uvicorn (``openai-assistants serve``, the sandbox)
and mounted in-process by tests through httpx's ASGI transport. Each request passes
:mod:`.access` first, then its operation; every refusal is OpenAI's error shape with the
status the real API uses, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .access import Access
from .redaction import RedactingFilter, Redactor
from .retrieval.library import Library
from .routes import OPERATIONS
from .routes.http import API_PREFIX, ApiContext, Handler, error_payload, json_response
from .runs import Engine
from .store import StorageError, StoreUnavailable, UnstorableText
from .validation import RequestError

log = logging.getLogger("openai_assistants.server")


def _endpoint(api: ApiContext, access: Access, handler: Handler, redactor: Redactor) -> Any:
    """Authentication first, then the operation; refusals in OpenAI's error shape; every
    known key cut out of the answer."""

    async def endpoint(request: Request) -> Response:
        started = time.monotonic()
        try:
            access.check(request)
            response = await handler(api, request)
        except RequestError as exc:
            response = json_response(
                exc.status, error_payload(exc.message, exc.error_type, exc.param, exc.code)
            )
            return _redacted(response, redactor)
        except StoreUnavailable as exc:  # a shared database is restarting or unreachable
            log.warning("%s %s: %s", request.method, printable(request.url.path), exc)
            response = json_response(
                503,
                error_payload(str(exc), "server_error", code="storage_unavailable"),
                headers={"Retry-After": "1"},
            )
            return _redacted(response, redactor)
        except UnstorableText as exc:  # a NUL character PostgreSQL refuses: the request's fault
            response = json_response(400, error_payload(str(exc), param=exc.param))
            return _redacted(response, redactor)
        except ClientDisconnect:  # the client left mid-request: nobody to answer, nothing done
            return Response(status_code=499)
        except StorageError as exc:  # disk full, locked, read-only: refused in OpenAI's shape
            log.warning("%s %s: %s", request.method, printable(request.url.path), exc)
            response = json_response(
                503,
                error_payload(
                    f"The server could not store this request ({exc}). Try again later.",
                    "server_error",
                    code="storage_unavailable",
                ),
            )
            return _redacted(response, redactor)
        except Exception:
            log.exception(
                "%s %s failed inside the server", request.method, printable(request.url.path)
            )
            return json_response(
                500,
                error_payload(
                    "The server had an error while processing your request.", "server_error"
                ),
            )
        response.headers["openai-processing-ms"] = str(round((time.monotonic() - started) * 1000))
        return _redacted(response, redactor)

    return endpoint


def _redacted(response: Response, redactor: Redactor) -> Response:
    """The answer without any known key (a stream: each chunk, which holds whole events)."""
    if not redactor:
        return response
    if isinstance(response, StreamingResponse):
        chunks = response.body_iterator

        async def redacted_chunks() -> AsyncIterator[bytes]:
            async for chunk in chunks:
                data = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
                yield redactor.data(data)

        response.body_iterator = redacted_chunks()
        return response
    body = redactor.data(bytes(response.body))
    if body != response.body:
        response.body = body
        response.headers["content-length"] = str(len(body))
    return response


def create_app(
    engine: Engine,
    *,
    api_keys: Sequence[str] | None = None,
    truncate_stream: Callable[[], bool] | None = None,
    loopback_hosts_only: bool = False,
    library: Library | None = None,
) -> Starlette:
    """The ASGI application; its lifespan recovers cut-off runs and stops runs cleanly.

    ``api_keys``: the keys clients must present (``Authorization: Bearer`` or ``api-key``);
    empty: any non-empty key. ``truncate_stream``: fault injection for the sandbox.
    ``loopback_hosts_only``: refuse requests whose ``Host`` does not name loopback (a
    loopback server without keys: DNS-rebinding protection, :mod:`.access`).
    ``library``: files and vector stores (default: in memory, beside the engine's store).
    """
    if library is None:
        library = Library.beside(engine.store)
    engine.use_library(library)
    api = ApiContext(engine, truncate_stream=truncate_stream, library=library)
    access = Access(api_keys, loopback_hosts_only=loopback_hosts_only)
    redactor = Redactor(
        [
            *(api_keys or ()),
            *getattr(engine.backend, "secrets", ()),
            *getattr(engine.store, "secrets", ()),  # a database password
        ]
    )
    log_filter = RedactingFilter(redactor)
    routes = [
        Route(
            API_PREFIX + op.path,
            _endpoint(api, access, op.handler, redactor),
            methods=[op.method],
            name=op.name,
        )
        for op in OPERATIONS
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.addFilter(log_filter)
        try:
            recovered = engine.recover()
            if recovered:
                log.warning("%d run(s) cut off by the last stop were marked failed", len(recovered))
            library.resume()
            engine.start_background()
            yield
        finally:
            try:
                await library.stop()
                await engine.stop()
                engine.store.close()
            finally:
                log.removeFilter(log_filter)

    async def invalid_url(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        response = json_response(
            404 if status in (404, 405) else status,
            error_payload(f"Invalid URL ({request.method} {request.url.path})"),
        )
        return _redacted(response, redactor)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: invalid_url, 405: invalid_url},
    )
    app.state.api = api
    app.state.redactor = redactor
    return app


def with_request_log(app: Any, log_line: Callable[[str], None]) -> Any:
    """Wrap an ASGI app so every HTTP request is logged as ``METHOD /path STATUS``.

    The path is logged without its query, control characters escaped (a path cannot forge
    a log line or colour a terminal); headers (and so keys) never are.
    """

    async def logged(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        status: list[int] = []

        async def send_and_note(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await app(scope, receive, send_and_note)
        finally:
            outcome = status[0] if status else "dropped"
            log_line(f"{printable(scope['method'])} {printable(scope['path'])} {outcome}")

    return logged


_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]}
_CONTROLS[ord("\\")] = "\\\\"
_CONTROLS.update({c: f"\\u{c:04x}" for c in (0x2028, 0x2029)})  # line breaks to some viewers


def printable(text: str) -> str:
    """``text`` with control characters (and the backslash) escaped as ``\\xNN``."""
    return text.translate(_CONTROLS)
