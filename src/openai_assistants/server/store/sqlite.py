"""The :class:`~.interface.Store` on SQLite, with the standard library's ``sqlite3``.

A file in WAL mode (readers do not block the writer; ``synchronous=NORMAL`` is durable across
a process crash) or, without a path, an in-memory database. One connection behind a lock:
every call is a few hundred microseconds, so the server's event loop calls it directly.
SQLite's failures (disk full, a lock held too long, I/O errors) are raised as
:class:`~.interface.StorageError`. A database file has one owner (:mod:`.ownership`).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import urllib.parse
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from .interface import CursorNotFound, Page, StorageError
from .ownership import DatabaseInUse, DatabaseOwner

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    thread_id TEXT,
    run_id TEXT,
    status TEXT,
    data TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS objects_by_thread ON objects (kind, thread_id, seq);
CREATE INDEX IF NOT EXISTS objects_by_run ON objects (kind, run_id, seq);
CREATE INDEX IF NOT EXISTS objects_by_status ON objects (kind, thread_id, status);
"""
UNFINISHED = ("queued", "in_progress", "requires_action", "cancelling")


class SqliteStore:
    """The :class:`Store` on SQLite: ``SqliteStore(path)`` a file, ``SqliteStore()`` memory."""

    def __init__(self, path: str | Path | None = None) -> None:
        """Open (or create) the database; a file is owned by this store until :meth:`close`
        (:class:`~.ownership.DatabaseInUse` when another server owns it).

        An existing database that cannot be opened for writing (a read-only file or file
        system, a full disk) is opened read-only: :attr:`read_only` says why, reads work and
        every write raises :class:`StorageError`, so a server still starts and answers.
        """
        self.path = None if path is None else Path(path)
        self.read_only: str | None = None
        self._lock = threading.Lock()
        if self.path is None:
            self._owner = None
            self._db = self._connect(":memory:")
            self._db.executescript(SCHEMA)
            return
        self._owner = DatabaseOwner(self.path)
        try:
            self._owner.acquire()
        except DatabaseInUse:
            raise
        except OSError as exc:  # no owner file beside a read-only database: it stays unowned
            self._owner = None
            self._open_read_only(exc)
            return
        try:
            self._db = self._connect(str(self.path))
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            try:
                self._open_read_only(exc)
            except BaseException:
                self._owner.release()
                raise
        except BaseException:
            self._owner.release()
            raise

    @staticmethod
    def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
        return sqlite3.connect(target, uri=uri, check_same_thread=False, isolation_level=None)

    def _open_read_only(self, reason: Exception) -> None:
        """Open the existing database read-only, or raise ``reason`` (it cannot be used)."""
        assert self.path is not None
        target = f"file:{urllib.parse.quote(str(self.path.absolute()))}?mode=ro"
        try:
            db = self._connect(target, uri=True)
        except sqlite3.Error:
            raise reason from None
        try:
            db.execute("SELECT 1 FROM objects LIMIT 1").fetchall()
        except sqlite3.Error:
            db.close()
            raise reason from None
        self._db = db
        self.read_only = str(reason)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The connection to oneself; SQLite's failures (disk full, locked, read-only, I/O)
        as :class:`StorageError`."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as exc:
                where = "memory" if self.path is None else str(self.path)
                raise StorageError(f"the database ({where}) failed: {exc}") from exc

    @property
    def in_memory(self) -> bool:
        return self.path is None

    def insert(
        self,
        kind: str,
        obj: dict[str, Any],
        *,
        thread_id: str | None = None,
        run_id: str | None = None,
    ) -> None:
        with self._locked():
            self._db.execute(
                "INSERT INTO objects (id, kind, thread_id, run_id, status, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (obj["id"], kind, thread_id, run_id, obj.get("status"), _dump(obj)),
            )

    def update(self, kind: str, obj: dict[str, Any]) -> None:
        with self._locked():
            self._db.execute(
                "UPDATE objects SET data = ?, status = ? WHERE kind = ? AND id = ?",
                (_dump(obj), obj.get("status"), kind, obj["id"]),
            )

    def patch(
        self,
        kind: str,
        object_id: str,
        fields: dict[str, Any],
        *,
        statuses: Collection[str] | None = None,
    ) -> dict[str, Any] | None:
        with self._locked(), self._db:
            self._db.execute("BEGIN IMMEDIATE")  # other processes on the file wait, too
            row = self._db.execute(
                "SELECT data, status FROM objects WHERE kind = ? AND id = ?", (kind, object_id)
            ).fetchone()
            if row is None or (statuses is not None and row[1] not in statuses):
                return None
            obj = {**json.loads(row[0]), **fields}
            self._db.execute(
                "UPDATE objects SET data = ?, status = ? WHERE kind = ? AND id = ?",
                (_dump(obj), obj.get("status"), kind, object_id),
            )
        return obj

    def get(self, kind: str, object_id: str) -> dict[str, Any] | None:
        with self._locked():
            row = self._db.execute(
                "SELECT data FROM objects WHERE kind = ? AND id = ?", (kind, object_id)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def delete(self, kind: str, object_id: str) -> bool:
        """Delete one object and everything that belongs to it: a thread takes its messages,
        runs, steps and the runs' transcripts along."""
        with self._locked(), self._db:
            self._db.execute("BEGIN")
            cursor = self._db.execute(
                "DELETE FROM objects WHERE kind = ? AND id = ?", (kind, object_id)
            )
            if kind == "thread":
                # transcripts stored before they recorded their thread name only their run
                self._db.execute(
                    "DELETE FROM objects WHERE kind = 'transcript' AND id IN "
                    "(SELECT id FROM objects WHERE kind = 'run' AND thread_id = ?)",
                    (object_id,),
                )
                self._db.execute("DELETE FROM objects WHERE thread_id = ?", (object_id,))
            return cursor.rowcount > 0

    def page(
        self,
        kind: str,
        *,
        thread_id: str | None = None,
        run_id: str | None = None,
        limit: int = 20,
        order: str = "desc",
        after: str | None = None,
        before: str | None = None,
        max_bytes: int | None = None,
    ) -> Page:
        """``limit`` items in ``order`` after/before the cursors (IDs of the same list); with
        ``max_bytes``, fewer once their stored size reaches it (at least one)."""
        where, args = self._filter(kind, thread_id, run_id)
        descending = order == "desc"
        # with only "before", the page is the one right before the cursor: read backwards
        backwards = bool(before) and not after
        with self._locked():
            for cursor, goes_on in ((after, True), (before, False)):
                if not cursor:
                    continue
                row = self._db.execute(
                    f"SELECT seq FROM objects WHERE {where} AND id = ?", (*args, cursor)
                ).fetchone()
                if row is None:
                    raise CursorNotFound(cursor)
                # "after" in a descending list means older, i.e. a smaller seq
                smaller = goes_on == descending
                where += " AND seq < ?" if smaller else " AND seq > ?"
                args = (*args, row[0])
            direction = "DESC" if descending != backwards else "ASC"
            rows = self._db.execute(
                f"SELECT data FROM objects WHERE {where} ORDER BY seq {direction} LIMIT ?",
                (*args, limit + 1),
            )
            texts: list[str] = []
            size, more = 0, False
            for (text,) in rows:  # read row by row: a page of large objects stops early
                if len(texts) == limit or (
                    max_bytes is not None and texts and size + len(text) > max_bytes
                ):
                    more = True
                    break
                texts.append(text)
                size += len(text)
            rows.close()
        items = [json.loads(text) for text in texts]
        if backwards:
            items.reverse()
        return Page(items=items, has_more=more)

    def all(
        self,
        kind: str,
        *,
        thread_id: str | None = None,
        run_id: str | None = None,
        statuses: tuple[str, ...] | None = None,
    ) -> list[dict[str, Any]]:
        """Every matching object (only those in ``statuses`` when given), oldest first."""
        where, args = self._filter(kind, thread_id, run_id)
        order = "seq"
        if statuses is not None:
            where += f" AND status IN ({', '.join('?' for _ in statuses)})"
            args = (*args, *statuses)
            order = "+seq"  # "+": sort the few matches, so SQLite picks the status index
        with self._locked():
            rows = self._db.execute(
                f"SELECT data FROM objects WHERE {where} ORDER BY {order}", args
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def unfinished_runs(self) -> list[dict[str, Any]]:
        """Runs not yet in a final status (after a restart: the ones that were cut off)."""
        marks = ", ".join("?" for _ in UNFINISHED)
        with self._locked():
            rows = self._db.execute(
                f"SELECT data FROM objects WHERE kind = 'run' AND status IN ({marks}) ORDER BY seq",
                UNFINISHED,
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def close(self) -> None:
        """Close the database and give up its ownership."""
        try:
            with self._locked():
                self._db.close()
        finally:
            if self._owner is not None:
                self._owner.release()

    @staticmethod
    def _filter(
        kind: str, thread_id: str | None, run_id: str | None
    ) -> tuple[str, tuple[Any, ...]]:
        where, args = "kind = ?", (kind,)
        if thread_id is not None:
            where, args = where + " AND thread_id = ?", (*args, thread_id)
        if run_id is not None:
            where, args = where + " AND run_id = ?", (*args, run_id)
        return where, args


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
