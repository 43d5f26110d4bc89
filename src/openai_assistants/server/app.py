"""The Assistants API v2 over HTTP: a Starlette application with all 23 operations.

The same application object is served by uvicorn (``openai-assistants serve``, the sandbox)
and mounted in-process by tests through httpx's ASGI transport. Every answer is JSON in the
OpenAI shapes; every refusal is OpenAI's error shape ``{"error": {"message", "type", "param",
"code"}}`` with the status the real API uses, never a traceback. Authentication comes first
(401), then the ``OpenAI-Beta: assistants=v2`` header the API requires, then the body.

Run bodies are checked with the node's own schema
(:func:`openai_assistants.body_schema.check_body`), so the server refuses exactly what the
Create Run node refuses to send; the other bodies are checked in
:mod:`~openai_assistants.server.validation`. Function tools are run; ``code_interpreter`` and
``file_search`` are refused with a 400 (this server has no hosted sandbox or vector stores).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..engine.request_parts import parse_body, validate_include
from ..errors import InvalidBodyError, InvalidSettingsError
from ..operations.body_schema import check_body
from . import validation as v
from .engine import Engine, Event, new_id
from .store import CursorNotFound, Page
from .validation import NotFoundError, RequestError

log = logging.getLogger("openai_assistants.server")

API_PREFIX = "/v1"
MAX_REQUEST_BYTES = 12 * 1024 * 1024  # above the node's 10 MiB body limit
MAX_LIST_LIMIT = 100
OPENAI_VERSION = "2020-10-01"
BETA_VALUE = "assistants=v2"
MISSING_BETA = (
    "You must provide the 'OpenAI-Beta' header to access the Assistants API. "
    "Please try again by setting the header 'OpenAI-Beta: assistants=v2'."
)
MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)
WRONG_KEY = "Incorrect API key provided."  # the key itself is never quoted back
RUN_ONLY_FIELDS = ("additional_messages", "additional_instructions")


def error_payload(
    message: str,
    error_type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """The OpenAI error shape ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    # pretty-printed as the real API answers (what a Raw Response table shows)
    data = (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return Response(data, status, headers=_headers(headers), media_type="application/json")


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "openai-version": OPENAI_VERSION,
        "x-request-id": f"req_{uuid.uuid4().hex}",
        **(extra or {}),
    }


Handler = Callable[["Api", Request], Awaitable[Response]]


class Api:
    """The endpoints, bound to one engine and one set of accepted keys."""

    def __init__(
        self,
        engine: Engine,
        *,
        api_keys: Sequence[str] | None = None,
        truncate_stream: Callable[[], bool] | None = None,
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.api_keys = [key.encode() for key in api_keys or () if key]
        self.truncate_stream = truncate_stream

    # checks every request passes

    def check_auth(self, request: Request) -> None:
        key = request.headers.get("api-key", "").strip()
        authorization = request.headers.get("authorization", "").strip()
        if authorization[:7].lower() == "bearer ":
            key = authorization[7:].strip() or key
        if not key:
            raise RequestError(MISSING_KEY, status=401)
        if self.api_keys and not any(
            hmac.compare_digest(key.encode(), expected) for expected in self.api_keys
        ):
            raise RequestError(WRONG_KEY, status=401, code="invalid_api_key")
        beta = request.headers.get("openai-beta")
        if beta is None or not beta.strip():
            raise RequestError(MISSING_BETA)
        if BETA_VALUE not in [value.strip() for value in beta.split(",")]:
            raise RequestError(
                f"Invalid 'OpenAI-Beta' header value '{beta.strip()}'. "
                "Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
                code="invalid_beta",
            )

    async def body(self, request: Request, *, allow_empty: bool = False) -> Any:
        """The request body as JSON, with the node's wording for syntax errors."""
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_REQUEST_BYTES:
            raise RequestError("The request body is too large.", status=413)
        raw = await request.body()
        if len(raw) > MAX_REQUEST_BYTES:
            raise RequestError("The request body is too large.", status=413)
        if allow_empty and not raw.strip():
            return None
        try:
            return parse_body(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise RequestError("The request body is not valid UTF-8 text.") from None
        except InvalidSettingsError as exc:
            raise RequestError(str(exc)) from None

    # assistants

    async def create_assistant(self, request: Request) -> Response:
        fields = v.assistant_fields(await self.body(request), creating=True)
        assistant = {
            "id": new_id("asst"),
            "object": "assistant",
            "created_at": self.engine.now(),
            "name": None,
            "description": None,
            "model": "",
            "instructions": None,
            "tools": [],
            "tool_resources": {},
            "metadata": {},
            "temperature": 1.0,
            "top_p": 1.0,
            "response_format": "auto",
            **fields,
        }
        self.store.insert("assistant", assistant)
        return json_response(200, assistant)

    async def list_assistants(self, request: Request) -> Response:
        return self.page_response(request, "assistant")

    async def get_assistant(self, request: Request) -> Response:
        return json_response(200, self.engine.assistant(request.path_params["assistant_id"]))

    async def modify_assistant(self, request: Request) -> Response:
        assistant = self.engine.assistant(request.path_params["assistant_id"])
        assistant.update(v.assistant_fields(await self.body(request), creating=False))
        self.store.update("assistant", assistant)
        return json_response(200, assistant)

    async def delete_assistant(self, request: Request) -> Response:
        assistant_id = request.path_params["assistant_id"]
        if not self.store.delete("assistant", assistant_id):
            raise NotFoundError("assistant", assistant_id)
        return json_response(200, _deleted(assistant_id, "assistant.deleted"))

    # threads

    async def create_thread(self, request: Request) -> Response:
        return json_response(200, self.new_thread(await self.body(request, allow_empty=True)))

    def new_thread(self, body: Any) -> dict[str, Any]:
        fields, messages = v.thread_fields(body)
        thread = {
            "id": new_id("thread"),
            "object": "thread",
            "created_at": self.engine.now(),
            "tool_resources": {},
            "metadata": {},
            **fields,
        }
        self.store.insert("thread", thread, thread_id=thread["id"])
        for role, content, attachments, metadata in messages:
            self.engine.add_message(thread["id"], role, content, attachments, metadata)
        return thread

    async def get_thread(self, request: Request) -> Response:
        return json_response(200, self.engine.thread(request.path_params["thread_id"]))

    async def modify_thread(self, request: Request) -> Response:
        thread = self.engine.thread(request.path_params["thread_id"])
        body = v.object_body(await self.body(request), frozenset({"tool_resources", "metadata"}))
        fields, _ = v.thread_fields(body)
        thread.update(fields)
        self.store.update("thread", thread)
        return json_response(200, thread)

    async def delete_thread(self, request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        self.engine.thread(thread_id)
        self.engine.delete_thread(thread_id)
        return json_response(200, _deleted(thread_id, "thread.deleted"))

    # messages

    async def create_message(self, request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        role, content, attachments, metadata = v.message_request(await self.body(request), None)
        self.engine.thread(thread_id)
        await self.engine.settle(thread_id)
        active = self.engine.active_run(thread_id)
        if active is not None:
            raise RequestError(
                f"Can't add messages to {thread_id} while a run {active['id']} is active.",
                param="thread_id",
            )
        message = self.engine.add_message(thread_id, role, content, attachments, metadata)
        return json_response(200, message)

    async def list_messages(self, request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        self.engine.thread(thread_id)
        run_id = request.query_params.get("run_id") or None
        return self.page_response(request, "message", thread_id=thread_id, run_id=run_id)

    async def get_message(self, request: Request) -> Response:
        return json_response(200, self.message(request))

    async def modify_message(self, request: Request) -> Response:
        message = self.message(request)
        metadata = v.metadata_only(await self.body(request))
        if metadata is not None:
            message["metadata"] = metadata
            self.store.update("message", message)
        return json_response(200, message)

    async def delete_message(self, request: Request) -> Response:
        message = self.message(request)
        self.store.delete("message", message["id"])
        return json_response(200, _deleted(message["id"], "thread.message.deleted"))

    def message(self, request: Request) -> dict[str, Any]:
        thread_id = request.path_params["thread_id"]
        message_id = request.path_params["message_id"]
        self.engine.thread(thread_id)
        message = self.store.get("message", message_id)
        if message is None or message["thread_id"] != thread_id:
            raise NotFoundError("message", message_id)
        return message

    # runs

    async def create_run(self, request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        _check_include(request)
        body = await self.body(request)
        if "thread_id" in body:
            raise RequestError(
                "Unrecognized request argument supplied: thread_id", code="unknown_parameter"
            )
        _check_run_body(body)
        await self.engine.settle(thread_id)
        run, queue = self.engine.create_run(thread_id, body, stream=body.get("stream") is True)
        return await self.run_response(run, queue)

    async def create_thread_and_run(self, request: Request) -> Response:
        body = await self.body(request)
        run_body = {k: val for k, val in body.items() if k not in ("thread", "tool_resources")}
        for name in RUN_ONLY_FIELDS:
            if name in run_body:
                raise RequestError(
                    f"Unrecognized request argument supplied: {name}", code="unknown_parameter"
                )
        _check_run_body(run_body)
        thread_body = body.get("thread")
        v.thread_fields(thread_body)  # refused before anything is created
        self.engine.assistant(run_body["assistant_id"])
        thread = self.new_thread(thread_body)
        if body.get("tool_resources") is not None:
            thread["tool_resources"] = v.optional_object(body, "tool_resources") or {}
            self.store.update("thread", thread)
        run, queue = self.engine.create_run(
            thread["id"], run_body, stream=run_body.get("stream") is True, new_thread=thread
        )
        return await self.run_response(run, queue)

    async def list_runs(self, request: Request) -> Response:
        thread_id = request.path_params["thread_id"]
        self.engine.thread(thread_id)
        page = self.page(request, "run", thread_id=thread_id)
        items = [self.engine.refresh(run) for run in page.items]
        return json_response(200, _list(Page(items, page.has_more)))

    async def get_run(self, request: Request) -> Response:
        params = request.path_params
        return json_response(200, self.engine.run(params["thread_id"], params["run_id"]))

    async def modify_run(self, request: Request) -> Response:
        params = request.path_params
        run = self.engine.run(params["thread_id"], params["run_id"])
        metadata = v.metadata_only(await self.body(request))
        if metadata is not None:
            run = self.store.get("run", run["id"]) or run
            run["metadata"] = metadata
            self.store.update("run", run)
        return json_response(200, run)

    async def cancel_run(self, request: Request) -> Response:
        params = request.path_params
        return json_response(200, self.engine.cancel_run(params["thread_id"], params["run_id"]))

    async def submit_tool_outputs(self, request: Request) -> Response:
        params = request.path_params
        outputs, stream = v.tool_outputs(await self.body(request))
        run, queue = self.engine.submit_tool_outputs(
            params["thread_id"], params["run_id"], outputs, stream=stream
        )
        return await self.run_response(run, queue)

    # run steps

    async def list_run_steps(self, request: Request) -> Response:
        params = request.path_params
        _check_include(request)
        run = self.engine.run(params["thread_id"], params["run_id"])
        return self.page_response(request, "step", run_id=run["id"])

    async def get_run_step(self, request: Request) -> Response:
        params = request.path_params
        _check_include(request)
        run = self.engine.run(params["thread_id"], params["run_id"])
        step = self.store.get("step", params["step_id"])
        if step is None or step["run_id"] != run["id"]:
            raise NotFoundError("run step", params["step_id"])
        return json_response(200, step)

    # answers

    async def run_response(
        self, run: dict[str, Any], queue: asyncio.Queue[Event | None] | None
    ) -> Response:
        if queue is None:
            await self.engine.finish_if_instant(run["id"])
            return json_response(200, run)  # the run as created (queued), as the API answers
        truncate = self.truncate_stream() if self.truncate_stream else False
        return StreamingResponse(
            self.events(run["id"], queue, truncate),
            media_type="text/event-stream",
            headers=_headers({"Cache-Control": "no-cache"}),
        )

    async def events(
        self, run_id: str, queue: asyncio.Queue[Event | None], truncate: bool
    ) -> AsyncIterator[bytes]:
        """Server-sent events as the run changes, ending ``event: done`` / ``data: [DONE]``."""
        sent = 0
        try:
            while True:
                items = [await queue.get()]
                while not queue.empty() and items[-1] is not None:  # what is ready: one write
                    items.append(queue.get_nowait())
                chunk = []
                for item in items:
                    if item is None:
                        chunk.append("event: done\ndata: [DONE]\n\n")
                        break
                    chunk.append(f"event: {item[0]}\ndata: {item[1]}\n\n")
                    sent += 1
                    if truncate and sent >= 3:  # fault injection: a stream cut short
                        break
                yield "".join(chunk).encode()
                if items[-1] is None or (truncate and sent >= 3):
                    return
        finally:
            self.engine.unlisten(run_id, queue)

    def page(
        self,
        request: Request,
        kind: str,
        *,
        thread_id: str | None = None,
        run_id: str | None = None,
    ) -> Page:
        """``limit`` (1-100, default 20), ``order`` (default desc), ``after``, ``before``."""
        query = request.query_params
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise RequestError(
                f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.",
                param="order",
                code="invalid_value",
            )
        try:
            limit = int(query.get("limit", "20"))
        except ValueError:
            raise RequestError("Invalid 'limit': expected an integer.", param="limit") from None
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise RequestError(
                f"Invalid 'limit': expected a value between 1 and {MAX_LIST_LIMIT}, got {limit}.",
                param="limit",
                code="invalid_value",
            )
        try:
            return self.store.page(
                kind,
                thread_id=thread_id,
                run_id=run_id,
                limit=limit,
                order=order,
                after=query.get("after") or None,
                before=query.get("before") or None,
            )
        except CursorNotFound as exc:
            name = "after" if query.get("after") == str(exc.args[0]) else "before"
            raise RequestError(
                f"Invalid '{name}': no object with id '{exc.args[0]}'.", param=name
            ) from None

    def page_response(self, request: Request, kind: str, **where: str | None) -> Response:
        return json_response(200, _list(self.page(request, kind, **where)))


def _list(page: Page) -> dict[str, Any]:
    return {
        "object": "list",
        "data": page.items,
        "first_id": page.items[0]["id"] if page.items else None,
        "last_id": page.items[-1]["id"] if page.items else None,
        "has_more": page.has_more,
    }


def _deleted(object_id: str, kind: str) -> dict[str, Any]:
    return {"id": object_id, "object": kind, "deleted": True}


def _check_include(request: Request) -> None:
    try:
        validate_include(request.query_params.getlist("include[]"))
    except InvalidSettingsError as exc:
        raise RequestError(str(exc), param="include[]", code="invalid_value") from None


def _check_run_body(body: dict[str, Any]) -> None:
    """The node's schema (every violation listed), then what this server cannot run."""
    problems = check_body(body)
    violations = list(problems.violations) + list(problems.unknown_fields)
    assistant_id = body.get("assistant_id")
    if isinstance(assistant_id, str) and not assistant_id.strip():
        violations.insert(0, "assistant_id: must not be empty (e.g. asst_abc123)")
    if violations:
        error = InvalidBodyError(violations)
        raise RequestError(str(error), param=_first_param(violations))
    if body.get("tools") is not None:
        v.tools(body["tools"])
    for i, message in enumerate(body.get("additional_messages") or []):
        v.message_request(message, f"additional_messages[{i}]")


def _first_param(violations: list[str]) -> str | None:
    """``additional_messages[0].role: ...`` -> ``additional_messages[0].role``."""
    head = violations[0].split(":", 1)[0].strip() if violations else ""
    return head if head and head != "$" and " " not in head else None


def _endpoint(api: Api, method: Callable[[Request], Awaitable[Response]]) -> Any:
    """Authentication first, then the operation; refusals in OpenAI's error shape."""

    async def endpoint(request: Request) -> Response:
        started = time.monotonic()
        try:
            api.check_auth(request)
            response = await method(request)
        except RequestError as exc:
            return json_response(
                exc.status, error_payload(exc.message, exc.error_type, exc.param, exc.code)
            )
        except ClientDisconnect:  # the client left mid-request: nobody to answer, nothing done
            return Response(status_code=499)
        except Exception:
            log.exception("%s %s failed inside the server", request.method, request.url.path)
            return json_response(
                500,
                error_payload(
                    "The server had an error while processing your request.", "server_error"
                ),
            )
        response.headers["openai-processing-ms"] = str(round((time.monotonic() - started) * 1000))
        return response

    return endpoint


OPERATIONS: tuple[tuple[str, str, str], ...] = (
    ("GET", "/assistants", "list_assistants"),
    ("POST", "/assistants", "create_assistant"),
    ("GET", "/assistants/{assistant_id}", "get_assistant"),
    ("POST", "/assistants/{assistant_id}", "modify_assistant"),
    ("DELETE", "/assistants/{assistant_id}", "delete_assistant"),
    ("POST", "/threads", "create_thread"),
    ("POST", "/threads/runs", "create_thread_and_run"),
    ("GET", "/threads/{thread_id}", "get_thread"),
    ("POST", "/threads/{thread_id}", "modify_thread"),
    ("DELETE", "/threads/{thread_id}", "delete_thread"),
    ("GET", "/threads/{thread_id}/messages", "list_messages"),
    ("POST", "/threads/{thread_id}/messages", "create_message"),
    ("GET", "/threads/{thread_id}/messages/{message_id}", "get_message"),
    ("POST", "/threads/{thread_id}/messages/{message_id}", "modify_message"),
    ("DELETE", "/threads/{thread_id}/messages/{message_id}", "delete_message"),
    ("GET", "/threads/{thread_id}/runs", "list_runs"),
    ("POST", "/threads/{thread_id}/runs", "create_run"),
    ("GET", "/threads/{thread_id}/runs/{run_id}", "get_run"),
    ("POST", "/threads/{thread_id}/runs/{run_id}", "modify_run"),
    ("POST", "/threads/{thread_id}/runs/{run_id}/cancel", "cancel_run"),
    ("GET", "/threads/{thread_id}/runs/{run_id}/steps", "list_run_steps"),
    ("GET", "/threads/{thread_id}/runs/{run_id}/steps/{step_id}", "get_run_step"),
    ("POST", "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", "submit_tool_outputs"),
)


def create_app(
    engine: Engine,
    *,
    api_keys: Sequence[str] | None = None,
    truncate_stream: Callable[[], bool] | None = None,
) -> Starlette:
    """The ASGI application; its lifespan recovers cut-off runs and stops runs cleanly.

    ``api_keys``: the keys clients must present (``Authorization: Bearer`` or ``api-key``);
    empty: any non-empty key. ``truncate_stream``: fault injection for the sandbox.
    """
    api = Api(engine, api_keys=api_keys, truncate_stream=truncate_stream)
    routes = [
        Route(API_PREFIX + path, _endpoint(api, getattr(api, name)), methods=[method], name=name)
        for method, path, name in OPERATIONS
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        recovered = engine.recover()
        if recovered:
            log.warning("%d run(s) cut off by the last stop were marked failed", len(recovered))
        try:
            yield
        finally:
            await engine.stop()
            engine.store.close()

    async def invalid_url(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return json_response(
            404 if status in (404, 405) else status,
            error_payload(f"Invalid URL ({request.method} {request.url.path})"),
        )

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: invalid_url, 405: invalid_url},
    )
    app.state.api = api
    return app


def with_request_log(app: Any, log_line: Callable[[str], None]) -> Any:
    """Wrap an ASGI app so every HTTP request is logged as ``METHOD /path STATUS``.

    The path is logged without its query; headers (and so keys) never are.
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
            log_line(f"{scope['method']} {scope['path']} {status[0] if status else 'dropped'}")

    return logged
