"""The sandbox's HTTP side: authentication, routing, JSON and event-stream answers, faults.

Standard library only (``http.server.ThreadingHTTPServer``): one thread per connection, state
shared through :class:`~openai_assistants.sandbox.state.SandboxState` and its lock. Run bodies
are checked by the node's own rules (``create_run.parse_body`` / ``validate_body`` /
``validate_include``), so the sandbox rejects exactly what the node would refuse to send.

Control endpoint (no key needed, loopback use): ``GET``/``POST /_sandbox/faults`` reads or
replaces the :class:`~openai_assistants.sandbox.faults.Faults` of a running server.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math
import re
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..create_run import parse_body, validate_body, validate_include
from ..errors import InvalidBodyError, InvalidSettingsError
from .faults import FaultPlan, Faults
from .state import RequestError, RunTimeline, SandboxState

API_PREFIX = "/v1"
CONTROL_PATH = "/_sandbox/faults"
MAX_REQUEST_BYTES = 12 * 1024 * 1024  # above the node's 10 MiB body limit
OPENAI_VERSION = "2020-10-01"
BETA_VALUE = "assistants=v2"
MISSING_BETA = (
    "You must provide the 'OpenAI-Beta' header to access the Assistants API. "
    "Please try again by setting the header 'OpenAI-Beta: assistants=v2'."
)
MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key "
    "from https://platform.openai.com/account/api-keys."
)
WRONG_KEY = (  # the real API quotes a masked key; the sandbox quotes none of it
    "Incorrect API key provided. You can find your API key at "
    "https://platform.openai.com/account/api-keys."
)
MALFORMED_BODY = b'{"id": "run_sandbox_malformed", "object": "thread.run", "status": '
REDACTED = "<redacted>"
REQUEST_LOG_LIMIT = 10_000  # a long-running sandbox must not grow without bound
SHUTDOWN_POLL_SECONDS = 0.02  # how soon stop() returns; serve_forever's default is 0.5 s


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


@dataclass
class Reply:
    """A JSON answer: status, payload, extra headers."""

    status: int
    payload: Any
    headers: tuple[tuple[str, str], ...] = ()


def error_payload(
    message: str,
    error_type: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """The OpenAI error shape ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: SandboxServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-request is normal here (faults, cancels); say nothing."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SandboxServer:
    """An Assistants-compatible server on a background thread; use :func:`start_sandbox`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        run_duration: float = 0.3,
        faults: Faults | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.state = SandboxState(run_duration)
        self.api_key = api_key or None
        self.log = log
        self._faults = FaultPlan(faults)
        self._log_lock = threading.Lock()
        self._request_log: deque[LoggedRequest] = deque(maxlen=REQUEST_LOG_LIMIT)
        server_class = _HttpServer
        if _is_ipv6(host):
            server_class = type("_HttpServer6", (_HttpServer,), {"address_family": socket.AF_INET6})
        self._httpd = server_class((host, port), _Handler)
        self._httpd.sandbox = self
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._httpd.server_address[:2]
        shown = f"[{bound_host}]" if _is_ipv6(str(bound_host)) else bound_host
        self.base_url = f"http://{shown}:{bound_port}{API_PREFIX}"
        self.port = int(bound_port)

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="openai-assistants-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (open streams end when their thread notices)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

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
) -> SandboxServer:
    """Start a sandbox in the background; ``with start_sandbox() as s: s.base_url``.

    ``port=0`` takes any free port. ``api_key=None`` accepts any key (one is still required,
    as by the real API). ``log`` receives one line per request (method, path, status).
    """
    return SandboxServer(
        host, port, api_key=api_key, run_duration=run_duration, faults=faults, log=log
    ).start()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, chunked event streams
    server_version = "openai-assistants-sandbox"
    timeout = 60  # idle keep-alive connections do not hold a thread forever
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls
    server: _HttpServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet by default: http.server would write every request to stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log = self.server.sandbox.log
        if log is not None:
            log(f"{self.command} {urlsplit(self.path).path} {code}")

    # dispatch

    def _handle(self) -> None:
        sandbox = self.server.sandbox
        parts = urlsplit(self.path)
        try:
            body = self._read_body()
        except RequestError as exc:
            self._send_error(exc)
            self.close_connection = True
            return
        if parts.path == CONTROL_PATH:
            self._send_reply(self._control(body))
            return
        query = tuple(parse_qsl(parts.query, keep_blank_values=True))
        sandbox._record(
            LoggedRequest(self.command, parts.path, query, _redacted(self.headers.items()), body)
        )
        faults = sandbox.faults
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        fault = sandbox._faults.take()
        if fault == "drop_connection":
            self._drop()
            return
        if fault is not None:
            self._send_fault(fault, faults)
            return
        try:
            self._check_auth()
            reply = self._route(parts.path, query, body)
        except RequestError as exc:
            self._send_error(exc)
            return
        if reply is not None:
            self._send_reply(reply)

    def _route(self, path: str, query: tuple[tuple[str, str], ...], body: bytes) -> Reply | None:
        """Call the matching endpoint; ``None`` when it already wrote an event stream."""
        state = self.server.sandbox.state
        rest = path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else None
        for method, pattern, endpoint in _ROUTES:
            match = pattern.fullmatch(rest or "")
            if rest is not None and method == self.command and match:
                ids = [unquote(group) for group in match.groups()]
                return endpoint(self, state, ids, dict(query), query, body)
        raise RequestError(f"Invalid URL ({self.command} {path})", status=404)

    def _check_auth(self) -> None:
        key = self.headers.get("api-key", "").strip()
        authorization = self.headers.get("Authorization", "").strip()
        if authorization[:7].lower() == "bearer ":
            key = authorization[7:].strip() or key
        if not key:
            raise RequestError(MISSING_KEY, status=401)
        expected = self.server.sandbox.api_key
        if expected is not None and not hmac.compare_digest(key.encode(), expected.encode()):
            raise RequestError(WRONG_KEY, status=401, code="invalid_api_key")
        beta = self.headers.get("OpenAI-Beta")
        if beta is None or not beta.strip():
            raise RequestError(MISSING_BETA)
        if BETA_VALUE not in [value.strip() for value in beta.split(",")]:
            raise RequestError(
                f"Invalid 'OpenAI-Beta' header value '{beta.strip()}'. "
                "Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
                code="invalid_beta",
            )

    def _control(self, body: bytes) -> Reply:
        sandbox = self.server.sandbox
        if self.command == "POST":
            try:
                sandbox.set_faults(Faults.from_dict(json.loads(body or b"{}")))
            except (ValueError, TypeError) as exc:
                return Reply(400, error_payload(f"Invalid faults: {exc}"))
        elif self.command != "GET":
            return Reply(404, error_payload(f"Invalid URL ({self.command} {CONTROL_PATH})"))
        return Reply(200, sandbox.faults.to_dict())

    # endpoints: (handler, state, path ids, query dict, query pairs, body) -> Reply | None

    def _create_assistant(self, state: SandboxState, ids: list[str], *args: Any) -> Reply:
        return Reply(200, state.create_assistant(_json_body(args[-1])))

    def _get_assistant(self, state: SandboxState, ids: list[str], *args: Any) -> Reply:
        return Reply(200, state.get_assistant(ids[0]))

    def _create_thread(self, state: SandboxState, ids: list[str], *args: Any) -> Reply:
        return Reply(200, state.create_thread(_json_body(args[-1], allow_empty=True)))

    def _get_thread(self, state: SandboxState, ids: list[str], *args: Any) -> Reply:
        return Reply(200, state.get_thread(ids[0]))

    def _create_message(self, state: SandboxState, ids: list[str], *args: Any) -> Reply:
        return Reply(200, state.create_message(ids[0], _json_body(args[-1])))

    def _list_messages(self, state: SandboxState, ids: list[str], query: dict, *args: Any) -> Reply:
        return Reply(200, state.list_messages(ids[0], query))

    def _get_message(self, state: SandboxState, ids: list[str], *args: Any) -> Reply:
        return Reply(200, state.get_message(ids[0], ids[1]))

    def _list_runs(self, state: SandboxState, ids: list[str], query: dict, *args: Any) -> Reply:
        return Reply(200, state.list_runs(ids[0], query))

    def _get_run(self, state: SandboxState, ids: list[str], *args: Any) -> Reply:
        return Reply(200, state.get_run(ids[0], ids[1]))

    def _cancel_run(self, state: SandboxState, ids: list[str], *args: Any) -> Reply:
        return Reply(200, state.cancel_run(ids[0], ids[1]))

    def _create_run(
        self,
        state: SandboxState,
        ids: list[str],
        query: dict,
        pairs: tuple[tuple[str, str], ...],
        body: bytes,
    ) -> Reply | None:
        """Validated with the node's own rules, then created; streamed when asked to."""
        try:
            validate_include([value for name, value in pairs if name == "include[]"])
        except InvalidSettingsError as exc:
            raise RequestError(str(exc), param="include[]", code="invalid_value") from None
        try:
            run_body = parse_body(_decode(body))
            if "thread_id" in run_body:
                raise RequestError(
                    "Unrecognized request argument supplied: thread_id", code="unknown_parameter"
                )
            validate_body(run_body, allow_unknown_fields=False)
        except InvalidBodyError as exc:
            raise RequestError(str(exc), param=_first_param(exc.violations)) from None
        except InvalidSettingsError as exc:
            raise RequestError(str(exc)) from None
        run = state.create_run(ids[0], run_body)
        if run_body.get("stream") is True:
            self._stream_run(state, run)
            return None
        return Reply(200, run)

    # writing answers

    def _send_reply(self, reply: Reply) -> None:
        data = (json.dumps(reply.payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        self._send_raw(reply.status, data, reply.headers)

    def _send_raw(
        self, status: int, data: bytes, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self._common_headers()
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _common_headers(self) -> None:
        self.send_header("openai-version", OPENAI_VERSION)
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")

    def _send_error(self, exc: RequestError) -> None:
        payload = error_payload(exc.message, exc.error_type, exc.param, exc.code)
        self._send_reply(Reply(exc.status, payload))

    def _send_fault(self, fault: str, faults: Faults) -> None:
        if fault == "rate_limit":
            seconds = faults.retry_after
            self._send_reply(
                Reply(
                    429,
                    error_payload(
                        "Rate limit reached for requests (sandbox fault injection). "
                        f"Please try again in {seconds:g}s.",
                        "requests",
                        code="rate_limit_exceeded",
                    ),
                    (
                        ("Retry-After", str(max(1, math.ceil(seconds)))),
                        ("retry-after-ms", str(round(seconds * 1000))),
                    ),
                )
            )
        elif fault == "server_error":
            self._send_reply(
                Reply(
                    faults.server_error_status,
                    error_payload(
                        "The server had an error while processing your request. Sorry about that!",
                        "server_error",
                    ),
                )
            )
        else:  # malformed_json
            self._send_raw(200, MALFORMED_BODY)

    def _drop(self) -> None:
        """Close the socket without a byte of answer, as a crashed proxy would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _stream_run(self, state: SandboxState, run: dict[str, Any]) -> None:
        """Server-sent events that follow the run's timeline, ending ``event: done``."""
        truncate = self.server.sandbox._faults.take_truncation()
        thread_id, run_id = run["thread_id"], run["id"]
        timeline = state.run_timeline(run_id)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self._common_headers()
        self.end_headers()
        try:
            self._event("thread.run.created", run)
            self._event("thread.run.queued", run)
            _sleep_until(timeline.started)
            started = state.in_progress_snapshots(run_id)
            if started is not None:  # None: cancelled while queued
                self._event("thread.run.in_progress", started[0])
                self._event("thread.message.created", started[1])
                self._event("thread.message.in_progress", started[1])
            if truncate:
                self._chunk(b"")  # a clean end of the body, but no [DONE]
                return
            if started is not None:
                self._deltas(state, thread_id, run_id, timeline)
                _sleep_until(timeline.completed)
                message = state.get_message(thread_id, started[1]["id"])
                if message["status"] == "completed":
                    self._event("thread.message.completed", message)
            run = state.get_run(thread_id, run_id)
            self._event(f"thread.run.{run['status']}", run)
            self._raw_event("done", "[DONE]")
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; the run goes on

    def _deltas(
        self, state: SandboxState, thread_id: str, run_id: str, timeline: RunTimeline
    ) -> None:
        """The reply in word-sized ``thread.message.delta`` events, spread over the run."""
        reply_id = state.reply_message_id(run_id)
        words = re.findall(r"\S+\s*", state.reply_text(run_id)) or [""]
        span = timeline.completed - timeline.started
        for i, word in enumerate(words):
            _sleep_until(timeline.started + span * i / len(words))
            if state.get_run(thread_id, run_id)["status"] not in ("in_progress", "completed"):
                return  # cancelled
            text: dict[str, Any] = {"value": word}
            if i == 0:
                text["annotations"] = []
            delta = {"content": [{"index": 0, "type": "text", "text": text}]}
            self._event(
                "thread.message.delta",
                {"id": reply_id, "object": "thread.message.delta", "delta": delta},
            )

    def _event(self, name: str, payload: Any) -> None:
        self._raw_event(name, json.dumps(payload, separators=(",", ":"), ensure_ascii=False))

    def _raw_event(self, name: str, data: str) -> None:
        self._chunk(f"event: {name}\ndata: {data}\n\n".encode())

    def _chunk(self, data: bytes) -> None:
        """One chunk of ``Transfer-Encoding: chunked``; empty data ends the body."""
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    # reading requests

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise RequestError(
                "Chunked request bodies are not supported; send Content-Length.", status=411
            )
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise RequestError("Invalid Content-Length header.") from None
        if length > MAX_REQUEST_BYTES:
            raise RequestError("The request body is too large.", status=413)
        return self.rfile.read(length) if length > 0 else b""


_ROUTES: list[tuple[str, re.Pattern[str], Callable[..., Reply | None]]] = [
    (method, re.compile(pattern), endpoint)
    for method, pattern, endpoint in (
        ("POST", r"/assistants", _Handler._create_assistant),
        ("GET", r"/assistants/([^/]+)", _Handler._get_assistant),
        ("POST", r"/threads", _Handler._create_thread),
        ("GET", r"/threads/([^/]+)", _Handler._get_thread),
        ("POST", r"/threads/([^/]+)/messages", _Handler._create_message),
        ("GET", r"/threads/([^/]+)/messages", _Handler._list_messages),
        ("GET", r"/threads/([^/]+)/messages/([^/]+)", _Handler._get_message),
        ("POST", r"/threads/([^/]+)/runs", _Handler._create_run),
        ("GET", r"/threads/([^/]+)/runs", _Handler._list_runs),
        ("GET", r"/threads/([^/]+)/runs/([^/]+)", _Handler._get_run),
        ("POST", r"/threads/([^/]+)/runs/([^/]+)/cancel", _Handler._cancel_run),
    )
]


def _json_body(body: bytes, *, allow_empty: bool = False) -> Any:
    """A request body as JSON, with the node's wording for syntax errors."""
    if allow_empty and not body.strip():
        return None
    try:
        return parse_body(_decode(body))
    except InvalidSettingsError as exc:
        raise RequestError(str(exc)) from None


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError("The request body is not valid UTF-8 text.") from None


def _first_param(violations: list[str]) -> str | None:
    """``additional_messages[0].role: ...`` -> ``additional_messages[0].role``."""
    head = violations[0].split(":", 1)[0].strip() if violations else ""
    return head if head and head != "$" and " " not in head else None


def _redacted(headers: Any) -> tuple[tuple[str, str], ...]:
    out = []
    for name, value in headers:
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {REDACTED}".strip()
        elif name.lower() == "api-key":
            value = REDACTED
        out.append((name, value))
    return tuple(out)


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).version == 6
    except ValueError:
        return False
