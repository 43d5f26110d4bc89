"""Create Run sends what the official openai SDK sends for the same inputs.

Both clients talk to the same recording server on 127.0.0.1; the SDK is the oracle for
method, path (thread ID encoding included), query, JSON body and the OpenAI headers.
"""

from __future__ import annotations

import json
import warnings

import pytest
from http_stub import Reply, StubServer
from run_calls import create_one_run, run_settings

from openai_assistants.client.connection import AuthStyle, ConnectionConfig
from openai_assistants.operations.model import INCLUDE_FILE_SEARCH_CONTENT

openai = pytest.importorskip("openai")

KEY = "sk-test-request-matrix"
COMPARED_HEADERS = (
    "authorization",
    "content-type",
    "openai-beta",
    "openai-organization",
    "openai-project",
)

CASES = {
    "minimal": dict(thread="thread_abc123", include=(), body={"assistant_id": "asst_1"}),
    "include file search content": dict(
        thread="thread_abc123",
        include=(INCLUDE_FILE_SEARCH_CONTENT,),
        body={"assistant_id": "asst_1"},
    ),
    "organization and project": dict(
        thread="thread_abc123",
        include=(),
        body={"assistant_id": "asst_1"},
        organization="org-1",
        project="proj_1",
    ),
    "full body": dict(
        thread="thread_abc123",
        include=(INCLUDE_FILE_SEARCH_CONTENT,),
        body={
            "assistant_id": "asst_1",
            "model": "gpt-4o",
            "instructions": "Be brief.",
            "additional_messages": [{"role": "user", "content": "Grüße, 世界"}],
            "tools": [{"type": "file_search", "file_search": {"max_num_results": 5}}],
            "metadata": {"k": "v"},
            "temperature": 0.2,
            "top_p": 1,
            "max_prompt_tokens": 1000,
            "truncation_strategy": {"type": "last_messages", "last_messages": 3},
            "tool_choice": {"type": "file_search"},
            "parallel_tool_calls": False,
            "response_format": {"type": "json_object"},
        },
    ),
    "thread id with slash, query and fragment characters": dict(
        thread="thread/../x?y=1#z%20", include=(), body={"assistant_id": "asst_1"}
    ),
}


def _send_with_sdk(base_url: str, case: dict) -> None:
    client = openai.OpenAI(
        api_key=KEY,
        base_url=base_url,
        organization=case.get("organization"),
        project=case.get("project"),
        max_retries=0,
    )
    kwargs = dict(case["body"])
    if case["include"]:
        kwargs["include"] = list(case["include"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client.beta.threads.runs.create(case["thread"], **kwargs)


def _send_with_node_core(base_url: str, case: dict) -> None:
    create_one_run(
        run_settings(
            thread_id=case["thread"], include=case["include"], body=json.dumps(case["body"])
        ),
        ConnectionConfig(
            base_url=base_url,
            organization=case.get("organization", ""),
            project=case.get("project", ""),
            max_retries=0,
        ),
        environ={"OPENAI_API_KEY": KEY},
    )


@pytest.mark.parametrize("name", list(CASES))
def test_request_equals_the_official_sdk_request(name: str) -> None:
    case = CASES[name]
    with StubServer() as server:
        server.reply(Reply(), Reply())
        _send_with_sdk(server.base_url, case)
        _send_with_node_core(server.base_url, case)
    sdk, ours = server.received
    assert ours.method == sdk.method == "POST"
    assert ours.path == sdk.path
    assert ours.query == sdk.query
    assert json.loads(ours.body) == json.loads(sdk.body) == case["body"]
    for header in COMPARED_HEADERS:
        assert ours.headers.get(header) == sdk.headers.get(header), header
    assert ours.headers["user-agent"].startswith("knime-openai-assistants/")


def test_thread_id_stays_one_path_segment() -> None:
    with StubServer() as server:
        server.reply(Reply())
        _send_with_node_core(
            server.base_url, CASES["thread id with slash, query and fragment characters"]
        )
    (received,) = server.received
    assert received.path == "/v1/threads/thread%2F..%2Fx%3Fy=1%23z%2520/runs"
    assert received.query == []


def test_include_values_are_repeated_query_pairs() -> None:
    with StubServer() as server:
        server.reply(Reply())
        _send_with_node_core(server.base_url, CASES["include file search content"])
    assert server.received[0].query == [("include[]", INCLUDE_FILE_SEARCH_CONTENT)]


def test_azure_style_sends_api_key_header_and_api_version() -> None:
    with StubServer() as server:
        server.reply(Reply())
        create_one_run(
            run_settings(thread_id="thread_1", body='{"assistant_id": "asst_1"}'),
            ConnectionConfig(
                base_url=server.base_url,
                auth_style=AuthStyle.API_KEY,
                api_version="2024-05-01-preview",
                max_retries=0,
            ),
            environ={"OPENAI_API_KEY": KEY},
        )
    (received,) = server.received
    assert received.headers["api-key"] == KEY
    assert "authorization" not in received.headers
    assert received.query == [("api-version", "2024-05-01-preview")]


def test_thread_id_in_body_becomes_the_path_and_is_not_sent() -> None:
    with StubServer() as server:
        server.reply(Reply())
        create_one_run(
            run_settings(thread_id="", body='{"assistant_id": "a", "thread_id": "thread_9"}'),
            ConnectionConfig(base_url=server.base_url, max_retries=0),
            environ={"OPENAI_API_KEY": KEY},
        )
    (received,) = server.received
    assert received.path == "/v1/threads/thread_9/runs"
    assert json.loads(received.body) == {"assistant_id": "a"}


def test_stream_request_asks_for_event_stream() -> None:
    with StubServer() as server:
        server.reply(
            Reply(
                body="event: done\ndata: [DONE]\n\n",
                headers={"Content-Type": "text/event-stream"},
            )
        )
        create_one_run(
            run_settings(thread_id="t", body='{"assistant_id": "a", "stream": true}'),
            ConnectionConfig(base_url=server.base_url, max_retries=0),
            environ={"OPENAI_API_KEY": KEY},
        )
    assert server.received[0].headers["accept"] == "text/event-stream"
    assert json.loads(server.received[0].body) == {"assistant_id": "a", "stream": True}
