"""Files and vector stores of ``serve`` with the official ``openai`` SDK as the client.

The app is mounted in-process (ASGI transport, echo backend), as in ``test_serve_sdk.py``:
upload, list, retrieve, download, delete; vector stores with files, batches
(``upload_and_poll``), attributes, content and search; bad files and bad requests; a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from openai_assistants.server.app import create_app
from openai_assistants.server.backends.echo import EchoBackend
from openai_assistants.server.retrieval.library import TEST_INGEST_DELAY_ENV, Library
from openai_assistants.server.runs import Engine
from openai_assistants.server.store import SqliteStore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BASE = "http://serve.test/v1"
POLL = {"poll_interval_ms": 5}
HARBOUR = (
    b"The harbour of Port Lune opens at dawn. Ferries to the island leave every hour.\n\n"
    b"The lighthouse keeper is named Ada Quill; she has kept the light since 1998.\n"
)
RECIPES = b"Bread needs flour, water, salt and yeast. Knead it for ten minutes.\n"


@contextlib.asynccontextmanager
async def serving(
    db: Path | None = None, *, max_file_bytes: int | None = None, backend: Any = None
) -> AsyncIterator[tuple[openai.AsyncOpenAI, Library]]:
    store = SqliteStore(db)
    engine = Engine(store, backend or EchoBackend(0.0))
    library = Library.beside(store)
    if max_file_bytes is not None:
        library.max_file_bytes = max_file_bytes
    app = create_app(engine, library=library)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        yield (
            openai.AsyncOpenAI(api_key="sk-x", base_url=BASE, http_client=http, max_retries=0),
            (library),
        )


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), timeout=60))


async def upload(client: openai.AsyncOpenAI, name: str, data: bytes) -> Any:
    return await client.files.create(file=(name, io.BytesIO(data)), purpose="assistants")


def test_files_upload_list_retrieve_content_delete() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            first = await upload(client, "harbour.txt", HARBOUR)
            assert first.object == "file" and first.id.startswith("file-")
            assert first.bytes == len(HARBOUR) and first.filename == "harbour.txt"
            assert first.purpose == "assistants" and first.status == "processed"
            second = await client.files.create(
                file=("data.jsonl", io.BytesIO(b"{}\n")), purpose="batch"
            )
            listed = await client.files.list()
            assert [f.id for f in listed.data] == [second.id, first.id]
            only = await client.files.list(purpose="assistants")
            assert [f.id for f in only.data] == [first.id]
            again = await client.files.retrieve(first.id)
            assert again.model_dump() == first.model_dump()
            content = await client.files.content(first.id)
            assert content.content == HARBOUR
            deleted = await client.files.delete(first.id)
            assert deleted.deleted is True and deleted.id == first.id
            with pytest.raises(openai.NotFoundError) as caught:
                await client.files.retrieve(first.id)
            assert first.id in caught.value.message

    run(scenario)


def test_an_upload_over_the_limit_is_a_413_and_leaves_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path / "db.sqlite", max_file_bytes=1000) as (client, _):
            with pytest.raises(openai.APIStatusError) as caught:
                await upload(client, "big.txt", b"x" * 5000)
            assert caught.value.status_code == 413
            assert caught.value.body["code"] == "file_too_large"
            assert "max-file-mib" in caught.value.message
            assert (await client.files.list()).data == []
            kept = [p.name for p in (tmp_path / "db.sqlite-files").iterdir()]
            assert not [name for name in kept if not name.startswith("index.sqlite")]
            small = await upload(client, "small.txt", b"fits")
            assert (await client.files.content(small.id)).content == b"fits"

    run(scenario)


def test_bad_upload_fields_are_400s() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            with pytest.raises(openai.BadRequestError) as caught:
                await client.files.create(file=("a.txt", io.BytesIO(b"a")), purpose="nonsense")
            assert caught.value.body["param"] == "purpose"
            http = client._client
            answer = await http.post(
                f"{BASE}/files",
                headers={"Authorization": "Bearer sk-x"},
                files={"purpose": (None, "assistants")},
            )
            assert answer.status_code == 400 and answer.json()["error"]["param"] == "file"

    run(scenario)


def test_vector_store_ingests_searches_and_cites_files() -> None:
    async def scenario() -> None:
        async with serving() as (client, library):
            harbour = await upload(client, "harbour.md", HARBOUR)
            recipes = await upload(client, "recipes.txt", RECIPES)
            store = await client.vector_stores.create(
                name="docs", file_ids=[harbour.id], metadata={"team": "a"}
            )
            assert store.object == "vector_store" and store.name == "docs"
            assert store.metadata == {"team": "a"} and store.file_counts.total == 1
            vs_file = await client.vector_stores.files.create_and_poll(
                vector_store_id=store.id, file_id=recipes.id, attributes={"kind": "food"}, **POLL
            )
            assert vs_file.status == "completed" and vs_file.usage_bytes > 0
            assert vs_file.chunking_strategy.static.max_chunk_size_tokens == 800
            await library.wait_idle()
            store = await client.vector_stores.retrieve(store.id)
            assert store.status == "completed"
            assert (store.file_counts.completed, store.file_counts.total) == (2, 2)
            assert store.usage_bytes > 0
            page = await client.vector_stores.search(
                store.id, query="Who keeps the lighthouse light?"
            )
            results = page.data
            assert results[0].file_id == harbour.id and results[0].filename == "harbour.md"
            assert "Ada Quill" in results[0].content[0].text
            assert all(0 <= r.score <= 1 for r in results)
            assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
            food = await client.vector_stores.search(
                store.id,
                query=["lighthouse", "bread"],
                filters={"type": "eq", "key": "kind", "value": "food"},
            )
            assert [r.file_id for r in food.data] == [recipes.id]
            assert food.data[0].attributes == {"kind": "food"}
            strict = await client.vector_stores.search(
                store.id, query="lighthouse", ranking_options={"score_threshold": 1.0}
            )
            assert strict.data == []
            content = await client.vector_stores.files.content(
                file_id=harbour.id, vector_store_id=store.id
            )
            assert "Ada Quill" in "".join(part.text for part in content.data)
            updated = await client.vector_stores.files.update(
                file_id=harbour.id, vector_store_id=store.id, attributes={"year": 2024}
            )
            assert updated.attributes == {"year": 2024}
            listed = await client.vector_stores.files.list(store.id, filter="completed")
            assert {f.id for f in listed.data} == {harbour.id, recipes.id}
            await client.vector_stores.files.delete(file_id=harbour.id, vector_store_id=store.id)
            after = await client.vector_stores.search(store.id, query="lighthouse keeper")
            assert after.data == []
            modified = await client.vector_stores.update(store.id, name="renamed")
            assert modified.name == "renamed" and modified.file_counts.total == 1
            gone = await client.vector_stores.delete(store.id)
            assert gone.deleted is True
            with pytest.raises(openai.NotFoundError):
                await client.vector_stores.retrieve(store.id)
            assert library.index.chunk_count == 0
            assert library.store.all("vector_store_file") == []  # nothing orphaned
            assert library.index.document(store.id, recipes.id) is None

    run(scenario)


def test_upload_and_poll_a_batch_with_a_bad_file_fails_only_that_file() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            store = await client.vector_stores.create(name="batch")
            batch = await client.vector_stores.file_batches.upload_and_poll(
                store.id,
                files=[
                    ("harbour.txt", io.BytesIO(HARBOUR)),
                    ("image.png", io.BytesIO(b"\x89PNG\r\n\x1a\n")),
                    ("broken.pdf", io.BytesIO(b"%PDF-1.7 garbage")),
                ],
                **POLL,
            )
            assert batch.object == "vector_store.files_batch" and batch.status == "completed"
            counts = batch.file_counts
            assert (counts.completed, counts.failed, counts.total) == (1, 2, 3)
            files = await client.vector_stores.file_batches.list_files(
                batch_id=batch.id, vector_store_id=store.id, filter="failed"
            )
            errors = sorted(f.last_error.code for f in files.data)
            assert errors == ["invalid_file", "unsupported_file"]
            assert all(f.last_error.message for f in files.data)
            store = await client.vector_stores.retrieve(store.id)
            assert store.status == "completed" and store.file_counts.failed == 2

    run(scenario)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"query": "x", "max_num_results": 51}, "max_num_results"),
        ({"query": "x", "max_num_results": 0}, "max_num_results"),
        ({"query": "x", "ranking_options": {"score_threshold": 1.5}},
         "ranking_options.score_threshold"),
        ({"query": "x", "filters": {"type": "near", "key": "a", "value": 1}}, "filters.type"),
        ({"query": []}, "query"),
        ({"query": "x", "rewrite_query": "yes"}, "rewrite_query"),
    ],
)  # fmt: skip
def test_out_of_range_search_values_are_400s_not_clamped(body: dict, param: str) -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            store = await client.vector_stores.create(name="s")
            with pytest.raises(openai.BadRequestError) as caught:
                await client.post(f"/vector_stores/{store.id}/search", body=body, cast_to=object)
            assert caught.value.body["param"] == param

    run(scenario)


def test_bad_chunking_strategy_is_a_400() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            with pytest.raises(openai.BadRequestError) as caught:
                await client.vector_stores.create(
                    chunking_strategy={
                        "type": "static",
                        "static": {"max_chunk_size_tokens": 5000, "chunk_overlap_tokens": 10},
                    }
                )
            assert caught.value.body["param"].endswith("max_chunk_size_tokens")

    run(scenario)


def test_batch_cancel_marks_waiting_files_cancelled() -> None:
    async def scenario() -> None:
        async with serving() as (client, library):
            store = await client.vector_stores.create(name="c")
            files = [await upload(client, f"f{i}.txt", HARBOUR) for i in range(4)]
            batch = await client.vector_stores.file_batches.create(
                store.id, file_ids=[f.id for f in files]
            )
            cancelled = await client.vector_stores.file_batches.cancel(
                batch_id=batch.id, vector_store_id=store.id
            )
            assert cancelled.status == "cancelled"
            assert cancelled.file_counts.cancelled == 4 and cancelled.file_counts.in_progress == 0
            await library.wait_idle()
            assert library.index.chunk_count == 0
            again = await client.vector_stores.file_batches.retrieve(
                batch_id=batch.id, vector_store_id=store.id
            )
            assert again.status == "cancelled"

    run(scenario)


def test_files_and_stores_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "serve.sqlite"

    async def first() -> tuple[str, str]:
        async with serving(db) as (client, _):
            file = await upload(client, "harbour.txt", HARBOUR)
            store = await client.vector_stores.create(name="kept")
            await client.vector_stores.files.create_and_poll(
                vector_store_id=store.id, file_id=file.id, **POLL
            )
            return file.id, store.id

    file_id, store_id = asyncio.run(first())

    async def second() -> None:
        async with serving(db) as (client, _):
            assert (await client.files.content(file_id)).content == HARBOUR
            page = await client.vector_stores.search(store_id, query="ferries island")
            assert [r.file_id for r in page.data] == [file_id]
            await client.files.delete(file_id)
            assert (await client.vector_stores.search(store_id, query="ferries")).data == []
            store = await client.vector_stores.retrieve(store_id)
            assert store.file_counts.total == 0

    run(second)
    assert not (tmp_path / "serve.sqlite-files" / file_id).exists()


def test_a_search_while_a_file_is_ingested_leaves_the_stores_counts_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A search notes the store's activity when it ends: only that, not the whole store as it
    was read before searching (its file_counts then said in_progress, and the store stayed
    ``in_progress`` for good once written back over the ingestion's count)."""
    monkeypatch.setenv(TEST_INGEST_DELAY_ENV, "0.3")  # the file is in ingestion at first

    async def scenario() -> None:
        async with serving() as (client, library):
            file = await upload(client, "harbour.txt", HARBOUR)
            store = await client.vector_stores.create(name="busy")
            searching = library.search

            async def search_as_the_ingestion_ends(*args: Any, **kwargs: Any) -> Any:
                await library.wait_idle()
                return await searching(*args, **kwargs)

            library.search = search_as_the_ingestion_ends  # type: ignore[method-assign]
            await client.vector_stores.files.create(vector_store_id=store.id, file_id=file.id)
            assert (await client.vector_stores.retrieve(store.id)).status == "in_progress"
            page = await client.vector_stores.search(store.id, query="ferries")
            assert [r.file_id for r in page.data] == [file.id]
            after = await client.vector_stores.retrieve(store.id)
            assert after.status == "completed" and after.file_counts.completed == 1
            assert after.file_counts.in_progress == 0

    run(scenario)
