"""Where the server keeps its objects: the :class:`Store` interface and its implementations.

:mod:`.interface` is what the rest of the server is written against; :mod:`.sqlite` is the
SQLite implementation ``serve --db`` and the sandbox use. This package imports nothing else
from the server.
"""

from .interface import KINDS, CursorNotFound, Page, StorageError, Store
from .sqlite import SqliteStore

__all__ = ["KINDS", "CursorNotFound", "Page", "SqliteStore", "StorageError", "Store"]
