"""Every one of the 23 operations sends what the official openai SDK sends for the same inputs.

For each operation both clients talk to one recording server on 127.0.0.1: the SDK through
``client.beta.assistants`` / ``client.beta.threads...``, the extension through
``request_builder.build_request`` plus a plain httpx send. The SDK is the oracle for method,
path (percent-encoded segments), query, JSON body and the OpenAI headers. Each operation runs
with ordinary IDs and with IDs holding ``/ ? # % : @`` (which must stay one segment).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest
from http_stub import Reply, StubServer
from sdk_comparison import (
    SdkCall,
    assert_same_request,
    send_with_builder,
    send_with_sdk,
    sent_both_ways,
)

from openai_assistants import operations

openai = pytest.importorskip("openai")

KEY = "sk-test-operation-matrix"
COMPARED_HEADERS = ("openai-beta", "openai-organization", "openai-project")
INCLUDE = [operations.INCLUDE_FILE_SEARCH_CONTENT]
PLAIN_IDS = {
    "assistant_id": "asst_abc123",
    "thread_id": "thread_abc123",
    "message_id": "msg_abc123",
    "run_id": "run_abc123",
    "step_id": "step_abc123",
}
TRICKY_IDS = {
    "assistant_id": "asst/../x?y=1",
    "thread_id": "thread/../x?y=1#z%20",
    "message_id": "msg:1@2#3",
    "run_id": "run%2F..",
    "step_id": "step/?#",
}
FUNCTION_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Looks a word up.",
        "parameters": {"type": "object", "properties": {"word": {"type": "string"}}},
    },
}
STRUCTURED_OUTPUT = {
    "type": "json_schema",
    "json_schema": {"name": "out", "schema": {"type": "object"}},
}

# operationId -> (query values by settings key, body or None, how the SDK is called)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any] | None, SdkCall]] = {
    "createAssistant": (
        {},
        {
            "model": "gpt-4o",
            "name": "Grüße",
            "instructions": "Be brief. 世界",
            "tools": [{"type": "code_interpreter"}, FUNCTION_TOOL],
            "metadata": {"k": "v"},
            "temperature": 0.5,
            "response_format": STRUCTURED_OUTPUT,
        },
        lambda c, ids, q, b: c.beta.assistants.create(**b),
    ),
    "listAssistants": (
        {"limit": 5, "order": "asc", "after": "asst_a", "before": "asst_b"},
        None,
        lambda c, ids, q, b: c.beta.assistants.list(**q),
    ),
    "getAssistant": (
        {},
        None,
        lambda c, ids, q, b: c.beta.assistants.retrieve(ids["assistant_id"]),
    ),
    "modifyAssistant": (
        {},
        {"name": "Renamed", "tools": [], "metadata": {"v": "2"}, "top_p": 0.9},
        lambda c, ids, q, b: c.beta.assistants.update(ids["assistant_id"], **b),
    ),
    "deleteAssistant": (
        {},
        None,
        lambda c, ids, q, b: c.beta.assistants.delete(ids["assistant_id"]),
    ),
    "createThread": (
        {},
        {
            "messages": [{"role": "user", "content": "Hello", "metadata": {"a": "b"}}],
            "metadata": {"topic": "x"},
        },
        lambda c, ids, q, b: c.beta.threads.create(**b),
    ),
    "createThreadAndRun": (
        {},
        {
            "assistant_id": "asst_1",
            "thread": {"messages": [{"role": "user", "content": "Hi"}]},
            "instructions": "Answer.",
            "tools": [FUNCTION_TOOL],
            "tool_choice": "auto",
            "truncation_strategy": {"type": "last_messages", "last_messages": 3},
            "parallel_tool_calls": False,
        },
        lambda c, ids, q, b: c.beta.threads.create_and_run(**b),
    ),
    "getThread": ({}, None, lambda c, ids, q, b: c.beta.threads.retrieve(ids["thread_id"])),
    "modifyThread": (
        {},
        {"metadata": {"k": "v"}},
        lambda c, ids, q, b: c.beta.threads.update(ids["thread_id"], **b),
    ),
    "deleteThread": ({}, None, lambda c, ids, q, b: c.beta.threads.delete(ids["thread_id"])),
    "createMessage": (
        {},
        {
            "role": "user",
            "content": [{"type": "text", "text": "Grüße"}],
            "attachments": [{"file_id": "file_1", "tools": [{"type": "file_search"}]}],
            "metadata": {"k": "v"},
        },
        lambda c, ids, q, b: c.beta.threads.messages.create(ids["thread_id"], **b),
    ),
    "listMessages": (
        {"limit": 100, "order": "desc", "after": "msg_a", "run_id": "run_1"},
        None,
        lambda c, ids, q, b: c.beta.threads.messages.list(ids["thread_id"], **q),
    ),
    "getMessage": (
        {},
        None,
        lambda c, ids, q, b: c.beta.threads.messages.retrieve(
            ids["message_id"], thread_id=ids["thread_id"]
        ),
    ),
    "modifyMessage": (
        {},
        {"metadata": {"k": "v"}},
        lambda c, ids, q, b: c.beta.threads.messages.update(
            ids["message_id"], thread_id=ids["thread_id"], **b
        ),
    ),
    "deleteMessage": (
        {},
        None,
        lambda c, ids, q, b: c.beta.threads.messages.delete(
            ids["message_id"], thread_id=ids["thread_id"]
        ),
    ),
    "createRun": (
        {"include": INCLUDE},
        {
            "assistant_id": "asst_1",
            "additional_messages": [{"role": "user", "content": "Grüße, 世界"}],
            "response_format": STRUCTURED_OUTPUT,
            "max_prompt_tokens": 1000,
        },
        lambda c, ids, q, b: c.beta.threads.runs.create(ids["thread_id"], **q, **b),
    ),
    "listRuns": (
        {"limit": 1, "order": "asc", "before": "run_b"},
        None,
        lambda c, ids, q, b: c.beta.threads.runs.list(ids["thread_id"], **q),
    ),
    "getRun": (
        {},
        None,
        lambda c, ids, q, b: c.beta.threads.runs.retrieve(
            ids["run_id"], thread_id=ids["thread_id"]
        ),
    ),
    "modifyRun": (
        {},
        {"metadata": {"k": "v"}},
        lambda c, ids, q, b: c.beta.threads.runs.update(
            ids["run_id"], thread_id=ids["thread_id"], **b
        ),
    ),
    "cancelRun": (
        {},
        None,
        lambda c, ids, q, b: c.beta.threads.runs.cancel(ids["run_id"], thread_id=ids["thread_id"]),
    ),
    "submitToolOuputsToRun": (
        {},
        {"tool_outputs": [{"tool_call_id": "call_1", "output": "42"}]},
        lambda c, ids, q, b: c.beta.threads.runs.submit_tool_outputs(
            ids["run_id"], thread_id=ids["thread_id"], **b
        ),
    ),
    "listRunSteps": (
        {"limit": 50, "order": "asc", "after": "step_a", "include": INCLUDE},
        None,
        lambda c, ids, q, b: c.beta.threads.runs.steps.list(
            ids["run_id"], thread_id=ids["thread_id"], **q
        ),
    ),
    "getRunStep": (
        {"include": INCLUDE},
        None,
        lambda c, ids, q, b: c.beta.threads.runs.steps.retrieve(
            ids["step_id"], thread_id=ids["thread_id"], run_id=ids["run_id"], **q
        ),
    ),
}


def _reply(operation: operations.Operation) -> Reply:
    if operation.returns_list:
        body = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
    elif operation.result_kind is operations.ResultKind.DELETION:
        body = {"id": "x", "object": "thread.deleted", "deleted": True}
    else:
        body = {"id": "x", "object": "thread.run", "created_at": 1}
    return Reply(body=json.dumps(body))


_send_with_builder = partial(send_with_builder, KEY)
_send_with_sdk = partial(send_with_sdk, KEY)


def test_every_operation_of_the_reference_has_a_case() -> None:
    assert sorted(CASES) == sorted(op.operation_id for op in operations.ASSISTANTS_API)
    assert len(CASES) == 23  # files and vector stores: test_documents_match_official_sdk.py


@pytest.mark.parametrize("ids", [PLAIN_IDS, TRICKY_IDS], ids=["plain ids", "tricky ids"])
@pytest.mark.parametrize("operation_id", list(CASES))
def test_request_equals_the_official_sdk_request(operation_id: str, ids: dict[str, str]) -> None:
    operation = operations.by_id(operation_id)
    query, body, call = CASES[operation_id]
    config = {"organization": "org-1", "project": "proj_1"}
    sdk, ours = sent_both_ways(KEY, operation, call, ids, query, body, _reply(operation), **config)
    assert_same_request(sdk, ours, operation, body, COMPARED_HEADERS)


@pytest.mark.parametrize(
    "operation_id", ["createRun", "createThreadAndRun", "submitToolOuputsToRun"]
)
def test_streaming_requests_equal_the_sdk_and_ask_for_events(operation_id: str) -> None:
    operation = operations.by_id(operation_id)
    query, body, call = CASES[operation_id]
    body = {**(body or {}), "stream": True}
    stream_reply = Reply(body="data: [DONE]\n\n", headers={"Content-Type": "text/event-stream"})
    with StubServer() as server:
        server.reply(stream_reply, stream_reply)
        _send_with_sdk(server.base_url, call, PLAIN_IDS, query, body)
        _send_with_builder(server.base_url, operation, PLAIN_IDS, query, body)
    sdk, ours = server.received
    assert (ours.method, ours.path, sorted(ours.query)) == (sdk.method, sdk.path, sorted(sdk.query))
    assert json.loads(ours.body) == json.loads(sdk.body) == body
    assert ours.headers["accept"] == "text/event-stream"


NO_ARGUMENT_CALLS: dict[str, SdkCall] = {
    "createThread": lambda c, ids, q, b: c.beta.threads.create(),
    "modifyAssistant": lambda c, ids, q, b: c.beta.assistants.update(ids["assistant_id"]),
    "modifyThread": lambda c, ids, q, b: c.beta.threads.update(ids["thread_id"]),
    "modifyMessage": lambda c, ids, q, b: c.beta.threads.messages.update(
        ids["message_id"], thread_id=ids["thread_id"]
    ),
    "modifyRun": lambda c, ids, q, b: c.beta.threads.runs.update(
        ids["run_id"], thread_id=ids["thread_id"]
    ),
}


@pytest.mark.parametrize("operation_id", list(NO_ARGUMENT_CALLS))
def test_an_empty_optional_body_is_the_empty_object_the_sdk_sends(operation_id: str) -> None:
    operation = operations.by_id(operation_id)
    with StubServer() as server:
        server.reply(_reply(operation), _reply(operation))
        _send_with_sdk(server.base_url, NO_ARGUMENT_CALLS[operation_id], PLAIN_IDS, {}, None)
        _send_with_builder(server.base_url, operation, PLAIN_IDS, {}, None)
    sdk, ours = server.received
    assert (ours.method, ours.path) == (sdk.method, sdk.path)
    assert json.loads(ours.body) == json.loads(sdk.body) == {}
