"""Where the server keeps its objects: the :class:`Store` interface and its implementations.

:mod:`.interface` is what the rest of the server is written against; :mod:`.sqlite` is the
SQLite implementation ``serve --db`` and the sandbox use, :mod:`.ownership` the one-owner
lock of a database file. This package imports nothing else from the server.
"""

from .interface import KINDS, CursorNotFound, Page, StorageError, Store
from .ownership import DatabaseInUse
from .sqlite import SqliteStore

__all__ = [
    "KINDS",
    "CursorNotFound",
    "DatabaseInUse",
    "Page",
    "SqliteStore",
    "StorageError",
    "Store",
]
