"""Reading a run's answer: the reply's text, its file citations, usage and pending calls.

Pure functions over the API's objects (a run, its messages, its run steps), whether they came
from the run's event stream or from polling and listing, so both ways give the same row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..client.events import ServerEvent, loads_or_none
from ..tables.object_columns import TEXT_PART_SEPARATOR, message_text

MESSAGE_END_EVENTS = frozenset({"thread.message.completed", "thread.message.incomplete"})
# a file_search citation marker: 【message index:result index†source】
_MARKER = re.compile(r"【\d+:(\d+)†[^】]*】")
MAX_QUOTE_CHARS = 2000


def streamed_messages(events: Iterable[ServerEvent], run_id: str) -> list[dict[str, Any]]:
    """The assistant messages the run wrote, as the stream ended them, in order."""
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.event not in MESSAGE_END_EVENTS:
            continue
        message = loads_or_none(event.data)
        if not isinstance(message, dict) or message.get("role", "assistant") != "assistant":
            continue
        if message.get("run_id") not in (None, run_id):
            continue
        found[str(message.get("id", len(found)))] = message
    return list(found.values())


def listed_messages(page: Any, run_id: str) -> list[dict[str, Any]]:
    """The assistant messages of the run from a List Messages page (``order=asc``)."""
    items = page.get("data") if isinstance(page, dict) else None
    if not isinstance(items, list):
        return []
    return [
        m
        for m in items
        if isinstance(m, dict)
        and m.get("role") == "assistant"
        and m.get("run_id") in (None, run_id)
    ]


def reply_text(messages: Sequence[dict[str, Any]]) -> str | None:
    """The text parts of the reply's messages joined by blank lines; None without text."""
    texts = [t for t in (message_text(m) for m in messages) if t is not None]
    return TEXT_PART_SEPARATOR.join(texts) if texts else None


def file_citations(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each ``file_citation`` annotation of the reply's text: file ID, and what the
    annotation itself says of the file name and quote (the v1 API had ``quote``)."""
    found = []
    for message in messages:
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            text = part.get("text") if isinstance(part, dict) else None
            annotations = text.get("annotations") if isinstance(text, dict) else None
            for note in annotations if isinstance(annotations, list) else ():
                if not isinstance(note, dict) or note.get("type") != "file_citation":
                    continue
                cited = note.get("file_citation")
                cited = cited if isinstance(cited, dict) else {}
                file_id = cited.get("file_id")
                if not isinstance(file_id, str):
                    continue
                marker = note.get("text") if isinstance(note.get("text"), str) else ""
                found.append(
                    {
                        "file_id": file_id,
                        "filename": _text_or_none(cited.get("filename") or cited.get("file_name")),
                        "quote": _text_or_none(cited.get("quote")),
                        "_marker": marker,
                    }
                )
    return found


def needs_search_results(citations: Sequence[dict[str, Any]]) -> bool:
    """Whether the run's file search results could fill a file name or quote."""
    return any(c["filename"] is None or c["quote"] is None for c in citations)


def complete_citations(
    citations: Sequence[dict[str, Any]], steps_page: Any = None
) -> list[dict[str, Any]]:
    """``{file_id, filename, quote}`` per citation; the file name and the quoted text from
    the run's file search results (a List Run Steps page with their content included):
    the marker's result index picks the result, else the first result of that file."""
    results = _search_results(steps_page)
    completed = []
    for cite in citations:
        filename, quote = cite["filename"], cite["quote"]
        match = _MARKER.fullmatch(cite.get("_marker", ""))
        chosen = None
        if match and int(match.group(1)) < len(results):
            candidate = results[int(match.group(1))]
            if candidate.get("file_id") == cite["file_id"]:
                chosen = candidate
        if chosen is None:
            chosen = next((r for r in results if r.get("file_id") == cite["file_id"]), None)
        if chosen is not None:
            filename = filename or _text_or_none(chosen.get("file_name"))
            quote = quote or _result_text(chosen)
        completed.append({"file_id": cite["file_id"], "filename": filename, "quote": quote})
    return completed


def citations_json(citations: Sequence[dict[str, Any]]) -> str | None:
    """The citations column's cell: a JSON list, missing when the reply cites nothing."""
    if not citations:
        return None
    return json.dumps(list(citations), ensure_ascii=False)


def usage_counts(run: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    """(prompt, completion, total) tokens of a run; None where the run has no usage."""
    usage = run.get("usage")
    if not isinstance(usage, dict):
        return None, None, None
    return tuple(  # type: ignore[return-value]
        value if isinstance(value, int) and not isinstance(value, bool) else None
        for value in (
            usage.get("prompt_tokens"),
            usage.get("completion_tokens"),
            usage.get("total_tokens"),
        )
    )


def required_action_json(run: dict[str, Any]) -> str | None:
    """The pending tool calls of a ``requires_action`` run, as JSON text."""
    action = run.get("required_action")
    if run.get("status") != "requires_action" or action is None:
        return None
    return json.dumps(action, ensure_ascii=False)


def run_problem(run: dict[str, Any]) -> str:
    """Why a run that ended gave no (whole) answer; "" for completed and requires_action."""
    status = run.get("status")
    if status in ("completed", "requires_action"):
        return ""
    detail = ""
    if status == "failed" and isinstance(run.get("last_error"), dict):
        error = run["last_error"]
        detail = f": {error.get('message') or error.get('code') or 'no message'}"
    elif status == "incomplete" and isinstance(run.get("incomplete_details"), dict):
        detail = f": {run['incomplete_details'].get('reason') or 'no reason given'}"
    return f"Run '{run.get('id', '')}' ended '{status}'{detail}."


def _search_results(steps_page: Any) -> list[dict[str, Any]]:
    items = steps_page.get("data") if isinstance(steps_page, dict) else None
    results: list[dict[str, Any]] = []
    for step in items if isinstance(items, list) else ():
        details = step.get("step_details") if isinstance(step, dict) else None
        calls = details.get("tool_calls") if isinstance(details, dict) else None
        for call in calls if isinstance(calls, list) else ():
            search = call.get("file_search") if isinstance(call, dict) else None
            found = search.get("results") if isinstance(search, dict) else None
            results += [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []
    return results


def _result_text(result: dict[str, Any]) -> str | None:
    content = result.get("content")
    if not isinstance(content, list):
        return None
    parts = [p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return "\n".join(parts)[:MAX_QUOTE_CHARS] if parts else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
