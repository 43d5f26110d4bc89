"""Waiting until a vector store, a vector-store file or a file batch is processed.

Creating one starts processing on the server (``status: in_progress``); with *Wait until
processing ends* the engine reads the object again, as the SDK's ``create_and_poll`` does,
until its status is something else (``completed``, ``failed``, ``cancelled``, ``expired``)
and outputs that final object. The read is the operation named by ``poll_operation`` (Get
Vector Store, Get Vector Store File, Get Vector Store File Batch), built as its node builds
it, so polls are GETs the client may retry; they go through the execution's client (its
429 gate and cancel flag). The wait uses Create Run's waiting options
(interval, maximum wait); processing goes on on the server when the wait ends early.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..client.connection import ConnectionConfig
from ..client.exchange import ApiRequest, ApiResponse
from ..client.response_checks import success_body_problem
from ..errors import CancelledError, ResponseFormatError, RunWaitTimeoutError
from ..operations.model import Operation
from .run_polling import WaitOptions, id_and_status, pause_before_poll

if TYPE_CHECKING:
    from ..client.client import ApiClient

IN_PROGRESS = "in_progress"


def processing_status(response: ApiResponse) -> tuple[str, str]:
    """(id, status) of the object answered; empty strings when the body has neither."""
    return id_and_status(response.json_or_none)


def poll_request(
    operation: Operation, path_values: dict[str, str], object_id: str, config: ConnectionConfig
) -> ApiRequest:
    """The request that reads the created object again (its Get node's request)."""
    from ..operations import by_id
    from .configure import expected_object
    from .request_builder import build_request

    poll = by_id(operation.poll_operation)
    ids = {name: path_values.get(name, "") for name in poll.path_parameters}
    ids[operation.poll_id] = object_id
    return build_request(poll, ids, {}, None, config, expect_object=expected_object(poll)).request


def wait_until_processed(
    operation: Operation,
    created: ApiResponse,
    ready: Any,
    client: ApiClient,
    options: WaitOptions,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[ApiResponse, ApiRequest]:
    """Poll until the object is no longer ``in_progress``; return the last answer and its
    request (an error answer ends the wait and is the row's answer). Polls are sent through
    ``client``; its cancel flag ends the wait."""
    request = ready.request
    object_id, status = processing_status(created)
    if not object_id or status != IN_PROGRESS:
        return created, request
    what = _describe(operation, ready.path_values, object_id)
    poll = poll_request(operation, ready.path_values, object_id, client.config)
    deadline = clock() + options.max_wait
    latest = created
    try:
        while status == IN_PROGRESS:
            if clock() >= deadline:
                raise RunWaitTimeoutError(
                    f"{what} is still '{IN_PROGRESS}' after {options.max_wait:g} s. "
                    "Processing goes on on the server; raise the maximum wait or check it "
                    "later.",
                    request=poll,
                )
            pause_before_poll(options, deadline, client.is_canceled, clock, sleep)
            latest = client.send(poll)
            if not latest.ok:
                return latest, poll
            status = processing_status(latest)[1]
            if not status:
                problem = success_body_problem(poll, latest) or (
                    f"{poll.where} answered HTTP {latest.status} without a status."
                )
                raise ResponseFormatError(
                    f"{what} was created, but waiting for it failed: {problem}", request=poll
                )
    except CancelledError as exc:
        raise CancelledError(
            f"Execution cancelled while waiting for {what}; processing goes on on the server."
        ) from exc
    return latest, poll


def _describe(operation: Operation, path_values: dict[str, str], object_id: str) -> str:
    kind = {
        "vector_store_id": "Vector store",
        "file_id": "Vector store file",
        "batch_id": "File batch",
    }.get(operation.poll_id, "The object")
    store = path_values.get("vector_store_id", "")
    where = (
        f" in vector store '{store}'" if store and operation.poll_id != "vector_store_id" else ""
    )
    return f"{kind} '{object_id}'{where}"
