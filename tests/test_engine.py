"""The one engine: every operation, every result format it has, against the sandbox.

Each test talks to the embedded sandbox on 127.0.0.1 (``run_duration`` 0: a run ends on its
first poll); nothing reaches the internet. Tables are checked with their exact Arrow types,
as KNIME takes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_assistants import operations
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import (
    CallInput,
    CallSettings,
    ErrorHandling,
    OperationOptions,
    WaitOptions,
    can_wait,
    check_call,
    execute_operation,
    expected_object,
    inputs_from_rows,
    output_columns,
    result_formats,
    tool_output_inputs,
)
from openai_assistants.errors import HttpStatusError, InvalidSettingsError
from openai_assistants.sandbox import SandboxServer, start_sandbox
from openai_assistants.tables.results import ResultFormat, arrow_schema

ENV = {"OPENAI_API_KEY": "sk-engine-test"}
FUNCTION_TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {}}}
FAST_WAIT = WaitOptions(poll_interval=0.01, max_wait=20.0)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with start_sandbox(run_duration=0) as server:
        yield server


def config_for(server: SandboxServer) -> ConnectionConfig:
    return ConnectionConfig(base_url=server.base_url, timeout=10.0, max_retries=0)


def call(
    server: Any,
    operation_id: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
    *,
    inputs: list[CallInput] | None = None,
    env: dict[str, str] = ENV,
    **path_and_options: Any,
):
    """Execute one operation with path values and options given as keywords, the key from
    ``env`` (on the sandbox here; test_document_operations.py on its fake)."""
    operation = operations.by_id(operation_id)
    option_names = set(OperationOptions.__dataclass_fields__)
    options = {k: v for k, v in path_and_options.items() if k in option_names}
    path = {k: v for k, v in path_and_options.items() if k not in option_names}
    text = body if body is None or isinstance(body, str) else json.dumps(body)
    settings = CallSettings(path_values=path, query_values=query or {}, body=text)
    return execute_operation(
        operation,
        inputs or [CallInput("Row0", settings)],
        ApiClient.connect(config_for(server), environ=env),
        options=OperationOptions(**options),
    )


def created(server: SandboxServer, operation_id: str, body: Any = None, **path: Any) -> dict:
    outcome = call(server, operation_id, body, **path)
    return json.loads(outcome.rows[0].response.text)


def assert_declared(operation_id: str, outcome, result_format: ResultFormat, headers=False):
    """The table has exactly the columns and Arrow types configure() declares."""
    columns = output_columns(operations.by_id(operation_id), result_format, headers)
    assert outcome.table.schema == arrow_schema(columns)


def world(server: SandboxServer) -> dict[str, str]:
    """An assistant, a thread with a user message, a completed run and its step."""
    assistant = created(server, "createAssistant", {"model": "gpt-4o", "name": "A"})
    thread = created(server, "createThread", {"messages": [{"role": "user", "content": "Hi"}]})
    message = created(
        server, "createMessage", {"role": "user", "content": "Hello"}, thread_id=thread["id"]
    )
    run = created(
        server,
        "createRun",
        {"assistant_id": assistant["id"]},
        thread_id=thread["id"],
        wait=FAST_WAIT,
    )
    assert run["status"] == "completed"
    steps = call(server, "listRunSteps", thread_id=thread["id"], run_id=run["id"])
    step = json.loads(steps.rows[0].response.text)["data"][0]
    return {
        "assistant_id": assistant["id"],
        "thread_id": thread["id"],
        "message_id": message["id"],
        "run_id": run["id"],
        "step_id": step["id"],
    }


def request_for(operation_id: str, ids: dict[str, str]) -> tuple[Any, dict[str, str]]:
    """(body, path values) that make ``operation_id`` succeed on the objects of ``ids``."""
    operation = operations.by_id(operation_id)
    path = {name: ids[name] for name in operation.path_parameters}
    bodies = {
        "createAssistant": {"model": "gpt-4o"},
        "modifyAssistant": {"name": "B"},
        "createThread": {},
        "modifyThread": {"metadata": {"k": "v"}},
        "createThreadAndRun": {"assistant_id": ids["assistant_id"]},
        "createMessage": {"role": "user", "content": "More"},
        "modifyMessage": {"metadata": {"k": "v"}},
        "createRun": {"assistant_id": ids["assistant_id"]},
        "modifyRun": {"metadata": {"k": "v"}},
    }
    return bodies.get(operation_id, None if not operation.has_body else {}), path


SIMPLE = [  # the sandbox serves the Assistants API (files and vector stores: test_documents_*)
    op.operation_id
    for op in operations.ASSISTANTS_API
    if op.operation_id not in ("submitToolOuputsToRun", "cancelRun")
]


@pytest.mark.parametrize("result_format", [ResultFormat.RAW, ResultFormat.STRUCTURED])
@pytest.mark.parametrize("operation_id", SIMPLE)
def test_every_operation_in_raw_and_structured(
    sandbox: SandboxServer, operation_id: str, result_format: ResultFormat
) -> None:
    operation = operations.by_id(operation_id)
    ids = world(sandbox)
    body, path = request_for(operation_id, ids)
    outcome = call(sandbox, operation_id, body, result_format=result_format, **path)
    assert_declared(operation_id, outcome, result_format)
    table = outcome.table.to_pylist()
    assert table, "every operation answers with at least one row here"
    if result_format is ResultFormat.RAW:
        assert [row["status"] for row in table] == [200]
        assert json.loads(table[0]["body"])["object"] == expected_object(operation)
    elif operation.returns_list:
        assert [row["<RowID>"] for row in table] == [f"Row0#{n}" for n in range(len(table))]
        assert {row["object"] for row in table} == {_item_object(operation)}
        assert {row["http_status"] for row in table} == {200}
    else:
        assert len(table) == 1 and table[0]["<RowID>"] == "Row0"
        assert table[0]["object"] == expected_object(operation)
        assert table[0]["http_status"] == 200 and table[0]["error"] is None


def _item_object(operation) -> str:
    return {
        "assistant": "assistant",
        "thread": "thread",
        "message": "thread.message",
        "run": "thread.run",
        "run_step": "thread.run.step",
    }[operation.result_kind.value]


STREAMING = [op.operation_id for op in operations.ALL if op.can_stream]


@pytest.mark.parametrize("result_format", list(ResultFormat))
@pytest.mark.parametrize("operation_id", STREAMING)
def test_streaming_operations_in_every_format(
    sandbox: SandboxServer, operation_id: str, result_format: ResultFormat
) -> None:
    ids = world(sandbox)
    if operation_id == "submitToolOuputsToRun":
        ids, outputs = _requiring_action(sandbox, ids)
        body: Any = {"tool_outputs": outputs, "stream": True}
    else:
        body = {"assistant_id": ids["assistant_id"], "stream": True}
    path = {n: ids[n] for n in operations.by_id(operation_id).path_parameters}
    outcome = call(sandbox, operation_id, body, result_format=result_format, **path)
    assert_declared(operation_id, outcome, result_format)
    rows = outcome.table.to_pylist()
    if result_format is ResultFormat.EVENTS:
        assert rows[0]["<RowID>"] == "Row0#0"
        assert rows[-1]["data"] == "[DONE]"
        assert "thread.run.completed" in [row["event"] for row in rows]
    elif result_format is ResultFormat.STRUCTURED:
        assert rows[0]["object"] == "thread.run" and rows[0]["status"] == "completed"
    else:
        assert rows[0]["status"] == 200 and "event: thread.run.completed" in rows[0]["body"]


def _requiring_action(sandbox: SandboxServer, ids: dict[str, str]):
    """A run that waits for a tool output (the assistant has a function tool)."""
    assistant = created(sandbox, "createAssistant", {"model": "gpt-4o", "tools": [FUNCTION_TOOL]})
    run = created(
        sandbox,
        "createRun",
        {"assistant_id": assistant["id"]},
        thread_id=ids["thread_id"],
        wait=FAST_WAIT,
    )
    assert run["status"] == "requires_action"
    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    outputs = [{"tool_call_id": c["id"], "output": "42"} for c in calls]
    return {**ids, "run_id": run["id"], "assistant_id": assistant["id"]}, outputs


def test_cancel_run_answers_with_the_run(sandbox: SandboxServer) -> None:
    ids = world(sandbox)
    assistant = created(sandbox, "createAssistant", {"model": "gpt-4o", "tools": [FUNCTION_TOOL]})
    run = created(
        sandbox,
        "createRun",
        {"assistant_id": assistant["id"]},
        thread_id=ids["thread_id"],
        wait=FAST_WAIT,
    )
    for result_format in (ResultFormat.RAW, ResultFormat.STRUCTURED):
        outcome = call(
            sandbox,
            "cancelRun",
            result_format=result_format,
            on_error=ErrorHandling.OUTPUT,
            thread_id=ids["thread_id"],
            run_id=run["id"],
        )
        assert_declared("cancelRun", outcome, result_format)
    final = created(sandbox, "getRun", thread_id=ids["thread_id"], run_id=run["id"])
    assert final["status"] in ("cancelling", "cancelled")


def test_tool_output_round_trip_from_a_table_and_wait(sandbox: SandboxServer) -> None:
    ids, outputs = _requiring_action(sandbox, world(sandbox))
    call_ids = [o["tool_call_id"] for o in outputs]
    inputs = tool_output_inputs(
        [f"Row{n}" for n in range(len(call_ids))],
        CallSettings(path_values={"thread_id": ids["thread_id"], "run_id": ids["run_id"]}),
        call_ids,
        ["sunny"] * len(call_ids),
    )
    assert len(inputs) == 1  # one run: one request with every output
    outcome = call(
        sandbox,
        "submitToolOuputsToRun",
        inputs=inputs,
        wait=FAST_WAIT,
        result_format=ResultFormat.STRUCTURED,
    )
    (row,) = outcome.table.to_pylist()
    assert row["status"] == "completed" and row["id"] == ids["run_id"]
    messages = call(
        sandbox,
        "listMessages",
        query={"run_id": ids["run_id"]},
        thread_id=ids["thread_id"],
        result_format=ResultFormat.STRUCTURED,
    )
    texts = [r["text"] for r in messages.table.to_pylist() if r["role"] == "assistant"]
    assert texts and all(texts)


def test_create_thread_and_run_waits_with_the_answers_thread(sandbox: SandboxServer) -> None:
    assistant = created(sandbox, "createAssistant", {"model": "gpt-4o"})
    body = {
        "assistant_id": assistant["id"],
        "thread": {"messages": [{"role": "user", "content": "x"}]},
    }
    outcome = call(
        sandbox, "createThreadAndRun", body, wait=FAST_WAIT, result_format=ResultFormat.STRUCTURED
    )
    (row,) = outcome.table.to_pylist()
    assert row["status"] == "completed" and row["thread_id"].startswith("thread_")


def test_get_run_waits_until_the_run_ends() -> None:
    with start_sandbox(run_duration=0.3) as server:
        ids = {"assistant_id": created(server, "createAssistant", {"model": "gpt-4o"})["id"]}
        thread = created(server, "createThread", {"messages": [{"role": "user", "content": "x"}]})
        run = created(
            server, "createRun", {"assistant_id": ids["assistant_id"]}, thread_id=thread["id"]
        )
        assert run["status"] == "queued"
        outcome = call(
            server,
            "getRun",
            thread_id=thread["id"],
            run_id=run["id"],
            wait=FAST_WAIT,
            result_format=ResultFormat.STRUCTURED,
        )
        assert outcome.table.to_pylist()[0]["status"] == "completed"


def test_all_pages_follow_has_more_up_to_max_items(sandbox: SandboxServer) -> None:
    thread = created(sandbox, "createThread", {})
    for n in range(5):
        call(sandbox, "createMessage", {"role": "user", "content": f"m{n}"}, thread_id=thread["id"])
    query = {"limit": 2, "order": "asc"}
    one_page = call(
        sandbox,
        "listMessages",
        query=query,
        thread_id=thread["id"],
        result_format=ResultFormat.STRUCTURED,
    )
    assert [r["text"] for r in one_page.table.to_pylist()] == ["m0", "m1"]
    every = call(
        sandbox,
        "listMessages",
        query=query,
        thread_id=thread["id"],
        result_format=ResultFormat.STRUCTURED,
        all_pages=True,
    )
    rows = every.table.to_pylist()
    assert [r["text"] for r in rows] == [f"m{n}" for n in range(5)]
    assert [r["<RowID>"] for r in rows] == [f"Row0#{n}" for n in range(5)]
    capped = call(
        sandbox,
        "listMessages",
        query=query,
        thread_id=thread["id"],
        result_format=ResultFormat.STRUCTURED,
        all_pages=True,
        max_items=3,
    )
    assert [r["text"] for r in capped.table.to_pylist()] == ["m0", "m1", "m2"]
    raw = call(sandbox, "listMessages", query=query, thread_id=thread["id"], all_pages=True)
    pages = raw.table.to_pylist()
    assert [r["<RowID>"] for r in pages] == ["Row0#0", "Row0#1", "Row0#2"]
    assert [len(json.loads(r["body"])["data"]) for r in pages] == [2, 2, 1]


def test_an_empty_list_gives_no_rows_but_typed_columns(sandbox: SandboxServer) -> None:
    thread = created(sandbox, "createThread", {})
    outcome = call(
        sandbox, "listRuns", thread_id=thread["id"], result_format=ResultFormat.STRUCTURED
    )
    assert outcome.table.num_rows == 0
    assert_declared("listRuns", outcome, ResultFormat.STRUCTURED)
    assert outcome.table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")


def test_an_error_carries_the_request_and_can_become_a_row(sandbox: SandboxServer) -> None:
    with pytest.raises(HttpStatusError) as caught:
        call(sandbox, "getThread", thread_id="thread_missing")
    assert caught.value.request.method == "GET"
    assert caught.value.request.url == f"{sandbox.base_url}/threads/thread_missing"
    assert "HTTP 404" in str(caught.value)
    assert str(caught.value).endswith("Check the thread ID and the base URL.")
    outcome = call(
        sandbox,
        "getThread",
        thread_id="thread_missing",
        on_error=ErrorHandling.OUTPUT,
        result_format=ResultFormat.STRUCTURED,
    )
    (row,) = outcome.table.to_pylist()
    assert row["http_status"] == 404 and row["id"] is None and "HTTP 404" in row["error"]
    assert outcome.warnings and "HTTP 404" in outcome.warnings[0]


def test_rows_of_a_table_keep_ids_order_and_ids_fall_back_to_the_dialog(
    sandbox: SandboxServer,
) -> None:
    first = created(sandbox, "createThread", {})
    second = created(sandbox, "createThread", {})
    settings = CallSettings(
        path_values={"thread_id": first["id"]}, body='{"role": "user", "content": "dialog"}'
    )
    inputs = inputs_from_rows(
        ["a", "b", "c"],
        settings,
        {
            "thread_id": [None, second["id"], None],
            "body": [
                '{"role": "user", "content": "one"}',
                '{"role": "user", "content": "two"}',
                '{"role": "user", "content": "cell"}',
            ],
        },
    )
    outcome = call(
        sandbox,
        "createMessage",
        inputs=inputs,
        result_format=ResultFormat.STRUCTURED,
        concurrency=2,
    )
    rows = outcome.table.to_pylist()
    assert [r["<RowID>"] for r in rows] == ["a", "b", "c"]
    assert [r["thread_id"] for r in rows] == [first["id"], second["id"], first["id"]]
    assert [r["text"] for r in rows] == ["one", "two", "cell"]


def test_a_missing_body_cell_sends_nothing_for_its_row(sandbox: SandboxServer) -> None:
    """Missing in, missing out: the row's output holds missing values and "missing body"
    naming the column; the dialog's body is never sent in its place."""
    thread = created(sandbox, "createThread", {})
    settings = CallSettings(
        path_values={"thread_id": thread["id"]}, body='{"role": "user", "content": "dialog"}'
    )
    inputs = inputs_from_rows(
        ["a", "b", "c"],
        settings,
        {"body": ['{"role": "user", "content": "one"}', None, '{"role": "user", "content": "3"}']},
        {"body": "question"},
    )
    outcome = call(
        sandbox,
        "createMessage",
        inputs=inputs,
        result_format=ResultFormat.STRUCTURED,
        on_error=ErrorHandling.OUTPUT,
    )
    rows = outcome.table.to_pylist()
    assert [r["<RowID>"] for r in rows] == ["a", "b", "c"]
    assert [r["text"] for r in rows] == ["one", None, "3"]
    assert rows[1]["id"] is None and rows[1]["http_status"] is None
    assert rows[1]["error"].startswith("missing body: the body column 'question' has a missing")
    listed = created(sandbox, "listMessages", None, thread_id=thread["id"])
    assert sorted(m["content"][0]["text"]["value"] for m in listed["data"]) == ["3", "one"]
    assert any(w.startswith("b: missing body") for w in outcome.warnings)

    with pytest.raises(InvalidSettingsError, match=r"^b: missing body: the body column 'question'"):
        call(sandbox, "createMessage", inputs=inputs)  # Fail: before anything is sent
    listed = created(sandbox, "listMessages", None, thread_id=thread["id"])
    assert len(listed["data"]) == 2


def test_a_stopped_table_names_what_was_already_created(sandbox: SandboxServer) -> None:
    thread = created(sandbox, "createThread", {})
    body = '{"role": "user", "content": "x"}'
    inputs = [
        CallInput("R0", CallSettings({"thread_id": thread["id"]}, body=body)),
        CallInput("R1", CallSettings({"thread_id": "thread_missing"}, body=body)),
    ]
    with pytest.raises(HttpStatusError) as caught:
        call(sandbox, "createMessage", inputs=inputs, concurrency=1)
    message = str(caught.value)
    assert "thread_missing" in caught.value.request.url
    assert "Already done by Create Message: msg_" in message
    assert f"(R0, a message on thread '{thread['id']}')" in message


def test_configure_checks_options_and_settings() -> None:
    config = ConnectionConfig()
    get_thread = operations.by_id("getThread")
    with pytest.raises(InvalidSettingsError) as caught:
        check_call(get_thread, CallSettings(), config, OperationOptions())
    assert caught.value.setting == "thread_id"
    assert (
        check_call(
            get_thread, CallSettings(), config, OperationOptions(), from_columns=("thread_id",)
        )
        == []
    )
    with pytest.raises(InvalidSettingsError) as caught:
        check_call(
            get_thread, CallSettings({"thread_id": "t"}), config, OperationOptions(wait=FAST_WAIT)
        )
    assert caught.value.setting == "wait_for_completion"
    with pytest.raises(InvalidSettingsError) as caught:
        check_call(
            get_thread,
            CallSettings({"thread_id": "t"}),
            config,
            OperationOptions(result_format=ResultFormat.EVENTS),
        )
    assert caught.value.setting == "result_format"
    run = operations.by_id("createThreadAndRun")
    with pytest.raises(InvalidSettingsError) as caught:
        check_call(
            run,
            CallSettings(body='{"assistant_id": "asst_1"}'),
            config,
            OperationOptions(result_format=ResultFormat.EVENTS),
        )
    assert "stream" in str(caught.value)
    with pytest.raises(InvalidSettingsError) as caught:
        check_call(
            operations.by_id("listRuns"),
            CallSettings({"thread_id": "t"}),
            config,
            OperationOptions(all_pages=True, max_items=0),
        )
    assert caught.value.setting == "max_items"


def test_formats_and_waiting_per_operation() -> None:
    streaming = {
        op.operation_id for op in operations.ALL if ResultFormat.EVENTS in result_formats(op)
    }
    assert streaming == {"createRun", "createThreadAndRun", "submitToolOuputsToRun"}
    waiting = {op.operation_id for op in operations.ALL if can_wait(op)}
    assert waiting == {
        *("createRun", "createThreadAndRun", "getRun", "submitToolOuputsToRun"),
        *("createVectorStore", "createVectorStoreFile", "createVectorStoreFileBatch"),
    }
    objects = {op.operation_id: expected_object(op) for op in operations.ALL}
    assert objects["deleteThread"] == "thread.deleted"
    assert objects["listRunSteps"] == "list"
    assert objects["getRunStep"] == "thread.run.step"


def test_tool_outputs_group_by_run_and_need_a_call_id() -> None:
    settings = CallSettings(
        path_values={"thread_id": "thread_1", "run_id": "run_1"}, body='{"stream": false}'
    )
    inputs = tool_output_inputs(
        ["r0", "r1", "r2"],
        settings,
        ["call_a", "call_b", "call_c"],
        ["1", None, "3"],
        run_ids=[None, "run_2", None],
    )
    assert [i.row_id for i in inputs] == ["r0", "r1"]
    assert json.loads(inputs[0].settings.body) == {
        "stream": False,
        "tool_outputs": [
            {"tool_call_id": "call_a", "output": "1"},
            {"tool_call_id": "call_c", "output": "3"},
        ],
    }
    assert inputs[1].settings.path_values["run_id"] == "run_2"
    with pytest.raises(InvalidSettingsError) as caught:
        tool_output_inputs(["r0", "r1"], settings, ["call_a", None], ["1", "2"])
    assert "r1" in str(caught.value) and caught.value.setting == "tool_call_id_column"


def mock_client(body: dict[str, Any], status: int = 200):
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    return httpx.Client(transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    ("operation_id", "path", "answer", "expected"),
    [
        ("getThread", {"thread_id": "t"}, {"id": "run_1", "object": "thread.run"}, "thread"),
        (
            "deleteMessage",
            {"thread_id": "t", "message_id": "m"},
            {"id": "m", "object": "thread.deleted"},
            "thread.message.deleted",
        ),
        ("listRuns", {"thread_id": "t"}, {"object": "thread.run", "data": []}, "list"),
        (
            "getRunStep",
            {"thread_id": "t", "run_id": "r", "step_id": "s"},
            {"object": "thread.run.step"},
            "thread.run.step",
        ),
    ],
)
def test_an_answer_that_is_not_the_operations_object_is_reported(
    operation_id: str, path: dict[str, str], answer: dict[str, Any], expected: str
) -> None:
    from openai_assistants.errors import ResponseFormatError

    with mock_client(answer) as client, pytest.raises(ResponseFormatError) as caught:
        execute_operation(
            operations.by_id(operation_id),
            [CallInput("Row0", CallSettings(path_values=path))],
            ApiClient.connect(
                ConnectionConfig(base_url="https://api.example.test/v1", max_retries=0),
                environ=ENV,
                http=client,
            ),
        )
    assert f"not with a {expected} object" in str(caught.value)
    assert caught.value.request.method == operations.by_id(operation_id).method


def test_a_list_answer_without_data_is_reported() -> None:
    from openai_assistants.errors import ResponseFormatError

    with mock_client({"object": "list", "items": []}) as client:
        with pytest.raises(ResponseFormatError) as caught:
            execute_operation(
                operations.by_id("listAssistants"),
                [CallInput("Row0", CallSettings())],
                ApiClient.connect(
                    ConnectionConfig(base_url="https://api.example.test/v1", max_retries=0),
                    environ=ENV,
                    http=client,
                ),
            )
        assert "no data array" in str(caught.value)
        outcome = execute_operation(
            operations.by_id("listAssistants"),
            [CallInput("Row0", CallSettings())],
            ApiClient.connect(
                ConnectionConfig(base_url="https://api.example.test/v1", max_retries=0),
                environ=ENV,
                http=client,
            ),
            options=OperationOptions(
                on_error=ErrorHandling.OUTPUT, result_format=ResultFormat.STRUCTURED
            ),
        )
    (row,) = outcome.table.to_pylist()
    assert row["<RowID>"] == "Row0" and "no data array" in row["error"]
    assert_declared("listAssistants", outcome, ResultFormat.STRUCTURED)


@pytest.mark.parametrize("result_format", [ResultFormat.RAW, ResultFormat.STRUCTURED])
@pytest.mark.parametrize("operation", operations.ALL, ids=lambda op: op.operation_id)
def test_rows_that_fail_before_sending_keep_their_place_with_typed_missing_cells(
    operation, result_format: ResultFormat
) -> None:
    """With Output error responses an unusable row becomes a row of missing cells whose
    columns still have their declared Arrow types (what KNIME checks against configure)."""
    if operation.path_parameters:
        broken = CallSettings(path_values={operation.path_parameters[0]: "a b"})
    elif operation.has_body:
        broken = CallSettings(body="[")
    else:
        broken = CallSettings(query_values={"limit": 0})
    outcome = execute_operation(
        operation,
        [CallInput("Row0", broken), CallInput("Row1", broken)],
        ApiClient.connect(ConnectionConfig(base_url="https://api.example.test/v1"), environ=ENV),
        options=OperationOptions(on_error=ErrorHandling.OUTPUT, result_format=result_format),
    )
    assert outcome.table.schema == arrow_schema(output_columns(operation, result_format))
    assert outcome.table.column("<RowID>").to_pylist() == ["Row0", "Row1"]
    assert len(outcome.warnings) == 2 and outcome.warnings[0].startswith("Row0: ")
    if result_format is ResultFormat.STRUCTURED:
        assert all(outcome.table.column("error").to_pylist())
        assert outcome.table.column("http_status").null_count == 2


def test_the_api_client_never_shows_its_key() -> None:
    api = ApiClient.connect(
        ConnectionConfig(base_url="https://api.example.test/v1"),
        environ={"OPENAI_API_KEY": "sk-hidden-1"},
    )
    assert "sk-hidden-1" not in repr(api) + str(api) + repr(api.config)
    assert not hasattr(api, "__dict__")  # nothing that vars() or a debugger dump would list


ID = st.sampled_from(["a", "b", None])


@given(rows=st.lists(st.tuples(ID, ID), min_size=1, max_size=12))
def test_tool_outputs_every_output_once_in_row_order_grouped_by_run(rows) -> None:
    """Whatever the table: each output is sent exactly once, in its run's request, in row
    order, and each request is named by its run's first row."""
    row_ids = [f"r{n}" for n in range(len(rows))]
    settings = CallSettings(path_values={"thread_id": "t0", "run_id": "u0"})
    inputs = tool_output_inputs(
        row_ids,
        settings,
        [f"call_{n}" for n in range(len(rows))],
        [f"out{n}" for n in range(len(rows))],
        thread_ids=[t for t, _ in rows],
        run_ids=[r for _, r in rows],
    )
    sent = []
    for call_input in inputs:
        path = call_input.settings.path_values
        outputs = json.loads(call_input.settings.body)["tool_outputs"]
        numbers = [int(o["tool_call_id"][5:]) for o in outputs]
        assert numbers == sorted(numbers)
        assert call_input.row_id == f"r{numbers[0]}"
        for n in numbers:
            assert (rows[n][0] or "t0", rows[n][1] or "u0") == (path["thread_id"], path["run_id"])
            assert outputs[numbers.index(n)]["output"] == f"out{n}"
        sent += numbers
    assert sorted(sent) == list(range(len(rows)))
