"""Result formats: Raw Response, Structured (typed run columns) and Events."""

from __future__ import annotations

import json
from pathlib import Path

import knime.extension as knext
import pandas as pd
import pytest
from http_stub import Reply, StubServer
from knime_contexts import ConfigurationContext, ExecutionContext
from node_factories import SENTINEL_KEY, configuration_port, create_run_node

from openai_assistants.exchange import ApiResponse
from openai_assistants.results import (
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


def structured(response: ApiResponse, error: str = "") -> pd.Series:
    table = result_table([RowResult("Row0", response, error)], ResultFormat.STRUCTURED)
    return table.iloc[0]


def test_structured_row_has_typed_run_fields() -> None:
    row = structured(ApiResponse(200, (("content-type", "application/json"),), RUN))
    assert row["id"] == "run_abc123" and row["status"] == "queued" and row["model"] == "gpt-4o"
    assert row["created_at"] == pd.Timestamp("2023-11-04 02:01:30", tz="UTC")
    assert row["completed_at"] == pd.Timestamp("2023-11-04 02:01:31", tz="UTC")
    assert pd.isna(row["expires_at"]) and pd.isna(row["instructions"])
    assert row["temperature"] == 1.0 and row["top_p"] == 1.0
    assert row["max_prompt_tokens"] == 1000
    assert pd.isna(row["usage_total_tokens"])  # usage is null until the run ends
    assert row["parallel_tool_calls"] == True  # noqa: E712  (numpy's bool in a boolean column)
    assert json.loads(row["tools"]) == [{"type": "code_interpreter"}]
    assert json.loads(row["truncation_strategy"]) == {"type": "auto", "last_messages": None}
    assert json.loads(row["response_format"]) == "auto"
    assert row["http_status"] == 200 and pd.isna(row["error"])


def test_structured_column_types_match_the_declared_types() -> None:
    response = ApiResponse(200, (), RUN)
    table = result_table([RowResult("Row0", response)], ResultFormat.STRUCTURED)
    expected = {
        "string": "object", "int32": "Int32", "int64": "Int64", "double": "float64",
        "bool": "boolean", "datetime": "datetime64[ns, UTC]",
    }  # fmt: skip
    assert [(c, str(table[c].dtype)) for c in table.columns] == [
        (name, expected[kind]) for name, kind in STRUCTURED_COLUMNS
    ]


def test_structured_usage_tokens_are_integers() -> None:
    run = json.loads(RUN) | {"status": "completed", "usage": {"prompt_tokens": 5,
                             "completion_tokens": 7, "total_tokens": 12}}  # fmt: skip
    row = structured(ApiResponse(200, (), json.dumps(run)))
    assert (row["usage_prompt_tokens"], row["usage_completion_tokens"]) == (5, 7)
    assert row["usage_total_tokens"] == 12


def test_structured_error_row_keeps_status_and_message() -> None:
    body = '{"error": {"message": "No thread", "type": "x", "param": null, "code": null}}'
    row = structured(ApiResponse(404, (), body), error="HTTP 404: No thread")
    assert pd.isna(row["id"]) and row["http_status"] == 404
    assert row["error"] == "HTTP 404: No thread"


def test_structured_from_a_stream_takes_the_final_run() -> None:
    queued = json.loads(RUN)
    done = queued | {"status": "completed", "completed_at": 1699063300}
    response = ApiResponse(200, (("Content-Type", "text/event-stream"),),
                           _stream(queued, done))  # fmt: skip
    row = structured(response)
    assert row["status"] == "completed"
    assert row["completed_at"] == pd.Timestamp(1699063300, unit="s", tz="UTC")


def test_events_format_has_one_row_per_event() -> None:
    queued = json.loads(RUN)
    text = _stream(queued, queued | {"status": "completed"})
    response = ApiResponse(200, (("Content-Type", "text/event-stream"),), text)
    table = result_table([RowResult("Row0", response)], ResultFormat.EVENTS)
    assert table["event"].tolist() == [
        "thread.run.queued", "thread.run.step.completed", "thread.run.completed", "done",
    ]  # fmt: skip
    assert table["data"].tolist()[-1] == "[DONE]"
    assert json.loads(table["data"].tolist()[0])["id"] == "run_abc123"
    assert list(table.index) == ["Row0#0", "Row0#1", "Row0#2", "Row0#3"]


def test_headers_become_columns_when_asked() -> None:
    headers = (("x-request-id", "req_1"), ("x-ratelimit-remaining-requests", "99"))
    table = result_table(
        [RowResult("Row0", ApiResponse(200, headers, RUN))],
        ResultFormat.RAW,
        include_headers=True,
    )
    assert list(table.columns) == ["body", "status"] + [n for n, _ in HEADER_COLUMNS]
    assert table["x-request-id"].tolist() == ["req_1"]
    assert table["x-ratelimit-remaining-requests"].tolist() == ["99"]
    assert pd.isna(table["openai-processing-ms"].iloc[0])


def test_configure_declares_raw_columns_with_headers() -> None:
    port = configuration_port("https://api.openai.com/v1")
    schema, _ = create_run_node(include_headers=True).configure(ConfigurationContext(), port.spec)
    assert schema.column_names == [n for n, _ in result_columns(ResultFormat.RAW, True)]


def test_configure_declares_structured_columns() -> None:
    try:
        knext.datetime(date=True, time=True, timezone=True)
    except Exception:
        pytest.skip("KNIME's date&time types are registered only inside KNIME")
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
