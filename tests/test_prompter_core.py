"""The Assistant Prompter's core without KNIME: planning, reading a reply, and the ways a
run's answer can arrive (a whole stream, a stream cut short, a plain JSON run)."""

from __future__ import annotations

import json

import httpx
import pytest

from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.options import ErrorHandling
from openai_assistants.engine.prompter import Tally, prompt_rows
from openai_assistants.engine.prompter_plan import (
    PrompterSettings,
    PromptRow,
    ThreadMode,
    output_columns,
    plan_lanes,
    user_message,
)
from openai_assistants.engine.prompter_reply import complete_citations, file_citations
from openai_assistants.errors import InvalidSettingsError
from openai_assistants.sandbox import Faults, start_sandbox

KEY = "sk-sandbox-prompter-core-0123456789"
ENV = {"OPENAI_API_KEY": KEY}


def connect(config: ConnectionConfig, http: httpx.Client | None = None) -> ApiClient:
    return ApiClient.connect(config, environ=ENV, http=http)


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(api_key=KEY, run_duration=0.05) as server:
        server.assistant = httpx.post(  # type: ignore[attr-defined]
            server.base_url + "/assistants",
            json={"model": "gpt-4o"},
            headers={"Authorization": f"Bearer {KEY}", "OpenAI-Beta": "assistants=v2"},
        ).json()["id"]
        yield server


def test_lanes_share_a_thread_only_where_the_mode_says() -> None:
    rows = [
        PromptRow("r0", "a", group="x", thread_id="t1"),
        PromptRow("r1", "b", group="y", thread_id="t2"),
        PromptRow("r2", None, group="x", thread_id="t1"),
        PromptRow("r3", "c", group="x", thread_id="t1"),
        PromptRow("r4", "d", group=None, thread_id=None),
        PromptRow("r5", "e", group=None, thread_id=None),
    ]
    assert plan_lanes(rows, ThreadMode.NEW_PER_ROW) == [[0], [1], [3], [4], [5]]
    assert plan_lanes(rows, ThreadMode.PER_GROUP) == [[0, 3], [1], [4, 5]]
    # a missing thread ID is its row's own (failing) lane, never shared
    assert plan_lanes(rows, ThreadMode.FROM_COLUMN) == [[0, 3], [1], [4], [5]]


def test_appended_names_never_replace_an_input_column() -> None:
    settings = PrompterSettings(response_column="Answer")
    names = [n for n, _ in output_columns(settings, ["Answer", "error", "error (#1)"])]
    assert names[0] == "Answer (#1)" and names[-1] == "error (#2)"
    assert dict(output_columns(settings))["total_tokens"] == "int64"


def test_a_prompt_becomes_the_users_message() -> None:
    assert user_message("Hi") == {"role": "user", "content": "Hi"}
    part = {"type": "text", "text": "Hi"}
    assert user_message([part]) == {"role": "user", "content": [part]}
    assert user_message(part) == {"role": "user", "content": [part]}
    message = {"role": "user", "content": "Hi", "metadata": {"k": "v"}}
    assert user_message(message) == message
    with pytest.raises(InvalidSettingsError, match="empty") as empty:
        user_message("  ")
    assert empty.value.setting == "prompt_column"
    with pytest.raises(InvalidSettingsError, match="not a number"):
        user_message(5)  # type: ignore[arg-type]


def test_a_bad_row_fails_before_anything_is_sent(sandbox) -> None:
    rows = [PromptRow("r0", "fine"), PromptRow("r1", {"role": "user", "content": 5})]
    before = len(sandbox.request_log)
    with pytest.raises(InvalidSettingsError, match=r"^r1: .*content"):
        prompt_rows(
            rows,
            PrompterSettings(assistant_id=sandbox.assistant),
            connect(ConnectionConfig(base_url=sandbox.base_url)),
        )
    assert len(sandbox.request_log) == before


def test_a_stream_cut_short_is_polled_and_the_reply_listed(sandbox) -> None:
    sandbox.set_faults(Faults(truncated_stream=1))
    before = len(sandbox.request_log)
    outcome = prompt_rows(
        [PromptRow("r0", "cut")],
        PrompterSettings(assistant_id=sandbox.assistant),
        connect(ConnectionConfig(base_url=sandbox.base_url)),
    )
    (answer,) = outcome.answers
    assert (answer.response, answer.status, answer.error) == ("Echo: cut", "completed", None)
    sent = [(e.method, e.path.rsplit("/", 1)[-1]) for e in sandbox.request_log[before:]]
    assert ("GET", "messages") in sent and ("GET", answer.run_id) in sent


def test_rate_limits_are_waited_out_by_every_row(sandbox) -> None:
    sandbox.set_faults(Faults(rate_limit=2, retry_after=0.2))
    tallies: list[Tally] = []
    outcome = prompt_rows(
        [PromptRow(f"r{i}", f"q{i}") for i in range(4)],
        PrompterSettings(assistant_id=sandbox.assistant, on_error=ErrorHandling.OUTPUT),
        connect(ConnectionConfig(base_url=sandbox.base_url, max_retries=3)),
        tally=tallies.append,
    )
    assert [a.response for a in outcome.answers] == [f"Echo: q{i}" for i in range(4)]
    assert tallies[-1] == Tally(4, 4, 0, 0) and tallies[-1].text == "4 of 4 answered, 0 running"


def _sse(*events: tuple[str, dict]) -> bytes:
    lines = [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]
    return ("".join(lines) + "event: done\ndata: [DONE]\n\n").encode()


def test_citations_name_the_file_and_quote_the_search_result() -> None:
    """A reply citing files (file search): the annotation gives the file ID, the run's file
    search results (List Run Steps with their content) the file name and the quote."""
    run = {"id": "run_1", "object": "thread.run", "thread_id": "thread_1", "status": "completed",
           "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}  # fmt: skip
    text = "KNIME is a platform【4:1†guide.pdf】."
    message = {
        "id": "msg_1", "object": "thread.message", "role": "assistant", "run_id": "run_1",
        "content": [{"type": "text", "text": {"value": text, "annotations": [{
            "type": "file_citation", "text": "【4:1†guide.pdf】", "start_index": 19,
            "end_index": 34, "file_citation": {"file_id": "file_b"}}]}}],
    }  # fmt: skip
    steps = {"object": "list", "data": [{"id": "step_1", "object": "thread.run.step",
             "step_details": {"type": "tool_calls", "tool_calls": [{"type": "file_search",
             "file_search": {"results": [
                 {"file_id": "file_a", "file_name": "intro.pdf", "content": []},
                 {"file_id": "file_b", "file_name": "guide.pdf",
                  "content": [{"type": "text", "text": "KNIME is an open platform."}]},
             ]}}]}}]}  # fmt: skip
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        if request.url.path.endswith("/threads"):
            return httpx.Response(200, json={"id": "thread_1", "object": "thread"})
        if request.url.path.endswith("/runs"):
            stream = _sse(
                ("thread.run.created", run | {"status": "queued"}),
                ("thread.message.completed", message),
                ("thread.run.completed", run),
            )
            return httpx.Response(
                200, content=stream, headers={"content-type": "text/event-stream"}
            )
        return httpx.Response(200, json=steps)

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        outcome = prompt_rows(
            [PromptRow("r0", "What is KNIME?")],
            PrompterSettings(assistant_id="asst_1"),
            connect(ConnectionConfig(base_url="https://api.example.test/v1"), client),
        )
    (row,) = outcome.answers
    assert row.response == text and row.total_tokens == 15
    assert json.loads(row.citations) == [
        {"file_id": "file_b", "filename": "guide.pdf", "quote": "KNIME is an open platform."}
    ]
    assert seen[-1].startswith("GET /v1/threads/thread_1/runs/run_1/steps?")
    assert "include%5B%5D=step_details.tool_calls" in seen[-1]


def test_citations_keep_their_file_ids_without_search_results() -> None:
    message = {"role": "assistant", "content": [{"type": "text", "text": {"value": "x",
               "annotations": [{"type": "file_citation", "text": "【0:0†a】",
                                "file_citation": {"file_id": "file_a"}}]}}]}  # fmt: skip
    assert complete_citations(file_citations([message]), None) == [
        {"file_id": "file_a", "filename": None, "quote": None}
    ]


def test_a_server_that_answers_the_run_as_json_is_polled_soon() -> None:
    """No stream (a server that ignores "stream"): the run is polled from 50 ms on, not a
    whole poll interval later, and the reply listed."""
    polls = iter(["in_progress", "completed"])
    times: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        times.append(f"{request.method} {path}")
        if path.endswith("/threads"):
            return httpx.Response(200, json={"id": "thread_1", "object": "thread"})
        if path.endswith("/messages"):
            part = {"type": "text", "text": {"value": "Hello", "annotations": []}}
            reply = {"id": "m", "role": "assistant", "run_id": "run_1", "content": [part]}
            return httpx.Response(200, json={"object": "list", "data": [reply]})
        status = "queued" if request.method == "POST" else next(polls)
        return httpx.Response(200, json={"id": "run_1", "object": "thread.run", "status": status})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        outcome = prompt_rows(
            [PromptRow("r0", "Hi")],
            PrompterSettings(assistant_id="asst_1", poll_interval=30.0),
            connect(ConnectionConfig(base_url="https://api.example.test/v1"), client),
        )
    assert outcome.answers[0].response == "Hello"
    assert times.count("GET /v1/threads/thread_1/runs/run_1") == 2
