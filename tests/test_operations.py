"""The operation data, the packaged body schemas and the request builder every node relies on."""

from __future__ import annotations

import json
import re

import pytest
from run_calls import prepare_run, run_settings

from openai_assistants import operations
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.request_builder import (
    InvalidRequestSettingsError,
    build_request,
    check_settings,
)
from openai_assistants.errors import InvalidBodyError, InvalidSettingsError
from openai_assistants.operations.body_schema import check_body, load_schema, schema_names

CONFIG = ConnectionConfig(base_url="http://127.0.0.1:9/v1")
NODE_NAMES = [  # issue 11, in its order
    "Create Assistant",
    "List Assistants",
    "Get Assistant",
    "Modify Assistant",
    "Delete Assistant",
    "Create Thread",
    "Create Thread and Run",
    "Get Thread",
    "Modify Thread",
    "Delete Thread",
    "Create Message",
    "List Messages",
    "Get Message",
    "Modify Message",
    "Delete Message",
    "Create Run",
    "List Runs",
    "Get Run",
    "Modify Run",
    "Cancel Run",
    "Submit Tool Outputs to Run",
    "List Run Steps",
    "Get Run Step",
]


def test_the_23_operations_carry_the_node_names_of_the_issue() -> None:
    assert [op.node_name for op in operations.ASSISTANTS_API] == NODE_NAMES
    assert len({op.operation_id for op in operations.ASSISTANTS_API}) == 23
    assert operations.ALL[:23] == operations.ASSISTANTS_API
    assert len({op.operation_id for op in operations.ALL}) == 44  # + files and vector stores


def test_subcommands_are_the_node_names_in_kebab_case() -> None:
    assert operations.by_id("createThreadAndRun").cli_name == "create-thread-and-run"
    assert operations.by_id("submitToolOuputsToRun").cli_name == "submit-tool-outputs-to-run"
    assert operations.by_cli_name("list-run-steps").operation_id == "listRunSteps"
    with pytest.raises(KeyError, match="unknown subcommand 'run'"):
        operations.by_cli_name("run")


def test_only_get_and_delete_are_retried_after_a_send() -> None:
    retried = {op.operation_id for op in operations.ALL if op.idempotent}
    assert all(operations.by_id(i).method in ("GET", "DELETE") for i in retried)
    assert all(op.method == "POST" for op in operations.ALL if not op.idempotent)
    assert "cancelRun" not in retried and "getRun" in retried


def test_paths_parameters_and_settings_keys_follow_the_reference() -> None:
    step = operations.by_id("getRunStep")
    assert step.path == "/threads/{thread_id}/runs/{run_id}/steps/{step_id}"
    assert step.path_parameters == ("thread_id", "run_id", "step_id")
    assert step.settings_keys == ("thread_id", "run_id", "step_id", "include")
    listing = operations.by_id("listMessages")
    assert listing.settings_keys == ("thread_id", "limit", "order", "after", "before", "run_id")
    assert listing.returns_list and listing.result_kind is operations.ResultKind.MESSAGE
    assert operations.by_id("createRun").settings_keys == ("thread_id", "include", "body")
    assert operations.by_id("cancelRun").settings_keys == ("thread_id", "run_id")


def test_only_runs_can_stream() -> None:
    streaming = {op.operation_id for op in operations.ALL if op.can_stream}
    assert streaming == {"createRun", "createThreadAndRun", "submitToolOuputsToRun"}


def test_every_body_schema_is_packaged_and_every_packaged_schema_is_used() -> None:
    used = {op.body_schema for op in operations.ALL if op.body_schema}
    assert used == set(schema_names())
    assert len(used) == 17  # 10 Assistants API bodies, 7 of files and vector stores
    for name in used:
        assert load_schema(name)["type"] == "object"


def test_an_unknown_schema_name_is_a_clear_error() -> None:
    with pytest.raises(InvalidSettingsError, match="No request body schema named 'Nope'"):
        load_schema("Nope")


def test_any_operations_body_lists_every_violation_by_json_path() -> None:
    problems = check_body(
        {"role": "robot", "content": [], "metadata": {"k": 1}}, "CreateMessageRequest"
    )
    assert problems.violations == [
        "content: [] should be non-empty",
        "metadata.k: 1 is not of type 'string'",
        "role: 'robot' is not one of ['user', 'assistant']",
    ]
    assert check_body(
        {"tool_outputs": [], "x": 1}, "SubmitToolOutputsRunRequest"
    ).unknown_fields == ["unknown field 'x' (allowed: tool_outputs, stream)"]


def test_the_reference_schemas_accept_what_the_seed_schema_refused() -> None:
    body = {
        "assistant_id": "a",
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "out", "schema": {"type": "object"}},
        },
    }
    for name in ("CreateRunRequest", "CreateThreadAndRunRequest"):
        assert check_body(body, name).violations == []
    assert check_body({"assistant_id": "a"}, "CreateRunRequest").violations == []


def test_create_run_through_the_builder_equals_create_run_of_today() -> None:
    body = '{"assistant_id": "a", "stream": true, "thread_id": "thread_1"}'
    include = (operations.INCLUDE_FILE_SEARCH_CONTENT,)
    built = build_request(
        operations.by_id("createRun"), {"thread_id": ""}, {"include": include}, body, CONFIG
    )
    today = prepare_run(run_settings("", include, body), CONFIG).request
    assert (built.request.method, built.request.url, built.request.body) == (
        today.method,
        today.url,
        today.body,
    )
    assert built.request.headers == today.headers and built.request.stream
    assert built.subject == "a run on thread 'thread_1'"


def test_every_problem_is_reported_at_once_naming_its_setting() -> None:
    with pytest.raises(InvalidRequestSettingsError) as caught:
        build_request(
            operations.by_id("listRunSteps"),
            {"thread_id": "thread 1"},
            {"limit": 0, "order": "newest", "include": ["bogus"]},
            None,
            CONFIG,
        )
    assert caught.value.settings == ["thread_id", "run_id", "limit", "order", "include"]
    assert caught.value.setting == "thread_id"
    text = str(caught.value)
    assert text.startswith("5 settings are invalid:")
    assert "Limit: 0 is below the minimum 1." in text
    assert "Order: 'newest' is not one of 'asc', 'desc'." in text
    assert "The Run ID is empty." in text


def test_body_problems_come_with_the_path_problems() -> None:
    with pytest.raises(InvalidRequestSettingsError) as caught:
        build_request(
            operations.by_id("modifyMessage"),
            {"thread_id": "thread_1", "message_id": ".."},
            {},
            '{"metadata": "x"}',
            CONFIG,
        )
    path_error, body_error = caught.value.problems
    assert path_error.setting == "message_id" and "would change the URL path" in str(path_error)
    assert isinstance(body_error, InvalidBodyError)
    assert body_error.violations == ['metadata: "x" is not of type null or object']


def test_a_single_problem_is_raised_as_itself() -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        build_request(operations.by_id("getThread"), {"thread_id": ""}, {}, None, CONFIG)
    assert type(caught.value) is InvalidSettingsError
    assert caught.value.setting == "thread_id"


def test_limit_accepts_whole_numbers_written_as_text_and_refuses_others() -> None:
    listing = operations.by_id("listAssistants")
    assert build_request(listing, {}, {"limit": "100"}, None, CONFIG).request.url.endswith(
        "/assistants?limit=100"
    )
    for bad, message in [(101, "above the maximum 100"), ("ten", "not a whole number")]:
        with pytest.raises(InvalidSettingsError, match=message) as caught:
            build_request(listing, {}, {"limit": bad}, None, CONFIG)
        assert caught.value.setting == "limit"


def test_unset_query_values_are_not_sent() -> None:
    built = build_request(
        operations.by_id("listRuns"),
        {"thread_id": "t"},
        {"limit": None, "order": "", "after": "  "},
        None,
        CONFIG,
    )
    assert built.request.url == "http://127.0.0.1:9/v1/threads/t/runs"


def test_a_query_setting_the_operation_lacks_is_refused() -> None:
    with pytest.raises(InvalidSettingsError, match="Get Run has no query setting 'limit'"):
        build_request(
            operations.by_id("getRun"), {"thread_id": "t", "run_id": "r"}, {"limit": 5}, None
        )


def test_operations_without_a_body_send_none_and_refuse_one() -> None:
    built = build_request(operations.by_id("deleteThread"), {"thread_id": "t"}, {}, None, CONFIG)
    assert built.request.body == b""
    assert built.request.header("Content-Type") is None
    with pytest.raises(InvalidSettingsError, match="Delete Thread sends no body") as caught:
        build_request(operations.by_id("deleteThread"), {"thread_id": "t"}, {}, '{"a": 1}')
    assert caught.value.setting == "body"


def test_a_required_body_must_not_be_empty_an_optional_one_may() -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        build_request(operations.by_id("createMessage"), {"thread_id": "t"}, {}, " ", CONFIG)
    assert 'such as {"role": ..., "content": ...}' in str(caught.value)
    built = build_request(operations.by_id("createThread"), {}, {}, " ", CONFIG)
    assert built.request.body == b"{}"


def test_a_path_parameter_may_come_from_the_body_and_is_not_sent() -> None:
    built = build_request(
        operations.by_id("createMessage"),
        {"thread_id": ""},
        {},
        {"thread_id": "thread_9", "role": "user", "content": "Hi"},
        CONFIG,
    )
    assert built.request.url.endswith("/threads/thread_9/messages")
    assert json.loads(built.request.body) == {"role": "user", "content": "Hi"}
    assert built.path_values == {"thread_id": "thread_9"}


def test_a_path_parameter_contradicting_the_body_is_an_error() -> None:
    with pytest.raises(InvalidSettingsError, match="contradicts run_id 'run_2'") as caught:
        build_request(
            operations.by_id("modifyRun"),
            {"thread_id": "t", "run_id": "run_1"},
            {},
            {"run_id": "run_2"},
            CONFIG,
        )
    assert caught.value.setting == "run_id"


def test_blank_ids_in_the_body_are_refused() -> None:
    with pytest.raises(InvalidBodyError) as caught:
        build_request(operations.by_id("createThreadAndRun"), {}, {}, {"assistant_id": ""})
    assert caught.value.violations == ["assistant_id: must not be empty (e.g. asst_abc123)"]


def test_stream_is_only_honoured_where_the_operation_streams() -> None:
    built = build_request(
        operations.by_id("submitToolOuputsToRun"),
        {"thread_id": "t", "run_id": "r"},
        {},
        {"tool_outputs": [{"tool_call_id": "c", "output": "1"}], "stream": True},
        CONFIG,
    )
    assert built.request.stream and built.request.header("Accept") == "text/event-stream"
    with pytest.raises(InvalidBodyError, match="unknown field 'stream'"):
        build_request(operations.by_id("createThread"), {}, {}, {"stream": True}, CONFIG)


def test_unknown_fields_are_sent_with_a_warning_when_allowed() -> None:
    built = build_request(
        operations.by_id("modifyThread"),
        {"thread_id": "t"},
        {},
        {"future_option": 1},
        CONFIG,
        allow_unknown_fields=True,
    )
    assert json.loads(built.request.body) == {"future_option": 1}
    assert built.warnings == [
        "Sent as written: unknown field 'future_option' (allowed: tool_resources, metadata)."
    ]


def test_configure_with_a_table_checks_only_what_no_column_supplies() -> None:
    create_message = operations.by_id("createMessage")
    assert (
        check_settings(create_message, {}, {}, "", CONFIG, from_columns={"thread_id", "body"}) == []
    )
    with pytest.raises(InvalidBodyError):
        check_settings(create_message, {}, {}, '{"role": "x"}', CONFIG, from_columns={"thread_id"})
    with pytest.raises(InvalidSettingsError) as caught:
        check_settings(create_message, {"thread_id": "a b"}, {}, "", CONFIG, from_columns={"body"})
    assert caught.value.setting == "thread_id"


def test_every_operation_and_query_parameter_is_described() -> None:
    for op in operations.ALL:
        assert op.summary.endswith("."), op.operation_id
        for parameter in op.query_parameters:
            assert parameter.description, (op.operation_id, parameter.setting)
    include = operations.by_id("createRun").query_parameter("include")
    # KNIME's Markdown turns [*]...[*] into italics unless the value is written as code
    assert f"`{operations.INCLUDE_FILE_SEARCH_CONTENT}`" in include.description


def test_every_printable_character_in_an_id_stays_inside_its_segment() -> None:
    from urllib.parse import unquote, urlsplit

    get_step = operations.by_id("getRunStep")
    for code in range(33, 127):
        ids = {
            "thread_id": f"t{chr(code)}1",
            "run_id": f"r{chr(code)}",
            "step_id": f"{chr(code)}s{chr(code)}",
        }
        url = build_request(get_step, ids, {}, None, CONFIG).request.url
        parts = urlsplit(url)
        assert parts.query == "" and parts.fragment == "", url
        segments = parts.path.split("/")[2:]  # after "/v1"
        assert [unquote(s) for s in segments] == [
            "threads",
            ids["thread_id"],
            "runs",
            ids["run_id"],
            "steps",
            ids["step_id"],
        ], url


def test_packaged_schemas_are_resolved_json_schema_without_prose() -> None:
    def keys(node: object) -> set[str]:
        if isinstance(node, dict):
            found = set(node)
            props = node.get("properties")
            for key, value in node.items():
                # property names are data; only the schemas below them are searched
                children = value.values() if key == "properties" and value is props else [value]
                for child in children:
                    found |= keys(child)
            return found - (set(props) if isinstance(props, dict) else set())
        if isinstance(node, list):
            return set().union(*(keys(item) for item in node)) if node else set()
        return set()

    for name in schema_names():
        schema = load_schema(name)
        found = keys(schema)
        if "definitions" in schema:  # a recursive schema (search filters): local refs only
            assert all(
                ref.startswith("#/definitions/")
                for ref in re.findall(r'"\$ref": "([^"]*)"', json.dumps(schema))
            )
            found -= {"$ref", "definitions"}
        assert not found & {"$ref", "nullable", "allOf", "description", "example"}, name
        assert not {k for k in found if k.startswith("x-")}, name


ODD_VALUES = [None, "", " ", "x", "é", 5, -1, 1.5, True, [], ["x"], {}, {"a": 1}, "[]", "{"]


@pytest.mark.parametrize("operation", operations.ALL, ids=lambda op: op.operation_id)
def test_odd_inputs_give_a_settings_error_never_a_traceback(operation) -> None:
    """Values from a table or flow variable can be anything; each must become a message."""
    keys = [*operation.path_parameters, *(q.setting for q in operation.query_parameters)]
    for value in ODD_VALUES:
        for key in keys:
            path = {name: "id_1" for name in operation.path_parameters}
            query: dict = {}
            (path if key in path else query)[key] = value
            body = {"assistant_id": "a", "role": "user", "content": "x", "tool_outputs": []}
            body |= {"file": __file__, "purpose": "assistants", "query": "q", "file_id": "f"}
            body |= {"file_ids": ["f"], "attributes": {}}
            schema_fields = (
                set(load_schema(operation.body_schema)["properties"])
                if (operation.body_schema)
                else set()
            )
            body = {k: v for k, v in body.items() if k in schema_fields} or None
            try:
                build_request(operation, path, query, body, CONFIG)
            except InvalidSettingsError as error:
                assert error.setting in (key, None), (key, value, error.setting)
        try:
            build_request(operation, dict.fromkeys(operation.path_parameters, "i"), {}, value)
        except InvalidSettingsError as error:
            # Upload File's file is a body field with a setting of its own
            assert error.setting in ("body", *operation.field_settings)
