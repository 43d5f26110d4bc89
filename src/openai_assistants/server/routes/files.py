"""Files: upload, list, retrieve, delete, content (``/v1/files``).

An upload streams into the blob store (:mod:`.multipart`), refused with a 413 in OpenAI's
error shape as soon as it passes ``--max-file-mib``; nothing of a refused upload stays.
Deleting a file takes it out of every vector store it is in (chunks and index entries too).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..retrieval.blobs import TooLarge
from ..retrieval.library import FILE, Library, new_file_id
from ..validation import RequestError
from .http import ApiContext, Operation, json_response, response_headers
from .listing import list_page
from .multipart import read_form

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
MIN_EXPIRY_SECONDS, MAX_EXPIRY_SECONDS = 3600, 2592000
OMITTED_WHEN_NULL = ("expires_at", "status_details")


def library(api: ApiContext) -> Library:
    found = api.library
    if found is None:
        raise RequestError("This server has no Files API.", status=404)
    return found


def file_not_found(file_id: str) -> RequestError:
    return RequestError(f"No such File object: {file_id}", status=404, param="id")


def too_large(limit: int) -> RequestError:
    mib = limit / (1024 * 1024)
    return RequestError(
        f"File is too large: the maximum size of a file on this server is {mib:g} MiB "
        "(serve --max-file-mib).",
        status=413,
        param="file",
        code="file_too_large",
    )


async def create_file(api: ApiContext, request: Request) -> Response:
    lib = library(api)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > lib.max_file_bytes + 64 * 1024:
        raise too_large(lib.max_file_bytes)
    file_id = new_file_id()
    writer = lib.blobs.writer(file_id, lib.max_file_bytes)
    try:
        form = await read_form(
            request.stream(), request.headers.get("content-type", ""), writer.write
        )
        fields = _upload_fields(form.fields)
        committed = writer.commit()
        if inspect.isawaitable(committed):  # the bytes go to the database in a worker thread
            await committed
    except TooLarge:
        raise too_large(lib.max_file_bytes) from None
    except BaseException:
        writer.discard()
        raise
    now = lib.now()
    expires_at = None
    if fields.get("seconds") is not None:
        expires_at = now + fields["seconds"]
    file = {
        "id": file_id,
        "object": "file",
        "bytes": writer.size,
        "created_at": now,
        "expires_at": expires_at,
        "filename": (form.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1],
        "purpose": fields["purpose"],
        "status": "processed",
        "status_details": None,
    }
    try:
        lib.store.insert(FILE, {**file, "content_type": form.content_type})
    except BaseException:  # refused (a NUL in the name) or the database away: a 400 or 503,
        with contextlib.suppress(Exception):  # and no bytes left without their file object
            lib.blobs.delete(file_id)
        raise
    return json_response(200, public_file(file))


def _upload_fields(fields: dict[str, str]) -> dict[str, Any]:
    known = {"purpose", "expires_after[anchor]", "expires_after[seconds]"}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise RequestError(
            f"Unrecognized request argument supplied: {unknown[0]}", code="unknown_parameter"
        )
    purpose = fields.get("purpose")
    if purpose is None:
        raise RequestError("Missing required parameter: 'purpose'.", param="purpose")
    if purpose not in PURPOSES:
        raise RequestError(
            f"Invalid value for 'purpose': '{purpose}'. Supported values are: "
            + ", ".join(f"'{p}'" for p in PURPOSES)
            + ".",
            param="purpose",
            code="invalid_value",
        )
    result: dict[str, Any] = {"purpose": purpose, "seconds": None}
    anchor = fields.get("expires_after[anchor]")
    seconds = fields.get("expires_after[seconds]")
    if anchor is not None or seconds is not None:
        if anchor != "created_at":
            raise RequestError(
                "Invalid value for 'expires_after.anchor': only 'created_at' is supported.",
                param="expires_after.anchor",
            )
        if seconds is None or not seconds.strip().isdigit():
            raise RequestError(
                "Invalid 'expires_after.seconds': expected an integer.",
                param="expires_after.seconds",
            )
        value = int(seconds)
        if not MIN_EXPIRY_SECONDS <= value <= MAX_EXPIRY_SECONDS:
            raise RequestError(
                f"Invalid 'expires_after.seconds': {value}. It must be between "
                f"{MIN_EXPIRY_SECONDS} (1 hour) and {MAX_EXPIRY_SECONDS} (30 days).",
                param="expires_after.seconds",
            )
        result["seconds"] = value
    return result


def public_file(file: dict[str, Any]) -> dict[str, Any]:
    """A stored file as the API shows it: ``expires_at`` and ``status_details`` only when set
    (the reference has no null for them), no private fields."""
    return {
        key: value
        for key, value in file.items()
        if key != "content_type" and not (value is None and key in OMITTED_WHEN_NULL)
    }


async def list_files(api: ApiContext, request: Request) -> Response:
    lib = library(api)
    purpose = request.query_params.get("purpose")
    now = lib.now()
    items = [
        public_file(file)
        for file in lib.store.all(FILE)
        if (purpose is None or file["purpose"] == purpose)
        and not (file.get("expires_at") and file["expires_at"] <= now)
    ]
    return json_response(200, list_page(items, request, max_limit=10000, default_limit=10000))


def existing_file(api: ApiContext, file_id: str) -> dict[str, Any]:
    file = library(api).file(file_id)
    if file is None:
        raise file_not_found(file_id)
    return file


async def retrieve_file(api: ApiContext, request: Request) -> Response:
    return json_response(200, public_file(existing_file(api, request.path_params["file_id"])))


async def delete_file(api: ApiContext, request: Request) -> Response:
    file_id = request.path_params["file_id"]
    existing_file(api, file_id)
    lib = library(api)
    if hasattr(lib.blobs, "read_part"):  # in the database: a large file's parts take a while
        await asyncio.to_thread(lib.delete_file, file_id)
    else:
        lib.delete_file(file_id)
    return json_response(200, {"id": file_id, "object": "file", "deleted": True})


async def download_file(api: ApiContext, request: Request) -> Response:
    file = existing_file(api, request.path_params["file_id"])
    blobs = library(api).blobs
    if hasattr(blobs, "read_part"):  # in the database: sent part by part, never whole
        return await _streamed(blobs, file)
    data = blobs.read(file["id"])
    if data is None:
        raise file_not_found(file["id"])
    return Response(data, 200, headers=response_headers(), media_type="application/octet-stream")


async def _streamed(blobs: Any, file: dict[str, Any]) -> Response:
    """The file's bytes read part by part, each part in a worker thread."""
    file_id = file["id"]
    parts = await asyncio.to_thread(blobs.parts, file_id)
    if parts is None:
        raise file_not_found(file_id)
    first = await asyncio.to_thread(blobs.read_part, file_id, 0) if parts else b""
    if first is None:
        raise file_not_found(file_id)

    async def body() -> AsyncIterator[bytes]:
        yield first
        for part in range(1, parts):
            data = await asyncio.to_thread(blobs.read_part, file_id, part)
            if data is None:  # deleted meanwhile: the answer ends short of Content-Length
                return
            yield data

    headers = {**response_headers(), "content-length": str(file.get("bytes", 0))}
    return StreamingResponse(body(), 200, headers=headers, media_type="application/octet-stream")


OPERATIONS = (
    Operation("GET", "/files", list_files),
    Operation("POST", "/files", create_file),
    Operation("GET", "/files/{file_id}", retrieve_file),
    Operation("DELETE", "/files/{file_id}", delete_file),
    Operation("GET", "/files/{file_id}/content", download_file),
)
