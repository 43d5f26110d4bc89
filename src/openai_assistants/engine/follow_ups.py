"""After the first answer: waiting until a run ends, following the pages of a list.

The engine sends a row's request; when the answer is a run the user wants to see end, or
the first page of a list the user wants whole, the requests that follow are made here,
through the same client (retries, the 429 gate, cancel). ``ready`` is the engine's validated
row (its request, path and query values) and ``options`` its ``OperationOptions``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..client.events import final_run, parse_event_stream
from ..client.exchange import ApiRequest, ApiResponse
from ..client.response_checks import success_body_problem
from ..errors import ResponseFormatError
from ..operations.model import Operation
from ..tables.results import ResultFormat
from .pagination import Page, next_page_query, parse_page
from .run_polling import STOP_STATUSES, get_run_request, run_status, wait_for_run

if TYPE_CHECKING:
    from ..client.client import ApiClient


def check_page(
    request: ApiRequest, response: ApiResponse, notes: list[str], *, list_object: str = "list"
) -> Page:
    """A list answer must be a ``list`` object (``list_object``: a search's results page)
    holding a ``data`` array (what the table shows). Items that are no objects cannot fill
    a row: they stay rows of missing values, and a note says how many there were."""
    try:
        body = response.json  # a success answer: already parsed, and JSON
        found = body.get("object") if isinstance(body, dict) else None
        if found is not None and found != list_object:
            raise ResponseFormatError(
                f"answered HTTP {response.status}, but not with a {list_object} object: its "
                f"object is {str(found)[:60]!r}."
            )
        page = parse_page(body)
    except ResponseFormatError as exc:
        raise ResponseFormatError(f"{request.where}: {exc}", request=request) from None
    odd = sum(not isinstance(item, dict) for item in page.items)
    if odd:
        notes.append(
            f"{request.where} answered a list with {odd} item(s) that are no objects; their "
            "rows hold missing values."
        )
    return page


def follow_pages(
    operation: Operation,
    ready: Any,
    first: ApiResponse,
    client: ApiClient,
    options: Any,
    notes: list[str],
    *,
    expect_object: str = "",
) -> tuple[tuple[ApiResponse, ...], ApiRequest]:
    """Ask for the next page (``after`` = the last item's ID, as the SDK) while ``has_more``,
    until ``max_items`` items are there. Each page is a GET, retried as idempotent. An error
    answer ends the paging and is the row's answer (its pages so far are kept)."""
    from .request_builder import build_request

    pages = [first]
    request = ready.request
    page = parse_page(first.json)
    count = len(page.items)
    query: dict[str, Any] = dict(ready.query_values)
    cursors: set[str] = set()  # a server that hands out a cursor twice would page forever
    while count < options.max_items:
        next_query = next_page_query(query, page)
        if next_query is None:
            break
        if next_query["after"] in cursors:
            notes.append(
                f"{request.where} answered has_more with a page ending at "
                f"'{next_query['after']}' again; stopped following pages there, since the "
                "server would only repeat them."
            )
            break
        cursors.add(next_query["after"])
        query = next_query
        built = build_request(
            operation, ready.path_values, query, None, client.config, expect_object=expect_object
        )
        request = built.request
        response = client.send(request)
        notes += retry_note(response)
        pages.append(response)
        if not response.ok or success_body_problem(request, response) is not None:
            break
        page = check_page(request, response, notes, list_object=operation.list_object)
        count += len(page.items)
    return tuple(pages), request


def wait_until_run_ends(
    request: ApiRequest,
    response: ApiResponse,
    ready: Any,
    client: ApiClient,
    options: Any,
    notes: list[str],
    *,
    on_status: Callable[[str], None] | None = None,
) -> tuple[ApiResponse, ApiRequest]:
    """Wait until the answered run stops; return the answer to output and its request.
    ``on_status`` hears the run's status after creation and after each poll.

    The thread is the path's, else the run's own ``thread_id`` (Create Thread and Run). A
    stream already ends with the run's final state, so it is output as it is; only when it
    ended while the run was still going on is the run polled, and the final run is output
    (the Events format keeps the stream and says how the run ended).
    """
    assert options.wait is not None
    created = response
    if request.stream and response.is_event_stream:
        events = response.events
        if events is None:
            events = tuple(parse_event_stream(response.text))
        run = final_run(events)
        if run is None or not isinstance(run.get("id"), str) or run.get("status") in STOP_STATUSES:
            return response, request
        created = ApiResponse(
            status=response.status, headers=response.headers, text=json.dumps(run)
        )
        run_thread = run.get("thread_id")
    else:
        parsed = created.json_or_none
        run_thread = parsed.get("thread_id") if isinstance(parsed, dict) else None
    thread_id = ready.path_values.get("thread_id") or (
        run_thread if isinstance(run_thread, str) else ""
    )
    if not thread_id:
        return response, request  # nothing to poll: the run names no thread
    if on_status is None:
        final = wait_for_run(created, client, thread_id, options.wait)
    else:
        final = wait_for_run(created, client, thread_id, options.wait, on_status=on_status)
    if final is created:
        return response, request
    run_id = run_status(created)[0]
    poll = get_run_request(client.config, thread_id, run_id)  # messages name the last poll
    if request.stream and options.result_format is ResultFormat.EVENTS:
        status = run_status(final)[1] or f"unknown (HTTP {final.status})"
        notes.append(
            f"The event stream ended while run '{run_id}' was still going on; after waiting, "
            f"its status is '{status}'."
        )
        return response, request
    return final, poll


def retry_note(response: ApiResponse) -> list[str]:
    if response.attempts <= 1:
        return []
    retries = response.attempts - 1
    what = "Succeeded after" if response.ok else "Gave up after"
    plural = "retry" if retries == 1 else "retries"
    return [f"{what} {retries} {plural} ({', '.join(response.retry_reasons)})."]
