"""Every answer of the Files and Vector Stores operations has the shape of the official
OpenAPI description (``tests/reference/files-vector-stores-schemas.json``), refusals included;
and these operations need no ``OpenAI-Beta`` header (the SDK sends none for them)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from openai_assistants.server.app import create_app
from openai_assistants.server.backends.echo import EchoBackend
from openai_assistants.server.runs import Engine
from openai_assistants.server.store import SqliteStore

SCHEMAS = json.loads(
    (Path(__file__).parent / "reference" / "files-vector-stores-schemas.json").read_text("utf-8")
)["schemas"]
AUTH = {"Authorization": "Bearer sk-x"}


def check(response: httpx.Response, schema: str, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    jsonschema.validate(body, SCHEMAS[schema])
    return body


def test_every_operation_answers_in_the_reference_shape() -> None:
    async def scenario() -> None:
        app = create_app(Engine(SqliteStore(), EchoBackend(0.0)))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://t/v1", headers=AUTH) as http,
        ):
            library = app.state.api.library
            upload = await http.post(
                "/files",
                files={"file": ("notes.md", b"# Notes\nThe bell rings at nine.")},
                data={"purpose": "assistants"},
            )
            file = check(upload, "OpenAIFile")
            check(await http.get(f"/files/{file['id']}"), "OpenAIFile")
            check(await http.get("/files", params={"purpose": "assistants"}), "ListFilesResponse")
            store = check(
                await http.post(
                    "/vector_stores",
                    json={"name": "n", "expires_after": {"anchor": "last_active_at", "days": 2}},
                ),
                "VectorStoreObject",
            )
            base = f"/vector_stores/{store['id']}"
            entry = check(
                await http.post(f"{base}/files", json={"file_id": file["id"]}),
                "VectorStoreFileObject",
            )
            assert entry["status"] == "in_progress"
            await library.wait_idle()
            check(await http.get(f"{base}/files/{file['id']}"), "VectorStoreFileObject")
            check(
                await http.post(f"{base}/files/{file['id']}", json={"attributes": {"a": 1}}),
                "VectorStoreFileObject",
            )
            check(await http.get(f"{base}/files"), "ListVectorStoreFilesResponse")
            check(
                await http.get(f"{base}/files/{file['id']}/content"),
                "VectorStoreFileContentResponse",
            )
            found = check(
                await http.post(f"{base}/search", json={"query": "when does the bell ring"}),
                "VectorStoreSearchResultsPage",
            )
            assert found["data"] and found["search_query"] == ["when does the bell ring"]
            batch = check(
                await http.post(f"{base}/file_batches", json={"file_ids": [file["id"]]}),
                "VectorStoreFileBatchObject",
            )
            await library.wait_idle()
            check(
                await http.get(f"{base}/file_batches/{batch['id']}"), "VectorStoreFileBatchObject"
            )
            check(
                await http.post(f"{base}/file_batches/{batch['id']}/cancel"),
                "VectorStoreFileBatchObject",
            )
            check(
                await http.get(f"{base}/file_batches/{batch['id']}/files"),
                "ListVectorStoreFilesResponse",
            )
            check(await http.get(base), "VectorStoreObject")
            check(await http.post(base, json={"name": "m"}), "VectorStoreObject")
            plain = check(await http.post("/vector_stores", json={}), "VectorStoreObject")
            assert "expires_after" not in plain and plain["expires_at"] is None
            check(
                await http.post(f"/vector_stores/{plain['id']}", json={"expires_after": None}),
                "VectorStoreObject",
            )
            check(await http.get("/vector_stores"), "ListVectorStoresResponse")
            check(await http.get(f"/vector_stores/{'vs_missing'}"), "ErrorResponse", 404)
            check(
                await http.post(f"{base}/search", json={"query": "x", "max_num_results": 99}),
                "ErrorResponse",
                400,
            )
            check(await http.delete(f"{base}/files/{file['id']}"), "DeleteVectorStoreFileResponse")
            check(await http.delete(base), "DeleteVectorStoreResponse")
            check(await http.delete(f"/files/{file['id']}"), "DeleteFileResponse")
            check(await http.get(f"/files/{file['id']}"), "ErrorResponse", 404)

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_assistants_operations_still_need_the_beta_header() -> None:
    async def scenario() -> None:
        app = create_app(Engine(SqliteStore(), EchoBackend(0.0)))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t/v1", headers=AUTH
            ) as http,
        ):
            assert (await http.get("/assistants")).status_code == 400
            assert (await http.get("/files")).status_code == 200
            assert (await http.get("/vector_stores")).status_code == 200
            assert (await http.get("/files", headers={"Authorization": ""})).status_code == 401

    asyncio.run(asyncio.wait_for(scenario(), 30))
