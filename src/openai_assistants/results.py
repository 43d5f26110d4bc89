"""Answers -> the node's output table, in the format the user chose.

Column types are plain names ("string", "int32", "int64", "double", "bool", "datetime") so
this module stays free of KNIME; the KNIME shell maps them to ``knext`` types in configure().
Every format's columns are known before anything is sent.

The table is built directly as a ``pyarrow.Table`` with exactly the declared Arrow type per
column, even when every cell is missing: KNIME's conversion of an output table infers types
from the data otherwise (an all-missing column becomes Arrow ``null``, an all-missing
date-time column a float column KNIME cannot take), and then execute() disagrees with the
schema configure() declared. Building Arrow directly is also the fastest path (no pandas).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

import pyarrow as pa

from .events import DONE, ServerEvent, final_run, parse_event_stream
from .exchange import ApiResponse
from .lazy_imports import pandas_not_probed


class ResultFormat(str, Enum):
    RAW = "raw"  # the seed's "Raw Response": body and status
    STRUCTURED = "structured"  # one typed column per field of the run object
    EVENTS = "events"  # one row per server-sent event of a streamed run


@dataclass(frozen=True)
class RowResult:
    """One input row's outcome: the answer to show, or why there is none."""

    row_id: str
    response: ApiResponse | None
    error: str = ""


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

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


def result_columns(result_format: ResultFormat, include_headers: bool = False) -> Columns:
    """(name, type) of every output column."""
    base = {
        ResultFormat.RAW: RAW_COLUMNS,
        ResultFormat.STRUCTURED: STRUCTURED_COLUMNS,
        ResultFormat.EVENTS: EVENT_COLUMNS,
    }[result_format]
    return base + HEADER_COLUMNS if include_headers else base


def arrow_schema(columns: Columns) -> pa.Schema:
    """The Arrow schema of a result table: the row IDs, then each declared column."""
    return pa.schema(
        [pa.field(ROW_ID, pa.string()), *(pa.field(n, ARROW_TYPES[k]) for n, k in columns)]
    )


def result_table(
    rows: Sequence[RowResult], result_format: ResultFormat, include_headers: bool = False
) -> pa.Table:
    """One row per input row (per event for EVENTS); the first column holds the row IDs.

    Every column has its declared Arrow type whatever the cells hold (all missing included).
    """
    columns = result_columns(result_format, include_headers)
    values: dict[str, list[Any]] = {name: [] for name, _ in columns}
    row_ids: list[str] = []
    for row in rows:
        headers = _header_values(row.response) if include_headers else {}
        for suffix, record in _records(row, result_format):
            record.update(headers)
            row_ids.append(row.row_id + suffix)
            for name, cells in values.items():
                cells.append(record.get(name))
    schema = arrow_schema(columns)
    with pandas_not_probed():  # plain lists: pyarrow need not import pandas to see that
        arrays = [_array(row_ids, "string")]
        arrays += [_array(values[name], kind) for name, kind in columns]
    return pa.Table.from_arrays(arrays, schema=schema)


def _array(cells: list[Any], kind: str) -> pa.Array:
    """A column of the declared type. Arrow strings are UTF-8, so text holding lone surrogates
    (``\\ud800`` escapes in an answer) is kept readable as ``\\ud800`` instead of failing."""
    try:
        return pa.array(cells, ARROW_TYPES[kind])
    except UnicodeEncodeError:
        if kind != "string":
            raise
        return pa.array([_valid_utf8(c) for c in cells], ARROW_TYPES[kind])


def _valid_utf8(text: str | None) -> str | None:
    if text is None:
        return None
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _records(row: RowResult, result_format: ResultFormat) -> list[tuple[str, dict[str, Any]]]:
    response = row.response
    if result_format is ResultFormat.RAW:
        return [("", {"body": response.text, "status": response.status} if response else {})]
    if result_format is ResultFormat.STRUCTURED:
        record = structured_run(_run_object(response)) if response else {}
        record["http_status"] = response.status if response else None
        record["error"] = row.error or None
        return [("", record)]
    if response is None:
        return [("", {"event": "error", "data": row.error})]
    events = _received_events(response)
    if not events or not _is_event_stream(response):
        return [("", {"event": "error" if not response.ok else "response", "data": response.text})]
    return [(f"#{n}", {"event": e.event, "data": e.data}) for n, e in enumerate(events)]


def structured_run(run: dict[str, Any] | None) -> dict[str, Any]:
    """The run object's fields as typed values; a field that is null or absent stays missing."""
    if not isinstance(run, dict):
        return {}
    record: dict[str, Any] = {name: _text(run.get(name)) for name in _TEXT_FIELDS}
    for name in _TIME_FIELDS:
        value = run.get(name)
        record[name] = _utc_time(value)
    for name in _DOUBLE_FIELDS:
        record[name] = _number(run.get(name), float)
    for name in _INT_FIELDS:
        record[name] = _number(run.get(name), int)
    usage = run.get("usage") if isinstance(run.get("usage"), dict) else {}
    for name in _USAGE_FIELDS:
        record[f"usage_{name}"] = _number(usage.get(name), int)
    flag = run.get("parallel_tool_calls")
    record["parallel_tool_calls"] = flag if isinstance(flag, bool) else None
    for name in _JSON_FIELDS:
        value = run.get(name)
        record[name] = None if value is None else json.dumps(value, ensure_ascii=False)
    return record


def _run_object(response: ApiResponse) -> dict[str, Any] | None:
    if _is_event_stream(response):
        return final_run(_received_events(response))
    try:
        value = json.loads(response.text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "error" not in value else None


def _received_events(response: ApiResponse) -> Sequence[ServerEvent]:
    """The events the transport parsed while reading, when the stream reached [DONE] (then
    they are exactly the text's); else the text parsed again, a cut last event included."""
    events = response.events
    if events and events[-1].data.strip() == DONE:
        return events
    return parse_event_stream(response.text)


def _is_event_stream(response: ApiResponse) -> bool:
    return "text/event-stream" in (response.header("content-type") or "")


def _header_values(response: ApiResponse | None) -> dict[str, Any]:
    return {name: response.header(name) if response else None for name, _ in HEADER_COLUMNS}


def _utc_time(value: Any) -> datetime | None:
    """Unix seconds -> an aware UTC datetime; anything else (null, text, bool) -> missing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None  # outside the range a date-time can hold: not a usable time


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


_INT64_RANGE = range(-(2**63), 2**63)


def _number(value: Any, kind: type) -> Any:
    """A JSON number as ``kind``; what an int64/double column cannot hold stays missing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            return None  # includes inf and nan
        return int(value) if int(value) in _INT64_RANGE else None
    return float(value)
