"""The files and vector stores assistants and threads give to ``file_search``.

``tool_resources.file_search`` names at most one vector store (``vector_store_ids``) or
makes one from files (the ``vector_stores`` helper, on create); a message's ``attachments``
with the ``file_search`` tool put their files into the thread's vector store, created with
the message when the thread has none, as the API does. Everything a body names is checked
before anything is made, so a refused request leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from ..validation import RequestError
from .chunking import parse_chunking_strategy
from .errors import InvalidParameterError
from .library import Library

MAX_STORES = 1  # vector stores an assistant or a thread can have, as the API rules
# the API's default for the stores thread helpers and attachments make: gone a week after use
THREAD_STORE_EXPIRY = {"anchor": "last_active_at", "days": 7}


def _library(library: Library | None) -> Library:
    if library is None:
        raise RequestError("This server has no Files API for file_search.", status=400)
    return library


def _file(library: Library, file_id: Any, param: str) -> dict[str, Any]:
    found = library.file(file_id) if isinstance(file_id, str) else None
    if found is None:
        raise RequestError(f"No such File object: {file_id}", status=404, param=param)
    return found


def file_search_resources(
    library: Library | None,
    resources: dict[str, Any] | None,
    new_id: Any,
    *,
    creating: bool,
    param: str = "tool_resources",
    expiry: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """``tool_resources`` with its ``file_search`` part checked and resolved (the helpers'
    stores made, named by ``vector_store_ids``); None when there is nothing to change.
    ``expiry``: the ``expires_after`` of the stores the helpers make (a thread's expire)."""
    if resources is None:
        return None
    search = resources.get("file_search")
    if search is None:
        return resources
    where = f"{param}.file_search"
    if not isinstance(search, dict):
        raise RequestError(f"Invalid type for '{where}': expected an object.", param=where)
    unknown = sorted(set(search) - {"vector_store_ids", "vector_stores"})
    if unknown or ("vector_stores" in search and not creating):
        name = unknown[0] if unknown else "vector_stores"
        raise RequestError(
            f"Unknown parameter: '{where}.{name}'.",
            param=f"{where}.{name}",
            code="unknown_parameter",
        )
    ids = search.get("vector_store_ids") or []
    helpers = search.get("vector_stores") or []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise RequestError(
            f"Invalid type for '{where}.vector_store_ids': expected an array of strings.",
            param=f"{where}.vector_store_ids",
        )
    if not isinstance(helpers, list) or not all(isinstance(h, dict) for h in helpers):
        raise RequestError(
            f"Invalid type for '{where}.vector_stores': expected an array of objects.",
            param=f"{where}.vector_stores",
        )
    if len(ids) + len(helpers) > MAX_STORES:
        raise RequestError(
            f"Invalid '{where}': at most {MAX_STORES} vector store can be attached "
            "(vector_store_ids and vector_stores together).",
            param=where,
        )
    if not ids and not helpers:
        return {**resources, "file_search": {"vector_store_ids": []}}
    lib = _library(library)
    for i, store_id in enumerate(ids):
        if lib.vector_store(store_id) is None:
            raise RequestError(
                f"No vector store found with id '{store_id}'.",
                status=404,
                param=f"{where}.vector_store_ids[{i}]",
            )
    plans = []
    for i, helper in enumerate(helpers):
        at = f"{where}.vector_stores[{i}]"
        file_ids = helper.get("file_ids") or []
        if not isinstance(file_ids, list):
            raise RequestError(
                f"Invalid type for '{at}.file_ids': expected an array.", param=f"{at}.file_ids"
            )
        files = [_file(lib, f, f"{at}.file_ids[{j}]") for j, f in enumerate(file_ids)]
        try:
            strategy = parse_chunking_strategy(
                helper.get("chunking_strategy"), f"{at}.chunking_strategy"
            )
        except InvalidParameterError as exc:
            raise RequestError(exc.message, param=exc.param) from None
        metadata = helper.get("metadata") if isinstance(helper.get("metadata"), dict) else {}
        plans.append((files, strategy, metadata))
    made = [
        lib.create_vector_store(new_id("vs"), files, strategy, metadata=metadata, expiry=expiry)[
            "id"
        ]
        for files, strategy, metadata in plans
    ]
    return {**resources, "file_search": {"vector_store_ids": [*ids, *made]}}


def search_attachments(attachments: list[Any] | None) -> list[Any]:
    """The file IDs of the attachments that are for ``file_search``."""
    found = []
    for attachment in attachments or []:
        if not isinstance(attachment, dict):
            continue
        tools = attachment.get("tools") or []
        if any(isinstance(t, dict) and t.get("type") == "file_search" for t in tools):
            found.append(attachment.get("file_id"))
    return found


def check_attachments(library: Library | None, attachments: list[Any] | None, prefix: str) -> None:
    """Every attached file exists (before the message or its thread is made)."""
    for i, attachment in enumerate(attachments or []):
        file_id = attachment.get("file_id") if isinstance(attachment, dict) else None
        _file(_library(library), file_id, f"{prefix}attachments[{i}].file_id")


def attach_to_thread(
    library: Library | None,
    store: Any,
    thread: dict[str, Any],
    attachments: list[Any] | None,
    new_id: Any,
) -> None:
    """Put the ``file_search`` attachments' files into the thread's vector store (made now,
    and named in the thread's ``tool_resources``, when it has none)."""
    file_ids = search_attachments(attachments)
    if not file_ids:
        return
    lib = _library(library)
    files = [_file(lib, file_id, "attachments") for file_id in file_ids]
    resources = dict(thread.get("tool_resources") or {})
    search = dict(resources.get("file_search") or {})
    ids = list(search.get("vector_store_ids") or [])
    strategy = parse_chunking_strategy(None, "chunking_strategy")
    if ids and lib.vector_store(ids[0]) is not None:
        for file in files:
            lib.add_file(ids[0], file, strategy, None)
        return
    made = lib.create_vector_store(
        new_id("vs"),
        files,
        strategy,
        name=f"Vector store for {thread['id']}",
        expiry=dict(THREAD_STORE_EXPIRY),
    )
    search["vector_store_ids"] = [made["id"]]
    resources["file_search"] = search
    store.patch("thread", thread["id"], {"tool_resources": resources})
