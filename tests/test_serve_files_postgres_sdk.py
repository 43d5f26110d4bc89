"""The Files, vector store and ``file_search`` SDK tests, every one, on PostgreSQL.

The test functions of :mod:`test_serve_files_sdk` and :mod:`test_serve_file_search_sdk` run here
with the application's store a :class:`~openai_assistants.server.store.postgres.PostgresStore`
on a real PostgreSQL (started by the suite, :mod:`postgres_server`) and the engine holding run
leases, as each of several ``serve`` instances does: bytes, chunks and search are then in the
database (:mod:`~openai_assistants.server.retrieval.postgres_blobs`,
:mod:`~openai_assistants.server.retrieval.postgres_index`). Two tests that look into the SQLite
folder beside the database are replaced by ones that look into the database. Each test starts
on an empty database.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import openai
import pytest
import test_serve_files_sdk
from test_serve_file_search_sdk import *  # noqa: F403  (the file_search SDK tests, again here)
from test_serve_files_sdk import *  # noqa: F403  (the Files/vector store SDK tests, again here)
from test_serve_files_sdk import HARBOUR, POLL, run, serving, upload

from openai_assistants.server.retrieval.postgres_blobs import PostgresBlobStore
from openai_assistants.server.runs import Engine
from openai_assistants.server.store.postgres import PostgresStore
from openai_assistants.server.store.postgres_leases import RunLeases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TABLES = "objects, file_blobs, chunks, chunk_documents"


@pytest.fixture(scope="module")
def files_database(postgres_server) -> str:
    url = postgres_server.new_database("files_sdk_tests")
    postgres_server.admin("CREATE EXTENSION IF NOT EXISTS vector", database="files_sdk_tests")
    return url


def rows(url: str, sql: str) -> list[tuple]:
    look = PostgresStore(url, pool_size=1)
    try:
        return look.execute(sql, write=False)
    finally:
        look.close()


@pytest.fixture(autouse=True)
def _on_postgres(files_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``serving()`` gets an emptied PostgreSQL store (whatever ``db`` it is given: a
    second ``serving()`` in one test is a restart on the same database) and run leases."""
    emptied = PostgresStore(files_database, pool_size=1)
    emptied.execute(f"TRUNCATE {TABLES} CASCADE")
    emptied.close()

    def store(db: Path | None = None) -> PostgresStore:
        return PostgresStore(files_database, pool_size=4, timeout=5)

    def engine(store: PostgresStore, backend, **options) -> Engine:
        return Engine(store, backend, leases=RunLeases(store, lease_seconds=3), **options)

    monkeypatch.setattr(test_serve_files_sdk, "SqliteStore", store)
    monkeypatch.setattr(test_serve_files_sdk, "Engine", functools.wraps(Engine)(engine))


def test_an_upload_over_the_limit_is_a_413_and_leaves_nothing(files_database: str) -> None:
    async def scenario() -> None:
        async with serving(max_file_bytes=1000) as (client, library):
            assert isinstance(library.blobs, PostgresBlobStore)
            with pytest.raises(openai.APIStatusError) as caught:
                await upload(client, "big.txt", b"x" * 5000)
            assert caught.value.status_code == 413
            assert (await client.files.list()).data == []
            assert rows(files_database, "SELECT count(*) FROM file_blob_parts") == [(0,)]
            small = await upload(client, "small.txt", b"fits")
            assert (await client.files.content(small.id)).content == b"fits"

    run(scenario)


def test_files_and_stores_survive_a_restart(files_database: str) -> None:
    async def first() -> tuple[str, str]:
        async with serving() as (client, _):
            file = await upload(client, "harbour.txt", HARBOUR)
            store = await client.vector_stores.create(name="kept")
            await client.vector_stores.files.create_and_poll(
                vector_store_id=store.id, file_id=file.id, **POLL
            )
            return file.id, store.id

    file_id, store_id = asyncio.run(first())

    async def second() -> None:
        async with serving() as (client, _):
            assert (await client.files.content(file_id)).content == HARBOUR
            page = await client.vector_stores.search(store_id, query="ferries island")
            assert [r.file_id for r in page.data] == [file_id]
            await client.files.delete(file_id)
            assert (await client.vector_stores.search(store_id, query="ferries")).data == []
            store = await client.vector_stores.retrieve(store_id)
            assert store.file_counts.total == 0

    run(second)
    assert rows(files_database, "SELECT count(*) FROM file_blobs") == [(0,)]
    assert rows(files_database, "SELECT count(*) FROM chunks") == [(0,)]


def test_a_nul_character_is_a_404_or_a_400_naming_the_field_never_a_503() -> None:
    """PostgreSQL's text and jsonb refuse NUL (SQLite keeps it): an ID with one names no
    object, and a document with one is the request's fault, not a storage outage."""

    async def scenario() -> None:
        async with serving() as (client, _):
            file = await upload(client, "harbour.txt", HARBOUR)
            store = await client.vector_stores.create(name="nul")
            with pytest.raises(openai.NotFoundError):
                await client.files.retrieve("file-\x00")
            with pytest.raises(openai.NotFoundError):
                await client.vector_stores.retrieve("vs_\x00")
            with pytest.raises(openai.BadRequestError) as caught:
                await client.vector_stores.files.create(
                    vector_store_id=store.id, file_id=file.id, attributes={"k": "a\x00b"}
                )
            assert caught.value.body["param"] == "attributes.k"
            with pytest.raises(openai.BadRequestError) as caught:
                await client.vector_stores.create(name="a\x00b")
            assert caught.value.body["param"] == "name"
            with pytest.raises(openai.BadRequestError):
                await client.vector_stores.files.list(store.id, after="file-\x00")
            attached = await client.vector_stores.files.create_and_poll(
                vector_store_id=store.id, file_id=file.id, **POLL
            )
            assert attached.status == "completed"
            page = await client.vector_stores.search(store.id, query="ferries\x00 island")
            assert [r.file_id for r in page.data] == [file.id]

    run(scenario)


def test_an_upload_whose_file_cannot_be_stored_leaves_no_bytes(files_database: str) -> None:
    """The bytes are in the database before the file object: when storing the object fails
    (the database away a moment, a name it refuses), the bytes go too, not left until an
    instance's start sweeps them."""
    from openai_assistants.server.store import StoreUnavailable

    async def scenario() -> None:
        async with serving() as (client, library):
            inserting = library.store.insert

            def insert_refusing_files(kind, obj, **kwargs):
                if kind == "file":
                    raise StoreUnavailable("The database cannot be reached; try again shortly.")
                return inserting(kind, obj, **kwargs)

            library.store.insert = insert_refusing_files
            with pytest.raises(openai.APIStatusError) as caught:
                await upload(client, "harbour.txt", HARBOUR)
            assert caught.value.status_code == 503
            assert rows(files_database, "SELECT count(*) FROM file_blobs") == [(0,)]

    run(scenario)
