"""Hybrid search with ``--embedding-model``: chunks embedded in batches on the model
endpoint's ``/embeddings`` (an httpx MockTransport here), fused with BM25."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from openai_assistants.server.retrieval.chunking import ChunkingStrategy
from openai_assistants.server.retrieval.embeddings import Embedder
from openai_assistants.server.retrieval.errors import RetrievalError
from openai_assistants.server.retrieval.library import FILE, STORE, Library
from openai_assistants.server.store import SqliteStore

TOPICS = ("boat", "bread", "star")


def vector_of(text: str) -> list[float]:
    """A toy embedding: how often each topic word (or its synonym) is in the text."""
    synonyms = {"boat": ("boat", "ferry", "ship"), "bread": ("bread", "loaf"), "star": ("star",)}
    lowered = text.lower()
    return [float(sum(lowered.count(w) for w in synonyms[t])) + 0.01 for t in TOPICS]


def endpoint(requests: list[dict], *, status: int = 200) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(
            {"url": str(request.url), "body": body, "auth": request.headers.get("authorization")}
        )
        if status != 200:
            return httpx.Response(status, json={"error": {"message": "model overloaded"}})
        data = [
            {"object": "embedding", "index": i, "embedding": vector_of(text)}
            for i, text in enumerate(body["input"])
        ]
        return httpx.Response(200, json={"object": "list", "data": list(reversed(data))})

    return httpx.MockTransport(answer)


def library_with(transport: httpx.MockTransport, batch_size: int = 2) -> Library:
    embedder = Embedder(
        "http://model.test/v1",
        "embed-1",
        api_key="sk-e",
        transport=transport,
        batch_size=batch_size,
    )
    store = SqliteStore()
    library = Library(store, embedder=embedder)
    store.insert(STORE, {"id": "vs_1", "object": "vector_store", "status": "completed"})
    return library


async def add(library: Library, file_id: str, name: str, text: str) -> None:
    writer = library.blobs.writer(file_id, 10_000)
    writer.write(text.encode())
    writer.commit()
    library.store.insert(FILE, {"id": file_id, "object": "file", "filename": name})
    library.add_file("vs_1", {"id": file_id}, ChunkingStrategy(100, 0), None)


def test_chunks_are_embedded_in_batches_and_a_synonym_is_found() -> None:
    requests: list[dict] = []

    async def scenario() -> None:
        library = library_with(endpoint(requests))
        await add(library, "file-a", "ferries.txt", "The ferry leaves at noon from the pier.")
        await add(library, "file-b", "baking.txt", "A loaf needs flour and an oven.")
        await add(library, "file-c", "sky.txt", "The pole star points north.")
        await library.wait_idle()
        entries = library.store_files("vs_1")
        assert [e["status"] for e in entries] == ["completed"] * 3
        # "ship" is in no chunk: only the embedding ranks the ferry chunk first
        results = await library.search(["vs_1"], ["which ship goes to the island"])
        assert results[0]["file_id"] == "file-a"
        assert all(0 <= r["score"] <= 1 for r in results)
        lexical_only = await library.search(
            ["vs_1"], ["which ship goes to the island"], ranker="none"
        )
        # without embeddings only the shared "the" matches: no reason to prefer the ferry
        assert {r["file_id"] for r in lexical_only} == {"file-a", "file-c"}
        await library.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    chunk_requests = [r for r in requests if len(r["body"]["input"]) >= 1]
    assert all(r["url"] == "http://model.test/v1/embeddings" for r in requests)
    assert all(r["body"]["model"] == "embed-1" and r["auth"] == "Bearer sk-e" for r in requests)
    assert all(len(r["body"]["input"]) <= 2 for r in chunk_requests)


def test_an_embeddings_failure_fails_the_file_with_server_error() -> None:
    async def scenario() -> None:
        library = library_with(endpoint([], status=500))
        await add(library, "file-a", "a.txt", "some words to embed")
        await library.wait_idle()
        (entry,) = library.store_files("vs_1")
        assert entry["status"] == "failed"
        assert entry["last_error"]["code"] == "server_error"
        assert "model overloaded" in entry["last_error"]["message"]
        assert "sk-e" not in entry["last_error"]["message"]
        assert library.index.chunk_count == 0
        await library.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_embedder_refuses_a_wrong_number_of_vectors() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0]}]})

    async def scenario() -> None:
        embedder = Embedder("http://m.test/v1", "e", transport=httpx.MockTransport(answer))
        with pytest.raises(RetrievalError) as caught:
            await embedder.embed(["a", "b"])
        assert "1 embeddings for 2 inputs" in caught.value.message
        await embedder.aclose()

    asyncio.run(scenario())
