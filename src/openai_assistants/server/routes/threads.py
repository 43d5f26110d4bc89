"""Threads: create, retrieve, modify, delete (``/v1/threads``); Create Thread and Run is a
run operation (:mod:`.runs`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import validation as v
from ..retrieval.tool_resources import (
    THREAD_STORE_EXPIRY,
    check_attachments,
    file_search_resources,
)
from ..runs import new_id
from ..validation import NotFoundError
from .http import ApiContext, Operation, deleted_payload, json_response, read_body


async def create_thread(api: ApiContext, request: Request) -> Response:
    return json_response(
        200,
        new_thread(
            api,
            await read_body(
                request, "CreateThreadRequest", allow_empty=True, prepare=v.thread_fields
            ),
        ),
    )


def new_thread(api: ApiContext, parsed: tuple[dict[str, Any], list[Any]]) -> dict[str, Any]:
    """A thread from a create-thread body as :func:`..validation.thread_fields` reads it
    (fields, initial messages), with its initial messages."""
    fields, messages = parsed
    for i, (_, _, attachments, _) in enumerate(messages):
        check_attachments(api.library, attachments, f"messages[{i}].")
    if "tool_resources" in fields:
        fields = {
            **fields,
            "tool_resources": file_search_resources(
                api.library,
                fields["tool_resources"],
                new_id,
                creating=True,
                expiry=dict(THREAD_STORE_EXPIRY),
            ),
        }
    thread = {
        "id": new_id("thread"),
        "object": "thread",
        "created_at": api.engine.now(),
        "tool_resources": {},
        "metadata": {},
        **fields,
    }
    api.store.insert("thread", thread, thread_id=thread["id"])
    for role, content, attachments, metadata in messages:
        api.engine.add_message(thread["id"], role, content, attachments, metadata)
    return thread


async def get_thread(api: ApiContext, request: Request) -> Response:
    return json_response(200, api.engine.thread(request.path_params["thread_id"]))


async def modify_thread(api: ApiContext, request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    api.engine.thread(thread_id)
    body = v.object_body(
        await read_body(request, "ModifyThreadRequest"), frozenset({"tool_resources", "metadata"})
    )
    fields, _ = v.thread_fields(body)
    if "tool_resources" in fields:
        fields["tool_resources"] = file_search_resources(
            api.library, fields["tool_resources"], new_id, creating=False
        )
    thread = api.store.patch("thread", thread_id, fields)  # only what the body sets
    if thread is None:
        raise NotFoundError("thread", thread_id)
    return json_response(200, thread)


async def delete_thread(api: ApiContext, request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    api.engine.thread(thread_id)
    api.engine.delete_thread(thread_id)
    return json_response(200, deleted_payload(thread_id, "thread.deleted"))


OPERATIONS = (
    Operation("POST", "/threads", create_thread),
    Operation("GET", "/threads/{thread_id}", get_thread),
    Operation("POST", "/threads/{thread_id}", modify_thread),
    Operation("DELETE", "/threads/{thread_id}", delete_thread),
)
