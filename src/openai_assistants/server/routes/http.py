"""The HTTP pieces every route shares: OpenAI's error shape, JSON answers, request bodies,
list queries and list answers, and the context an operation works in.

Every answer is JSON in the OpenAI shapes; every refusal is OpenAI's error shape
``{"error": {"message", "type", "param", "code"}}`` with the status the real API uses.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...engine.request_parts import parse_body
from ...errors import InvalidSettingsError
from ..body_check import check_request_body
from ..retrieval.library import Library
from ..runs import Engine
from ..store import CursorNotFound, Page, Store
from ..validation import RequestError

API_PREFIX = "/v1"
MAX_REQUEST_BYTES = 12 * 1024 * 1024  # above the node's 10 MiB body limit
MAX_LIST_LIMIT = 100
MAX_LIST_BYTES = 8 * 1024 * 1024  # a list answer of 100 large messages stops early
OFFLOAD_BYTES = 64 * 1024  # bodies from this size are parsed and checked on a worker thread
HEAVY_BODIES_AT_ONCE = 2  # large bodies parsed at the same time (each takes ~10x its size)
OPENAI_VERSION = "2020-10-01"


@dataclass
class ApiContext:
    """What every operation works with: the engine (and its store), the stream fault hook."""

    engine: Engine
    truncate_stream: Callable[[], bool] | None = None
    library: Library | None = None  # files and vector stores

    @property
    def store(self) -> Store:
        return self.engine.store


Handler = Callable[[ApiContext, Request], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    """One API operation: method, path below ``/v1``, and the handler that serves it."""

    method: str
    path: str
    handler: Handler

    @property
    def name(self) -> str:
        return self.handler.__name__


def error_payload(
    message: str,
    error_type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """The OpenAI error shape ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer, pretty-printed as the real API answers (what a Raw Response table shows)."""
    data = (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return Response(data, status, headers=response_headers(headers), media_type="application/json")


def response_headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The headers of every answer: ``openai-version`` and a fresh ``x-request-id``."""
    return {
        "openai-version": OPENAI_VERSION,
        "x-request-id": f"req_{uuid.uuid4().hex}",
        **(extra or {}),
    }


async def read_body(
    request: Request,
    schema: str,
    *,
    allow_empty: bool = False,
    prepare: Callable[[Any], Any] | None = None,
) -> Any:
    """The request body as JSON (the node's wording for syntax errors), checked against the
    operation's schema ``schema`` (:mod:`..body_check`), then given to ``prepare`` (the
    operation's own reading of it) when given; ``allow_empty``: no body is None.

    Memory stays bounded whatever the framing: the body is counted while it arrives (a
    chunked body too) and refused with a 413 at the limit, not read whole first. A large body
    is parsed, checked and prepared on a worker thread, a few at a time, so it does not stall
    the other clients.
    """
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_REQUEST_BYTES:
        raise RequestError("The request body is too large.", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise RequestError("The request body is too large.", status=413)
        chunks.append(chunk)
    raw = b"".join(chunks)
    del chunks
    if allow_empty and not raw.strip():
        return None if prepare is None else prepare(None)

    def parse_and_check() -> Any:
        try:
            body = parse_body(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise RequestError("The request body is not valid UTF-8 text.") from None
        except InvalidSettingsError as exc:
            raise RequestError(str(exc)) from None
        check_request_body(body, schema)
        return body if prepare is None else prepare(body)

    if size < OFFLOAD_BYTES:
        return parse_and_check()
    async with heavy_bodies():
        return await asyncio.to_thread(parse_and_check)


_heavy: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


def heavy_bodies() -> asyncio.Semaphore:
    """The running loop's limit on large bodies handled at once."""
    loop = asyncio.get_running_loop()
    semaphore = _heavy.get(loop)
    if semaphore is None:
        for old in [old for old in _heavy if old.is_closed()]:
            del _heavy[old]
        semaphore = _heavy[loop] = asyncio.Semaphore(HEAVY_BODIES_AT_ONCE)
    return semaphore


def order_and_limit(
    request: Request, *, max_limit: int = MAX_LIST_LIMIT, default_limit: int = 20
) -> tuple[str, int]:
    """A list's ``order`` (default desc) and ``limit`` (1 to ``max_limit``) from the query,
    with the API's errors for other values."""
    query = request.query_params
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise RequestError(
            f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
            param="order",
            code="invalid_value",
        )
    try:
        limit = int(query.get("limit", str(default_limit)))
    except ValueError:
        raise RequestError("Invalid 'limit': expected an integer.", param="limit") from None
    if not 1 <= limit <= max_limit:
        raise RequestError(
            f"Invalid 'limit': expected a value between 1 and {max_limit}, got {limit}.",
            param="limit",
            code="invalid_value",
        )
    return order, limit


def page(
    store: Store,
    request: Request,
    kind: str,
    *,
    thread_id: str | None = None,
    run_id: str | None = None,
) -> Page:
    """One page of a list: ``limit`` (1-100, default 20), ``order`` (default desc),
    ``after``, ``before`` from the query."""
    query = request.query_params
    order, limit = order_and_limit(request)
    try:
        return store.page(
            kind,
            thread_id=thread_id,
            run_id=run_id,
            limit=limit,
            order=order,
            after=query.get("after") or None,
            before=query.get("before") or None,
            max_bytes=MAX_LIST_BYTES,
        )
    except CursorNotFound as exc:
        name = "after" if query.get("after") == str(exc.args[0]) else "before"
        raise RequestError(
            f"Invalid '{name}': no object with id '{exc.args[0]}'.", param=name
        ) from None


def list_payload(page: Page) -> dict[str, Any]:
    """A page as the API's list object."""
    return {
        "object": "list",
        "data": page.items,
        "first_id": page.items[0]["id"] if page.items else None,
        "last_id": page.items[-1]["id"] if page.items else None,
        "has_more": page.has_more,
    }


async def page_response(
    api: ApiContext, request: Request, kind: str, **where: str | None
) -> Response:
    """The list answer of a list operation, read and encoded on a worker thread."""
    return await json_response_from_worker(
        lambda: list_payload(page(api.store, request, kind, **where))
    )


async def json_response_from_worker(read: Callable[[], Any], status: int = 200) -> Response:
    """The JSON answer of what ``read`` returns, read (from the store) and encoded on a worker
    thread: a message of many parts, or a page of long messages, is megabytes of JSON, which
    the store decodes and the pretty printer (pure Python) encodes for up to a second; other
    clients go on meanwhile. ``read`` must only read: it runs beside the event loop."""
    return await asyncio.to_thread(lambda: json_response(status, read()))


def deleted_payload(object_id: str, kind: str) -> dict[str, Any]:
    """The answer of a delete operation."""
    return {"id": object_id, "object": kind, "deleted": True}
