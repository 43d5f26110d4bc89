"""The plain rows the command line prints are exactly the Arrow table's rows (issue 10, cold
start: printing and JSON output no longer load pyarrow, so both ways must agree cell by cell).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openai_assistants.cli import table_output as cli
from openai_assistants.client.events import parse_event_stream
from openai_assistants.client.exchange import ApiResponse
from openai_assistants.tables.results import ResultFormat, RowResult, result_rows, result_table

RUN = (Path(__file__).parent / "data" / "run-object.json").read_text()
JSON = (("content-type", "application/json"), ("x-request-id", "req_1"))
SSE = (("content-type", "text/event-stream"),)
STREAM = (
    'event: thread.run.created\ndata: {"id": "run_1", "object": "thread.run", "created_at": '
    '1700000000.5}\n\nevent: thread.message.delta\ndata: {"d": "\\u2028 \\ud800"}\n\n'
    "data: line one\ndata: line two\n\nevent: done\ndata: [DONE]\n\n"
)
CUT = 'event: thread.run.created\ndata: {"id": "run_1", "object": "thread.run"}\n\nevent: th'
ROWS = [
    RowResult("Row0", ApiResponse(200, JSON, RUN)),
    RowResult("Row1", ApiResponse(404, JSON, '{"error": {"message": "No thread"}}'), "HTTP 404"),
    RowResult("Row2", None, "could not connect"),
    RowResult("Row3", ApiResponse(200, SSE, STREAM, events=tuple(parse_event_stream(STREAM)))),
    RowResult("Row4", ApiResponse(200, SSE, CUT, events=tuple(parse_event_stream(CUT)[:1]))),
    RowResult("Row5", ApiResponse(200, JSON, '{"id": "run_\\ud800", "created_at": 1e300}')),
]


@pytest.mark.parametrize("result_format", list(ResultFormat))
@pytest.mark.parametrize("include_headers", [False, True])
def test_plain_rows_equal_the_arrow_tables_rows(
    result_format: ResultFormat, include_headers: bool
) -> None:
    plain = result_rows(ROWS, result_format, include_headers)
    table = result_table(ROWS, result_format, include_headers)
    assert len(plain) == table.num_rows >= len(ROWS)
    assert plain.to_pylist() == table.to_pylist()
    assert plain.to_arrow().equals(table)


@pytest.mark.parametrize("result_format", list(ResultFormat))
def test_the_command_lines_output_is_the_same_from_plain_rows_and_arrow(
    result_format: ResultFormat, tmp_path: Path
) -> None:
    plain = result_rows(ROWS, result_format, True)
    table = plain.to_arrow()
    assert cli.format_table(plain, True) == cli.format_table(table, True)
    cli.write_table(plain, tmp_path / "plain.json", True)
    cli.write_table(table, tmp_path / "arrow.json", True)
    written = (tmp_path / "plain.json").read_text("utf-8")
    assert written == (tmp_path / "arrow.json").read_text("utf-8")
    assert len(json.loads(written)) == len(plain)


def test_a_status_a_32_bit_column_cannot_hold_is_refused_before_any_table_is_built() -> None:
    plain = result_rows([RowResult("Row0", ApiResponse(2**31, JSON, "{}"))], ResultFormat.RAW)
    with pytest.raises(OverflowError, match="status"):
        plain.check()
    with pytest.raises(ValueError, match="too large"):
        plain.to_arrow()  # what check() stands in for (pyarrow's ArrowInvalid)
