"""A body (or a tool output) can come from a KNIME JSON column, not only a string column.

configure() lets the user choose a JSON column where the value is JSON (a body, a tool
output), and refuses one where it must be a string (an ID); execute() sends each cell's JSON
text. The input tables are built through the installed Arrow backend (KNIME's ``knime._arrow``
where importable, else its strict stand-in), as a JSON column reaches a node inside KNIME.
"""

from __future__ import annotations

import json

import knime.extension as knext
import knime.extension.nodes as knodes
import pytest
from http_stub import Reply, StubServer
from knime_contexts import ConfigurationContext, ExecutionContext
from knime_fidelity import JSON_LOGICAL_TYPE, json_column_table, write_output
from node_factories import SENTINEL_KEY, configuration_port, create_run_node
from test_node_family import set_values

import extension  # noqa: F401  (registers every node)
from openai_assistants_knime.api_node import OperationNode
from openai_assistants_knime.api_node.table_input import (
    holds_json_text,
    is_json_column,
    is_string_column,
)

CREDENTIALS = {"openai": SENTINEL_KEY}
THREAD = {"id": "thread_1", "object": "thread", "created_at": 1, "metadata": {}}
RUN = {"id": "run_1", "object": "thread.run", "status": "queued", "thread_id": "thread_1"}
URI = '{"value_factory_class":"org.knime.core.data.v2.value.cell.DictEncodedDataCellValueFactory","data_type":{"cell_class":"org.knime.core.data.uri.URIDataCell"}}'  # noqa: E501


def _node(operation_id: str) -> OperationNode:
    (found,) = [
        registered.node_factory()
        for registered in knodes._nodes.values()
        if isinstance(instance := registered.node_factory(), OperationNode)
        and instance.operation.operation_id == operation_id
    ]
    return found


def test_which_columns_hold_json_text() -> None:
    json_column = knext.Column(knext.LogicalType(JSON_LOGICAL_TYPE, knext.string()), "j")
    text = knext.Column(knext.string(), "s")
    uri = knext.Column(knext.LogicalType(URI, knext.string()), "u")
    number = knext.Column(knext.int64(), "n")
    assert is_json_column(json_column) and holds_json_text(json_column)
    assert holds_json_text(text) and not is_json_column(text)
    assert not holds_json_text(uri) and not holds_json_text(number)
    assert not is_string_column(json_column)


def test_the_arrow_backend_gives_a_json_column_its_knime_type() -> None:
    table = json_column_table({"body": ['{"a": 1}']}, ["r1"], json={"body"})
    assert is_json_column(table.schema["body"])


def test_configure_takes_a_json_body_column_and_refuses_it_for_an_id() -> None:
    port = configuration_port("https://api.openai.com/v1", credentials="openai")
    table = json_column_table(
        {"thread": ["thread_1"], "body": ['{"role": "user", "content": "Hi"}']},
        ["r1"],
        json={"body"},
    )
    node = set_values(_node("createMessage"), thread_id="thread_1", body_column="body")
    declared, _ = node.configure(ConfigurationContext(CREDENTIALS), port.spec, table.schema)
    assert declared.column_names == ["body", "status"]
    set_values(node, thread_id_column="body")
    with pytest.raises(knext.InvalidParametersError, match="'body' must hold strings"):
        node.configure(ConfigurationContext(CREDENTIALS), port.spec, table.schema)


def test_execute_sends_each_json_cell_as_the_body() -> None:
    bodies = ['{"metadata": {"row": "1"}}', None, '{"metadata": {"row": "3"}}']
    table = json_column_table({"body": bodies}, ["a", "b", "c"], json={"body"})
    with StubServer() as server:
        server.reply(*[Reply(200, json.dumps(THREAD)) for _ in bodies])
        port = configuration_port(server.base_url, credentials="openai")
        node = set_values(
            _node("createThread"),
            body='{"metadata": {"row": "dialog"}}',
            body_column="body",
            concurrency=1,
        )
        declared, _ = node.configure(ConfigurationContext(CREDENTIALS), port.spec, table.schema)
        output, _ = node.execute(ExecutionContext(CREDENTIALS), port, table)
    assert output.schema == declared
    write_output(output)
    sent = [json.loads(received.body) for received in server.received]
    assert sent == [
        {"metadata": {"row": "1"}},
        {"metadata": {"row": "dialog"}},  # a missing cell falls back to the dialog's body
        {"metadata": {"row": "3"}},
    ]
    assert list(output.to_pandas().index) == ["a", "b", "c"]


def test_create_run_takes_its_bodies_from_a_json_column() -> None:
    table = json_column_table(
        {"thread": ["thread_1", "thread_2"], "body": ['{"assistant_id": "asst_9"}'] * 2},
        ["x", "y"],
        json={"body"},
    )
    with StubServer() as server:
        server.reply(Reply(200, json.dumps(RUN)), Reply(200, json.dumps(RUN)))
        port = configuration_port(server.base_url, credentials="openai")
        node = create_run_node(thread_id_column="thread", body_column="body", concurrency=1)
        node.configure(ConfigurationContext(CREDENTIALS), port.spec, table.schema)
        node.execute(ExecutionContext(CREDENTIALS), port, table)
    assert [r.path for r in server.received] == ["/v1/threads/thread_1/runs",
                                                 "/v1/threads/thread_2/runs"]  # fmt: skip
    assert {json.loads(r.body)["assistant_id"] for r in server.received} == {"asst_9"}


def test_tool_outputs_may_come_from_a_json_column() -> None:
    table = json_column_table(
        {"tool_call_id": ["call_1"], "output": ['{"temperature": 21}']},
        ["r1"],
        json={"output"},
    )
    with StubServer() as server:
        server.reply(Reply(200, json.dumps(RUN)))
        port = configuration_port(server.base_url, credentials="openai")
        node = set_values(
            _node("submitToolOuputsToRun"), thread_id="thread_1", run_id="run_1", body="{}"
        )
        node.configure(ConfigurationContext(CREDENTIALS), port.spec, table.schema)
        node.execute(ExecutionContext(CREDENTIALS), port, table)
    (received,) = server.received
    assert json.loads(received.body)["tool_outputs"] == [
        {"tool_call_id": "call_1", "output": '{"temperature": 21}'}
    ]
