"""The one operation engine: any Assistants operation, any number of rows, one execute path.

    operation (data) + one CallInput per row + configuration
      -> validated requests (every row checked before anything is sent)
      -> key (resolved once)
      -> HTTP exchanges (up to ``concurrency`` at once, one shared 429 back-off, the retry
         policy of the operation's method: GET/DELETE idempotent, POST never re-sent once it
         may have been processed)
      -> optional: wait until the run ends (run operations), follow pages (list operations)
      -> checked answers -> one table, rows in input order

Every node and every CLI subcommand calls :func:`execute_operation`; Create Run's historical
entry points (:func:`execution.execute_create_runs`) are thin wrappers over it. Nothing here
imports KNIME.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..client.connection import ConnectionConfig, config_key
from ..client.exchange import ApiRequest, ApiResponse
from ..client.response_checks import http_error_message, success_body_problem
from ..errors import (
    CancelledError,
    HttpStatusError,
    InvalidBodyError,
    InvalidSettingsError,
    MissingApiKeyError,
    OpenAIAssistantsError,
    RequestFailedError,
    ResponseFormatError,
)
from ..memo import Memo, typed
from ..operations.model import Operation, ResultKind
from ..tables.results import (
    Columns,
    ResultFormat,
    ResultRows,
    RowResult,
    result_columns,
    result_rows,
)
from .batch import run_rows
from .execution import MAX_CONCURRENCY, ErrorHandling, check_wait
from .follow_ups import check_page, follow_pages, retry_note, wait_until_run_ends
from .gc_pause import existing_objects_frozen
from .run_polling import WaitOptions, run_status

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger("openai_assistants.engine")

MAX_ITEMS_LIMIT = 100_000
WAITING_OPERATIONS = frozenset(
    {"createRun", "createThreadAndRun", "getRun", "submitToolOuputsToRun"}
)
_OBJECTS = {
    ResultKind.ASSISTANT: "assistant",
    ResultKind.THREAD: "thread",
    ResultKind.MESSAGE: "thread.message",
    ResultKind.RUN: "thread.run",
    ResultKind.RUN_STEP: "thread.run.step",
    ResultKind.FILE: "file",
    ResultKind.VECTOR_STORE: "vector_store",
    ResultKind.VECTOR_STORE_FILE: "vector_store.file",
    ResultKind.VECTOR_STORE_FILE_BATCH: "vector_store.files_batch",  # sic: the reference's
    ResultKind.FILE_CONTENT: "",  # bytes, not JSON
}
_DELETED = {
    "deleteAssistant": "assistant.deleted",
    "deleteThread": "thread.deleted",
    "deleteMessage": "thread.message.deleted",
}
Progress = Callable[[float, str], None]

__all__ = [
    "ApiClient",
    "CallInput",
    "CallSettings",
    "ErrorHandling",
    "OperationOptions",
    "OperationOutcome",
    "WaitOptions",
    "can_wait",
    "check_call",
    "execute_operation",
    "expected_object",
    "inputs_from_rows",
    "output_columns",
    "result_formats",
    "tool_output_inputs",
]


@dataclass(frozen=True)
class CallSettings:
    """One operation's request settings as plain data (keys are the KNIME settings keys)."""

    path_values: Mapping[str, str] = field(default_factory=dict)  # API names; "" = not set
    query_values: Mapping[str, object] = field(default_factory=dict)
    body: str | None = None  # None for operations without a body
    allow_unknown_fields: bool = False


@dataclass(frozen=True)
class CallInput:
    row_id: str
    settings: CallSettings


@dataclass(frozen=True)
class OperationOptions:
    on_error: ErrorHandling = ErrorHandling.FAIL
    result_format: ResultFormat = ResultFormat.RAW
    include_headers: bool = False
    wait: WaitOptions | None = None  # operations answering with a run: poll until it ends
    concurrency: int = 4  # 1..MAX_CONCURRENCY
    all_pages: bool = False  # list operations: follow has_more / after
    max_items: int = 1000  # with all_pages: stop after this many items


@dataclass(frozen=True)
class OperationOutcome:
    """What an execution gave: ``table`` (Arrow, ``"<RowID>"`` first, then exactly
    ``output_columns(...)``) is built from ``data`` on first use, so a command that prints
    the rows (``data``) never loads pyarrow."""

    data: ResultRows
    rows: list[RowResult]
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def batch(self) -> pa.RecordBatch:
        """The table as one record batch (what KNIME's backend takes most cheaply)."""
        try:
            return self.data.to_arrow_batch()
        except _TABLE_ERRORS as exc:  # data.check() refused these already; a last net
            raise _table_error(exc, self.data.result_format, self.rows) from None

    @cached_property
    def table(self) -> pa.Table:
        import pyarrow as pa

        return pa.Table.from_batches([self.batch], schema=self.batch.schema)

    @property
    def response(self) -> ApiResponse | None:
        """The (first) row's answer: for the single-call case."""
        return self.rows[0].response if self.rows else None


# what configure() needs


def result_formats(operation: Operation) -> tuple[ResultFormat, ...]:
    """RAW and STRUCTURED for every operation, EVENTS too where the operation can stream."""
    if operation.can_stream:
        return (ResultFormat.RAW, ResultFormat.STRUCTURED, ResultFormat.EVENTS)
    return (ResultFormat.RAW, ResultFormat.STRUCTURED)


def can_wait(operation: Operation) -> bool:
    """Whether 'Wait until the run ends' applies (the operations that answer with a run that
    goes on: Create Run, Create Thread and Run, Get Run, Submit Tool Outputs to Run), or
    'Wait until processing ends' (Create Vector Store, ... File, ... File Batch)."""
    return operation.operation_id in WAITING_OPERATIONS or bool(operation.poll_operation)


def expected_object(operation: Operation) -> str:
    """The ``object`` a success answer carries: ``thread.run``, ``list``, ``thread.deleted``…"""
    if operation.returns_list:
        return operation.list_object
    if operation.answer_object:
        return operation.answer_object
    if operation.result_kind is ResultKind.DELETION:
        return _DELETED.get(operation.operation_id, "")
    return _OBJECTS[operation.result_kind]


def output_columns(
    operation: Operation, result_format: ResultFormat, include_headers: bool = False
) -> Columns:
    """The (name, kind) columns configure() declares. STRUCTURED: the columns of the
    operation's result kind + ``http_status``, ``error`` (lists: one row per item)."""
    return result_columns(result_format, include_headers, kind=operation.result_kind)


def check_options(operation: Operation, options: OperationOptions) -> None:
    """The options' own ranges and fit with the operation; raise naming the setting."""
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise InvalidSettingsError(
            f"Concurrency must be between 1 and {MAX_CONCURRENCY}, not {options.concurrency}.",
            setting="concurrency",
        )
    if options.result_format not in result_formats(operation):
        raise InvalidSettingsError(
            f'{operation.node_name} has no result format "{options.result_format.value}" '
            f"(it has: {', '.join(f.value for f in result_formats(operation))}).",
            setting="result_format",
        )
    if options.wait is not None and not can_wait(operation):
        raise InvalidSettingsError(
            f"{operation.node_name} answers with no run to wait for; turn off waiting.",
            setting="wait_for_completion",
        )
    check_wait(options.wait)
    if options.all_pages:
        number = options.max_items
        if isinstance(number, bool) or not isinstance(number, int):
            number = -1
        if not 1 <= number <= MAX_ITEMS_LIMIT:
            raise InvalidSettingsError(
                f"Maximum items must be between 1 and {MAX_ITEMS_LIMIT}, not "
                f"{options.max_items!r}.",
                setting="max_items",
            )


def check_call(
    operation: Operation,
    settings: CallSettings,
    config: ConnectionConfig,
    options: OperationOptions,
    *,
    from_columns: Collection[str] = (),
) -> list[str]:
    """configure(): everything checkable before execution; raises InvalidSettingsError (naming
    the setting); returns warnings. ``from_columns``: settings keys whose values come from input
    table columns (checked per row at execution, may be empty in the dialog)."""
    from .request_builder import check_settings

    check_options(operation, options)
    if "body" not in from_columns:
        check_format_fits_body(options.result_format, settings.body)
    return check_settings(
        operation,
        settings.path_values,
        settings.query_values,
        settings.body,
        config,
        allow_unknown_fields=settings.allow_unknown_fields,
        from_columns=from_columns,
    )


def inputs_from_rows(
    row_ids: Sequence[str],
    settings: CallSettings,
    columns: Mapping[str, Sequence[str | None]],
) -> list[CallInput]:
    """An input table -> one call per row. ``columns`` maps a settings key (a path parameter's
    API name or ``body``) to that column's cells; a missing cell (None) falls back to the
    dialog's value in ``settings``. Row IDs and order are kept."""
    for key, cells in columns.items():
        if len(cells) != len(row_ids):
            raise InvalidSettingsError(
                f"The column for '{key}' has {len(cells)} cells for {len(row_ids)} rows.",
                setting=f"{key}_column",
            )
    inputs = []
    for n, row_id in enumerate(row_ids):
        path_values = dict(settings.path_values)
        body = settings.body
        for key, cells in columns.items():
            cell = cells[n]
            if cell is None:
                continue
            if key == "body":
                body = cell if isinstance(cell, str) else json.dumps(cell)
            else:
                path_values[key] = cell
        inputs.append(CallInput(str(row_id), replace(settings, path_values=path_values, body=body)))
    return inputs


def tool_output_inputs(
    row_ids: Sequence[str],
    settings: CallSettings,
    tool_call_ids: Sequence[str | None],
    outputs: Sequence[str | None],
    thread_ids: Sequence[str | None] | None = None,
    run_ids: Sequence[str | None] | None = None,
) -> list[CallInput]:
    """Submit Tool Outputs from a table: rows with the same (thread_id, run_id) (the column's
    value, else the dialog's) become one call whose body is the dialog body with
    ``"tool_outputs": [{"tool_call_id", "output"}, ...]`` in row order; its row ID is the
    first row's. All outputs of a run must be submitted in one request, hence the grouping."""
    total = len(row_ids)
    for name, cells in (
        ("tool_call_id", tool_call_ids),
        ("output", outputs),
        ("thread_id", thread_ids),
        ("run_id", run_ids),
    ):
        if cells is not None and len(cells) != total:
            raise InvalidSettingsError(
                f"The {name} column has {len(cells)} cells for {total} rows.",
                setting=f"{name}_column",
            )
    base: dict[str, Any] = {}
    if settings.body is not None and settings.body.strip():
        from .request_parts import parse_body

        base = parse_body(settings.body)
    groups: dict[tuple[str, str], tuple[str, list[dict[str, str]]]] = {}
    for n, row_id in enumerate(row_ids):
        call_id = tool_call_ids[n]
        if call_id is None or not str(call_id).strip():
            raise InvalidSettingsError(
                f"{row_id}: the tool_call_id cell is missing; every tool output needs the ID "
                "of the tool call it answers (required_action.submit_tool_outputs.tool_calls).",
                setting="tool_call_id_column",
            )
        thread_id = _cell(thread_ids, n) or settings.path_values.get("thread_id", "") or ""
        run_id = _cell(run_ids, n) or settings.path_values.get("run_id", "") or ""
        output = outputs[n]
        entry = {"tool_call_id": str(call_id).strip(), "output": "" if output is None else output}
        key = (thread_id.strip(), run_id.strip())
        if key not in groups:
            groups[key] = (str(row_id), [])
        groups[key][1].append(entry)
    inputs = []
    for (thread_id, run_id), (row_id, entries) in groups.items():
        body = {**base, "tool_outputs": entries}
        path_values = {**settings.path_values, "thread_id": thread_id, "run_id": run_id}
        inputs.append(
            CallInput(
                row_id,
                replace(settings, path_values=path_values, body=json.dumps(body, indent=2)),
            )
        )
    return inputs


def _cell(cells: Sequence[str | None] | None, n: int) -> str:
    if cells is None or cells[n] is None:
        return ""
    return str(cells[n])


def check_format_fits_body(result_format: ResultFormat, body_text: str | None) -> None:
    """The Events format shows a stream's events, so the body must ask for a stream."""
    if result_format is ResultFormat.EVENTS and not asks_for_stream(body_text):
        raise InvalidSettingsError(
            'Result Format "Events" needs "stream": true in the body.', setting="result_format"
        )


def asks_for_stream(body_text: str | None) -> bool:
    """Whether a (valid) body asks for server-sent events."""
    if body_text is None:
        return False
    try:
        parsed = json.loads(body_text)
    except (ValueError, RecursionError, TypeError):
        return False
    return isinstance(parsed, dict) and parsed.get("stream") is True


# execution

_UNSET: Any = object()


class ApiClient:
    """One execution's way to the API: the configuration, the key (resolved once, never
    shown), the httpx client, the retry policy (``transport.send``), one 429 gate shared by
    every request, and the cancel flag. Every request of an execution (the call, its polls,
    its pages, a cancel of the run) goes through :meth:`send`."""

    __slots__ = ("_api_key", "_gate", "_http", "config", "is_canceled")

    def __init__(
        self,
        config: ConnectionConfig,
        api_key: str,
        *,
        http: object | None = None,
        is_canceled: Callable[[], bool] | None = None,
    ) -> None:
        from ..client.transport import RateLimitGate  # httpx loads only when something is sent

        self.config = config
        self._api_key = api_key
        self._http = http
        self._gate = RateLimitGate()
        self.is_canceled = is_canceled

    @classmethod
    def connect(
        cls,
        config: ConnectionConfig,
        credential_password: Callable[[str], str | None] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        http: object | None = None,
        is_canceled: Callable[[], bool] | None = None,
    ) -> ApiClient:
        """Resolve the key (KNIME credentials or the environment variable) and connect."""
        from ..client.connection import resolve_api_key

        api_key = resolve_api_key(config, credential_password, environ)
        return cls(config, api_key, http=http, is_canceled=is_canceled)

    def __repr__(self) -> str:
        return f"ApiClient(base_url={self.config.base_url!r})"

    def send(
        self,
        request: ApiRequest,
        *,
        cancellable: bool = True,
        cancel: Callable[[], bool] | None = _UNSET,
    ) -> ApiResponse:
        """Send with retries; ``cancellable=False`` for the clean-up call after a cancel (no
        cancel flag, no gate); ``cancel`` replaces the client's cancel flag for this call."""
        from ..client.transport import send

        flag = self.is_canceled if cancel is _UNSET else cancel
        return send(
            request,
            self.config,
            self._api_key,
            client=self._http,  # type: ignore[arg-type]
            is_canceled=flag if cancellable else None,
            gate=self._gate if cancellable else None,
        )


@dataclass(frozen=True)
class _Ready:
    """One row's validated request and what it acts on."""

    row_id: str
    request: ApiRequest
    path_values: dict[str, str]
    query_values: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def execute_operation(
    operation: Operation,
    inputs: Sequence[CallInput],
    config: ConnectionConfig,
    *,
    options: OperationOptions | None = None,
    credential_password: Callable[[str], str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    client: object | None = None,
    is_canceled: Callable[[], bool] | None = None,
    progress: Progress | None = None,
) -> OperationOutcome:
    """Execute ``operation`` once per input and return the result table, rows in input order.

    Every row is validated before anything is sent; then up to ``concurrency`` requests go
    out at once (one shared 429 pause), runs are waited for where asked, pages followed where
    asked. With ``ErrorHandling.FAIL`` the first failure raises (the exception carries its
    request; a stopped table names what already exists on the server); with ``OUTPUT`` it
    becomes its row plus a warning. ``credential_password`` looks up a KNIME credentials
    name; ``environ`` replaces ``os.environ`` for the key variable. ``is_canceled`` and
    ``progress`` are called only from the calling thread (KNIME's context is not shared).
    """
    options = options or OperationOptions()
    check_options(operation, options)
    results, pending, warnings = _prepare_rows(operation, inputs, config, options)
    total = len(inputs)
    noun = "runs" if operation.operation_id == "createRun" else "requests"
    row_notes: dict[int, list[str]] = {}

    def finished(i: int, result: RowResult, notes: list[str]) -> None:
        results[i] = result
        row_notes[i] = [_prefixed(result.row_id, total, note) for note in notes]
        if progress is not None:
            status = f"HTTP {result.response.status}" if result.response else "failed"
            progress(len(results) / total, f"{len(results)} of {total} {noun} done ({status})")

    try:
        if total == 1:
            # one call: no pool; the calling thread checks the caller's cancel flag itself
            api = ApiClient.connect(
                config, credential_password, environ, http=client, is_canceled=is_canceled
            )
            stopped = is_canceled or _never
            for i, ready in pending.items():
                finished(i, *_run_one(operation, ready, config, options, api.send, stopped))
        else:
            stop = threading.Event()  # set on cancel or on the first failure; workers poll it
            api = ApiClient.connect(
                config, credential_password, environ, http=client, is_canceled=stop.is_set
            )
            if pending:

                def run_one(
                    ready: _Ready, send_one: Callable[..., ApiResponse], stopped: Callable[[], bool]
                ) -> tuple[RowResult, list[str]]:
                    return _run_one(operation, ready, config, options, send_one, stopped)

                with existing_objects_frozen():
                    run_rows(
                        operation, pending, options.concurrency, run_one, api.send, stop,
                        finished, is_canceled,
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
    except _TABLE_ERRORS as exc:
        # a last net under the table code: an answer it cannot type is reported, not crashed on
        raise _table_error(exc, options.result_format, rows) from None
    return OperationOutcome(data=data, rows=rows, warnings=warnings)


_TABLE_ERRORS = (TypeError, ValueError, OverflowError, RecursionError)


def _table_error(
    exc: BaseException, result_format: ResultFormat, rows: Sequence[RowResult]
) -> ResponseFormatError:
    made = [f"{r.row_id}: {run_status(r.response)[0]}" for r in rows if r.response]
    made = [m for m in made if not m.endswith(": ")]
    return ResponseFormatError(
        f"The answer could not be put into the {result_format.value} table "
        f"({type(exc).__name__}: {str(exc)[:200]}); choose the Raw Response format to see "
        "it as received." + (f" Created: {', '.join(made)}." if made else "")
    )


def _row_settings(operation: Operation) -> tuple[str, ...]:
    """The settings a row's own values can get wrong (the rest concern every row)."""
    return (
        *operation.path_parameters,
        *(q.setting for q in operation.query_parameters),
        *operation.column_settings,  # Upload File's file, Search's query: one row's own
        "body",
    )


def _prepare_rows(
    operation: Operation,
    inputs: Sequence[CallInput],
    config: ConnectionConfig,
    options: OperationOptions,
) -> tuple[dict[int, RowResult], dict[int, _Ready], list[str]]:
    """Validate every row before anything is sent.

    Returns the rows that already failed (only when errors are output), the requests to
    send, and the warnings so far. A problem with the configuration concerns every row and
    always raises; so does a row's problem when errors fail the node. Only Raw shows a
    stream's text; the other formats show its events, so the text is not kept.
    """
    on_error = options.on_error
    drop_stream_text = options.result_format is not ResultFormat.RAW
    total = len(inputs)
    row_settings = _row_settings(operation)
    failed: dict[int, RowResult] = {}
    ready: dict[int, _Ready] = {}
    warnings: list[str] = []
    for i, item in enumerate(inputs):
        try:
            prepared = _prepare(operation, item, config)
        except InvalidSettingsError as exc:
            if on_error is ErrorHandling.FAIL or exc.setting not in row_settings:
                raise _in_row(exc, item.row_id, total, row_settings) from None
            failed[i] = RowResult(item.row_id, None, str(exc))
            warnings.append(_prefixed(item.row_id, total, str(exc)))
            continue
        if drop_stream_text and prepared.request.stream:
            prepared = replace(prepared, request=replace(prepared.request, keep_stream_text=False))
        ready[i] = prepared
        warnings += [_prefixed(item.row_id, total, w) for w in prepared.warnings]
    return failed, ready, warnings


def _prepare(operation: Operation, item: CallInput, config: ConnectionConfig) -> _Ready:
    """One row's request, built as every operation's is (``request_builder``, the SDK's
    request). The same settings give the same request, so a node executed again is not
    validated again (rows of a table that share a body share its check, see
    ``request_builder``)."""
    settings = item.settings
    query = dict(settings.query_values)
    key = (  # values with their types (True == 1); dicts in another order only miss it
        operation,
        typed(settings.path_values),
        typed(query),
        typed(settings.body),
        typed(settings.allow_unknown_fields),
        config_key(config),
    )
    known = None if operation.upload_field else _BUILT.get(key)
    if known is None:  # an upload is built anew: its file's size may have changed
        known = _build(operation, settings, query, config)
        if not operation.upload_field:
            _BUILT.put(key, known, size=len(known[0].body))
    request, path_values, warnings = known
    return _Ready(item.row_id, request, dict(path_values), query, list(warnings))


# built requests of valid settings, by everything they depend on (invalid ones are reported
# every time); large bodies are not kept
_BUILT: Memo[tuple[ApiRequest, dict[str, str], list[str]]] = Memo(
    "built requests", 512, max_size=64 * 1024
)


def _build(
    operation: Operation, settings: CallSettings, query: dict[str, Any], config: ConnectionConfig
) -> tuple[ApiRequest, dict[str, str], list[str]]:
    from .request_builder import build_request

    body = settings.body
    if body is None and operation.operation_id == "createRun":
        body = "{}"  # Create Run always sends a body: the schema then names what is missing
    built = build_request(
        operation,
        settings.path_values,
        query,
        body,
        config,
        allow_unknown_fields=settings.allow_unknown_fields,
        expect_object=_checked_object(operation),
    )
    return built.request, built.path_values, built.warnings


def _never() -> bool:
    return False


def _run_one(
    operation: Operation,
    ready: _Ready,
    config: ConnectionConfig,
    options: OperationOptions,
    transmit: Callable[..., ApiResponse],
    is_stopped: Callable[[], bool],
) -> tuple[RowResult, list[str]]:
    """One call (then its wait or its further pages); its row and warnings, or raise (FAIL)."""
    request = ready.request
    notes: list[str] = []
    pages: tuple[ApiResponse, ...] = ()
    try:
        if is_stopped():
            raise CancelledError()
        response = transmit(request)
        notes += retry_note(response)
        problem = success_body_problem(request, response) if response.ok else None
        answered = response
        if response.ok and problem is None and options.wait is not None:
            if operation.poll_operation:  # a vector store, its file or file batch
                from .processing_wait import wait_until_processed

                response, request = wait_until_processed(
                    operation, response, ready, config, options.wait, transmit, is_stopped
                )
            else:
                response, request = wait_until_run_ends(
                    request, response, ready, config, options, transmit, is_stopped, notes
                )
        elif response.ok and problem is None and operation.returns_list:
            check_page(request, response, notes, list_object=operation.list_object)
            if options.all_pages:
                pages, request = follow_pages(
                    operation, ready, response, config, options, transmit, notes,
                    expect_object=_checked_object(operation),
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
    words = [label[0].lower() + label[1:] if label != "ID" else label for label in labels]
    listed = ", ".join(f"the {w}" for w in words)
    return f"Check {listed} and the base URL."


def _checked_object(operation: Operation) -> str:
    """The object the transport's answer check expects; a list page has no ``id``, so lists
    are checked by :func:`_check_page` instead."""
    return "" if operation.returns_list else expected_object(operation)


def _prefixed(row_id: str, total: int, message: str) -> str:
    return message if total == 1 else f"{row_id}: {message}"


def _in_row(
    error: InvalidSettingsError, row_id: str, total: int, row_settings: Collection[str]
) -> InvalidSettingsError:
    """With several rows, say which row's values are wrong (keeping the error's kind)."""
    if total == 1 or error.setting not in row_settings or isinstance(error, MissingApiKeyError):
        return error
    if isinstance(error, InvalidBodyError):
        return InvalidBodyError(error.violations, prefix=f"{row_id}: ")
    return InvalidSettingsError(f"{row_id}: {error}", setting=error.setting)
