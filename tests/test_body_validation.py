"""Every body and settings rule of Create Run, and the message a user reads for it.

All of these are found before anything is sent (prepare_run performs no I/O).
"""

from __future__ import annotations

import json

import pytest
from run_calls import prepare_run, run_settings

from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.request_parts import MAX_BODY_BYTES
from openai_assistants.errors import InvalidBodyError, InvalidSettingsError
from openai_assistants.operations.body_schema import allowed_fields, load_body_schema
from openai_assistants.operations.model import INCLUDE_FILE_SEARCH_CONTENT

CONFIG = ConnectionConfig(base_url="http://127.0.0.1:9/v1")


def prepare(body: object, thread_id: str = "thread_1", **settings: object):
    text = body if isinstance(body, str) else json.dumps(body)
    return prepare_run(run_settings(thread_id=thread_id, body=text, **settings), CONFIG)


def violations(body: object, **settings: object) -> list[str]:
    with pytest.raises(InvalidBodyError) as caught:
        prepare(body, **settings)
    assert caught.value.setting == "body"
    return caught.value.violations


def settings_error(body: object, **settings: object) -> InvalidSettingsError:
    with pytest.raises(InvalidSettingsError) as caught:
        prepare(body, **settings)
    return caught.value


def test_schema_is_the_packaged_reference_schema_of_create_run() -> None:
    assert allowed_fields() == [
        "assistant_id",
        "model",
        "reasoning_effort",
        "instructions",
        "additional_instructions",
        "additional_messages",
        "tools",
        "metadata",
        "temperature",
        "top_p",
        "stream",
        "max_prompt_tokens",
        "max_completion_tokens",
        "truncation_strategy",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
    ]
    assert load_body_schema()["required"] == ["assistant_id"]


def test_syntax_error_names_line_and_column() -> None:
    error = settings_error('{\n  "assistant_id": "a",\n  "temperature": \n}')
    assert error.setting == "body"
    assert "not valid JSON" in str(error)
    assert "line 4, column 1" in str(error)


@pytest.mark.parametrize(
    ("body", "kind"), [("[1, 2]", "an array"), ('"text"', "a string"), ("42", "a number")]
)
def test_body_must_be_a_json_object(body: str, kind: str) -> None:
    assert f"must be a JSON object {{...}}, not {kind}" in str(settings_error(body))


def test_empty_body_is_explained() -> None:
    assert "The JSON body is empty" in str(settings_error("   "))


def test_nan_is_not_json() -> None:
    assert "NaN is not allowed" in str(settings_error('{"assistant_id": "a", "top_p": NaN}'))


def test_body_larger_than_the_limit_is_refused_before_parsing() -> None:
    big = '{"assistant_id": "a", "instructions": "' + "x" * MAX_BODY_BYTES + '"}'
    assert "larger than 10 MiB" in str(settings_error(big))


def test_violation_names_path_and_rule() -> None:
    assert violations({"assistant_id": "a", "temperature": 5}) == [
        "temperature: 5 is greater than the maximum of 2"
    ]


def test_all_violations_are_reported_together() -> None:
    found = violations(
        {
            "assistant_id": "a",
            "temperature": 5,
            "top_p": -1,
            "max_prompt_tokens": 10,
            "tools": [{"type": "bogus"}, {"type": "function"}],
            "tool_choice": "maybe",
            "additional_messages": [{"role": "robot", "content": []}],
            "truncation_strategy": {"type": "auto", "last_messages": 0},
            "response_format": {"type": "json_schema"},
            "parallel_tool_calls": "yes",
        }
    )
    assert found == [
        "additional_messages[0].content: [] should be non-empty",
        "additional_messages[0].role: 'robot' is not one of ['user', 'assistant']",
        "max_prompt_tokens: 10 is less than the minimum of 256",
        "parallel_tool_calls: 'yes' is not of type 'boolean'",
        "response_format.json_schema: is required",
        "temperature: 5 is greater than the maximum of 2",
        'tool_choice: "maybe" is not one of "none", "auto", "required"',
        'tools[0].type: "bogus" is not one of "code_interpreter", "file_search", "function"',
        "tools[1].function: is required",
        "top_p: -1 is less than the minimum of 0",
        "truncation_strategy.last_messages: 0 is less than the minimum of 1",
    ]


def test_missing_assistant_id_is_required() -> None:
    assert violations({"model": "gpt-4o"}) == ["assistant_id: is required"]


def test_blank_assistant_id_is_refused() -> None:
    assert violations({"assistant_id": " "}) == [
        "assistant_id: must not be empty (e.g. asst_abc123)"
    ]


def test_nullable_fields_admit_null() -> None:
    body = {
        "assistant_id": "a",
        "model": None,
        "instructions": None,
        "additional_messages": None,
        "tools": None,
        "metadata": None,
        "temperature": None,
        "top_p": None,
        "stream": None,
        "max_prompt_tokens": None,
        "max_completion_tokens": None,
        "truncation_strategy": {"type": "auto", "last_messages": None},
    }
    assert json.loads(prepare(body).request.body) == body


def test_non_nullable_field_refuses_null() -> None:
    assert violations({"assistant_id": None}) == ["assistant_id: None is not of type 'string'"]


def test_fields_of_the_official_api_are_accepted() -> None:
    body = {"assistant_id": "a", "reasoning_effort": "low", "additional_instructions": None}
    assert json.loads(prepare(body).request.body) == body


def test_structured_output_response_format_without_inner_type_is_accepted() -> None:
    """The node page's schema "required" json_schema.type; the API does not (issue 11)."""
    body = {
        "assistant_id": "a",
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "out", "schema": {"type": "object"}},
        },
    }
    assert json.loads(prepare(body).request.body) == body


def test_model_outside_the_listed_names_is_accepted() -> None:
    assert prepare({"assistant_id": "a", "model": "gpt-5-mini"}).warnings == []


def test_unknown_field_is_an_error_listing_allowed_fields() -> None:
    (problem,) = violations({"assistant_id": "a", "future_option": "low"})
    assert problem.startswith("unknown field 'future_option' (allowed: assistant_id, model,")
    assert "enable 'Allow unknown fields'" in problem


def test_unknown_field_is_sent_as_written_with_a_warning_when_allowed() -> None:
    prepared = prepare({"assistant_id": "a", "future_option": "low"}, allow_unknown_fields=True)
    assert json.loads(prepared.request.body) == {"assistant_id": "a", "future_option": "low"}
    assert len(prepared.warnings) == 1
    assert "'future_option'" in prepared.warnings[0]


def test_unknown_nested_field_names_its_path() -> None:
    (problem,) = violations(
        {"assistant_id": "a", "additional_messages": [{"role": "user", "content": "x", "y": 1}]}
    )
    assert problem.startswith("unknown field 'y' in additional_messages[0] (allowed: role,")


def test_allowing_unknown_fields_still_reports_real_violations() -> None:
    assert violations({"assistant_id": "a", "x": 1, "top_p": 2}, allow_unknown_fields=True) == [
        "top_p: 2 is greater than the maximum of 1"
    ]


@pytest.mark.parametrize("thread_id", ["", "   "])
def test_empty_or_blank_thread_id_is_an_error(thread_id: str) -> None:
    error = settings_error({"assistant_id": "a"}, thread_id=thread_id)
    assert error.setting == "thread_id"
    assert "Thread ID is empty" in str(error)


def test_thread_id_from_body_is_used_when_setting_is_empty() -> None:
    request = prepare({"assistant_id": "a", "thread_id": "thread_b"}, thread_id="").request
    assert request.url.endswith("/threads/thread_b/runs")
    assert json.loads(request.body) == {"assistant_id": "a"}


def test_thread_id_in_body_equal_to_setting_is_fine() -> None:
    request = prepare({"assistant_id": "a", "thread_id": "thread_1"}).request
    assert json.loads(request.body) == {"assistant_id": "a"}


def test_thread_id_in_body_contradicting_setting_is_an_error() -> None:
    error = settings_error({"assistant_id": "a", "thread_id": "thread_2"}, thread_id="thread_1")
    assert "contradicts thread_id 'thread_2'" in str(error)


def test_thread_id_in_body_must_be_a_string() -> None:
    assert violations({"assistant_id": "a", "thread_id": 7}, thread_id="") == [
        "thread_id: 7 is not of type 'string'"
    ]


@pytest.mark.parametrize(
    "thread_id", ["thread 1", "thread\r\nX-Injected: 1", "thread\t1", "thréad", ".", ".."]
)
def test_thread_ids_that_could_reroute_or_inject_are_refused(thread_id: str) -> None:
    error = settings_error({"assistant_id": "a"}, thread_id=thread_id)
    assert error.setting == "thread_id"


def test_surrounding_whitespace_of_thread_id_is_ignored() -> None:
    request = prepare({"assistant_id": "a"}, thread_id="  thread_1 \n").request
    assert request.url.endswith("/threads/thread_1/runs")


def test_unsupported_include_value_is_an_error() -> None:
    error = settings_error({"assistant_id": "a"}, include=("step_details.bogus",))
    assert error.setting == "include"
    assert "'step_details.bogus'" in str(error)
    assert INCLUDE_FILE_SEARCH_CONTENT in str(error)


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("ftp://api.openai.com/v1", "must start with https://"),
        ("api.openai.com/v1", "must start with https://"),
        ("https://api.openai.com/v1?key=sk-1", "must not carry a query"),
        ("https://api.openai.com/v1#frag", "must not carry a query"),
        ("https://api.openai.com:99999/v1", "malformed"),
        ("https://user:pw@api.openai.com/v1", "must not contain a user name or password"),
    ],
)
def test_bad_base_url_is_refused(base_url: str, expected: str) -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        prepare_run(
            run_settings(thread_id="t", body='{"assistant_id": "a"}'),
            ConnectionConfig(base_url=base_url),
        )
    assert caught.value.setting == "base_url"
    assert expected in str(caught.value)
    assert "sk-1" not in str(caught.value)


def test_plain_http_to_a_remote_host_warns() -> None:
    prepared = prepare_run(
        run_settings(thread_id="t", body='{"assistant_id": "a"}'),
        ConnectionConfig(base_url="http://example.com/v1"),
    )
    assert any("unencrypted" in w for w in prepared.warnings)


def test_plain_http_to_loopback_does_not_warn() -> None:
    assert prepare({"assistant_id": "a"}).warnings == []
