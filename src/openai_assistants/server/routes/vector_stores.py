"""Vector stores, their files, file batches and search (``/v1/vector_stores``).

Bodies are checked field by field as the API checks them (unknown fields, types, bounds:
``max_num_results`` 1-50, ``score_threshold`` 0-1, chunk sizes, attributes), and anything out
of range is a 400 naming the field, never silently clamped. Ingestion is in the background
(:class:`~openai_assistants.server.retrieval.library.Library`): creating answers at once with
``in_progress`` objects that clients poll.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import validation as v
from ..retrieval.chunking import parse_chunking_strategy
from ..retrieval.errors import InvalidParameterError
from ..retrieval.filters import check_filter
from ..retrieval.library import BATCH, STORE, Library
from ..retrieval.query_rewrite import rewrite as rewrite_query
from ..runs import new_id
from ..validation import RequestError
from .files import existing_file, library
from .http import ApiContext, Operation, json_response, page_response, read_body
from .listing import list_page

STORE_FIELDS = frozenset(
    {"name", "file_ids", "chunking_strategy", "expires_after", "metadata", "description"}
)
MODIFY_FIELDS = frozenset({"name", "expires_after", "metadata"})
FILE_STATUSES = ("in_progress", "completed", "failed", "cancelled")
MAX_ATTRIBUTES = 16


def invalid(exc: InvalidParameterError) -> RequestError:
    return RequestError(exc.message, param=exc.param)


def vector_store_of(api: ApiContext, request: Request) -> dict[str, Any]:
    vector_store_id = request.path_params["vector_store_id"]
    found = library(api).vector_store(vector_store_id)
    if found is None:
        raise RequestError(
            f"No vector store found with id '{vector_store_id}'.", status=404, param=None
        )
    return found


def expires_after(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"anchor", "days"}:
        raise RequestError(
            "Invalid 'expires_after': expected an object with 'anchor' and 'days'.",
            param="expires_after",
        )
    if value.get("anchor") != "last_active_at":
        raise RequestError(
            "Invalid value for 'expires_after.anchor': expected 'last_active_at'.",
            param="expires_after.anchor",
        )
    days = value.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise RequestError(
            f"Invalid 'expires_after.days': {days!r}. It must be an integer from 1 to 365.",
            param="expires_after.days",
        )
    return {"anchor": "last_active_at", "days": days}


def attributes(value: Any, param: str = "attributes") -> dict[str, Any] | None:
    """The API's ``VectorStoreFileAttributes``: up to 16 keys, short keys and values."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RequestError(f"Invalid type for '{param}': expected an object.", param=param)
    if len(value) > MAX_ATTRIBUTES:
        raise RequestError(
            f"Invalid '{param}': at most {MAX_ATTRIBUTES} keys, got {len(value)}.", param=param
        )
    for key, item in value.items():
        if len(key) > 64:
            raise RequestError(
                f"Invalid '{param}': the key '{key[:20]}…' is longer than 64 characters.",
                param=param,
            )
        if isinstance(item, str):
            if len(item) > 512:
                raise RequestError(
                    f"Invalid '{param}.{key}': strings are at most 512 characters.",
                    param=f"{param}.{key}",
                )
        elif not isinstance(item, (int, float, bool)):
            raise RequestError(
                f"Invalid type for '{param}.{key}': expected a string, number or boolean.",
                param=f"{param}.{key}",
            )
    return value


def file_ids(value: Any, param: str = "file_ids") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RequestError(
            f"Invalid type for '{param}': expected an array of strings.", param=param
        )
    if len(value) > 500:
        raise RequestError(f"Invalid '{param}': at most 500 files at a time.", param=param)
    return value


def strategy(value: Any, param: str = "chunking_strategy") -> Any:
    try:
        return parse_chunking_strategy(value, param)
    except InvalidParameterError as exc:
        raise invalid(exc) from None


# vector stores


async def create_vector_store(api: ApiContext, request: Request) -> Response:
    lib = library(api)
    body = v.object_body(
        await read_body(request, "CreateVectorStoreRequest", allow_empty=True), STORE_FIELDS
    )
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise RequestError("Invalid type for 'name': expected a string.", param="name")
    ids = file_ids(body.get("file_ids"))
    chunking = strategy(body.get("chunking_strategy"))
    expiry = expires_after(body.get("expires_after"))
    files = [existing_file(api, file_id) for file_id in ids]
    meta = v.metadata(body.get("metadata")) if body.get("metadata") is not None else {}
    created = lib.create_vector_store(
        new_id("vs"), files, chunking, name=name or "", metadata=meta, expiry=expiry
    )
    return json_response(200, created)


async def list_vector_stores(api: ApiContext, request: Request) -> Response:
    library(api)
    return await page_response(api, request, STORE)


async def get_vector_store(api: ApiContext, request: Request) -> Response:
    return json_response(200, vector_store_of(api, request))


async def modify_vector_store(api: ApiContext, request: Request) -> Response:
    lib = library(api)
    vector_store = vector_store_of(api, request)
    body = v.object_body(
        await read_body(request, "UpdateVectorStoreRequest", allow_empty=True), MODIFY_FIELDS
    )
    # read again after the body's await: written back whole below, with no await between, so
    # an ingestion's count that ended while the body arrived is kept
    vector_store = vector_store_of(api, request)
    if "name" in body:
        if body["name"] is not None and not isinstance(body["name"], str):
            raise RequestError("Invalid type for 'name': expected a string.", param="name")
        vector_store["name"] = body["name"] or ""
    if "expires_after" in body:
        expiry = expires_after(body["expires_after"])
        vector_store.pop("expires_after", None)
        vector_store["expires_at"] = None
        if expiry is not None:
            vector_store["expires_after"] = expiry
            vector_store["expires_at"] = lib.now() + expiry["days"] * 86400
    if body.get("metadata") is not None:
        vector_store["metadata"] = v.metadata(body["metadata"])
    lib.touch(vector_store, whole=True)
    return json_response(200, vector_store)


async def delete_vector_store(api: ApiContext, request: Request) -> Response:
    vector_store = vector_store_of(api, request)
    lib = library(api)
    if hasattr(lib.blobs, "read_part"):  # in the database: a large store's chunks take a while
        await asyncio.to_thread(lib.delete_vector_store, vector_store["id"])
    else:
        lib.delete_vector_store(vector_store["id"])
    return json_response(
        200, {"id": vector_store["id"], "object": "vector_store.deleted", "deleted": True}
    )


# vector-store files


async def create_vector_store_file(api: ApiContext, request: Request) -> Response:
    lib = library(api)
    vector_store = vector_store_of(api, request)
    body = v.object_body(
        await read_body(request, "CreateVectorStoreFileRequest"),
        frozenset({"file_id", "chunking_strategy", "attributes"}),
    )
    file_id = body.get("file_id")
    if not isinstance(file_id, str):
        raise RequestError("Missing required parameter: 'file_id'.", param="file_id")
    file = existing_file(api, file_id)
    entry = lib.add_file(
        vector_store["id"],
        file,
        strategy(body.get("chunking_strategy")),
        attributes(body.get("attributes")),
    )
    return json_response(200, entry)


def status_filter(request: Request) -> str | None:
    value = request.query_params.get("filter")
    if value is not None and value not in FILE_STATUSES:
        raise RequestError(
            f"Invalid value: '{value}'. Supported values are: "
            + ", ".join(f"'{s}'" for s in FILE_STATUSES)
            + ".",
            param="filter",
            code="invalid_value",
        )
    return value


async def list_vector_store_files(api: ApiContext, request: Request) -> Response:
    vector_store = vector_store_of(api, request)
    items = library(api).store_files(vector_store["id"], status=status_filter(request))
    return json_response(200, list_page(items, request))


def store_file_of(api: ApiContext, request: Request) -> tuple[Library, dict[str, Any]]:
    lib = library(api)
    vector_store = vector_store_of(api, request)
    file_id = request.path_params["file_id"]
    entry = lib.store_file(vector_store["id"], file_id)
    if entry is None:
        raise RequestError(
            f"No file found with id '{file_id}' in vector store '{vector_store['id']}'.",
            status=404,
        )
    return lib, entry


async def get_vector_store_file(api: ApiContext, request: Request) -> Response:
    return json_response(200, store_file_of(api, request)[1])


async def update_vector_store_file(api: ApiContext, request: Request) -> Response:
    lib, entry = store_file_of(api, request)
    body = v.object_body(
        await read_body(request, "UpdateVectorStoreFileAttributesRequest"),
        frozenset({"attributes"}),
    )
    if "attributes" not in body:
        raise RequestError("Missing required parameter: 'attributes'.", param="attributes")
    lib.set_attributes(entry["vector_store_id"], entry["id"], attributes(body["attributes"]))
    return json_response(200, lib.store_file(entry["vector_store_id"], entry["id"]))


async def delete_vector_store_file(api: ApiContext, request: Request) -> Response:
    lib, entry = store_file_of(api, request)
    lib.remove_file(entry["vector_store_id"], entry["id"])
    return json_response(
        200, {"id": entry["id"], "object": "vector_store.file.deleted", "deleted": True}
    )


async def vector_store_file_content(api: ApiContext, request: Request) -> Response:
    lib, entry = store_file_of(api, request)
    # a whole document's text: read in a worker thread (on PostgreSQL a database read)
    text = await asyncio.to_thread(lib.document, entry["vector_store_id"], entry["id"])
    data = [] if text is None else [{"type": "text", "text": text}]
    return json_response(
        200,
        {
            "object": "vector_store.file_content.page",
            "data": data,
            "has_more": False,
            "next_page": None,
        },
    )


# file batches


async def create_file_batch(api: ApiContext, request: Request) -> Response:
    lib = library(api)
    vector_store = vector_store_of(api, request)
    body = v.object_body(
        await read_body(request, "CreateVectorStoreFileBatchRequest"),
        frozenset({"file_ids", "files", "chunking_strategy", "attributes"}),
    )
    chunking = strategy(body.get("chunking_strategy"))
    shared = attributes(body.get("attributes"))
    wanted: list[tuple[str, Any, Any]] = []
    if body.get("files") is not None:
        if "file_ids" in body:
            raise RequestError("Give either 'file_ids' or 'files', not both.", param="files")
        files = body["files"]
        if not isinstance(files, list) or not files:
            raise RequestError("Invalid 'files': expected a non-empty array.", param="files")
        for index, item in enumerate(files):
            where = f"files[{index}]"
            if not isinstance(item, dict) or not isinstance(item.get("file_id"), str):
                raise RequestError(f"Invalid '{where}': expected a 'file_id'.", param=where)
            wanted.append(
                (
                    item["file_id"],
                    attributes(item.get("attributes"), f"{where}.attributes") or shared,
                    strategy(item["chunking_strategy"], f"{where}.chunking_strategy")
                    if item.get("chunking_strategy") is not None
                    else chunking,
                )
            )
    else:
        ids = file_ids(body.get("file_ids"))
        if not ids:
            raise RequestError("Missing required parameter: 'file_ids'.", param="file_ids")
        wanted = [(file_id, shared, chunking) for file_id in ids]
    found = [(existing_file(api, file_id), attrs, chunks) for file_id, attrs, chunks in wanted]
    batch = lib.create_batch(vector_store["id"], found)
    return json_response(200, batch)


def batch_of(api: ApiContext, request: Request) -> dict[str, Any]:
    vector_store = vector_store_of(api, request)
    batch_id = request.path_params["batch_id"]
    batch = library(api).store.get(BATCH, batch_id)
    if batch is None or batch["vector_store_id"] != vector_store["id"]:
        raise RequestError(f"No file batch found with id '{batch_id}'.", status=404)
    return batch


async def get_file_batch(api: ApiContext, request: Request) -> Response:
    return json_response(200, batch_of(api, request))


async def cancel_file_batch(api: ApiContext, request: Request) -> Response:
    batch = batch_of(api, request)
    return json_response(200, library(api).cancel_batch(batch))


async def list_file_batch_files(api: ApiContext, request: Request) -> Response:
    batch = batch_of(api, request)
    items = library(api).store_files(
        batch["vector_store_id"], batch_id=batch["id"], status=status_filter(request)
    )
    return json_response(200, list_page(items, request))


# search


def search_request(body: Any) -> dict[str, Any]:
    """A checked search body: queries (rewritten when ``rewrite_query`` asks), max_num_results,
    filters, threshold, ranker."""
    body = v.object_body(
        body, frozenset({"query", "max_num_results", "filters", "ranking_options", "rewrite_query"})
    )
    query = body.get("query")
    if isinstance(query, str):
        queries = [query]
    elif isinstance(query, list) and query and all(isinstance(q, str) for q in query):
        queries = query
    else:
        raise RequestError(
            "Invalid 'query': expected a string or a non-empty array of strings.", param="query"
        )
    if not any(q.strip() for q in queries):
        raise RequestError("Invalid 'query': the query is empty.", param="query")
    limit = body.get("max_num_results", 10)
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise RequestError(
            "Invalid type for 'max_num_results': expected an integer.", param="max_num_results"
        )
    if not 1 <= limit <= 50:
        raise RequestError(
            f"Invalid 'max_num_results': {limit}. It must be between 1 and 50.",
            param="max_num_results",
            code="integer_out_of_range" if limit > 50 else "integer_below_min_value",
        )
    rewrite = body.get("rewrite_query", False)
    if not isinstance(rewrite, bool):
        raise RequestError(
            "Invalid type for 'rewrite_query': expected a boolean.", param="rewrite_query"
        )
    filters = None
    if body.get("filters") is not None:
        try:
            filters = check_filter(body["filters"])
        except InvalidParameterError as exc:
            raise invalid(exc) from None
    options = ranking_options(body.get("ranking_options"))
    if rewrite:  # a keyword query for the lexical ranking (retrieval.query_rewrite)
        queries = [rewrite_query(query) for query in queries]
    return {"queries": queries, "max_num_results": limit, "filters": filters, **options}


def ranking_options(value: Any, param: str = "ranking_options") -> dict[str, Any]:
    if value is None:
        return {"score_threshold": 0.0, "ranker": "auto"}
    if not isinstance(value, dict) or set(value) - {"ranker", "score_threshold"}:
        raise RequestError(
            f"Invalid '{param}': expected an object with 'ranker' and 'score_threshold'.",
            param=param,
        )
    ranker = value.get("ranker", "auto")
    if ranker not in ("none", "auto", "default-2024-11-15", "default_2024_08_21"):
        raise RequestError(
            f"Invalid value for '{param}.ranker': {ranker!r}. Supported values are: 'none', "
            "'auto', 'default-2024-11-15'.",
            param=f"{param}.ranker",
        )
    threshold = value.get("score_threshold", 0.0)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise RequestError(
            f"Invalid type for '{param}.score_threshold': expected a number.",
            param=f"{param}.score_threshold",
        )
    if not 0 <= threshold <= 1:
        raise RequestError(
            f"Invalid '{param}.score_threshold': {threshold}. It must be between 0 and 1.",
            param=f"{param}.score_threshold",
        )
    return {"score_threshold": float(threshold), "ranker": ranker}


async def search_vector_store(api: ApiContext, request: Request) -> Response:
    lib = library(api)
    vector_store = vector_store_of(api, request)
    checked = search_request(await read_body(request, "VectorStoreSearchRequest"))
    results = await lib.search(
        [vector_store["id"]],
        checked["queries"],
        max_num_results=checked["max_num_results"],
        filters=checked["filters"],
        score_threshold=checked["score_threshold"],
        ranker=checked["ranker"],
    )
    lib.touch(vector_store)
    return json_response(
        200,
        {
            "object": "vector_store.search_results.page",
            "search_query": checked["queries"],
            "data": results,
            "has_more": False,
            "next_page": None,
        },
    )


OPERATIONS = (
    Operation("GET", "/vector_stores", list_vector_stores),
    Operation("POST", "/vector_stores", create_vector_store),
    Operation("GET", "/vector_stores/{vector_store_id}", get_vector_store),
    Operation("POST", "/vector_stores/{vector_store_id}", modify_vector_store),
    Operation("DELETE", "/vector_stores/{vector_store_id}", delete_vector_store),
    Operation("POST", "/vector_stores/{vector_store_id}/search", search_vector_store),
    Operation("GET", "/vector_stores/{vector_store_id}/files", list_vector_store_files),
    Operation("POST", "/vector_stores/{vector_store_id}/files", create_vector_store_file),
    Operation("GET", "/vector_stores/{vector_store_id}/files/{file_id}", get_vector_store_file),
    Operation("POST", "/vector_stores/{vector_store_id}/files/{file_id}", update_vector_store_file),
    Operation(
        "DELETE", "/vector_stores/{vector_store_id}/files/{file_id}", delete_vector_store_file
    ),
    Operation(
        "GET",
        "/vector_stores/{vector_store_id}/files/{file_id}/content",
        vector_store_file_content,
    ),
    Operation("POST", "/vector_stores/{vector_store_id}/file_batches", create_file_batch),
    Operation("GET", "/vector_stores/{vector_store_id}/file_batches/{batch_id}", get_file_batch),
    Operation(
        "POST",
        "/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel",
        cancel_file_batch,
    ),
    Operation(
        "GET",
        "/vector_stores/{vector_store_id}/file_batches/{batch_id}/files",
        list_file_batch_files,
    ),
)
