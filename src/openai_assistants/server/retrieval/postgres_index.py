"""The search index in PostgreSQL: chunks ranked by PostgreSQL's own full-text search.

The same interface as :class:`.index.ChunkIndex` (SQLite FTS5), for ``serve --db
postgresql://...``: every instance on the database searches the same chunks.

**Tables** (migration 3 of :mod:`..store.postgres`): ``chunks`` (store, file, position, text,
and a generated ``tsvector`` of the text with a GIN index), ``chunk_documents`` (each file's
parsed text, for the file content endpoint) and, with pgvector, ``chunk_vectors``.

**The ``english`` configuration**, not ``simple``: documents searched by questions are mostly
prose, and ``english`` drops stop words ("the", "is", "what") and stems ("invoices" finds
"invoice"). PostgreSQL's rankings weigh every query word alike (they know no document
frequencies), so without dropping stop words a question's "the" and "of" would rank chunks as
high as its one rare word; and a GIN lookup of a stop word would match nearly every chunk.
Words of other languages are indexed as they are (lower case, not stemmed); accents count
(``unaccent`` is an extension we do not assume).

**Queries are never tsquery syntax.** A query (a bound parameter) is parsed as the chunks are,
``to_tsvector('english', %s)``, so its tokens are the chunks' ("3.14", "ada@example.com",
"example.com" one token each on both sides; stems; nothing for a stop word); each of its
lexemes, quoted by PostgreSQL itself (a one-lexeme ``tsvector`` as text), is joined with ``|``
(OR): a question finds the chunks that have any of its words, and quotes, ``&``, ``!``, ``:*``
in it are just text.

**Scores** are ``ts_rank`` (how often the query's words occur in the chunk) with normalisation
32, ``rank / (rank + 1)``, so in 0..1, best first. ``ts_rank_cd`` (cover density) was measured
too: about 7 times slower per ranked chunk (12 us against 1.7 us), for no better order with
OR queries, whose covers are single words.

**Fast on large stores**, as the FTS5 index is: ranking costs per matching chunk, and a
question's common words match most chunks. So the chunks ranked are those having the query's
rarest words, as many words as together are in at most about :data:`CANDIDATE_ROWS` chunks
(all words when these find fewer than ``limit`` chunks), ranked on all its words. How common a
word is comes from the statistics PostgreSQL keeps of the ``tsvector`` column (``ANALYZE``, which
autovacuum runs): its most common lexemes and their shares; a word not among them is rarer.
Until the table is first analysed every word counts as rare (all words are searched).

**Embeddings with pgvector** when the ``vector`` extension is installed in the database (it is
not a trusted extension: a superuser creates it; ``serve`` only looks in ``pg_extension`` and
then creates ``chunk_vectors`` itself). Without it, search is lexical only.
"""

from __future__ import annotations

import logging
import time
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from .index import MAX_QUERY_TERMS, Hit, rarest

log = logging.getLogger("openai_assistants.server")

CONFIG = "english"
INGEST_TIMEOUT_MS = 600_000  # one file's chunks may take longer than a request's statement
CANDIDATE_ROWS = 2000  # about how many chunks the rarest words may match (ranked ~2 us each)
STATISTICS_SECONDS = 60.0
VECTOR_LOCK = 0x6F61_7376  # pg_advisory_xact_lock key for creating chunk_vectors: "oasv"
QUERY_CHARACTERS = 100_000  # of a query, parsed (a tsvector holds at most 1 MB)


class PostgresChunkIndex:
    """Chunks, their text and optional vectors in the database of a
    :class:`~..store.postgres.PostgresStore` (``db``)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.supports_vectors = self._prepare_vectors()
        self._stats: tuple[float, dict[str, float]] | None = None

    def _prepare_vectors(self) -> bool:
        def prepare(conn: Any) -> bool:
            with conn.transaction():
                if not conn.execute(
                    "SELECT 1 FROM pg_extension WHERE extname = 'vector'"
                ).fetchone():
                    return False
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (VECTOR_LOCK,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS chunk_vectors ("
                    "chunk_id bigint PRIMARY KEY REFERENCES chunks (id) ON DELETE CASCADE, "
                    "embedding vector NOT NULL)"
                )
                return True

        return bool(self.db.run(prepare))

    def close(self) -> None:
        """Nothing of its own to close: the store's pool is closed with the store."""

    @property
    def chunk_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM chunks", write=False)[0][0])

    # writing

    def add(
        self, vector_store_id: str, file_id: str, text: str, chunks: Sequence[str]
    ) -> list[int]:
        """Index one file's chunks (replacing what the file had in this store); their IDs."""

        def add(conn: Any) -> list[int]:
            with conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {INGEST_TIMEOUT_MS}")
                _remove(conn, vector_store_id, file_id)
                with (
                    conn.cursor() as cursor,
                    cursor.copy(
                        "COPY chunks (vector_store_id, file_id, seq, text) FROM STDIN"
                    ) as copy,
                ):
                    for seq, chunk in enumerate(chunks):
                        copy.write_row((vector_store_id, file_id, seq, _clean(chunk)))
                conn.execute(
                    "INSERT INTO chunk_documents (vector_store_id, file_id, text) "
                    "VALUES (%s, %s, %s)",
                    (vector_store_id, file_id, _clean(text)),
                )
                rows = conn.execute(
                    "SELECT id FROM chunks WHERE vector_store_id = %s AND file_id = %s "
                    "ORDER BY seq",
                    (vector_store_id, file_id),
                ).fetchall()
                return [row[0] for row in rows]

        return self.db.run(add)

    def set_vectors(self, vector_store_id: str, vectors: Iterable[tuple[int, bytes]]) -> None:
        """Store embeddings (``float32`` bytes, normalised) of chunks already added."""
        if not self.supports_vectors:
            return
        rows = [(chunk_id, _literal(array("f", packed))) for chunk_id, packed in vectors]

        def put(conn: Any) -> None:
            with conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {INGEST_TIMEOUT_MS}")
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO chunk_vectors (chunk_id, embedding) "
                        "SELECT %s, %s::vector WHERE EXISTS (SELECT 1 FROM chunks WHERE id = %s) "
                        "ON CONFLICT (chunk_id) DO UPDATE SET embedding = excluded.embedding",
                        [(chunk_id, vector, chunk_id) for chunk_id, vector in rows],
                    )

        if rows:
            self.db.run(put)

    def remove_file(self, vector_store_id: str, file_id: str) -> None:
        """Forget one file of one store: chunks, text, vectors (one transaction)."""

        def remove(conn: Any) -> None:
            with conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {INGEST_TIMEOUT_MS}")
                _remove(conn, vector_store_id, file_id)

        self.db.run(remove)

    def remove_store(self, vector_store_id: str) -> None:
        """Forget every file of a store."""

        def remove(conn: Any) -> None:
            with conn.transaction():  # a large store's chunks take longer than a request's
                conn.execute(f"SET LOCAL statement_timeout = {INGEST_TIMEOUT_MS}")
                _remove(conn, vector_store_id, None)

        self.db.run(remove)

    def sweep(self) -> int:
        """Remove chunks and texts whose vector-store file object is gone (an instance killed
        between deleting the object and its chunks); how many chunks."""

        def sweep(conn: Any) -> int:
            with conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {INGEST_TIMEOUT_MS}")
                orphan = (
                    "NOT EXISTS (SELECT 1 FROM objects o WHERE o.kind = 'vector_store_file' "
                    "AND o.id = {t}.vector_store_id || ':' || {t}.file_id)"
                )
                conn.execute(f"DELETE FROM chunk_documents d WHERE {orphan.format(t='d')}")
                return conn.execute(f"DELETE FROM chunks c WHERE {orphan.format(t='c')}").rowcount

        return int(self.db.run(sweep))

    # reading

    def document(self, vector_store_id: str, file_id: str) -> str | None:
        """The parsed text of one file of a store (``None``: not indexed)."""
        rows = self.db.execute(
            "SELECT text FROM chunk_documents WHERE vector_store_id = %s AND file_id = %s",
            (vector_store_id, file_id),
            write=False,
        )
        return rows[0][0] if rows else None

    def chunk_ids(self, vector_store_id: str, file_id: str) -> list[int]:
        rows = self.db.execute(
            "SELECT id FROM chunks WHERE vector_store_id = %s AND file_id = %s ORDER BY seq",
            (vector_store_id, file_id),
            write=False,
        )
        return [row[0] for row in rows]

    def search(
        self,
        vector_store_ids: Sequence[str],
        query: str,
        *,
        limit: int,
        file_ids: Sequence[str] | None = None,
    ) -> list[Hit]:
        """The ``limit`` best chunks of the stores for ``query``, best first, scores in 0..1
        (``file_ids``, when given: only those files)."""
        if not vector_store_ids or (file_ids is not None and not file_ids):
            return []
        # the query's lexemes as PostgreSQL makes the chunks' (the same parser: "3.14",
        # "ada@example.com", "example.com" are one token each, in a question as in a chunk;
        # stemmed; stop words dropped), first seen first, at most 64; each quoted by
        # PostgreSQL itself (a one-lexeme tsvector as text), never parsed as query syntax
        found = self.db.execute(
            f"SELECT lexeme, array_to_tsvector(ARRAY[lexeme])::text "
            f"FROM unnest(to_tsvector('{CONFIG}', %s)) ORDER BY positions[1], lexeme LIMIT %s",
            (_clean(query[:QUERY_CHARACTERS]), MAX_QUERY_TERMS),
            write=False,
        )
        lexemes = {part: lexeme for lexeme, part in found}
        parts = list(lexemes)
        if not parts:
            return []  # only stop words, or no words at all
        rows_with = self._frequencies()
        selective = rarest(parts, lambda part: rows_with.get(lexemes[part], 0), CANDIDATE_ROWS)
        hits = self._ranked(vector_store_ids, selective, parts, limit, file_ids)
        if len(hits) < limit and len(selective) < len(parts):
            hits = self._ranked(vector_store_ids, parts, parts, limit, file_ids)
        return hits

    def _ranked(
        self,
        vector_store_ids: Sequence[str],
        matching: list[str],
        ranking: list[str],
        limit: int,
        file_ids: Sequence[str] | None,
    ) -> list[Hit]:
        """The chunks having any of the ``matching`` words, ranked on all ``ranking`` words.

        The words are lexemes PostgreSQL quoted itself, joined with ``|`` (OR), each in
        parentheses."""
        where = "vector_store_id = ANY(%s) AND tsv @@ %s::tsquery"
        args: list[Any] = [list(vector_store_ids), _any(matching)]
        if file_ids is not None:
            where += " AND file_id = ANY(%s)"
            args.append(list(file_ids))
        rows = self.db.execute(
            "SELECT id, vector_store_id, file_id, seq, text, "
            f"ts_rank(tsv, %s::tsquery, 32) AS rank FROM chunks WHERE {where} "
            "ORDER BY rank DESC, id LIMIT %s",
            (_any(ranking), *args, limit),
            write=False,
        )
        return [
            Hit(row[0], row[1], row[2], row[3], row[4], min(1.0, max(0.0, float(row[5]))))
            for row in rows
            if row[5] > 0
        ]

    def _frequencies(self) -> dict[str, float]:
        """About how many chunks each common word is in, from the statistics PostgreSQL keeps
        of the ``tsvector`` column (``ANALYZE``, run by autovacuum): its most common lexemes
        and their shares of the rows. A word not among them is rarer than all of them.
        Read at most every :data:`STATISTICS_SECONDS`."""
        now = time.monotonic()
        if self._stats is not None and now - self._stats[0] < STATISTICS_SECONDS:
            return self._stats[1]
        rows = self.db.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.oid = 'chunks'::regclass "
            "WHERE s.schemaname = current_schema() AND s.tablename = 'chunks' "
            "AND s.attname = 'tsv'",
            write=False,
        )
        counts: dict[str, float] = {}
        if rows and rows[0][0] and rows[0][1]:
            elements, shares, total = rows[0]
            counts = {
                element: share * max(0.0, float(total))
                for element, share in zip(elements, shares, strict=False)
            }
        self._stats = (now, counts)
        return counts

    def vector_search(
        self,
        vector_store_ids: Sequence[str],
        query_vector: Sequence[float],
        *,
        limit: int,
        file_ids: Sequence[str] | None = None,
    ) -> list[Hit]:
        """The ``limit`` chunks nearest to ``query_vector`` (cosine), scores in 0..1."""
        if not self.supports_vectors or not vector_store_ids or not query_vector:
            return []
        if file_ids is not None and not file_ids:
            return []
        vector = _literal(query_vector)
        where = "c.vector_store_id = ANY(%s) AND vector_dims(v.embedding) = %s"
        args: list[Any] = [list(vector_store_ids), len(query_vector)]
        if file_ids is not None:
            where += " AND c.file_id = ANY(%s)"
            args.append(list(file_ids))
        rows = self.db.execute(
            "SELECT c.id, c.vector_store_id, c.file_id, c.seq, c.text, "
            "1 - (v.embedding <=> %s::vector) AS similarity FROM chunk_vectors v "
            f"JOIN chunks c ON c.id = v.chunk_id WHERE {where} "
            "ORDER BY v.embedding <=> %s::vector, c.id LIMIT %s",
            (vector, *args, vector, limit),
            write=False,
        )
        return [
            Hit(row[0], row[1], row[2], row[3], row[4], min(1.0, max(0.0, float(row[5] or 0))))
            for row in rows
        ]


def _any(parts: list[str]) -> str:
    return " | ".join(f"( {part} )" for part in parts)


def _remove(conn: Any, vector_store_id: str, file_id: str | None) -> None:
    where, args = "vector_store_id = %s", (vector_store_id,)
    if file_id is not None:
        where, args = where + " AND file_id = %s", (*args, file_id)
    conn.execute(f"DELETE FROM chunks WHERE {where}", args)  # vectors go along (cascade)
    conn.execute(f"DELETE FROM chunk_documents WHERE {where}", args)


def _clean(text: str) -> str:
    """PostgreSQL text holds no NUL characters."""
    return text.replace("\x00", "") if "\x00" in text else text


def _literal(vector: Sequence[float]) -> str:
    """A vector as pgvector's text form, ``[x,y,...]``."""
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"
