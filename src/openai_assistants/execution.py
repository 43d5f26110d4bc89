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

import json
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import partial
from typing import Any

import pyarrow as pa

from .cancellation import POLL_SECONDS
from .connection import ConnectionConfig, resolve_api_key
from .create_run import CreateRunSettings, PreparedRequest, prepare_create_run
from .errors import (
    AmbiguousSendError,
    CancelledError,
    HttpStatusError,
    InvalidBodyError,
    InvalidSettingsError,
    MissingApiKeyError,
    OpenAIAssistantsError,
    RequestFailedError,
    ResponseFormatError,
)
from .events import final_run, parse_event_stream
from .exchange import ApiRequest, ApiResponse
from .response_checks import http_error_message, success_body_problem
from .results import ResultFormat, RowResult, result_table
from .run_polling import STOP_STATUSES, WaitOptions, get_run_request, run_status, wait_for_run

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
    _check_wait(options.wait)
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
            batch = _Batch(pending, stop)

            def run_row(i: int, row_id: str, ready: PreparedRequest) -> tuple[RowResult, list[str]]:
                tracked = partial(batch.transmit, i, transmit)
                try:
                    return _run_one(row_id, ready, config, options, tracked, stop.is_set)
                except BaseException:
                    stop.set()  # decided here: no further row is sent from now on
                    raise

            _run_pool(batch, options.concurrency, run_row, finished, is_canceled)
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
        table = result_table(rows, options.result_format, options.include_headers)
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        # a last net under the table code: an answer it cannot type is reported, not crashed on
        made = [f"{r.row_id}: {run_status(r.response)[0]}" for r in rows if r.response]
        made = [m for m in made if not m.endswith(": ")]
        raise ResponseFormatError(
            f"The answer could not be put into the {options.result_format.value} table "
            f"({type(exc).__name__}: {str(exc)[:200]}); choose the Raw Response format to see "
            "it as received." + (f" Runs created: {', '.join(made)}." if made else "")
        ) from None
    return CreateRunOutcome(table=table, rows=rows, warnings=warnings)


MAX_WAIT_SECONDS = 7 * 86_400.0


def _check_wait(wait: WaitOptions | None) -> None:
    """Poll interval and maximum wait: finite, above 0, at most a week (else a typo)."""
    if wait is None:
        return
    for name, label, seconds in (
        ("poll_interval", "Poll interval", wait.poll_interval),
        ("max_wait", "Maximum wait", wait.max_wait),
    ):
        number = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
        if not (number and math.isfinite(seconds) and 0 < seconds <= MAX_WAIT_SECONDS):
            raise InvalidSettingsError(
                f"{label}: {seconds!r} s is not usable; enter a number of seconds greater than "
                f"0 and at most {MAX_WAIT_SECONDS:g}.",
                setting=name,
            )


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


class _Batch:
    """What a table of runs has done so far: runs created and requests still in flight.

    When the batch stops (an error with "Fail the node", or a cancel), the message lists them,
    so nothing that exists on the server goes unreported.
    """

    def __init__(self, pending: dict[int, tuple[str, PreparedRequest]], stop: threading.Event):
        self.pending = pending
        self.stop = stop
        self._lock = threading.Lock()
        self.created: dict[int, str] = {}  # row index -> run id
        self.in_flight: set[int] = set()  # rows whose create request was sent, no answer yet

    def transmit(
        self, i: int, transmit: Callable[..., ApiResponse], request: ApiRequest, **kwargs: Any
    ) -> ApiResponse:
        creating = request is self.pending[i][1].request
        if creating:
            with self._lock:
                if self.stop.is_set():
                    raise CancelledError()  # decided to stop: send no further row
                self.in_flight.add(i)
        try:
            response = transmit(request, **kwargs)
        except (CancelledError, AmbiguousSendError):
            raise  # stays in flight: the run may exist
        except BaseException:
            with self._lock:
                self.in_flight.discard(i)
            raise
        if creating:
            run_id = run_status(response)[0] if response.ok else ""
            with self._lock:
                self.in_flight.discard(i)
                if run_id:
                    self.created[i] = run_id
        return response

    def report(self) -> str:
        """``Runs already created: …; requests in flight …`` for the stop message."""
        with self._lock:
            created, in_flight = dict(self.created), set(self.in_flight)
        parts = []
        if created:
            listed = ", ".join(
                f"{run_id} ({self.pending[i][0]}, thread '{self.pending[i][1].thread_id}')"
                for i, run_id in sorted(created.items())
            )
            parts.append(f"Runs already created: {listed}.")
        if in_flight:
            listed = ", ".join(
                f"thread '{self.pending[i][1].thread_id}' ({self.pending[i][0]})"
                for i in sorted(in_flight)
            )
            parts.append(f"Requests in flight when stopped (a run may exist): {listed}.")
        return " ".join(parts)


def _run_pool(
    batch: _Batch,
    concurrency: int,
    run_row: Callable[[int, str, PreparedRequest], tuple[RowResult, list[str]]],
    finished: Callable[[int, RowResult, list[str]], None],
    is_canceled: Callable[[], bool] | None,
) -> None:
    """Up to ``concurrency`` rows at once; the calling thread watches for cancel and reports.

    Only this thread calls ``is_canceled`` and ``finished`` (KNIME's progress), so the KNIME
    context is never used from a worker thread. Finished rows arrive through a queue, so
    each costs constant work however many are pending.
    """
    pending, stop = batch.pending, batch.stop
    done: queue.SimpleQueue[Future] = queue.SimpleQueue()
    pool = ThreadPoolExecutor(
        max_workers=min(concurrency, len(pending)), thread_name_prefix="create-run"
    )
    futures: dict[Future, int] = {}
    try:
        for i, (row_id, ready) in pending.items():
            future = pool.submit(run_row, i, row_id, ready)
            futures[future] = i
            future.add_done_callback(done.put)
        remaining = len(futures)
        next_check = 0.0
        while remaining:
            try:
                future = done.get(timeout=POLL_SECONDS)
            except queue.Empty:
                future = None
            now = time.monotonic()
            if is_canceled is not None and now >= next_check:
                next_check = now + POLL_SECONDS / 2
                if is_canceled():
                    raise CancelledError("Execution cancelled.")
            if future is None:
                continue
            remaining -= 1
            if not future.cancelled():
                finished(futures[future], *future.result())  # FAIL mode raises here
    except BaseException as exc:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)  # workers stop within POLL_SECONDS
        _add_batch_report(exc, futures, batch)
        raise
    pool.shutdown(wait=True)


def _add_batch_report(exc: BaseException, futures: dict[Future, int], batch: _Batch) -> None:
    """Append what exists on the server to the stopping error's message."""
    if not isinstance(exc, OpenAIAssistantsError):
        return
    report = batch.report()
    if isinstance(exc, CancelledError) and not report:
        report = "No run was created."
    if report:
        exc.args = (f"{exc} {report}",)


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
        waits = options.wait is not None and response.ok
        if waits and success_body_problem(request, response) is None:
            response, request = _wait(
                    request, response, ready.thread_id, config, options, transmit, is_stopped,
                    notes,
                )  # fmt: skip
        problem = None
        if not response.ok:
            problem = http_error_message(request, response)
            if options.on_error is ErrorHandling.FAIL:
                raise HttpStatusError(
                    " ".join([problem, *_retry_note(response)]), response, request=request
                )
        else:
            problem = success_body_problem(request, response)
            if problem and options.on_error is ErrorHandling.FAIL:
                raise ResponseFormatError(problem, request=request)
        if problem:
            notes.append(problem)
        return RowResult(row_id, response, problem or ""), notes
    except RequestFailedError as exc:
        if options.on_error is ErrorHandling.FAIL:
            raise
        return RowResult(row_id, None, str(exc)), [str(exc)]


def _wait(
    request: ApiRequest,
    response: ApiResponse,
    thread_id: str,
    config: ConnectionConfig,
    options: ExecutionOptions,
    transmit: Callable[..., ApiResponse],
    is_stopped: Callable[[], bool],
    notes: list[str],
) -> tuple[ApiResponse, ApiRequest]:
    """Wait until the created run stops; return the answer to output and its request.

    A stream already ends with the run's final state, so it is output as it is; only when
    it ended while the run was still going on (e.g. a server that closes early) is the run
    polled, and the final run is output (the Events format keeps the stream and says how
    the run ended).
    """
    assert options.wait is not None
    created = response
    if request.stream:
        events = response.events
        if events is None:
            events = tuple(parse_event_stream(response.text))
        run = final_run(events)
        if run is None or not isinstance(run.get("id"), str) or run.get("status") in STOP_STATUSES:
            return response, request
        created = ApiResponse(
            status=response.status, headers=response.headers, text=json.dumps(run)
        )
    final = wait_for_run(created, config, thread_id, options.wait, transmit, is_canceled=is_stopped)
    if final is created:
        return response, request
    run_id = run_status(created)[0]
    poll = get_run_request(config, thread_id, run_id)  # messages name the last poll
    if request.stream and options.result_format is ResultFormat.EVENTS:
        status = run_status(final)[1] or f"unknown (HTTP {final.status})"
        notes.append(
            f"The event stream ended while run '{run_id}' was still going on; after waiting, "
            f"its status is '{status}'."
        )
        return response, request
    return final, poll


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
    """With several rows, say which row's values are wrong (keeping the error's kind)."""
    if total == 1 or error.setting not in ROW_SETTINGS or isinstance(error, MissingApiKeyError):
        return error
    if isinstance(error, InvalidBodyError):
        return InvalidBodyError(error.violations, prefix=f"{row_id}: ")
    return InvalidSettingsError(f"{row_id}: {error}", setting=error.setting)
