"""The Create Run node as KNIME runs it: configure, execute, ports, warnings and errors."""

from __future__ import annotations

import json

import knime.extension as knext
import pytest
from http_stub import Reply, StubServer
from knime_contexts import ConfigurationContext, ExecutionContext
from node_factories import SENTINEL_KEY, configuration_port, create_run_node

from openai_assistants.errors import HttpStatusError, InvalidBodyError, ResponseFormatError
from openai_assistants.operations.model import INCLUDE_FILE_SEARCH_CONTENT

RUN_BODY = json.dumps({"id": "run_1", "object": "thread.run", "status": "queued"})
RAW_SCHEMA = knext.Schema.from_columns(
    [knext.Column(knext.string(), "body"), knext.Column(knext.int32(), "status")]
)
CREDENTIALS = {"openai": SENTINEL_KEY}


def execute(node, port, context=None):
    context = context or ExecutionContext(CREDENTIALS)
    table, passthrough = node.execute(context, port)
    return table.to_pandas(), passthrough, context


def test_configure_returns_raw_table_schema_and_the_same_spec() -> None:
    port = configuration_port("https://api.openai.com/v1", credentials="openai")
    table_schema, spec = create_run_node().configure(ConfigurationContext(CREDENTIALS), port.spec)
    assert table_schema == RAW_SCHEMA
    assert spec is port.spec


def test_configure_reports_invalid_body_before_execution() -> None:
    port = configuration_port("https://api.openai.com/v1")
    node = create_run_node(body='{"assistant_id": "a", "temperature": 5}')
    with pytest.raises(knext.InvalidParametersError, match="temperature: 5 is greater"):
        node.configure(ConfigurationContext(), port.spec)


def test_configure_reports_empty_thread_id() -> None:
    port = configuration_port("https://api.openai.com/v1")
    with pytest.raises(knext.InvalidParametersError, match="Thread ID is empty"):
        create_run_node(thread_id="").configure(ConfigurationContext(), port.spec)


def test_fresh_node_has_a_body_template_and_asks_for_the_thread() -> None:
    from openai_assistants_knime.nodes.create_run import CreateRunNode

    fresh = CreateRunNode()
    assert json.loads(fresh.request.body) == {"assistant_id": ""}
    assert fresh.result.result_format == "RAW" and fresh.errors.error_handling == "FAIL"
    port = configuration_port("https://api.openai.com/v1")
    with pytest.raises(knext.InvalidParametersError, match="Thread ID is empty"):
        fresh.configure(ConfigurationContext(), port.spec)


def test_execute_outputs_body_exactly_and_status_as_int32() -> None:
    body = '{"id": "run_1",   "object": "thread.run", "status": "queued", "x": "\\u00e9"}'
    with StubServer() as server:
        server.reply(Reply(200, body))
        port = configuration_port(server.base_url, credentials="openai")
        context = ExecutionContext(CREDENTIALS)
        knime_table, _ = create_run_node().execute(context, port)
    assert knime_table.schema == RAW_SCHEMA  # KNIME's String and Number (integer) columns
    table = knime_table.to_pandas()
    assert list(table.columns) == ["body", "status"]
    assert table["body"].tolist() == [body]
    assert table["status"].tolist() == [200]
    assert context.warnings == []
    assert context.progress[-1][0] == 1.0


def test_passthrough_port_is_the_input_port_unchanged() -> None:
    with StubServer() as server:
        server.reply(Reply(200, RUN_BODY))
        port = configuration_port(server.base_url, credentials="openai", organization="org-1")
        before = port.spec.serialize()
        _, passthrough, _ = execute(create_run_node(), port)
    assert passthrough is port
    assert passthrough.spec.serialize() == before


def test_execute_sends_key_from_credentials_and_selected_include() -> None:
    with StubServer() as server:
        server.reply(Reply(200, RUN_BODY))
        port = configuration_port(server.base_url, credentials="openai")
        execute(create_run_node(include=["FILE_SEARCH_RESULT_CONTENT"]), port)
    (received,) = server.received
    assert received.headers["authorization"] == f"Bearer {SENTINEL_KEY}"
    assert received.query == [("include[]", INCLUDE_FILE_SEARCH_CONTENT)]


def test_execute_uses_environment_key_when_no_credentials_chosen(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    with StubServer() as server:
        server.reply(Reply(200, RUN_BODY))
        execute(create_run_node(), configuration_port(server.base_url), ExecutionContext())
    assert server.received[0].headers["authorization"] == f"Bearer {SENTINEL_KEY}"


def test_missing_key_names_where_it_was_looked_for() -> None:
    with StubServer() as server:
        port = configuration_port(server.base_url)
        with pytest.raises(Exception, match="environment variable OPENAI_API_KEY"):
            execute(create_run_node(), port, ExecutionContext())
        port = configuration_port(server.base_url, credentials="gone")
        with pytest.raises(Exception, match="KNIME credentials 'gone'"):
            execute(create_run_node(), port, ExecutionContext())
    assert server.received == []


def test_http_error_fails_the_node_with_status_url_and_api_message() -> None:
    error_body = json.dumps(
        {
            "error": {
                "message": "No thread found with id 'thread_1'.",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
    )
    with StubServer() as server:
        server.reply(Reply(404, error_body))
        port = configuration_port(server.base_url, credentials="openai")
        with pytest.raises(HttpStatusError) as caught:
            execute(create_run_node(), port)
    message = str(caught.value)
    assert "HTTP 404 Not Found" in message
    assert f"POST {server.base_url}/threads/thread_1/runs" in message
    assert "No thread found with id 'thread_1'." in message


def test_http_error_becomes_a_row_and_a_warning_when_chosen() -> None:
    error_body = '{"error": {"message": "Rate limit", "type": "x", "param": null, "code": null}}'
    with StubServer() as server:
        server.reply(Reply(400, error_body))
        port = configuration_port(server.base_url, credentials="openai")
        table, passthrough, context = execute(create_run_node(error_handling="OUTPUT"), port)
    assert table["status"].tolist() == [400]
    assert table["body"].tolist() == [error_body]
    assert passthrough is port
    assert len(context.warnings) == 1 and "HTTP 400" in context.warnings[0]


def test_invalid_body_is_refused_at_execute_without_sending() -> None:
    with StubServer() as server:
        port = configuration_port(server.base_url, credentials="openai")
        node = create_run_node(body='{"assistant_id": "a", "top_p": 3, "temperature": -1}')
        with pytest.raises(InvalidBodyError) as caught:
            execute(node, port)
    assert caught.value.violations == [
        "temperature: -1 is less than the minimum of 0",
        "top_p: 3 is greater than the maximum of 1",
    ]
    assert server.received == []


def test_unknown_fields_warn_and_are_sent_when_allowed() -> None:
    with StubServer() as server:
        server.reply(Reply(200, RUN_BODY))
        port = configuration_port(server.base_url, credentials="openai")
        node = create_run_node(
            body='{"assistant_id": "a", "future_option": "low"}', allow_unknown_fields=True
        )
        _, _, context = execute(node, port)
    assert json.loads(server.received[0].body)["future_option"] == "low"
    assert "'future_option'" in context.warnings[0]


STREAM = (
    'event: thread.run.created\ndata: {"id": "run_1", "status": "queued"}\n\n'
    'event: thread.run.completed\ndata: {"id": "run_1", "status": "completed"}\n\n'
    "event: done\ndata: [DONE]\n\n"
)


def test_streamed_response_is_output_whole_as_received() -> None:
    with StubServer() as server:
        server.reply(Reply(200, STREAM, headers={"Content-Type": "text/event-stream"}))
        port = configuration_port(server.base_url, credentials="openai")
        table, _, _ = execute(create_run_node(body='{"assistant_id": "a", "stream": true}'), port)
    assert table["body"].tolist() == [STREAM]
    assert table["status"].tolist() == [200]


def test_cut_event_stream_fails_the_node() -> None:
    cut = STREAM.split("event: done")[0]
    with StubServer() as server:
        server.reply(Reply(200, cut, headers={"Content-Type": "text/event-stream"}))
        port = configuration_port(server.base_url, credentials="openai")
        with pytest.raises(ResponseFormatError, match=r"ended before 'data: \[DONE\]'"):
            execute(create_run_node(body='{"assistant_id": "a", "stream": true}'), port)
