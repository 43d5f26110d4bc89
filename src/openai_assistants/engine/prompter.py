"""The Assistant Prompter: a question per row, the assistant's answer beside it.

    rows (prompt, and per the settings an assistant, a group or a thread)
      -> every row's request checked before anything is sent
      -> lanes (rows sharing a thread, in table order) on up to ``concurrency`` workers
      -> per row: a new thread if needed (Create Thread), then Create Run with the question as
         ``additional_messages`` and ``"stream": true``; the stream ends when the run does, so
         the answer is read the moment it exists, without a poll interval's delay
      -> one answer per row: reply text, IDs, status, usage, citations, pending tool calls

Every request is built by ``request_builder`` from the operations' data (createThread,
createRun, getRun, listMessages, listRunSteps, listRuns, cancelRun) and sent through the
execution's one client (retries, the shared 429 gate, cancel). The calling thread alone talks
to the caller (cancel flag, progress), as KNIME requires. A stop (cancel, or the first error
with "Fail the node") cancels on the server every run still going on, so no run goes on
writing (and costing) after the node stopped. Nothing here imports KNIME or pyarrow.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..client.cancellation import POLL_SECONDS, pause
from ..client.connection import ConnectionConfig
from ..client.events import final_run
from ..client.exchange import ApiRequest, ApiResponse
from ..client.response_checks import http_error_message, success_body_problem
from ..errors import (
    CancelledError,
    InvalidSettingsError,
    OpenAIAssistantsError,
    RequestFailedError,
)
from ..operations import INCLUDE_FILE_SEARCH_CONTENT, by_id
from .options import ErrorHandling
from .prompter_plan import (
    PrompterSettings,
    PromptRow,
    ThreadMode,
    check_settings,
    output_columns,
    plan_lanes,
    row_message,
    run_body,
    thread_body,
)
from .prompter_reply import (
    citations_json,
    complete_citations,
    file_citations,
    listed_messages,
    needs_search_results,
    reply_text,
    required_action_json,
    run_problem,
    streamed_messages,
    usage_counts,
)
from .run_polling import STOP_STATUSES, TERMINAL_STATUSES

if TYPE_CHECKING:
    from ..client.client import ApiClient

logger = logging.getLogger("openai_assistants.prompter")

Progress = Callable[[float, str], None]  # KNIME's set_progress: fraction, message


@dataclass(frozen=True)
class Tally:
    """Where a table stands, for a progress display that shows more than KNIME's bar."""

    done: int  # rows finished (answered, failed, or without a prompt)
    total: int
    running: int  # questions being asked right now
    failed: int

    @property
    def text(self) -> str:
        """KNIME's progress message: ``12 of 200 answered, 4 running``."""
        text = f"{self.done} of {self.total} answered, {self.running} running"
        return text + (f", {self.failed} failed" if self.failed else "")

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


FIRST_POLL_SECONDS = 0.05  # adaptive polling (a stream that broke off): 0.05, 0.1, 0.2, ...
CLEAN_UP_SECONDS = 0.8  # cancelling the runs on the server after a stop: at most this long
_PENDING_THREAD = "thread_pending"  # a new thread's place in a request checked before it exists


@dataclass
class Answer:
    """One output row's appended cells (None: missing)."""

    response: str | None = None
    thread_id: str | None = None
    run_id: str | None = None
    status: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    citations: str | None = None
    required_action: str | None = None
    error: str | None = None

    def cells(self) -> tuple[Any, ...]:
        """The cells in the order of :func:`prompter_plan.output_columns`."""
        return (
            self.response,
            self.thread_id,
            self.run_id,
            self.status,
            self.prompt_tokens,
            self.completion_tokens,
            self.total_tokens,
            self.citations,
            self.required_action,
            self.error,
        )


@dataclass(frozen=True)
class PrompterOutcome:
    """The appended columns (name, kind) and one answer per input row, in input order."""

    columns: tuple[tuple[str, str], ...]
    answers: list[Answer]
    warnings: list[str] = field(default_factory=list)

    def column_cells(self) -> list[list[Any]]:
        """The appended columns' cells, column by column."""
        rows = [answer.cells() for answer in self.answers]
        return [[row[c] for row in rows] for c in range(len(self.columns))]


class _RowFailed(Exception):
    """A row's answer is an error (raised inside a worker, caught where the row ends)."""

    def __init__(self, message: str, answer: Answer) -> None:
        super().__init__(message)
        self.answer = answer


@dataclass
class _Prepared:
    """A row's validated Create Run request (for a new thread: with a stand-in thread)."""

    request: ApiRequest
    new_thread: bool


def prompt_rows(
    rows: Sequence[PromptRow],
    settings: PrompterSettings,
    client: ApiClient,
    *,
    input_columns: Sequence[str] = (),
    assistant_from_column: bool = False,
    progress: Progress | None = None,
    tally: Callable[[Tally], None] | None = None,
) -> PrompterOutcome:
    """Ask every row's question and return one answer per row, in input order.

    With ``ErrorHandling.FAIL`` the first failed row raises (its row ID in the message);
    with ``OUTPUT`` the error is the row's ``error`` cell and one warning sums the failed
    rows up. Every request goes through ``client`` (its configuration, key, 429 gate); its
    cancel flag, ``progress`` (fraction and message, for KNIME) and ``tally`` (the counts,
    for the command line) are called only from the calling thread, the last two whenever
    the counts change; the workers stop on the table's own flag. ``input_columns``: the
    input table's column names (appended names never repeat one); ``assistant_from_column``:
    the rows' assistant IDs come from a column (the dialog's may then be empty).
    """
    config = client.config
    warnings = check_settings(settings, assistant_from_column=assistant_from_column)
    columns = output_columns(settings, input_columns)
    answers = [Answer() for _ in rows]
    lanes = plan_lanes(rows, settings.thread_mode)
    prepared = _prepare(rows, lanes, settings, config, answers)
    lanes = [[i for i in lane if i in prepared] for lane in lanes]
    lanes = [lane for lane in lanes if lane]
    if lanes:
        stop = threading.Event()
        deadlines = threading.local()  # each worker's current run: when max_wait is over

        def stopped() -> bool:
            run_deadline = getattr(deadlines, "at", None)
            return stop.is_set() or (run_deadline is not None and time.monotonic() > run_deadline)

        workers = client.with_cancel(stopped)  # same key, connections and 429 gate
        asker = _Asker(settings, config, rows, prepared, workers.send, stop, deadlines)
        _run_lanes(asker, lanes, answers, settings, client.is_canceled, progress, tally)
    else:  # nothing to ask (every prompt missing, or every row refused): all done at once
        finished = Tally(len(rows), len(rows), 0, sum(1 for a in answers if a.error))
        if progress is not None:
            progress(finished.fraction, finished.text)
        if tally is not None:
            tally(finished)
    failed = [(rows[i].row_id, a.error) for i, a in enumerate(answers) if a.error]
    if failed:
        first_row, first_error = failed[0]
        warnings.insert(
            0,
            f"{len(failed)} of {len(rows)} rows failed; first: {first_row}: "
            f"{_short(first_error or '')} See the '{columns[-1][0]}' column.",
        )
    for warning in warnings:
        logger.warning(warning)
    return PrompterOutcome(columns=columns, answers=answers, warnings=warnings)


def _prepare(
    rows: Sequence[PromptRow],
    lanes: list[list[int]],
    settings: PrompterSettings,
    config: ConnectionConfig,
    answers: list[Answer],
) -> dict[int, _Prepared]:
    """Check every row's request before anything is sent. A row's own problem fails the
    node (FAIL) or becomes its error cell (OUTPUT); a problem of every row always raises."""
    from .request_builder import build_request

    create_run = by_id("createRun")
    prepared: dict[int, _Prepared] = {}
    for lane in lanes:
        for i in lane:
            row = rows[i]
            thread = (row.thread_id or "").strip()
            new_thread = settings.thread_mode is not ThreadMode.FROM_COLUMN
            try:
                if not new_thread and not thread:
                    raise InvalidSettingsError(
                        "The thread ID cell is missing; with threads from a column every "
                        "row with a prompt needs the thread to continue.",
                        setting="thread_id_column",
                    )
                body = run_body(settings, row, row_message(row))
                if not body["assistant_id"]:
                    raise InvalidSettingsError(
                        "The assistant ID cell is missing and the dialog has none.",
                        setting="assistant_id_column",
                    )
                built = build_request(
                    create_run,
                    {"thread_id": _PENDING_THREAD if new_thread else thread},
                    {},
                    body,
                    config,
                    expect_object="thread.run",
                )
            except InvalidSettingsError as exc:
                message = f"{row.row_id}: {exc}"
                if settings.on_error is ErrorHandling.FAIL or exc.setting not in _ROW_SETTINGS:
                    raise InvalidSettingsError(message, setting=exc.setting) from None
                answers[i].error = str(exc)
                continue
            prepared[i] = _Prepared(built.request, new_thread)
    return prepared


# the settings a row's own cells can get wrong (the rest concern every row)
_ROW_SETTINGS = frozenset(
    {"prompt_column", "body", "thread_id", "thread_id_column", "assistant_id_column"}
)


class _Asker:
    """Asks one row's question on its lane's thread (runs on a worker thread)."""

    def __init__(
        self,
        settings: PrompterSettings,
        config: ConnectionConfig,
        rows: Sequence[PromptRow],
        prepared: dict[int, _Prepared],
        send: Callable[..., ApiResponse],
        stop: threading.Event,
        deadlines: threading.local,
    ) -> None:
        self.settings = settings
        self.config = config
        self.rows = rows
        self.prepared = prepared
        self.send = send
        self.stop = stop
        self.deadlines = deadlines
        self._lock = threading.Lock()
        self.active: dict[int, list[str]] = {}  # lane -> [thread_id, run_id] of the row asked

    def ask(self, lane: int, i: int, thread_id: str) -> Answer:
        """The row's answer; raises :class:`_RowFailed` (its answer inside) when it failed."""
        ready = self.prepared[i]
        answer = Answer(thread_id=thread_id or None)
        stopped = False  # by a stop: the run stays listed, for the clean-up to cancel it
        try:
            if not thread_id:
                thread_id = self._new_thread()
                answer.thread_id = thread_id
            with self._lock:
                self.active[lane] = [thread_id, ""]
            request = ready.request
            if ready.new_thread:
                request = _on_thread(request, self.config, thread_id)
            self.deadlines.at = time.monotonic() + self.settings.max_wait
            try:
                run, messages = self._run(request, lane, thread_id, answer)
            finally:
                self.deadlines.at = None
            self._fill(answer, run, thread_id, messages)
        except CancelledError:
            if self.stop.is_set():
                stopped = True
                raise
            raise _RowFailed(self._overdue(lane, thread_id), answer) from None
        except RequestFailedError as exc:
            raise _RowFailed(str(exc), answer) from None
        finally:
            if not stopped:
                with self._lock:
                    self.active.pop(lane, None)
        if answer.error:
            raise _RowFailed(answer.error, answer)
        return answer

    # --- the requests ----------------------------------------------------------------------

    def _build(self, operation_id: str, path: dict[str, str], query: dict, body: Any) -> Any:
        from .request_builder import build_request

        operation = by_id(operation_id)
        expect = "" if operation.returns_list else _OBJECTS.get(operation_id, "")
        return build_request(operation, path, query, body, self.config, expect_object=expect)

    def _checked(self, request: ApiRequest, response: ApiResponse) -> ApiResponse:
        """An error answer or a malformed one becomes the row's error."""
        if not response.ok:
            raise _HttpProblem(http_error_message(request, response))
        problem = success_body_problem(request, response)
        if problem:
            raise _HttpProblem(problem)
        return response

    def _new_thread(self) -> str:
        built = self._build("createThread", {}, {}, thread_body(self.settings))
        answer = self._checked(built.request, self.send(built.request))
        return answer.json["id"]

    def _run(
        self, request: ApiRequest, lane: int, thread_id: str, answer: Answer
    ) -> tuple[dict, list[dict] | None]:
        """Create the run and read it to its end: the final run object, and the reply's
        messages when the stream brought them (None: they are to be listed)."""
        response = self.send(request)
        if not response.ok:
            raise _HttpProblem(http_error_message(request, response))
        if response.events is not None:  # the event stream, read up to [DONE]
            run = final_run(response.events)
            problem = success_body_problem(request, response)
            if run is None or not isinstance(run.get("id"), str):
                raise _HttpProblem(problem or f"{request.where} streamed no run.")
        else:  # a server that answered the run as JSON
            self._checked(request, response)
            run = response.json
        run_id = run["id"]
        answer.run_id = run_id
        with self._lock:
            self.active[lane] = [thread_id, run_id]
        if run.get("status") not in STOP_STATUSES:
            run = self._poll(thread_id, run)
        messages = None
        if response.events is not None and run.get("status") != "requires_action":
            messages = streamed_messages(response.events, run_id) or None
        return run, messages

    def _poll(self, thread_id: str, run: dict) -> dict:
        """A run the stream left going on (or a JSON answer): poll it, soon at first, then
        less often up to the poll interval, until it stops."""
        delay = FIRST_POLL_SECONDS
        while run.get("status") not in STOP_STATUSES:
            pause(delay, self._stopped_here)
            delay = min(delay * 2, self.settings.poll_interval)
            built = self._build("getRun", {"thread_id": thread_id, "run_id": run["id"]}, {}, None)
            run = self._checked(built.request, self.send(built.request)).json
            if not isinstance(run, dict) or not isinstance(run.get("status"), str):
                raise _HttpProblem(f"{built.request.where} answered without the run's status.")
        return run

    def _stopped_here(self) -> bool:
        at = getattr(self.deadlines, "at", None)
        return self.stop.is_set() or (at is not None and time.monotonic() > at)

    def _fill(self, answer: Answer, run: dict, thread_id: str, messages: list[dict] | None) -> None:
        answer.status = run.get("status") if isinstance(run.get("status"), str) else None
        answer.prompt_tokens, answer.completion_tokens, answer.total_tokens = usage_counts(run)
        answer.required_action = required_action_json(run)
        if answer.status == "requires_action":
            return  # no reply yet: the run waits for the tool outputs
        if messages is None and answer.status in ("completed", "incomplete"):
            built = self._build(
                "listMessages",
                {"thread_id": thread_id},
                {"run_id": run["id"], "order": "asc", "limit": 100},
                None,
            )
            page = self._checked(built.request, self.send(built.request)).json
            messages = listed_messages(page, run["id"])
        messages = messages or []
        answer.response = reply_text(messages)
        citations = file_citations(messages)
        if citations and needs_search_results(citations):
            citations = complete_citations(citations, self._search_results(thread_id, run["id"]))
        elif citations:
            citations = complete_citations(citations)
        answer.citations = citations_json(citations)
        answer.error = run_problem(run) or None

    def _search_results(self, thread_id: str, run_id: str) -> Any:
        """The run's steps with their file search results (for the citations' file names
        and quotes); None when they cannot be read (the citations keep their file IDs)."""
        built = self._build(
            "listRunSteps",
            {"thread_id": thread_id, "run_id": run_id},
            {"include": (INCLUDE_FILE_SEARCH_CONTENT,), "limit": 100},
            None,
        )
        try:
            response = self.send(built.request)
        except RequestFailedError:
            return None
        return response.json_or_none if response.ok else None

    def _overdue(self, lane: int, thread_id: str) -> str:
        """max_wait passed: cancel the run on the server (a thread with a run going on takes
        no other run), and say so."""
        with self._lock:
            run_id = self.active.get(lane, ["", ""])[1]
        outcome = cancel_runs(self.send, self.config, [(thread_id, run_id)], lambda: False)
        return (
            f"The run on thread '{thread_id}' did not end within the maximum wait of "
            f"{self.settings.max_wait:g} s (setting max_wait); {outcome}"
        )


class _HttpProblem(RequestFailedError):
    """An answer that gives the row no run (an error status, a malformed answer)."""


_OBJECTS = {"createThread": "thread", "getRun": "thread.run", "cancelRun": "thread.run"}


def _on_thread(request: ApiRequest, config: ConnectionConfig, thread_id: str) -> ApiRequest:
    """The checked Create Run request, sent to the thread just made."""
    from .request_builder import operation_url

    operation = by_id("createRun")
    path = {"thread_id": thread_id}
    return replace(
        request,
        url=operation_url(config, operation, path, []),
        subject=operation.describe_subject(path),
    )


def _run_lanes(
    asker: _Asker,
    lanes: list[list[int]],
    answers: list[Answer],
    settings: PrompterSettings,
    is_canceled: Callable[[], bool] | None,
    progress: Progress | None,
    tally: Callable[[Tally], None] | None,
) -> None:
    """Up to ``concurrency`` lanes at once; the calling thread watches cancel and reports."""
    stop = asker.stop
    total = len(answers)
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for n in range(len(lanes)):
        work.put(n)
    done: queue.SimpleQueue[tuple[int, Answer | None, BaseException | None]] = queue.SimpleQueue()
    running = [0]
    count_lock = threading.Lock()

    def worker() -> None:
        while not stop.is_set():
            try:
                n = work.get_nowait()
            except queue.Empty:
                return
            thread_id = ""
            for i in lanes[n]:
                if stop.is_set():
                    return
                with count_lock:
                    running[0] += 1
                try:
                    answer = asker.ask(n, i, thread_id or (asker.rows[i].thread_id or "").strip())
                    thread_id = answer.thread_id or thread_id
                    done.put((i, answer, None))
                except _RowFailed as failed:
                    thread_id = failed.answer.thread_id or thread_id
                    failed.answer.error = failed.answer.error or str(failed)
                    done.put((i, failed.answer, None))
                    if settings.on_error is ErrorHandling.FAIL:
                        stop.set()  # after its row is queued: the caller raises this one
                        return
                except BaseException as exc:  # cancel, or a bug: the caller raises it
                    done.put((i, None, exc))
                    return
                finally:
                    with count_lock:
                        running[0] -= 1

    workers = [
        threading.Thread(target=worker, name=f"prompter_{n}", daemon=True)
        for n in range(min(settings.concurrency, len(lanes)))
    ]
    remaining = sum(len(lane) for lane in lanes)
    finished = total - remaining
    failed = sum(1 for a in answers if a.error)  # rows whose request could not be built
    shown = None
    started = time.monotonic()
    try:
        for w in workers:
            w.start()
        while remaining:
            try:
                item: Any = done.get(timeout=POLL_SECONDS)
            except queue.Empty:
                item = None
            if is_canceled is not None and is_canceled():
                raise CancelledError("Execution cancelled.")
            if item is not None:
                i, answer, error = item
                remaining -= 1
                if error is not None:
                    raise error
                assert answer is not None
                answers[i] = answer
                finished += 1
                if answer.error:
                    failed += 1
                    if settings.on_error is ErrorHandling.FAIL:
                        raise _row_error(asker.rows[i].row_id, answer.error)
            now = Tally(finished, total, running[0], failed)
            if now != shown:
                shown = now
                if progress is not None:
                    progress(now.fraction, now.text)
                if tally is not None:
                    tally(now)
    except BaseException as exc:
        stop.set()
        for w in workers:
            w.join()  # each ends within POLL_SECONDS once stopped
        report = _clean_up(asker)
        if isinstance(exc, OpenAIAssistantsError) and report:
            exc.args = (f"{exc} {report}",)
        raise
    for w in workers:
        w.join()
    logger.debug("prompter: %d rows in %.2f s", total, time.monotonic() - started)


def _row_error(row_id: str, message: str) -> OpenAIAssistantsError:
    return RequestFailedError(f"{row_id}: {message}")


def _clean_up(asker: _Asker) -> str:
    """After a stop: cancel every run still going on, within ``CLEAN_UP_SECONDS``."""
    with asker._lock:
        active = [(t, r) for t, r in asker.active.values() if t]
        asker.active.clear()
    if not active:
        return ""
    deadline = time.monotonic() + CLEAN_UP_SECONDS
    return cancel_runs(asker.send, asker.config, active, lambda: time.monotonic() > deadline)


def cancel_runs(
    send: Callable[..., ApiResponse],
    config: ConnectionConfig,
    runs: Sequence[tuple[str, str]],
    give_up: Callable[[], bool],
) -> str:
    """Cancel each (thread, run) on the server, at the same time; a run whose ID is not
    known yet (its stream was cut before it said) is the thread's newest run, if it is
    still going on. Returns what happened, for the message."""
    outcomes: list[str] = [""] * len(runs)

    def cancel(n: int, thread_id: str, run_id: str) -> None:
        from .request_builder import build_request

        try:
            if not run_id:
                listed = build_request(
                    by_id("listRuns"), {"thread_id": thread_id}, {"limit": 1}, None, config
                )
                run = _newest(send(listed.request, cancellable=False).json_or_none)
                if run.get("status") in TERMINAL_STATUSES or not isinstance(run.get("id"), str):
                    return
                run_id = str(run["id"])
            if give_up():
                outcomes[n] = f"run '{run_id}' was left running (no time to cancel it)"
                return
            built = build_request(
                by_id("cancelRun"),
                {"thread_id": thread_id, "run_id": run_id},
                {},
                None,
                config,
            )
            answer = send(built.request, cancellable=False)
            outcomes[n] = (
                f"run '{run_id}' was cancelled on the server"
                if answer.ok
                else f"run '{run_id}' was not cancelled (HTTP {answer.status})"
            )
        except (OpenAIAssistantsError, ValueError, TypeError, KeyError, IndexError) as exc:
            outcomes[n] = f"the run on thread '{thread_id}' may still be going on ({exc})"

    began = time.monotonic()
    helpers = [
        threading.Thread(target=cancel, args=(n, t, r), name=f"prompter_cancel_{n}", daemon=True)
        for n, (t, r) in enumerate(runs)
    ]
    for helper in helpers:
        helper.start()
    for helper in helpers:  # on a slow server: the node's cancel does not wait for them
        helper.join(timeout=max(0.0, CLEAN_UP_SECONDS - (time.monotonic() - began)) + 0.2)
    said = [o for o in outcomes if o]
    if not said:
        return "No run was going on."
    return "; ".join(said) + "."


def _newest(page: Any) -> dict:
    """The first item of a List Runs page (``limit=1``: the newest run), else {}."""
    items = page.get("data") if isinstance(page, dict) else None
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0]
    return {}


def _short(text: str, limit: int = 200) -> str:
    text = text.strip()
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text if text.endswith(".") else text + "."
