"""Cancellation that really stops: every blocking socket step gives way to a watch.

The exchange runs on the caller's thread, and every blocking socket operation (connect, TLS
handshake, send, receive) is cut into steps of at most ``POLL_SECONDS`` by a small httpcore
network backend (:class:`WatchedBackend`). Between steps it asks the exchange's :class:`Watch`
whether the user cancelled or the request's total time limit passed, and if so raises
:class:`Stop`, which makes httpcore close the connection. So a cancel ends an exchange within
about 0.1 s in every phase (also while waiting for the response headers), and no thread is
left blocked in ``recv``. The watch also records whether a byte of the request left: only
then may a POST have been processed.

The backend is put into httpx's connection pools through :mod:`.httpx_internals` (pinned
versions, checked at import).
"""

from __future__ import annotations

import contextvars
import errno
import os
import select
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from .cancellation import POLL_SECONDS, IsCanceled
from .httpx_internals import (
    SyncStream,
    mounted_transports,
    network_backend,
    pool_of,
    set_network_backend,
)

WRITE_CHUNK = 65_536  # bytes per send step, so a cancel can come between steps


class Stop(Exception):
    """Raised from inside httpcore to abandon an exchange: ``reason`` is cancel/deadline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Watch:
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
            raise Stop("cancel")
        if time.monotonic() >= self.deadline:
            raise Stop("deadline")

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


WATCH: contextvars.ContextVar[Watch | None] = contextvars.ContextVar("WATCH", default=None)


def _limit(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


class WatchedStream(httpcore.NetworkStream):
    """A socket stream whose blocking calls give way to the current exchange's watch."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        watch = WATCH.get()
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
        watch = WATCH.get()
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
            step = watch.step(limit, httpcore.WriteTimeout)
            try:
                # settimeout too: httpcore's pool may close this connection from another
                # thread (found expired just as this exchange took it); that is a write
                # error, which httpcore and the retry handle, not a stray OSError (EBADF)
                sock.settimeout(step)
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
        watch = WATCH.get()
        sock = self._inner.get_extra_info("socket")
        if watch is None or sock is None or isinstance(sock, ssl.SSLSocket):
            return WatchedStream(self._inner.start_tls(ssl_context, server_hostname, timeout))
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
        return WatchedStream(_sync_stream(tls))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _sync_stream(sock: socket.socket) -> httpcore.NetworkStream:
    return SyncStream(sock)  # httpcore's own blocking stream


class WatchedBackend(httpcore.NetworkBackend):
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
        watch = WATCH.get()
        if watch is None:
            stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
            return WatchedStream(stream)
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
                return WatchedStream(_sync_stream(sock))
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


def _connect_stepwise(sock: socket.socket, address: Any, watch: Watch, limit: float | None) -> None:
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


def watch_connections(client: httpx.Client) -> None:
    """Give every connection pool of ``client`` (direct and proxy mounts) the watched backend."""
    for transport in mounted_transports(client):
        pool = pool_of(transport)
        backend = network_backend(pool)
        if backend is not None and not isinstance(backend, WatchedBackend):
            set_network_backend(pool, WatchedBackend(backend))
