"""One database, one owner: a ``serve`` holds an exclusive lock on its SQLite file's owner file.

A second ``serve`` on the same file would otherwise take the first's running runs for runs
cut off by a crash and fail them, and the two would write the same runs. So the second
refuses to start, with a message naming the owner. The lock is the operating system's
(``flock`` / ``LockFileEx`` through ``msvcrt``) on ``<db>-owner`` beside the database: a
crashed owner's lock is released by the system at once, so a restart never waits for a
lease to run out and needs no clock. (A lease per run is what several instances sharing a
PostgreSQL database need; SQLite is a single-host database, and one owner is its honest
sharing model.) The owner file holds the owner's process ID and host, for the message.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from typing import IO

from .interface import StorageError


class DatabaseInUse(StorageError):
    """Another server owns the database; the message names it."""


class DatabaseOwner:
    """The exclusive lock on ``<db>-owner``, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + "-owner")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`DatabaseInUse` naming who holds it."""
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        try:
            _lock(handle)
        except OSError:
            try:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
            except OSError:  # Windows: the holder's lock covers reading, too
                holder = "another process"
            handle.close()
            raise DatabaseInUse(
                f"the database is in use by another server ({holder}); one database has one "
                "server: stop that one, or give this one another --db file"
            ) from None
        handle.seek(0)
        handle.truncate()
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}, since {started}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the lock
            self._file = None


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
