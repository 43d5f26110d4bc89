"""Where the server keeps its objects: the :class:`Store` interface and its implementations.

:mod:`.interface` is what the rest of the server is written against; :mod:`.sqlite` is the
SQLite implementation ``serve --db`` and the sandbox use, :mod:`.ownership` the one-owner
lock of a database file; :mod:`.postgres` (imported only when ``serve --db postgresql://...``
asks for it) is the one several instances share. This package imports nothing else from the
server.
"""

from .interface import (
    KINDS,
    ActiveRunExists,
    CursorNotFound,
    Page,
    StorageError,
    Store,
    StoreUnavailable,
    UnstorableText,
)
from .ownership import DatabaseInUse
from .sqlite import SqliteStore

__all__ = [
    "KINDS",
    "ActiveRunExists",
    "CursorNotFound",
    "DatabaseInUse",
    "Page",
    "SqliteStore",
    "StorageError",
    "Store",
    "StoreUnavailable",
    "UnstorableText",
]
