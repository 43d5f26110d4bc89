"""Assistants: create, list, retrieve, modify, delete (``/v1/assistants``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import validation as v
from ..retrieval.tool_resources import file_search_resources
from ..runs import new_id
from ..validation import NotFoundError
from .http import ApiContext, Operation, deleted_payload, json_response, page_response, read_body


async def create_assistant(api: ApiContext, request: Request) -> Response:
    fields = v.assistant_fields(await read_body(request, "CreateAssistantRequest"), creating=True)
    _resolve_resources(api, fields, creating=True)
    assistant = {
        "id": new_id("asst"),
        "object": "assistant",
        "created_at": api.engine.now(),
        "name": None,
        "description": None,
        "model": "",
        "instructions": None,
        "tools": [],
        "tool_resources": {},
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "response_format": "auto",
        **fields,
    }
    api.store.insert("assistant", assistant)
    return json_response(200, assistant)


def _resolve_resources(api: ApiContext, fields: dict[str, Any], *, creating: bool) -> None:
    """``tool_resources.file_search`` checked, its ``vector_stores`` helpers made."""
    if "tool_resources" in fields:
        fields["tool_resources"] = file_search_resources(
            api.library, fields["tool_resources"], new_id, creating=creating
        )


async def list_assistants(api: ApiContext, request: Request) -> Response:
    return await page_response(api, request, "assistant")


async def get_assistant(api: ApiContext, request: Request) -> Response:
    return json_response(200, api.engine.assistant(request.path_params["assistant_id"]))


async def modify_assistant(api: ApiContext, request: Request) -> Response:
    assistant_id = request.path_params["assistant_id"]
    api.engine.assistant(assistant_id)
    fields = v.assistant_fields(await read_body(request, "ModifyAssistantRequest"), creating=False)
    _resolve_resources(api, fields, creating=False)
    assistant = api.store.patch("assistant", assistant_id, fields)  # only what the body sets
    if assistant is None:
        raise NotFoundError("assistant", assistant_id)
    return json_response(200, assistant)


async def delete_assistant(api: ApiContext, request: Request) -> Response:
    assistant_id = request.path_params["assistant_id"]
    if not api.store.delete("assistant", assistant_id):
        raise NotFoundError("assistant", assistant_id)
    return json_response(200, deleted_payload(assistant_id, "assistant.deleted"))


OPERATIONS = (
    Operation("GET", "/assistants", list_assistants),
    Operation("POST", "/assistants", create_assistant),
    Operation("GET", "/assistants/{assistant_id}", get_assistant),
    Operation("POST", "/assistants/{assistant_id}", modify_assistant),
    Operation("DELETE", "/assistants/{assistant_id}", delete_assistant),
)
