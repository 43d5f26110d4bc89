"""How much time ``openai-assistants serve`` adds to a run. Prints a table.

A fake Chat Completions endpoint on loopback (its own process) answers every call after
``--latency-ms`` (default 50 ms). ``serve`` runs as another process (``--backend
chat-completions``, in-memory store) in front of it; the clients are this process. Measured:

- the model endpoint called directly (one streamed POST /chat/completions at a time, as
  serve calls it for a streamed run), median;
- one run through serve: ``POST /threads/{id}/runs`` with ``"stream": true`` until ``[DONE]``
  (queued, in progress, the model call, the message, completed), median of ``--runs``;
  the difference is the server's added time per run;
- ``--runs`` runs at concurrency ``--concurrency`` (default 20), wall time, against the
  ideal runs / concurrency x latency.

    python benchmarks/serve_speed.py [--runs 100] [--concurrency 20] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

KEY = "sk-bench"
HEADERS = {"Authorization": f"Bearer {KEY}", "OpenAI-Beta": "assistants=v2"}


def fake_model(latency: float) -> Starlette:
    """POST /v1/chat/completions: a short answer after ``latency`` seconds (or a stream)."""

    async def complete(request: Request) -> Response:
        body = await request.json()
        await asyncio.sleep(latency)
        usage = {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
        if body.get("stream"):

            async def chunks():
                for delta in ({"role": "assistant"}, {"content": "Hello "}, {"content": "there."}):
                    yield f"data: {json.dumps({'choices': [{'index': 0, 'delta': delta}]})}\n\n"
                yield f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n"
                yield "data: [DONE]\n\n"

            return StreamingResponse(chunks(), media_type="text/event-stream")
        message = {"role": "assistant", "content": "Hello there."}
        return JSONResponse({"choices": [{"index": 0, "message": message}], "usage": usage})

    return Starlette(routes=[Route("/v1/chat/completions", complete, methods=["POST"])])


def start(command: list[str]) -> tuple[subprocess.Popen, str]:
    """A server process and the URL it prints first."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "BENCH_KEY": KEY},
    )
    ready, _, _ = select.select([process.stdout], [], [], 20)
    if not ready:
        process.kill()
        raise SystemExit(f"{command} did not start")
    return process, process.stdout.readline().strip()


def serve_fake_model(latency: float) -> None:
    """``--fake-model-only``: serve the fake model in this process until terminated."""
    from openai_assistants.server.runner import Server, base_url, bind_socket, uvicorn_config

    sock = bind_socket("127.0.0.1", 0)
    server = Server(
        uvicorn_config(fake_model(latency), graceful_seconds=1.0),
        on_started=lambda: print(base_url(sock), flush=True),
    )
    server.run(sockets=[sock])


def one_run(http: httpx.Client, thread_id: str, assistant_id: str) -> float:
    started = time.perf_counter()
    with http.stream(
        "POST",
        f"/threads/{thread_id}/runs",
        json={"assistant_id": assistant_id, "stream": True},
    ) as response:
        text = "".join(response.iter_text())
    elapsed = time.perf_counter() - started
    if "event: thread.run.completed" not in text or not text.rstrip().endswith("[DONE]"):
        raise SystemExit(f"a run did not complete: {text[-300:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--fake-model-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    if args.fake_model_only:
        serve_fake_model(latency)
        return
    model, model_url = start(
        [sys.executable, __file__, "--fake-model-only", "--latency-ms", str(args.latency_ms)]
    )
    try:
        direct_url = model_url + "/chat/completions"
        # streamed, as serve calls the model for a streamed run
        body = {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
        with httpx.Client(timeout=30) as direct:

            def call() -> None:
                with direct.stream("POST", direct_url, json=body) as answer:
                    if "[DONE]" not in "".join(answer.iter_text()):
                        raise SystemExit("the fake model's stream did not end with [DONE]")

            call()  # warm up the connection
            direct_times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                call()
                direct_times.append(time.perf_counter() - started)
        process, url = start(
            [sys.executable, "-m", "openai_assistants", "serve", "--port", "0", "--quiet",
             "--model-base-url", model_url, "--api-key-env", "BENCH_KEY"]
        )  # fmt: skip
        try:
            limits = httpx.Limits(max_connections=args.concurrency + 5)
            with httpx.Client(base_url=url, headers=HEADERS, timeout=60, limits=limits) as http:
                assistant = http.post("/assistants", json={"model": "m"}).json()["id"]

                def thread() -> str:
                    messages = [{"role": "user", "content": "Hi"}]
                    return http.post("/threads", json={"messages": messages}).json()["id"]

                one_run(http, thread(), assistant)  # warm up
                threads = [thread() for _ in range(args.runs)]
                run_times = [one_run(http, t, assistant) for t in threads]
                threads = [thread() for _ in range(args.runs)]
                with ThreadPoolExecutor(args.concurrency) as pool:
                    started = time.perf_counter()
                    list(pool.map(lambda t: one_run(http, t, assistant), threads))
                    wall = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=15)
    finally:
        model.terminate()
        model.wait(timeout=15)
    direct_ms = statistics.median(direct_times) * 1000
    run_ms = statistics.median(run_times) * 1000
    ideal = args.runs / args.concurrency * latency
    print(f"model endpoint latency {args.latency_ms:g} ms, {args.runs} runs")
    print(f"{'what':<48} {'figure':>12}")
    print(f"{'direct streamed POST /chat/completions, median':<48} {direct_ms:>9.1f} ms")
    print(f"{'one streamed run through serve, median':<48} {run_ms:>9.1f} ms")
    print(f"{'added by serve per run, median':<48} {run_ms - direct_ms:>9.1f} ms")
    p90 = statistics.quantiles(run_times, n=10)[-1] * 1000 - direct_ms
    print(f"{'added by serve per run, 90th percentile':<48} {p90:>9.1f} ms")
    print(
        f"{f'{args.runs} runs at concurrency {args.concurrency}, wall time':<48} "
        f"{wall:>10.2f} s  (ideal {ideal:.2f} s, {wall / ideal:.2f}x)"
    )


if __name__ == "__main__":
    main()
