"""The Assistants node family as KNIME sees it: every operation is a node, described, with
Create Run's ports, dialog sections named by the API, and a configure() whose declared
columns are exactly what execute() outputs against the sandbox (written the way KNIME
writes an output table, see knime_fidelity.py).

The last test is the chain the family exists for, through the KNIME node classes:
OpenAI Configuration -> Create Assistant -> Create Thread -> Create Message -> Create Run
(wait) -> List Messages, whose Structured output has the reply in its ``text`` column.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import knime.extension as knext
import knime.extension.nodes as knodes
import pandas as pd
import pytest
from knime.extension import parameter as kp
from knime_contexts import ConfigurationContext, ExecutionContext
from knime_fidelity import write_output
from node_factories import configuration_port, create_run_node
from test_extension_module import settings_of

import extension  # noqa: F401  (registers every node, as KNIME's listing does)
from openai_assistants.client.client import ApiClient
from openai_assistants.engine import execute as engine
from openai_assistants.engine.run_polling import WaitOptions
from openai_assistants.errors import CancelledError, HttpStatusError
from openai_assistants.operations import (
    ALL,
    ASSISTANTS_API,
    INCLUDE_FILE_SEARCH_CONTENT,
    Operation,
    by_id,
)
from openai_assistants.sandbox.server import start_sandbox
from openai_assistants.tables.results import ResultFormat
from openai_assistants_knime.api_node import OperationNode
from openai_assistants_knime.api_node.sections import SINCE_VERSION
from openai_assistants_knime.api_node.table_output import knime_schema
from openai_assistants_knime.category import openai_assistants_category

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-sandbox-family-0123456789"
CREDENTIALS = {"openai": KEY}
# every registered node that is one of the family, by operationId (its factory, as KNIME
# holds it: knext.node may hand back a factory rather than the class)
FAMILY: dict[str, Any] = {
    type(instance).operation.operation_id: registered.node_factory
    for registered in knodes._nodes.values()
    if isinstance(instance := registered.node_factory(), OperationNode)
}
# the Assistants API nodes the sandbox serves (files and vector stores: test_document_nodes)
NEW_OPERATIONS = [op for op in ASSISTANTS_API if op.operation_id != "createRun"]
TOOL = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}


def node_for(operation: Operation) -> Any:
    return FAMILY[operation.operation_id]()


def FAMILY_CLS(op: Operation) -> type:
    return type(node_for(op))


def set_values(node: Any, **values: object) -> Any:
    """Set settings by key, each in the section that holds it (as the dialog shows them)."""
    sections = {
        key.split(".")[1]: key.split(".")[0] for key in settings_of(type(node)) if "." in key
    }
    for key, value in values.items():
        setattr(getattr(node, sections[key]), key, value)
    return node


# --- listing and dialog -----------------------------------------------------------------


def test_every_operation_is_a_node_listed_under_its_exact_name() -> None:
    ours = [n for n in knodes._nodes.values() if n.category == openai_assistants_category]
    assert sorted(n.name for n in ours) == sorted(
        [op.node_name for op in ALL] + ["OpenAI Configuration", "Assistant Prompter"]
    )
    # every operation, Create Run included, runs on OperationNode's configure/execute
    assert set(FAMILY) == {op.operation_id for op in ALL}


def test_every_node_has_a_16x16_icon() -> None:
    ours = [n for n in knodes._nodes.values() if n.category == openai_assistants_category]
    for registered in ours:
        data = (ROOT / registered.icon_path).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", registered.icon_path
        assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (16, 16)


def test_knimes_backend_lists_every_node_with_its_description() -> None:
    """KNIME's own listing (node dicts with parsed descriptions and dialog sections); only
    where KNIME's Python backend is importable (see tests/README.md)."""
    launcher = pytest.importorskip("_node_backend_launcher")
    pytest.importorskip("markdown")
    backend = launcher._KnimeNodeBackend()
    listed = {}
    for registered in knodes._nodes.values():
        if registered.category == openai_assistants_category:
            listed[registered.name] = backend.resolve_node_dict(registered)
    for op in NEW_OPERATIONS:
        info = listed[op.node_name]
        assert info["short_description"] == op.summary.splitlines()[0]
        assert op.path.split("{")[0] in info["full_description"]
        sections = [tab["name"] for tab in info["tabs"]]
        assert sections[:3] == ["Request", "Result", "Error handling"], op.node_name
        options = [o for tab in info["tabs"] for o in tab["options"]]
        assert all(o["description"] for o in options)
        text = json.dumps(info)  # no Markdown italics made of [*]...[*]:
        assert "[<i>" not in text and "[</i>" not in text


def test_every_node_has_create_runs_ports() -> None:
    def ports(name: str) -> list:
        (found,) = [n for n in knodes._nodes.values() if n.name == name]
        info = found.to_dict()
        specifiers = info["input_port_specifier"] + info["output_port_specifier"]
        return [(p["type_string"], p["optional"]) for p in specifiers]

    expected = ports("Create Run")
    assert [optional for _, optional in expected] == [False, True, False, False]
    for op in NEW_OPERATIONS:
        assert ports(op.node_name) == expected, op.node_name


@pytest.mark.parametrize("op", NEW_OPERATIONS, ids=lambda op: op.operation_id)
def test_every_node_is_described_from_the_operation(op: Operation) -> None:
    cls = type(node_for(op))
    short, *rest = cls.__doc__.strip().splitlines()
    assert short == op.summary.splitlines()[0]
    full = "\n".join(rest)
    assert f"`{op.method} {op.path}`" in full
    assert len(full) > 200
    for key, param in settings_of(cls).items():
        assert param._label and param.__doc__ and len(param.__doc__) > 15, key
    texts = [cls.__doc__, *(p.__doc__ for p in settings_of(cls).values())]
    for text in texts:  # KNIME's Markdown would turn [*]...[*] outside code into italics
        assert "[*]" not in re.sub(r"`[^`]*`", "", text), text
    if op.query_parameter("include"):
        assert any(INCLUDE_FILE_SEARCH_CONTENT in t for t in texts)


@pytest.mark.parametrize("op", NEW_OPERATIONS, ids=lambda op: op.operation_id)
def test_settings_are_named_by_the_api_in_sections(op: Operation) -> None:
    keys = set(settings_of(type(node_for(op))))
    request = {*op.path_parameters, *(q.setting for q in op.query_parameters)}
    request |= {"body"} if op.has_body else set()
    table = {f"{name}_column" for name in op.path_parameters} | {"concurrency"}
    table |= {"body_column"} if op.has_body else set()
    if op.operation_id == "submitToolOuputsToRun":
        table |= {"tool_call_id_column", "output_column"}
    result = {"result_format", "include_headers"}
    result |= {"all_pages", "max_items"} if op.returns_list else set()
    expected = {f"request.{k}" for k in request} | {f"input_table.{k}" for k in table}
    expected |= {f"result.{k}" for k in result} | {"errors.error_handling"}
    expected |= {"request", "result", "errors", "input_table"}
    if engine.can_wait(op):
        expected |= {"waiting"} | {
            f"waiting.{k}"
            for k in ("wait_for_completion", "poll_interval", "max_wait", "cancel_run_on_cancel")
        }
    if op.has_body:
        expected |= {"advanced", "advanced.allow_unknown_fields"}
    assert keys == expected


def test_waiting_is_offered_exactly_where_a_run_goes_on() -> None:
    waiting = {op.node_name for op in NEW_OPERATIONS if "waiting" in settings_of(FAMILY_CLS(op))}
    assert waiting == {"Get Run", "Create Thread and Run", "Submit Tool Outputs to Run"}


@pytest.mark.parametrize("op", NEW_OPERATIONS, ids=lambda op: op.operation_id)
def test_result_formats_are_the_operations(op: Operation) -> None:
    param = settings_of(FAMILY_CLS(op))["result.result_format"]
    assert param._enum.get_all_options() == [f.name for f in engine.result_formats(op)]


def test_every_parameter_carries_the_version_that_introduced_the_family() -> None:
    """0.2.0 introduced these nodes; knime.yml's (settings) version is that or later, so the
    dialog shows every parameter (KNIME hides one newer than the extension)."""
    version = re.search(r"^version:\s*([\d.]+)", (ROOT / "knime.yml").read_text(), re.M)
    parse = knext.Version.parse_version
    assert version and parse(version.group(1)) >= parse(SINCE_VERSION) == parse("0.2.0")
    for op in NEW_OPERATIONS:
        for key, param in settings_of(FAMILY_CLS(op)).items():
            assert param._since_version == knext.Version.parse_version(SINCE_VERSION), key


def test_saved_settings_load_again() -> None:
    node = set_values(
        node_for(by_id("listMessages")), thread_id="thread_x", limit=7, order="ASC", max_items=9
    )
    saved = kp.extract_parameters(node)
    assert saved["model"]["request"]["thread_id"] == "thread_x"
    again = node_for(by_id("listMessages"))
    kp.validate_parameters(again, saved, SINCE_VERSION)
    kp.inject_parameters(again, saved, SINCE_VERSION)
    assert (again.request.thread_id, again.request.limit, again.request.order) == (
        "thread_x",
        7,
        "ASC",
    )
    assert again.result.max_items == 9


@pytest.mark.parametrize("op_id", ["createRun", "listMessages", "getRun"])
def test_each_node_keeps_its_own_values_in_every_section(op_id: str) -> None:
    """A section is copied on each access (KNIME binds it to the node's values; the copy
    shares only what never changes): a value set on one node, or on a section read
    earlier, never shows up on another node or in a fresh node's defaults."""
    op = by_id(op_id)
    first, second = node_for(op), node_for(op)
    fresh_defaults = kp.extract_parameters(node_for(op))
    first.request.thread_id = "thread_first"
    first.result.result_format = "STRUCTURED"
    first.errors.error_handling = "OUTPUT"
    held = first.request  # a copy read before the next change
    first.request.thread_id = "thread_changed"
    assert first.request.thread_id == "thread_changed" and held.thread_id == "thread_changed"
    assert second.request.thread_id == "" and second.result.result_format == "RAW"
    assert second.errors.error_handling == "FAIL"
    assert kp.extract_parameters(node_for(op)) == fresh_defaults
    assert type(first).__dict__["request"] is type(second).__dict__["request"]


@pytest.mark.parametrize(
    ("op_id", "section", "key", "value", "message"),
    [
        ("listRuns", "request", "limit", 0, "Limit: 0 is below the minimum 1"),
        ("listRuns", "request", "limit", 101, "Limit: 101 is above the maximum 100"),
        ("listRuns", "result", "max_items", 0, "Maximum items: 0 is below the minimum 1"),
        ("getThread", "input_table", "concurrency", 33, "Concurrent requests: 33 is above"),
        ("getRun", "waiting", "poll_interval", 0.0, r"Poll interval \(seconds\): 0.0 is below"),
    ],
)
def test_numeric_range_errors_name_the_setting(op_id, section, key, value, message) -> None:
    node = node_for(by_id(op_id))
    with pytest.raises(ValueError, match=message):
        setattr(getattr(node, section), key, value)


class _DialogContext:
    def __init__(self, *specs: object) -> None:
        self.specs = list(specs)

    def get_input_specs(self) -> list:
        return self.specs


def test_input_table_section_shows_only_with_the_table_and_poll_settings_only_waiting() -> None:
    cls = FAMILY_CLS(by_id("getRun"))
    rule = vars(cls)["input_table"]._rule
    table = knext.Schema.from_columns([knext.Column(knext.string(), "run")])
    assert rule.effect is knext.Effect.SHOW
    assert rule.condition._ctx_predicate(_DialogContext(object(), table)) is True
    assert rule.condition._ctx_predicate(_DialogContext(object(), None)) is False
    params = settings_of(cls)
    for key in ("poll_interval", "max_wait", "cancel_run_on_cancel"):
        condition = params[f"waiting.{key}"]._rule.condition
        assert condition._subject is params["waiting.wait_for_completion"]
    assert "result.max_items" not in params  # Get Run is no list
    list_params = settings_of(FAMILY_CLS(by_id("listRuns")))
    assert (
        list_params["result.max_items"]._rule.condition._subject
        is (list_params["result.all_pages"])
    )


# --- configure ----------------------------------------------------------------------------


def configured(node: Any, port: Any, schema: knext.Schema | None = None) -> knext.Schema:
    declared, spec = node.configure(ConfigurationContext(CREDENTIALS), port.spec, schema)
    assert spec is port.spec
    return declared


def test_a_fresh_node_asks_for_its_ids_naming_the_setting() -> None:
    port = configuration_port("https://api.openai.com/v1", credentials="openai")
    with pytest.raises(knext.InvalidParametersError, match="Thread ID"):
        configured(node_for(by_id("getRun")), port)
    with pytest.raises(knext.InvalidParametersError, match="assistant_id"):
        configured(node_for(by_id("createThreadAndRun")), port)
    # no path parameter, every body field optional or filled in: ready as it comes
    assert configured(node_for(by_id("createThread")), port).column_names == ["body", "status"]
    assert configured(node_for(by_id("listAssistants")), port).column_names[0] == "body"


def test_configure_reports_a_body_violation_by_its_json_path() -> None:
    port = configuration_port("https://api.openai.com/v1", credentials="openai")
    node = set_values(node_for(by_id("createAssistant")), body='{"model": "m", "top_p": 3}')
    with pytest.raises(knext.InvalidParametersError, match="top_p: 3 is greater than"):
        configured(node, port)


def test_events_need_a_stream_body() -> None:
    port = configuration_port("https://api.openai.com/v1", credentials="openai")
    node = set_values(
        node_for(by_id("createThreadAndRun")),
        body='{"assistant_id": "asst_1"}',
        result_format="EVENTS",
    )
    with pytest.raises(knext.InvalidParametersError, match="stream"):
        configured(node, port)
    set_values(node, body='{"assistant_id": "asst_1", "stream": true}')
    assert configured(node, port).column_names == ["event", "data"]


def test_configure_checks_the_chosen_columns() -> None:
    port = configuration_port("https://api.openai.com/v1", credentials="openai")
    table = knext.Schema.from_columns(
        [knext.Column(knext.string(), "thread"), knext.Column(knext.int64(), "n")]
    )
    node = set_values(node_for(by_id("getThread")), thread_id_column="thread")
    assert configured(node, port, table).column_names == ["body", "status"]  # ID from the table
    set_values(node, thread_id_column="n")
    with pytest.raises(knext.InvalidParametersError, match="'n' must hold strings"):
        configured(node, port, table)
    set_values(node, thread_id_column="gone")
    with pytest.raises(knext.InvalidParametersError, match="no column 'gone'"):
        configured(node, port, table)


# --- configure == execute against the sandbox ---------------------------------------------


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(api_key=KEY, run_duration=0.05) as server:
        yield server


@pytest.fixture(scope="module")
def world(sandbox) -> dict[str, str]:
    """An assistant, a thread with a message and a completed run (with its steps)."""
    port = configuration_port(sandbox.base_url, credentials="openai")
    assistant = call(port, "createAssistant", body={"model": "gpt-4o", "name": "family"})
    thread = call(port, "createThread", body={})
    message = call(
        port,
        "createMessage",
        {"thread_id": thread["id"]},
        body={"role": "user", "content": "Hi"},
    )
    run = call(
        port,
        "createRun",
        {"thread_id": thread["id"]},
        body={"assistant_id": assistant["id"]},
        wait=True,
    )
    assert run["status"] == "completed"
    steps = call(port, "listRunSteps", {"thread_id": thread["id"], "run_id": run["id"]})
    return {
        "assistant_id": assistant["id"],
        "thread_id": thread["id"],
        "message_id": message["id"],
        "run_id": run["id"],
        "step_id": steps["data"][0]["id"],
    }


def call(
    port: Any,
    op_id: str,
    path: dict[str, str] | None = None,
    *,
    body: dict | None = None,
    wait: bool = False,
) -> dict[str, Any]:
    """Set-up through the engine itself (the nodes' execute path), answer as JSON."""
    settings = engine.CallSettings(
        path_values=path or {}, body=None if body is None else json.dumps(body)
    )
    options = engine.OperationOptions(
        wait=WaitOptions(poll_interval=0.1, max_wait=30.0) if wait else None
    )
    outcome = engine.execute_operation(
        by_id(op_id),
        [engine.CallInput("Row0", settings)],
        ApiClient.connect(port.spec.connection, CREDENTIALS.get),
        options=options,
    )
    return json.loads(outcome.rows[0].response.text)


def tool_run(port: Any, world: dict[str, str]) -> dict[str, Any]:
    """A new run that waits for the output of a function call (status requires_action)."""
    assistant = call(port, "createAssistant", body={"model": "gpt-4o", "tools": [TOOL]})
    body = {
        "assistant_id": assistant["id"],
        "thread": {"messages": [{"role": "user", "content": "look it up"}]},
    }
    run = call(port, "createThreadAndRun", body=body, wait=True)
    assert run["status"] == "requires_action"
    return run


def request_values(op: Operation, port: Any, world: dict[str, str], stream: bool) -> dict:
    """Settings that make ``op`` succeed against the sandbox (fresh objects to delete,
    cancel or answer)."""
    values: dict[str, Any] = {name: world[name] for name in op.path_parameters}
    if op.operation_id == "deleteAssistant":
        values["assistant_id"] = call(port, "createAssistant", body={"model": "gpt-4o"})["id"]
    elif op.operation_id == "deleteThread":
        values["thread_id"] = call(port, "createThread", body={})["id"]
    elif op.operation_id == "deleteMessage":
        body = {"role": "user", "content": "bye"}
        message = call(port, "createMessage", {"thread_id": world["thread_id"]}, body=body)
        values["message_id"] = message["id"]
    elif op.operation_id in ("cancelRun", "submitToolOuputsToRun"):
        run = tool_run(port, world)
        values |= {"thread_id": run["thread_id"], "run_id": run["id"]}
        if op.operation_id == "submitToolOuputsToRun":
            (tool_call,) = run["required_action"]["submit_tool_outputs"]["tool_calls"]
            body = {"tool_outputs": [{"tool_call_id": tool_call["id"], "output": "42"}]}
            values["body"] = json.dumps(body | ({"stream": True} if stream else {}))
    elif op.operation_id == "createThreadAndRun":
        body = {"assistant_id": world["assistant_id"], "thread": {"messages": []}}
        values["body"] = json.dumps(body | ({"stream": True} if stream else {}))
    return values


def executed_as_declared(node: Any, port: Any, table: knext.Table) -> pd.DataFrame:
    """The table execute() outputs for ``table``, as a frame, after checking that it has the
    schema configure() declared for the table's schema."""
    declared = configured(node, port, table.schema)
    output, _ = node.execute(ExecutionContext(CREDENTIALS), port, table)
    assert output.schema == declared
    return output.to_pandas()


def format_cases(family: Sequence[Operation]) -> list:
    """One case per operation of ``family``, result format and include-headers switch."""
    cases = []
    for op in family:
        for result_format in engine.result_formats(op):
            for headers in (False, True):
                name = f"{op.operation_id}-{result_format.name}-{headers=}"
                cases.append(pytest.param(op, result_format, headers, id=name))
    return cases


@pytest.mark.parametrize(("op", "result_format", "include_headers"), format_cases(NEW_OPERATIONS))
def test_execute_outputs_what_configure_declared(
    sandbox, world, op: Operation, result_format: ResultFormat, include_headers: bool
) -> None:
    port = configuration_port(sandbox.base_url, credentials="openai")
    values = request_values(op, port, world, stream=result_format is ResultFormat.EVENTS)
    node = set_values(
        node_for(op),
        result_format=result_format.name,
        include_headers=include_headers,
        **values,
    )
    declared = configured(node, port)
    assert declared == knime_schema(engine.output_columns(op, result_format, include_headers))
    context = ExecutionContext(CREDENTIALS)
    output, passthrough = node.execute(context, port)
    assert passthrough is port
    assert output.schema == declared
    write_output(output)  # what KNIME does with the table after execute()
    frame = output.to_pandas()
    assert len(frame) >= 1
    if result_format is ResultFormat.RAW:
        assert set(frame["status"]) == {200}
    elif result_format is ResultFormat.STRUCTURED:
        assert set(frame["http_status"]) == {200} and frame["error"].isna().all()
        assert frame["id"].notna().all()  # the object's ID, ready for the next node
        if "deleted" in frame:
            assert frame["deleted"].tolist() == [True]
    else:
        assert frame["event"].iloc[-1] == "done"


def test_a_list_outputs_one_row_per_item_and_follows_pages(sandbox, world) -> None:
    port = configuration_port(sandbox.base_url, credentials="openai")
    for n in range(3):
        call(port, "createAssistant", body={"model": "gpt-4o", "name": f"page {n}"})
    node = set_values(node_for(by_id("listAssistants")), result_format="STRUCTURED", limit=1)
    one_page = node.execute(ExecutionContext(CREDENTIALS), port)[0].to_pandas()
    assert len(one_page) == 1
    set_values(node, all_pages=True, max_items=3)
    three = node.execute(ExecutionContext(CREDENTIALS), port)[0].to_pandas()
    assert len(three) == 3 and three["id"].is_unique
    assert set(three["object"]) == {"assistant"}


def test_an_empty_list_gives_knime_an_empty_table_of_the_declared_columns(sandbox) -> None:
    """No item, no row: KNIME still gets (and writes) a table with every declared column."""
    port = configuration_port(sandbox.base_url, credentials="openai")
    thread = call(port, "createThread", body={})["id"]
    node = set_values(node_for(by_id("listMessages")), result_format="STRUCTURED",
                      thread_id=thread)  # fmt: skip
    declared, _ = node.configure(ConfigurationContext(CREDENTIALS), port.spec)
    output = node.execute(ExecutionContext(CREDENTIALS), port)[0]
    assert output.num_rows == 0 and output.schema == declared
    write_output(output)


def test_a_table_of_ids_sends_one_request_per_row_keeping_row_ids(sandbox, world) -> None:
    port = configuration_port(sandbox.base_url, credentials="openai")
    other = call(port, "createThread", body={"metadata": {"n": "2"}})["id"]
    frame = pd.DataFrame({"thread": [world["thread_id"], None, other]}, index=["a", "b", "c"])
    table = knext.Table.from_pandas(frame)
    node = set_values(
        node_for(by_id("getThread")),
        thread_id=other,  # the dialog's value: for the missing cell
        thread_id_column="thread",
        result_format="STRUCTURED",
    )
    result = executed_as_declared(node, port, table)
    assert list(result.index) == ["a", "b", "c"]
    assert result["id"].tolist() == [world["thread_id"], other, other]


def test_submit_tool_outputs_from_a_table_and_wait(sandbox, world) -> None:
    port = configuration_port(sandbox.base_url, credentials="openai")
    run = tool_run(port, world)
    (tool_call,) = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    frame = pd.DataFrame({"tool_call_id": [tool_call["id"]], "output": ["42"]}, index=["answer"])
    table = knext.Table.from_pandas(frame)
    node = set_values(
        node_for(by_id("submitToolOuputsToRun")),
        thread_id=run["thread_id"],
        run_id=run["id"],
        body="{}",  # the outputs come from the table
        result_format="STRUCTURED",
        wait_for_completion=True,
        poll_interval=0.1,
    )
    result = executed_as_declared(node, port, table)
    assert list(result.index) == ["answer"]
    assert result["status"].tolist() == ["completed"]
    replies = call(port, "listMessages", {"thread_id": run["thread_id"]})["data"]
    assert "42" in json.dumps(replies[0]["content"])  # the echo got the tool's output


def test_get_run_waits_until_the_run_ends(sandbox, world) -> None:
    port = configuration_port(sandbox.base_url, credentials="openai")
    body = {"assistant_id": world["assistant_id"], "thread": {"messages": []}}
    started = call(port, "createThreadAndRun", body=body)
    node = set_values(
        node_for(by_id("getRun")),
        thread_id=started["thread_id"],
        run_id=started["id"],
        result_format="STRUCTURED",
        wait_for_completion=True,
        poll_interval=0.1,
    )
    result = node.execute(ExecutionContext(CREDENTIALS), port)[0].to_pandas()
    assert result["status"].tolist() == ["completed"]


def test_the_chain_from_configuration_to_the_reply(sandbox) -> None:
    """OpenAI Configuration -> Create Assistant -> Create Thread -> Create Message ->
    Create Run (wait) -> List Messages: each node's second output feeds the next node."""
    port = configuration_port(sandbox.base_url, credentials="openai")

    def run(node: Any, port: Any) -> tuple[pd.DataFrame, Any]:
        declared = configured(node, port)
        table, passthrough = node.execute(ExecutionContext(CREDENTIALS), port)
        assert table.schema == declared
        write_output(table)
        return table.to_pandas(), passthrough

    assistant, port = run(
        set_values(
            node_for(by_id("createAssistant")),
            body='{"model": "gpt-4o", "instructions": "Echo the user."}',
            result_format="STRUCTURED",
        ),
        port,
    )
    thread, port = run(
        set_values(node_for(by_id("createThread")), result_format="STRUCTURED"), port
    )
    thread_id = thread["id"].iloc[0]
    message, port = run(
        set_values(
            node_for(by_id("createMessage")),
            thread_id=thread_id,
            body='{"role": "user", "content": "Hello from KNIME!"}',
            result_format="STRUCTURED",
        ),
        port,
    )
    assert message["text"].tolist() == ["Hello from KNIME!"]
    created, port = run(
        create_run_node(
            thread_id=thread_id,
            body=json.dumps({"assistant_id": assistant["id"].iloc[0]}),
            result_format="STRUCTURED",
            wait_for_completion=True,
            poll_interval=0.1,
        ),
        port,
    )
    assert created["status"].tolist() == ["completed"]
    replies, port = run(
        set_values(
            node_for(by_id("listMessages")),
            thread_id=thread_id,
            run_id=created["id"].iloc[0],
            result_format="STRUCTURED",
        ),
        port,
    )
    assert replies["role"].tolist() == ["assistant"]
    assert replies["text"].tolist() == ["Echo: Hello from KNIME!"]


def test_an_error_answer_fails_the_node_naming_the_request_or_becomes_a_row(sandbox) -> None:
    port = configuration_port(sandbox.base_url, credentials="openai")
    node = set_values(node_for(by_id("getThread")), thread_id="thread_gone")
    with pytest.raises(HttpStatusError) as caught:
        node.execute(ExecutionContext(CREDENTIALS), port)
    assert f"GET {sandbox.base_url}/threads/thread_gone" in str(caught.value)
    assert "HTTP 404" in str(caught.value)
    set_values(node, error_handling="OUTPUT", result_format="STRUCTURED")
    declared = configured(node, port)
    context = ExecutionContext(CREDENTIALS)
    output, _ = node.execute(context, port)
    assert output.schema == declared
    row = output.to_pandas()
    assert row["http_status"].tolist() == [404] and row["id"].isna().all()
    assert "thread_gone" in row["error"].iloc[0]
    assert len(context.warnings) == 1 and "HTTP 404" in context.warnings[0]


def test_cancelling_the_node_while_it_waits_ends_it_promptly() -> None:
    with start_sandbox(api_key=KEY, run_duration=30.0) as slow:
        port = configuration_port(slow.base_url, credentials="openai")
        assistant = call(port, "createAssistant", body={"model": "gpt-4o"})
        body = {"assistant_id": assistant["id"], "thread": {"messages": []}}
        node = set_values(
            node_for(by_id("createThreadAndRun")),
            body=json.dumps(body),
            wait_for_completion=True,
            poll_interval=0.1,
        )
        started = time.monotonic()
        with pytest.raises(CancelledError):
            node.execute(ExecutionContext(CREDENTIALS, cancel_after=5), port)
        assert time.monotonic() - started < 5.0


@pytest.mark.parametrize(
    "op", [op for op in NEW_OPERATIONS if op.has_body], ids=lambda op: op.operation_id
)
def test_the_default_body_is_valid_or_asks_for_the_one_id_it_needs(op: Operation) -> None:
    port = configuration_port("https://api.openai.com/v1", credentials="openai")
    node = set_values(node_for(op), **{name: "x_abc123" for name in op.path_parameters})
    assert node.request.body.strip()  # a template to start from, never empty
    if op.operation_id == "createThreadAndRun":
        with pytest.raises(knext.InvalidParametersError, match="assistant_id: must not be empty"):
            configured(node, port)
    else:
        assert configured(node, port).column_names == ["body", "status"]


def test_missing_cells_of_any_kind_fall_back_to_the_dialog() -> None:
    """KNIME's own tables give pandas' NA for a missing string cell, others None or NaN."""
    from openai_assistants_knime.api_node.table_input import cells as _cells

    cells = pd.Series(["thread_a", None, float("nan"), pd.NA], dtype=object)
    assert _cells(cells) == ["thread_a", None, None, None]
    assert _cells(pd.Series(["x", None], dtype="string")) == ["x", None]


def test_every_key_source_reaches_a_family_node(sandbox, monkeypatch) -> None:
    """Environment variable, credentials flow variable and KNIME's Credential port (a handle
    the Java side resolves at send time), as for Create Run."""
    from node_factories import configuration_node
    from test_key_source import PORT_REF, _CredentialPort, _KnimeCredentialStore

    monkeypatch.setattr(
        knext.CredentialPortObjectSpec, "_java_callback", _KnimeCredentialStore({PORT_REF: KEY})
    )
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    ports = [
        configuration_port(sandbox.base_url),
        configuration_port(sandbox.base_url, credentials="openai"),
    ]
    source = configuration_node(sandbox.base_url, key_source="CREDENTIAL_PORT")
    ports.append(source.execute(ExecutionContext(), _CredentialPort(PORT_REF)))
    for port in ports:
        output, _ = node_for(by_id("listAssistants")).execute(ExecutionContext(CREDENTIALS), port)
        assert output.to_pandas()["status"].tolist() == [200]
    assert KEY not in json.dumps([p.spec.serialize() for p in ports])


def test_tool_outputs_table_needs_its_output_column() -> None:
    port = configuration_port("https://api.openai.com/v1", credentials="openai")
    node = set_values(node_for(by_id("submitToolOuputsToRun")), thread_id="t_1", run_id="r_1")
    calls_only = knext.Schema.from_columns([knext.Column(knext.string(), "tool_call_id")])
    with pytest.raises(knext.InvalidParametersError, match="no output column"):
        configured(node, port, calls_only)
    both = knext.Schema.from_columns(
        [knext.Column(knext.string(), "call"), knext.Column(knext.string(), "answer")]
    )
    set_values(node, tool_call_id_column="call", output_column="answer", body="{}")
    assert configured(node, port, both).column_names == ["body", "status"]
