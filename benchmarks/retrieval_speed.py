"""How fast ``serve`` ingests documents and searches them (embedded default: BM25 on FTS5).

Prints a table. Measured in-process, without HTTP (the routes add a fixed ~1 ms):

- ingestion: ``--documents`` text documents of together ``--mib`` MiB (English-like text from
  a Zipf vocabulary) uploaded to the blob store and added to one vector store with the
  ``auto`` strategy (800-token chunks, 400 overlap), until every file is ``completed``:
  extraction, chunking, FTS5 indexing, counting; in MiB/s (issue 16 asks for >= 2);
- search: ``--chunks`` chunks of ~80 words in one store, ``--queries`` questions of 8 words
  (common and rare words mixed, as a question is), ``max_num_results`` 10: median and 95th
  percentile in ms (issue 16 asks for a median <= 30 ms over 100 000 chunks).

Each figure is given twice: by the wall clock, and by the CPU time this process used (all its
threads). On a machine shared with other work the CPU figure is what the code costs; on an
idle machine the two agree.

    python benchmarks/retrieval_speed.py [--documents 200] [--mib 10] [--chunks 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import itertools
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from openai_assistants.server.retrieval.chunking import ChunkingStrategy
from openai_assistants.server.retrieval.index import ChunkIndex
from openai_assistants.server.retrieval.library import FILE, STORE, Library
from openai_assistants.server.store import SqliteStore


class Words:
    """English-like text: a Zipf-distributed vocabulary of 30 000 made-up words."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        letters = "abcdefghijklmnopqrstuvwxyz"
        self.vocabulary = [
            "".join(self.rng.choice(letters) for _ in range(self.rng.randint(2, 10)))
            for _ in range(30_000)
        ]
        self.cumulative = list(itertools.accumulate(1 / (i + 1) for i in range(30_000)))

    def take(self, count: int) -> list[str]:
        return self.rng.choices(self.vocabulary, cum_weights=self.cumulative, k=count)

    def text(self, size: int) -> str:
        parts, length = [], 0
        while length < size:
            sentence = " ".join(self.take(12)).capitalize() + ". "
            parts.append(sentence)
            length += len(sentence)
        return "".join(parts)[:size]


async def ingest(documents: int, mib: float, words: Words) -> tuple[float, float, int]:
    store = SqliteStore()
    library = Library(store)
    try:
        return await ingest_into(library, documents, mib, words)
    finally:
        await library.stop()


async def ingest_into(
    library: Library, documents: int, mib: float, words: Words
) -> tuple[float, float, int]:
    """Upload ``documents`` texts of together ``mib`` MiB into one vector store of the library
    and wait until every file is ``completed``: (MiB/s by wall clock, MiB/s by CPU, chunks)."""
    store = library.store
    size = int(mib * 1024 * 1024 / documents)
    texts = [words.text(size).encode() for _ in range(documents)]
    store.insert(
        STORE,
        {"id": "vs_bench", "object": "vector_store", "status": "completed", "file_counts": {}},
    )
    started, cpu = time.perf_counter(), time.process_time()
    for number, data in enumerate(texts):
        file = {"id": f"file-{number}", "object": "file", "filename": f"doc{number}.txt"}
        writer = library.blobs.writer(file["id"], len(data))
        for step in (writer.write(data), writer.commit()):
            if inspect.isawaitable(step):  # a database's blob store writes on a worker thread
                await step
        store.insert(FILE, file)
        library.add_file("vs_bench", file, ChunkingStrategy(), None)
    await library.wait_idle()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    vector_store = store.get(STORE, "vs_bench") or {}
    assert vector_store["file_counts"]["completed"] == documents, vector_store
    total = sum(len(t) for t in texts) / (1024 * 1024)
    return total / elapsed, total / cpu, library.index.chunk_count


def search(chunks: int, queries: int, words: Words) -> tuple[list[float], list[float], float]:
    index = ChunkIndex()
    try:
        return time_searches(index, chunks, queries, words)
    finally:
        index.close()


def time_searches(
    index: Any,
    chunks: int,
    queries: int,
    words: Words,
    prepare: Callable[[], None] = lambda: None,
) -> tuple[list[float], list[float], float]:
    """Fill one store of the index with ``chunks`` chunks of ~80 words (``prepare`` then, e.g.
    the database's statistics), and time ``queries`` questions of 8 words: (wall ms sorted,
    CPU ms sorted, seconds the filling took)."""
    started = time.perf_counter()
    per_file = 1000
    for first in range(0, chunks, per_file):
        texts = [" ".join(words.take(80)) for _ in range(min(per_file, chunks - first))]
        index.add("vs_bench", f"file-{first}", "", texts)
    prepare()
    build = time.perf_counter() - started
    questions = [" ".join(words.take(8)) for _ in range(queries)]
    for question in questions[:5]:  # warm the caches
        index.search(["vs_bench"], question, limit=10)
    wall, cpu = [], []
    for question in questions:
        began, began_cpu = time.perf_counter(), time.process_time()
        index.search(["vs_bench"], question, limit=10)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return sorted(wall), sorted(cpu), build


def percentile(values: list[float], share: float) -> float:
    return statistics.median(values) if share == 0.5 else values[int(len(values) * share) - 1]


def print_table(
    header: tuple[str, str, str, str],
    args: argparse.Namespace,
    made: int,
    rates: tuple[float, float],
    times: tuple[list[float], list[float]],
    build: float,
) -> None:
    """The figures as a table: ingestion by wall clock and CPU, search percentiles."""
    (rate, cpu_rate), (wall, cpu) = rates, times
    rows = [
        header,
        (
            f"ingest {args.documents} documents, {args.mib:g} MiB ({made} chunks)",
            f"{rate:.1f} MiB/s",
            f"{cpu_rate:.1f} MiB/s",
            ">= 2 MiB/s",
        ),
        (
            f"search {args.chunks} chunks, median",
            f"{percentile(wall, 0.5):.1f} ms",
            f"{percentile(cpu, 0.5):.1f} ms",
            "<= 30 ms",
        ),
        (
            f"search {args.chunks} chunks, 95th percentile",
            f"{percentile(wall, 0.95):.1f} ms",
            f"{percentile(cpu, 0.95):.1f} ms",
            "",
        ),
        (f"(building the {args.chunks}-chunk index)", f"{build:.1f} s", "", ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--mib", type=float, default=10.0)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    words = Words()
    rate, cpu_rate, made = asyncio.run(ingest(args.documents, args.mib, words))
    wall, cpu, build = search(args.chunks, args.queries, words)
    print_table(
        ("what", "wall clock", "CPU time", "target"),
        args,
        made,
        (rate, cpu_rate),
        (wall, cpu),
        build,
    )


if __name__ == "__main__":
    main()
