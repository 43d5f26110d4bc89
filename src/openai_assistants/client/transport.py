"""Sending an :class:`ApiRequest` with httpx: retries, timeouts, limits, cancellation, reuse.

This is the only module that touches the network. Retry decisions come from the pure
functions in :mod:`retry_policy`; this module only carries them out.

Cancellation without stray threads: the exchange runs on the caller's thread, and every
blocking socket operation (connect, TLS handshake, send, receive) is cut into steps of at
most ``POLL_SECONDS`` by a small httpcore network backend (:class:`_WatchedBackend`). Between
steps it asks the exchange's :class:`_Watch` whether the user cancelled or the request's total
time limit passed, and if so raises, which makes httpcore close the connection. So a cancel
ends an exchange within about 0.1 s in every phase (also while waiting for the response
headers), and no thread is left blocked in ``recv``.

Shared state: ``_CLIENTS``, the one cache of reusable ``httpx.Client`` objects keyed by the CA
bundle. Creating a client costs ~20 ms of TLS set-up; reusing it keeps connections alive across
node executions in the same KNIME Python process. Clients are closed at exit.
"""

from __future__ import annotations

import atexit
import codecs
import contextvars
import errno
import logging
import os
import random as _random
import re
import select
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import httpcore
import httpx

from ..errors import (
    AmbiguousSendError,
    CancelledError,
    ResponseFormatError,
    TransportError,
)
from .cancellation import POLL_SECONDS, IsCanceled, pause, raise_if_canceled
from .connection import ConnectionConfig, auth_header
from .events import EventStreamParser
from .exchange import ApiRequest, ApiResponse
from .retry_policy import Outcome, retry_delay, should_retry

try:  # httpx's own glue between its client and httpcore (see _Route)
    from httpx._transports.default import ResponseStream as _ResponseStream
    from httpx._transports.default import map_httpcore_exceptions as _map_httpcore_exceptions
except ImportError:  # pragma: no cover - another httpx: every request takes httpx's own path
    _ResponseStream = _map_httpcore_exceptions = None  # type: ignore[assignment, misc]

logger = logging.getLogger("openai_assistants.transport")

WRITE_CHUNK = 65_536  # bytes per send step, so a cancel can come between steps

_CLIENTS: dict[str, httpx.Client] = {}
_CLIENTS_LOCK = threading.Lock()
_OURS: weakref.WeakSet[httpx.Client] = weakref.WeakSet()  # made by new_client: see _Route


# --- the watch: cancel and total time limit, checked between socket steps ---------------


class _Stop(Exception):
    """Raised from inside httpcore to abandon an exchange: ``reason`` is cancel/deadline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Watch:
    is_canceled: IsCanceled | None
    deadline: float  # time.monotonic() by which the whole request must be done
    sent: bool = False  # a byte of the request left: from now on it may have been processed
    seen: bool = False  # the watched backend carried this exchange (else: a foreign client)

    @property
    def known_unsent(self) -> bool:
        """Certainly nothing left: only the watched backend can tell (a foreign transport,
        e.g. an injected client, is assumed to have sent)."""
        return self.seen and not self.sent

    def check(self) -> None:
        self.seen = True
        if self.is_canceled is not None and self.is_canceled():
            raise _Stop("cancel")
        if time.monotonic() >= self.deadline:
            raise _Stop("deadline")

    def step(self, limit: float | None, timeout_error: type[Exception]) -> float:
        """Seconds to block next: at most POLL_SECONDS, the deadline and the phase's limit."""
        self.check()
        now = time.monotonic()
        step = min(POLL_SECONDS, self.deadline - now)
        if limit is not None:
            if now >= limit:
                raise timeout_error("timed out")
            step = min(step, limit - now)
        return max(step, 0.001)


_WATCH: contextvars.ContextVar[_Watch | None] = contextvars.ContextVar("_WATCH", default=None)


def _limit(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


class _WatchedStream(httpcore.NetworkStream):
    """A socket stream whose blocking calls give way to the current exchange's watch."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        watch = _WATCH.get()
        if watch is None:
            return self._inner.read(max_bytes, timeout)
        silence_limit = _limit(timeout)
        while True:
            step = watch.step(silence_limit, httpcore.ReadTimeout)
            try:
                return self._inner.read(max_bytes, step)
            except httpcore.ReadTimeout:
                continue  # step() raises once the real read timeout has passed

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return  # e.g. the end of a body whose length was given: nothing to send
        watch = _WATCH.get()
        sock = self._inner.get_extra_info("socket")
        if watch is None or sock is None:
            if watch is not None:
                watch.check()
                watch.sent = watch.sent or bool(buffer)
            self._inner.write(buffer, timeout)
            return
        limit = _limit(timeout)
        view = memoryview(buffer)
        while view:
            sock.settimeout(watch.step(limit, httpcore.WriteTimeout))
            try:
                sent = sock.send(view[:WRITE_CHUNK])
            except (TimeoutError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                continue
            except OSError as exc:
                raise httpcore.WriteError(str(exc) or type(exc).__name__) from None
            watch.sent = watch.sent or sent > 0
            view = view[sent:]

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        watch = _WATCH.get()
        sock = self._inner.get_extra_info("socket")
        if watch is None or sock is None or isinstance(sock, ssl.SSLSocket):
            return _WatchedStream(self._inner.start_tls(ssl_context, server_hostname, timeout))
        limit = _limit(timeout)
        try:
            tls = ssl_context.wrap_socket(
                sock, server_hostname=server_hostname, do_handshake_on_connect=False
            )
            while True:
                tls.settimeout(watch.step(limit, httpcore.ConnectTimeout))
                try:
                    tls.do_handshake()
                    break
                except (TimeoutError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    continue
        except OSError as exc:  # ssl.SSLError included: certificate problems
            sock.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
        except BaseException:
            sock.close()
            raise
        return _WatchedStream(_sync_stream(tls))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _sync_stream(sock: socket.socket) -> httpcore.NetworkStream:
    from httpcore._backends.sync import SyncStream  # httpcore's own blocking stream

    return SyncStream(sock)


class _WatchedBackend(httpcore.NetworkBackend):
    """httpcore's blocking backend, with connects that give way to the watch."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        watch = _WATCH.get()
        if watch is None:
            stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
            return _WatchedStream(stream)
        limit = _limit(timeout)
        watch.check()
        try:
            addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        last: OSError | None = None
        for family, kind, proto, _, address in addresses:
            sock = socket.socket(family, kind, proto)
            try:
                for option in socket_options or ():
                    sock.setsockopt(*option)
                if local_address:
                    sock.bind((local_address, 0))
                _connect_stepwise(sock, address, watch, limit)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return _WatchedStream(_sync_stream(sock))
            except OSError as exc:
                sock.close()
                last = exc
            except BaseException:
                sock.close()
                raise
        raise httpcore.ConnectError(str(last) if last else f"no address for {host}")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        return self._inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_IN_PROGRESS = {0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, 10035}  # 10035: Windows


def _connect_stepwise(
    sock: socket.socket, address: Any, watch: _Watch, limit: float | None
) -> None:
    sock.setblocking(False)
    code = sock.connect_ex(address)
    if code not in _IN_PROGRESS:
        raise OSError(code, os.strerror(code))
    while code != 0:
        step = watch.step(limit, httpcore.ConnectTimeout)
        _, writable, failed = select.select([], [sock], [sock], step)
        if writable or failed:
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))
            break
    sock.setblocking(True)


def _watch_connections(client: httpx.Client) -> None:
    """Give every connection pool of ``client`` (direct and proxy mounts) the watched backend."""
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _WatchedBackend):
            pool._network_backend = _WatchedBackend(backend)  # type: ignore[union-attr]


# --- clients ---------------------------------------------------------------------------------


def _shared(config: ConnectionConfig) -> httpx.Client:
    key = config.ca_bundle
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None or client.is_closed:
            client = _CLIENTS[key] = new_client(config)
        return client


def new_client(config: ConnectionConfig) -> httpx.Client:
    """A pooled client as the extension uses it: verified TLS, no redirects, watched I/O."""
    verify: bool | ssl.SSLContext = True  # certificates are always checked
    if config.ca_bundle:
        verify = ssl.create_default_context(cafile=config.ca_bundle)
    client = httpx.Client(
        verify=verify,
        follow_redirects=False,  # never send the key to a host we were not pointed at
        trust_env=True,  # HTTPS_PROXY / NO_PROXY / SSL_CERT_FILE
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
    )
    _watch_connections(client)
    _OURS.add(client)
    return client


def shared_client(config: ConnectionConfig) -> httpx.Client:
    """The process-wide client for this CA bundle (created on first use)."""
    return _shared(config)


@atexit.register
def close_clients() -> None:
    """Close every cached client (and its connections)."""
    with _CLIENTS_LOCK:
        for client in _CLIENTS.values():
            client.close()
        _CLIENTS.clear()
    with _ROUTES_LOCK:
        _ROUTES.clear()


class RateLimitGate:
    """One back-off shared by concurrent requests: a 429 to any of them pauses them all.

    Without it, N workers that hit a rate limit would each retry on their own clock and keep
    the limit exceeded.
    """

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - time.monotonic())

    def wait(self, is_canceled: IsCanceled | None) -> None:
        """Wait out the hold, which another request's 429 may extend meanwhile."""
        while (remaining := self.remaining()) > 0:
            pause(min(remaining, POLL_SECONDS), is_canceled)
        raise_if_canceled(is_canceled)


# --- sending ---------------------------------------------------------------------------------


class _NotSentError(Exception):
    """The request never reached the server, so sending it again cannot duplicate anything."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class _SentError(Exception):
    """Failed after the request was (perhaps) sent: it may have been processed."""


def send(
    request: ApiRequest,
    config: ConnectionConfig,
    api_key: str,
    *,
    client: httpx.Client | None = None,
    is_canceled: IsCanceled | None = None,
    gate: RateLimitGate | None = None,
    sleep: Callable[[float], None] = time.sleep,
    random: Callable[[], float] = _random.random,
) -> ApiResponse:
    """Send ``request``, retrying what the policy allows; return the final answer.

    A response with an error status is returned, not raised: whether that fails the node is
    the caller's decision. Raised: :class:`TransportError` (nothing usable came back),
    :class:`AmbiguousSendError` (a POST may have been processed), :class:`ResponseFormatError`
    (an answer too large or undecodable), :class:`CancelledError`. The whole call, retries
    included, ends by ``config.total_timeout``.
    """
    client = client or _shared(config)
    timeout = _timeouts(config.timeout, config.connect_timeout)
    deadline = time.monotonic() + config.total_timeout
    reasons: list[str] = []
    for attempt in range(config.max_retries + 1):
        if gate is not None:
            gate.wait(is_canceled)
        raise_if_canceled(is_canceled)
        retries_left = attempt < config.max_retries
        watch = _Watch(is_canceled, deadline)
        try:
            response = _exchange(client, request, config, api_key, timeout, watch)
        except _NotSentError as exc:
            if not (retries_left and exc.retryable and should_retry(True, Outcome.NOT_SENT)):
                raise TransportError(str(exc), request=request) from None
            reason, delay = str(exc), retry_delay(attempt, None, random=random)
        except _SentError as exc:
            if not (retries_left and should_retry(request.idempotent, Outcome.SENT_NO_ANSWER)):
                raise AmbiguousSendError(
                    " ".join([str(exc), maybe_created(request)]).strip(), request=request
                ) from None
            reason, delay = str(exc), retry_delay(attempt, None, random=random)
        else:
            retryable = should_retry(request.idempotent, Outcome.ANSWERED, response.status)
            if not (retries_left and retryable):
                if not attempt:
                    return response  # the first answer: attempts=1, no retry reasons
                return replace(response, attempts=attempt + 1, retry_reasons=tuple(reasons))
            reason = f"HTTP {response.status}"
            delay = retry_delay(attempt, dict(response.headers), random=random)
        if time.monotonic() + delay >= deadline:
            # only what created nothing is retried, so nothing exists from this request
            raise TransportError(
                f"{request.where} did not succeed within the total time limit of "
                f"{config.total_timeout:g} s (setting total_timeout); the last attempt ended "
                f"with: {reason}",
                request=request,
            )
        reasons.append(reason)
        logger.warning(
            "Retrying %s in %.2f s (attempt %d of %d) after: %s",
            request.where,
            delay,
            attempt + 2,
            config.max_retries + 1,
            reason,
        )
        if gate is not None and reason == "HTTP 429":
            gate.hold(delay)  # everyone waits; the loop's gate.wait() does the waiting
        else:
            pause(delay, is_canceled, sleep)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


@lru_cache(maxsize=16)
def _timeouts(timeout: float, connect_timeout: float) -> httpx.Timeout:
    """httpx's timeouts for a configuration (``httpx.Timeout`` is immutable, so shared)."""
    return httpx.Timeout(timeout, connect=min(connect_timeout, timeout))


def maybe_created(request: ApiRequest) -> str:
    """For a POST whose outcome is unknown: what may exist, and that it was not re-sent."""
    if request.idempotent or not request.subject:
        return ""
    subject = request.subject[0].upper() + request.subject[1:]
    return (
        f"{subject} may have been created; the request was not sent again, to avoid creating "
        "it twice. Check before executing again."
    )


def _deadline_error(request: ApiRequest, config: ConnectionConfig, watch: _Watch) -> Exception:
    text = (
        f"{request.where} did not finish within the total time limit of "
        f"{config.total_timeout:g} s (setting total_timeout)."
    )
    if not watch.known_unsent and not request.idempotent:
        return AmbiguousSendError(f"{text} {maybe_created(request)}".strip(), request=request)
    return TransportError(text, request=request)


def _exchange(
    client: httpx.Client,
    request: ApiRequest,
    config: ConnectionConfig,
    api_key: str,
    timeout: httpx.Timeout,
    watch: _Watch,
) -> ApiResponse:
    token = _WATCH.set(watch)
    try:
        return _exchange_once(client, request, config, api_key, timeout, watch)
    except _Stop as stop:
        if stop.reason == "cancel":
            text = f"Execution cancelled while waiting for {request.where}."
            if not watch.known_unsent:
                text = f"{text} {maybe_created(request)}".strip()
            raise CancelledError(text) from None
        raise _deadline_error(request, config, watch) from None
    finally:
        _WATCH.reset(token)


def _exchange_once(
    client: httpx.Client,
    request: ApiRequest,
    config: ConnectionConfig,
    api_key: str,
    timeout: httpx.Timeout,
    watch: _Watch,
) -> ApiResponse:
    where = request.where
    routed = None
    try:
        auth = auth_header(config, api_key)
        routed = _route(client, request)
        if routed is None:
            http_request = client.build_request(
                request.method,
                request.url,
                headers=[*request.headers, auth],
                content=request.body,
                timeout=timeout,
            )
        else:
            route, target = routed
            core_request = route.core_request(request, auth, timeout, target)
    except (httpx.InvalidURL, UnicodeError, ValueError, TypeError) as exc:
        # settings validation should make this unreachable; never show the header values
        raise _NotSentError(
            f"Cannot build {where}: {type(exc).__name__}.", retryable=False
        ) from None
    try:
        if routed is None:
            response = client.send(http_request, stream=True)
        else:
            response = route.send(core_request)
    except (httpx.ConnectTimeout, httpx.PoolTimeout):
        raise _NotSentError(f"Could not connect to {where} within {timeout.connect:g} s.") from None
    except httpx.ConnectError as exc:
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
            raise _NotSentError(
                f"TLS certificate check failed for {where}: {text}. Behind a corporate proxy, "
                "set the CA bundle in the OpenAI Configuration node.",
                retryable=False,
            ) from None
        raise _NotSentError(
            f"Could not connect to {where}: {text or type(exc).__name__}."
        ) from None
    except httpx.ProxyError as exc:
        raise _NotSentError(f"The proxy refused {where}: {exc}.", retryable=False) from None
    except httpx.UnsupportedProtocol as exc:
        raise _NotSentError(f"Cannot send {where}: {exc}.", retryable=False) from None
    except httpx.TimeoutException:
        if watch.known_unsent:
            raise _NotSentError(f"Could not send {where} within {config.timeout:g} s.") from None
        raise _SentError(f"No response from {where} within {config.timeout:g} s.") from None
    except httpx.DecodingError as exc:
        raise ResponseFormatError(
            f"The answer to {where} could not be decoded as its Content-Encoding says ({exc}). "
            + maybe_created(request),
            request=request,
        ) from None
    except httpx.TransportError as exc:
        if watch.known_unsent:
            raise _NotSentError(
                f"The connection failed before {where} was sent ({exc or type(exc).__name__})."
            ) from None
        raise _SentError(
            f"The connection failed while sending {where} ({exc or type(exc).__name__})."
        ) from None
    try:
        return _read(response, request, config)
    finally:
        response.close()


@dataclass(frozen=True)
class _Route:
    """How httpx would send a request, worked out once: straight to its connection pool.

    ``httpx.Client.send`` spends about 0.1-0.2 ms per request on machinery this extension
    does not use (auth flows, redirects, event hooks, building and re-parsing the URL and
    headers). For the clients made by :func:`new_client` the request goes to the very
    connection pool ``client.send`` would use (proxies included, chosen by the client's own
    mounts), with exactly the headers httpx builds (taken from ``client.build_request``, in
    its order), and the answer is wrapped as httpx wraps it, so reading, decoding and errors
    are httpx's. The key is not part of a route: it is put into each request's headers.

    What httpx derives from a URL for these (the pool, the proxy, the ``Host`` header)
    depends on its origin only, so one route serves every path on an origin: a table whose
    rows name different threads is worked out once, not once per row. Each request brings
    its own target (path and query), see :func:`_split_target`.
    """

    client: httpx.Client
    pool: httpcore.ConnectionPool
    method: bytes
    scheme: bytes
    host: bytes
    port: int | None
    target: bytes | None  # the target of every request on this route (None: per request)
    headers: tuple[tuple[bytes, bytes], ...]  # httpx's headers for the request, minus the key
    key_at: int  # where httpx puts the key's header among them

    def core_request(
        self,
        request: ApiRequest,
        auth: tuple[str, str],
        timeout: httpx.Timeout,
        target: bytes | None = None,
    ) -> httpcore.Request:
        headers = list(self.headers)
        headers.insert(self.key_at, (auth[0].encode("ascii"), auth[1].encode("ascii")))
        url = httpcore.URL(
            scheme=self.scheme, host=self.host, port=self.port, target=target or self.target
        )
        return httpcore.Request(
            self.method,
            url,
            headers=headers,
            content=request.body,
            extensions={"timeout": timeout.as_dict()},
        )

    def send(self, core_request: httpcore.Request) -> httpx.Response:
        with _map_httpcore_exceptions():
            answer = self.pool.handle_request(core_request)
        response = httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=_ResponseStream(answer.stream),
            extensions=answer.extensions,
        )
        if "set-cookie" in response.headers:  # kept as client.send keeps cookies
            response.request = httpx.Request(core_request.method, bytes(core_request.url).decode())
            self.client.cookies.extract_cookies(response)
        return response


_ROUTES: dict[tuple[Any, ...], _Route] = {}
_ROUTES_LOCK = threading.Lock()
MAX_ROUTES = 256

# A path and query httpx sends exactly as written: RFC 3986 unreserved characters,
# sub-delimiters, ":", "@", "/" (and "?" in the query), percent escapes in upper case, as
# the request builder writes them (endpoints.path_segment, urlencode). Anything else, e.g. a
# base URL with spaces or non-ASCII in its path, is left to httpx to normalise.
_PLAIN = r"A-Za-z0-9\-._~!$&'()*+,;=:@"
_CANONICAL_TARGET = re.compile(
    rf"/(?:[{_PLAIN}/]|%[0-9A-F]{{2}})*(?:\?(?:[{_PLAIN}/?]|%[0-9A-F]{{2}})*)?"
)
_DOT_SEGMENT = re.compile(r"(?:^|/)\.\.?(?:/|$)")


@lru_cache(maxsize=1024)
def _split_target(url: str) -> tuple[str, bytes] | None:
    """``(origin, target)`` of ``url`` when httpx would send its target unchanged, else None;
    the target as the bytes sent.

    The origin is everything before the path (scheme, host, port); one without user info,
    since httpx takes that out of the URL."""
    start = url.find("://")
    slash = url.find("/", start + 3) if start > 0 else -1
    if slash < 0:
        return None
    origin, target = url[:slash], url[slash:]
    if "@" in origin or not _CANONICAL_TARGET.fullmatch(target):
        return None
    if _DOT_SEGMENT.search(target.split("?", 1)[0]):
        return None  # httpx removes "." and ".." segments
    return origin, target.encode("ascii")  # the pattern admits ASCII only


def _route(client: httpx.Client, request: ApiRequest) -> tuple[_Route, bytes | None] | None:
    """The route for ``request`` through ``client`` and the request's own target (None: the
    route's); None: httpx's own path (a client made elsewhere, e.g. injected by tests, or one
    holding cookies)."""
    if _ResponseStream is None or client not in _OURS or client.cookies or client.is_closed:
        return None
    split = _split_target(request.url)
    where, target = (request.url, None) if split is None else split
    key = (id(client), request.method, where, request.headers, len(request.body))
    with _ROUTES_LOCK:
        route = _ROUTES.get(key)
    if route is not None and route.client is client:
        return route, target
    built = client.build_request(
        request.method, request.url, headers=request.headers, content=request.body
    )
    transport = client._transport_for_url(built.url)
    pool = getattr(transport, "_pool", None)
    if not isinstance(transport, httpx.HTTPTransport) or pool is None:
        return None
    headers = tuple(built.headers.raw)
    key_at = len(headers)
    if headers and headers[-1][0].lower() == b"content-length":
        key_at -= 1  # httpx appends Content-Length after the caller's headers
    url = built.url
    route = _Route(
        client=client,
        pool=pool,
        method=request.method.encode("ascii"),
        scheme=url.raw_scheme,
        host=url.raw_host,
        port=url.port,
        target=None if target is not None else url.raw_path,
        headers=headers,
        key_at=key_at,
    )
    with _ROUTES_LOCK:
        if len(_ROUTES) >= MAX_ROUTES:
            _ROUTES.pop(next(iter(_ROUTES)))  # the oldest
        _ROUTES[key] = route
    return route, target


def _read(response: httpx.Response, request: ApiRequest, config: ConnectionConfig) -> ApiResponse:
    """The body, within the size limit; an event stream is parsed while read, up to [DONE]."""
    where = request.where
    status = response.status_code
    headers = tuple(response.headers.items())
    limit = config.max_response_bytes
    content_type = response.headers.get("content-type") or ""
    media_type = content_type.split(";", 1)[0].strip().lower()
    decoder = codecs.getincrementaldecoder(_charset(_declared_charset(content_type)))(
        errors="replace"
    )
    parser = EventStreamParser() if media_type == "text/event-stream" else None
    parts: list[str] = []
    raw: list[bytes] | None = [] if request.raw_answer else None  # a file's bytes, kept
    size = 0
    chunks: Any = response.iter_bytes()
    if type(response.stream) is _ResponseStream and "content-encoding" not in response.headers:
        # a routed answer without Content-Encoding: iter_bytes() would pass the bytes through
        # unchanged at ~15 µs of set-up per answer; its stream raises httpx's errors itself
        chunks = response.stream
    try:
        for chunk in chunks:  # as received: a stream is seen at once
            size += len(chunk)
            if size > limit:
                raise ResponseFormatError(
                    f"The answer to {where} (HTTP {status}) is larger than the maximum response "
                    f"size of {config.max_response_mib} MiB (setting max_response_mib). "
                    + maybe_created(request),
                    request=request,
                )
            if raw is not None:
                raw.append(chunk)
            text = decoder.decode(chunk)
            parts.append(text)
            if parser is not None:
                parser.feed(text)
                if parser.done:
                    break  # [DONE]: whatever the server sends after it is not read
        else:
            parts.append(decoder.decode(b"", final=True))
    except httpx.TimeoutException:
        raise _SentError(
            f"{where} answered HTTP {status} but then sent nothing for {config.timeout:g} s."
        ) from None
    except httpx.DecodingError as exc:
        encoding = response.headers.get("content-encoding", "")
        raise ResponseFormatError(
            f"The answer to {where} (HTTP {status}) could not be decoded as its "
            f"Content-Encoding {encoding!r} says ({exc}). " + maybe_created(request),
            request=request,
        ) from None
    except (httpx.TransportError, httpx.StreamError) as exc:
        raise _SentError(
            f"The connection was cut while reading the answer to {where} (HTTP "
            f"{status}; {exc or type(exc).__name__})."
        ) from None
    if parser is not None and parser.done and not request.keep_stream_text and 200 <= status < 300:
        parts.clear()  # the events hold the whole stream; nobody asked for its text
        return ApiResponse(status=status, headers=headers, text="", events=tuple(parser.events))
    text = "".join(parts)
    parts.clear()
    events = None
    if parser is not None:
        if parser.done and parser.consumed < len(text):
            text = text[: parser.consumed]
        else:
            parser.close()
        events = tuple(parser.events)
    content = None if raw is None else b"".join(raw)
    return ApiResponse(status=status, headers=headers, text=text, events=events, content=content)


@lru_cache(maxsize=64)
def _declared_charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type, as httpx reads it (cached: it parses the
    header with the email package)."""
    if not content_type:
        return None
    return httpx.Response(200, headers={"content-type": content_type}).charset_encoding


@lru_cache(maxsize=64)
def _charset(declared: str | None) -> str:
    """The declared charset when Python has it as a text encoding, else UTF-8 (the API's)."""
    try:
        info = codecs.lookup(declared or "utf-8")
    except (LookupError, TypeError, ValueError):
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True):
        return "utf-8"  # e.g. charset=base64 or rot13: codecs that are not text encodings
    return info.name
