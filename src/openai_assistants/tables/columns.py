"""What configure() declares: the result formats and the (name, type) columns of each.

Column types are plain names ("string", "int32", "int64", "double", "bool", "datetime") so
this module stays free of KNIME and of pyarrow; the KNIME shell maps them to ``knext`` types,
:mod:`.arrow_build` to Arrow types. Every format's columns are known before anything is sent.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class ResultFormat(str, Enum):
    RAW = "raw"  # the seed's "Raw Response": body and status
    STRUCTURED = "structured"  # one typed column per field of the run object
    EVENTS = "events"  # one row per server-sent event of a streamed run


Columns = tuple[tuple[str, str], ...]

RAW_COLUMNS: Columns = (("body", "string"), ("status", "int32"))
EVENT_COLUMNS: Columns = (("event", "string"), ("data", "string"))
_TEXT_FIELDS = ("id", "object", "assistant_id", "thread_id", "status", "model", "instructions")
_TIME_FIELDS = (
    "created_at", "started_at", "expires_at", "cancelled_at", "failed_at", "completed_at",
)  # fmt: skip
_DOUBLE_FIELDS = ("temperature", "top_p")
_INT_FIELDS = ("max_prompt_tokens", "max_completion_tokens")
_USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")
_JSON_FIELDS = (
    "tools", "metadata", "required_action", "last_error", "incomplete_details",
    "truncation_strategy", "tool_choice", "response_format",
)  # fmt: skip
STRUCTURED_COLUMNS: Columns = (
    *((name, "string") for name in _TEXT_FIELDS),
    *((name, "datetime") for name in _TIME_FIELDS),
    *((name, "double") for name in _DOUBLE_FIELDS),
    *((name, "int64") for name in _INT_FIELDS),
    *((f"usage_{name}", "int64") for name in _USAGE_FIELDS),
    ("parallel_tool_calls", "bool"),
    *((name, "string") for name in _JSON_FIELDS),
    ("http_status", "int32"),
    ("error", "string"),
)
HEADER_COLUMNS: Columns = tuple(
    (name, "string")
    for name in (
        "x-request-id", "openai-processing-ms",
        "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens",
    )
)  # fmt: skip

ROW_ID = "<RowID>"  # KNIME's name for the row-ID column of an Arrow table

EXCHANGE_COLUMNS: Columns = (("http_status", "int32"), ("error", "string"))


def structured_columns(kind: Any = "run") -> Columns:
    """The Structured columns of an object kind: its fields, then ``http_status``, ``error``."""
    if getattr(kind, "value", kind) == "run":
        return STRUCTURED_COLUMNS  # Create Run's columns, exactly as they have always been
    from .object_columns import object_columns

    return object_columns(kind) + EXCHANGE_COLUMNS


def result_columns(
    result_format: ResultFormat, include_headers: bool = False, *, kind: Any = "run"
) -> Columns:
    """(name, type) of every output column; ``kind``: the object kind Structured shows."""
    if result_format is ResultFormat.STRUCTURED:
        base = structured_columns(kind)
    else:
        base = RAW_COLUMNS if result_format is ResultFormat.RAW else EVENT_COLUMNS
    return base + HEADER_COLUMNS if include_headers else base
