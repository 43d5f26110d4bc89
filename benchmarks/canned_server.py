"""A loopback HTTP/1.1 server that answers every request with the same canned bytes.

Run as its own process by the benchmarks, so its work (one thread per connection, no parsing
beyond the request's length, no validation, no state) is not counted in the client's CPU
time and does not hold the client's GIL:

    python benchmarks/canned_server.py [--latency-ms 0] [--answer FILE] [--content-type T]

Prints the port on the first line of stdout, then serves until its stdin closes. Imports
only the standard library, so it starts at once.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time

RUN = (
    b'{"id": "run_1", "object": "thread.run", "created_at": 1700000000, "thread_id": '
    b'"thread_1", "assistant_id": "asst_1", "status": "queued", "model": "gpt-4o", '
    b'"tools": [], "metadata": {}, "temperature": 1.0, "top_p": 1.0, '
    b'"parallel_tool_calls": true}'
)


def serve(answer: bytes, content_type: str, latency: float) -> socket.socket:
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(answer)}\r\n\r\n"
    ).encode()
    reply = head + answer
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)

    def connection(conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                while len(rest) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    rest += chunk
                buffer = rest[length:]
                if latency:
                    time.sleep(latency)
                try:
                    conn.sendall(reply)
                except OSError:
                    return

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=connection, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--answer", help="file whose bytes are the answer (default: a run)")
    parser.add_argument("--content-type", default="application/json")
    args = parser.parse_args()
    answer = RUN
    if args.answer:
        with open(args.answer, "rb") as file:
            answer = file.read()
    listener = serve(answer, args.content_type, args.latency_ms / 1000)
    print(listener.getsockname()[1], flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin (or ends)
    listener.close()


if __name__ == "__main__":
    main()
