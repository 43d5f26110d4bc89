"""The run lifecycle: what happens between Create Run and a run's final status.

Each run is an asyncio task on the server's event loop: ``queued`` → ``in_progress`` → one
model call (the backend) → either ``completed`` with the assistant's message appended to the
thread, or ``requires_action`` with the function calls the client must answer; Submit Tool
Outputs appends the outputs to the run's transcript and starts the next model call. Steps
(``message_creation``, ``tool_calls``) are recorded as the real API records them, and every
change is also an event for the clients streaming the run.

Backend failures end the run ``failed`` with ``last_error`` (``rate_limit_exceeded`` or
``server_error`` and the backend's message); cancelling cancels the task, even while the
model call is in flight. Runs that wait past ``expires_at`` become ``expired``. On start,
runs a previous server left unfinished become ``failed``; on stop, in-flight runs are
failed with a message that says so, so no client waits on a run nobody works on.

A storage failure (disk full, a failed write) never leaves a run stuck: the run ends
``failed`` with a ``last_error`` that says so, and when even that cannot be written, the
final status is kept in memory (answered to every reader, so the thread is not blocked) and
written as soon as the store takes writes again.

With ``leases`` (several servers on one PostgreSQL database, :mod:`..store.postgres_leases`)
a run is executed only by the server that claims it; cancels reach the executing server by
notification, and runs whose server died are taken over once their lease runs out, never
before. The server a client starts or continues a run on executes it, so a streaming client
always gets its events from the server it is connected to.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from ..backends import Backend, BackendError
from ..retrieval.tool_resources import attach_to_thread, check_attachments
from ..store import ActiveRunExists, StorageError, Store
from ..validation import NotFoundError, RequestError, message_request
from . import objects
from .events import Event, Listeners
from .file_search import CONTENT_INCLUDE, search_tool
from .steps import pending_tool_step
from .tools import load_transcript, outputs_by_call, save_transcript
from .turn import Turns

log = logging.getLogger("openai_assistants.server")

EXPIRES_AFTER_SECONDS = 600  # what the real API reports for a run that is not finished
TERMINAL = frozenset({"cancelled", "failed", "completed", "incomplete", "expired"})
ACTIVE = frozenset({"queued", "in_progress", "requires_action", "cancelling"})
STOPPED_MESSAGE = (
    "The server stopped while this run was in progress; the run did not finish. "
    "Create a new run on the thread."
)
SETTLE_TURNS = 20  # event-loop turns a new run waits for a ready run of its thread
INSTANT_RUN_WAIT = 10.0  # seconds a request waits for an instant (echo, no duration) run's end
LEASE_LOST_MESSAGE = (
    "The server executing this run stopped (its lease ran out); the run did not finish. "
    "Create a new run on the thread."
)
STORAGE_FAILED = (
    "The server could not store this run's progress ({error}); the run did not finish. "
    "Create a new run on the thread."
)


class Engine:
    """Creates, advances, cancels and recovers runs; owns the run tasks."""

    def __init__(
        self,
        store: Store,
        backend: Backend,
        *,
        default_model: str | None = None,
        expires_after: float = EXPIRES_AFTER_SECONDS,
        clock: Callable[[], float] = time.time,
        leases: Any = None,
    ) -> None:
        """``leases``: a :class:`~..store.postgres_leases.RunLeases` when several servers
        share the database; None for a server alone on its database."""
        self.store = store
        self.leases = leases
        self._lost: set[str] = set()  # runs whose lease another server took over
        self._background: list[asyncio.Task[None]] = []
        self.backend = backend
        self.default_model = default_model or None
        self.expires_after = expires_after
        self._clock = clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.listeners = Listeners()
        self._turns = Turns(store, backend, self.listeners, self.now)
        self._stopping = False
        # runs whose final status the store did not take yet: run ID -> the final fields
        self._unstored_ends: dict[str, dict[str, Any]] = {}
        self._cancelled: set[str] = set()  # runs whose task a client cancelled
        self.library: Any = None  # files and vector stores (file_search), see use_library

    def use_library(self, library: Any) -> None:
        """The files and vector stores the runs' ``file_search`` calls search."""
        self.library = library
        self._turns.library = library

    def now(self) -> int:
        return int(self._clock())

    # start and stop

    def recover(self) -> list[str]:
        """Fail the runs a previous server was working on when it stopped; their IDs.

        Runs waiting for tool outputs (``requires_action``) were not being worked on: they
        stay as they are and can still be answered until they expire. A run that was being
        cancelled is ``cancelled``. With leases: only runs whose lease ran out (or that nobody
        ever claimed), never those a live server holds.
        """
        if self.leases is not None:
            try:
                return self._take_over_orphans()
            except StorageError as exc:
                log.warning("could not look for runs whose server stopped: %s", exc)
                return []
        failed = []
        try:
            unfinished = self.store.unfinished_runs()
        except StorageError as exc:
            log.warning("could not look for runs cut off by the last stop: %s", exc)
            return []
        for run in unfinished:
            if run["status"] == "requires_action":
                continue
            if run["status"] == "cancelling":
                self._finish_interrupted(run, "cancelled", None)
                continue
            self._finish_interrupted(run, "failed", STOPPED_MESSAGE)
            failed.append(run["id"])
        return failed

    async def stop(self) -> None:
        """Fail in-flight runs cleanly, end their streams, close the backend."""
        if self._stopping:
            return
        self._stopping = True
        for background in self._background:
            background.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.listeners.close_all()
        await self.backend.aclose()

    @property
    def active_tasks(self) -> int:
        return len(self._tasks)

    def start_background(self) -> None:
        """With leases: the lease loop and the cancel listener, until :meth:`stop`."""
        if self.leases is None or self._background:
            return
        loop = asyncio.get_running_loop()
        self._background = [
            loop.create_task(self._lease_loop(), name="run-leases"),
            loop.create_task(self.leases.listen_cancels(self._cancel_local), name="cancels"),
        ]

    async def _lease_loop(self) -> None:
        """Renew this server's leases; cancel what was cancelled elsewhere; take over orphans."""
        while True:
            await asyncio.sleep(self.leases.renew_every)
            try:
                self.renew_leases()
                self._take_over_orphans()
            except StorageError as exc:
                log.warning("run leases not renewed: %s", exc)

    def renew_leases(self) -> None:
        mine = [run_id for run_id, task in self._tasks.items() if not task.done()]
        held = self.leases.renew(mine)
        for run_id in mine:
            status = held.get(run_id)
            if status is None:  # taken over meanwhile: the other server is in charge now
                self._lost.add(run_id)
                self._cancel_local(run_id)
            elif status == "cancelling":  # a cancel whose notification did not arrive
                self._cancel_local(run_id)

    def _take_over_orphans(self) -> list[str]:
        """Runs whose server died: a queued one is executed here, an in-progress one failed,
        a cancelling one cancelled. Their IDs, but for the queued ones."""
        failed = []
        for run_id, status in self.leases.orphans():
            if run_id in self._tasks or not self.leases.take_over(run_id):
                continue
            run = self.store.get("run", run_id)
            if run is None:
                continue
            if status == "queued" and not self._stopping:
                self._start(run_id, claimed=True)
                continue
            if status == "cancelling":
                self._finish_interrupted(run, "cancelled", None)
            else:
                self._finish_interrupted(run, "failed", LEASE_LOST_MESSAGE)
                failed.append(run_id)
            self.leases.release(run_id)
        return failed

    def _cancel_local(self, run_id: str) -> None:
        """Cancel the run's task here, if this server executes it (a cancel notification)."""
        task = self._tasks.get(run_id)
        if task is not None and not task.done():
            self._cancelled.add(run_id)
            task.cancel()

    # runs

    def create_run(
        self,
        thread_id: str,
        body: dict[str, Any],
        *,
        stream: bool = False,
        new_thread: dict[str, Any] | None = None,
        additional_messages: list[Any] | None = None,
        include: list[str] | tuple[str, ...] = (),
    ) -> tuple[dict[str, Any], asyncio.Queue[Event | None] | None]:
        """A new run on a thread (one active run per thread, as the API rules).

        ``additional_messages``: the body's ``additional_messages`` already read by
        :func:`..validation.message_request` (the HTTP layer reads large bodies off the event
        loop); read here when not given.
        ``new_thread``: the thread Create Thread and Run just made; its stream starts with
        ``thread.created``, as the API's does. ``include``: the request's ``include[]`` (the
        stream's search steps carry the results' content when it asks for it).
        """
        self._refuse_when_stopping()
        thread = self.thread(thread_id)
        assistant = self.assistant(body["assistant_id"])
        active = self.active_run(thread["id"])
        if active is not None:
            raise RequestError(f"Thread {thread_id} already has an active run {active['id']}.")
        run = objects.run_object(
            thread_id,
            assistant,
            body,
            now=self.now(),
            expires_after=self.expires_after,
            default_model=self.default_model,
        )
        if not run["model"]:
            raise RequestError(
                "No model for this run: set 'model' on the assistant or the run, or start "
                "the server with --default-model.",
                param="model",
            )
        choice = run.get("tool_choice")
        forced = isinstance(choice, dict) and choice.get("type") == "file_search"
        if forced and search_tool(run) is None:
            raise RequestError(
                "Invalid 'tool_choice': it names file_search, but the run has no "
                "file_search tool: add the tool to the assistant's or the run's tools.",
                param="tool_choice",
            )
        extra = additional_messages
        if extra is None:
            extra = [
                message_request(m, f"additional_messages[{i}]")
                for i, m in enumerate(body.get("additional_messages") or [])
            ]
        try:  # a store several servers share refuses a second active run itself
            self.store.insert("run", run, thread_id=thread_id, run_id=run["id"])
        except ActiveRunExists:
            active = self.active_run(thread["id"])
            name = f" {active['id']}" if active is not None else ""
            raise RequestError(f"Thread {thread_id} already has an active run{name}.") from None
        for role, content, attachments, metadata in extra:
            self.add_message(thread_id, role, content, attachments, metadata)
        detailed = CONTENT_INCLUDE in include
        queue = self.listeners.listen(run["id"], detailed=detailed) if stream else None
        if new_thread is not None:
            self.listeners.emit(run["id"], "thread.created", new_thread)
        self.listeners.emit(run["id"], "thread.run.created", run)
        self.listeners.emit(run["id"], "thread.run.queued", run)
        self._start(run["id"])
        return run, queue

    def submit_tool_outputs(
        self, thread_id: str, run_id: str, outputs: list[dict[str, str]], *, stream: bool = False
    ) -> tuple[dict[str, Any], asyncio.Queue[Event | None] | None]:
        """Answer a ``requires_action`` run: every pending call needs exactly one output."""
        self._refuse_when_stopping()
        run = self.run(thread_id, run_id)
        by_id = outputs_by_call(run, outputs)
        calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
        queued = self.store.patch(
            "run",
            run_id,
            {"status": "queued", "required_action": None},
            statuses=("requires_action",),
        )
        if queued is None:  # answered or ended meanwhile (another request, another server)
            raise RequestError(
                f'Runs in status "{self.run(thread_id, run_id)["status"]}" do not accept '
                "tool outputs.",
                param="tool_outputs",
            )
        queue = self.listeners.listen(run_id) if stream else None
        try:
            transcript = load_transcript(self.store, run_id)
            for call in calls:
                transcript["turns"].append(
                    {"role": "tool", "tool_call_id": call["id"], "content": by_id[call["id"]]}
                )
            step_usage = transcript.pop("step_usage", None)
            save_transcript(self.store, run, transcript)
            step = pending_tool_step(self.store, run_id)
            if step is not None:
                details = step["step_details"]
                for call in details["tool_calls"]:
                    call["function"]["output"] = by_id.get(call["id"])
                # the step's usage was kept back until now: a step reports usage once complete
                step = self.store.patch(
                    "step",
                    step["id"],
                    {
                        "step_details": details,
                        "status": "completed",
                        "completed_at": self.now(),
                        "usage": step_usage,
                    },
                )
                if step is not None:
                    self.listeners.emit(run_id, "thread.run.step.completed", step)
        except StorageError as exc:  # taken from requires_action: it must end, not hang
            self._finish_interrupted(queued, "failed", STORAGE_FAILED.format(error=exc))
            raise
        self.listeners.emit(run_id, "thread.run.queued", queued)
        self._start(run_id)
        return queued, queue

    def cancel_run(self, thread_id: str, run_id: str) -> dict[str, Any]:
        """``cancelling`` while the task winds down (even mid model call), then ``cancelled``."""
        run = self.run(thread_id, run_id)
        if run["status"] in TERMINAL or run["status"] == "cancelling":
            raise RequestError(f"Cannot cancel run with status '{run['status']}'.")
        task = self._tasks.get(run_id)
        if task is not None and not task.done():
            self._cancelled.add(run_id)
            task.cancel()  # first: the run ends cancelled even if the store fails now
            try:
                cancelling = self.store.patch(
                    "run", run_id, {"status": "cancelling"}, statuses=ACTIVE - {"cancelling"}
                )
            except StorageError:
                cancelling = {**run, "status": "cancelling"}
            return cancelling or self.run(thread_id, run_id)
        holder = self.leases.holder(run_id) if self.leases is not None else None
        if holder is not None and holder != self.leases.owner:
            # another server executes it: mark it, and tell that server to stop it
            cancelling = self.store.patch(
                "run", run_id, {"status": "cancelling"}, statuses=ACTIVE - {"cancelling"}
            )
            self.leases.notify_cancel(run_id)
            return cancelling or self.run(thread_id, run_id)
        self._finish_interrupted(run, "cancelled", None)
        return self.run(thread_id, run_id)

    def run(self, thread_id: str, run_id: str) -> dict[str, Any]:
        """A run of this thread, with expiry applied."""
        self.thread(thread_id)
        run = self.store.get("run", run_id)
        if run is None or run["thread_id"] != thread_id:
            raise NotFoundError("run", run_id)
        return self.refresh(run)

    def refresh(self, run: dict[str, Any]) -> dict[str, Any]:
        """The run as it is: with a final status the store did not take yet, and a run past
        ``expires_at`` that is still waiting becomes ``expired``."""
        ended = self._unstored_ends.get(run["id"])
        if ended is not None:
            if run["status"] not in ACTIVE:  # stored meanwhile (or ended elsewhere)
                del self._unstored_ends[run["id"]]
                return run
            try:
                stored = self.store.patch("run", run["id"], ended, statuses=ACTIVE)
            except StorageError:
                return {**run, **ended}
            del self._unstored_ends[run["id"]]
            return stored or {**run, **ended}
        expires_at = run.get("expires_at")
        if (
            run["status"] in ("queued", "in_progress", "requires_action")
            and expires_at is not None
            and self._clock() >= expires_at
        ):
            task = self._tasks.pop(run["id"], None)
            if task is not None:
                task.cancel()
            self._finish_interrupted(run, "expired", None)
            if task is None and self.leases is not None and run["status"] != "requires_action":
                self.leases.notify_cancel(run["id"])  # its executor, elsewhere, stops too
            return self.store.get("run", run["id"]) or run
        return run

    async def settle(self, thread_id: str) -> None:
        """Let a run that needs no outside answer (echo with no duration) finish first.

        A thread runs one run at a time; a run whose task is ready but has not ended yet
        would otherwise refuse the next run (or message) for no visible reason.
        """
        active = self.active_run(thread_id)
        if active is not None:
            await self._let_end(active["id"])

    async def finish_if_instant(self, run_id: str) -> None:
        """With a backend that answers at once (echo without duration), let the run end
        before its creation is answered: the first look (Get Run, List Runs, List Messages)
        sees it completed, and its work is not left to compete with the client that is
        already reading the answer."""
        if getattr(self.backend, "instant", False):
            await self._let_end(run_id)

    async def _let_end(self, run_id: str) -> None:
        """Wait for the run's task here to end: with an instant backend until it has
        (bounded by :data:`INSTANT_RUN_WAIT`), else a few event-loop turns (a run that is
        ready to end does). Only this request waits: the run's heavy parts (its prompt, a
        long answer) run on worker threads or give the event loop back as they go, so other
        clients are served meanwhile."""
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return
        if getattr(self.backend, "instant", False):
            await asyncio.wait({task}, timeout=INSTANT_RUN_WAIT)  # the run goes on after it
            return
        for _ in range(SETTLE_TURNS):
            await asyncio.sleep(0)
            if task.done():
                return

    def active_run(self, thread_id: str) -> dict[str, Any] | None:
        for run in self.store.all("run", thread_id=thread_id, statuses=tuple(ACTIVE)):
            if self.refresh(run)["status"] in ACTIVE:
                return run
        return None

    # other objects

    def thread(self, thread_id: str) -> dict[str, Any]:
        thread = self.store.get("thread", thread_id)
        if thread is None:
            raise NotFoundError("thread", thread_id)
        return thread

    def assistant(self, assistant_id: Any) -> dict[str, Any]:
        assistant = self.store.get("assistant", str(assistant_id))
        if assistant is None:
            raise NotFoundError("assistant", str(assistant_id))
        return assistant

    def add_message(
        self,
        thread_id: str,
        role: str,
        content: list[dict[str, Any]],
        attachments: list[Any] | None,
        metadata: dict[str, str] | None,
        *,
        status: str = "completed",
        run: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new message at the end of the thread (its ``file_search`` attachments' files go
        into the thread's vector store)."""
        if attachments:
            check_attachments(self.library, attachments, "")
            attach_to_thread(
                self.library, self.store, self.thread(thread_id), attachments, objects.new_id
            )
        return objects.add_message(
            self.store,
            thread_id,
            role,
            content,
            attachments,
            metadata,
            now=self.now(),
            status=status,
            run=run,
        )

    def delete_thread(self, thread_id: str) -> bool:
        """Delete a thread with everything in it; its running runs stop first."""
        for run in self.store.all("run", thread_id=thread_id):
            task = self._tasks.pop(run["id"], None)
            if task is not None:
                task.cancel()
            elif self.leases is not None and run["status"] in ACTIVE:
                self.leases.notify_cancel(run["id"])  # executed by another server
            self.listeners.close(run["id"])
        return self.store.delete("thread", thread_id)

    def unlisten(self, run_id: str, queue: asyncio.Queue[Event | None]) -> None:
        """A streaming client went away; the run goes on."""
        self.listeners.unlisten(run_id, queue)

    # the task

    def _refuse_when_stopping(self) -> None:
        if self._stopping:
            raise RequestError(
                "The server is shutting down and starts no more runs; try again shortly.",
                status=503,
                error_type="server_error",
            )

    def _start(self, run_id: str, *, claimed: bool = False) -> None:
        """Execute the run in a task here (with leases: once this server holds it)."""
        if self.leases is not None and not claimed and not self.leases.claim(run_id):
            return  # a live server holds it and executes it
        task = asyncio.get_running_loop().create_task(self._execute(run_id), name=run_id)
        self._tasks[run_id] = task
        task.add_done_callback(lambda done: self._forget(run_id, done))

    def _forget(self, run_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(run_id) is task:
            del self._tasks[run_id]
            self._cancelled.discard(run_id)

    async def _execute(self, run_id: str) -> None:
        try:
            run = self.store.get("run", run_id)
            if run is None:
                return
            if run["started_at"] is None and self.backend.queue_delay:
                await asyncio.sleep(self.backend.queue_delay)
                run = self.store.get("run", run_id)
            if run is None or run["status"] != "queued":
                return
            started = {"status": "in_progress", "started_at": run["started_at"] or self.now()}
            run = self.store.patch("run", run_id, started, statuses=("queued",))
            if run is None:
                return
            self.listeners.emit(run_id, "thread.run.in_progress", run)
            await self._turns.take(run)
        except asyncio.CancelledError:
            if run_id in self._lost:  # another server took it over: its outcome is theirs
                return
            try:
                run = self.store.get("run", run_id)
            except StorageError as exc:
                log.warning("run %s could not be ended: %s", run_id, exc)
                self.listeners.close(run_id)
                return
            if run is not None and run["status"] not in TERMINAL:
                if run["status"] == "cancelling" or run_id in self._cancelled:
                    self._finish_interrupted(run, "cancelled", None)
                else:
                    self._finish_interrupted(run, "failed", STOPPED_MESSAGE)
        except BackendError as exc:
            self._fail(run_id, exc.code, exc.message)
        except StorageError as exc:
            log.warning("run %s failed: %s", run_id, exc)
            self._fail(run_id, "server_error", STORAGE_FAILED.format(error=exc))
        except Exception:  # a bug must fail the run, not leave it in_progress forever
            log.exception("run %s failed inside the server", run_id)
            self._fail(run_id, "server_error", "The server had an error while running this run.")
        finally:
            self._lost.discard(run_id)
            if self.leases is not None:
                self._release(run_id)

    def _release(self, run_id: str) -> None:
        """This server is done with the run; a cancel from another server that came as the
        run ended (its answer then no longer written) ends it ``cancelled``."""
        try:
            if self.leases.release(run_id) == "cancelling":
                run = self.store.get("run", run_id)
                if run is not None and run["status"] == "cancelling":
                    self._finish_interrupted(run, "cancelled", None)
        except StorageError:
            pass  # the lease runs out on its own; another server ends the run then

    def _fail(self, run_id: str, code: str, message: str) -> None:
        try:
            run = self.store.get("run", run_id)
        except StorageError as exc:  # not even readable: its streams end, a restart fails it
            log.warning("run %s could not be ended: %s", run_id, exc)
            self.listeners.close(run_id)
            return
        if run is not None and run["status"] not in TERMINAL:
            self._finish_interrupted(run, "failed", message, code=code)

    def _finish_interrupted(
        self, run: dict[str, Any], status: str, error: str | None, *, code: str = "server_error"
    ) -> None:
        """End a run early: ``cancelled``, ``failed`` or ``expired``, with its open parts."""
        now = self.now()
        stamp = {"cancelled": "cancelled_at", "failed": "failed_at", "expired": None}[status]
        fields: dict[str, Any] = {
            "status": status,
            "expires_at": None if status != "expired" else run["expires_at"],
            "required_action": None,
        }
        if stamp:
            fields[stamp] = now
        if error is not None:
            fields["last_error"] = {"code": code, "message": error}
        try:
            ended = self.store.patch("run", run["id"], fields, statuses=ACTIVE)
        except StorageError as exc:  # answered from memory until the store takes it
            log.warning("run %s is %s, kept in memory only: %s", run["id"], status, exc)
            self._unstored_ends[run["id"]] = fields
            self.listeners.emit(run["id"], f"thread.run.{status}", {**run, **fields})
            self.listeners.close(run["id"])
            return
        if ended is None:  # already in a final status: it never changes again
            self.listeners.close(run["id"])
            return
        self._unstored_ends.pop(run["id"], None)
        try:
            self._end_open_parts(ended, now)
        except StorageError as exc:  # the run has ended; its parts stay as they were
            log.warning("run %s: its open message or step could not be ended: %s", run["id"], exc)
        self.listeners.emit(run["id"], f"thread.run.{status}", ended)
        self.listeners.close(run["id"])

    def _end_open_parts(self, run: dict[str, Any], now: int) -> None:
        """The ended run's message ``incomplete``, its open steps ended like the run."""
        status = run["status"]
        reason = {"cancelled": "run_cancelled", "failed": "run_failed", "expired": "run_expired"}
        for message in self.store.all("message", run_id=run["id"], statuses=("in_progress",)):
            self.store.patch(
                "message",
                message["id"],
                {
                    "status": "incomplete",
                    "incomplete_details": {"reason": reason[status]},
                    "incomplete_at": now,
                },
                statuses=("in_progress",),
            )
        step_stamp = {"cancelled": "cancelled_at", "failed": "failed_at"}.get(status, "expired_at")
        for step in self.store.all("step", run_id=run["id"], statuses=("in_progress",)):
            step_fields = {"status": status, step_stamp: now}
            if run.get("last_error") is not None:
                step_fields["last_error"] = run["last_error"]
            self.store.patch("step", step["id"], step_fields, statuses=("in_progress",))
