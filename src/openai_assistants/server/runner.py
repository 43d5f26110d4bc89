"""Serving the application with uvicorn: in the foreground (``serve``) or on a thread (sandbox).

The socket is bound before uvicorn starts, so ``port=0`` gets a free port whose number is
known, and the base URL is announced only once uvicorn accepts connections. Stopping fails
in-flight runs first (their streams end with ``[DONE]``), then lets uvicorn close the
connections, then closes the database (the application's lifespan). Ctrl+C and SIGTERM
both stop the foreground server cleanly with exit code 0 (uvicorn alone would re-raise them).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

TRANSPORT_KEY = "openai_assistants.transport"  # in scope["state"]: the connection's transport
HEADER_TIMEOUT_SECONDS = 10.0  # a request's head must arrive within this, or it is dropped
TICK_SECONDS = 0.02  # how often uvicorn's main loop looks at should_exit (its default: 0.1 s)
STARTUP_TIMEOUT_SECONDS = 10.0


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header timeout: a connection whose request head does not
    arrive within ``header_timeout`` seconds (a half-sent request, a slow-loris client) is
    closed without an answer. uvicorn times out idle keep-alive connections only, and not
    once a byte of the next request has arrived.

    With ``expose_transport`` it also puts the connection's transport into
    ``scope["state"]``: only the sandbox's ``drop_connection`` fault uses it (closing the
    socket without a byte of answer, as a crashed proxy would, is not expressible in ASGI).
    """

    header_timeout = HEADER_TIMEOUT_SECONDS
    expose_transport = False
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.expose_transport:
            self.app_state = {**self.app_state, TRANSPORT_KEY: transport}
        self._await_head()

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._stop_header_timer()  # the head arrived: the request is the app's now

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()  # the next request's head has the same time

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._stop_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _head_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(
    *, header_timeout: float = HEADER_TIMEOUT_SECONDS, expose_transport: bool = False
) -> type[GuardedH11Protocol]:
    """:class:`GuardedH11Protocol` with these settings (uvicorn takes a protocol class)."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"header_timeout": header_timeout, "expose_transport": expose_transport},
    )


class Server(uvicorn.Server):
    """uvicorn with a start callback, a stop hook, prompt stopping and quiet signal handling."""

    def __init__(
        self,
        config: uvicorn.Config,
        *,
        on_started: Callable[[], None] | None = None,
        before_shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(config)
        self._on_started = on_started
        self._before_shutdown = before_shutdown

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_started is not None:
            self._on_started()

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864_000
            await asyncio.sleep(TICK_SECONDS)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._before_shutdown is not None:
            await self._before_shutdown()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM stop the server; unlike uvicorn, they are not re-raised after."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        saved = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)


def uvicorn_config(
    app: Any,
    *,
    graceful_seconds: float,
    expose_transport: bool = False,
    header_timeout: float = HEADER_TIMEOUT_SECONDS,
) -> uvicorn.Config:
    """uvicorn's settings here: no logging config of its own (the caller logs requests), the
    h11 protocol with a header timeout."""
    return uvicorn.Config(
        app,
        http=guarded_protocol(header_timeout=header_timeout, expose_transport=expose_transport),
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=graceful_seconds,
        server_header=False,
        date_header=True,
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: a free port); ``OSError`` when it cannot listen."""
    family = socket.AF_INET6 if is_ipv6(host) else socket.AF_INET
    # proto IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets; without it every
    # answer (headers and body are two writes) waits ~40 ms for the client's delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://host:port/v1`` for a bound socket."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if is_ipv6(str(host)) else host
    return f"http://{shown}:{port}/v1"


def is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).version == 6
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BackgroundServer:
    """uvicorn serving ``app`` on its own thread: ``start()``, ``base_url``, ``stop()``."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        before_shutdown: Callable[[], Awaitable[None]] | None = None,
        graceful_seconds: float = 1.0,
        expose_transport: bool = False,
        header_timeout: float = HEADER_TIMEOUT_SECONDS,
    ) -> None:
        self._socket = bind_socket(host, port)
        self.base_url = base_url(self._socket)
        self.port = int(self._socket.getsockname()[1])
        self._started = threading.Event()
        config = uvicorn_config(
            app,
            graceful_seconds=graceful_seconds,
            expose_transport=expose_transport,
            header_timeout=header_timeout,
        )
        self._server = Server(config, on_started=self._started.set, before_shutdown=before_shutdown)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def start(self) -> BackgroundServer:
        self._thread = threading.Thread(
            target=self._serve, name="openai-assistants-server", daemon=True
        )
        self._thread.start()
        if not self._started.wait(STARTUP_TIMEOUT_SECONDS) or not self._server.started:
            self.stop()
            raise RuntimeError(f"the server on {self.base_url} did not start: {self._failure}")
        return self

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start(); a thread must not die loudly
            self._failure = exc
            logging.getLogger("openai_assistants.server").debug("server thread ended: %r", exc)
        finally:
            self._started.set()

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving (in-flight runs fail cleanly) and free the port."""
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join()
            self._thread = None
        self._socket.close()
