"""The Assistant Prompter node: a table of questions in, the same table with answers out.

Run on the test double (or KNIME's real API) against the sandbox, whose echo assistant
answers ``Echo: <last user message>``; every output goes through KNIME's Arrow conversion
(``write_output``) and must equal what configure() declared.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import knime.api.schema as ks
import knime.extension as knext
import pyarrow as pa
import pytest
from knime_contexts import ConfigurationContext, ExecutionContext
from knime_fidelity import write_output
from node_factories import configuration_port

from openai_assistants.errors import CancelledError, RequestFailedError
from openai_assistants.sandbox import start_sandbox
from openai_assistants_knime.nodes.prompter import AssistantPrompterNode

KEY = "sk-sandbox-prompter-0123456789"
CREDENTIALS = {"openai": KEY}
APPENDED = [
    "Response", "thread_id", "run_id", "status", "prompt_tokens", "completion_tokens",
    "total_tokens", "citations", "required_action", "error",
]  # fmt: skip
SECTIONS = {
    "assistant_id": "assistant",
    "assistant_id_column": "assistant",
    "instructions": "assistant",
    "prompt_column": "prompt",
    "response_column": "prompt",
    "thread_mode": "threads",
    "group_column": "threads",
    "thread_id_column": "threads",
    "vector_store_id": "threads",
    "error_handling": "errors",
    "concurrency": "execution",
    "poll_interval": "execution",
    "max_wait": "execution",
}


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(api_key=KEY, run_duration=0.05) as server:
        yield server


def api(server: Any, method: str, path: str, body: dict | None = None) -> dict:
    headers = {"Authorization": f"Bearer {KEY}", "OpenAI-Beta": "assistants=v2"}
    answer = httpx.request(method, server.base_url + path, json=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def assistant(sandbox) -> str:
    return api(sandbox, "POST", "/assistants", {"model": "gpt-4o", "name": "prompter"})["id"]


def prompter(**settings: object) -> AssistantPrompterNode:
    node = AssistantPrompterNode()
    settings = {"prompt_column": "question", **settings}
    for key, value in settings.items():
        setattr(getattr(node, SECTIONS[key]), key, value)
    return node


def questions(**columns: Any) -> knext.Table:
    """An input table with the RowIDs r0, r1, ... and these columns (Arrow arrays or lists)."""
    count = len(next(iter(columns.values())))
    data = {"<RowID>": pa.array([f"r{i}" for i in range(count)], pa.string())}
    data.update(
        {k: v if isinstance(v, pa.Array) else pa.array(v, pa.string()) for k, v in columns.items()}
    )
    return knext.Table.from_pyarrow(pa.table(data))


def run_node(server: Any, node: AssistantPrompterNode, table: knext.Table, context=None):
    """configure and execute as KNIME does; the output is written as KNIME writes it."""
    port = configuration_port(server.base_url, credentials="openai")
    declared, _ = node.configure(ConfigurationContext(CREDENTIALS), port.spec, table.schema)
    context = context or ExecutionContext(CREDENTIALS)
    output, port_out = node.execute(context, port, table)
    assert output.schema == declared
    assert port_out is port
    write_output(output)
    return output.to_pyarrow().to_pylist(), context


def test_new_thread_per_row_keeps_input_columns_rowids_and_types(sandbox, assistant) -> None:
    table = questions(
        question=["What is KNIME?", None, "And Python?"],
        n=pa.array([1, None, 3], pa.int64()),
        share=pa.array([0.5, 1.5, None], pa.float64()),
        flag=pa.array([True, None, False], pa.bool_()),
    )
    rows, context = run_node(sandbox, prompter(assistant_id=assistant), table)
    assert [r["<RowID>"] for r in rows] == ["r0", "r1", "r2"]
    assert [(r["question"], r["n"], r["share"], r["flag"]) for r in rows] == [
        ("What is KNIME?", 1, 0.5, True),
        (None, None, 1.5, None),
        ("And Python?", 3, None, False),
    ]
    assert list(rows[0])[5:] == APPENDED
    assert [r["Response"] for r in rows] == ["Echo: What is KNIME?", None, "Echo: And Python?"]
    assert [r["status"] for r in rows] == ["completed", None, "completed"]
    # a missing prompt sends nothing: two threads, two runs
    assert rows[1]["thread_id"] is None and rows[1]["run_id"] is None
    assert rows[0]["thread_id"] != rows[2]["thread_id"]
    assert isinstance(rows[0]["total_tokens"], int) and rows[0]["total_tokens"] > 0
    assert rows[0]["total_tokens"] == rows[0]["prompt_tokens"] + rows[0]["completion_tokens"]
    assert rows[0]["error"] is None and rows[0]["citations"] is None
    assert context.progress[-1] == (1.0, "3 of 3 answered, 0 running")


def test_configure_declares_exactly_the_input_then_the_answer_columns(sandbox) -> None:
    table = questions(question=["q"], Response=["taken"])
    port = configuration_port(sandbox.base_url, credentials="openai")
    node = prompter(assistant_id="asst_1", response_column="Response")
    declared, _ = node.configure(ConfigurationContext(CREDENTIALS), port.spec, table.schema)
    names = declared.column_names
    assert names == ["question", "Response", "Response (#1)", *APPENDED[1:]]
    kinds = {c.name: c.ktype for c in declared}
    assert kinds["total_tokens"] == knext.int64() and kinds["citations"] == knext.string()


def test_per_group_builds_a_conversation_in_table_order(sandbox, assistant) -> None:
    table = questions(
        question=["a1", "b1", "a2", None, "a3", "b2"],
        topic=["a", "b", "a", "a", "a", "b"],
    )
    node = prompter(
        assistant_id=assistant, thread_mode="PER_GROUP", group_column="topic", concurrency=4
    )
    rows, _ = run_node(sandbox, node, table)
    assert [r["Response"] for r in rows] == [
        "Echo: a1", "Echo: b1", "Echo: a2", None, "Echo: a3", "Echo: b2",
    ]  # fmt: skip
    thread_a, thread_b = rows[0]["thread_id"], rows[1]["thread_id"]
    assert thread_a != thread_b
    assert [r["thread_id"] for r in rows] == [
        thread_a,
        thread_b,
        thread_a,
        None,
        thread_a,
        thread_b,
    ]
    history = api(sandbox, "GET", f"/threads/{thread_a}/messages?order=asc")["data"]
    said = [(m["role"], m["content"][0]["text"]["value"]) for m in history]
    assert said == [
        ("user", "a1"), ("assistant", "Echo: a1"),
        ("user", "a2"), ("assistant", "Echo: a2"),
        ("user", "a3"), ("assistant", "Echo: a3"),
    ]  # fmt: skip
    # the conversation grows: each run reads the thread so far
    assert rows[0]["prompt_tokens"] < rows[2]["prompt_tokens"] < rows[4]["prompt_tokens"]


def test_from_column_continues_existing_threads_and_sends_the_options(sandbox, assistant) -> None:
    thread = api(sandbox, "POST", "/threads", {})["id"]
    table = questions(question=["first", "second"], thread=[thread, thread])
    node = prompter(
        assistant_id=assistant,
        thread_mode="FROM_COLUMN",
        thread_id_column="thread",
        instructions="Answer briefly.",
    )
    before = len(sandbox.request_log)
    rows, _ = run_node(sandbox, node, table)
    assert [r["Response"] for r in rows] == ["Echo: first", "Echo: second"]
    assert {r["thread_id"] for r in rows} == {thread}
    sent = [e for e in sandbox.request_log[before:] if e.method == "POST"]
    assert [e.path for e in sent] == [f"/v1/threads/{thread}/runs"] * 2  # no new thread
    body = sent[0].json()
    assert body["additional_instructions"] == "Answer briefly."
    assert body["additional_messages"] == [{"role": "user", "content": "first"}]
    assert body["stream"] is True


def test_new_threads_get_the_vector_store(sandbox, assistant) -> None:
    store = httpx.post(  # the sandbox checks that a thread's vector store exists
        f"{sandbox.base_url}/vector_stores",
        json={"name": "docs"},
        headers={"Authorization": f"Bearer {KEY}"},
    ).json()["id"]
    node = prompter(assistant_id=assistant, vector_store_id=store)
    before = len(sandbox.request_log)
    run_node(sandbox, node, questions(question=["q"]))
    created = [e for e in sandbox.request_log[before:] if e.path == "/v1/threads"]
    assert created[0].json() == {"tool_resources": {"file_search": {"vector_store_ids": [store]}}}


def test_json_prompts_are_sent_as_content_arrays_or_messages(sandbox, assistant) -> None:
    """A JSON value as the core reads a JSON column's cell (the double has no JSON type)."""
    from openai_assistants.client.client import ApiClient
    from openai_assistants.client.connection import ConnectionConfig
    from openai_assistants.engine.options import ErrorHandling
    from openai_assistants.engine.prompter import prompt_rows
    from openai_assistants.engine.prompter_plan import PrompterSettings, PromptRow

    rows = [
        PromptRow("r0", '[{"type": "text", "text": "from an array"}]', prompt_is_json=True),
        PromptRow("r1", '{"role": "user", "content": "from a message"}', prompt_is_json=True),
        PromptRow("r2", '"just text"', prompt_is_json=True),
        PromptRow("r3", "{not json", prompt_is_json=True),
    ]
    settings = PrompterSettings(assistant_id=assistant, on_error=ErrorHandling.OUTPUT)
    outcome = prompt_rows(
        rows,
        settings,
        ApiClient.connect(
            ConnectionConfig(base_url=sandbox.base_url), environ={"OPENAI_API_KEY": KEY}
        ),
    )
    responses = [a.response for a in outcome.answers]
    assert responses == ["Echo: from an array", "Echo: from a message", "Echo: just text", None]
    assert "not valid JSON" in outcome.answers[3].error
    assert outcome.warnings[0].startswith("1 of 4 rows failed; first: r3:")


def test_requires_action_gives_the_pending_calls_and_no_response(sandbox) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    with_tool = api(sandbox, "POST", "/assistants", {"model": "gpt-4o", "tools": [tool]})["id"]
    rows, _ = run_node(sandbox, prompter(assistant_id=with_tool), questions(question=["find x"]))
    (row,) = rows
    assert row["status"] == "requires_action" and row["Response"] is None
    action = json.loads(row["required_action"])
    (call,) = action["submit_tool_outputs"]["tool_calls"]
    assert call["function"]["name"] == "lookup"
    assert json.loads(call["function"]["arguments"]) == {"input": "find x"}
    assert row["error"] is None


def test_errors_become_rows_or_fail_the_node_naming_the_row(sandbox, assistant) -> None:
    table = questions(question=["fine", "no assistant"], who=[assistant, "asst_does_not_exist"])
    node = prompter(assistant_id="", assistant_id_column="who", error_handling="OUTPUT")
    rows, context = run_node(sandbox, node, table)
    assert rows[0]["Response"] == "Echo: fine" and rows[0]["error"] is None
    assert rows[1]["Response"] is None and rows[1]["status"] is None
    assert "404" in rows[1]["error"] and "asst_does_not_exist" in rows[1]["error"]
    (warning,) = context.warnings  # one short warning, not every message joined
    assert warning.startswith("1 of 2 rows failed; first: r1: POST ")
    assert warning.endswith("See the 'error' column.") and len(warning) < 300
    failing = prompter(assistant_id="", assistant_id_column="who", concurrency=1)
    port = configuration_port(sandbox.base_url, credentials="openai")
    with pytest.raises(RequestFailedError, match=r"^r1: .*404"):
        failing.execute(ExecutionContext(CREDENTIALS), port, table)


def test_a_missing_thread_id_cell_is_that_rows_error(sandbox, assistant) -> None:
    table = questions(question=["q"], thread=[None])
    node = prompter(
        assistant_id=assistant,
        thread_mode="FROM_COLUMN",
        thread_id_column="thread",
        error_handling="OUTPUT",
    )
    before = len(sandbox.request_log)
    rows, _ = run_node(sandbox, node, table)
    assert "thread ID cell is missing" in rows[0]["error"]
    assert len(sandbox.request_log) == before  # nothing was sent


def test_configure_names_the_setting_that_is_missing(sandbox) -> None:
    port = configuration_port(sandbox.base_url, credentials="openai")
    table = questions(question=["q"])
    cases = [
        (prompter(), "Assistant ID"),
        (prompter(assistant_id="asst_1", thread_mode="PER_GROUP"), "group column"),
        (prompter(assistant_id="asst_1", prompt_column="nope"), "no column 'nope'"),
    ]
    for node, said in cases:
        with pytest.raises(knext.InvalidParametersError, match=said):
            node.configure(ConfigurationContext(CREDENTIALS), port.spec, table.schema)


class _CancelledAt(ExecutionContext):
    """Reports "cancelled" from ``after`` seconds on; remembers when it first did."""

    def __init__(self, after: float) -> None:
        super().__init__(CREDENTIALS)
        self.at = time.monotonic() + after
        self.first: float | None = None

    def is_canceled(self) -> bool:
        if time.monotonic() < self.at:
            return False
        self.first = self.first or time.monotonic()
        return True


def test_cancel_ends_within_a_second_and_cancels_the_runs_on_the_server(assistant) -> None:
    with start_sandbox(api_key=KEY, run_duration=30.0) as slow:
        slow_assistant = api(slow, "POST", "/assistants", {"model": "gpt-4o"})["id"]
        node = prompter(assistant_id=slow_assistant, concurrency=3)
        port = configuration_port(slow.base_url, credentials="openai")
        context = _CancelledAt(0.6)
        threads_before = threading.active_count()
        with pytest.raises(CancelledError, match="cancelled on the server"):
            node.execute(context, port, questions(question=[f"q{i}" for i in range(6)]))
        ended = time.monotonic()
        assert context.first is not None and ended - context.first < 1.0
        cancels = [e.path for e in slow.request_log if e.path.endswith("/cancel")]
        assert len(cancels) == 3  # the three runs going on, none of the rows not started
        for path in cancels:
            run = api(slow, "GET", path.removeprefix("/v1").removesuffix("/cancel"))
            assert run["status"] in ("cancelling", "cancelled")
        assert any("answered" in (m or "") for _, m in context.progress)
        assert threading.active_count() <= threads_before


def test_max_wait_cancels_the_overdue_run_and_fails_its_row() -> None:
    with start_sandbox(api_key=KEY, run_duration=30.0) as slow:
        slow_assistant = api(slow, "POST", "/assistants", {"model": "gpt-4o"})["id"]
        node = prompter(assistant_id=slow_assistant, max_wait=1.0, error_handling="OUTPUT")
        rows, _ = run_node(slow, node, questions(question=["slow"]))
        assert "maximum wait of 1 s" in rows[0]["error"]
        assert "cancelled on the server" in rows[0]["error"]
        assert rows[0]["Response"] is None


JSON_TYPE = ks.LogicalType(
    '{"value_factory_class":"org.knime.core.data.json.JSONValueFactory"}', knext.string()
)


class _JsonQuestions:
    """A table whose prompt column is KNIME's JSON type (cells arrive as JSON text); the
    test double cannot build one, so this stands in for what the node reads of a table."""

    def __init__(self, cells: list[str | None]) -> None:
        self.schema = knext.Schema.from_columns([knext.Column(JSON_TYPE, "question")])
        self._data = pa.table(
            {
                "<RowID>": pa.array([f"r{i}" for i in range(len(cells))], pa.string()),
                "question": pa.array(cells, pa.string()),
            }
        )

    def to_pyarrow(self) -> pa.Table:
        return self._data


def test_a_json_prompt_column_sends_content_arrays_and_messages(sandbox, assistant) -> None:
    table = _JsonQuestions(
        [
            json.dumps([{"type": "text", "text": "an array"}]),
            json.dumps({"role": "user", "content": "a message"}),
            None,
        ]
    )
    port = configuration_port(sandbox.base_url, credentials="openai")
    node = prompter(assistant_id=assistant)
    declared, _ = node.configure(ConfigurationContext(CREDENTIALS), port.spec, table.schema)
    assert declared["question"].ktype == JSON_TYPE  # the input column as it was declared
    output, _ = node.execute(ExecutionContext(CREDENTIALS), port, table)
    rows = output.to_pyarrow().to_pylist()
    assert [r["Response"] for r in rows] == ["Echo: an array", "Echo: a message", None]


def test_a_table_without_prompts_sends_nothing(sandbox, assistant) -> None:
    before = len(sandbox.request_log)
    rows, context = run_node(
        sandbox, prompter(assistant_id=assistant), questions(question=[None, None])
    )
    assert len(sandbox.request_log) == before
    assert [(r["Response"], r["status"], r["error"]) for r in rows] == [(None, None, None)] * 2
    assert context.progress[-1] == (1.0, "2 of 2 answered, 0 running")


def test_the_settings_keys_are_the_issues_in_their_sections_and_load_again() -> None:
    from knime.extension import parameter as kp
    from test_extension_module import settings_of

    node = prompter(assistant_id="asst_x", thread_mode="PER_GROUP", group_column="topic")
    node.execution.concurrency = 8
    keys = {k for k in settings_of(type(node)) if "." in k}
    assert keys == {f"{section}.{key}" for key, section in SECTIONS.items()}
    for param in settings_of(type(node)).values():
        assert param._label and param.__doc__ and len(param.__doc__) > 15
    saved = kp.extract_parameters(node)
    again = AssistantPrompterNode()
    kp.validate_parameters(again, saved, "0.2.0")
    kp.inject_parameters(again, saved, "0.2.0")
    assert (again.assistant.assistant_id, again.threads.thread_mode) == ("asst_x", "PER_GROUP")
    assert (again.threads.group_column, again.execution.concurrency) == ("topic", 8)
    assert AssistantPrompterNode().threads.thread_mode == "NEW_PER_ROW"
    assert AssistantPrompterNode().execution.concurrency == 4
    assert AssistantPrompterNode().prompt.response_column == "Response"
