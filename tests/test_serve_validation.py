"""Requests the server refuses, each with OpenAI's error shape, the status the real API
uses and the ``param`` to fix; nothing is stored for a refused request. In-process (ASGI)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from openai_assistants.server.app import create_app
from openai_assistants.server.backends.echo import EchoBackend
from openai_assistants.server.runs import Engine
from openai_assistants.server.store import SqliteStore

HEADERS = {"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"}
TOOL = {"type": "function", "function": {"name": "lookup"}}


async def exchange(
    calls: list[tuple[str, str, Any]], store: SqliteStore | None = None
) -> list[httpx.Response]:
    """Make an assistant ({a}), a thread ({t}) and a waiting run ({r}, call {c}), then send."""
    engine = Engine(store or SqliteStore(), EchoBackend(0))
    app = create_app(engine)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://s/v1", headers=HEADERS) as http,
    ):
        a = (await http.post("/assistants", json={"model": "m", "tools": [TOOL]})).json()["id"]
        t = await http.post("/threads", json={"messages": [{"role": "user", "content": "x"}]})
        t = t.json()["id"]
        r = (await http.post(f"/threads/{t}/runs", json={"assistant_id": a})).json()["id"]
        for _ in range(100):
            run = (await http.get(f"/threads/{t}/runs/{r}")).json()
            if run["status"] == "requires_action":
                break
            await asyncio.sleep(0.01)
        c = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
        ids = {"a": a, "t": t, "r": r, "c": c}
        answers = []
        for method, path, body in calls:
            path = path.format(**ids)
            if isinstance(body, dict):
                body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
            if isinstance(body, bytes):
                answers.append(await http.request(method, path, content=body))
            else:
                answers.append(await http.request(method, path, json=body))
        return answers


CASES = [
    ("POST", "/assistants", {"model": 5}, 400, "model", "Invalid type for 'model'"),
    ("POST", "/assistants/{a}", {"tools": [{"type": "file_search"}]}, 400, "tools[0].type", ""),
    ("POST", "/assistants/{a}", {"colour": "red"}, 400, None, "Unrecognized request argument"),
    ("POST", "/threads", {"messages": "hi"}, 400, "messages", "expected an array"),
    ("POST", "/threads", {"metadata": {"k": 5}}, 400, "metadata", "at most 16 string values"),
    ("POST", "/threads/{t}", {"messages": []}, 400, None, "Unrecognized request argument"),
    ("POST", "/threads/{t}/messages", {"role": "user"}, 400, "content", "Missing required"),
    ("POST", "/threads/{t}/messages/nope", {"metadata": {}}, 404, None, "No message found"),
    ("POST", "/threads/{t}/runs/{r}", {"status": "completed"}, 400, None, "Unrecognized"),
    ("POST", "/threads/{t}/runs/{r}/submit_tool_outputs", {}, 400, "tool_outputs", "Missing"),
    (
        "POST",
        "/threads/{t}/runs/{r}/submit_tool_outputs",
        {"tool_outputs": [{"tool_call_id": "call_other", "output": "1"}]},
        400,
        "tool_outputs",
        "Expected tool outputs for call_ids",
    ),
    (
        "POST",
        "/threads/{t}/runs/{r}/submit_tool_outputs",
        {"tool_outputs": [{"tool_call_id": "{c}", "output": 5}]},
        400,
        "tool_outputs[0].output",
        "expected a string",
    ),
    (
        "POST",
        "/threads/runs",
        {"assistant_id": "{a}", "thread": {"messages": 1}},
        400,
        "messages",
        "",
    ),
    ("POST", "/threads/runs", {"assistant_id": "{a}", "additional_messages": []}, 400, None, ""),
    ("POST", "/threads/{t}/runs", b'{"assistant_id": ', 400, None, "not valid JSON"),
    ("POST", "/threads/{t}/runs", {"assistant_id": "{a}"}, 400, None, "already has an active run"),
    ("GET", "/threads/{t}/messages?order=up", None, 400, "order", "Supported values"),
    ("GET", "/threads/{t}/messages?after=msg_nope", None, 400, "after", "no object with id"),
    ("GET", "/threads/{t}/runs/{r}/steps?include[]=x", None, 400, "include[]", "not supported"),
    ("GET", "/threads/{t}/runs/{r}/steps/step_nope", None, 404, None, "No run step found"),
    ("DELETE", "/threads/{t}/messages/msg_nope", None, 404, None, "No message found"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "param", "says"), CASES)
def test_refusals_use_the_api_status_param_and_error_shape(method, path, body, status, param, says):
    (answer,) = asyncio.run(exchange([(method, path, body)]))
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert says in error["message"]
    if param is not None:
        assert error["param"] == param


def test_a_refused_create_thread_and_run_creates_no_thread(tmp_path):
    store = SqliteStore(tmp_path / "db")
    bad = {"assistant_id": "asst_nope", "thread": {"messages": [{"role": "user", "content": "x"}]}}
    (refused,) = asyncio.run(exchange([("POST", "/threads/runs", bad)], store))
    assert refused.status_code == 404 and "No assistant found" in refused.text
    check = SqliteStore(tmp_path / "db")
    assert len(check.all("thread")) == 1 and len(check.all("message")) == 1  # the set-up's
