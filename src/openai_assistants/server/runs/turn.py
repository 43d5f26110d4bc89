"""One turn of a run: a model call, and what its answer makes of the run.

The backend's answer arrives as text deltas, tool-call deltas, usage and the finish reason.
Text becomes the assistant's message (with its ``message_creation`` step), streamed as
``thread.message.delta`` events; tool calls become a ``tool_calls`` step, created empty at the
first call and filled by ``thread.run.step.delta`` events as the calls arrive (so a streaming
client sees each call created, its arguments growing, and done), and leave the run
``requires_action`` until the client submits their outputs. An answer with neither is an
empty message. A step's ``usage`` is reported when it completes.

As the API defines them:

- ``max_completion_tokens`` and ``max_prompt_tokens`` are budgets of the whole run: each model
  call may use what the run's earlier calls left; a run with nothing left ends ``incomplete``.
- A model cut off by its token limit (``finish_reason: length``) leaves the run and its
  message ``incomplete``; tool calls it was writing are not handed to the client (their
  arguments would be cut-off JSON): their step fails.
- ``parallel_tool_calls: false``: at most one tool call per step, whatever the model returns.
- ``truncation_strategy`` ``auto``: the oldest thread messages are left out to keep the prompt
  within the model's context (``--model-context-tokens``) and the prompt budget; when the
  endpoint still answers that the prompt is too long, the call is made again with fewer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..backends import (
    Backend,
    ContextLengthError,
    Finish,
    ModelRequest,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from ..store import StorageError, Store
from ..validation import text_part
from . import file_search
from .context_fit import prompt_budget, smaller_budget
from .events import Listeners
from .model_request import model_request
from .objects import add_message, new_id
from .pacing import Pacer
from .steps import add_usage, new_step, usage_of
from .tools import load_transcript, save_transcript, tool_calls_step_details

# a step's final status when its run ended while the step was made, and that status' stamp
log = logging.getLogger("openai_assistants.server")
_STEP_END = {"cancelled": "cancelled_at", "failed": "failed_at", "expired": "expired_at"}
FIT_ATTEMPTS = 6  # model calls a turn makes at most to fit a prompt the endpoint finds too long
CUT_OFF_CALL = (
    "The model's answer reached its token limit while writing this step's tool calls; "
    "cut-off calls are not made. Raise max_completion_tokens or the model's output limit."
)


@dataclass
class Answer:
    """What a model call has answered so far."""

    message: dict[str, Any] | None = None
    message_step: dict[str, Any] | None = None
    text: list[str] = field(default_factory=list)
    tool_step: dict[str, Any] | None = None
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)  # by the model's index
    searches: dict[int, dict[str, Any]] = field(default_factory=dict)  # file_search calls
    usage: Usage | None = None
    finish: str | None = None
    search_step: dict[str, Any] | None = None
    started: bool = False  # the endpoint began to answer (no more retries then)
    citing: file_search.StreamedCitations | None = None  # the reply's markers as they come
    streamed: bool = False  # a text delta was sent


class Turns:
    """Takes the turns of runs: reads the model's answer, writes messages, steps, the run."""

    def __init__(
        self, store: Store, backend: Backend, listeners: Listeners, now: Callable[[], int]
    ) -> None:
        self.store = store
        self.backend = backend
        self.listeners = listeners
        self.now = now
        self.library: Any = None  # files and vector stores, for file_search

    async def take(self, run: dict[str, Any]) -> None:
        """Model calls until the run ends or waits for the client: a ``file_search`` call
        is answered here, and the model is called again with its results."""
        while await self._take_one(run):
            current = self.store.get("run", run["id"])
            if current is None or current["status"] != "in_progress":
                self.listeners.close(run["id"])
                return
            run = current

    async def _take_one(self, run: dict[str, Any]) -> bool:
        """One model call (or a few, to fit the context) and what it answers; True when the
        run goes on with another model call."""
        run_id = run["id"]
        so_far = load_transcript(self.store, run_id)["usage"]
        used = so_far or {}
        completion_left = _left(run.get("max_completion_tokens"), used.get("completion_tokens"))
        prompt_left = _left(run.get("max_prompt_tokens"), used.get("prompt_tokens"))
        if completion_left is not None and completion_left <= 0:
            self._incomplete(run, "max_completion_tokens", so_far)
            return False
        if prompt_left is not None and prompt_left <= 0:
            self._incomplete(run, "max_prompt_tokens", so_far)
            return False
        context = getattr(self.backend, "context_tokens", None)
        budget = prompt_budget(context, completion_left, prompt_left)
        auto = (run.get("truncation_strategy") or {}).get("type", "auto") == "auto"
        for attempt in range(FIT_ATTEMPTS):
            # read and fitted on a worker thread (a long thread, a message of many parts):
            # the other clients' requests and streams go on meanwhile
            prompt = await asyncio.to_thread(
                model_request,
                self.store,
                self.backend,
                run,
                stream=self.listeners.watched(run_id),
                max_completion_tokens=completion_left,
                prompt_budget=budget if auto else None,
                library=self.library,
            )
            answer = Answer()
            try:
                await self._read(run, prompt.request, answer)
            except ContextLengthError as exc:
                last = attempt == FIT_ATTEMPTS - 1
                if answer.started or not auto or last or prompt.kept <= 1:
                    raise
                known = exc.context_tokens or context
                budget = smaller_budget(prompt.request.messages, budget, known)
                continue
            break
        searched = None
        if answer.searches and answer.finish != "length":
            searched = await self._search(run, prompt, answer)
        return self._conclude(run, prompt.transcript, answer, searched)

    async def _search(self, run: dict[str, Any], prompt: Any, answer: Answer) -> list[Any]:
        """Run the model's ``file_search`` calls: the tool messages (call ID, text) for the
        model, and a completed ``tool_calls`` step with the ``file_search`` calls."""
        tool = file_search.search_tool(run) or {"type": file_search.TOOL_NAME}
        transcript = prompt.transcript
        options = file_search.ranking_options(tool)
        limit = file_search.max_results(tool)
        store_ids = file_search.vector_store_ids(self.store, run)
        fallback = _last_user_text(prompt.request.messages)
        sources = transcript.setdefault("sources", {})
        outputs = []
        step_calls = []
        for call in sorted(answer.searches.values(), key=lambda c: c["position"]):
            queries = file_search.queries_of(call["arguments"], fallback)
            results: list[dict[str, Any]] = []
            if self.library is not None and store_ids and queries:
                await self.library.wait_ready(store_ids)
                results = await self.library.search(
                    store_ids,
                    queries,
                    max_num_results=limit,
                    score_threshold=options["score_threshold"],
                    ranker=options["ranker"],
                )
            number = transcript.get("searches", 0)
            transcript["searches"] = number + 1
            text, named = file_search.results_message(number, results)
            sources.update(named)
            outputs.append((call["id"], text))
            step_calls.append(file_search.step_call(call["id"], options, results))
        step = new_step(
            self.store, run, {"type": "tool_calls", "tool_calls": step_calls}, self.now()
        )
        shown = file_search.public_step(step, ())
        self.listeners.emit(run["id"], "thread.run.step.created", shown, step)
        self.listeners.emit(run["id"], "thread.run.step.in_progress", shown, step)
        answer.search_step = step
        return outputs

    async def _read(self, run: dict[str, Any], request: ModelRequest, answer: Answer) -> None:
        """The model's answer as it arrives, streamed to the run's listeners."""
        try:
            await self._read_chunks(run, request, answer)
        except BaseException:  # cancelled, failed: the message keeps what was streamed
            self._keep_written(answer)
            raise

    async def _read_chunks(
        self, run: dict[str, Any], request: ModelRequest, answer: Answer
    ) -> None:
        single = run.get("parallel_tool_calls") is False
        pacer = Pacer()
        async for chunk in self.backend.respond(request):
            await pacer.pause()  # a long answer that arrives at once holds no other client
            answer.started = True
            if isinstance(chunk, TextDelta):
                self._text(run, answer, chunk.text)
            elif isinstance(chunk, ToolCallDelta):
                if answer.citing is not None:  # the text ends where the calls begin: what
                    # was held as a possible marker comes before the calls' steps, as the
                    # API streams it (a later piece of text would still be cited)
                    self._text_delta(run, answer, answer.citing.flush())
                known = chunk.index in answer.calls or chunk.index in answer.searches
                if single and (answer.calls or answer.searches) and not known:
                    continue  # parallel_tool_calls false: the first call only
                if chunk.index in answer.searches or (
                    not known and self._is_search(run, chunk.name)
                ):
                    self._search_call(answer, chunk)
                    continue
                self._tool_call(run, answer, chunk)
            elif isinstance(chunk, Usage):
                answer.usage = chunk
            elif isinstance(chunk, Finish):
                answer.finish = chunk.reason
        if answer.citing is not None:  # the end of the text: nothing can complete a marker
            self._text_delta(run, answer, answer.citing.flush())

    def _text(self, run: dict[str, Any], answer: Answer, text: str) -> None:
        """A piece of the reply, streamed as a ``thread.message.delta``; a citation marker
        it completes comes with its ``file_citation`` annotation (see
        :class:`file_search.StreamedCitations`)."""
        if answer.message is None:
            answer.message_step, answer.message = self._start_message(run)
        if answer.citing is None:  # the sources this reply can cite: the earlier searches'
            sources = {}
            if file_search.search_tool(run) is not None:
                sources = load_transcript(self.store, run["id"]).get("sources") or {}
            answer.citing = file_search.StreamedCitations(sources)
        answer.text.append(text)
        self._text_delta(run, answer, *answer.citing.feed(text))

    def _text_delta(
        self,
        run: dict[str, Any],
        answer: Answer,
        text: str,
        annotations: list[dict[str, Any]] | None = None,
    ) -> None:
        if answer.message is None or not (text or annotations):
            return
        part: dict[str, Any] = {"value": text}
        if annotations or not answer.streamed:
            part["annotations"] = annotations or []
        answer.streamed = True
        self.listeners.emit(
            run["id"],
            "thread.message.delta",
            {
                "id": answer.message["id"],
                "object": "thread.message.delta",
                "delta": {"content": [{"index": 0, "type": "text", "text": part}]},
            },
        )

    @staticmethod
    def _is_search(run: dict[str, Any], name: str | None) -> bool:
        return name == file_search.TOOL_NAME and file_search.search_tool(run) is not None

    @staticmethod
    def _search_call(answer: Answer, chunk: ToolCallDelta) -> None:
        """A piece of a ``file_search`` call: the server answers it, so nothing is streamed
        until its step is made with the results."""
        call = answer.searches.get(chunk.index)
        if call is None:
            call = {
                "position": len(answer.searches),
                "id": chunk.id or new_id("call"),
                "arguments": "",
            }
            answer.searches[chunk.index] = call
        call["arguments"] += chunk.arguments

    def _tool_call(self, run: dict[str, Any], answer: Answer, chunk: ToolCallDelta) -> None:
        """A piece of a tool call: the step (created empty at the first call) grows by a
        ``thread.run.step.delta``; a call's ID and name are sent once, at its start (the SDK
        joins repeated strings)."""
        if answer.tool_step is None:
            answer.tool_step = new_step(
                self.store, run, {"type": "tool_calls", "tool_calls": []}, self.now()
            )
            self.listeners.emit(run["id"], "thread.run.step.created", answer.tool_step)
            self.listeners.emit(run["id"], "thread.run.step.in_progress", answer.tool_step)
        call = answer.calls.get(chunk.index)
        if call is None:
            call = {
                "position": len(answer.calls),
                "id": chunk.id or new_id("call"),
                "name": chunk.name or "",
                "arguments": "",
            }
            answer.calls[chunk.index] = call
            delta: dict[str, Any] = {
                "index": call["position"],
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": chunk.arguments},
            }
        else:
            if chunk.name and not call["name"]:
                call["name"] = chunk.name
            # "type" in every piece: the SDK tells the kinds of tool call deltas by it
            delta = {
                "index": call["position"],
                "type": "function",
                "function": {"arguments": chunk.arguments},
            }
        call["arguments"] += chunk.arguments
        if not chunk.arguments and "id" not in delta:
            return  # nothing new for a client
        self.listeners.emit(
            run["id"],
            "thread.run.step.delta",
            {
                "id": answer.tool_step["id"],
                "object": "thread.run.step.delta",
                "delta": {"step_details": {"type": "tool_calls", "tool_calls": [delta]}},
            },
        )

    def _conclude(
        self,
        run: dict[str, Any],
        transcript: dict[str, Any],
        answer: Answer,
        searched: list[Any] | None = None,
    ) -> bool:
        """The answer is complete: finish its message and steps, and the run or its turn;
        True when the run goes on with the results of its ``file_search`` calls."""
        run_id = run["id"]
        emit = self.listeners.emit
        step_usage = usage_of(answer.usage)
        transcript["usage"] = add_usage(transcript["usage"], step_usage)
        now = self.now()
        current = self.store.get("run", run_id)
        if current is None or current["status"] != "in_progress":  # ended meanwhile
            if current is not None and answer.search_step is not None:
                ended = {"cancelling": "cancelled"}.get(current["status"], current["status"])
                ended = ended if ended in _STEP_END else "failed"
                self._save("step", answer.search_step, status=ended, **{_STEP_END[ended]: now})
            self.listeners.close(run_id)
            return False
        cut_off = answer.finish == "length"
        if answer.message is None and not answer.calls and not cut_off and not searched:
            answer.message_step, answer.message = self._start_message(run)
        if answer.message is not None and answer.message_step is not None:
            content = _written(answer)
            if cut_off:
                message = self._save(
                    "message",
                    answer.message,
                    status="incomplete",
                    incomplete_at=now,
                    incomplete_details={"reason": "max_tokens"},
                    content=content,
                )
            else:
                message = self._save(
                    "message", answer.message, status="completed", completed_at=now, content=content
                )
            emit(run_id, f"thread.message.{message['status']}", message)
            step = self._save(
                "step", answer.message_step, status="completed", completed_at=now, usage=step_usage
            )
            emit(run_id, "thread.run.step.completed", step)
        tool_step = answer.tool_step
        if tool_step is not None and cut_off:
            tool_step = self._save(
                "step",
                tool_step,
                status="failed",
                failed_at=now,
                last_error={"code": "server_error", "message": CUT_OFF_CALL},
                usage=step_usage if answer.message is None else None,
            )
            emit(run_id, "thread.run.step.failed", tool_step)
        usage_left = step_usage if answer.message is None else None
        if searched and answer.search_step is not None:
            search_step = self._save(
                "step", answer.search_step, status="completed", completed_at=now, usage=usage_left
            )
            usage_left = None  # reported once, by the first step that completes
            shown = file_search.public_step(search_step, ())
            emit(run_id, "thread.run.step.completed", shown, search_step)
        searches = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": file_search.TOOL_NAME, "arguments": call["arguments"]},
            }
            for call in sorted(answer.searches.values(), key=lambda c: c["position"])
        ]
        if searched and not (tool_step is not None and not cut_off):
            turn: dict[str, Any] = {"role": "assistant", "tool_calls": searches}
            turn["content"] = "".join(answer.text) if answer.text else None
            transcript["turns"].append(turn)
            for call_id, output in searched:
                transcript["turns"].append(
                    {"role": "tool", "tool_call_id": call_id, "content": output}
                )
            save_transcript(self.store, run, transcript)
            return True
        if tool_step is not None and not cut_off:
            tool_calls = [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": call["name"], "arguments": call["arguments"]},
                }
                for call in sorted(answer.calls.values(), key=lambda c: c["position"])
            ]
            turn = {"role": "assistant", "tool_calls": (searches if searched else []) + tool_calls}
            turn["content"] = "".join(answer.text) if answer.text else None
            transcript["turns"].append(turn)
            for call_id, output in searched or []:
                transcript["turns"].append(
                    {"role": "tool", "tool_call_id": call_id, "content": output}
                )
            # the step's usage, reported when its outputs complete it
            transcript["step_usage"] = usage_left
            save_transcript(self.store, run, transcript)
            self._save("step", tool_step, step_details=tool_calls_step_details(tool_calls))
            self._end(
                run_id,
                "thread.run.requires_action",
                status="requires_action",
                required_action={
                    "type": "submit_tool_outputs",
                    "submit_tool_outputs": {"tool_calls": tool_calls},
                },
                usage=None,
            )
            return False
        if cut_off:
            if tool_step is not None:
                save_transcript(self.store, run, transcript)
            self._incomplete(run, "max_completion_tokens", transcript["usage"])
            return False
        self._end(
            run_id,
            "thread.run.completed",
            status="completed",
            completed_at=now,
            expires_at=None,
            usage=transcript["usage"],
        )
        return False

    def _incomplete(self, run: dict[str, Any], reason: str, usage: dict[str, int] | None) -> None:
        """The run ends ``incomplete``: a token budget of the run is spent."""
        self._end(
            run["id"],
            "thread.run.incomplete",
            status="incomplete",
            incomplete_details={"reason": reason},
            required_action=None,
            expires_at=None,
            usage=usage,
        )

    def _keep_written(self, answer: Answer) -> None:
        """A reply cut off by a cancel or a failure keeps the text its clients were sent (the
        run's end marks the message ``incomplete``, before or after this)."""
        if answer.message is None or not answer.text:
            return
        try:
            self.store.patch(
                "message",
                answer.message["id"],
                {"content": _written(answer)},
                statuses=("in_progress", "incomplete"),
            )
        except StorageError as exc:
            log.warning(
                "message %s: its text so far could not be kept: %s", answer.message["id"], exc
            )

    def _save(self, kind: str, obj: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """Write back only the fields the run owns (metadata a client set meanwhile stays),
        only while the object is ``in_progress`` (an ended one never changes again); the
        object as it is now."""
        saved = self.store.patch(kind, obj["id"], fields, statuses=("in_progress",))
        return saved or {**obj, **fields}

    def _end(self, run_id: str, event: str, **fields: Any) -> None:
        """The run's outcome, unless the run is no longer ``in_progress`` (ended elsewhere)."""
        run = self.store.patch("run", run_id, fields, statuses=("in_progress",))
        if run is not None:
            self.listeners.emit(run_id, event, run)
        self.listeners.close(run_id)

    def _start_message(self, run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The assistant's message (in progress) and its ``message_creation`` step."""
        message = add_message(
            self.store,
            run["thread_id"],
            "assistant",
            [],
            None,
            None,
            now=self.now(),
            status="in_progress",
            run=run,
        )
        step = new_step(
            self.store,
            run,
            {"type": "message_creation", "message_creation": {"message_id": message["id"]}},
            self.now(),
        )
        emit = self.listeners.emit
        emit(run["id"], "thread.run.step.created", step)
        emit(run["id"], "thread.run.step.in_progress", step)
        emit(run["id"], "thread.message.created", message)
        emit(run["id"], "thread.message.in_progress", message)
        return step, message


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    """The last user message's text (what a search call without queries looks for)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""


def _left(budget: Any, used: Any) -> int | None:
    """What is left of a run's token budget (None: the run set none)."""
    if not isinstance(budget, int):
        return None
    return budget - (used if isinstance(used, int) else 0)


def _written(answer: Answer) -> list[dict[str, Any]]:
    """The reply's content: its text with the citations of the sources it was streamed with
    (not this turn's new search results, which the model had not seen), so the message has
    the annotations its stream had."""
    content = [text_part("".join(answer.text))]
    if answer.citing is not None and answer.citing.sources:
        content[0]["text"]["annotations"] = file_search.citations(
            content[0]["text"]["value"], answer.citing.sources
        )
    return content
