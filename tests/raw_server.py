"""A byte-level fake server on 127.0.0.1: each connection gets a scripted function.

For answers no well-behaved HTTP server sends: trickling bytes, endless bodies, streams that
stay open after ``[DONE]``, broken encodings. Bounded: every connection handler gets the
socket for at most ``limit`` seconds, and the server stops with the test.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

Script = Callable[[socket.socket, "RawServer"], None]


class RawServer:
    def __init__(self, script: Script, limit: float = 10.0) -> None:
        self.script = script
        self.limit = limit
        self.requests: list[bytes] = []  # the request head and body bytes, per connection
        self.received = threading.Event()  # set when a whole request head has arrived
        self.closed_by_client = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def read_request(self, conn: socket.socket) -> bytes:
        """The request head and its Content-Length body."""
        data = b""
        conn.settimeout(self.limit)
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += conn.recv(65536)
        self.requests.append(head + b"\r\n\r\n" + body)
        self.received.set()
        return data

    def send_slowly(self, conn: socket.socket, data: bytes, pause: float) -> bool:
        """Send byte by byte; False once the client hung up or the time limit passed."""
        end = time.monotonic() + self.limit
        for i in range(len(data)):
            if self._stop.is_set() or time.monotonic() > end:
                return False
            try:
                conn.sendall(data[i : i + 1])
            except OSError:
                self.closed_by_client.set()
                return False
            time.sleep(pause)
        return True

    def hold(self, conn: socket.socket) -> None:
        """Keep the connection open, sending nothing, until the client hangs up or stop."""
        conn.settimeout(0.05)
        end = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < end:
            try:
                if conn.recv(1) == b"":
                    self.closed_by_client.set()
                    return
            except TimeoutError:
                continue
            except OSError:
                self.closed_by_client.set()
                return

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.script(conn, self)
            except OSError:
                self.closed_by_client.set()

    def __enter__(self) -> RawServer:
        self._accept.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        self._accept.join(1)
        for thread in self._threads:
            thread.join(1)


def http_head(status: int = 200, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
