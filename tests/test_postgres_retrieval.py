"""Files' bytes and the search index in PostgreSQL (``serve --db postgresql://...``).

Against the real PostgreSQL the suite starts (:mod:`postgres_server`): bytes round-trip exactly
over several parts and only once complete; search ranks every chunk with any of a query's words,
scores in 0..1 best first, ``max_num_results``, attribute filters and the score threshold through
the :class:`Library`, query text that is tsquery syntax is just text; removing files and stores
leaves no rows; embeddings rank with pgvector when the extension is there, and not without it;
ingestion leases: a live instance's file is left alone, a dead one's is taken over.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from openai_assistants.server.retrieval import postgres_blobs
from openai_assistants.server.retrieval.chunking import ChunkingStrategy
from openai_assistants.server.retrieval.embeddings import pack
from openai_assistants.server.retrieval.library import FILE, STORE, STORE_FILE, Library
from openai_assistants.server.retrieval.postgres_blobs import PostgresBlobStore
from openai_assistants.server.retrieval.postgres_index import PostgresChunkIndex
from openai_assistants.server.retrieval.postgres_ingest import IngestLeases
from openai_assistants.server.store.postgres import PostgresStore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def database(postgres_server) -> str:
    url = postgres_server.new_database("retrieval")
    postgres_server.admin("CREATE EXTENSION IF NOT EXISTS vector", database="retrieval")
    return url


@pytest.fixture
def db(database: str):
    store = PostgresStore(database, pool_size=3)
    store.execute("TRUNCATE objects, file_blobs, chunks, chunk_documents CASCADE")
    yield store
    store.close()


def count(db: PostgresStore, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}", write=False)[0][0]


def write(blobs: PostgresBlobStore, file_id: str, data: bytes, piece: int = 70_000) -> None:
    async def go() -> None:
        writer = blobs.writer(file_id, 10 * len(data) + 1)
        for start in range(0, len(data), piece):
            pending = writer.write(data[start : start + piece])
            if pending is not None:
                await pending
        await writer.commit()

    asyncio.run(go())


def test_blobs_round_trip_exact_bytes_over_several_parts(db, monkeypatch) -> None:
    monkeypatch.setattr(postgres_blobs, "PART_BYTES", 100_000)
    blobs = PostgresBlobStore(db)
    data = random.Random(3).randbytes(350_001)
    write(blobs, "file-big", data)
    parts = blobs.parts("file-big")
    assert parts is not None and parts >= 3
    assert blobs.read("file-big") == data
    assert b"".join(blobs.read_part("file-big", n) for n in range(parts)) == data
    write(blobs, "file-empty", b"")
    assert blobs.read("file-empty") == b""
    blobs.delete("file-big")
    assert blobs.read("file-big") is None and blobs.parts("file-big") is None
    assert db.execute("SELECT count(*) FROM file_blob_parts WHERE file_id = 'file-big'") == [(0,)]


def test_an_unfinished_or_refused_upload_is_never_readable_and_leaves_nothing(
    db, monkeypatch
) -> None:
    monkeypatch.setattr(postgres_blobs, "PART_BYTES", 1000)
    blobs = PostgresBlobStore(db)

    async def go() -> None:
        writer = blobs.writer("file-half", 5000)
        await writer.write(b"x" * 1500)  # one part written, not complete
        assert blobs.read("file-half") is None and blobs.parts("file-half") is None
        with pytest.raises(postgres_blobs.TooLarge):
            writer.write(b"y" * 4000)

    asyncio.run(go())
    assert count(db, "file_blobs") == 0 and count(db, "file_blob_parts") == 0


def test_search_ranks_any_word_scores_in_0_1_best_first(db) -> None:
    index = PostgresChunkIndex(db)
    index.add(
        "vs_1",
        "file-a",
        "whole text",
        [
            "The lighthouse keeper is named Ada Quill.",
            "Ferries to the island leave every hour from the harbour.",
            "Bread needs flour, water, salt and yeast.",
            "The harbour lighthouse and the harbour ferries, harbour again.",
        ],
    )
    index.add("vs_2", "file-b", "other", ["The harbour of another store."])
    hits = index.search(["vs_1"], "Who keeps the lighthouse in the harbour?", limit=10)
    texts = [hit.text for hit in hits]
    assert texts[0].startswith("The harbour lighthouse")  # both words, often
    assert set(texts) == {
        "The lighthouse keeper is named Ada Quill.",
        "Ferries to the island leave every hour from the harbour.",
        "The harbour lighthouse and the harbour ferries, harbour again.",
    }  # each has one of the words at least; bread has none; vs_2 is not searched
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert len(index.search(["vs_1"], "harbour lighthouse", limit=1)) == 1
    assert index.search(["vs_1", "vs_2"], "another", limit=5)[0].file_id == "file-b"
    assert index.search(["vs_1"], "flour", limit=5, file_ids=["file-x"]) == []
    assert index.document("vs_1", "file-a") == "whole text"


@pytest.mark.parametrize("query", ["a' | !b & c:*", "'); DROP TABLE chunks; --", "!!! :*", "<->"])
def test_tsquery_syntax_in_a_query_is_just_text(db, query: str) -> None:
    index = PostgresChunkIndex(db)
    index.add("vs_1", "file-a", "", ["drop table of contents", "plain chunk"])
    hits = index.search(["vs_1"], query, limit=5)
    assert count(db, "chunks") == 2
    if "DROP" in query:  # its words are searched: "chunks" finds "chunk" (english stems)
        assert hits[0].text == "drop table of contents"


def test_removing_files_and_stores_leaves_no_rows(db) -> None:
    index = PostgresChunkIndex(db)
    ids = index.add("vs_1", "file-a", "a", ["one chunk", "two chunk"])
    index.set_vectors("vs_1", [(i, pack([1.0, 0.0, 0.0])) for i in ids])
    index.add("vs_1", "file-b", "b", ["three chunk"])
    index.add("vs_2", "file-a", "a", ["four chunk"])
    index.remove_file("vs_1", "file-a")
    assert index.search(["vs_1"], "chunk", limit=10)[0].file_id == "file-b"
    assert count(db, "chunk_vectors") == 0
    index.remove_store("vs_1")
    assert index.search(["vs_1"], "chunk", limit=10) == []
    assert count(db, "chunks") == 1 and count(db, "chunk_documents") == 1


def test_vector_search_with_pgvector(db) -> None:
    index = PostgresChunkIndex(db)
    assert index.supports_vectors
    ids = index.add("vs_1", "file-a", "", ["north", "east", "south"])
    vectors = [[0.0, 1.0], [1.0, 0.0], [0.0, -1.0]]
    index.set_vectors("vs_1", [(i, pack(v)) for i, v in zip(ids, vectors, strict=True)])
    hits = index.vector_search(["vs_1"], [0.1, 0.9], limit=2)
    assert [hit.text for hit in hits] == ["north", "east"]
    assert 0.9 < hits[0].score <= 1 and hits[1].score < hits[0].score
    assert index.vector_search(["vs_1"], [1.0, 0.0, 0.0], limit=2) == []  # other width


def test_without_pgvector_search_is_lexical_only(postgres_server) -> None:
    url = postgres_server.new_database("no_vectors")
    store = PostgresStore(url, pool_size=2)
    try:
        index = PostgresChunkIndex(store)
        assert not index.supports_vectors
        ids = index.add("vs_1", "file-a", "", ["north"])
        index.set_vectors("vs_1", [(ids[0], pack([1.0, 0.0]))])  # ignored
        assert index.vector_search(["vs_1"], [1.0, 0.0], limit=2) == []
        assert [hit.text for hit in index.search(["vs_1"], "north", limit=2)] == ["north"]
    finally:
        store.close()


def test_library_on_postgres_filters_thresholds_and_deletes_everything(db) -> None:
    async def scenario() -> None:
        library = Library.beside(db)
        assert isinstance(library.blobs, PostgresBlobStore)
        files = []
        for number, text in enumerate(
            [b"The harbour opens at dawn.", b"The harbour closes at dusk.", b"Bread and salt."]
        ):
            file = {"id": f"file-{number}", "object": "file", "filename": f"f{number}.txt"}
            writer = library.blobs.writer(file["id"], 1000)
            writer.write(text)
            await writer.commit()
            db.insert(FILE, file)
            files.append(file)
        library.create_vector_store("vs_1", [], ChunkingStrategy())
        for number, file in enumerate(files):
            library.add_file("vs_1", file, ChunkingStrategy(), {"n": number})
        await library.wait_idle()
        assert db.get(STORE, "vs_1")["file_counts"]["completed"] == 3
        both = await library.search(["vs_1"], ["harbour dawn"])
        assert [r["file_id"] for r in both] == ["file-0", "file-1"]
        assert both[0]["score"] > both[1]["score"]
        filtered = await library.search(
            ["vs_1"], ["harbour"], filters={"type": "eq", "key": "n", "value": 1}
        )
        assert [r["file_id"] for r in filtered] == ["file-1"]
        assert await library.search(["vs_1"], ["harbour dawn"], max_num_results=1) == both[:1]
        middle = (both[0]["score"] + both[1]["score"]) / 2
        above = await library.search(["vs_1"], ["harbour dawn"], score_threshold=middle)
        assert [r["file_id"] for r in above] == ["file-0"]
        library.delete_file("file-0")
        library.delete_vector_store("vs_1")
        await library.stop()
        assert count(db, "chunks") == 0 and count(db, "chunk_documents") == 0
        assert db.execute("SELECT file_id FROM file_blobs ORDER BY file_id") == [
            ("file-1",),
            ("file-2",),
        ]

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_ingestion_leases_leave_live_files_alone_and_take_over_dead_ones(db) -> None:
    db.insert(STORE_FILE, {"id": "vs_1:file-a", "status": "in_progress"}, thread_id="vs_1")
    db.insert(STORE_FILE, {"id": "vs_1:file-b", "status": "in_progress"}, thread_id="vs_1")
    live = IngestLeases(db, lease_seconds=30, owner="live")
    dead = IngestLeases(db, lease_seconds=0.2, owner="dead")
    assert live.claim("vs_1:file-a") and dead.claim("vs_1:file-b")
    other = IngestLeases(db, lease_seconds=30, owner="other")
    assert not other.claim("vs_1:file-a")
    assert other.orphans() == []
    import time

    time.sleep(0.5)  # the dead instance's lease runs out
    assert other.orphans() == ["vs_1:file-b"]
    assert other.take_over("vs_1:file-b") and not other.take_over("vs_1:file-a")
    assert live.renew(["vs_1:file-a", "vs_1:file-b"]) == {"vs_1:file-a"}


def test_hybrid_search_with_embeddings_in_pgvector(db) -> None:
    from test_retrieval_embeddings import endpoint

    from openai_assistants.server.retrieval.embeddings import Embedder

    async def scenario() -> None:
        embedder = Embedder("http://model.test/v1", "embed-1", transport=endpoint([]))
        library = Library.beside(db, embedder=embedder)
        library.create_vector_store("vs_1", [], ChunkingStrategy())
        texts = {
            "file-a": "The ferry leaves at noon from the pier.",
            "file-b": "A loaf needs flour and an oven.",
            "file-c": "The pole star points north.",
        }
        for file_id, text in texts.items():
            writer = library.blobs.writer(file_id, 10_000)
            writer.write(text.encode())
            await writer.commit()
            db.insert(FILE, {"id": file_id, "object": "file", "filename": f"{file_id}.txt"})
            library.add_file("vs_1", {"id": file_id}, ChunkingStrategy(100, 0), None)
        await library.wait_idle()
        assert count(db, "chunk_vectors") == 3
        # "ship" is in no chunk (and the other words are stop words or absent): only the
        # embeddings find the ferry
        assert await library.search(["vs_1"], ["which ship goes"], ranker="none") == []
        results = await library.search(["vs_1"], ["which ship goes"])
        assert results[0]["file_id"] == "file-a"
        assert all(0 <= r["score"] <= 1 for r in results)
        library.delete_vector_store("vs_1")
        assert count(db, "chunk_vectors") == 0
        await library.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_whole_large_file_is_read_beyond_a_requests_statement_timeout(db, database) -> None:
    """Extraction reads a file whole, in one statement: a 512 MiB file takes seconds, longer
    than the statement_timeout every request has (``--db-timeout``, 5 s by default). Here a
    64 MiB file (~0.4 s to read) under a 0.2 s timeout."""
    data = random.Random(7).randbytes(1 << 20) * 64
    write(PostgresBlobStore(db), "file-large", data, piece=1 << 20)
    hasty = PostgresStore(database, pool_size=1, timeout=0.2)
    try:
        assert PostgresBlobStore(hasty).read("file-large") == data
        assert PostgresBlobStore(hasty).read("file-missing") is None
    finally:
        hasty.close()


def test_recounts_of_two_instances_at_once_end_with_the_true_counts(db, monkeypatch) -> None:
    """Instance A counts the store while instance B's file ends and B counts too: the count
    written last must see both files ended (A's count, made before B's file ended, was written
    over B's, and the store stayed in_progress for good)."""
    import threading

    from openai_assistants.server.retrieval import postgres_ingest

    a, b = Library.beside(db), Library.beside(db)
    a.create_vector_store("vs_1", [], ChunkingStrategy())
    for file_id in ("file-a", "file-b"):
        db.insert(STORE_FILE, {"id": f"vs_1:{file_id}", "status": "in_progress"}, thread_id="vs_1")
    counting = postgres_ingest.tally
    others: list[threading.Thread] = []

    def tally_while_b_ends(*args, **kwargs):
        counted = counting(*args, **kwargs)
        if not others:  # A has counted; now B's file ends and B counts (its own connection)

            def b_ends() -> None:
                db.patch(STORE_FILE, "vs_1:file-b", {"status": "completed"})
                b.recount("vs_1")

            others.append(threading.Thread(target=b_ends))
            others[0].start()
            others[0].join(timeout=1.0)  # B finishes unless it waits for A's count to be written
        return counted

    monkeypatch.setattr(postgres_ingest, "tally", tally_while_b_ends)
    db.patch(STORE_FILE, "vs_1:file-a", {"status": "completed"})
    a.recount("vs_1")
    others[0].join(timeout=10)
    store = db.get(STORE, "vs_1")
    assert store["file_counts"]["completed"] == 2 and store["file_counts"]["in_progress"] == 0
    assert store["status"] == "completed"


def test_an_ingestion_ending_keeps_what_another_instance_changed_meanwhile(db) -> None:
    """Instance A's ingestion ends while instance B sets the file's attributes: A writes only
    the status (and usage), so B's attributes stay (A wrote back the whole file as it had
    read it, with the old attributes)."""

    class Interleaved:
        """A's store: once A's chunks are in, B sets the attributes before A's next write
        of the file (after A's read of it, if A reads it first)."""

        def __init__(self, store: PostgresStore) -> None:
            self._store, self.armed = store, False

        def __getattr__(self, name: str):
            return getattr(self._store, name)

        def _b_sets_attributes(self, kind: str) -> None:
            if kind == STORE_FILE and self.armed:
                self.armed = False
                b.set_attributes("vs_1", "file-a", {"team": "b"})

        def get(self, kind: str, object_id: str):
            found = self._store.get(kind, object_id)
            self._b_sets_attributes(kind)
            return found

        def patch(self, kind: str, *args, **kwargs):
            self._b_sets_attributes(kind)
            return self._store.patch(kind, *args, **kwargs)

    async def scenario() -> None:
        writer = a.blobs.writer("file-a", 1000)
        writer.write(b"The harbour opens at dawn.")
        await writer.commit()
        db.insert(FILE, {"id": "file-a", "object": "file", "filename": "a.txt"})
        a.create_vector_store("vs_1", [], ChunkingStrategy())
        adding = a.index.add

        def add_then_arm(*args, **kwargs):
            ids = adding(*args, **kwargs)
            a.store.armed = True
            return ids

        a.index.add = add_then_arm
        a.add_file("vs_1", {"id": "file-a"}, ChunkingStrategy(), {"team": "a"})
        await a.wait_idle()
        await a.stop()

    a, b = Library.beside(db), Library.beside(db)
    a.store = Interleaved(db)
    asyncio.run(asyncio.wait_for(scenario(), 30))
    entry = db.get(STORE_FILE, "vs_1:file-a")
    assert entry["status"] == "completed" and entry["attributes"] == {"team": "b"}
    assert db.get(STORE, "vs_1")["file_counts"]["completed"] == 1


def test_an_instance_stops_ingesting_a_file_another_instance_took_over(db, monkeypatch) -> None:
    """When this instance's lease was taken over (it was silent longer than a lease), the
    other instance ingests the file: this one stops, and does not go on beside it."""
    from openai_assistants.server.retrieval.library import TEST_INGEST_DELAY_ENV

    monkeypatch.setenv(TEST_INGEST_DELAY_ENV, "20")  # this instance is still at it

    async def scenario() -> None:
        library = Library.beside(db, lease_seconds=0.3)
        library.create_vector_store("vs_1", [], ChunkingStrategy())
        db.insert(FILE, {"id": "file-a", "object": "file", "filename": "a.txt"})
        library.resume()  # the lease loop
        library.add_file("vs_1", {"id": "file-a"}, ChunkingStrategy(), None)
        assert "vs_1:file-a" in library._tasks
        db.execute(
            "UPDATE objects SET owner = 'other', lease_until = now() + interval '1 minute' "
            "WHERE kind = 'vector_store_file' AND id = 'vs_1:file-a'"
        )
        for _ in range(100):
            if "vs_1:file-a" not in library._tasks:
                break
            await asyncio.sleep(0.05)
        assert "vs_1:file-a" not in library._tasks
        assert db.get(STORE_FILE, "vs_1:file-a")["status"] == "in_progress"  # the other's
        assert db.execute("SELECT owner FROM objects WHERE id = 'vs_1:file-a'") == [("other",)]
        await library.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_long_upload_just_completed_is_not_swept_before_its_file_is_stored(
    db, monkeypatch
) -> None:
    """The sweep of a starting instance removes complete bytes without a file object only
    when they were completed over a minute ago: an upload that took longer than a minute has
    its object stored just after its last part, and must not lose its bytes meanwhile."""
    monkeypatch.setattr(postgres_blobs, "PART_BYTES", 1000)
    blobs = PostgresBlobStore(db)

    async def upload() -> None:
        writer = blobs.writer("file-slow", 100_000)
        await writer.write(b"x" * 1500)  # the first part, written when the upload began
        db.execute("UPDATE file_blobs SET created_at = now() - interval '10 minutes'")
        writer.write(b"y" * 10)
        await writer.commit()

    asyncio.run(upload())
    assert blobs.sweep() == 0  # another instance starts before the file object is stored
    assert blobs.read("file-slow") == b"x" * 1500 + b"y" * 10
    db.execute("UPDATE file_blobs SET created_at = now() - interval '2 minutes'")
    assert blobs.sweep() == 1  # never stored (its instance died): swept


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("what is 3.14?", "Pi is 3.14 roughly."),
        ("mail ada@example.com", "Write to ada@example.com today."),
        ("example.com setup guide", "See https://example.com/docs/setup for the guide."),
        ("version 1.2.3", "Version 1.2.3 was released."),
        ("report.pdf", "The report.pdf is attached."),
        ("/a'b\\c path", "Fetch http://x.org/a'b\\c now."),
    ],
)
def test_a_query_finds_numbers_addresses_and_file_names_as_the_chunks_have_them(
    db, query: str, expected: str
) -> None:
    """PostgreSQL's parser keeps "3.14", an e-mail address, a host, a version, a file name as
    one token of a chunk; the query is parsed the same way, so it finds them (cut into words
    of letters and digits, "3" and "14" matched nothing)."""
    index = PostgresChunkIndex(db)
    chunks = [
        "Pi is 3.14 roughly.",
        "Write to ada@example.com today.",
        "See https://example.com/docs/setup for the guide.",
        "Version 1.2.3 was released.",
        "The report.pdf is attached.",
        "Fetch http://x.org/a'b\\c now.",
        "Nothing of the kind here.",
    ]
    index.add("vs_1", "file-a", "", chunks)
    assert [hit.text for hit in index.search(["vs_1"], query, limit=1)] == [expected]


def test_queries_of_stop_words_punctuation_nul_or_huge_find_nothing_cleanly(db) -> None:
    index = PostgresChunkIndex(db)
    index.add("vs_1", "file-a", "", ["The harbour opens at dawn."])
    for query in ["the of and is", "!!! ... ???", "\x00", "x" * 3000, ("the " * 300_000)]:
        assert index.search(["vs_1"], query, limit=5) == []
    assert index.search(["vs_1"], "harbour\x00", limit=5)[0].text == "The harbour opens at dawn."


def test_a_filtered_search_and_a_wait_for_other_instances_read_off_the_event_loop(
    db, monkeypatch
) -> None:
    """A filter reads every file of the stores (thousands of documents, from the database),
    and a run waiting for another instance's ingestion asks the database every 0.2 s: both in
    a worker thread, so the instance's other requests go on meanwhile."""
    import threading

    readers: list[threading.Thread] = []
    reading = db.all

    def all_recorded(*args, **kwargs):
        readers.append(threading.current_thread())
        return reading(*args, **kwargs)

    async def scenario() -> None:
        library = Library.beside(db)
        library.create_vector_store("vs_1", [], ChunkingStrategy())
        entry = {"id": "vs_1:file-a", "status": "completed", "attributes": {"n": 1}}
        db.insert(STORE_FILE, entry, thread_id="vs_1")
        monkeypatch.setattr(db, "all", all_recorded)
        filters = {"type": "eq", "key": "n", "value": 1}
        assert await library.search(["vs_1"], ["harbour"], filters=filters) == []
        await library.wait_ready(["vs_1"])
        assert len(readers) == 2
        assert threading.current_thread() not in readers
        await library.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_file_attached_again_while_ingested_here_is_not_taken_over(db, monkeypatch) -> None:
    """Attached again while this instance still ingests it, the file's new attachment is held
    by this instance's lease (it was held by none, and another instance took it over after a
    lease and ingested it too)."""
    from openai_assistants.server.retrieval.library import TEST_INGEST_DELAY_ENV

    monkeypatch.setenv(TEST_INGEST_DELAY_ENV, "20")  # this instance is still at it

    async def scenario() -> None:
        here = Library.beside(db, lease_seconds=30)
        here.create_vector_store("vs_1", [], ChunkingStrategy())
        db.insert(FILE, {"id": "file-a", "object": "file", "filename": "a.txt"})
        here.add_file("vs_1", {"id": "file-a"}, ChunkingStrategy(), None)
        here.add_file("vs_1", {"id": "file-a"}, ChunkingStrategy(), {"again": True})
        other = IngestLeases(db, lease_seconds=0.2, owner="other")
        await asyncio.sleep(0.4)  # longer than the other's lease since the attachment
        assert other.orphans() == []
        await here.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_large_stores_chunks_are_removed_beyond_a_requests_statement_timeout(
    db, database
) -> None:
    """Deleting a vector store removes all its chunks in one statement: a large store's take
    longer than a request's statement_timeout (5 s by default), and the store could then
    never be deleted (here 100,000 chunks, ~0.5 s, under a 0.2 s timeout)."""
    PostgresChunkIndex(db).add(
        "vs_1", "file-a", "", [f"chunk {n} of the harbour text" for n in range(100_000)]
    )
    hasty = PostgresStore(database, pool_size=1, timeout=0.2)
    try:
        PostgresChunkIndex(hasty).remove_store("vs_1")
    finally:
        hasty.close()
    assert count(db, "chunks") == 0 and count(db, "chunk_documents") == 0
