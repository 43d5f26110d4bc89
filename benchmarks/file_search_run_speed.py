"""What one ``file_search`` call adds to a run in ``serve`` (echo backend, embedded default).

The app is mounted in-process (ASGI transport) and driven by the official SDK, as a client
drives it: ``--runs`` runs of Create Thread and Run (polled every 5 ms) with an assistant
without tools, then as many with an assistant whose ``file_search`` searches a store of
``--documents`` small text documents. Prints the median and 95th percentile of each and the
difference of the medians (issue 16 asks for <= 50 ms).

    python benchmarks/file_search_run_speed.py [--runs 50] [--documents 200]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx2
import openai

from openai_assistants.server.app import create_app
from openai_assistants.server.backends.echo import EchoBackend
from openai_assistants.server.retrieval.library import Library
from openai_assistants.server.runs import Engine
from openai_assistants.server.store import SqliteStore

BASE = "http://serve.bench/v1"
TOPICS = ["harbour", "lighthouse", "ferry", "bakery", "market", "island", "pier", "keeper"]


def document(i: int) -> bytes:
    topic = TOPICS[i % len(TOPICS)]
    return (
        f"Note {i} about the {topic}. The {topic} number {i} opens at {i % 12 + 1} o'clock "
        f"and is run by person {i}. Visitors ask about the {topic} every day.\n"
    ).encode()


async def timed_runs(client: openai.AsyncOpenAI, assistant_id: str, runs: int) -> list[float]:
    times = []
    for i in range(runs):
        question = f"When does the {TOPICS[i % len(TOPICS)]} open?"
        started = time.perf_counter()
        run = await client.beta.threads.create_and_run_poll(
            assistant_id=assistant_id,
            thread={"messages": [{"role": "user", "content": question}]},
            poll_interval_ms=5,
        )
        times.append((time.perf_counter() - started) * 1000)
        assert run.status == "completed", run.last_error
    return times


async def measure(runs: int, documents: int) -> tuple[list[float], list[float]]:
    store = SqliteStore()
    engine = Engine(store, EchoBackend(0.0))
    library = Library.beside(store)
    app = create_app(engine, library=library)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        client = openai.AsyncOpenAI(api_key="sk-x", base_url=BASE, http_client=http)
        file_ids = []
        for i in range(documents):
            uploaded = await client.files.create(
                file=(f"note-{i}.txt", io.BytesIO(document(i))), purpose="assistants"
            )
            file_ids.append(uploaded.id)
        vector_store = await client.vector_stores.create(file_ids=file_ids)
        await library.wait_idle()
        plain = await client.beta.assistants.create(model="m")
        searching = await client.beta.assistants.create(
            model="m",
            tools=[{"type": "file_search"}],
            tool_resources={"file_search": {"vector_store_ids": [vector_store.id]}},
        )
        await timed_runs(client, plain.id, 3)  # warm up
        await timed_runs(client, searching.id, 3)
        return await timed_runs(client, plain.id, runs), await timed_runs(
            client, searching.id, runs
        )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args()
    plain, searching = asyncio.run(measure(args.runs, args.documents))
    for name, values in (("run without tools", plain), ("run with file_search", searching)):
        print(f"{name:<22} median {statistics.median(values):6.1f} ms  p95 {p95(values):6.1f} ms")
    added = statistics.median(searching) - statistics.median(plain)
    print(f"{'file_search adds':<22} {added:6.1f} ms (median; issue 16 asks for <= 50 ms)")


if __name__ == "__main__":
    main()
