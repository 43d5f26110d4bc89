"""The storage interface the server is written against: :class:`Store`, :class:`Page`.

Every object (assistant, thread, message, run, run step, and the run's private model
transcript) is a JSON document with an ID, a kind, and the thread and run it belongs to.
Lists page in insertion order, which is creation order, the order the API lists in. Keeping
the interface this small is what lets a PostgreSQL store follow, behind the same interface,
for several server instances sharing one database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

KINDS = ("assistant", "thread", "message", "run", "step", "transcript")


@dataclass(frozen=True)
class Page:
    """One page of a list: the items and whether more follow."""

    items: list[dict[str, Any]]
    has_more: bool


class CursorNotFound(LookupError):
    """``after``/``before`` names no object of the list."""


class StorageError(RuntimeError):
    """The store could not read or write (disk full, read-only, locked, I/O error); the
    message says why. The server answers 503 and never leaves a run half-ended for it."""


class StoreUnavailable(StorageError):
    """The database cannot be reached right now (restarting, a dropped connection, every
    connection busy); the message names it without secrets and says to try again."""


class UnstorableText(StorageError):
    """Text the store cannot hold: PostgreSQL's ``text`` and ``jsonb`` refuse the NUL
    character (``\\u0000``), which SQLite keeps. The request's fault, never worth a retry (the
    API answers 400 naming ``param``, the field of the stored document that has it); a
    :class:`StorageError` still for the engine, which ends a run that cannot be written."""

    def __init__(self, param: str | None = None) -> None:
        where = f" (in {param})" if param else ""
        super().__init__(
            f"Text with the NUL character (\\u0000){where} cannot be stored in this server's "
            "PostgreSQL database; remove the character and send the request again."
        )
        self.param = param


class ActiveRunExists(Exception):
    """The thread already has an active run (a store several servers share enforces one
    active run per thread itself; the API answers this with a 400)."""

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"Thread {thread_id} already has an active run.")
        self.thread_id = thread_id


class Store(Protocol):
    """What the engine and the HTTP layer need from storage."""

    def insert(
        self,
        kind: str,
        obj: dict[str, Any],
        *,
        thread_id: str | None = None,
        run_id: str | None = None,
    ) -> None: ...

    def update(self, kind: str, obj: dict[str, Any]) -> None: ...

    def patch(
        self,
        kind: str,
        object_id: str,
        fields: dict[str, Any],
        *,
        statuses: Collection[str] | None = None,
    ) -> dict[str, Any] | None:
        """Set only ``fields`` of the stored object, atomically, and answer the object as it
        is now; None when there is no such object, or (with ``statuses``) when its status is
        not one of them. What a writer does not name (metadata a client set meanwhile) is
        kept: no lost update, and a run in a final status is never changed again."""
        ...

    def get(self, kind: str, object_id: str) -> dict[str, Any] | None: ...

    def delete(self, kind: str, object_id: str) -> bool:
        """Delete the object and everything that belongs to it (a thread: its messages, runs,
        steps and transcripts); False when there was no such object."""
        ...

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
        """Up to ``limit`` objects in ``order`` after/before the cursors; with ``max_bytes``,
        fewer once their size reaches it (always at least one), ``has_more`` then true."""
        ...

    def all(
        self,
        kind: str,
        *,
        thread_id: str | None = None,
        run_id: str | None = None,
        statuses: tuple[str, ...] | None = None,
    ) -> list[dict[str, Any]]: ...

    def unfinished_runs(self) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...
