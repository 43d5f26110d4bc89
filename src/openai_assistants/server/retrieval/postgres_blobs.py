"""Uploaded files' bytes in PostgreSQL, so every ``serve`` instance on one database has them.

A file is a row of ``file_blobs`` (its size, how many parts, whether it is complete) and its
bytes are rows of ``file_blob_parts``, :data:`PART_BYTES` each: an upload is written part by
part as it streams in (each insert in a worker thread, so the event loop goes on meanwhile), and
read back part by part, so a 512 MiB file never sits whole in the server's memory on the way in
or out (the parts are stored uncompressed, ``STORAGE EXTERNAL``: compressing them would cost
more CPU than the space is worth for typical documents).

A file becomes readable only once complete (``complete`` set by :meth:`PostgresBlobWriter.commit`
after the last part); a refused or broken upload deletes what it wrote. What a killed instance
left half-written, or bytes whose file object is gone (an instance killed between deleting the
object and its bytes), is removed by :meth:`PostgresBlobStore.sweep` when an instance starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from .blobs import TooLarge

PART_BYTES = 2 * 1024 * 1024
STALE_UPLOAD_HOURS = 6  # an upload not complete after this long was cut off
READ_TIMEOUT_MS = 600_000  # reading a whole file for extraction (one statement)


class PostgresBlobWriter:
    """Receives one upload's bytes in pieces; full parts go to the database in a worker
    thread (:meth:`write` then answers an awaitable), the rest at :meth:`commit`."""

    def __init__(self, store: PostgresBlobStore, file_id: str, limit: int) -> None:
        self._store = store
        self.file_id = file_id
        self.limit = limit
        self.size = 0
        self._buffer = bytearray()
        self._parts = 0
        self._started = False

    def write(self, data: bytes) -> Awaitable[None] | None:
        self.size += len(data)
        if self.size > self.limit:
            self.discard()
            raise TooLarge
        self._buffer += data
        if len(self._buffer) < PART_BYTES:
            return None
        part, self._buffer = bytes(self._buffer), bytearray()
        return asyncio.to_thread(self._put, part)

    def _put(self, part: bytes) -> None:
        def put(conn: Any) -> None:
            if not self._started:
                conn.execute(
                    "INSERT INTO file_blobs (file_id) VALUES (%s) ON CONFLICT DO NOTHING",
                    (self.file_id,),
                )
            conn.execute(
                "INSERT INTO file_blob_parts (file_id, part, data) VALUES (%s, %s, %s)",
                (self.file_id, self._parts, part),
            )

        self._store.db.run(put)
        self._started = True
        self._parts += 1

    def commit(self) -> Awaitable[None]:
        return asyncio.to_thread(self._finish)

    def _finish(self) -> None:
        if self._buffer or not self._parts:
            part, self._buffer = bytes(self._buffer), bytearray()
            self._put(part)

        def finish(conn: Any) -> None:
            # created_at restarts: the sweep's minute for the file object to be stored counts
            # from now, not from the first part (a long upload was swept before its object)
            conn.execute(
                "UPDATE file_blobs SET complete = true, size = %s, parts = %s, "
                "created_at = now() WHERE file_id = %s",
                (self.size, self._parts, self.file_id),
            )

        self._store.db.run(finish)

    def discard(self) -> None:
        self._buffer = bytearray()
        if self._started:
            self._store.delete(self.file_id)
            self._started = False


class PostgresBlobStore:
    """The bytes of uploaded files, by file ID, in the database of a
    :class:`~..store.postgres.PostgresStore` (``db``)."""

    folder = None

    def __init__(self, db: Any) -> None:
        self.db = db

    def writer(self, file_id: str, limit: int) -> PostgresBlobWriter:
        return PostgresBlobWriter(self, file_id, limit)

    def parts(self, file_id: str) -> int | None:
        """How many parts a complete file has (``None``: no such complete file)."""
        rows = self.db.execute(
            "SELECT parts FROM file_blobs WHERE file_id = %s AND complete", (file_id,), write=False
        )
        return rows[0][0] if rows else None

    def read_part(self, file_id: str, part: int) -> bytes | None:
        rows = self.db.execute(
            "SELECT data FROM file_blob_parts WHERE file_id = %s AND part = %s",
            (file_id, part),
            write=False,
        )
        return bytes(rows[0][0]) if rows else None

    def read(self, file_id: str) -> bytes | None:
        """All the bytes (for extraction, which needs them whole anyway)."""

        def read(conn: Any) -> bytes | None:
            with conn.transaction():
                # a whole 512 MiB file takes seconds to send: longer than a request's statement
                conn.execute(f"SET LOCAL statement_timeout = {READ_TIMEOUT_MS}")
                # one statement, so one snapshot: a complete file (which has a part at least),
                # or no rows at all when it is missing or deleted meanwhile
                cursor = conn.execute(
                    "SELECT p.data FROM file_blobs b JOIN file_blob_parts p USING (file_id) "
                    "WHERE b.file_id = %s AND b.complete ORDER BY p.part",
                    (file_id,),
                )
                out, found = bytearray(), False
                for (data,) in cursor:
                    out += data
                    found = True
                return bytes(out) if found else None

        return self.db.run(read, write=False)

    def delete(self, file_id: str) -> None:
        self.db.execute("DELETE FROM file_blobs WHERE file_id = %s", (file_id,))

    def sweep(self) -> int:
        """Remove uploads cut off long ago and bytes whose file object is gone; how many."""
        rows = self.db.execute(
            "DELETE FROM file_blobs b WHERE "
            "(NOT complete AND created_at < now() - make_interval(hours => %s)) OR "
            "(complete AND created_at < now() - interval '1 minute' AND NOT EXISTS "
            "(SELECT 1 FROM objects o WHERE o.kind = 'file' AND o.id = b.file_id)) "
            "RETURNING 1",
            (STALE_UPLOAD_HOURS,),
        )
        return len(rows)
