"""The :class:`~.interface.Store` on PostgreSQL, for several ``serve`` instances on one database.

Why psycopg 3 with psycopg_pool (and not asyncpg): the :class:`Store` interface is synchronous
(the engine calls it directly, as it calls SQLite), and psycopg serves exactly that — a
thread-safe pool of blocking connections — while also offering an asyncio connection for the
one thing that must wait without blocking: ``LISTEN`` for cancels (:mod:`.postgres_leases`).
asyncpg is asyncio-only and would need the whole engine rewritten around ``await``; psycopg
ships binary wheels (``psycopg[binary]``) and is the PostgreSQL project's recommended driver.

Objects are the same JSON documents as on SQLite, in one table (``data`` is ``jsonb``, so a
:meth:`PostgresStore.patch` is one atomic ``UPDATE ... SET data = data || fields``). The
database enforces one active run per thread (a partial unique index); a second one raises
:class:`~.interface.ActiveRunExists`. The schema is created and migrated by :func:`migrate`,
once, under an advisory lock, whichever instance starts first.

Failures: the pool is bounded and every wait is bounded (connecting, getting a connection,
each statement). After a dropped connection the pool's idle connections are checked (a
restarted database leaves them all stale) and a statement that only reads is tried again; a
write that may have reached the database is never re-sent (the client gets a 503). While
the database cannot be reached every call fails fast with
:class:`~.interface.StoreUnavailable` (the server answers 503), never a hung request. The
database URL is only ever shown with its password masked (:func:`masked_url`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from .interface import (
    ActiveRunExists,
    CursorNotFound,
    Page,
    StorageError,
    StoreUnavailable,
    UnstorableText,
)

ACTIVE = ("queued", "in_progress", "requires_action", "cancelling")
MIGRATION_LOCK = 0x6F61_7373  # pg_advisory_xact_lock key: "oass"

# (version, statements): applied in order, each once, recorded in schema_migrations
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE objects (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id text NOT NULL,
            kind text NOT NULL,
            thread_id text,
            run_id text,
            status text,
            data jsonb NOT NULL,
            UNIQUE (kind, id)
        );
        CREATE INDEX objects_by_thread ON objects (kind, thread_id, seq);
        CREATE INDEX objects_by_run ON objects (kind, run_id, seq);
        CREATE INDEX objects_by_status ON objects (kind, thread_id, status);
        CREATE UNIQUE INDEX one_active_run_per_thread ON objects (thread_id)
            WHERE kind = 'run'
            AND status IN ('queued', 'in_progress', 'requires_action', 'cancelling');
        """,
    ),
    (
        2,
        """
        ALTER TABLE objects ADD COLUMN owner text;
        ALTER TABLE objects ADD COLUMN lease_until timestamptz;
        ALTER TABLE objects ADD COLUMN touched_at timestamptz NOT NULL DEFAULT now();
        CREATE INDEX runs_by_lease ON objects (lease_until)
            WHERE kind = 'run' AND status IN ('queued', 'in_progress', 'cancelling');
        """,
    ),
    (
        3,
        """
        CREATE TABLE file_blobs (
            file_id text PRIMARY KEY,
            size bigint NOT NULL DEFAULT 0,
            parts integer NOT NULL DEFAULT 0,
            complete boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE file_blob_parts (
            file_id text NOT NULL REFERENCES file_blobs ON DELETE CASCADE,
            part integer NOT NULL,
            data bytea NOT NULL,
            PRIMARY KEY (file_id, part)
        );
        ALTER TABLE file_blob_parts ALTER COLUMN data SET STORAGE EXTERNAL;
        CREATE TABLE chunks (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            vector_store_id text NOT NULL,
            file_id text NOT NULL,
            seq integer NOT NULL,
            text text NOT NULL,
            tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
        );
        CREATE INDEX chunks_by_file ON chunks (vector_store_id, file_id, seq);
        CREATE INDEX chunks_search ON chunks USING gin (tsv);
        CREATE TABLE chunk_documents (
            vector_store_id text NOT NULL,
            file_id text NOT NULL,
            text text NOT NULL,
            PRIMARY KEY (vector_store_id, file_id)
        );
        CREATE INDEX ingest_by_lease ON objects (lease_until)
            WHERE kind = 'vector_store_file' AND status = 'in_progress';
        """,
    ),
)

T = TypeVar("T")


def masked_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages and logs)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
        user = quote(unquote(parts.username or ""), safe="")
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
    except ValueError:
        return "postgresql://(a URL that cannot be read)"


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


class PostgresStore:
    """The :class:`Store` on a PostgreSQL database named by a ``postgresql://`` URL.

    ``password``: used instead of the URL's (``serve --db-password-env``). ``pool_size``:
    most connections this instance holds. ``timeout``: seconds any wait may take (connect,
    a free connection, one statement).
    """

    in_memory = False
    read_only = None  # never opened read-only: a database refusing writes answers 503s

    def __init__(
        self,
        url: str,
        *,
        password: str | None = None,
        pool_size: int = 10,
        timeout: float = 5.0,
        application_name: str = "openai-assistants-serve",
    ) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self._psycopg = psycopg
        self._url = url
        url_password = urlsplit(url).password
        self._secrets = [s for s in (url_password, unquote(url_password or ""), password) if s]
        self.shown_url = masked_url(url)
        self.timeout = timeout
        self._conninfo = psycopg.conninfo.make_conninfo(
            url,
            **({"password": password} if password is not None else {}),
            connect_timeout=max(1, round(timeout)),
            application_name=application_name,
            options=f"-c statement_timeout={int(timeout * 1000)}",
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        self._down_until = 0.0
        self._down_lock = threading.Lock()
        self._pool = ConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=max(1, pool_size),
            timeout=timeout,
            reconnect_timeout=0,  # no background retrying: the next request connects anew
            kwargs={"autocommit": True},
            open=False,
            name="openai-assistants",
        )
        # one connection first: a wrong password or an unreachable host is reported at once,
        # with the database's own reason (the pool would only time out)
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            migrate(conn)
        try:
            self._pool.open(wait=True, timeout=timeout)
        except BaseException:
            self._pool.close(timeout=1)
            raise

    @property
    def secrets(self) -> list[str]:
        """The password (as given and as written in the URL): cut out of answers and logs."""
        return list(self._secrets)

    @property
    def conninfo(self) -> str:
        """Connection settings, password included: for this process's own connections only."""
        return self._conninfo

    # the Store interface

    def insert(
        self,
        kind: str,
        obj: dict[str, Any],
        *,
        thread_id: str | None = None,
        run_id: str | None = None,
    ) -> None:
        def insert(conn: Any) -> None:
            try:
                conn.execute(
                    "INSERT INTO objects (id, kind, thread_id, run_id, status, data) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    (obj["id"], kind, thread_id, run_id, obj.get("status"), _jsonb(obj)),
                )
            except self._psycopg.errors.UniqueViolation as exc:
                if exc.diag.constraint_name == "one_active_run_per_thread":
                    raise ActiveRunExists(thread_id or "") from None
                raise

        with _naming_nul(obj):
            self._call(insert, write=True)

    def update(self, kind: str, obj: dict[str, Any]) -> None:
        with _naming_nul(obj):
            self._call(
                lambda conn: conn.execute(
                    "UPDATE objects SET data = %s, status = %s, touched_at = now() "
                    "WHERE kind = %s AND id = %s",
                    (_jsonb(obj), obj.get("status"), kind, obj["id"]),
                ),
                write=True,
            )

    def patch(
        self,
        kind: str,
        object_id: str,
        fields: dict[str, Any],
        *,
        statuses: Collection[str] | None = None,
    ) -> dict[str, Any] | None:
        """One ``UPDATE``: the fields merged into the stored document, atomically."""
        sql = (
            "UPDATE objects SET data = data || %s, status = COALESCE(%s, status), "
            "touched_at = now() WHERE kind = %s AND id = %s"
        )
        args: tuple[Any, ...] = (_jsonb(fields), fields.get("status"), kind, object_id)
        if statuses is not None:
            sql += " AND status = ANY(%s)"
            args = (*args, list(statuses))
        if _NUL in object_id:
            return None  # no object has such an ID
        with _naming_nul(fields):
            row = self._call(
                lambda conn: conn.execute(sql + " RETURNING data::text", args).fetchone(),
                write=True,
            )
        return None if row is None else json.loads(row[0])

    def get(self, kind: str, object_id: str) -> dict[str, Any] | None:
        if _NUL in object_id:
            return None  # no object has such an ID (PostgreSQL text cannot hold it)
        row = self._call(
            lambda conn: conn.execute(
                "SELECT data::text FROM objects WHERE kind = %s AND id = %s", (kind, object_id)
            ).fetchone()
        )
        return None if row is None else json.loads(row[0])

    def delete(self, kind: str, object_id: str) -> bool:
        """Delete the object; a thread takes its messages, runs, steps and transcripts along."""
        if _NUL in object_id:
            return False

        def delete(conn: Any) -> bool:
            with conn.transaction():
                cursor = conn.execute(
                    "DELETE FROM objects WHERE kind = %s AND id = %s", (kind, object_id)
                )
                if kind == "thread":
                    conn.execute(
                        "DELETE FROM objects WHERE kind = 'transcript' AND id IN "
                        "(SELECT id FROM objects WHERE kind = 'run' AND thread_id = %s)",
                        (object_id,),
                    )
                    conn.execute("DELETE FROM objects WHERE thread_id = %s", (object_id,))
                return cursor.rowcount > 0

        return self._call(delete, write=True)

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
        """``limit`` items in ``order`` after/before the cursors; with ``max_bytes``, fewer
        once their size reaches it (at least one)."""
        for cursor in (after, before):
            if cursor and _NUL in cursor:
                raise CursorNotFound(cursor)
        if _NUL in (thread_id or "") + (run_id or ""):
            return Page(items=[], has_more=False)

        def read(conn: Any) -> Page:
            where, args = _filter(kind, thread_id, run_id)
            descending = order == "desc"
            backwards = bool(before) and not after
            for cursor, goes_on in ((after, True), (before, False)):
                if not cursor:
                    continue
                row = conn.execute(
                    f"SELECT seq FROM objects WHERE {where} AND id = %s", (*args, cursor)
                ).fetchone()
                if row is None:
                    raise CursorNotFound(cursor)
                smaller = goes_on == descending
                where += " AND seq < %s" if smaller else " AND seq > %s"
                args = (*args, row[0])
            direction = "DESC" if descending != backwards else "ASC"
            rows = conn.execute(
                f"SELECT data::text FROM objects WHERE {where} ORDER BY seq {direction} LIMIT %s",
                (*args, limit + 1),
            ).fetchall()
            texts: list[str] = []
            size, more = 0, False
            for (text,) in rows:
                if len(texts) == limit or (
                    max_bytes is not None and texts and size + len(text) > max_bytes
                ):
                    more = True
                    break
                texts.append(text)
                size += len(text)
            items = [json.loads(text) for text in texts]
            if backwards:
                items.reverse()
            return Page(items=items, has_more=more)

        return self._call(read)

    def all(
        self,
        kind: str,
        *,
        thread_id: str | None = None,
        run_id: str | None = None,
        statuses: tuple[str, ...] | None = None,
    ) -> list[dict[str, Any]]:
        if _NUL in (thread_id or "") + (run_id or ""):
            return []
        where, args = _filter(kind, thread_id, run_id)
        if statuses is not None:
            where += " AND status = ANY(%s)"
            args = (*args, list(statuses))
        rows = self._call(
            lambda conn: conn.execute(
                f"SELECT data::text FROM objects WHERE {where} ORDER BY seq", args
            ).fetchall()
        )
        return [json.loads(row[0]) for row in rows]

    def unfinished_runs(self) -> list[dict[str, Any]]:
        return self.all("run", statuses=ACTIVE)

    def close(self) -> None:
        self._pool.close(timeout=2)

    # for the run leases (:mod:`.postgres_leases`) and the tests

    def execute(self, sql: str, args: tuple[Any, ...] = (), *, write: bool = True) -> list[Any]:
        """Rows of one statement (none for statements that answer none)."""

        def run(conn: Any) -> list[Any]:
            cursor = conn.execute(sql, args)
            return cursor.fetchall() if cursor.description is not None else []

        return self._call(run, write=write)

    def run(self, work: Callable[[Any], T], *, write: bool = True) -> T:
        """``work(connection)`` with this store's bounds and errors (files and chunks,
        :mod:`..retrieval.postgres_index`); a read is tried again after a dropped connection."""
        return self._call(work, write=write)

    def _call(self, work: Callable[[Any], T], *, write: bool = False) -> T:
        """``work(connection)``; reads are tried again once after a dropped connection."""
        psycopg = self._psycopg
        from psycopg_pool import PoolTimeout

        if time.monotonic() < self._down_until:
            raise self._unavailable("it did not answer a moment ago")
        attempts = 1 if write else 2
        for attempt in range(attempts):
            try:
                with self._connection() as conn:
                    return work(conn)
            except (ActiveRunExists, CursorNotFound):
                raise
            except PoolTimeout as exc:
                self._down(1.0)
                raise self._unavailable(f"no connection within {self.timeout:g} s") from exc
            except psycopg.errors.QueryCanceled as exc:  # statement_timeout
                raise self._unavailable(f"a statement took over {self.timeout:g} s") from exc
            except psycopg.OperationalError as exc:
                self._pool.check()  # a restarted database: drop every stale connection
                if attempt + 1 < attempts:
                    continue
                self._down(1.0)
                raise self._unavailable(_first_line(exc)) from exc
            except psycopg.DataError as exc:
                if _NUL_REFUSED in str(exc) or isinstance(
                    exc, psycopg.errors.UntranslatableCharacter
                ):  # a NUL character in text or JSON: the request's fault (a 400)
                    raise UnstorableText() from exc
                raise StorageError(
                    f"the database {self.shown_url} refused it: {_redact(_first_line(exc), self)}"
                ) from exc
            except psycopg.Error as exc:  # refused by the database: not worth a retry
                raise StorageError(
                    f"the database {self.shown_url} refused it: {_redact(_first_line(exc), self)}"
                ) from exc
        raise AssertionError("unreachable")

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        with self._pool.connection(timeout=self.timeout) as conn:
            yield conn

    def _down(self, seconds: float) -> None:
        with self._down_lock:
            self._down_until = time.monotonic() + seconds

    def _unavailable(self, why: str) -> StoreUnavailable:
        return StoreUnavailable(
            f"The database {self.shown_url} cannot be reached ({_redact(why, self)}); "
            "try again shortly."
        )


def migrate(conn: Any) -> list[int]:
    """Apply the migrations this database lacks, once, under an advisory lock; their versions.

    Instances starting together wait for each other at the lock: one applies, the others find
    everything applied.
    """
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, sql in MIGRATIONS:
            if version in done:
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            applied.append(version)
    return applied


def _filter(kind: str, thread_id: str | None, run_id: str | None) -> tuple[str, tuple[Any, ...]]:
    where, args = "kind = %s", (kind,)
    if thread_id is not None:
        where, args = where + " AND thread_id = %s", (*args, thread_id)
    if run_id is not None:
        where, args = where + " AND run_id = %s", (*args, run_id)
    return where, args


_NUL = "\x00"
_NUL_REFUSED = "cannot contain NUL"  # psycopg's own message for text with a NUL character


@contextmanager
def _naming_nul(document: dict[str, Any]) -> Iterator[None]:
    """An :class:`UnstorableText` names where in ``document`` the NUL character is."""
    try:
        yield
    except UnstorableText as exc:
        if exc.param is not None:
            raise
        raise UnstorableText(_nul_path(document)) from exc.__cause__


def _nul_path(value: Any, path: str = "") -> str | None:
    """The JSON path (``attributes.k``, ``content[0].text``) of the first NUL character."""
    if isinstance(value, str):
        return (path or "$") if _NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _NUL in str(key):
                return here
            found = _nul_path(item, here)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for number, item in enumerate(value):
            found = _nul_path(item, f"{path}[{number}]")
            if found:
                return found
    return None


def _jsonb(obj: dict[str, Any]) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(obj)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _redact(text: str, store: PostgresStore) -> str:
    """A driver's message never carries the password, but make sure."""
    for secret in store._secrets:
        text = text.replace(secret, "***")
    return text
