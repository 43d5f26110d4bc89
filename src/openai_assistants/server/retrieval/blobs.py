"""Where uploaded files' bytes live: a folder beside the database, or memory without one.

An upload is written as it streams in (:meth:`BlobStore.writer`), so a 500 MiB file never sits
in the server's memory; it becomes visible under its ID only once complete (written to a
temporary name, then renamed), and a refused or broken upload leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class TooLarge(Exception):
    """An upload went past the size limit."""


class BlobWriter:
    """Receives one upload's bytes in pieces; :meth:`commit` stores them under the ID."""

    def __init__(self, store: BlobStore, file_id: str, limit: int) -> None:
        self._store = store
        self.file_id = file_id
        self.limit = limit
        self.size = 0
        self._memory = bytearray() if store.folder is None else None
        self._temp = None
        if store.folder is not None:
            handle, name = tempfile.mkstemp(dir=store.folder, prefix=".upload-")
            self._temp = (os.fdopen(handle, "wb"), Path(name))

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            self.discard()
            raise TooLarge
        if self._memory is not None:
            self._memory += data
        elif self._temp is not None:
            self._temp[0].write(data)

    def commit(self) -> None:
        if self._memory is not None:
            self._store._memory[self.file_id] = bytes(self._memory)
            self._memory = None
        elif self._temp is not None:
            handle, name = self._temp
            handle.close()
            os.replace(name, self._store.path(self.file_id))
            self._temp = None

    def discard(self) -> None:
        self._memory = None
        if self._temp is not None:
            handle, name = self._temp
            handle.close()
            name.unlink(missing_ok=True)
            self._temp = None


class BlobStore:
    """The bytes of uploaded files, by file ID."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = None if folder is None else Path(folder)
        self._memory: dict[str, bytes] = {}
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            for stale in self.folder.glob(".upload-*"):  # uploads cut off by a stop
                stale.unlink(missing_ok=True)

    def path(self, file_id: str) -> Path:
        if self.folder is None or not _SAFE_ID.match(file_id):
            raise KeyError(file_id)
        return self.folder / file_id

    def writer(self, file_id: str, limit: int) -> BlobWriter:
        return BlobWriter(self, file_id, limit)

    def read(self, file_id: str) -> bytes | None:
        if self.folder is None:
            return self._memory.get(file_id)
        try:
            return self.path(file_id).read_bytes()
        except (OSError, KeyError):
            return None

    def delete(self, file_id: str) -> None:
        if self.folder is None:
            self._memory.pop(file_id, None)
            return
        try:
            self.path(file_id).unlink(missing_ok=True)
        except KeyError:
            pass
