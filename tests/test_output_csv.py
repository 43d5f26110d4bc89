"""``--output result.csv`` is written without pandas or pyarrow (issue 20: a one-shot process
imports what its output needs), and the file is byte for byte what pandas wrote from the Arrow
table before, so scripts reading our CSV files see no change.

The oracle is the former writer itself, ``table.to_pandas().to_csv(...)``, run on the same
table; the tables hold every column type with missing values, times, unicode, quotes,
separators and line breaks.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openai_assistants.cli.table_output import write_table
from openai_assistants.client.events import parse_event_stream
from openai_assistants.client.exchange import ApiResponse
from openai_assistants.tables.results import (
    ROW_ID,
    ResultFormat,
    ResultRows,
    RowResult,
    result_rows,
)

UTC = datetime.timezone.utc
COLUMNS = (
    ("text", "string"),
    ("status", "int32"),
    ("tokens", "int64"),
    ("temperature", "double"),
    ("parallel", "bool"),
    ("created_at", "datetime"),
)
TRICKY_TEXT = [
    'say "hi"',
    "a,b;c\td",
    "line one\nline two\r\nthree\rfour",
    "",
    None,
    "Grüße 日本語 🙂 \u2028",
    "lone \ud800 surrogate",
    " leading and trailing ",
    "'single' quotes",
]


def pandas_csv(table: pa.Table | ResultRows, path: Path, with_row_ids: bool) -> None:
    """The command line's CSV writer before issue 20 (pandas from the Arrow table)."""
    frame = table.to_pandas()
    if with_row_ids:
        frame = frame.rename(columns={ROW_ID: "row_id"})
    else:
        frame = frame.drop(columns=[ROW_ID])
    frame.to_csv(path, index=False, errors="backslashreplace")


def assert_same_csv(table: pa.Table | ResultRows, tmp_path: Path) -> None:
    for with_row_ids in (False, True):
        write_table(table, tmp_path / "ours.csv", with_row_ids)
        pandas_csv(table, tmp_path / "pandas.csv", with_row_ids)
        ours = (tmp_path / "ours.csv").read_bytes()
        assert ours == (tmp_path / "pandas.csv").read_bytes(), ours.decode("utf-8", "replace")


def rows(values: dict[str, list], columns: tuple = COLUMNS) -> ResultRows:
    count = len(next(iter(values.values())))
    return ResultRows(columns, [f"Row{n}" for n in range(count)], values)


def test_every_column_type_with_missing_values_times_and_tricky_text(tmp_path: Path) -> None:
    n = len(TRICKY_TEXT)
    table = rows(
        {
            "text": TRICKY_TEXT,
            "status": [200, 404, None, 500, 2**31 - 1, -(2**31), 0, 201, 429],
            "tokens": [1, 2**53 + 1, 2**62, None, 0, -5, 7, 8, 9],
            "temperature": [0.1, 1e16, 1e-5, None, float("nan"), 2.0, 1e300, -0.0, 123456.789],
            "parallel": [True, False, None, True, True, False, None, True, False],
            "created_at": [
                datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
                datetime.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC),
                None,
                datetime.datetime(1970, 1, 1, tzinfo=UTC),
                datetime.datetime(2100, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
                datetime.datetime(2024, 2, 29, 0, 0, tzinfo=UTC),
                None,
                datetime.datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC),
                datetime.datetime(2023, 1, 1, 12, 0, 0, 123000, tzinfo=UTC),
            ],
        }
    )
    assert len(table) == n
    assert_same_csv(table, tmp_path)  # the plain rows the command line writes from
    assert_same_csv(table.to_arrow(), tmp_path)  # and the Arrow table


def test_columns_without_missing_values_and_all_missing_columns(tmp_path: Path) -> None:
    full = rows(
        {
            "text": ["a", "b"],
            "status": [200, 201],
            "tokens": [10, 2**62],
            "temperature": [1.0, 0.5],
            "parallel": [True, False],
            "created_at": [datetime.datetime(2024, 2, 29, tzinfo=UTC)] * 2,  # dates only
        }
    )
    assert_same_csv(full, tmp_path)
    empty = rows({name: [None, None] for name, _ in COLUMNS})
    assert_same_csv(empty, tmp_path)
    assert_same_csv(rows({name: [] for name, _ in COLUMNS}), tmp_path)  # the header alone


RUN = (Path(__file__).parent / "data" / "run-object.json").read_text()
JSON = (("content-type", "application/json"), ("x-request-id", "req_1"))
STREAM = (
    'event: thread.run.created\ndata: {"id": "run_1", "object": "thread.run", "created_at": '
    '1700000000.5}\n\nevent: thread.message.delta\ndata: {"d": "\\u2028 \\ud800"}\n\n'
    "data: line one\ndata: line two\n\nevent: done\ndata: [DONE]\n\n"
)
ANSWERS = [
    RowResult("Row0", ApiResponse(200, JSON, RUN)),
    RowResult("Row1", ApiResponse(404, JSON, '{"error": {"message": "No thread"}}'), "HTTP 404"),
    RowResult("Row2", None, "could not connect"),
    RowResult(
        "Row3",
        ApiResponse(
            200,
            (("content-type", "text/event-stream"),),
            STREAM,
            events=tuple(parse_event_stream(STREAM)),
        ),
    ),
    RowResult("Row4", ApiResponse(200, JSON, '{"id": "run_\\ud800", "created_at": 1e300}')),
]


@pytest.mark.parametrize("result_format", list(ResultFormat))
@pytest.mark.parametrize("include_headers", [False, True])
def test_result_tables_of_real_answers(
    result_format: ResultFormat, include_headers: bool, tmp_path: Path
) -> None:
    assert_same_csv(result_rows(ANSWERS, result_format, include_headers), tmp_path)


TEXT = st.one_of(st.none(), st.text(max_size=12))
CELLS = {
    "string": TEXT,
    "int32": st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)),
    "int64": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
    "double": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    "bool": st.one_of(st.none(), st.booleans()),
    "datetime": st.one_of(
        st.none(),
        st.datetimes(
            min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2200, 1, 1)
        ).map(lambda d: d.replace(tzinfo=UTC)),
    ),
}


@st.composite
def tables(draw: st.DrawFn) -> ResultRows:
    count = draw(st.integers(0, 4))
    values = {name: draw(st.lists(CELLS[kind], min_size=count, max_size=count))
              for name, kind in COLUMNS}  # fmt: skip
    return rows(values) if count else rows({name: [] for name, _ in COLUMNS})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=tables())
def test_any_table_is_written_as_pandas_wrote_it(table: ResultRows, tmp_path: Path) -> None:
    assert_same_csv(table, tmp_path)
