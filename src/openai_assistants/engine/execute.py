"""The one operation engine: any Assistants operation, any number of rows, one execute path.

    operation (data) + one CallInput per row + a client (configuration and key, made once)
      -> validated requests (every row checked before anything is sent: :mod:`.prepare`)
      -> HTTP exchanges through the client (up to ``concurrency`` at once, :mod:`.batch`;
         one shared 429 back-off, the retry policy of the operation's method: GET/DELETE
         idempotent, POST never re-sent once it may have been processed)
      -> optional: wait until the run ends (run operations), follow pages (list operations):
         :mod:`.follow_ups`
      -> checked answers -> one table, rows in input order (:mod:`.outcome`)

Every node, every CLI subcommand (Create Run included) and the demo call
:func:`execute_operation`. The names a caller needs besides it (the inputs, the options, what
configure() needs) are importable from here too, so a caller imports one module. Nothing here
imports KNIME.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from ..client.exchange import ApiResponse
from ..client.response_checks import (
    http_error_message,
    stream_run_problem,
    success_body_problem,
)
from ..errors import (
    CancelledError,
    HttpStatusError,
    OpenAIAssistantsError,
    RequestFailedError,
    ResponseFormatError,
)
from ..operations.model import Operation
from ..tables.results import ResultFormat, RowResult, result_rows
from .batch import run_rows
from .configure import (
    asks_for_stream,
    can_wait,
    check_call,
    check_format_fits_body,
    check_options,
    checked_object,
    expected_object,
    output_columns,
    result_formats,
)
from .follow_ups import check_page, follow_pages, retry_note, wait_until_run_ends
from .gc_pause import existing_objects_frozen
from .inputs import CallInput, CallSettings, inputs_from_rows, tool_output_inputs
from .options import (
    MAX_CONCURRENCY,
    MAX_ITEMS_LIMIT,
    ErrorHandling,
    OperationOptions,
)
from .outcome import TABLE_ERRORS, OperationOutcome, table_error
from .prepare import PreparedCall, prefixed, prepare_call, prepare_rows
from .run_polling import WaitOptions
from .run_progress import RunProgress

if TYPE_CHECKING:
    from ..client.client import ApiClient

logger = logging.getLogger("openai_assistants.engine")

Progress = Callable[[float, str], None]

__all__ = [
    "MAX_CONCURRENCY",
    "MAX_ITEMS_LIMIT",
    "CallInput",
    "CallSettings",
    "ErrorHandling",
    "OperationOptions",
    "OperationOutcome",
    "PreparedCall",
    "WaitOptions",
    "asks_for_stream",
    "can_wait",
    "check_call",
    "check_format_fits_body",
    "check_options",
    "execute_operation",
    "expected_object",
    "inputs_from_rows",
    "output_columns",
    "prepare_call",
    "result_formats",
    "tool_output_inputs",
]


def execute_operation(
    operation: Operation,
    inputs: Sequence[CallInput],
    client: ApiClient,
    *,
    options: OperationOptions | None = None,
    progress: Progress | None = None,
) -> OperationOutcome:
    """Execute ``operation`` once per input and return the result table, rows in input order.

    Every row is validated (with ``client.config``) before anything is sent; then up to
    ``concurrency`` requests go out at once through ``client`` (its one 429 gate), runs are
    waited for where asked, pages followed where asked. With ``ErrorHandling.FAIL`` the first
    failure raises (the exception carries its request; a stopped table names what already
    exists on the server); with ``OUTPUT`` it becomes its row plus a warning. The client's
    cancel flag and ``progress`` are called only from the calling thread (KNIME's context is
    not shared); the workers of a table stop on the table's own flag.
    """
    options = options or OperationOptions()
    check_options(operation, options)
    config = client.config
    results, pending, warnings = prepare_rows(operation, inputs, config, options)
    total = len(inputs)
    noun = "runs" if operation.operation_id == "createRun" else "requests"
    row_notes: dict[int, list[str]] = {}
    # runs waited on: their states for the progress message (updated by any thread,
    # reported by this one only)
    runs = RunProgress(total, noun, progress) if options.wait is not None else None

    def finished(i: int, result: RowResult, notes: list[str]) -> None:
        results[i] = result
        row_notes[i] = [prefixed(result.row_id, total, note) for note in notes]
        if runs is not None:
            runs.row_done(i)
            if runs.waiting():  # others still go on: say so, not only what ended
                runs.report(len(results), force=True)
                return
        if progress is not None:
            status = f"HTTP {result.response.status}" if result.response else "failed"
            progress(len(results) / total, f"{len(results)} of {total} {noun} done ({status})")

    def report_runs() -> None:
        if runs is not None:
            runs.report(len(results))

    try:
        if total == 1:
            # one call: no pool; the calling thread checks the caller's cancel flag itself
            # and, waiting for the run, reports its states itself
            for i, ready in pending.items():

                def on_status(status: str, i: int = i) -> None:
                    if runs is not None:
                        runs.update(i, status)
                        runs.report(len(results))

                finished(i, *_run_one(operation, ready, client, options, client.send, on_status))
        else:
            stop = threading.Event()  # set on cancel or on the first failure; workers poll it
            if pending:
                index_of = {id(ready): i for i, ready in pending.items()}

                def run_one(
                    ready: PreparedCall, workers: ApiClient, send_first: Callable[..., ApiResponse]
                ) -> tuple[RowResult, list[str]]:
                    on_status = None
                    if runs is not None:  # a worker: only record; the calling thread reports
                        on_status = partial(runs.update, index_of[id(ready)])
                    return _run_one(operation, ready, workers, options, send_first, on_status)

                with existing_objects_frozen():
                    run_rows(
                        operation, pending, options.concurrency, run_one,
                        client.with_cancel(stop.is_set), stop, finished, client.is_canceled,
                        tick=report_runs,
                    )  # fmt: skip
    except OpenAIAssistantsError:
        for warning in dict.fromkeys(warnings):  # still worth seeing in the log
            logger.warning(warning)
        raise
    for i in sorted(row_notes):
        warnings += row_notes[i]
    warnings = list(dict.fromkeys(warnings))
    for warning in warnings:
        logger.warning(warning)
    rows = [results[i] for i in range(total)]
    try:
        data = result_rows(
            rows,
            options.result_format,
            options.include_headers,
            kind=operation.result_kind,
            returns_list=operation.returns_list,
            paged=operation.returns_list and options.all_pages,
            max_items=options.max_items if options.all_pages else None,
        )
        data.check()
    except TABLE_ERRORS as exc:
        # a last net under the table code: an answer it cannot type is reported, not crashed on
        raise table_error(exc, options.result_format, rows) from None
    return OperationOutcome(data=data, rows=rows, warnings=warnings)


def _run_one(
    operation: Operation,
    ready: PreparedCall,
    client: ApiClient,
    options: OperationOptions,
    send_first: Callable[..., ApiResponse],
    on_status: Callable[[str], None] | None = None,
) -> tuple[RowResult, list[str]]:
    """One call (then its wait or its further pages); its row and warnings, or raise (FAIL).
    ``send_first`` sends the row's own request through ``client`` (a table counts what it
    created); waits and pages go through ``client`` itself. ``on_status`` hears each status
    of the run waited on (on the thread running this row)."""
    request = ready.request
    notes: list[str] = []
    pages: tuple[ApiResponse, ...] = ()
    try:
        if client.is_canceled is not None and client.is_canceled():
            raise CancelledError()
        response = send_first(request)
        notes += retry_note(response)
        problem = success_body_problem(request, response) if response.ok else None
        if problem is None and response.ok and options.result_format is ResultFormat.STRUCTURED:
            problem = stream_run_problem(request, response)
        answered = response
        if response.ok and problem is None and options.wait is not None:
            if operation.poll_operation:  # a vector store, its file or file batch
                from .processing_wait import wait_until_processed

                response, request = wait_until_processed(
                    operation, response, ready, client, options.wait
                )
            else:
                response, request = wait_until_run_ends(
                    request, response, ready, client, options, notes, on_status=on_status
                )
        elif response.ok and problem is None and operation.returns_list:
            check_page(request, response, notes, list_object=operation.list_object)
            if options.all_pages:
                pages, request = follow_pages(
                    operation, ready, response, client, options, notes,
                    expect_object=checked_object(operation),
                )  # fmt: skip
                response = pages[-1]
        if not response.ok:
            problem = http_error_message(
                request, response, not_found_hint=_not_found_hint(operation)
            )
            if options.on_error is ErrorHandling.FAIL:
                raise HttpStatusError(
                    " ".join([problem, *retry_note(response)]), response, request=request
                )
        else:
            if response is not answered:  # waited or paged: check the last answer
                problem = success_body_problem(request, response)
            if problem and options.on_error is ErrorHandling.FAIL:
                raise ResponseFormatError(problem, request=request)
        if problem:
            notes.append(problem)
        return RowResult(ready.row_id, response, problem or "", pages=pages), notes
    except RequestFailedError as exc:
        if options.on_error is ErrorHandling.FAIL:
            raise
        return RowResult(ready.row_id, None, str(exc)), [str(exc)]


def _not_found_hint(operation: Operation) -> str:
    """What to check when the API answers 404: this operation's IDs (and the assistant a
    run is made with), and the base URL."""
    from .request_parts import path_id_label

    labels = [path_id_label(name) for name in operation.path_parameters]
    if operation.operation_id in ("createRun", "createThreadAndRun"):
        labels.append("Assistant ID")
    if not labels:
        return "Check the base URL."
    words = [  # "Vector Store ID" -> "vector store ID"
        " ".join(word if word == "ID" else word.lower() for word in label.split())
        for label in labels
    ]
    listed = ", ".join(f"the {w}" for w in words)
    return f"Check {listed} and the base URL."
