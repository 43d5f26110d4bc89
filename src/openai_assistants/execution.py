"""The one execute path of Create Run, shared by the KNIME node and the command line.

    rows of settings + configuration
      -> validated requests (all checked before anything is sent)
      -> key (resolved once)
      -> HTTP exchanges (up to ``concurrency`` at once, one shared 429 back-off)
      -> optional wait until each run ends
      -> checked answers -> one table, rows in input order

A single Create Run is the same path with one row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import partial

import pyarrow as pa

from .cancellation import POLL_SECONDS
from .connection import ConnectionConfig, resolve_api_key
from .create_run import CreateRunSettings, PreparedRequest, prepare_create_run
from .errors import (
    CancelledError,
    HttpStatusError,
    InvalidSettingsError,
    OpenAIAssistantsError,
    RequestFailedError,
    ResponseFormatError,
)
from .exchange import ApiRequest, ApiResponse
from .response_checks import http_error_message, success_body_problem
from .results import ResultFormat, RowResult, result_table
from .run_polling import WaitOptions, get_run_request, run_status, wait_for_run

logger = logging.getLogger("openai_assistants.execution")

MAX_CONCURRENCY = 32
ROW_SETTINGS = ("body", "thread_id", "include")  # what a row's own values can get wrong
Progress = Callable[[float, str], None]


class ErrorHandling(str, Enum):
    """What an error answer does: fail the node, or become an output row plus a warning."""

    FAIL = "fail"
    OUTPUT = "output"


@dataclass(frozen=True)
class ExecutionOptions:
    on_error: ErrorHandling = ErrorHandling.FAIL
    result_format: ResultFormat = ResultFormat.RAW
    include_headers: bool = False
    wait: WaitOptions | None = None  # None: output the answer to the create call
    concurrency: int = 4


@dataclass(frozen=True)
class RunInput:
    """One run to create: the row it came from and its settings."""

    row_id: str
    settings: CreateRunSettings


@dataclass(frozen=True)
class CreateRunOutcome:
    table: pa.Table  # results.result_table: <RowID> first, then the declared columns
    rows: list[RowResult]
    warnings: list[str] = field(default_factory=list)

    @property
    def response(self) -> ApiResponse | None:
        """The (first) row's answer: for the single-run case."""
        return self.rows[0].response if self.rows else None


def execute_create_run(
    settings: CreateRunSettings,
    config: ConnectionConfig,
    *,
    options: ExecutionOptions | None = None,
    on_error: ErrorHandling | None = None,
    result_format: ResultFormat | None = None,
    credential_password: Callable[[str], str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    client: object | None = None,
    is_canceled: Callable[[], bool] | None = None,
    progress: Progress | None = None,
) -> CreateRunOutcome:
    """Create one run (the dialog's settings); see :func:`execute_create_runs`."""
    options = options or ExecutionOptions()
    if on_error is not None:
        options = replace(options, on_error=on_error)
    if result_format is not None:
        options = replace(options, result_format=result_format)
    return execute_create_runs(
        [RunInput("Row0", settings)],
        config,
        options=options,
        credential_password=credential_password,
        environ=environ,
        client=client,
        is_canceled=is_canceled,
        progress=progress,
    )


def execute_create_runs(
    inputs: Sequence[RunInput],
    config: ConnectionConfig,
    *,
    options: ExecutionOptions | None = None,
    credential_password: Callable[[str], str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    client: object | None = None,
    is_canceled: Callable[[], bool] | None = None,
    progress: Progress | None = None,
) -> CreateRunOutcome:
    """Create one run per input and return the result table, rows in input order.

    ``credential_password`` looks up a KNIME credentials name (the node passes the context's
    lookup); ``environ`` replaces ``os.environ`` for the key variable (tests, CLI).
    ``is_canceled`` and ``progress`` are only called from the calling thread (KNIME's
    context is not meant to be shared across threads).
    With ``ErrorHandling.FAIL`` the first failure raises; with ``OUTPUT`` it becomes its row.
    """
    from .transport import RateLimitGate, send  # httpx loads only when something is sent

    options = options or ExecutionOptions()
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise InvalidSettingsError(
            f"Concurrency must be between 1 and {MAX_CONCURRENCY}, not {options.concurrency}.",
            setting="concurrency",
        )
    results, pending, warnings = _prepare_rows(inputs, config, options.on_error)
    total = len(inputs)
    row_notes: dict[int, list[str]] = {}

    def finished(i: int, result: RowResult, notes: list[str]) -> None:
        results[i] = result
        row_notes[i] = [_prefixed(result.row_id, total, note) for note in notes]
        if progress is not None:
            status = f"HTTP {result.response.status}" if result.response else "failed"
            progress(len(results) / total, f"{len(results)} of {total} runs done ({status})")

    try:
        api_key = resolve_api_key(config, credential_password, environ)
        stop = threading.Event()  # set on cancel or on the first failure; workers poll it
        gate = RateLimitGate()  # one 429 back-off for every request of this execution

        def transmit(
            request: ApiRequest,
            *,
            cancellable: bool = True,
            cancel: Callable[[], bool] | None = stop.is_set,
        ) -> ApiResponse:
            return send(
                request,
                config,
                api_key,
                client=client,  # type: ignore[arg-type]
                is_canceled=cancel if cancellable else None,
                gate=gate if cancellable else None,
            )

        if total == 1 and pending:
            # one run: no pool; the calling thread checks the caller's cancel flag itself
            ((i, (row_id, ready)),) = pending.items()
            cancel = is_canceled or stop.is_set
            send_here = partial(transmit, cancel=is_canceled)
            finished(i, *_run_one(row_id, ready, config, options, send_here, cancel))
        elif pending:

            def run_row(row_id: str, ready: PreparedRequest) -> tuple[RowResult, list[str]]:
                return _run_one(row_id, ready, config, options, transmit, stop.is_set)

            _run_pool(pending, options.concurrency, run_row, finished, stop, is_canceled)
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
    table = result_table(rows, options.result_format, options.include_headers)
    return CreateRunOutcome(table=table, rows=rows, warnings=warnings)


def _prepare_rows(
    inputs: Sequence[RunInput], config: ConnectionConfig, on_error: ErrorHandling
) -> tuple[dict[int, RowResult], dict[int, tuple[str, PreparedRequest]], list[str]]:
    """Validate every row before anything is sent.

    Returns the rows that already failed (only when errors are output), the requests to
    send, and the warnings so far. A problem with the configuration concerns every row and
    always raises; so does a row's problem when errors fail the node.
    """
    total = len(inputs)
    failed: dict[int, RowResult] = {}
    ready: dict[int, tuple[str, PreparedRequest]] = {}
    warnings: list[str] = []
    for i, item in enumerate(inputs):
        try:
            prepared = prepare_create_run(item.settings, config)
        except InvalidSettingsError as exc:
            if on_error is ErrorHandling.FAIL or exc.setting not in ROW_SETTINGS:
                raise _in_row(exc, item.row_id, total) from None
            failed[i] = RowResult(item.row_id, None, str(exc))
            warnings.append(_prefixed(item.row_id, total, str(exc)))
            continue
        ready[i] = (item.row_id, prepared)
        warnings += [_prefixed(item.row_id, total, w) for w in prepared.warnings]
    return failed, ready, warnings


def _run_pool(
    pending: dict[int, tuple[str, PreparedRequest]],
    concurrency: int,
    run_row: Callable[[str, PreparedRequest], tuple[RowResult, list[str]]],
    finished: Callable[[int, RowResult, list[str]], None],
    stop: threading.Event,
    is_canceled: Callable[[], bool] | None,
) -> None:
    """Up to ``concurrency`` rows at once; the calling thread watches for cancel and reports.

    Only this thread calls ``is_canceled`` and ``finished`` (KNIME's progress), so the KNIME
    context is never used from a worker thread.
    """
    pool = ThreadPoolExecutor(
        max_workers=min(concurrency, len(pending)), thread_name_prefix="create-run"
    )
    futures: dict[Future, int] = {
        pool.submit(run_row, row_id, ready): i for i, (row_id, ready) in pending.items()
    }
    try:
        while futures:
            done, _ = wait(futures, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            if is_canceled is not None and is_canceled():
                stop.set()
                raise _cancellation(futures)
            for future in done:
                finished(futures.pop(future), *future.result())  # FAIL mode raises here
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _cancellation(futures: dict[Future, int]) -> CancelledError:
    """The workers' own cancel messages say what may exist on the server; prefer those."""
    wait(futures, timeout=1.0)
    for future in sorted(futures, key=futures.get):
        error = future.exception() if future.done() and not future.cancelled() else None
        if isinstance(error, CancelledError) and str(error) != str(CancelledError()):
            return error
    return CancelledError("Execution cancelled. Runs already created go on on the server.")


def _run_one(
    row_id: str,
    ready: PreparedRequest,
    config: ConnectionConfig,
    options: ExecutionOptions,
    transmit: Callable[..., ApiResponse],
    is_stopped: Callable[[], bool],
) -> tuple[RowResult, list[str]]:
    """Create one run (and wait for it); return its row and warnings, or raise (FAIL)."""
    request = ready.request
    notes: list[str] = []
    try:
        if is_stopped():
            raise CancelledError()
        response = transmit(request)
        notes += _retry_note(response)
        waits = options.wait is not None and not request.stream and response.ok
        if waits and success_body_problem(request, response) is None:
            created = response
            response = wait_for_run(
                created, config, request.thread_id, options.wait, transmit,
                is_canceled=is_stopped,
            )  # fmt: skip
            if response is not created:  # messages name the poll that answered last
                run_id = run_status(created)[0]
                request = get_run_request(config, request.thread_id, run_id)
        problem = None
        if not response.ok:
            problem = http_error_message(request, response)
            if options.on_error is ErrorHandling.FAIL:
                raise HttpStatusError(" ".join([problem, *_retry_note(response)]), response)
        else:
            problem = success_body_problem(request, response)
            if problem and options.on_error is ErrorHandling.FAIL:
                raise ResponseFormatError(problem)
        if problem:
            notes.append(problem)
        return RowResult(row_id, response, problem or ""), notes
    except RequestFailedError as exc:
        if options.on_error is ErrorHandling.FAIL:
            raise
        return RowResult(row_id, None, str(exc)), [str(exc)]


def _retry_note(response: ApiResponse) -> list[str]:
    if response.attempts <= 1:
        return []
    retries = response.attempts - 1
    what = "Succeeded after" if response.ok else "Gave up after"
    plural = "retry" if retries == 1 else "retries"
    return [f"{what} {retries} {plural} ({', '.join(response.retry_reasons)})."]


def _prefixed(row_id: str, total: int, message: str) -> str:
    return message if total == 1 else f"{row_id}: {message}"


def _in_row(error: InvalidSettingsError, row_id: str, total: int) -> InvalidSettingsError:
    """With several rows, say which row's values are wrong."""
    if total == 1 or error.setting not in ROW_SETTINGS:
        return error
    return InvalidSettingsError(f"{row_id}: {error}", setting=error.setting)
