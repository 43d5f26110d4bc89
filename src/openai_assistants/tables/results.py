"""Answers -> the result table's rows, in the format the user chose.

One row per input row, or more: one per event (Events), one per item of a list (Structured),
one per page (Raw, pages followed). :class:`ResultRows` holds them as plain Python columns:
the command line prints them without pyarrow; KNIME gets :meth:`ResultRows.to_arrow_batch`
(:mod:`.arrow_build`), with exactly the types configure() declares (:mod:`.columns`).

The names of :mod:`.columns` and :mod:`.arrow_build` callers use are importable from here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..client.events import DONE, ServerEvent, final_run, parse_event_stream
from ..client.exchange import ApiResponse
from .arrow_build import arrow_array, arrow_layout, arrow_schema, arrow_types, valid_utf8
from .columns import (
    EVENT_COLUMNS,
    EXCHANGE_COLUMNS,
    HEADER_COLUMNS,
    RAW_COLUMNS,
    ROW_ID,
    STRUCTURED_COLUMNS,
    Columns,
    ResultFormat,
    result_columns,
    structured_columns,
)
from .lazy_imports import pandas_not_probed

if TYPE_CHECKING:  # pyarrow loads when a table is built: a command printing JSON never needs it
    import pyarrow as pa

__all__ = [
    "EVENT_COLUMNS",
    "EXCHANGE_COLUMNS",
    "HEADER_COLUMNS",
    "RAW_COLUMNS",
    "ROW_ID",
    "STRUCTURED_COLUMNS",
    "Columns",
    "ResultFormat",
    "ResultRows",
    "RowResult",
    "arrow_schema",
    "arrow_types",
    "result_columns",
    "result_rows",
    "result_table",
    "structured_columns",
    "structured_run",
]


@dataclass(frozen=True)
class RowResult:
    """One input row's outcome: the answer to show, or why there is none."""

    row_id: str
    response: ApiResponse | None
    error: str = ""
    pages: tuple[ApiResponse, ...] = ()  # every page of a list fetched with all pages

    @property
    def responses(self) -> tuple[ApiResponse, ...]:
        """The answers to show: every page when pages were followed, else the one answer."""
        if self.pages:
            return self.pages
        return (self.response,) if self.response is not None else ()


def __getattr__(name: str) -> object:
    """``ARROW_TYPES``, as before, built when first used (it needs pyarrow)."""
    if name == "ARROW_TYPES":
        return arrow_types()
    raise AttributeError(name)


def result_table(
    rows: Sequence[RowResult],
    result_format: ResultFormat,
    include_headers: bool = False,
    *,
    kind: Any = "run",
    returns_list: bool = False,
    paged: bool = False,
    max_items: int | None = None,
) -> pa.Table:
    """One row per input row; the first column holds the row IDs (see :func:`result_rows`).
    Every column has its declared Arrow type whatever the cells hold (all missing included).
    """
    data = result_rows(
        rows,
        result_format,
        include_headers,
        kind=kind,
        returns_list=returns_list,
        paged=paged,
        max_items=max_items,
    )
    return data.to_arrow()


@dataclass(frozen=True)
class ResultRows:
    """The result table as plain Python columns, before (or instead of) Arrow.

    The command line prints and writes CSV and JSON from these without loading pyarrow
    (about a third of a ``create-run`` process's start); KNIME and Parquet get
    :meth:`to_arrow`. :meth:`check` refuses, up front, every value Arrow would refuse, so
    both ways fail at the same place for the same answers.
    """

    columns: Columns
    row_ids: list[str]
    values: dict[str, list[Any]]
    result_format: ResultFormat = ResultFormat.RAW

    def __len__(self) -> int:
        return len(self.row_ids)

    @property
    def num_rows(self) -> int:
        return len(self.row_ids)

    def check(self) -> None:
        """Raise OverflowError for a number the declared column type cannot hold."""
        for name, kind in self.columns:
            if kind == "int32":
                for cell in self.values[name]:
                    if cell is not None and not -(2**31) <= cell < 2**31:
                        raise OverflowError(f"{name}: {cell} does not fit a 32-bit integer")

    def to_arrow_batch(self) -> pa.RecordBatch:
        """The rows as one Arrow record batch: the row IDs, then every declared column."""
        import pyarrow as pa

        schema, types = arrow_layout(tuple(self.columns))
        cells = [self.row_ids, *(self.values[name] for name, _ in self.columns)]
        with pandas_not_probed():  # plain lists: pyarrow need not import pandas to see that
            arrays = [
                arrow_array(cells_, type_) for cells_, type_ in zip(cells, types, strict=True)
            ]
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    def to_arrow(self) -> pa.Table:
        import pyarrow as pa

        batch = self.to_arrow_batch()
        return pa.Table.from_batches([batch], schema=batch.schema)

    def to_pylist(self) -> list[dict[str, Any]]:
        """Rows as ``pa.Table.to_pylist()`` gives them from :meth:`to_arrow`: the row ID
        first, then every column; text Arrow could not hold as is, as
        :func:`.arrow_build.arrow_array` keeps it."""
        names = [ROW_ID, *(name for name, _ in self.columns)]
        cells = [self.row_ids]
        for name, kind in self.columns:
            column = self.values[name]
            cells.append([valid_utf8(c) for c in column] if kind == "string" else column)
        return [dict(zip(names, row, strict=True)) for row in zip(*cells, strict=True)]

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()


def result_rows(
    rows: Sequence[RowResult],
    result_format: ResultFormat,
    include_headers: bool = False,
    *,
    kind: Any = "run",
    returns_list: bool = False,
    paged: bool = False,
    max_items: int | None = None,
) -> ResultRows:
    """The result table's rows, one per input row, as plain columns.

    More rows per input, with RowIDs ``Row0#0``, ``Row0#1``, …: one per event (EVENTS), one
    per item of a list (STRUCTURED with ``returns_list``; an empty list gives no row), one
    per page when pages were followed (RAW with ``paged``). ``max_items`` caps a list's
    items across its pages.
    """
    columns = result_columns(result_format, include_headers, kind=kind)
    values: dict[str, list[Any]] = {name: [] for name, _ in columns}
    row_ids: list[str] = []
    shape = _Shape(getattr(kind, "value", kind), returns_list, paged, max_items)
    for row in rows:
        if result_format is ResultFormat.EVENTS and not include_headers:
            events = _stream_events(row)
            if events is not None:  # the common long case: columns straight from the events
                row_ids += [f"{row.row_id}#{n}" for n in range(len(events))]
                values["event"] += [e.event for e in events]
                values["data"] += [e.data for e in events]
                continue
        for suffix, record, response in _records(row, result_format, shape):
            if include_headers:
                record.update(_header_values(response))
            row_ids.append(row.row_id + suffix)
            for name, cells in values.items():
                cells.append(record.get(name))
    return ResultRows(columns, row_ids, values, result_format)


@dataclass(frozen=True)
class _Shape:
    kind: str
    returns_list: bool
    paged: bool
    max_items: int | None


Record = tuple[str, dict[str, Any], "ApiResponse | None"]


def _records(row: RowResult, result_format: ResultFormat, shape: _Shape) -> list[Record]:
    response = row.response
    if result_format is ResultFormat.RAW:
        if shape.paged and row.pages:
            return [
                (f"#{n}", {"body": page.text, "status": page.status}, page)
                for n, page in enumerate(row.pages)
            ]
        raw = {"body": response.text, "status": response.status} if response else {}
        return [("", raw, response)]
    if result_format is ResultFormat.STRUCTURED:
        if shape.returns_list and response is not None and not row.error and response.ok:
            return _item_records(row, shape)
        if shape.kind == "file_content":  # a file's bytes, not JSON
            record = _content_record(response) if response and response.ok else {}
        else:
            record = _object_record(shape.kind, _answer_object(response)) if response else {}
        record["http_status"] = response.status if response else None
        record["error"] = row.error or None
        return [("", record, response)]
    if response is None:
        return [("", {"event": "error", "data": row.error}, None)]
    events = _received_events(response)
    if not events or not response.is_event_stream:  # (kept in step with _stream_events)
        kind = "error" if not response.ok else "response"
        return [("", {"event": kind, "data": response.text}, response)]
    return [(f"#{n}", {"event": e.event, "data": e.data}, response) for n, e in enumerate(events)]


def _stream_events(row: RowResult) -> Sequence[ServerEvent] | None:
    """The events an EVENTS row shows one per row, None when the row is something else."""
    response = row.response
    if response is None:
        return None
    events = _received_events(response)
    return events if events and response.is_event_stream else None


def _item_records(row: RowResult, shape: _Shape) -> list[Record]:
    """One record per item of every page (up to ``max_items``), RowIDs ``Row0#0``, …"""
    records: list[Record] = []
    for page in row.responses:
        body = _answer_object(page)
        items = body.get("data") if isinstance(body, dict) else None
        context = _page_context(row, body)
        for item in items if isinstance(items, list) else ():
            if shape.max_items is not None and len(records) >= shape.max_items:
                return records
            record = _object_record(shape.kind, item, context)
            record["http_status"] = page.status
            record["error"] = None
            records.append((f"#{len(records)}", record, page))
    return records


def _object_record(kind: str, obj: Any, context: dict[str, Any] | None = None) -> dict[str, Any]:
    from .object_columns import object_record

    return object_record(kind, obj, context) if isinstance(obj, dict) else {}


def _page_context(row: RowResult, body: Any) -> dict[str, Any]:
    """What a search result's row shows besides the result: the input row and the query."""
    query = body.get("search_query") if isinstance(body, dict) else None
    if isinstance(query, list):
        query = "\n".join(str(q) for q in query)
    return {"query_row": row.row_id, "query": query if isinstance(query, str) else None}


def _content_record(response: ApiResponse) -> dict[str, Any]:
    from .object_columns import content_record

    return content_record(response.content, response.header("content-type"))


def structured_run(run: dict[str, Any] | None) -> dict[str, Any]:
    """The run object's fields as typed values; a field that is null or absent stays missing
    (the run kind of :func:`object_columns.object_record`: one field reader for every kind)."""
    from .object_columns import object_record

    return object_record("run", run) if isinstance(run, dict) else {}


def _answer_object(response: ApiResponse) -> dict[str, Any] | None:
    if response.is_event_stream:
        return final_run(_received_events(response))
    value = response.json  # parsed once, shared with the answer's checks
    return value if isinstance(value, dict) and "error" not in value else None


def _received_events(response: ApiResponse) -> Sequence[ServerEvent]:
    """The events the transport parsed while reading, when the stream reached [DONE] (then
    they are exactly the text's); else the text parsed again, a cut last event included."""
    events = response.events
    if events and events[-1].data.strip() == DONE:
        return events
    return parse_event_stream(response.text)


def _header_values(response: ApiResponse | None) -> dict[str, Any]:
    return {name: response.header(name) if response else None for name, _ in HEADER_COLUMNS}
