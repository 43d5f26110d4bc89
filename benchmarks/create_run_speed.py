"""How fast Create Run is, against the embedded sandbox on loopback. Prints a table.

    python benchmarks/create_run_speed.py [--requests 200] [--rows 200] [--latency-ms 50]

(a) per-request time of Create Run's execute path vs. a bare pooled httpx POST of the same
    request (and the official openai SDK, when installed); median ratio, limit 1.5
(b) --rows runs at --latency-ms server latency with concurrency 8: wall time vs. the ideal
    rows * latency / 8 (limit 1.25x), and vs. a sequential loop
(c) see benchmarks/import_time.py (needs a fresh interpreter per measurement)
(d) peak traced memory while executing one Create Run whose answer is a 10 MB body (limit 3x)

Numbers depend on the machine; the README shows the latest with the machine they ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
import tracemalloc
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from openai_assistants.connection import ConnectionConfig
from openai_assistants.create_run import CreateRunSettings, prepare_create_run
from openai_assistants.execution import (
    ExecutionOptions,
    RunInput,
    execute_create_run,
    execute_create_runs,
)
from openai_assistants.sandbox import Faults, start_sandbox

KEY = "sk-benchmark-not-a-real-key"
ENV = {"OPENAI_API_KEY": KEY}


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _set_up(base_url: str) -> tuple[str, str]:
    headers = {"Authorization": f"Bearer {KEY}", "OpenAI-Beta": "assistants=v2"}
    with httpx.Client(base_url=base_url, headers=headers) as client:
        assistant = client.post("/assistants", json={"model": "gpt-4o"}).json()["id"]
        thread = client.post(
            "/threads", json={"messages": [{"role": "user", "content": "Hello"}]}
        ).json()["id"]
    return assistant, thread


def per_request(requests: int) -> list[tuple[str, str]]:
    """(a): the execute path's overhead over the HTTP exchange itself."""
    with start_sandbox(run_duration=0) as server:
        assistant, thread = _set_up(server.base_url)
        settings = CreateRunSettings(thread_id=thread, body=json.dumps({"assistant_id": assistant}))
        config = ConnectionConfig(base_url=server.base_url)
        request = prepare_create_run(settings, config).request
        bare = httpx.Client()
        headers = [*request.headers, ("Authorization", f"Bearer {KEY}")]

        def bare_post() -> None:
            bare.post(request.url, headers=headers, content=request.body).raise_for_status()

        def node_path() -> None:
            execute_create_run(settings, config, environ=ENV)

        def node_path_in_knime() -> None:
            execute_create_run(settings, config, environ=ENV, is_canceled=lambda: False)

        contenders = {
            "bare httpx POST (pooled)": bare_post,
            "Create Run execute (command line)": node_path,
            "Create Run execute (KNIME: with cancel checks)": node_path_in_knime,
        }
        try:
            import openai

            sdk = openai.OpenAI(api_key=KEY, base_url=server.base_url)

            def sdk_call() -> None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    sdk.beta.threads.runs.create(thread, assistant_id=assistant)

            contenders["official openai SDK"] = sdk_call
        except ImportError:
            pass
        timings: dict[str, list[float]] = {name: [] for name in contenders}
        for call in contenders.values():  # warm-up: imports, validator, connections
            for _ in range(10):
                call()
        for _ in range(requests):  # interleaved, so noise hits every contender alike
            for name, call in contenders.items():
                started = time.perf_counter()
                call()
                timings[name].append(time.perf_counter() - started)
        bare.close()
    base = _median_ms(timings["bare httpx POST (pooled)"])
    rows = []
    for name, samples in timings.items():
        ms = _median_ms(samples)
        rows.append((f"(a) {name}, median of {requests}", f"{ms:.2f} ms ({ms / base:.2f}x bare)"))
    return rows


def concurrent_rows(count: int, latency_ms: int) -> list[tuple[str, str]]:
    """(b): many rows with server latency, concurrency 8 vs. one at a time."""
    with start_sandbox(run_duration=0, faults=Faults(latency_ms=latency_ms)) as server:
        assistant, thread = _set_up(server.base_url)
        config = ConnectionConfig(base_url=server.base_url)
        settings = CreateRunSettings(thread_id=thread, body=json.dumps({"assistant_id": assistant}))
        inputs = [RunInput(f"Row{i}", settings) for i in range(count)]
        started = time.perf_counter()
        outcome = execute_create_runs(
            inputs, config, options=ExecutionOptions(concurrency=8), environ=ENV
        )
        parallel = time.perf_counter() - started
        assert outcome.table["status"].tolist() == [200] * count
        started = time.perf_counter()
        for _ in range(count):
            execute_create_run(settings, config, environ=ENV)
        sequential = time.perf_counter() - started
    ideal = count * latency_ms / 1000 / 8
    parallel_text = f"{parallel:.2f} s ({parallel / ideal:.2f}x the ideal {ideal:.2f} s)"
    sequential_text = f"{sequential:.2f} s ({sequential / parallel:.1f}x the concurrent time)"
    return [
        (f"(b) {count} rows, {latency_ms} ms latency, concurrency 8", parallel_text),
        ("(b) the same rows one at a time", sequential_text),
    ]


class _BigBody(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def peak_memory(size_mb: int = 10) -> list[tuple[str, str]]:
    """(d): traced peak while one execution receives and tabulates a large body."""
    filler = "x" * (size_mb * 1024 * 1024 - 40)
    _BigBody.body = json.dumps({"id": "run_1", "instructions": filler}).encode()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _BigBody)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    settings = CreateRunSettings(thread_id="thread_1", body='{"assistant_id": "asst_1"}')
    config = ConnectionConfig(base_url=base_url)
    execute_create_run(settings, config, environ=ENV)  # warm-up outside the trace
    tracemalloc.start()
    outcome = execute_create_run(settings, config, environ=ENV)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    httpd.shutdown()
    body = len(_BigBody.body)
    assert len(outcome.table["body"].iloc[0]) == body
    return [(f"(d) peak memory, one {body / 2**20:.0f} MiB body",
             f"{peak / 2**20:.1f} MiB ({peak / body:.2f}x the body)")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    rows = per_request(args.requests)
    rows += concurrent_rows(args.rows, args.latency_ms)
    rows += peak_memory()
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
