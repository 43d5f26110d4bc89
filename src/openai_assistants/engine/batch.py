"""A table's rows, sent concurrently: the workers, the stop, and what already exists.

Up to ``concurrency`` rows are in flight at once, each on a worker thread that takes the
next row as soon as its last one is done. The calling thread alone talks to the caller (its
cancel flag, its progress: KNIME's context is never used from a worker). The first failure
with "Fail the node", or a cancel, stops the table: no further row is sent, and the error
names every object already created and every request still in flight, so nothing that
exists on the server goes unreported.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from ..client.cancellation import POLL_SECONDS
from ..client.exchange import ApiRequest, ApiResponse
from ..errors import AmbiguousSendError, CancelledError, OpenAIAssistantsError
from ..operations.model import Operation
from ..tables.results import RowResult
from .run_polling import run_status

if TYPE_CHECKING:
    from ..client.client import ApiClient

# the engine's one row: (validated row, the workers' client, the send of its first request)
# -> (result, notes)
RunOne = Callable[[Any, "ApiClient", Callable[..., ApiResponse]], tuple[RowResult, list[str]]]
Finished = Callable[[int, RowResult, list[str]], None]


def run_rows(
    operation: Operation,
    pending: dict[int, Any],
    concurrency: int,
    run_one: RunOne,
    client: ApiClient,
    stop: threading.Event,
    finished: Finished,
    is_canceled: Callable[[], bool] | None,
    *,
    tick: Callable[[], None] | None = None,
) -> None:
    """Run ``run_one`` for every pending row (index -> the engine's validated row), up to
    ``concurrency`` at once, each sending through ``client`` (whose cancel flag is ``stop``);
    ``finished`` gets each row's result on the calling thread, and ``tick`` is called there
    while no row finishes (at least every ``POLL_SECONDS``: e.g. to report the states of
    runs being waited on). The first failure sets ``stop`` and is raised with the report of
    what exists on the server."""
    batch = Batch(operation, pending, stop)

    def run_row(i: int, ready: Any) -> tuple[RowResult, list[str]]:
        send_first = partial(batch.transmit, i, client.send)
        try:
            return run_one(ready, client, send_first)
        except BaseException:
            stop.set()  # decided here: no further row is sent from now on
            raise

    _run_pool(batch, concurrency, run_row, finished, is_canceled, tick)


class Batch:
    """What a table of calls has done so far: what was created and what is still in flight.

    When the batch stops (an error with "Fail the node", or a cancel), the message lists them,
    so nothing that exists on the server goes unreported. Only requests that change
    something (POST) are listed; reads and deletes are safe to repeat.
    """

    def __init__(self, operation: Operation, pending: dict[int, Any], stop: threading.Event):
        self.operation = operation
        self.pending = pending
        self.stop = stop
        self._lock = threading.Lock()
        self.created: dict[int, str] = {}  # row index -> id of the object answered
        self.in_flight: set[int] = set()  # rows whose first request was sent, no answer yet

    def transmit(
        self, i: int, transmit: Callable[..., ApiResponse], request: ApiRequest, **kwargs: Any
    ) -> ApiResponse:
        first = request is self.pending[i].request
        if first:
            with self._lock:
                if self.stop.is_set():
                    raise CancelledError()  # decided to stop: send no further row
                self.in_flight.add(i)
        try:
            response = transmit(request, **kwargs)
        except (CancelledError, AmbiguousSendError):
            raise  # stays in flight: it may have been processed
        except BaseException:
            with self._lock:
                self.in_flight.discard(i)
            raise
        if first:
            object_id = run_status(response)[0] if response.ok else ""
            with self._lock:
                self.in_flight.discard(i)
                if object_id:
                    self.created[i] = object_id
        return response

    def report(self) -> str:
        """``Runs already created: …; requests in flight …`` for the stop message."""
        if self.operation.idempotent:
            return ""
        with self._lock:
            created, in_flight = dict(self.created), set(self.in_flight)
        parts = []
        if self.operation.operation_id == "createRun":

            def what(i: int) -> str:
                return f"thread '{self.pending[i].path_values.get('thread_id', '')}'"

            done, flying = (
                "Runs already created",
                "Requests in flight when stopped (a run may exist)",
            )
        else:

            def what(i: int) -> str:
                return self.pending[i].request.subject or self.pending[i].request.where

            done = f"Already done by {self.operation.node_name}"
            flying = "Requests in flight when stopped (they may have been processed)"
        if created:
            listed = ", ".join(
                f"{object_id} ({self.pending[i].row_id}, {what(i)})"
                for i, object_id in sorted(created.items())
            )
            parts.append(f"{done}: {listed}.")
        if in_flight:
            listed = ", ".join(f"{what(i)} ({self.pending[i].row_id})" for i in sorted(in_flight))
            parts.append(f"{flying}: {listed}.")
        return " ".join(parts)


def _run_pool(
    batch: Batch,
    concurrency: int,
    run_row: Callable[[int, Any], tuple[RowResult, list[str]]],
    finished: Finished,
    is_canceled: Callable[[], bool] | None,
    tick: Callable[[], None] | None = None,
) -> None:
    """Up to ``concurrency`` rows at once; the calling thread watches for cancel and reports.

    Each worker takes the next row as soon as its last one is done, until none is left or
    the batch stops; no row is taken once a stop was decided. Only the calling thread calls
    ``is_canceled`` and ``finished`` (KNIME's progress), so the KNIME context is never used
    from a worker thread. Finished rows arrive through a queue, so each costs constant work
    however many are pending; no thread outlives the call.
    """
    pending, stop = batch.pending, batch.stop
    rows = iter(list(pending.items()))
    take = threading.Lock()
    done: queue.SimpleQueue[tuple[int, Any, BaseException | None]] = queue.SimpleQueue()

    def work() -> None:
        while not stop.is_set():
            with take:
                item = next(rows, None)
            if item is None:
                return
            i, ready = item
            try:
                done.put((i, run_row(i, ready), None))
            except BaseException as exc:  # run_row decided the stop; the caller raises it
                done.put((i, None, exc))
                return

    workers = [
        threading.Thread(target=work, name=f"{batch.operation.cli_name}_{n}", daemon=True)
        for n in range(min(concurrency, len(pending)))
    ]
    try:
        for worker in workers:
            worker.start()
        remaining = len(pending)
        next_check = 0.0
        while remaining:
            try:
                item = done.get(timeout=POLL_SECONDS)
            except queue.Empty:
                item = None
            now = time.monotonic()
            if is_canceled is not None and now >= next_check:
                next_check = now + POLL_SECONDS / 2
                if is_canceled():
                    raise CancelledError("Execution cancelled.")
            if item is None:
                if tick is not None:
                    tick()
                continue
            remaining -= 1
            i, result, error = item
            if error is not None:
                raise error  # FAIL mode: the first failure stops the table
            finished(i, *result)
    except BaseException as exc:
        stop.set()
        for worker in workers:
            if worker.is_alive():
                worker.join()  # a worker gives up within POLL_SECONDS once stopped
        _add_batch_report(exc, batch)
        raise
    for worker in workers:
        worker.join()


def _add_batch_report(exc: BaseException, batch: Batch) -> None:
    """Append what exists on the server to the stopping error's message."""
    if not isinstance(exc, OpenAIAssistantsError):
        return
    report = batch.report()
    if isinstance(exc, CancelledError) and not report and batch.operation.may_create:
        report = (
            "No run was created."
            if batch.operation.operation_id == "createRun"
            else "Nothing was created."
        )
    if report:
        exc.args = (f"{exc} {report}",)
