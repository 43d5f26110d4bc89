"""Messages of a thread: create, list, retrieve, modify, delete
(``/v1/threads/{thread_id}/messages``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import validation as v
from ..validation import NotFoundError, RequestError
from .http import (
    ApiContext,
    Operation,
    deleted_payload,
    json_response,
    json_response_from_worker,
    page_response,
    read_body,
)


async def create_message(api: ApiContext, request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    role, content, attachments, metadata = await read_body(
        request, "CreateMessageRequest", prepare=lambda body: v.message_request(body, None)
    )
    api.engine.thread(thread_id)
    await api.engine.settle(thread_id)
    active = api.engine.active_run(thread_id)
    if active is not None:
        raise RequestError(
            f"Can't add messages to {thread_id} while a run {active['id']} is active.",
            param="thread_id",
        )
    message = api.engine.add_message(thread_id, role, content, attachments, metadata)
    return await json_response_from_worker(lambda: message)


async def list_messages(api: ApiContext, request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    api.engine.thread(thread_id)
    run_id = request.query_params.get("run_id") or None
    return await page_response(api, request, "message", thread_id=thread_id, run_id=run_id)


async def get_message(api: ApiContext, request: Request) -> Response:
    return await json_response_from_worker(lambda: thread_message(api, request))


async def modify_message(api: ApiContext, request: Request) -> Response:
    message = thread_message(api, request)
    metadata = v.metadata_only(await read_body(request, "ModifyMessageRequest"))
    if metadata is not None:  # only the metadata: a run may be writing the content
        message = api.store.patch("message", message["id"], {"metadata": metadata})
    else:
        message = api.store.get("message", message["id"])
    if message is None:
        raise NotFoundError("message", request.path_params["message_id"])
    return await json_response_from_worker(lambda: message)


async def delete_message(api: ApiContext, request: Request) -> Response:
    message = thread_message(api, request)
    api.store.delete("message", message["id"])
    return json_response(200, deleted_payload(message["id"], "thread.message.deleted"))


def thread_message(api: ApiContext, request: Request) -> dict[str, Any]:
    """The message the path names, which must belong to the thread the path names."""
    thread_id = request.path_params["thread_id"]
    message_id = request.path_params["message_id"]
    api.engine.thread(thread_id)
    message = api.store.get("message", message_id)
    if message is None or message["thread_id"] != thread_id:
        raise NotFoundError("message", message_id)
    return message


OPERATIONS = (
    Operation("GET", "/threads/{thread_id}/messages", list_messages),
    Operation("POST", "/threads/{thread_id}/messages", create_message),
    Operation("GET", "/threads/{thread_id}/messages/{message_id}", get_message),
    Operation("POST", "/threads/{thread_id}/messages/{message_id}", modify_message),
    Operation("DELETE", "/threads/{thread_id}/messages/{message_id}", delete_message),
)
