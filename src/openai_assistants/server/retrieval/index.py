"""The search index: chunks of vector-store files in SQLite FTS5, ranked with BM25.

One table row per chunk (its vector store, file and position) and the chunk's text in an FTS5
table with the same rowid; the parsed text of every file is kept too, for the API's file
content endpoint. Deleting a file or a store deletes all three, so nothing is left orphaned.

**Queries are never FTS syntax.** A query is cut into words the way FTS5's ``unicode61``
tokenizer does (letters and digits, lower case, without diacritics), every word becomes a quoted
string, and the words are joined with ``OR``: a question ranks every chunk that shares any of
its words, and quotes, ``AND``, ``NEAR``, ``*`` or ``:`` in it are just text.

**Scores are in 0..1** and mean the same across queries: BM25 (k1 = 1.2, b = 0.75, Lucene's
IDF) divided by the highest BM25 the query's words could reach, ``(k1 + 1)`` times the sum of
their IDFs (each word's term-frequency part stays below ``k1 + 1``). A chunk that has every word
often scores near 1, one with a single rare word of three about a third. Words in no chunk at
all count for nothing.

**Fast on large stores**: FTS5 ranking costs a few microseconds per matched row, and a
question's common words ("the", "is") match nearly every row. So candidates come from FTS5 with
the query's rarest words only, as many as together are in at most :data:`CANDIDATE_ROWS` chunks
(all words when the rare ones find too few), and these candidates are scored in Python with
every word of the query. Document frequencies come from FTS5's vocabulary table, those of common
words from a cache (see :meth:`ChunkIndex._document_frequencies`). Chunk lengths for BM25 are in
characters. The FTS5 table keeps no positions (``detail=none``): only single words are ever
matched, and term frequencies are counted in Python on the candidates.

Optional embeddings live in a third table (``float32`` blobs, normalised) and are searched by
cosine similarity with numpy, loaded on first use.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

K1 = 1.2
B = 0.75
MAX_QUERY_TERMS = 64
CANDIDATE_ROWS = 2000  # rows the candidate query may match (FTS5 ranks ~300 000 rows/s)
MIN_CANDIDATES = 50
CACHED_FROM = 1000  # chunks a word must be in for its count to be cached

SCHEMA = """
CREATE TABLE IF NOT EXISTS retrieval_chunks (
    id INTEGER PRIMARY KEY,
    vector_store_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    length INTEGER NOT NULL  -- characters: the chunk length BM25 normalises by
);
CREATE INDEX IF NOT EXISTS retrieval_chunks_by_file
    ON retrieval_chunks (vector_store_id, file_id, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS retrieval_fts
    USING fts5(text, tokenize = 'unicode61 remove_diacritics 2', detail = none);
CREATE VIRTUAL TABLE IF NOT EXISTS retrieval_vocab USING fts5vocab(retrieval_fts, 'row');
CREATE TABLE IF NOT EXISTS retrieval_documents (
    vector_store_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (vector_store_id, file_id)
);
CREATE TABLE IF NOT EXISTS retrieval_vectors (
    chunk_id INTEGER PRIMARY KEY,
    vector BLOB NOT NULL
);
"""
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Hit:
    """One ranked chunk."""

    chunk_id: int
    vector_store_id: str
    file_id: str
    seq: int
    text: str
    score: float


def query_terms(query: str) -> list[str]:
    """The distinct words of a query as FTS5's ``unicode61 remove_diacritics 2`` sees them."""
    terms: list[str] = []
    for word in words(query):
        if word not in terms:
            terms.append(word)
            if len(terms) == MAX_QUERY_TERMS:
                break
    return terms


def match_expression(terms: Iterable[str]) -> str:
    """The FTS5 query for "any of these words": each a quoted string, joined with OR."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def words(text: str) -> list[str]:
    """All words of a text as FTS5's ``unicode61 remove_diacritics 2`` tokenizer cuts them."""
    folded = unicodedata.normalize("NFKD", text.lower())
    if not folded.isascii():
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _WORD.findall(folded)


def rarest(terms: Iterable[str], rows_with: Callable[[str], float], budget: float) -> list[str]:
    """The query's rarest words, as many as are together in at most ``budget`` chunks (the
    rarest one always): the words that choose a search's candidates, so a word that is in
    most chunks does not make every chunk one (both indexes rank their candidates on all
    the words afterwards)."""
    chosen: list[str] = []
    total = 0.0
    for term in sorted(terms, key=rows_with):
        if chosen and total + rows_with(term) > budget:
            break
        chosen.append(term)
        total += rows_with(term)
    return chosen


def bm25(text: str, weights: dict[str, float], average_length: float) -> float:
    """BM25 of one chunk for words with these IDFs (FTS5's formula, k1 = 1.2, b = 0.75)."""
    counts: dict[str, int] = {}
    for token in words(text):
        if token in weights:
            counts[token] = counts.get(token, 0) + 1
    norm = K1 * (1 - B + B * len(text) / (average_length or 1.0))
    return sum(weights[t] * n * (K1 + 1) / (n + norm) for t, n in counts.items())


def idf(rows: int, with_term: int) -> float:
    """The IDF of a word found in ``with_term`` of ``rows`` chunks (Lucene's, always > 0).

    FTS5's own IDF is 1e-6 for a word in more than half the rows, which in a small store
    (one file, a few chunks) would score every chunk near 0; Lucene's ``log(1 + ...)`` keeps
    such words worth a little, and ranks rare words far above common ones all the same.
    """
    return math.log(1 + (rows - with_term + 0.5) / (with_term + 0.5))


class ChunkIndex:
    """Chunks, their text and optional vectors in one SQLite database (a file or memory).

    One connection behind a lock; ingestion calls :meth:`add` from a worker thread, so a large
    file is indexed without holding up the server's event loop for longer than one insert.
    """

    supports_vectors = True  # embeddings are kept beside the chunks (searched with numpy)

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        """``read_only``: open an existing index file without writing to it (the object
        store beside it could not be opened for writing, so nothing new can be ingested)."""
        self._lock = threading.Lock()
        if read_only and path is not None:
            target = f"file:{urllib.parse.quote(str(Path(path).absolute()))}?mode=ro"
            self._db = sqlite3.connect(
                target, uri=True, check_same_thread=False, isolation_level=None
            )
        else:
            target = ":memory:" if path is None else str(path)
            self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout = 10000")
        if path is not None and not read_only:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        if not read_only:
            self._db.executescript(SCHEMA)
        self._rows, self._tokens = self._db.execute(
            "SELECT count(*), coalesce(sum(length), 0) FROM retrieval_chunks"
        ).fetchone()
        self._matrices: dict[str, Any] = {}
        self._frequencies: dict[str, int] = {}
        self._cached_rows = self._rows

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def chunk_count(self) -> int:
        return self._rows

    # writing

    def add(
        self, vector_store_id: str, file_id: str, text: str, chunks: Sequence[str]
    ) -> list[int]:
        """Index one file's chunks (replacing what the file had in this store); their IDs."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._remove(vector_store_id, file_id)
                first = self._db.execute(
                    "SELECT coalesce(max(id), 0) + 1 FROM retrieval_chunks"
                ).fetchone()[0]
                ids = list(range(first, first + len(chunks)))
                lengths = [len(chunk) for chunk in chunks]
                self._db.executemany(
                    "INSERT INTO retrieval_chunks (id, vector_store_id, file_id, seq, length) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(i, vector_store_id, file_id, seq, lengths[seq]) for seq, i in enumerate(ids)],
                )
                self._db.executemany(
                    "INSERT INTO retrieval_fts (rowid, text) VALUES (?, ?)",
                    zip(ids, chunks, strict=True),
                )
                self._db.execute(
                    "INSERT INTO retrieval_documents (vector_store_id, file_id, text) "
                    "VALUES (?, ?, ?)",
                    (vector_store_id, file_id, text),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._rows, self._tokens = self._db.execute(
                    "SELECT count(*), coalesce(sum(length), 0) FROM retrieval_chunks"
                ).fetchone()
                raise
            self._rows += len(ids)
            self._tokens += sum(lengths)
            self._matrices.pop(vector_store_id, None)
            return ids

    def set_vectors(self, vector_store_id: str, vectors: Iterable[tuple[int, bytes]]) -> None:
        """Store embeddings (``float32`` bytes, normalised) of chunks already added."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO retrieval_vectors (chunk_id, vector) VALUES (?, ?)",
                vectors,
            )
            self._db.execute("COMMIT")
            self._matrices.pop(vector_store_id, None)

    def remove_file(self, vector_store_id: str, file_id: str) -> None:
        """Forget one file of one store: chunks, index entries, text, vectors."""
        with self._lock:
            self._db.execute("BEGIN")
            self._remove(vector_store_id, file_id)
            self._db.execute("COMMIT")
            self._matrices.pop(vector_store_id, None)

    def remove_store(self, vector_store_id: str) -> None:
        """Forget every file of a store."""
        with self._lock:
            self._db.execute("BEGIN")
            self._remove(vector_store_id, None)
            self._db.execute("COMMIT")
            self._matrices.pop(vector_store_id, None)

    def _remove(self, vector_store_id: str, file_id: str | None) -> None:
        if (
            file_id is not None
            and not self._db.execute(
                "SELECT 1 FROM retrieval_chunks WHERE vector_store_id = ? AND file_id = ? LIMIT 1",
                (vector_store_id, file_id),
            ).fetchone()
        ):
            self._db.execute(
                "DELETE FROM retrieval_documents WHERE vector_store_id = ? AND file_id = ?",
                (vector_store_id, file_id),
            )
            return
        where, args = "vector_store_id = ?", (vector_store_id,)
        if file_id is not None:
            where, args = where + " AND file_id = ?", (*args, file_id)
        chunks = f"SELECT id FROM retrieval_chunks WHERE {where}"
        self._db.execute(f"DELETE FROM retrieval_fts WHERE rowid IN ({chunks})", args)
        self._db.execute(f"DELETE FROM retrieval_vectors WHERE chunk_id IN ({chunks})", args)
        count, length = self._db.execute(
            f"SELECT count(*), coalesce(sum(length), 0) FROM retrieval_chunks WHERE {where}", args
        ).fetchone()
        self._db.execute(f"DELETE FROM retrieval_chunks WHERE {where}", args)
        self._db.execute(f"DELETE FROM retrieval_documents WHERE {where}", args)
        self._rows -= count
        self._tokens -= length

    # reading

    def document(self, vector_store_id: str, file_id: str) -> str | None:
        """The parsed text of one file of a store (``None``: not indexed)."""
        with self._lock:
            row = self._db.execute(
                "SELECT text FROM retrieval_documents WHERE vector_store_id = ? AND file_id = ?",
                (vector_store_id, file_id),
            ).fetchone()
        return None if row is None else row[0]

    def chunk_ids(self, vector_store_id: str, file_id: str) -> list[int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM retrieval_chunks WHERE vector_store_id = ? AND file_id = ? "
                "ORDER BY seq",
                (vector_store_id, file_id),
            ).fetchall()
        return [row[0] for row in rows]

    def search(
        self,
        vector_store_ids: Sequence[str],
        query: str,
        *,
        limit: int,
        file_ids: Sequence[str] | None = None,
    ) -> list[Hit]:
        """The ``limit`` best chunks of the stores for ``query``, best first, scores in 0..1.

        ``file_ids`` (when given) restricts the search to those files, e.g. the ones an
        attribute filter let through. Candidates come from FTS5 with the query's rarest words
        (their rows together at most :data:`CANDIDATE_ROWS`, see the module's description);
        the candidates are then scored with BM25 on all the query's words.
        """
        terms = query_terms(query)
        if not terms or not vector_store_ids or (file_ids is not None and not file_ids):
            return []
        with self._lock:
            rows = self._rows
            found = self._document_frequencies(terms, rows)
            present = [term for term in terms if found.get(term)]
            if not present:
                return []
            weights = {term: idf(rows, found[term]) for term in present}
            selective = rarest(present, found.__getitem__, CANDIDATE_ROWS)
            wanted = max(limit * 4, MIN_CANDIDATES)
            sql, args = self._candidate_sql(vector_store_ids, file_ids)
            candidates = self._db.execute(
                sql, (match_expression(selective), *args, wanted)
            ).fetchall()
            if len(candidates) < wanted and len(selective) < len(present):
                # the rare words are in few chunks: the others may fill the list
                candidates = self._db.execute(
                    sql, (match_expression(present), *args, wanted)
                ).fetchall()
            hits = self._hits([(row[0], 0.0) for row in candidates])
            average = self._tokens / rows if rows else 1.0
            best_possible = (K1 + 1) * sum(weights.values())
            scored = [
                replace(hit, score=min(1.0, bm25(hit.text, weights, average) / best_possible))
                for hit in hits
            ]
        scored.sort(key=lambda hit: (-hit.score, hit.chunk_id))
        return [hit for hit in scored[:limit] if hit.score > 0]

    def _document_frequencies(self, terms: list[str], rows: int) -> dict[str, int]:
        """In how many chunks each word is (the lock is held).

        FTS5's vocabulary table counts by reading the word's whole posting list, which for a
        common word in a large index takes milliseconds; so counts of :data:`CACHED_FROM` and
        more are kept until the index has grown or shrunk by a tenth (a common word's IDF
        hardly moves meanwhile). Rare words are counted afresh, cheaply, every time.
        """
        if abs(rows - self._cached_rows) > self._cached_rows // 10:
            self._frequencies.clear()
            self._cached_rows = rows
        found: dict[str, int] = {}
        for term in terms:
            count = self._frequencies.get(term)
            if count is None:
                row = self._db.execute(
                    "SELECT doc FROM retrieval_vocab WHERE term = ?", (term,)
                ).fetchone()
                count = row[0] if row else 0
                if count >= CACHED_FROM:
                    self._frequencies[term] = count
            if count:
                found[term] = count
        return found

    @staticmethod
    def _candidate_sql(
        vector_store_ids: Sequence[str], file_ids: Sequence[str] | None
    ) -> tuple[str, tuple[Any, ...]]:
        where = f"c.vector_store_id IN ({', '.join('?' for _ in vector_store_ids)})"
        args: tuple[Any, ...] = tuple(vector_store_ids)
        if file_ids is not None:
            where += f" AND c.file_id IN ({', '.join('?' for _ in file_ids)})"
            args = (*args, *file_ids)
        sql = (
            "SELECT retrieval_fts.rowid FROM retrieval_fts "
            "JOIN retrieval_chunks AS c ON c.id = retrieval_fts.rowid "
            f"WHERE retrieval_fts MATCH ? AND {where} ORDER BY bm25(retrieval_fts) LIMIT ?"
        )
        return sql, args

    def _hits(self, scored: list[tuple[int, float]]) -> list[Hit]:
        """Look up the chunks of ``(id, score)`` pairs (the lock is held)."""
        if not scored:
            return []
        marks = ", ".join("?" for _ in scored)
        rows = self._db.execute(
            "SELECT c.id, c.vector_store_id, c.file_id, c.seq, f.text FROM retrieval_chunks c "
            f"JOIN retrieval_fts f ON f.rowid = c.id WHERE c.id IN ({marks})",
            [chunk_id for chunk_id, _ in scored],
        ).fetchall()
        by_id = {row[0]: row for row in rows}
        hits = []
        for chunk_id, score in scored:
            row = by_id.get(chunk_id)
            if row is not None:
                hits.append(
                    Hit(chunk_id, row[1], row[2], row[3], row[4], min(1.0, max(0.0, score)))
                )
        return hits

    def vector_search(
        self,
        vector_store_ids: Sequence[str],
        query_vector: Sequence[float],
        *,
        limit: int,
        file_ids: Sequence[str] | None = None,
    ) -> list[Hit]:
        """The ``limit`` chunks nearest to ``query_vector`` (cosine), scores in 0..1."""
        import numpy as np  # only with embeddings configured

        query = np.asarray(query_vector, dtype=np.float32)
        norm = float(np.linalg.norm(query))
        if not norm:
            return []
        query /= norm
        allowed = None if file_ids is None else set(file_ids)
        scored: list[tuple[int, float]] = []
        with self._lock:
            for store_id in vector_store_ids:
                ids, files, matrix = self._matrix(store_id)
                if matrix is None or matrix.shape[1] != query.shape[0]:
                    continue
                similarity = matrix @ query
                if allowed is not None:
                    keep = np.fromiter((f in allowed for f in files), dtype=bool, count=len(files))
                    similarity = np.where(keep, similarity, -2.0)
                top = np.argsort(-similarity)[:limit]
                scored.extend(
                    (ids[i], max(0.0, float(similarity[i]))) for i in top if similarity[i] > -2.0
                )
            scored.sort(key=lambda pair: -pair[1])
            return self._hits(scored[:limit])

    def _matrix(self, vector_store_id: str) -> tuple[list[int], list[str], Any]:
        cached = self._matrices.get(vector_store_id)
        if cached is not None:
            return cached
        import numpy as np

        rows = self._db.execute(
            "SELECT c.id, c.file_id, v.vector FROM retrieval_chunks c "
            "JOIN retrieval_vectors v ON v.chunk_id = c.id WHERE c.vector_store_id = ? "
            "ORDER BY c.id",
            (vector_store_id,),
        ).fetchall()
        if not rows:
            entry: tuple[list[int], list[str], Any] = ([], [], None)
        else:
            vectors = [np.frombuffer(row[2], dtype=np.float32) for row in rows]
            width = len(vectors[0])
            keep = [i for i, vector in enumerate(vectors) if len(vector) == width]
            entry = (
                [rows[i][0] for i in keep],
                [rows[i][1] for i in keep],
                np.vstack([vectors[i] for i in keep]),
            )
        self._matrices[vector_store_id] = entry
        return entry
