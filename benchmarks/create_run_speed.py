"""How fast Create Run is, measured on the paths issue 10 names. Prints a table of ratios.

    python benchmarks/create_run_speed.py [--requests 300] [--rows 2000] [--latency-ms 50]
                                          [--concurrency 32] [--starts 9]

Every HTTP figure is taken against ``_CannedServer``: a loopback server that answers every
request with the same canned run object and does no work of its own (no validation, no state),
so the ratios show the client's cost and not the server's.

(a) per request, paired per iteration (each iteration times every contender once, in turn):
    a bare pooled ``httpx.Client().post()``; the core's ``transport.send`` alone (validated
    request, retry policy, cancel checks, limits, checked answer, no table); Create Run's
    execute path (command line: no cancel
    check); the same with a cancel check (how KNIME calls it); the same in the Structured
    format; the official SDK when installed. Median ratio to the bare POST. The table-building
    step alone (results.result_table) is timed separately, since it differs by format.
(b) --rows runs at --latency-ms server latency, --concurrency at once: wall time vs. the ideal
    rows * latency / concurrency, and CPU time vs. a plain thread pool sharing one
    ``httpx.Client`` doing the same POSTs.
(c) Events: peak traced memory while one execution receives a 10 MiB event stream and builds
    the Events table, as a multiple of the stream's size.
(d) cold start: wall time of one ``python -m openai_assistants create-run`` process against
    the server vs. ``python -c 'import httpx; httpx.post(...)'``, median of --starts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import httpx

from openai_assistants.connection import ConnectionConfig
from openai_assistants.create_run import CreateRunSettings, prepare_create_run
from openai_assistants.execution import (
    ExecutionOptions,
    RunInput,
    execute_create_run,
    execute_create_runs,
)
from openai_assistants.results import ResultFormat, result_table
from openai_assistants.transport import send

KEY = "sk-benchmark-not-a-real-key"
ENV = {"OPENAI_API_KEY": KEY}
RUN = json.dumps(
    {"id": "run_1", "object": "thread.run", "created_at": 1700000000, "thread_id": "thread_1",
     "assistant_id": "asst_1", "status": "queued", "model": "gpt-4o", "tools": [],
     "metadata": {}, "temperature": 1.0, "top_p": 1.0, "parallel_tool_calls": True}
).encode()  # fmt: skip
BODY = '{"assistant_id": "asst_1"}'


class _CannedServer:
    """HTTP/1.1 keep-alive on loopback; one thread per connection; the same answer each time."""

    def __init__(self, answer: bytes = RUN, content_type: str = "application/json",
                 latency: float = 0.0) -> None:  # fmt: skip
        self.latency = latency
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(answer)}\r\n\r\n"
        ).encode()
        self.reply = head + answer
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
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
                    rest += conn.recv(65536)
                buffer = rest[length:]
                if self.latency:
                    time.sleep(self.latency)
                conn.sendall(self.reply)

    def close(self) -> None:
        self.sock.close()


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def per_request(requests: int) -> list[tuple[str, str]]:
    server = _CannedServer()
    settings = CreateRunSettings(thread_id="thread_1", body=BODY)
    config = ConnectionConfig(base_url=server.base_url)
    request = prepare_create_run(settings, config).request
    bare = httpx.Client()
    headers = [*request.headers, ("Authorization", f"Bearer {KEY}")]
    structured = ExecutionOptions(result_format=ResultFormat.STRUCTURED)
    contenders = {
        "bare pooled httpx POST": lambda: bare.post(request.url, headers=headers,
                                                    content=request.body),
        "transport.send alone (no table), cancel checks": lambda: send(
            request, config, KEY, is_canceled=lambda: False),
        "Create Run execute, Raw (command line)": lambda: execute_create_run(
            settings, config, environ=ENV),
        "Create Run execute, Raw, cancel checks (KNIME)": lambda: execute_create_run(
            settings, config, environ=ENV, is_canceled=lambda: False),
        "Create Run execute, Structured, cancel checks": lambda: execute_create_run(
            settings, config, environ=ENV, is_canceled=lambda: False, options=structured),
    }  # fmt: skip
    try:
        import openai

        sdk = openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)

        def sdk_call() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                sdk.beta.threads.runs.create("thread_1", assistant_id="asst_1")

        contenders["official openai SDK"] = sdk_call
    except ImportError:
        pass
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for call in contenders.values():  # warm-up: imports, validator, connections
        for _ in range(20):
            call()
    for _ in range(requests):  # paired: every contender once per iteration
        for name, call in contenders.items():
            started = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - started)
    bare.close()
    server.close()
    ratios = {
        name: statistics.median(
            t / b for t, b in zip(samples, timings["bare pooled httpx POST"], strict=True)
        )
        for name, samples in timings.items()
    }
    rows = [
        (f"(a) {name}, median of {requests}", f"{_median_ms(s):.3f} ms ({ratios[name]:.2f}x bare)")
        for name, s in timings.items()
    ]
    outcome = execute_create_run(settings, config_for_table(), environ=ENV, client=_Canned())
    for result_format in ResultFormat:
        if result_format is ResultFormat.EVENTS:
            continue
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            result_table(outcome.rows, result_format, False)
            samples.append(time.perf_counter() - started)
        rows.append(
            (f"(a) of which the 1-row {result_format.value} table (results.py)",
             f"{_median_ms(samples):.3f} ms")
        )  # fmt: skip
    return rows


def config_for_table() -> ConnectionConfig:
    return ConnectionConfig(base_url="http://127.0.0.1:9/v1")


def _Canned() -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=RUN))
    )


def batch(rows: int, latency_ms: int, concurrency: int) -> list[tuple[str, str]]:
    server = _CannedServer(latency=latency_ms / 1000)
    config = ConnectionConfig(base_url=server.base_url)
    inputs = [
        RunInput(f"Row{i}", CreateRunSettings(thread_id=f"thread_{i}", body=BODY))
        for i in range(rows)
    ]
    execute_create_runs(inputs[:concurrency], config, environ=ENV,
                        options=ExecutionOptions(concurrency=concurrency))  # fmt: skip
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = execute_create_runs(
        inputs, config, options=ExecutionOptions(concurrency=concurrency), environ=ENV
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(outcome.rows) == rows and all(r.response.status == 200 for r in outcome.rows)
    requests = [prepare_create_run(i.settings, config).request for i in inputs]
    with httpx.Client(limits=httpx.Limits(max_connections=64)) as client:

        def post(request) -> int:
            headers = [*request.headers, ("Authorization", f"Bearer {KEY}")]
            return client.post(request.url, headers=headers, content=request.body).status_code

        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(post, requests[:concurrency]))
            pool_wall, pool_cpu = time.perf_counter(), time.process_time()
            assert set(pool.map(post, requests)) == {200}
            pool_wall = time.perf_counter() - pool_wall
            pool_cpu = time.process_time() - pool_cpu
    server.close()
    ideal = rows * latency_ms / 1000 / concurrency
    return [
        (f"(b) {rows} rows, {latency_ms} ms latency, concurrency {concurrency}: wall",
         f"{wall:.2f} s ({wall / ideal:.2f}x the ideal {ideal:.2f} s; thread pool "
         f"{pool_wall:.2f} s)"),
        ("(b) the same: CPU", f"{cpu:.2f} s ({cpu / pool_cpu:.2f}x a thread pool's "
         f"{pool_cpu:.2f} s)"),
    ]  # fmt: skip


def events_memory(size_mib: int = 10) -> list[tuple[str, str]]:
    event = "event: thread.message.delta\ndata: " + json.dumps({"d": "x" * 1000}) + "\n\n"
    count = size_mib * 1024 * 1024 // len(event)
    stream = (event * count + "event: done\ndata: [DONE]\n\n").encode()
    server = _CannedServer(stream, "text/event-stream")
    settings = CreateRunSettings(thread_id="thread_1",
                                 body='{"assistant_id": "asst_1", "stream": true}')  # fmt: skip
    config = ConnectionConfig(base_url=server.base_url)
    options = ExecutionOptions(result_format=ResultFormat.EVENTS)
    execute_create_run(settings, config, environ=ENV, options=options)  # warm-up
    tracemalloc.start()
    outcome = execute_create_run(settings, config, environ=ENV, options=options)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    server.close()
    assert len(outcome.table) == count + 1
    return [(f"(c) Events: peak memory, one {len(stream) / 2**20:.0f} MiB stream",
             f"{peak / 2**20:.1f} MiB ({peak / len(stream):.2f}x the stream)")]  # fmt: skip


def cold_start(starts: int) -> list[tuple[str, str]]:
    server = _CannedServer()
    env = {**os.environ, "OPENAI_API_KEY": KEY, "NO_PROXY": "127.0.0.1"}
    cli = [sys.executable, "-m", "openai_assistants", "create-run", "--base-url",
           server.base_url, "--thread-id", "thread_1", "--body", BODY]  # fmt: skip
    bare = [sys.executable, "-c",
            f"import httpx; httpx.post('{server.base_url}/threads/thread_1/runs', "
            f"content=b'{BODY}')"]  # fmt: skip
    times: dict[str, list[float]] = {"cli": [], "bare": []}
    for _ in range(starts):
        for name, command in (("cli", cli), ("bare", bare)):
            started = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    server.close()
    cli_ms, bare_ms = _median_ms(times["cli"]), _median_ms(times["bare"])
    return [(f"(d) cold start, one create-run process, median of {starts}",
             f"{cli_ms:.0f} ms (bare httpx process: {bare_ms:.0f} ms)")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--starts", type=int, default=9)
    args = parser.parse_args()
    rows = per_request(args.requests)
    rows += batch(args.rows, args.latency_ms, args.concurrency)
    rows += events_memory()
    rows += cold_start(args.starts)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}, httpx {httpx.__version__}"
    )
    print("| measurement | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
