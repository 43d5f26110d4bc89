"""The ``file_search`` tool inside runs: offered to the model, run by the server, cited back.

Chat Completions models know only function tools, so a run with ``file_search`` offers the
model a function named ``file_search`` that takes ``queries`` (a list of strings). The server
answers that call itself (the client never sees it as ``requires_action``): it searches the
run's vector stores (the assistant's and the thread's) with the tool's ``max_num_results`` and
``ranking_options``, and gives the model the results as a tool message in which every result
starts with a marker ``【n:m†filename】`` (``n``: the run's search, ``m``: the result). A system
note tells the model to cite with those markers; markers in the reply become the message's
``file_citation`` annotations, as the hosted API's answers carry them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..store import Store

TOOL_NAME = "file_search"
MAX_SEARCHES = 5  # file_search calls a run makes at most; then the model must answer
DEFAULT_MAX_RESULTS = 20  # the API's default for gpt-4* models
CONTENT_INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"
MARKER = re.compile(r"【(\d+):(\d+)†([^【】]*)】")  # a name holds no 【: one marker each
CITE_NOTE = (
    "You can search the user's files with the file_search tool. Each result it returns starts "
    "with a source marker such as 【0:0†notes.txt】. When your answer uses a result, cite it "
    "by copying its marker exactly, right after the statement it supports."
)
NO_RESULTS = "No results found in the files for these queries."


def search_tool(run: dict[str, Any]) -> dict[str, Any] | None:
    """The run's ``file_search`` tool, if it has one."""
    for tool in run.get("tools") or []:
        if isinstance(tool, dict) and tool.get("type") == TOOL_NAME:
            return tool
    return None


def chat_tool() -> dict[str, Any]:
    """``file_search`` as the Chat Completions function the model is offered."""
    return {
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": (
                "Search the user's uploaded files. Give one or more search queries; the "
                "results are passages of the files, each with a source marker to cite."
            ),
            "parameters": {
                "type": "object",
                "properties": {
                    "queries": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Search queries, each a few words or a question.",
                    }
                },
                "required": ["queries"],
            },
        },
    }


def chat_tool_choice(choice: Any) -> Any:
    """The run's ``tool_choice`` in Chat Completions terms (``{"type": "file_search"}`` is
    the function of that name)."""
    if isinstance(choice, dict) and choice.get("type") == TOOL_NAME:
        return {"type": "function", "function": {"name": TOOL_NAME}}
    return choice


def vector_store_ids(store: Store, run: dict[str, Any]) -> list[str]:
    """The vector stores a run searches: its assistant's, then its thread's."""
    ids: list[str] = []
    for kind, key in (("assistant", run["assistant_id"]), ("thread", run["thread_id"])):
        owner = store.get(kind, key) or {}
        resources = (owner.get("tool_resources") or {}).get(TOOL_NAME) or {}
        for vector_store_id in resources.get("vector_store_ids") or []:
            if vector_store_id not in ids:
                ids.append(vector_store_id)
    return ids


def queries_of(arguments: str, fallback: str) -> list[str]:
    """The call's queries; a model that wrote a single ``query`` or broken JSON still
    searches (with what it wrote, or the user's last message)."""
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        parsed = None
    found: list[str] = []
    if isinstance(parsed, dict):
        value = parsed.get("queries", parsed.get("query"))
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            found = [q.strip() for q in value if isinstance(q, str) and q.strip()]
    elif arguments and arguments.strip() and parsed is None:
        found = [arguments.strip()]
    if not found and fallback.strip():
        found = [fallback.strip()]
    return found[:5]


def ranking_options(tool: dict[str, Any]) -> dict[str, Any]:
    """The tool's ranking options as the step reports them (both fields always)."""
    options = (tool.get(TOOL_NAME) or {}).get("ranking_options") or {}
    return {
        "ranker": options.get("ranker") or "auto",
        "score_threshold": float(options.get("score_threshold") or 0.0),
    }


def max_results(tool: dict[str, Any]) -> int:
    value = (tool.get(TOOL_NAME) or {}).get("max_num_results")
    return value if isinstance(value, int) and not isinstance(value, bool) else DEFAULT_MAX_RESULTS


def results_message(number: int, results: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The tool message for the model, and the sources its markers name (``"n:m"`` ->
    file ID and name)."""
    if not results:
        return NO_RESULTS, {}
    sources: dict[str, Any] = {}
    blocks = []
    for m, result in enumerate(results):
        name = result.get("filename") or result["file_id"]
        sources[f"{number}:{m}"] = {"file_id": result["file_id"], "filename": name}
        text = "\n".join(part.get("text", "") for part in result.get("content") or [])
        blocks.append(f"【{number}:{m}†{name}】\n{text}")
    return "\n\n".join(blocks), sources


def step_call(
    call_id: str, options: dict[str, Any], results: list[dict[str, Any]]
) -> dict[str, Any]:
    """The ``file_search`` tool call of a ``tool_calls`` step (with the results' content;
    :func:`public_step` leaves it out unless the request includes it)."""
    return {
        "id": call_id,
        "type": TOOL_NAME,
        TOOL_NAME: {
            "ranking_options": dict(options),
            "results": [
                {
                    "file_id": r["file_id"],
                    "file_name": r.get("filename") or "",
                    "score": r["score"],
                    "content": [
                        {"type": "text", "text": part.get("text", "")}
                        for part in r.get("content") or []
                    ],
                }
                for r in results
            ],
        },
    }


def public_step(step: dict[str, Any], include: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """A step as a client sees it: search results' ``content`` only when asked for with
    ``include[]``."""
    if CONTENT_INCLUDE in include or step.get("type") != "tool_calls":
        return step
    calls = (step.get("step_details") or {}).get("tool_calls") or []
    if not any(call.get("type") == TOOL_NAME for call in calls):
        return step
    shown = []
    for call in calls:
        if call.get("type") == TOOL_NAME:
            search = call.get(TOOL_NAME) or {}
            results = [
                {k: v for k, v in r.items() if k != "content"} for r in search.get("results") or []
            ]
            call = {**call, TOOL_NAME: {**search, "results": results}}
        shown.append(call)
    return {**step, "step_details": {**step["step_details"], "tool_calls": shown}}


def citations(text: str, sources: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``file_citation`` annotations of the markers in a reply that name a result the
    run's searches returned (by ``n:m``, else by file name); other markers stay plain text."""
    by_name = _by_name(sources)
    found = (_citation(match, 0, sources, by_name) for match in MARKER.finditer(text))
    return [annotation for annotation in found if annotation is not None]


class StreamedCitations:
    """The citations of a reply while its text streams in: each ``file_citation`` as soon as
    the delta that completes its marker arrives, with indices into the whole reply.

    A marker may come cut across several deltas, so text that may still become a marker
    (``【0:``, ``【0:0†harb`` at the end of what has arrived) is held back and sent with the
    delta that completes it, as the hosted API sends a marker's text with its annotation;
    anything else goes out at once. A marker that never ends is released after
    :data:`HELD_AT_MOST` characters (its annotation, if it ends after all, still comes with
    its last piece). The markers found are those :func:`citations` finds in the whole text (a
    marker complete in the text so far is one in any longer text), so the streamed
    annotations equal the finished message's.
    """

    HELD_AT_MOST = 512  # characters of a possible marker held back at most

    def __init__(self, sources: dict[str, Any]) -> None:
        self.sources = sources
        self._by_name = _by_name(sources)
        self._tail = ""  # the text from where the next marker may start
        self._offset = 0  # where _tail starts in the whole text
        self._unsent = ""  # text received but held back
        self._naming = False  # _tail is a marker's start up to its name (【1:2†name…)
        self._named: list[str] = []  # pieces of that name not yet joined to _tail
        self._named_size = 0
        self.count = 0  # annotations made so far

    def feed(self, piece: str) -> tuple[str, list[dict[str, Any]]]:
        """The text to send now and the annotations it completes (each with its ``index``,
        its place among the reply's annotations, as a message delta numbers them)."""
        self._unsent += piece
        if not self.sources:  # nothing to cite: no text waits
            return self._send(len(self._unsent)), []
        if self._naming and "】" not in piece and "【" not in piece:
            # the name goes on (it may hold anything but 【 and 】) and nothing ends it: no scan
            # and no copy, so a marker that never ends costs each piece its own length, not
            # the whole tail's (a long reply after one malformed marker)
            self._named.append(piece)
            self._named_size += len(piece)
            size = len(self._tail) + self._named_size
            held = size if size <= self.HELD_AT_MOST else 0
            return self._send(max(0, len(self._unsent) - held)), []
        self._tail += "".join(self._named) + piece
        self._named, self._named_size = [], 0
        annotations = []
        scanned = 0
        for match in MARKER.finditer(self._tail):
            scanned = match.end()
            annotation = _citation(match, self._offset, self.sources, self._by_name)
            if annotation is not None:
                annotations.append({"index": self.count, **annotation})
                self.count += 1
        pending = _PARTIAL_MARKER.search(self._tail, scanned)
        start = pending.start() if pending is not None else len(self._tail)
        self._offset += start
        self._tail = self._tail[start:]
        self._naming = pending is not None and "†" in self._tail
        held = len(self._tail) if len(self._tail) <= self.HELD_AT_MOST else 0
        return self._send(max(0, len(self._unsent) - held)), annotations

    def flush(self) -> str:
        """What is still held back, once the reply is complete."""
        return self._send(len(self._unsent))

    def _send(self, size: int) -> str:
        sent, self._unsent = self._unsent[:size], self._unsent[size:]
        return sent


# the end of a text that a marker may start: 【, 【12, 【1:, 【1:2, 【1:2†name…
_PARTIAL_MARKER = re.compile(r"【(?:\d+(?::(?:\d+(?:†[^【】]*)?)?)?)?\Z")


def _by_name(sources: dict[str, Any]) -> dict[str, Any]:
    by_name: dict[str, Any] = {}
    for source in sources.values():
        by_name.setdefault(source["filename"], source)
    return by_name


def _citation(
    match: re.Match[str], offset: int, sources: dict[str, Any], by_name: dict[str, Any]
) -> dict[str, Any] | None:
    """The annotation of one marker (at ``offset`` + its place), None if it names no result."""
    source = sources.get(f"{match.group(1)}:{match.group(2)}") or by_name.get(match.group(3))
    if source is None:
        return None
    return {
        "type": "file_citation",
        "text": match.group(0),
        "start_index": offset + match.start(),
        "end_index": offset + match.end(),
        "file_citation": {"file_id": source["file_id"]},
    }
