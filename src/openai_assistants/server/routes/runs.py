"""Runs and their steps: create (also with a new thread), list, retrieve, modify, cancel,
submit tool outputs, list and retrieve run steps (``/v1/threads/{thread_id}/runs``,
``/v1/threads/runs``).

Run bodies are checked with the node's own schema (:mod:`..body_check`, as every body), so
the server refuses exactly what the Create Run node refuses to send. Function tools are run
by the client, ``file_search`` by the server (:mod:`..runs.file_search`); ``code_interpreter``
is refused with a 400.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ...engine.request_parts import validate_include
from ...errors import InvalidBodyError, InvalidSettingsError
from .. import validation as v
from ..runs.file_search import public_step
from ..store import Page
from ..validation import NotFoundError, RequestError
from .event_stream import run_response
from .http import (
    ApiContext,
    Operation,
    json_response,
    list_payload,
    page,
    read_body,
)
from .threads import new_thread


async def create_run(api: ApiContext, request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    include = _check_include(request)
    body, additional = await read_body(request, "CreateRunRequest", prepare=_read_run_body)
    await api.engine.settle(thread_id)
    run, queue = api.engine.create_run(
        thread_id,
        body,
        stream=body.get("stream") is True,
        additional_messages=additional,
        include=include,
    )
    return await run_response(api, run, queue)


async def create_thread_and_run(api: ApiContext, request: Request) -> Response:
    body, run_body, thread_parsed = await read_body(
        request, "CreateThreadAndRunRequest", prepare=_thread_and_run
    )  # all refused before anything is created
    api.engine.assistant(run_body["assistant_id"])
    if body.get("tool_resources") is not None:  # as the thread's own, checked before it is made
        fields, messages = thread_parsed
        resources = v.optional_object(body, "tool_resources") or {}
        thread_parsed = ({**fields, "tool_resources": resources}, messages)
    thread = new_thread(api, thread_parsed)
    run, queue = api.engine.create_run(
        thread["id"], run_body, stream=run_body.get("stream") is True, new_thread=thread
    )
    return await run_response(api, run, queue)


async def list_runs(api: ApiContext, request: Request) -> Response:
    thread_id = request.path_params["thread_id"]
    api.engine.thread(thread_id)
    runs = page(api.store, request, "run", thread_id=thread_id)
    items = [api.engine.refresh(run) for run in runs.items]
    return json_response(200, list_payload(Page(items, runs.has_more)))


async def get_run(api: ApiContext, request: Request) -> Response:
    params = request.path_params
    return json_response(200, api.engine.run(params["thread_id"], params["run_id"]))


async def modify_run(api: ApiContext, request: Request) -> Response:
    params = request.path_params
    run = api.engine.run(params["thread_id"], params["run_id"])
    metadata = v.metadata_only(await read_body(request, "ModifyRunRequest"))
    if metadata is not None:  # only the metadata: the run's task owns the rest
        run = api.store.patch("run", run["id"], {"metadata": metadata}) or run
    return json_response(200, run)


async def cancel_run(api: ApiContext, request: Request) -> Response:
    params = request.path_params
    return json_response(200, api.engine.cancel_run(params["thread_id"], params["run_id"]))


async def submit_tool_outputs(api: ApiContext, request: Request) -> Response:
    params = request.path_params
    outputs, stream = v.tool_outputs(await read_body(request, "SubmitToolOutputsRunRequest"))
    run, queue = api.engine.submit_tool_outputs(
        params["thread_id"], params["run_id"], outputs, stream=stream
    )
    return await run_response(api, run, queue)


# run steps


async def list_run_steps(api: ApiContext, request: Request) -> Response:
    params = request.path_params
    include = _check_include(request)
    run = api.engine.run(params["thread_id"], params["run_id"])
    steps = page(api.store, request, "step", run_id=run["id"])
    items = [public_step(step, include) for step in steps.items]
    return json_response(200, list_payload(Page(items, steps.has_more)))


async def get_run_step(api: ApiContext, request: Request) -> Response:
    params = request.path_params
    include = _check_include(request)
    run = api.engine.run(params["thread_id"], params["run_id"])
    step = api.store.get("step", params["step_id"])
    if step is None or step["run_id"] != run["id"]:
        raise NotFoundError("run step", params["step_id"])
    return json_response(200, public_step(step, include))


def _check_include(request: Request) -> list[str]:
    """The request's ``include[]`` values (only the one the API knows is accepted)."""
    include = request.query_params.getlist("include[]")
    try:
        validate_include(include)
    except InvalidSettingsError as exc:
        raise RequestError(str(exc), param="include[]", code="invalid_value") from None
    return include


def _thread_and_run(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """A Create Thread and Run body: (the body, its run part, its thread as read)."""
    run_body = {k: val for k, val in body.items() if k not in ("thread", "tool_resources")}
    _read_run_body(run_body)
    return body, run_body, v.thread_fields(body.get("thread"))


def _read_run_body(body: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """What the schema (checked with the body) cannot say, and what this server cannot run;
    (the body, its ``additional_messages`` as read)."""
    assistant_id = body.get("assistant_id")
    if isinstance(assistant_id, str) and not assistant_id.strip():
        violations = ["assistant_id: must not be empty (e.g. asst_abc123)"]
        raise RequestError(str(InvalidBodyError(violations)), param="assistant_id")
    if body.get("tools") is not None:
        v.tools(body["tools"])
    additional = [
        v.message_request(message, f"additional_messages[{i}]")
        for i, message in enumerate(body.get("additional_messages") or [])
    ]
    return body, additional


OPERATIONS = (
    Operation("POST", "/threads/runs", create_thread_and_run),
    Operation("GET", "/threads/{thread_id}/runs", list_runs),
    Operation("POST", "/threads/{thread_id}/runs", create_run),
    Operation("GET", "/threads/{thread_id}/runs/{run_id}", get_run),
    Operation("POST", "/threads/{thread_id}/runs/{run_id}", modify_run),
    Operation("POST", "/threads/{thread_id}/runs/{run_id}/cancel", cancel_run),
    Operation(
        "POST", "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", submit_tool_outputs
    ),
    Operation("GET", "/threads/{thread_id}/runs/{run_id}/steps", list_run_steps),
    Operation("GET", "/threads/{thread_id}/runs/{run_id}/steps/{step_id}", get_run_step),
)
