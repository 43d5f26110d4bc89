"""The typed columns of each object the Assistants API returns, and one object -> one record.

The *Structured* result format shows an answer as one typed column per field, declared before
anything is sent so downstream KNIME nodes configure. This module says, for each object kind
(assistant, thread, message, run, run step, deletion status), which columns there are and how
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
}
USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")
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
        elif how in ("json", "text"):
            columns.append((name, "string"))
        else:
            columns.append((name, how))
    return tuple(columns)


def object_record(kind: Any, obj: Any) -> dict[str, Any]:
    """The cells of one object, keyed by column name; every column is present (None: missing).

    Anything that is not a JSON object gives a row of missing cells.
    """
    source = obj if isinstance(obj, dict) else {}
    record: dict[str, Any] = {}
    for name, how in _FIELDS[_kind_name(kind)]:
        value = source.get(name)
        if how == "usage":
            usage = value if isinstance(value, dict) else {}
            for field in USAGE_FIELDS:
                record[f"usage_{field}"] = _integer(usage.get(field))
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
