"""Files and vector stores of ``serve``: their objects, background ingestion and search.

The objects (``file``, ``vector_store``, ``vector_store.file``, ``vector_store.files_batch``)
are JSON documents in the server's :class:`~openai_assistants.server.store.Store`, so they
persist with ``--db`` like assistants do; bytes are in a :class:`.blobs.BlobStore`, chunks in a
:class:`.index.ChunkIndex`. A vector-store file is stored under ``"{vector_store_id}:{file_id}"``
(one file may be in several stores) with the store as its parent and its batch as its group.

Ingestion runs in the background: each vector-store file is a task that extracts, chunks and
indexes in a worker thread (at most :data:`INGEST_WORKERS` at once), then sets the file
``completed`` or ``failed`` with the API's ``last_error``, and recounts its store and batch.
Removing or cancelling a file does not interrupt its task: the task finds the file gone or
``cancelled`` when it ends and takes its chunks out again.
Nothing here raises for a bad file; an unexpected failure is a ``server_error`` on that file.
After a restart, files still ``in_progress`` are ingested again.

On PostgreSQL (several instances on one database) bytes and chunks are in the database too
(:mod:`.postgres_blobs`, :mod:`.postgres_index`), and each ingestion is held with a lease
(:mod:`.postgres_ingest`): a starting instance ingests again only files no live instance holds,
and a running one takes over the files of an instance that died.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .blobs import BlobStore
from .chunking import ChunkingStrategy, chunk_text
from .embeddings import Embedder, pack
from .errors import SERVER_ERROR, RetrievalError
from .extraction import extract_text
from .filters import matches
from .fusion import reciprocal_rank_fusion
from .index import ChunkIndex, Hit

log = logging.getLogger("openai_assistants.server")

INGEST_WORKERS = 2
# tests only: seconds each ingestion waits first, so an instance can be killed while it ingests
TEST_INGEST_DELAY_ENV = "OPENAI_ASSISTANTS_TEST_INGEST_DELAY"
WAIT_ELSEWHERE_SECONDS = 120.0  # a run waits at most this long for another instance's ingestion
FILE, STORE, STORE_FILE, BATCH = "file", "vector_store", "vector_store_file", "file_batch"
FINAL = ("completed", "failed", "cancelled")


def new_file_id() -> str:
    return f"file-{uuid.uuid4().hex[:24]}"


def store_file_key(vector_store_id: str, file_id: str) -> str:
    return f"{vector_store_id}:{file_id}"


class Library:
    """Files, vector stores and their search, over one object store, blob store and index."""

    def __init__(
        self,
        store: Any,
        blobs: BlobStore | None = None,
        index: ChunkIndex | None = None,
        *,
        embedder: Embedder | None = None,
        clock: Callable[[], float] = time.time,
        max_file_bytes: int = 512 * 1024 * 1024,
        leases: Any = None,
    ) -> None:
        """``leases``: an :class:`.postgres_ingest.IngestLeases` when several instances share
        the database (PostgreSQL)."""
        self.store = store
        self.blobs: Any = blobs or BlobStore()
        self.index: Any = index or ChunkIndex()
        self.embedder = embedder
        self.leases = leases
        self._lease_task: asyncio.Task[None] | None = None
        self.max_file_bytes = max_file_bytes
        self._clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._workers: asyncio.Semaphore | None = None

    @classmethod
    def beside(cls, store: Any, *, lease_seconds: float = 30.0, **options: Any) -> Library:
        """A library kept beside the object store's database file (``<db>-files/``: the bytes
        and ``index.sqlite``), in the same PostgreSQL database (``lease_seconds``: how long an
        ingesting instance may be silent before another takes over), or in memory when the
        object store is."""
        from ..store.postgres import PostgresStore

        if isinstance(store, PostgresStore):
            from .postgres_blobs import PostgresBlobStore
            from .postgres_index import PostgresChunkIndex
            from .postgres_ingest import IngestLeases

            index = PostgresChunkIndex(store)
            if options.get("embedder") is not None and not index.supports_vectors:
                log.warning(
                    "the database has no pgvector extension (CREATE EXTENSION vector, as a "
                    "superuser): search is lexical only, --embedding-model is not used"
                )
            leases = IngestLeases(store, lease_seconds=lease_seconds)
            return cls(store, PostgresBlobStore(store), index, leases=leases, **options)
        path = getattr(store, "path", None)
        if path is None:
            return cls(store, **options)
        folder = Path(f"{path}-files")
        if getattr(store, "read_only", None):  # served read-only: read what is there
            index_file = folder / "index.sqlite"
            index = ChunkIndex(index_file, read_only=True) if index_file.exists() else ChunkIndex()
            blobs = BlobStore(folder) if folder.is_dir() else BlobStore()
            return cls(store, blobs, index, **options)
        folder.mkdir(parents=True, exist_ok=True)
        return cls(store, BlobStore(folder), ChunkIndex(folder / "index.sqlite"), **options)

    def now(self) -> int:
        return int(self._clock())

    # files

    def file(self, file_id: str) -> dict[str, Any] | None:
        found = self.store.get(FILE, file_id)
        if found is not None and self._expired(found):
            self.delete_file(file_id)
            return None
        return found

    def readable_file(self, file_id: str) -> dict[str, Any] | None:
        """The file unless it is gone or expired, without deleting an expired one: for
        readers on a worker thread (a run's prompt), where deleting would recount vector
        stores beside the event loop's own writes; the next request on the loop deletes it."""
        found = self.store.get(FILE, file_id)
        return None if found is None or self._expired(found) else found

    def _expired(self, file: dict[str, Any]) -> bool:
        return bool(file.get("expires_at")) and file["expires_at"] <= self.now()

    def delete_file(self, file_id: str) -> bool:
        """Delete a file's object and bytes, and take it out of every vector store."""
        existed = self.store.delete(FILE, file_id)
        self.blobs.delete(file_id)
        for entry in self.store.all(STORE_FILE):
            if _file_id(entry) == file_id:
                self._drop_store_file(entry["vector_store_id"], file_id)
        return existed

    # vector stores

    def vector_store(self, vector_store_id: str) -> dict[str, Any] | None:
        found = self.store.get(STORE, vector_store_id)
        if found is None:
            return None
        expires_at = found.get("expires_at")
        if expires_at and expires_at <= self.now() and found["status"] != "expired":
            found["status"] = "expired"
            self.store.update(STORE, found)
        return found

    def create_vector_store(
        self,
        vector_store_id: str,
        files: Sequence[dict[str, Any]],
        strategy: ChunkingStrategy,
        *,
        name: str = "",
        metadata: dict[str, str] | None = None,
        expiry: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new vector store ingesting ``files`` (Create Vector Store, and the
        ``vector_stores`` helpers of assistants and threads)."""
        now = self.now()
        vector_store = {
            "id": vector_store_id,
            "object": "vector_store",
            "created_at": now,
            "name": name,
            "usage_bytes": 0,
            "file_counts": _counts([]),
            "status": "completed",
            "expires_at": None if expiry is None else now + expiry["days"] * 86400,
            "last_active_at": now,
            "metadata": metadata or {},
        }
        if expiry is not None:  # left out otherwise: the reference has no null for it
            vector_store["expires_after"] = expiry
        self.store.insert(STORE, vector_store)
        for file in files:
            self.add_file(vector_store_id, file, strategy, None, recount=False)
        self.recount(vector_store_id)
        return self.vector_store(vector_store_id) or vector_store

    def touch(self, vector_store: dict[str, Any], *, whole: bool = False) -> None:
        """Note activity: ``last_active_at`` and a ``last_active_at`` anchored expiry move on.

        Only these two fields are written (``whole``: the whole store, just read and modified,
        for Modify Vector Store): ``vector_store`` may have been read before a search, and its
        ``file_counts`` and ``status`` written back would undo an ingestion's count that ended
        meanwhile (on this instance or another). ``vector_store`` gets the stored fields."""
        vector_store["last_active_at"] = self.now()
        after = vector_store.get("expires_after")
        if after and after.get("anchor") == "last_active_at":
            vector_store["expires_at"] = self.now() + int(after["days"]) * 86400
        if whole:
            self.store.update(STORE, vector_store)
            return
        fields = {key: vector_store.get(key) for key in ("last_active_at", "expires_at")}
        stored = self.store.patch(STORE, vector_store["id"], fields)
        if stored is not None:
            vector_store.update(stored)

    def delete_vector_store(self, vector_store_id: str) -> bool:
        for entry in self.store.all(STORE_FILE, thread_id=vector_store_id):
            self.store.delete(STORE_FILE, entry["id"])  # stored under the composite key
        for batch in self.store.all(BATCH, thread_id=vector_store_id):
            self.store.delete(BATCH, batch["id"])
        self.index.remove_store(vector_store_id)
        return self.store.delete(STORE, vector_store_id)

    def store_files(
        self, vector_store_id: str, *, batch_id: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """The store's files (of one batch, in one status), oldest first."""
        items = self.store.all(
            STORE_FILE,
            thread_id=vector_store_id,
            run_id=batch_id,
            statuses=None if status is None else (status,),
        )
        return [_public(item) for item in items]

    def store_file(self, vector_store_id: str, file_id: str) -> dict[str, Any] | None:
        found = self.store.get(STORE_FILE, store_file_key(vector_store_id, file_id))
        return None if found is None else _public(found)

    def document(self, vector_store_id: str, file_id: str) -> str | None:
        """The parsed text of a store's file (``None`` until it is ingested)."""
        return self.index.document(vector_store_id, file_id)

    def add_file(
        self,
        vector_store_id: str,
        file: dict[str, Any],
        strategy: ChunkingStrategy,
        attributes: dict[str, Any] | None,
        batch_id: str | None = None,
        *,
        recount: bool = True,
    ) -> dict[str, Any]:
        """Attach a file to a store (replacing an earlier attachment) and start ingesting it."""
        key = store_file_key(vector_store_id, file["id"])
        if self.store.get(STORE_FILE, key) is not None:
            self._drop_store_file(vector_store_id, file["id"], recount=False)
        entry = {
            "id": file["id"],
            "object": "vector_store.file",
            "usage_bytes": 0,
            "created_at": self.now(),
            "vector_store_id": vector_store_id,
            "status": "in_progress",
            "last_error": None,
            "chunking_strategy": strategy.as_response(),
            "attributes": attributes or {},
        }
        self.store.insert(
            STORE_FILE,
            {**entry, "id": key, "_batch_id": batch_id},
            thread_id=vector_store_id,
            run_id=batch_id,
        )
        if recount:
            self.recount(vector_store_id, batch_id)
        self._start(vector_store_id, file["id"])
        return entry

    def set_attributes(self, vector_store_id: str, file_id: str, attributes: Any) -> None:
        key = store_file_key(vector_store_id, file_id)  # only the attributes: the status stays
        self.store.patch(STORE_FILE, key, {"attributes": attributes or {}})

    def remove_file(self, vector_store_id: str, file_id: str) -> bool:
        if self.store.get(STORE_FILE, store_file_key(vector_store_id, file_id)) is None:
            return False
        self._drop_store_file(vector_store_id, file_id)
        return True

    def _drop_store_file(self, vector_store_id: str, file_id: str, *, recount: bool = True) -> None:
        key = store_file_key(vector_store_id, file_id)
        batch = self._batch_of(key)
        self.store.delete(STORE_FILE, key)
        self.index.remove_file(vector_store_id, file_id)
        if recount:
            self.recount(vector_store_id, batch)

    def _batch_of(self, key: str) -> str | None:
        entry = self.store.get(STORE_FILE, key)
        return None if entry is None else entry.get("_batch_id")

    # batches

    def create_batch(
        self,
        vector_store_id: str,
        files: Sequence[tuple[dict[str, Any], dict[str, Any] | None, ChunkingStrategy]],
    ) -> dict[str, Any]:
        """A batch of files ``(file, attributes, chunking)`` added to a store at once."""
        batch = {
            "id": f"vsfb_{uuid.uuid4().hex[:24]}",
            "object": "vector_store.files_batch",
            "created_at": self.now(),
            "vector_store_id": vector_store_id,
            "status": "in_progress",
            "file_counts": _counts([]),
        }
        self.store.insert(BATCH, batch, thread_id=vector_store_id)
        for file, attributes, strategy in files:  # counted once at the end, not per file
            self.add_file(vector_store_id, file, strategy, attributes, batch["id"], recount=False)
        self.recount(vector_store_id, batch["id"])
        return self.store.get(BATCH, batch["id"]) or batch

    def cancel_batch(self, batch: dict[str, Any]) -> dict[str, Any]:
        vector_store_id = batch["vector_store_id"]
        for item in self.store.all(
            STORE_FILE, thread_id=vector_store_id, run_id=batch["id"], statuses=("in_progress",)
        ):
            # only if still in_progress: a file whose ingestion just ended stays completed
            # with its chunks (an ingestion ending after this takes its own chunks out)
            if self.store.patch(
                STORE_FILE, item["id"], {"status": "cancelled"}, statuses=("in_progress",)
            ):
                self.index.remove_file(vector_store_id, _file_id(item))
        self.recount(vector_store_id, batch["id"])
        return self.store.get(BATCH, batch["id"]) or batch

    # counting

    def recount(self, vector_store_id: str, batch_id: str | None = None) -> None:
        """Set the store's (and the batch's) ``file_counts``, ``usage_bytes`` and ``status``."""
        if self.leases is not None:  # PostgreSQL, several instances: in one transaction
            from .postgres_ingest import recount

            recount(self.store, vector_store_id, batch_id)
            return
        vector_store = self.store.get(STORE, vector_store_id)
        if vector_store is not None:
            vector_store["file_counts"], vector_store["usage_bytes"] = self._tally(vector_store_id)
            if vector_store["status"] != "expired":
                busy = vector_store["file_counts"]["in_progress"]
                vector_store["status"] = "in_progress" if busy else "completed"
            self.store.update(STORE, vector_store)
        if batch_id is not None:
            batch = self.store.get(BATCH, batch_id)
            if batch is not None:
                batch["file_counts"] = counts = self._tally(vector_store_id, batch_id)[0]
                if batch["status"] == "in_progress" and not counts["in_progress"]:
                    batch["status"] = "cancelled" if counts["cancelled"] else "completed"
                self.store.update(BATCH, batch)

    def _tally(
        self, vector_store_id: str, batch_id: str | None = None
    ) -> tuple[dict[str, int], int]:
        """The store's (or batch's) files by status, and their ``usage_bytes``."""
        if self.leases is not None:  # PostgreSQL: counted by the database
            from .postgres_ingest import tally

            return tally(self.store, vector_store_id, batch_id)
        items = self.store.all(STORE_FILE, thread_id=vector_store_id, run_id=batch_id)
        return _counts(items), sum(item.get("usage_bytes", 0) for item in items)

    # ingestion

    def _start(self, vector_store_id: str, file_id: str, *, claimed: bool = False) -> None:
        key = store_file_key(vector_store_id, file_id)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (e.g. a recovery outside a server): ingested when resumed
        if key in self._tasks:  # attached again while its ingestion here goes on: that task
            if self.leases is not None:  # ingests the new attachment, under this one's lease
                self.leases.claim(key)
            return
        if self.leases is not None and not claimed and not self.leases.claim(key):
            return  # a live instance ingests it
        self._tasks[key] = loop.create_task(self._ingest(vector_store_id, file_id))

    def resume(self) -> int:
        """Ingest again what a previous server left ``in_progress``; how many files.

        With leases: only files no live instance holds; then, every third of a lease, renew
        this instance's leases and take over the files of instances that died."""
        if self.leases is not None:
            swept = self.blobs.sweep() + self.index.sweep()
            if swept:
                log.warning("removed %d orphaned file part(s) and chunk(s)", swept)
            taken = self._take_over()
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return taken
            if self._lease_task is None:
                self._lease_task = loop.create_task(self._lease_loop(), name="ingest-leases")
            return taken
        pending = self.store.all(STORE_FILE, statuses=("in_progress",))
        for item in pending:
            self._start(item["vector_store_id"], _file_id(item))
        return len(pending)

    def _take_over(self) -> int:
        taken = self._claim_orphans()
        for key in taken:
            vector_store_id, _, file_id = key.partition(":")
            self._start(vector_store_id, file_id, claimed=True)
        return len(taken)

    def _claim_orphans(self) -> list[str]:
        """Leases taken of files no live instance holds (database work: a worker thread's)."""
        return [
            key
            for key in self.leases.orphans()
            if key not in self._tasks and self.leases.take_over(key)
        ]

    async def _lease_loop(self) -> None:
        """Every third of a lease: renew this instance's leases, stop ingesting files another
        instance took over (this one was silent longer than a lease: a database away, a
        paused process), and take over the files of instances that died. The database work
        runs in a worker thread, never on the event loop."""
        while True:
            await asyncio.sleep(self.leases.renew_every)
            try:
                tasks = dict(self._tasks)
                await asyncio.to_thread(self.leases.renew, list(tasks))
                for key in await asyncio.to_thread(self.leases.taken, list(tasks)):
                    if self._tasks.get(key) is tasks[key]:
                        log.warning("%s is ingested by another instance now: stopped here", key)
                        tasks[key].cancel()
                for key in await asyncio.to_thread(self._claim_orphans):
                    vector_store_id, _, file_id = key.partition(":")
                    self._start(vector_store_id, file_id, claimed=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again next time
                log.warning("ingestion leases not renewed: %s", exc)

    async def wait_idle(self) -> None:
        """Until every ingestion started so far has ended (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def wait_ready(self, vector_store_ids: Sequence[str]) -> None:
        """Until these stores' files in ingestion are done (a run searches what the thread's
        messages just attached, as the API's runs wait for them); with leases also those
        another instance ingests (for at most :data:`WAIT_ELSEWHERE_SECONDS`)."""
        prefixes = tuple(store_file_key(store_id, "") for store_id in vector_store_ids)
        while True:
            pending = [task for key, task in self._tasks.items() if key.startswith(prefixes)]
            if not pending:
                break
            await asyncio.gather(*pending, return_exceptions=True)
        if self.leases is None:
            return
        deadline = time.monotonic() + WAIT_ELSEWHERE_SECONDS
        while time.monotonic() < deadline and await asyncio.to_thread(
            self._any_in_progress, vector_store_ids
        ):
            await asyncio.sleep(0.2)

    def _any_in_progress(self, vector_store_ids: Sequence[str]) -> bool:
        return any(
            self.store.all(STORE_FILE, thread_id=store_id, statuses=("in_progress",))
            for store_id in vector_store_ids
        )

    @property
    def _uses_vectors(self) -> bool:
        return self.embedder is not None and getattr(self.index, "supports_vectors", True)

    async def stop(self) -> None:
        if self._lease_task is not None:
            self._lease_task.cancel()
            await asyncio.gather(self._lease_task, return_exceptions=True)
            self._lease_task = None
        held = list(self._tasks)
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
        self._tasks.clear()
        if self.leases is not None:  # another instance takes them over after a lease
            for key in held:
                try:
                    self.leases.release(key)
                except Exception as exc:
                    log.warning("ingestion lease of %s not released: %s", key, exc)
        if self.embedder is not None:
            await self.embedder.aclose()
        self.index.close()

    async def _ingest(self, vector_store_id: str, file_id: str) -> None:
        key = store_file_key(vector_store_id, file_id)
        try:
            if self._workers is None:
                self._workers = asyncio.Semaphore(INGEST_WORKERS)
            delay = os.environ.get(TEST_INGEST_DELAY_ENV)
            if delay:
                await asyncio.sleep(float(delay))
            async with self._workers:
                usage, error = await self._ingest_file(vector_store_id, file_id)
            # only these fields, only while still in_progress (one atomic patch): attributes
            # set or a cancel made meanwhile, here or on another instance, are kept
            entry = self.store.patch(
                STORE_FILE,
                key,
                {
                    "status": "failed" if error else "completed",
                    "last_error": error,
                    "usage_bytes": usage,
                },
                statuses=("in_progress",),
            )
            if entry is None:  # removed or cancelled meanwhile
                self.index.remove_file(vector_store_id, file_id)
                return
            self.recount(vector_store_id, entry.get("_batch_id"))
        except asyncio.CancelledError:
            raise
        finally:
            if self._tasks.get(key) is asyncio.current_task():
                del self._tasks[key]
                if self.leases is not None and not _stopping():
                    try:
                        await asyncio.to_thread(self.leases.release, key)
                    except Exception as exc:
                        log.warning("ingestion lease of %s not released: %s", key, exc)

    async def _ingest_file(
        self, vector_store_id: str, file_id: str
    ) -> tuple[int, dict[str, Any] | None]:
        entry = self.store.get(STORE_FILE, store_file_key(vector_store_id, file_id))
        file = self.store.get(FILE, file_id)
        if entry is None or entry["status"] != "in_progress":
            return 0, None  # removed or cancelled while it waited for a worker
        if file is None:
            return 0, RetrievalError(
                "invalid_file", f"The file {file_id} was deleted before it was processed."
            ).last_error()
        strategy = ChunkingStrategy.from_response(entry.get("chunking_strategy"))
        try:
            chunk_ids, chunks, usage = await asyncio.to_thread(
                self._index_file, vector_store_id, file, strategy
            )
            if self._uses_vectors and chunks:
                assert self.embedder is not None
                vectors = await self.embedder.embed(chunks)
                await asyncio.to_thread(
                    self.index.set_vectors,
                    vector_store_id,
                    [(i, pack(v)) for i, v in zip(chunk_ids, vectors, strict=True)],
                )
        except RetrievalError as exc:
            self.index.remove_file(vector_store_id, file_id)
            return 0, exc.last_error()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("ingesting %s into %s failed", file_id, vector_store_id)
            self.index.remove_file(vector_store_id, file_id)
            return 0, {"code": SERVER_ERROR, "message": f"Processing failed: {exc}"}
        return usage, None

    def _index_file(
        self, vector_store_id: str, file: dict[str, Any], strategy: ChunkingStrategy
    ) -> tuple[list[int], list[str], int]:
        data = self.blobs.read(file["id"])
        if data is None:
            raise RetrievalError("invalid_file", f"The bytes of {file['id']} are missing.")
        text = extract_text(data, file.get("filename") or "", file.get("content_type"))
        chunks = chunk_text(text, strategy)
        ids = self.index.add(vector_store_id, file["id"], text, chunks)
        return ids, chunks, sum(len(chunk.encode("utf-8")) for chunk in chunks)

    # search

    async def search(
        self,
        vector_store_ids: Sequence[str],
        queries: Sequence[str],
        *,
        max_num_results: int = 10,
        filters: dict[str, Any] | None = None,
        score_threshold: float = 0.0,
        ranker: str = "auto",
    ) -> list[dict[str, Any]]:
        """Search results as the API's ``VectorStoreSearchResultItem`` objects, best first."""
        files: dict[str, dict[str, Any]] = {}
        allowed: list[str] | None = None
        if filters is not None:  # only then are all the stores' files read (a worker thread's
            # work: thousands of documents, from the database on PostgreSQL)
            allowed = await asyncio.to_thread(self._matching_files, vector_store_ids, filters)
        best: dict[int, Hit] = {}
        for query in queries:
            hits = await asyncio.to_thread(
                self.index.search, vector_store_ids, query, limit=max_num_results, file_ids=allowed
            )
            if self._uses_vectors and ranker != "none" and hits is not None:
                hits = await self._hybrid(vector_store_ids, query, hits, max_num_results, allowed)
            for hit in hits:
                if hit.chunk_id not in best or best[hit.chunk_id].score < hit.score:
                    best[hit.chunk_id] = hit
        ranked = sorted(best.values(), key=lambda hit: (-hit.score, hit.chunk_id))
        results = []
        for hit in ranked:
            if hit.score < score_threshold or len(results) == max_num_results:
                continue
            if hit.file_id not in files:
                files[hit.file_id] = self.store.get(FILE, hit.file_id) or {}
            entry = (
                self.store.get(STORE_FILE, store_file_key(hit.vector_store_id, hit.file_id)) or {}
            )
            results.append(
                {
                    "file_id": hit.file_id,
                    "filename": files[hit.file_id].get("filename", ""),
                    "score": round(hit.score, 6),
                    "attributes": entry.get("attributes") or {},
                    "content": [{"type": "text", "text": hit.text}],
                }
            )
        return results

    def _matching_files(
        self, vector_store_ids: Sequence[str], filters: dict[str, Any]
    ) -> list[str]:
        """The completed files of these stores whose attributes match ``filters``."""
        return sorted(
            {
                _file_id(item)
                for store_id in vector_store_ids
                for item in self.store.all(STORE_FILE, thread_id=store_id, statuses=("completed",))
                if matches(filters, item.get("attributes"))
            }
        )

    async def _hybrid(
        self,
        vector_store_ids: Sequence[str],
        query: str,
        lexical: list[Hit],
        limit: int,
        allowed: list[str] | None,
    ) -> list[Hit]:
        assert self.embedder is not None
        (vector,) = await self.embedder.embed([query])
        semantic = await asyncio.to_thread(
            self.index.vector_search, vector_store_ids, vector, limit=limit, file_ids=allowed
        )
        by_id = {hit.chunk_id: hit for hit in [*semantic, *lexical]}
        fused = reciprocal_rank_fusion(
            [[hit.chunk_id for hit in lexical], [hit.chunk_id for hit in semantic]]
        )
        return [_with_score(by_id[chunk_id], score) for chunk_id, score in fused]


def _stopping() -> bool:
    """Whether the current task is being cancelled (the server stops: no more database work)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _with_score(hit: Hit, score: float) -> Hit:
    from dataclasses import replace

    return replace(hit, score=score)


def _file_id(item: dict[str, Any]) -> str:
    return str(item["id"]).split(":", 1)[-1]


def _public(item: dict[str, Any]) -> dict[str, Any]:
    """A stored vector-store file as the API shows it (its own ID, no private fields)."""
    return {k: v for k, v in item.items() if not k.startswith("_")} | {"id": _file_id(item)}


def _counts(items: Sequence[dict[str, Any]]) -> dict[str, int]:
    counts = {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0}
    for item in items:
        status = item.get("status")
        if status in counts:
            counts[status] += 1
    counts["total"] = len(items)
    return counts
