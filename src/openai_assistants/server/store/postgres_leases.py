"""Which ``serve`` instance executes which run, when several share one PostgreSQL database.

Each run is executed by exactly one instance: the one that claims it, with a lease (a time
on the database's clock) that it renews while it works. A run nobody may lose:

- an instance that stops cleanly fails its runs itself, as a single server does;
- an instance that dies (kill -9, a lost machine) stops renewing; once its lease runs out,
  any other instance takes the run over: a ``queued`` run is executed, an ``in_progress`` one
  is failed with a ``last_error`` saying so, a ``cancelling`` one is cancelled;
- a starting instance only takes over runs whose lease ran out, never one a live instance
  holds.

Cancel reaches the executing instance at once through ``NOTIFY``; if a notification is
lost (the listening connection dropped), the lease loop sees the run ``cancelling`` at its
next renewal. The database's clock is the only clock used, so instances need not agree on
the time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

from .interface import StoreUnavailable
from .postgres import PostgresStore

log = logging.getLogger("openai_assistants.server")

CANCEL_CHANNEL = "openai_assistants_cancel"
EXECUTED = ("queued", "in_progress", "cancelling")  # the statuses an instance works on
DEFAULT_LEASE_SECONDS = 30.0


class RunLeases:
    """Claims, renews and releases this instance's runs; finds runs whose lease ran out."""

    def __init__(
        self,
        store: PostgresStore,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        owner: str | None = None,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("the lease must be longer than 0 seconds")
        self.store = store
        self.lease_seconds = float(lease_seconds)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    @property
    def renew_every(self) -> float:
        """Renew three times per lease: one late renewal does not lose the run."""
        return self.lease_seconds / 3

    def claim(self, run_id: str) -> bool:
        """Take the run to execute it, unless a live instance holds it."""
        rows = self.store.execute(
            "UPDATE objects SET owner = %s, lease_until = now() + make_interval(secs => %s) "
            "WHERE kind = 'run' AND id = %s AND status = ANY(%s) "
            "AND (owner IS NULL OR owner = %s OR lease_until < now()) RETURNING 1",
            (self.owner, self.lease_seconds, run_id, list(EXECUTED), self.owner),
        )
        return bool(rows)

    def take_over(self, run_id: str) -> bool:
        """Take a run whose holder stopped renewing (or that nobody claimed for a lease)."""
        rows = self.store.execute(
            "UPDATE objects SET owner = %s, lease_until = now() + make_interval(secs => %s) "
            "WHERE kind = 'run' AND id = %s AND status = ANY(%s) AND ("
            "(owner IS NOT NULL AND lease_until < now()) OR "
            "(owner IS NULL AND touched_at < now() - make_interval(secs => %s))) RETURNING 1",
            (self.owner, self.lease_seconds, run_id, list(EXECUTED), self.lease_seconds),
        )
        return bool(rows)

    def release(self, run_id: str) -> str | None:
        """This instance no longer works on the run (it ended, or waits for tool outputs);
        the run's status, if this instance held it."""
        rows = self.store.execute(
            "UPDATE objects SET owner = NULL, lease_until = NULL "
            "WHERE kind = 'run' AND id = %s AND owner = %s RETURNING status",
            (run_id, self.owner),
        )
        return rows[0][0] if rows else None

    def renew(self, run_ids: list[str]) -> dict[str, str]:
        """Extend the leases of these runs; the runs still held, with their status."""
        if not run_ids:
            return {}
        rows = self.store.execute(
            "UPDATE objects SET lease_until = now() + make_interval(secs => %s) "
            "WHERE kind = 'run' AND owner = %s AND id = ANY(%s) RETURNING id, status",
            (self.lease_seconds, self.owner, run_ids),
        )
        return {row[0]: row[1] for row in rows}

    def orphans(self) -> list[tuple[str, str]]:
        """Runs (ID, status) someone should work on but nobody alive holds."""
        rows = self.store.execute(
            "SELECT id, status FROM objects WHERE kind = 'run' AND status = ANY(%s) AND ("
            "(owner IS NOT NULL AND lease_until < now()) OR "
            "(owner IS NULL AND touched_at < now() - make_interval(secs => %s))) ORDER BY seq",
            (list(EXECUTED), self.lease_seconds),
            write=False,
        )
        return [(row[0], row[1]) for row in rows]

    def holder(self, run_id: str) -> str | None:
        """The instance whose lease on the run is live, if any."""
        rows = self.store.execute(
            "SELECT owner FROM objects WHERE kind = 'run' AND id = %s "
            "AND owner IS NOT NULL AND lease_until >= now()",
            (run_id,),
            write=False,
        )
        return rows[0][0] if rows else None

    def notify_cancel(self, run_id: str) -> None:
        """Tell every instance (the executing one acts) that the run is being cancelled."""
        self.store.execute("SELECT pg_notify(%s, %s)", (CANCEL_CHANNEL, run_id))

    async def listen_cancels(self, on_cancel: Callable[[str], Any]) -> None:
        """Call ``on_cancel(run_id)`` for every cancel notification, until cancelled.

        A dropped connection is reopened after a pause; meanwhile the lease loop still sees
        cancels at its next renewal.
        """
        import psycopg

        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self.store.conninfo, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CANCEL_CHANNEL}")
                    async for notification in conn.notifies():
                        on_cancel(notification.payload)
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError, StoreUnavailable) as exc:
                log.warning(
                    "listening for cancels on %s failed (%s); trying again in 1 s",
                    self.store.shown_url,
                    type(exc).__name__,
                )
            await asyncio.sleep(1.0)
