"""Waiting for a run to end: poll ``GET /threads/{thread_id}/runs/{run_id}``.

A run is created ``queued`` and ends ``completed``, ``failed``, ``cancelled``, ``expired`` or
``incomplete``; ``requires_action`` also stops the wait, because the run cannot go on until
the workflow submits tool outputs. Polls are GETs, so the transport may retry them safely.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..client.cancellation import IsCanceled, pause
from ..client.connection import ConnectionConfig
from ..client.endpoints import request_headers
from ..client.events import final_run
from ..client.exchange import ApiRequest, ApiResponse
from ..client.response_checks import success_body_problem
from ..errors import CancelledError, ResponseFormatError, RunWaitTimeoutError

if TYPE_CHECKING:
    from ..client.client import ApiClient

logger = logging.getLogger("openai_assistants.run_polling")

TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled", "expired", "incomplete"})
STOP_STATUSES = TERMINAL_STATUSES | {"requires_action"}


@dataclass(frozen=True)
class WaitOptions:
    poll_interval: float = 1.0  # seconds between polls
    max_wait: float = 600.0  # seconds before giving up (the run goes on on the server)
    cancel_run_on_abort: bool = False  # on KNIME's cancel, also cancel the run on the server


def get_run_request(config: ConnectionConfig, thread_id: str, run_id: str) -> ApiRequest:
    """A poll: the ``getRun`` operation's request (the Get Run node's) for this run."""
    return _run_request("getRun", config, thread_id, run_id)


def cancel_run_request(config: ConnectionConfig, thread_id: str, run_id: str) -> ApiRequest:
    """The ``cancelRun`` operation's request (the Cancel Run node's) for this run."""
    return _run_request(
        "cancelRun",
        config,
        thread_id,
        run_id,
        subject=f"a cancellation of run '{run_id}' on thread '{thread_id}'",
    )


def _run_request(
    operation_id: str, config: ConnectionConfig, thread_id: str, run_id: str, subject: str = ""
) -> ApiRequest:
    """Method, path and headers from the operation's data, as ``request_builder`` builds them
    for the node. The IDs are the ones the API itself named for a run it created: they are
    sent as one encoded path segment each, not re-checked as dialog settings."""
    from ..operations import by_id  # plain data; request_builder loads with the first wait
    from .request_builder import operation_url

    operation = by_id(operation_id)
    ids = {"thread_id": thread_id, "run_id": run_id}
    return ApiRequest(
        method=operation.method,
        url=operation_url(config, operation, ids, []),
        headers=request_headers(config, json_body=operation.has_body),
        subject=subject or f"run '{run_id}' on thread '{thread_id}'",
        expect_object="thread.run",
    )


def run_status(response: ApiResponse) -> tuple[str, str]:
    """(run id, status) from a run object body, or from the last run event of a stream
    (whose text may not be kept); empty strings when it is neither."""
    run: Any = final_run(response.events) if response.events else response.json_or_none
    return id_and_status(run)


def id_and_status(found: Any) -> tuple[str, str]:
    """(id, status) of an object an answer holds (a run, a vector store, a file batch...);
    an empty string for each that is missing or not text, both when it is no object."""
    if not isinstance(found, dict):
        return "", ""
    found_id, status = found.get("id"), found.get("status")
    return (
        found_id if isinstance(found_id, str) else "",
        status if isinstance(status, str) else "",
    )


def pause_before_poll(
    options: WaitOptions,
    deadline: float,
    is_canceled: IsCanceled | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    """The poll interval before the next status read, cut short at the deadline (so the
    wait ends on time) and by a cancel (raising CancelledError)."""
    pause(min(options.poll_interval, max(0.0, deadline - clock())), is_canceled, sleep)


def wait_for_run(
    created: ApiResponse,
    client: ApiClient,
    thread_id: str,
    options: WaitOptions,
    *,
    on_status: Callable[[str], None] = lambda status: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ApiResponse:
    """Poll until the run stops; return the last answer (an error answer ends the wait).

    Polls (and, on a cancel with ``cancel_run_on_abort``, the cancel of the run) are sent
    through ``client``; its cancel flag ends the wait."""
    config, is_canceled = client.config, client.is_canceled
    run_id, status = run_status(created)
    if not run_id or status in STOP_STATUSES:
        return created
    deadline = clock() + options.max_wait
    latest = created
    on_status(status)
    try:
        while status not in STOP_STATUSES:
            if clock() >= deadline:
                raise RunWaitTimeoutError(
                    f"Run '{run_id}' on thread '{thread_id}' is still '{status}' after "
                    f"{options.max_wait:g} s. It goes on on the server; raise the maximum wait "
                    "or check it later.",
                    request=get_run_request(config, thread_id, run_id),
                )
            pause_before_poll(options, deadline, is_canceled, clock, sleep)
            poll = get_run_request(config, thread_id, run_id)
            latest = client.send(poll)
            if not latest.ok:
                return latest
            status = run_status(latest)[1]
            if not status:
                problem = success_body_problem(poll, latest) or (
                    f"{poll.where} answered HTTP {latest.status} without the run's status."
                )
                raise ResponseFormatError(
                    f"Run '{run_id}' on thread '{thread_id}' was created, but waiting for it "
                    f"failed: {problem}",
                    request=poll,
                )
            on_status(status)
    except CancelledError as exc:
        if not options.cancel_run_on_abort:
            raise CancelledError(
                f"Execution cancelled while waiting for run '{run_id}'; the run goes on on "
                "the server."
            ) from exc
        answer = client.send(cancel_run_request(config, thread_id, run_id), cancellable=False)
        outcome = (
            "cancelled on the server" if answer.ok else f"not cancelled (HTTP {answer.status})"
        )
        raise CancelledError(f"Execution cancelled; run '{run_id}' was {outcome}.") from exc
    return latest
