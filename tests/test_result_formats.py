"""Result formats: Raw Response, Structured (typed run columns) and Events."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import knime.extension as knext
import pyarrow as pa
import pytest
from http_stub import Reply, StubServer
from knime_contexts import ConfigurationContext, ExecutionContext
from node_factories import SENTINEL_KEY, configuration_port, create_run_node

from openai_assistants.client.exchange import ApiResponse
from openai_assistants.tables.results import (
    ARROW_TYPES,
    HEADER_COLUMNS,
    STRUCTURED_COLUMNS,
    ResultFormat,
    RowResult,
    result_columns,
    result_table,
)

RUN = (Path(__file__).parent / "data" / "run-object.json").read_text()
SSE = {"Content-Type": "text/event-stream"}
CREDENTIALS = {"openai": SENTINEL_KEY}


def _stream(*runs: dict) -> str:
    parts = [f"event: thread.run.{run['status']}\ndata: {json.dumps(run)}\n\n" for run in runs]
    step = {"id": "step_1", "object": "thread.run.step", "status": "completed"}
    parts.insert(1, f"event: thread.run.step.completed\ndata: {json.dumps(step)}\n\n")
    return "".join(parts) + "event: done\ndata: [DONE]\n\n"


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def structured(response: ApiResponse, error: str = "") -> dict[str, Any]:
    table = result_table([RowResult("Row0", response, error)], ResultFormat.STRUCTURED)
    return table.to_pylist()[0]


def test_structured_row_has_typed_run_fields() -> None:
    row = structured(ApiResponse(200, (("content-type", "application/json"),), RUN))
    assert row["id"] == "run_abc123" and row["status"] == "queued" and row["model"] == "gpt-4o"
    assert row["created_at"] == datetime(2023, 11, 4, 2, 1, 30, tzinfo=timezone.utc)
    assert row["completed_at"] == datetime(2023, 11, 4, 2, 1, 31, tzinfo=timezone.utc)
    assert row["expires_at"] is None and row["instructions"] is None
    assert row["temperature"] == 1.0 and row["top_p"] == 1.0
    assert row["max_prompt_tokens"] == 1000
    assert row["usage_total_tokens"] is None  # usage is null until the run ends
    assert row["parallel_tool_calls"] is True
    assert json.loads(row["tools"]) == [{"type": "code_interpreter"}]
    assert json.loads(row["truncation_strategy"]) == {"type": "auto", "last_messages": None}
    assert json.loads(row["response_format"]) == "auto"
    assert row["http_status"] == 200 and row["error"] is None


@pytest.mark.parametrize("result_format", list(ResultFormat))
@pytest.mark.parametrize("include_headers", [False, True])
@pytest.mark.parametrize(
    "response",
    [
        ApiResponse(200, (("content-type", "application/json"),), RUN),
        ApiResponse(404, (), '{"error": {"message": "No thread"}}'),
        None,  # a row that failed before an answer came (Output error responses)
    ],
    ids=["run", "error", "no-answer"],
)
def test_every_column_has_its_declared_arrow_type_even_when_all_missing(
    result_format: ResultFormat, include_headers: bool, response: ApiResponse | None
) -> None:
    """All-missing cells (headers not sent, cancelled_at of a queued run, ...) keep the type
    configure() declared, never Arrow's null or a float column."""
    rows = [RowResult("Row0", response, "" if response else "HTTP 500")]
    table = result_table(rows, result_format, include_headers)
    declared = result_columns(result_format, include_headers)
    assert table.schema == pa.schema(
        [("<RowID>", pa.string()), *((name, ARROW_TYPES[kind]) for name, kind in declared)]
    )
    assert table["<RowID>"].to_pylist() == ["Row0"]


def test_declared_arrow_types_are_the_contract() -> None:
    assert {
        "string": pa.string(), "int32": pa.int32(), "int64": pa.int64(),
        "double": pa.float64(), "bool": pa.bool_(), "datetime": pa.timestamp("us", tz="UTC"),
    } == ARROW_TYPES  # fmt: skip


def test_numbers_a_column_cannot_hold_stay_missing() -> None:
    run = json.loads(RUN) | {"max_prompt_tokens": 2**70, "created_at": 10**20, "top_p": "x",
                             "usage": {"prompt_tokens": 1.5, "total_tokens": 3.0}}  # fmt: skip
    row = structured(ApiResponse(200, (), json.dumps(run)))
    assert row["max_prompt_tokens"] is None and row["created_at"] is None
    assert row["top_p"] is None and row["usage_prompt_tokens"] is None
    assert row["usage_total_tokens"] == 3


def test_structured_usage_tokens_are_integers() -> None:
    run = json.loads(RUN) | {"status": "completed", "usage": {"prompt_tokens": 5,
                             "completion_tokens": 7, "total_tokens": 12}}  # fmt: skip
    row = structured(ApiResponse(200, (), json.dumps(run)))
    assert (row["usage_prompt_tokens"], row["usage_completion_tokens"]) == (5, 7)
    assert row["usage_total_tokens"] == 12


def test_structured_error_row_keeps_status_and_message() -> None:
    body = '{"error": {"message": "No thread", "type": "x", "param": null, "code": null}}'
    row = structured(ApiResponse(404, (), body), error="HTTP 404: No thread")
    assert row["id"] is None and row["http_status"] == 404
    assert row["error"] == "HTTP 404: No thread"


def test_structured_from_a_stream_takes_the_final_run() -> None:
    queued = json.loads(RUN)
    done = queued | {"status": "completed", "completed_at": 1699063300}
    response = ApiResponse(200, (("Content-Type", "text/event-stream"),),
                           _stream(queued, done))  # fmt: skip
    row = structured(response)
    assert row["status"] == "completed"
    assert row["completed_at"] == utc(1699063300)


def test_events_format_has_one_row_per_event() -> None:
    queued = json.loads(RUN)
    text = _stream(queued, queued | {"status": "completed"})
    response = ApiResponse(200, (("Content-Type", "text/event-stream"),), text)
    table = result_table([RowResult("Row0", response)], ResultFormat.EVENTS)
    assert table["event"].to_pylist() == [
        "thread.run.queued", "thread.run.step.completed", "thread.run.completed", "done",
    ]  # fmt: skip
    assert table["data"].to_pylist()[-1] == "[DONE]"
    assert json.loads(table["data"].to_pylist()[0])["id"] == "run_abc123"
    assert table["<RowID>"].to_pylist() == ["Row0#0", "Row0#1", "Row0#2", "Row0#3"]


def test_headers_become_columns_when_asked() -> None:
    headers = (("x-request-id", "req_1"), ("x-ratelimit-remaining-requests", "99"))
    table = result_table(
        [RowResult("Row0", ApiResponse(200, headers, RUN))],
        ResultFormat.RAW,
        include_headers=True,
    )
    assert table.column_names == ["<RowID>", "body", "status"] + [n for n, _ in HEADER_COLUMNS]
    assert table["x-request-id"].to_pylist() == ["req_1"]
    assert table["x-ratelimit-remaining-requests"].to_pylist() == ["99"]
    assert table["openai-processing-ms"].to_pylist() == [None]


def test_configure_declares_raw_columns_with_headers() -> None:
    port = configuration_port("https://api.openai.com/v1")
    schema, _ = create_run_node(include_headers=True).configure(ConfigurationContext(), port.spec)
    assert schema.column_names == [n for n, _ in result_columns(ResultFormat.RAW, True)]


def test_configure_declares_structured_columns() -> None:
    """The date&time types are registered as KNIME registers them (conftest)."""
    port = configuration_port("https://api.openai.com/v1")
    schema, _ = create_run_node(result_format="STRUCTURED").configure(
        ConfigurationContext(), port.spec
    )
    assert schema.column_names == [n for n, _ in STRUCTURED_COLUMNS]
    assert schema["created_at"].ktype == knext.datetime(date=True, time=True, timezone=True)
    assert schema["usage_total_tokens"].ktype == knext.int64()


def test_events_format_needs_a_streaming_body() -> None:
    port = configuration_port("https://api.openai.com/v1")
    node = create_run_node(result_format="EVENTS")
    with pytest.raises(knext.InvalidParametersError, match='needs "stream": true'):
        node.configure(ConfigurationContext(), port.spec)
    schema, _ = create_run_node(
        result_format="EVENTS", body='{"assistant_id": "a", "stream": true}'
    ).configure(ConfigurationContext(), port.spec)
    assert schema.column_names == ["event", "data"]


def test_node_outputs_structured_final_run_of_a_stream() -> None:
    queued = json.loads(RUN)
    with StubServer() as server:
        server.reply(Reply(200, _stream(queued, queued | {"status": "completed"}), headers=SSE))
        port = configuration_port(server.base_url, credentials="openai")
        node = create_run_node(
            body='{"assistant_id": "asst_1", "stream": true}', result_format="STRUCTURED"
        )
        table, _ = node.execute(ExecutionContext(CREDENTIALS), port)
    row = table.to_pandas().iloc[0]
    assert (row["id"], row["status"], row["http_status"]) == ("run_abc123", "completed", 200)
