"""The README's main job: the whole node chain against the embedded sandbox, step by step.

Create Assistant (with a function tool) -> Create Thread -> Create Message -> Create Run
(wait) -> the run requires action -> Submit Tool Outputs to Run (wait) -> List Messages
(Structured: the reply one cell away). Every step is the engine's
:func:`~openai_assistants.engine.execute_operation`, the path every KNIME node and CLI
subcommand takes, against a sandbox on a free loopback port with a throwaway key in a private
environment mapping: no network, no real key, no money. Given a Chat Completions model
(``demo --model-base-url``), the same server answers with that model instead of the echo;
a model that answers without calling the tool skips the tool-output step. A model's run is
given a token limit (``max_completion_tokens``, the API's smallest) so that a slow local model
ends in bounded time, and the demo waits at most ``max_wait`` seconds for a run: when it gives
up, it cancels the run before its server stops, and says so (:class:`DemoGaveUpError`), since
a run in the demo's own server does not go on without it.

The document step (``documents=True``, as ``demo`` runs it) answers from the user's own
files: Upload File (a small guide shipped with the package) -> Create Vector Store (wait
until ingested) -> Create Assistant with ``file_search`` -> Create Thread and Run (wait) on
a question whose answer is only in the guide -> List Messages (the reply with its
``file_citation``) -> List Run Steps with ``include[]`` (the passage the search found).
Offline, the echo searches with the question and cites the best result.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import operations
from ..client.client import ApiClient
from ..client.connection import DEFAULT_API_KEY_ENV, ConnectionConfig
from ..engine.execute import (
    CallInput,
    CallSettings,
    OperationOptions,
    OperationOutcome,
    execute_operation,
)
from ..engine.run_polling import WaitOptions
from ..errors import ResponseFormatError, RunWaitTimeoutError
from ..server.backends import Backend
from ..server.backends.chat_completions import ChatCompletionsBackend
from ..tables.results import ResultFormat
from .server import start_sandbox

if TYPE_CHECKING:
    import pyarrow as pa

DEFAULT_MESSAGE = "Hello from KNIME!"
DEFAULT_MAX_WAIT = 120.0  # seconds the demo waits for a run (--max-wait)
POLL_INTERVAL = 0.05
# A model's runs: the API's smallest max_completion_tokens, room for a tool call and a short
# answer, and a bound on how long a slow local model writes
MODEL_MAX_COMPLETION_TOKENS = 256
TOOL_NAME = "count_words"
FUNCTION_TOOL = {
    "type": "function",
    "function": {
        "name": TOOL_NAME,
        "description": "Count the words of a text. Call it once with the user's message.",
        "parameters": {
            "type": "object",
            "properties": {"text": {"type": "string", "description": "the text to count"}},
            "required": ["text"],
        },
    },
}


DOCUMENT = "port-lune-guide.md"  # in openai_assistants.sandbox.documents
DOCUMENT_QUESTION = "Who is the keeper of the Port Lune lighthouse?"
INCLUDE_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"


@dataclass(frozen=True)
class DemoStep:
    """One node of the chain: its name, what it made, and its output table."""

    node: str
    summary: str
    outcome: OperationOutcome


@dataclass(frozen=True)
class DocumentAnswer:
    """The document step: the question, the reply, what it cites and the passage found."""

    question: str
    reply: str
    citations: tuple[tuple[str, str], ...]  # (file name, file ID) of each file_citation
    passage: str  # the best search result's text (List Run Steps with include[])
    steps: tuple[DemoStep, ...]


@dataclass(frozen=True)
class DemoResult:
    """Everything the demo did, for the command line to print."""

    base_url: str
    assistant_id: str
    thread_id: str
    outcome: OperationOutcome  # the Create Run node's output (after waiting)
    run_id: str
    statuses: tuple[str, ...]  # the run's status after each waiting step, in order
    reply: str
    steps: tuple[DemoStep, ...] = field(default=())
    # the Assistant Prompter's table: the questions' table with the answer columns appended
    answers: pa.Table | None = None
    document: DocumentAnswer | None = None  # the document step, when it was asked for


PROMPTER_QUESTIONS = (  # the demo's table of questions for the Assistant Prompter
    ("Which port brings the configuration?", "setup"),
    ("What does one row become?", "rows"),
    ("Where does the answer go?", "rows"),
)


class DemoGaveUpError(RunWaitTimeoutError):
    """The demo stopped waiting for a run, cancelled it, and stops its server."""


def model_backend(base_url: str, api_key_env: str | None) -> ChatCompletionsBackend:
    """A Chat Completions model for the demo's server; the key from the named variable."""
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env, "").strip()
        if not api_key:
            raise ValueError(
                f"--model-api-key-env: the environment variable {api_key_env} is empty"
            )
    try:
        return ChatCompletionsBackend(base_url, api_key=api_key, timeout=120.0)
    except ValueError as exc:
        raise ValueError(f"--model-base-url: {exc}") from None


def run_demo(
    message: str = DEFAULT_MESSAGE,
    run_duration: float = 0.3,
    *,
    model: Backend | None = None,
    model_name: str = "gpt-4o",
    on_step: Callable[[DemoStep], None] | None = None,
    on_start: Callable[[str], None] | None = None,
    max_wait: float = DEFAULT_MAX_WAIT,
    documents: bool = False,
    on_document_step: Callable[[DemoStep], None] | None = None,
) -> DemoResult:
    """Run the chain on a fresh sandbox through the engine, one step per node.

    With ``model`` (a Chat Completions backend), the same server answers with that model
    instead of the echo: the whole chain is the one a user runs against ``serve``.
    ``on_start`` gets the server's base URL, ``on_step`` each step as it finishes (the
    command line prints them at once). A run not finished within ``max_wait`` seconds is
    cancelled, and :class:`DemoGaveUpError` says so. ``documents``: then the document step
    (file_search over a bundled guide), its steps reported to ``on_document_step``.
    """
    if not max_wait > 0:
        raise ValueError(f"--max-wait must be more than 0 seconds, not {max_wait:g}")
    poll = WaitOptions(poll_interval=POLL_INTERVAL, max_wait=max_wait)
    api_key = f"sk-sandbox-{secrets.token_hex(16)}"  # throwaway: never a real key
    environ = {DEFAULT_API_KEY_ENV: api_key}
    instructions = (
        f"Call {TOOL_NAME} with the user's message, then echo the user."
        if model is None
        else f"Call {TOOL_NAME} with the user's message, then answer in one short sentence."
    )
    steps: list[DemoStep] = []
    with start_sandbox(api_key=api_key, run_duration=run_duration, backend=model) as server:
        config = ConnectionConfig(base_url=server.base_url, timeout=30.0, max_retries=0)
        client = ApiClient.connect(config, environ=environ)  # one client for the whole chain
        if on_start is not None:
            on_start(server.base_url)

        document_steps: list[DemoStep] = []

        def node(
            operation_id: str, summary: Callable[[dict[str, Any]], str], body: Any = None, **kw: Any
        ) -> tuple[dict[str, Any], OperationOutcome]:
            operation = operations.by_id(operation_id)
            query = kw.pop("query", {})
            of_document = kw.pop("document", False)
            options = OperationOptions(result_format=ResultFormat.STRUCTURED, **kw.pop("opts", {}))
            settings = CallSettings(
                path_values=kw,
                query_values=query,
                body=None if body is None else json.dumps(body, indent=2),
            )
            outcome = execute_operation(
                operation, [CallInput("Row0", settings)], client, options=options
            )
            first = outcome.table.slice(0, 1).to_pylist()
            row = first[0] if first else {}
            step = DemoStep(operation.node_name, summary(row), outcome)
            (document_steps if of_document else steps).append(step)
            report = on_document_step if of_document else on_step
            if report is not None:
                report(step)
            return row, outcome

        def waited(operation_id: str, waiting_on: str | None, **kw: Any) -> dict[str, Any]:
            """A node that waits for the run; when the wait runs out, the run is cancelled."""
            try:
                return node(operation_id, opts={"wait": poll}, **kw)[0]
            except RunWaitTimeoutError as exc:
                found = waiting_on or _run_id_of(exc)
                if found is None:
                    raise
                cancelled, _ = node(
                    "cancelRun",
                    lambda r: f"{r['id']} is '{r['status']}'",
                    thread_id=kw["thread_id"],
                    run_id=found,
                )
                raise DemoGaveUpError(
                    f"Gave up waiting for run {found} after {max_wait:g} s (--max-wait): it "
                    f"was cancelled (now '{cancelled.get('status')}'), as the demo's server "
                    "stops with the demo and no run goes on without it. A slow model needs a "
                    "larger --max-wait.",
                    request=exc.request,
                ) from None

        assistant, _ = node(
            "createAssistant",
            lambda r: f"{r['id']} (model {r['model']}, function tool {TOOL_NAME})",
            {
                "model": model_name,
                "name": "KNIME sandbox demo",
                "instructions": instructions,
                "tools": [FUNCTION_TOOL],
            },
        )
        thread, _ = node("createThread", lambda r: str(r["id"]), {})
        node(
            "createMessage",
            lambda r: f"{r['id']}: {r['role']}: {r['text']}",
            {"role": "user", "content": message},
            thread_id=thread["id"],
        )
        body: dict[str, Any] = {"assistant_id": assistant["id"]}
        if model is not None:
            body["max_completion_tokens"] = MODEL_MAX_COMPLETION_TOKENS
        run = waited(
            "createRun",
            None,
            summary=lambda r: f"{r['id']} waited until '{r['status']}'",
            body=body,
            thread_id=thread["id"],
        )
        outcome = steps[-1].outcome
        statuses = [run["status"]]
        if run["status"] == "requires_action":
            outputs = tool_outputs(run)
            run = waited(
                "submitToolOuputsToRun",
                run["id"],
                summary=lambda r: (
                    f"{len(outputs)} output(s) "
                    f"({', '.join(o['output'] for o in outputs)}); {r['id']} waited until "
                    f"'{r['status']}'"
                ),
                body={"tool_outputs": outputs},
                thread_id=thread["id"],
                run_id=run["id"],
            )
            statuses.append(run["status"])
        _, listing = node(  # the chain's answer: what the command line shows
            "listMessages",
            lambda r: "one row per message of the thread, the reply in the 'text' column",
            thread_id=thread["id"],
            query={"order": "asc"},
        )
        messages = listing.table.to_pylist()
        reply = "\n".join(
            m["text"] or ""
            for m in messages
            if m["role"] == "assistant" and m["run_id"] == run["id"]
        )
        helper, _ = node(
            "createAssistant",
            lambda r: f"{r['id']} (no tools) for the Assistant Prompter",
            {"model": model_name, "name": "KNIME prompter demo"},
        )
        answers = _ask_table(client, helper["id"], model is not None, max_wait)
        document = None
        if documents:
            with resources.as_file(resources.files(f"{__package__}.documents") / DOCUMENT) as path:
                document = _document_step(node, path, model, model_name, poll)
            document = DocumentAnswer(**{**document.__dict__, "steps": tuple(document_steps)})
        return DemoResult(
            base_url=server.base_url,
            assistant_id=assistant["id"],
            thread_id=thread["id"],
            outcome=outcome,
            run_id=run["id"],
            statuses=tuple(statuses),
            reply=reply,
            steps=tuple(steps),
            answers=answers,
            document=document,
        )


def _ask_table(client: ApiClient, assistant_id: str, real_model: bool, max_wait: float) -> pa.Table:
    """The one-node workflow: the assistant answers a table of questions, a new thread per
    row, through the Assistant Prompter's core (the node's own path)."""
    import pyarrow as pa

    from ..engine.prompter import prompt_rows
    from ..engine.prompter_plan import PrompterSettings, PromptRow
    from ..tables.prompter_table import with_answers
    from ..tables.results import ROW_ID

    row_ids = [f"Row{n}" for n in range(len(PROMPTER_QUESTIONS))]
    rows = [
        PromptRow(row_id, question)
        for row_id, (question, _) in zip(row_ids, PROMPTER_QUESTIONS, strict=True)
    ]
    settings = PrompterSettings(assistant_id=assistant_id, max_wait=max_wait)
    if real_model:
        settings = replace(settings, instructions="Answer in one short sentence.")
    outcome = prompt_rows(rows, settings, client, input_columns=["question", "topic"])
    table = pa.table(
        {
            ROW_ID: row_ids,
            "question": [question for question, _ in PROMPTER_QUESTIONS],
            "topic": [topic for _, topic in PROMPTER_QUESTIONS],
        }
    )
    return with_answers(table, outcome)


def _document_step(
    node: Any, path: Any, model: Backend | None, model_name: str, poll: WaitOptions
) -> DocumentAnswer:
    """Upload the guide, make its vector store and a file_search assistant, ask, read."""
    file, _ = node(
        "createFile",
        lambda r: f"{r['id']} ({r['filename']}, {r['bytes']} bytes)",
        {"file": str(path), "purpose": "assistants"},
        document=True,
    )
    store, _ = node(
        "createVectorStore",
        lambda r: f"{r['id']} '{r['status']}' (its file ingested and indexed)",
        {"name": "Port Lune guide", "file_ids": [file["id"]]},
        opts={"wait": poll},
        document=True,
    )
    assistant, _ = node(
        "createAssistant",
        lambda r: f"{r['id']} with file_search over {store['id']}",
        {
            "model": model_name,
            "name": "KNIME document demo",
            "instructions": "Answer from the user's files, citing them.",
            "tools": [{"type": "file_search"}],
            "tool_resources": {"file_search": {"vector_store_ids": [store["id"]]}},
        },
        document=True,
    )
    body: dict[str, Any] = {
        "assistant_id": assistant["id"],
        "thread": {"messages": [{"role": "user", "content": DOCUMENT_QUESTION}]},
    }
    if model is not None:
        body["max_completion_tokens"] = MODEL_MAX_COMPLETION_TOKENS
    run, _ = node(
        "createThreadAndRun",
        lambda r: f"{r['id']} waited until '{r['status']}'",
        body,
        opts={"wait": poll},
        document=True,
    )
    _, listing = node(
        "listMessages",
        lambda r: "the reply, its citations in the 'content' column",
        thread_id=run["thread_id"],
        query={"order": "desc", "limit": 1},
        document=True,
    )
    (reply,) = listing.table.to_pylist() or [{"text": "", "content": "[]"}]
    citations = []
    for part in json.loads(reply.get("content") or "[]"):
        for note in (part.get("text") or {}).get("annotations") or []:
            if note.get("type") == "file_citation":
                file_name = note["text"].split("\u2020", 1)[-1].rstrip("\u3011")
                citations.append((file_name, note["file_citation"]["file_id"]))
    _, listed = node(
        "listRunSteps",
        lambda r: "the search and its results' text (include[])",
        thread_id=run["thread_id"],
        run_id=run["id"],
        query={"include": [INCLUDE_CONTENT], "order": "asc"},
        document=True,
    )
    passage = ""
    for step in listed.table.to_pylist():
        details = json.loads(step.get("step_details") or "{}")
        for call in details.get("tool_calls") or []:
            results = (call.get("file_search") or {}).get("results") or []
            if results and not passage:
                passage = " ".join(c.get("text", "") for c in results[0].get("content") or [])
    return DocumentAnswer(
        question=DOCUMENT_QUESTION,
        reply=reply.get("text") or "",
        citations=tuple(citations),
        passage=quote(passage, DOCUMENT_QUESTION),
        steps=(),
    )


def quote(passage: str, question: str, sentences: int = 2) -> str:
    """The sentence of a passage that shares the most words (of four letters or more) with
    the question, and the one after it: the place a reader looks for the answer."""
    words = {w for w in re.findall(r"\w+", question.lower()) if len(w) > 3}
    prose = " ".join(
        line for line in passage.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )
    found = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(prose.split())) if s]
    if not found:
        return ""
    best = max(
        range(len(found)),
        key=lambda i: (len(words & set(re.findall(r"\w+", found[i].lower()))), -i),
    )
    return " ".join(found[best : best + sentences])


def _run_id_of(exc: RunWaitTimeoutError) -> str | None:
    """The run a wait gave up on: the last segment of its poll's path."""
    path = urlsplit(exc.request.url).path if exc.request is not None else ""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last if last.startswith("run_") else None


def tool_outputs(run: Mapping[str, Any]) -> list[dict[str, str]]:
    """Answer every function call of a run that requires action: the word count of its text."""
    action = json.loads(run.get("required_action") or "null") or {}
    calls = action.get("submit_tool_outputs", {}).get("tool_calls", [])
    outputs = []
    for call in calls:
        try:
            arguments = json.loads(call.get("function", {}).get("arguments") or "{}")
        except ValueError:
            arguments = {}
        if not isinstance(arguments, dict):
            arguments = {}
        text = arguments.get("text") or arguments.get("input") or ""
        words = len(str(text).split())
        outputs.append({"tool_call_id": call["id"], "output": f"{words} words"})
    if not outputs:
        raise ResponseFormatError(
            f"Run {run.get('id')} requires action but names no tool call to answer."
        )
    return outputs
