"""A deterministic fake of the Files and Vector Stores API on 127.0.0.1, for client tests.

The real routes of ``serve`` come from the server side of issue 16; this fake answers the
21 operations with the reference's shapes so the client (engine, nodes, command line) can
be tested alone. Deterministic: IDs count up, ``created_at`` is fixed, processing takes
``polls`` reads of the object (``in_progress`` until then, then ``completed``), a search
scores a file by the share of the query's words its text holds.

Uploads are read as a stream into a spooled temporary file (in memory up to 1 MiB) and
parsed from there, so a large upload does not sit in this process's memory either; the
request log keeps each upload's form fields, file name, part headers, size and SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from openai_assistants.server.runner import BackgroundServer

CREATED_AT = 1_767_225_600  # 2026-01-01T00:00:00Z
KEEP_BYTES = 1 << 20  # uploads up to this size keep their bytes (for the content endpoint)


@dataclass
class Upload:
    fields: list[tuple[str, str]]
    file_field: str
    filename: str
    part_headers: list[str]
    size: int
    sha256: str
    content: bytes | None


@dataclass
class Logged:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    upload: Upload | None = None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeDocuments:
    polls: int = 2  # reads of an object until it is processed
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    contents: dict[str, bytes | None] = field(default_factory=dict)
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)
    store_files: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    reads: dict[str, int] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    counter: int = 0

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:04d}"


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def _page(items: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    query = request.query_params
    if query.get("order", "desc") == "desc":
        items = items[::-1]
    if "after" in query:
        ids = [item["id"] for item in items]
        items = items[ids.index(query["after"]) + 1 :] if query["after"] in ids else []
    limit = int(query.get("limit", "20"))
    shown = items[:limit]
    return {
        "object": "list",
        "data": shown,
        "first_id": shown[0]["id"] if shown else None,
        "last_id": shown[-1]["id"] if shown else None,
        "has_more": len(items) > limit,
    }


def _counts(statuses: list[str]) -> dict[str, int]:
    names = ("in_progress", "completed", "failed", "cancelled")
    return {**{name: statuses.count(name) for name in names}, "total": len(statuses)}


async def _spooled_upload(request: Request) -> tuple[Upload, int]:
    """Read a multipart upload as a stream, then parse it from the spooled copy."""
    content_type = request.headers.get("content-type", "")
    boundary = content_type.split("boundary=", 1)[1].encode("ascii")
    with tempfile.SpooledTemporaryFile(max_size=KEEP_BYTES) as spool:
        total = 0
        async for chunk in request.stream():
            spool.write(chunk)
            total += len(chunk)
        spool.seek(0)
        head = spool.read(65_536)
        tail = b"\r\n--" + boundary + b"--\r\n"
        parts = head.split(b"--" + boundary + b"\r\n")[1:]
        fields: list[tuple[str, str]] = []
        offset = len(b"--" + boundary + b"\r\n")
        for part in parts:
            headers, _, rest = part.partition(b"\r\n\r\n")
            lines = headers.decode().split("\r\n")
            disposition = lines[0]
            name = disposition.split('name="', 1)[1].split('"', 1)[0]
            if "filename=" not in disposition:
                fields.append((name, rest.removesuffix(b"\r\n").decode()))
                offset += len(part) + len(b"--" + boundary + b"\r\n")
                continue
            filename = disposition.split('filename="', 1)[1].split('"', 1)[0]
            start = offset + len(headers) + 4
            size = total - start - len(tail)
            spool.seek(start)
            digest, left, kept = hashlib.sha256(), size, []
            while left > 0:
                block = spool.read(min(left, 65_536))
                digest.update(block)
                if size <= KEEP_BYTES:
                    kept.append(block)
                left -= len(block)
            spool.seek(total - len(tail))
            assert spool.read() == tail, "the body ends with the closing boundary"
            upload = Upload(
                fields, name, filename, lines, size, digest.hexdigest(),
                b"".join(kept) if size <= KEEP_BYTES else None,
            )  # fmt: skip
            return upload, total
        raise ValueError("no file part")


def create_app(state: FakeDocuments) -> Starlette:
    async def logged(request: Request) -> tuple[bytes, Upload | None]:
        upload = None
        body = b""
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            upload, _ = await _spooled_upload(request)
        else:
            body = await request.body()
        state.log.append(
            Logged(
                request.method,
                request.url.path,
                list(request.query_params.multi_items()),
                {k.lower(): v for k, v in request.headers.items()},
                body,
                upload,
            )
        )
        return body, upload

    def read_again(obj: dict[str, Any], key: str) -> dict[str, Any]:
        """A read of something being processed: completed after ``polls`` reads."""
        if obj.get("status") == "in_progress":
            state.reads[key] = state.reads.get(key, 0) + 1
            if state.reads[key] >= state.polls:
                obj["status"] = "completed"
        return obj

    def refresh_store(store_id: str) -> dict[str, Any]:
        store = state.stores[store_id]
        files = [f for (s, _), f in state.store_files.items() if s == store_id]
        store["file_counts"] = _counts([f["status"] for f in files])
        if store["status"] == "completed" and store["file_counts"]["in_progress"]:
            store["status"] = "in_progress"
        return store

    def attach(store_id: str, file_id: str, extra: dict[str, Any]) -> dict[str, Any]:
        obj = {
            "id": file_id,
            "object": "vector_store.file",
            "usage_bytes": state.files[file_id]["bytes"],
            "created_at": CREATED_AT,
            "vector_store_id": store_id,
            "status": "in_progress",
            "last_error": None,
            "chunking_strategy": extra.get("chunking_strategy")
            or {"type": "static", "static": {"max_chunk_size_tokens": 800}},
            "attributes": extra.get("attributes") or {},
        }
        state.store_files[(store_id, file_id)] = obj
        return obj

    async def files(request: Request) -> Response:
        _, upload = await logged(request)
        if request.method == "GET":
            items = list(state.files.values())
            if "purpose" in request.query_params:
                items = [f for f in items if f["purpose"] == request.query_params["purpose"]]
            return JSONResponse(_page(items, request))
        if upload is None:
            return _error(400, "Expected a multipart upload.")
        fields = dict(upload.fields)
        file_id = state.new_id("file-")
        obj = {
            "id": file_id,
            "object": "file",
            "bytes": upload.size,
            "created_at": CREATED_AT,
            "expires_at": None,
            "filename": upload.filename,
            "purpose": fields.get("purpose"),
            "status": "processed",
            "status_details": None,
        }
        state.files[file_id] = obj
        state.contents[file_id] = upload.content
        return JSONResponse(obj)

    async def one_file(request: Request) -> Response:
        await logged(request)
        file_id = request.path_params["file_id"]
        if file_id not in state.files:
            return _error(404, f"No such File object: {file_id}")
        if request.method == "DELETE":
            del state.files[file_id]
            return JSONResponse({"id": file_id, "object": "file", "deleted": True})
        return JSONResponse(state.files[file_id])

    async def file_content(request: Request) -> Response:
        await logged(request)
        file_id = request.path_params["file_id"]
        if file_id not in state.files:
            return _error(404, f"No such File object: {file_id}")
        return Response(state.contents[file_id] or b"", media_type="application/octet-stream")

    async def stores(request: Request) -> Response:
        body, _ = await logged(request)
        if request.method == "GET":
            return JSONResponse(_page([refresh_store(s) for s in state.stores], request))
        fields = json.loads(body or b"{}")
        store_id = state.new_id("vs_")
        file_ids = fields.get("file_ids") or []
        state.stores[store_id] = {
            "id": store_id,
            "object": "vector_store",
            "created_at": CREATED_AT,
            "name": fields.get("name"),
            "description": fields.get("description"),
            "usage_bytes": 0,
            "file_counts": _counts([]),
            "status": "in_progress" if file_ids else "completed",
            "expires_after": fields.get("expires_after"),
            "expires_at": None,
            "last_active_at": CREATED_AT,
            "metadata": fields.get("metadata") or {},
        }
        for file_id in file_ids:
            attach(store_id, file_id, fields)
        return JSONResponse(refresh_store(store_id))

    async def one_store(request: Request) -> Response:
        body, _ = await logged(request)
        store_id = request.path_params["vector_store_id"]
        if store_id not in state.stores:
            return _error(404, f"No vector store found with id '{store_id}'.")
        if request.method == "DELETE":
            del state.stores[store_id]
            return JSONResponse({"id": store_id, "object": "vector_store.deleted", "deleted": True})
        if request.method == "POST":
            state.stores[store_id].update(json.loads(body or b"{}"))
            return JSONResponse(refresh_store(store_id))
        store = read_again(state.stores[store_id], store_id)
        if store["status"] == "completed":
            for (s, _), obj in state.store_files.items():
                if s == store_id:
                    obj["status"] = "completed"
        return JSONResponse(refresh_store(store_id))

    async def search(request: Request) -> Response:
        body, _ = await logged(request)
        store_id = request.path_params["vector_store_id"]
        fields = json.loads(body)
        queries = fields["query"] if isinstance(fields["query"], list) else [fields["query"]]
        words = {w.lower().strip("?.,!") for q in queries for w in q.split()}
        results = []
        for (s, file_id), obj in state.store_files.items():
            text = (state.contents.get(file_id) or b"").decode("utf-8", "replace")
            found = {w for w in words if w and w in text.lower()}
            if s == store_id and found:
                results.append(
                    {
                        "file_id": file_id,
                        "filename": state.files[file_id]["filename"],
                        "score": round(len(found) / len(words), 4),
                        "attributes": obj["attributes"],
                        "content": [{"type": "text", "text": text}],
                    }
                )
        results.sort(key=lambda r: -r["score"])
        limit = fields.get("max_num_results", 10)
        return JSONResponse(
            {
                "object": "vector_store.search_results.page",
                "search_query": queries,
                "data": results[:limit],
                "has_more": False,
                "next_page": None,
            }
        )

    async def store_files(request: Request) -> Response:
        body, _ = await logged(request)
        store_id = request.path_params["vector_store_id"]
        if store_id not in state.stores:
            return _error(404, f"No vector store found with id '{store_id}'.")
        if request.method == "GET":
            items = [f for (s, _), f in state.store_files.items() if s == store_id]
            if "filter" in request.query_params:
                items = [f for f in items if f["status"] == request.query_params["filter"]]
            return JSONResponse(_page(items, request))
        fields = json.loads(body)
        if fields["file_id"] not in state.files:
            return _error(404, f"No such File object: {fields['file_id']}")
        return JSONResponse(attach(store_id, fields["file_id"], fields))

    async def one_store_file(request: Request) -> Response:
        body, _ = await logged(request)
        key = (request.path_params["vector_store_id"], request.path_params["file_id"])
        if key not in state.store_files:
            return _error(404, f"No file found with id '{key[1]}' in vector store '{key[0]}'.")
        if request.method == "DELETE":
            del state.store_files[key]
            return JSONResponse(
                {"id": key[1], "object": "vector_store.file.deleted", "deleted": True}
            )
        if request.method == "POST":
            state.store_files[key]["attributes"] = json.loads(body)["attributes"]
            return JSONResponse(state.store_files[key])
        return JSONResponse(read_again(state.store_files[key], "/".join(key)))

    async def store_file_content(request: Request) -> Response:
        await logged(request)
        key = (request.path_params["vector_store_id"], request.path_params["file_id"])
        if key not in state.store_files:
            return _error(404, f"No file found with id '{key[1]}' in vector store '{key[0]}'.")
        text = (state.contents.get(key[1]) or b"").decode("utf-8", "replace")
        data = [{"type": "text", "text": part} for part in text.split("\n\n") if part]
        page = {"object": "vector_store.file_content.page", "has_more": False, "next_page": None}
        return JSONResponse({**page, "data": data})

    async def batches(request: Request) -> Response:
        body, _ = await logged(request)
        store_id = request.path_params["vector_store_id"]
        fields = json.loads(body)
        file_ids = fields.get("file_ids") or [f["file_id"] for f in fields.get("files", [])]
        batch_id = state.new_id("vsfb_")
        for file_id in file_ids:
            attach(store_id, file_id, fields)
        state.batches[batch_id] = {
            "id": batch_id,
            "object": "vector_store.files_batch",
            "created_at": CREATED_AT,
            "vector_store_id": store_id,
            "status": "in_progress",
            "file_counts": _counts(["in_progress"] * len(file_ids)),
            "file_ids": file_ids,
        }
        return JSONResponse(_shown_batch(state.batches[batch_id]))

    async def one_batch(request: Request) -> Response:
        await logged(request)
        batch_id = request.path_params["batch_id"]
        if batch_id not in state.batches:
            return _error(404, f"No file batch found with id '{batch_id}'.")
        batch = state.batches[batch_id]
        if request.url.path.endswith("/cancel"):
            batch["status"] = "cancelled"
        elif request.url.path.endswith("/files"):
            key = batch["vector_store_id"]
            items = [state.store_files[(key, f)] for f in batch["file_ids"]]
            return JSONResponse(_page(items, request))
        else:
            read_again(batch, batch_id)
        if batch["status"] != "in_progress":
            done = "completed" if batch["status"] == "completed" else "cancelled"
            for file_id in batch["file_ids"]:
                state.store_files[(batch["vector_store_id"], file_id)]["status"] = done
            batch["file_counts"] = _counts([done] * len(batch["file_ids"]))
        return JSONResponse(_shown_batch(batch))

    v = "/v1"
    return Starlette(
        routes=[
            Route(f"{v}/files", files, methods=["GET", "POST"]),
            Route(f"{v}/files/{{file_id}}", one_file, methods=["GET", "DELETE"]),
            Route(f"{v}/files/{{file_id}}/content", file_content, methods=["GET"]),
            Route(f"{v}/vector_stores", stores, methods=["GET", "POST"]),
            Route(
                f"{v}/vector_stores/{{vector_store_id}}",
                one_store,
                methods=["GET", "POST", "DELETE"],
            ),
            Route(f"{v}/vector_stores/{{vector_store_id}}/search", search, methods=["POST"]),
            Route(
                f"{v}/vector_stores/{{vector_store_id}}/files",
                store_files,
                methods=["GET", "POST"],
            ),
            Route(
                f"{v}/vector_stores/{{vector_store_id}}/files/{{file_id}}",
                one_store_file,
                methods=["GET", "POST", "DELETE"],
            ),
            Route(
                f"{v}/vector_stores/{{vector_store_id}}/files/{{file_id}}/content",
                store_file_content,
                methods=["GET"],
            ),
            Route(f"{v}/vector_stores/{{vector_store_id}}/file_batches", batches, methods=["POST"]),
            Route(
                f"{v}/vector_stores/{{vector_store_id}}/file_batches/{{batch_id}}",
                one_batch,
                methods=["GET"],
            ),
            Route(
                f"{v}/vector_stores/{{vector_store_id}}/file_batches/{{batch_id}}/cancel",
                one_batch,
                methods=["POST"],
            ),
            Route(
                f"{v}/vector_stores/{{vector_store_id}}/file_batches/{{batch_id}}/files",
                one_batch,
                methods=["GET"],
            ),
        ]
    )


def _shown_batch(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if k != "file_ids"}


class FakeDocumentsServer:
    """``with FakeDocumentsServer() as fake: fake.base_url`` (…/v1), ``fake.state``."""

    def __init__(self, polls: int = 2) -> None:
        self.state = FakeDocuments(polls=polls)
        self._server = BackgroundServer(create_app(self.state))
        self.base_url = self._server.base_url  # http://127.0.0.1:<port>/v1

    def __enter__(self) -> FakeDocumentsServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
