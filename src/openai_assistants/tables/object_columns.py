"""The typed columns of each object the Assistants API returns, and one object -> one record.

The *Structured* result format shows an answer as one typed column per field, declared before
anything is sent so downstream KNIME nodes configure. This module says, for each object kind
(assistant, thread, message, run, run step, deletion status, file, vector store, vector-store
file and file batch, search result, file content), which columns there are and how
a field becomes a cell. Pure: no pandas, no KNIME; column kinds are the names ``results``
uses (string, int32, int64, double, bool, datetime).

How fields become cells:
- a field that is null, absent or of an unexpected type is a missing cell, never an error
  (servers add and change fields; a strange answer must not fail the node);
- Unix timestamps become timezone-aware UTC ``datetime``s;
- nested objects and arrays become JSON text (``tools``, ``metadata``, ``step_details``...);
- ``usage`` is flattened into ``usage_prompt_tokens``, ``usage_completion_tokens``,
  ``usage_total_tokens``;
- a message also gets ``text``: its text parts' values joined by blank lines, so the reply of
  an assistant is one cell away.
The run's columns are exactly those Create Run's *Structured* format has always had (without
``http_status`` and ``error``, which describe the exchange, not the object).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

Columns = tuple[tuple[str, str], ...]

# how a field is read: the column kind, or "json" (string column), "usage" (three int64 columns)
# or "text" (a message's joined text parts, a string column)
_RUN_TIMES = (
    "created_at", "started_at", "expires_at", "cancelled_at", "failed_at", "completed_at",
)  # fmt: skip
_RUN_JSON = (
    "tools", "metadata", "required_action", "last_error", "incomplete_details",
    "truncation_strategy", "tool_choice", "response_format",
)  # fmt: skip
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "assistant": (
        *((name, "string") for name in ("id", "object", "name", "description", "model")),
        ("instructions", "string"),
        ("created_at", "datetime"),
        ("temperature", "double"),
        ("top_p", "double"),
        *((name, "json") for name in ("tools", "tool_resources", "metadata", "response_format")),
    ),
    "thread": (
        ("id", "string"),
        ("object", "string"),
        ("created_at", "datetime"),
        ("tool_resources", "json"),
        ("metadata", "json"),
    ),
    "message": (
        *((name, "string") for name in ("id", "object", "thread_id", "status", "role")),
        ("assistant_id", "string"),
        ("run_id", "string"),
        ("text", "text"),
        *((name, "datetime") for name in ("created_at", "completed_at", "incomplete_at")),
        *((name, "json") for name in ("content", "attachments", "incomplete_details", "metadata")),
    ),
    "run": (
        *(
            (name, "string")
            for name in ("id", "object", "assistant_id", "thread_id", "status", "model")
        ),
        ("instructions", "string"),
        *((name, "datetime") for name in _RUN_TIMES),
        ("temperature", "double"),
        ("top_p", "double"),
        ("max_prompt_tokens", "int64"),
        ("max_completion_tokens", "int64"),
        ("usage", "usage"),
        ("parallel_tool_calls", "bool"),
        *((name, "json") for name in _RUN_JSON),
    ),
    "run_step": (
        *(
            (name, "string")
            for name in ("id", "object", "assistant_id", "thread_id", "run_id", "type", "status")
        ),
        *(
            (name, "datetime")
            for name in ("created_at", "expired_at", "cancelled_at", "failed_at", "completed_at")
        ),
        ("usage", "usage"),
        *((name, "json") for name in ("step_details", "last_error", "metadata")),
    ),
    "deletion": (("id", "string"), ("object", "string"), ("deleted", "bool")),
    # files and vector stores
    "file": (
        *((name, "string") for name in ("id", "object", "filename", "purpose", "status")),
        ("bytes", "int64"),
        ("created_at", "datetime"),
        ("expires_at", "datetime"),
        ("status_details", "string"),
    ),
    "file_content": (  # read from the answer's bytes, see content_record
        ("text", "string"),
        ("bytes", "int64"),
        ("content_type", "string"),
    ),
    "vector_store": (
        *((name, "string") for name in ("id", "object", "name", "description", "status")),
        *((name, "datetime") for name in ("created_at", "last_active_at", "expires_at")),
        ("usage_bytes", "int64"),
        ("file_counts", "counts"),
        *((name, "json") for name in ("expires_after", "metadata")),
    ),
    "vector_store_file": (
        *((name, "string") for name in ("id", "object", "vector_store_id", "status")),
        ("created_at", "datetime"),
        ("usage_bytes", "int64"),
        *((name, "json") for name in ("last_error", "chunking_strategy", "attributes")),
    ),
    "vector_store_file_batch": (
        *((name, "string") for name in ("id", "object", "vector_store_id", "status")),
        ("created_at", "datetime"),
        ("file_counts", "counts"),
    ),
    "vector_store_file_content": (("type", "string"), ("text", "string")),
    "search_result": (
        ("query_row", "context"),  # the RowID of the input row whose query found it
        ("query", "context"),
        ("file_id", "string"),
        ("filename", "string"),
        ("score", "double"),
        ("text", "chunks"),
        ("attributes", "json"),
        ("content", "json"),
    ),
}
USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")
COUNT_FIELDS = ("in_progress", "completed", "failed", "cancelled", "total")
KINDS = tuple(_FIELDS)
TEXT_PART_SEPARATOR = "\n\n"


def _kind_name(kind: Any) -> str:
    name = getattr(kind, "value", kind)
    if name not in _FIELDS:
        raise ValueError(f"unknown object kind {name!r} (known: {', '.join(KINDS)})")
    return name


def object_columns(kind: Any) -> Columns:
    """(name, column kind) of every column of ``kind`` (a ``ResultKind`` or its value)."""
    columns: list[tuple[str, str]] = []
    for name, how in _FIELDS[_kind_name(kind)]:
        if how == "usage":
            columns += [(f"usage_{field}", "int64") for field in USAGE_FIELDS]
        elif how == "counts":
            columns += [(f"{name}_{field}", "int64") for field in COUNT_FIELDS]
        elif how in ("json", "text", "context", "chunks"):
            columns.append((name, "string"))
        else:
            columns.append((name, how))
    return tuple(columns)


def object_record(
    kind: Any, obj: Any, context: dict[str, str | None] | None = None
) -> dict[str, Any]:
    """The cells of one object, keyed by column name; every column is present (None: missing).

    Anything that is not a JSON object gives a row of missing cells. ``context``: the cells
    that come from around the object (a search result's input row and query).
    """
    source = obj if isinstance(obj, dict) else {}
    record: dict[str, Any] = {}
    for name, how in _FIELDS[_kind_name(kind)]:
        value = source.get(name)
        if how == "usage":
            usage = value if isinstance(value, dict) else {}
            for field in USAGE_FIELDS:
                record[f"usage_{field}"] = _integer(usage.get(field))
        elif how == "counts":
            counts = value if isinstance(value, dict) else {}
            for field in COUNT_FIELDS:
                record[f"{name}_{field}"] = _integer(counts.get(field))
        elif how == "context":
            record[name] = (context or {}).get(name)
        elif how == "chunks":
            record[name] = chunks_text(source.get("content"))
        elif how == "text":
            record[name] = message_text(source)
        else:
            record[name] = _CONVERT[how](value)
    return record


def message_text(message: Any) -> str | None:
    """The values of a message's text parts, joined by blank lines; None without text parts."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    parts = []
    for part in content:
        if isinstance(part, dict) and part.get("type") == "text":
            text = part.get("text")
            value = text.get("value") if isinstance(text, dict) else text
            if isinstance(value, str):
                parts.append(value)
    return TEXT_PART_SEPARATOR.join(parts) if parts else None


def chunks_text(content: Any) -> str | None:
    """A search result's text chunks, joined by blank lines; None without text chunks."""
    if not isinstance(content, list):
        return None
    parts = [
        part["text"]
        for part in content
        if isinstance(part, dict)
        and part.get("type") == "text"
        and isinstance(part.get("text"), str)
    ]
    return TEXT_PART_SEPARATOR.join(parts) if parts else None


def content_record(content: bytes | None, content_type: str | None) -> dict[str, Any]:
    """A file's bytes as Get File Content's cells: the text when the bytes are UTF-8 text
    (no NUL characters), else a missing text; the size and the Content-Type."""
    text = None
    if content is not None and b"\x00" not in content:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    return {
        "text": text,
        "bytes": None if content is None else len(content),
        "content_type": content_type or None,
    }


def _string(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _double(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None  # includes inf and nan
    number = int(value)
    return number if -(2**63) <= number < 2**63 else None  # what int64 cannot hold: missing


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


_CONVERT = {
    "string": _string,
    "json": _json,
    "datetime": _datetime,
    "double": _double,
    "int64": _integer,
    "int32": _integer,
    "bool": _bool,
}
