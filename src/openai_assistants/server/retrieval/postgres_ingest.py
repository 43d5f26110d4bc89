"""Which ``serve`` instance ingests which vector-store file, on one PostgreSQL database.

A vector-store file is ingested by the instance that got the request: it claims the file with a
lease (``owner`` and ``lease_until`` of its row in ``objects``, as runs are claimed in
:mod:`..store.postgres_leases`) and renews it while it works. An instance that starts up, or
looks around every renewal, takes over only files whose lease ran out (their instance died:
kill -9, a lost machine) or that nobody claimed within a lease, and ingests them again, so a
file ends ``completed`` or ``failed``, never stuck ``in_progress``. The database's clock is the
only clock used.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

KIND = "vector_store_file"


class IngestLeases:
    """Claims, renews and releases this instance's ingestions; finds orphaned ones."""

    def __init__(self, db: Any, *, lease_seconds: float = 30.0, owner: str | None = None) -> None:
        if lease_seconds <= 0:
            raise ValueError("the lease must be longer than 0 seconds")
        self.db = db
        self.lease_seconds = float(lease_seconds)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    @property
    def renew_every(self) -> float:
        return self.lease_seconds / 3

    def claim(self, key: str) -> bool:
        """Take the file to ingest it, unless a live instance holds it."""
        rows = self.db.execute(
            "UPDATE objects SET owner = %s, lease_until = now() + make_interval(secs => %s) "
            "WHERE kind = %s AND id = %s AND status = 'in_progress' "
            "AND (owner IS NULL OR owner = %s OR lease_until < now()) RETURNING 1",
            (self.owner, self.lease_seconds, KIND, key, self.owner),
        )
        return bool(rows)

    def take_over(self, key: str) -> bool:
        """Take a file whose holder stopped renewing (or that nobody claimed for a lease)."""
        rows = self.db.execute(
            "UPDATE objects SET owner = %s, lease_until = now() + make_interval(secs => %s) "
            f"WHERE kind = %s AND id = %s AND status = 'in_progress' AND ({_ORPHANED}) "
            "RETURNING 1",
            (self.owner, self.lease_seconds, KIND, key, self.lease_seconds),
        )
        return bool(rows)

    def renew(self, keys: list[str]) -> set[str]:
        """Extend the leases of these files; those still held."""
        if not keys:
            return set()
        rows = self.db.execute(
            "UPDATE objects SET lease_until = now() + make_interval(secs => %s) "
            "WHERE kind = %s AND owner = %s AND id = ANY(%s) RETURNING id",
            (self.lease_seconds, KIND, self.owner, keys),
        )
        return {row[0] for row in rows}

    def taken(self, keys: list[str]) -> set[str]:
        """Those of these files another instance holds now (it took them over)."""
        if not keys:
            return set()
        rows = self.db.execute(
            "SELECT id FROM objects WHERE kind = %s AND id = ANY(%s) "
            "AND owner IS NOT NULL AND owner <> %s",
            (KIND, keys, self.owner),
            write=False,
        )
        return {row[0] for row in rows}

    def release(self, key: str) -> None:
        self.db.execute(
            "UPDATE objects SET owner = NULL, lease_until = NULL "
            "WHERE kind = %s AND id = %s AND owner = %s",
            (KIND, key, self.owner),
        )

    def orphans(self) -> list[str]:
        """Keys of files in ingestion that no live instance holds."""
        rows = self.db.execute(
            f"SELECT id FROM objects WHERE kind = %s AND status = 'in_progress' AND ({_ORPHANED}) "
            "ORDER BY seq",
            (KIND, self.lease_seconds),
            write=False,
        )
        return [row[0] for row in rows]


_ORPHANED = (
    "(owner IS NOT NULL AND lease_until < now()) OR "
    "(owner IS NULL AND touched_at < now() - make_interval(secs => %s))"
)


def recount(db: Any, vector_store_id: str, batch_id: str | None = None) -> None:
    """Set the store's (and the batch's) ``file_counts``, ``usage_bytes`` and ``status``.

    Counted and written in one transaction holding the store's row (``FOR UPDATE``), so
    recounts of several instances take turns: each counts after the one before has written
    (counted apart, a count made just before another instance's file ended could be written
    last, and the store would stay ``in_progress``). Only these fields are written (``||``),
    so a name or metadata set meanwhile by another instance stays."""
    from psycopg.types.json import Jsonb

    def write(conn: Any, kind: str, object_id: str, fields: dict[str, Any]) -> None:
        conn.execute(
            "UPDATE objects SET data = data || %s, status = COALESCE(%s, status), "
            "touched_at = now() WHERE kind = %s AND id = %s",
            (Jsonb(fields), fields.get("status"), kind, object_id),
        )

    def work(conn: Any) -> None:
        with conn.transaction():
            row = conn.execute(
                "SELECT data->>'status' FROM objects WHERE kind = 'vector_store' AND id = %s "
                "FOR UPDATE",
                (vector_store_id,),
            ).fetchone()
            if row is not None:
                counts, usage = tally(conn, vector_store_id)
                fields: dict[str, Any] = {"file_counts": counts, "usage_bytes": usage}
                if row[0] != "expired":
                    fields["status"] = "in_progress" if counts["in_progress"] else "completed"
                write(conn, "vector_store", vector_store_id, fields)
            if batch_id is None:
                return
            row = conn.execute(
                "SELECT data->>'status' FROM objects WHERE kind = 'file_batch' AND id = %s "
                "FOR UPDATE",
                (batch_id,),
            ).fetchone()
            if row is not None:
                counts = tally(conn, vector_store_id, batch_id)[0]
                fields = {"file_counts": counts}
                if row[0] == "in_progress" and not counts["in_progress"]:
                    fields["status"] = "cancelled" if counts["cancelled"] else "completed"
                write(conn, "file_batch", batch_id, fields)

    db.run(work)


def tally(db: Any, vector_store_id: str, batch_id: str | None = None) -> tuple[dict[str, int], int]:
    """A store's (or one batch's) files counted by status, and their ``usage_bytes``, by the
    database (one aggregate, not every file's document read back after each file); ``db`` is
    the store or one of its connections (in :func:`recount`'s transaction)."""
    sql = (
        "SELECT status, count(*), coalesce(sum((data->>'usage_bytes')::bigint), 0) "
        "FROM objects WHERE kind = %s AND thread_id = %s"
    )
    args: tuple[Any, ...] = (KIND, vector_store_id)
    if batch_id is not None:
        sql, args = sql + " AND run_id = %s", (*args, batch_id)
    sql += " GROUP BY status"
    if hasattr(db, "run"):  # the store
        rows = db.execute(sql, args, write=False)
    else:  # a connection
        rows = db.execute(sql, args).fetchall()
    counts = {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0}
    total = usage = 0
    for status, number, used in rows:
        if status in counts:
            counts[status] += number
        total += number
        usage += int(used)
    counts["total"] = total
    return counts, usage
