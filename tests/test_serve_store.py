"""The server's storage and its Chat Completions backend, below the HTTP layer."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from openai_assistants.server.backends import (
    BackendError,
    ModelRequest,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from openai_assistants.server.backends.chat_completions import ChatCompletionsBackend
from openai_assistants.server.store import CursorNotFound, SqliteStore


def fill(store: SqliteStore, count: int = 5) -> list[str]:
    store.insert("thread", {"id": "thread_1"}, thread_id="thread_1")
    ids = [f"msg_{i}" for i in range(count)]
    for message_id in ids:
        store.insert("message", {"id": message_id, "status": "completed"}, thread_id="thread_1")
    return ids


def ids(page) -> list[str]:
    return [item["id"] for item in page.items]


def test_pages_follow_creation_order_with_after_and_before_in_both_orders():
    store = SqliteStore()
    m = fill(store)
    desc = store.page("message", thread_id="thread_1", limit=2)
    assert ids(desc) == [m[4], m[3]] and desc.has_more
    assert ids(store.page("message", thread_id="thread_1", limit=2, after=m[3])) == [m[2], m[1]]
    last = store.page("message", thread_id="thread_1", limit=2, after=m[1])
    assert ids(last) == [m[0]] and not last.has_more
    asc = store.page("message", thread_id="thread_1", order="asc", limit=2, after=m[1])
    assert ids(asc) == [m[2], m[3]] and asc.has_more
    # "before" is the page right before the cursor, in the list's order
    before = store.page("message", thread_id="thread_1", order="asc", limit=2, before=m[4])
    assert ids(before) == [m[2], m[3]] and before.has_more
    assert ids(store.page("message", thread_id="thread_1", limit=2, before=m[1])) == [m[3], m[2]]
    with pytest.raises(CursorNotFound):
        store.page("message", thread_id="thread_1", after="msg_elsewhere")


def test_deleting_a_thread_takes_its_messages_runs_and_steps_along():
    store = SqliteStore()
    fill(store, 2)
    store.insert("run", {"id": "run_1", "status": "queued"}, thread_id="thread_1", run_id="run_1")
    store.insert("step", {"id": "step_1"}, thread_id="thread_1", run_id="run_1")
    store.insert("thread", {"id": "thread_2"}, thread_id="thread_2")
    assert store.unfinished_runs() == [{"id": "run_1", "status": "queued"}]
    assert store.delete("thread", "thread_1") is True
    assert store.all("message", thread_id="thread_1") == []
    assert store.get("run", "run_1") is None and store.get("step", "step_1") is None
    assert store.get("thread", "thread_2") == {"id": "thread_2"}
    assert store.delete("thread", "thread_1") is False


def test_a_file_store_uses_wal_and_keeps_objects_across_connections(tmp_path: Path):
    path = tmp_path / "server.db"
    store = SqliteStore(path)
    store.insert("assistant", {"id": "asst_1", "name": "kept"})
    store.update("assistant", {"id": "asst_1", "name": "changed"})
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = SqliteStore(path)
    assert again.get("assistant", "asst_1") == {"id": "asst_1", "name": "changed"}
    again.close()


async def collect(backend: ChatCompletionsBackend, request: ModelRequest) -> list:
    try:
        return [chunk async for chunk in backend.respond(request)]
    finally:
        await backend.aclose()


def test_azure_style_endpoint_gets_api_key_header_and_api_version():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        message = {
            "role": "assistant",
            "content": "hi",
            "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}],
        }
        return httpx.Response(
            200,
            json={
                "choices": [{"message": message}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1},
            },
        )

    backend = ChatCompletionsBackend(
        "https://res.openai.azure.com/openai/deployments/gpt4o/",
        api_key="azure-key",
        auth="api-key",
        api_version="2024-10-21",
        transport=httpx.MockTransport(answer),
    )
    request = ModelRequest(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    chunks = asyncio.run(collect(backend, request))
    assert chunks == [
        TextDelta("hi"),
        ToolCallDelta(index=0, id="c1", name="f", arguments="{}"),
        Usage(3, 1),
    ]
    (sent,) = seen
    assert str(sent.url) == (
        "https://res.openai.azure.com/openai/deployments/gpt4o/chat/completions"
        "?api-version=2024-10-21"
    )
    assert sent.headers["api-key"] == "azure-key" and "authorization" not in sent.headers
    assert json.loads(sent.content) == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "x"}],
    }
    assert "azure-key" not in repr(backend)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(200, text="<html>proxy</html>"), "body that is not JSON: <html>proxy"),
        (httpx.Response(502, text="Bad gateway"), "answered HTTP 502: Bad gateway"),
        (
            httpx.Response(200, text='data: {"choices": [{"delta": {"content": "a"}}]}\n\n'),
            "stream ended before [DONE]",
        ),
        (httpx.ConnectError("refused"), "could not be reached: ConnectError"),
    ],
)
def test_strange_answers_become_server_errors_with_a_readable_message(answer, message):
    def reply(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    backend = ChatCompletionsBackend("http://model.test/v1", transport=httpx.MockTransport(reply))
    streamed = "stream ended" in message
    request = ModelRequest(model="m", messages=[], stream=streamed)
    with pytest.raises(BackendError) as failed:
        asyncio.run(collect(backend, request))
    assert failed.value.code == "server_error" and message in failed.value.message


def test_on_start_runs_that_were_being_worked_on_fail_and_waiting_runs_stay(tmp_path: Path):
    from openai_assistants.server.backends.echo import EchoBackend
    from openai_assistants.server.runs import Engine

    store = SqliteStore(tmp_path / "db")
    for run_id, status in (
        ("run_q", "queued"),
        ("run_p", "in_progress"),
        ("run_w", "requires_action"),
        ("run_c", "cancelling"),
        ("run_done", "completed"),
    ):
        run = {"id": run_id, "status": status, "expires_at": None, "last_error": None}
        store.insert("run", run, thread_id="thread_1", run_id=run_id)
    store.insert("message", {"id": "msg_1", "status": "in_progress"}, run_id="run_p")
    assert sorted(Engine(store, EchoBackend(0)).recover()) == ["run_p", "run_q"]
    status = {r: store.get("run", r)["status"] for r in ("run_q", "run_p", "run_w", "run_c")}
    assert status == {
        "run_q": "failed",
        "run_p": "failed",
        "run_w": "requires_action",
        "run_c": "cancelled",
    }
    assert store.get("run", "run_p")["last_error"]["code"] == "server_error"
    assert store.get("message", "msg_1")["incomplete_details"] == {"reason": "run_failed"}
    assert store.get("run", "run_done")["status"] == "completed"


def test_an_endpoint_refusing_stream_options_is_asked_again_without_them():
    sent: list[dict] = []

    def reply(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        if "stream_options" in sent[-1]:
            return httpx.Response(400, json={"error": {"message": "Unknown: stream_options"}})
        chunk = {"choices": [{"index": 0, "delta": {"content": "hi"}}]}
        return httpx.Response(200, text=f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n")

    backend = ChatCompletionsBackend("http://model.test/v1", transport=httpx.MockTransport(reply))
    request = ModelRequest(model="m", messages=[], stream=True)
    assert asyncio.run(collect(backend, request)) == [TextDelta("hi")]
    assert [("stream_options" in body, body["stream"]) for body in sent] == [
        (True, True),
        (False, True),
    ]
