"""Each of the 21 Files and Vector Stores operations sends what the official SDK sends.

As ``test_operations_match_official_sdk.py`` does for the Assistants API: the SDK
(``client.files``, ``client.vector_stores``) and the extension (``build_request`` plus a
plain httpx send) talk to one recording server on 127.0.0.1, and method, path, query, body
and the OpenAI headers must be equal. The SDK sends ``OpenAI-Beta`` with every vector-store
operation and with no file operation, and ``Accept: application/binary`` for a file's
content. Upload File's multipart body is compared part by part (the boundary is random on
both sides): the same fields in the same order, the same part headers and the same bytes.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from http_stub import Reply, StubServer
from sdk_comparison import (
    SdkCall,
    assert_same_request,
    send_with_builder,
    send_with_sdk,
    sent_both_ways,
)

from openai_assistants import operations

openai = pytest.importorskip("openai")

KEY = "sk-test-document-matrix"
COMPARED_HEADERS = ("openai-beta", "openai-organization", "openai-project", "accept")
PLAIN_IDS = {"file_id": "file-abc123", "vector_store_id": "vs_abc123", "batch_id": "vsfb_abc"}
TRICKY_IDS = {"file_id": "file/../x?y=1", "vector_store_id": "vs:1@2#3", "batch_id": "b%2F.."}
STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 600, "chunk_overlap_tokens": 200}}
FILTER = {
    "type": "and",
    "filters": [
        {"type": "eq", "key": "lang", "value": "de"},
        {"type": "gte", "key": "year", "value": 2024},
    ],
}

# operationId -> (query values by settings key, body or None, how the SDK is called)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any] | None, SdkCall]] = {
    "listFiles": (
        {"purpose": "assistants", "limit": 5, "order": "asc", "after": "file-a"},
        None,
        lambda c, ids, q, b: c.files.list(**q),
    ),
    "retrieveFile": ({}, None, lambda c, ids, q, b: c.files.retrieve(ids["file_id"])),
    "deleteFile": ({}, None, lambda c, ids, q, b: c.files.delete(ids["file_id"])),
    "downloadFile": ({}, None, lambda c, ids, q, b: c.files.content(ids["file_id"])),
    "createVectorStore": (
        {},
        {
            "name": "Handbücher",
            "description": "All manuals",
            "file_ids": ["file-1", "file-2"],
            "chunking_strategy": STATIC,
            "expires_after": {"anchor": "last_active_at", "days": 7},
            "metadata": {"team": "docs"},
        },
        lambda c, ids, q, b: c.vector_stores.create(**b),
    ),
    "listVectorStores": (
        {"limit": 3, "order": "desc", "after": "vs_a", "before": "vs_b"},
        None,
        lambda c, ids, q, b: c.vector_stores.list(**q),
    ),
    "getVectorStore": (
        {},
        None,
        lambda c, ids, q, b: c.vector_stores.retrieve(ids["vector_store_id"]),
    ),
    "modifyVectorStore": (
        {},
        {"name": "Renamed", "expires_after": None, "metadata": {"v": "2"}},
        lambda c, ids, q, b: c.vector_stores.update(ids["vector_store_id"], **b),
    ),
    "deleteVectorStore": (
        {},
        None,
        lambda c, ids, q, b: c.vector_stores.delete(ids["vector_store_id"]),
    ),
    "searchVectorStore": (
        {},
        {
            "query": "Wie lange gilt die Garantie?",
            "max_num_results": 5,
            "filters": FILTER,
            "ranking_options": {"ranker": "auto", "score_threshold": 0.25},
            "rewrite_query": True,
        },
        lambda c, ids, q, b: c.vector_stores.search(ids["vector_store_id"], **b),
    ),
    "createVectorStoreFile": (
        {},
        {
            "file_id": "file-1",
            "attributes": {"lang": "de", "year": 2024},
            "chunking_strategy": STATIC,
        },
        lambda c, ids, q, b: c.vector_stores.files.create(ids["vector_store_id"], **b),
    ),
    "listVectorStoreFiles": (
        {"limit": 50, "order": "asc", "after": "file-a", "filter": "completed"},
        None,
        lambda c, ids, q, b: c.vector_stores.files.list(ids["vector_store_id"], **q),
    ),
    "getVectorStoreFile": (
        {},
        None,
        lambda c, ids, q, b: c.vector_stores.files.retrieve(
            ids["file_id"], vector_store_id=ids["vector_store_id"]
        ),
    ),
    "updateVectorStoreFileAttributes": (
        {},
        {"attributes": {"lang": "en", "reviewed": True}},
        lambda c, ids, q, b: c.vector_stores.files.update(
            ids["file_id"], vector_store_id=ids["vector_store_id"], **b
        ),
    ),
    "deleteVectorStoreFile": (
        {},
        None,
        lambda c, ids, q, b: c.vector_stores.files.delete(
            ids["file_id"], vector_store_id=ids["vector_store_id"]
        ),
    ),
    "retrieveVectorStoreFileContent": (
        {},
        None,
        lambda c, ids, q, b: c.vector_stores.files.content(
            ids["file_id"], vector_store_id=ids["vector_store_id"]
        ),
    ),
    "createVectorStoreFileBatch": (
        {},
        {"file_ids": ["file-1", "file-2"], "attributes": {"lang": "de"}},
        lambda c, ids, q, b: c.vector_stores.file_batches.create(ids["vector_store_id"], **b),
    ),
    "getVectorStoreFileBatch": (
        {},
        None,
        lambda c, ids, q, b: c.vector_stores.file_batches.retrieve(
            ids["batch_id"], vector_store_id=ids["vector_store_id"]
        ),
    ),
    "cancelVectorStoreFileBatch": (
        {},
        None,
        lambda c, ids, q, b: c.vector_stores.file_batches.cancel(
            ids["batch_id"], vector_store_id=ids["vector_store_id"]
        ),
    ),
    "listFilesInVectorStoreBatch": (
        {"limit": 2, "order": "desc", "before": "file-b", "filter": "failed"},
        None,
        lambda c, ids, q, b: c.vector_stores.file_batches.list_files(
            ids["batch_id"], vector_store_id=ids["vector_store_id"], **q
        ),
    ),
}


def _reply(operation: operations.Operation) -> Reply:
    if operation.raw_answer:
        return Reply(body=b"\x00\x01bytes", headers={"Content-Type": "application/octet-stream"})
    if operation.returns_list:
        body: dict[str, Any] = {"object": operation.list_object, "data": [], "has_more": False}
        body |= {"first_id": None, "last_id": None, "next_page": None, "search_query": ["q"]}
    else:
        body = {"id": "x", "object": "vector_store", "created_at": 1, "deleted": True}
    return Reply(body=json.dumps(body))


_send_with_builder = partial(send_with_builder, KEY)
_send_with_sdk = partial(send_with_sdk, KEY)


def test_every_files_and_vector_stores_operation_has_a_case() -> None:
    assert sorted([*CASES, "createFile"]) == sorted(
        op.operation_id for op in operations.DOCUMENTS_API
    )
    assert len(operations.DOCUMENTS_API) == 21


@pytest.mark.parametrize("ids", [PLAIN_IDS, TRICKY_IDS], ids=["plain ids", "tricky ids"])
@pytest.mark.parametrize("operation_id", list(CASES))
def test_request_equals_the_official_sdk_request(operation_id: str, ids: dict[str, str]) -> None:
    operation = operations.by_id(operation_id)
    query, body, call = CASES[operation_id]
    config = {"organization": "org-1", "project": "proj_1"}
    sdk, ours = sent_both_ways(KEY, operation, call, ids, query, body, _reply(operation), **config)
    assert_same_request(sdk, ours, operation, body, COMPARED_HEADERS)
    assert ("openai-beta" in ours.headers) == operation.path.startswith("/vector_stores")


def parts(content_type: str, body: bytes) -> list[tuple[list[str], bytes]]:
    """A multipart body's parts: (header lines, content), in order; checks the framing."""
    boundary = content_type.split("boundary=", 1)[1].encode()
    assert body.startswith(b"--" + boundary + b"\r\n")
    assert body.endswith(b"\r\n--" + boundary + b"--\r\n")
    inner = body[len(boundary) + 4 : -(len(boundary) + 8)]
    found = []
    for part in inner.split(b"\r\n--" + boundary + b"\r\n"):
        head, _, content = part.partition(b"\r\n\r\n")
        found.append((head.decode().split("\r\n"), content))
    return found


UPLOADS = [
    pytest.param("handbook.md", b"# Handbook\n\nWarranty: 2 years.\n", {}, id="markdown"),
    pytest.param(
        "Bericht 2024 (final).pdf",
        bytes(range(256)) * 300,  # binary, more than one 64 KiB piece
        {"expires_after": {"anchor": "created_at", "seconds": 3600}},
        id="binary pdf, expiry",
    ),
    pytest.param("data.unknownext", b"", {}, id="empty, unknown type"),
    pytest.param('quote"and\\back.txt', b"x", {}, id="quoted name"),
]


@pytest.mark.parametrize(("name", "content", "extra"), UPLOADS)
def test_upload_file_sends_the_sdks_multipart_body(
    tmp_path: Path, name: str, content: bytes, extra: dict[str, Any]
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    operation = operations.by_id("createFile")
    reply = Reply(body=json.dumps({"id": "file-1", "object": "file", "bytes": len(content)}))
    with StubServer() as server:
        server.reply(reply, reply)
        _send_with_sdk(
            server.base_url,
            lambda c, ids, q, b: c.files.create(file=path, purpose="assistants", **b),
            {},
            {},
            extra,
        )
        body = {"purpose": "assistants", **extra, "file": str(path)}  # any order: SDK's sent
        _send_with_builder(server.base_url, operation, {}, {}, body)
    sdk, ours = server.received
    assert (ours.method, ours.path, ours.query) == (sdk.method, sdk.path, sdk.query)
    assert ours.method == "POST" and ours.path.endswith("/files")
    assert ours.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert parts(ours.headers["content-type"], ours.body) == parts(
        sdk.headers["content-type"], sdk.body
    )
    assert int(ours.headers["content-length"]) == len(ours.body)
    assert parts(ours.headers["content-type"], ours.body)[-1][1] == content
    for header in COMPARED_HEADERS:
        assert ours.headers.get(header) == sdk.headers.get(header), header
    assert "openai-beta" not in ours.headers
