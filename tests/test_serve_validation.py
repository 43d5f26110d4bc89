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
        m = (await http.get(f"/threads/{t}/messages")).json()["data"][-1]["id"]
        upload = {"file": ("notes.txt", b"some text")}
        f = (await http.post("/files", files=upload, data={"purpose": "assistants"})).json()["id"]
        v = (await http.post("/vector_stores", json={"file_ids": [f]})).json()["id"]
        ids = {"a": a, "t": t, "r": r, "c": c, "m": m, "f": f, "v": v}
        answers = []
        for method, path, body in calls:
            path = path.format(**ids)
            if isinstance(body, dict):
                body = _with_ids(body, ids)
            if isinstance(body, bytes):
                answers.append(await http.request(method, path, content=body))
            else:
                answers.append(await http.request(method, path, json=body))
        return answers


def _with_ids(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with the made objects' IDs put into its strings, however deep."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_ids(v, ids) for v in value]
    return value


CASES = [
    ("POST", "/assistants", {"model": 5}, 400, "model", "model: 5 is not of type string"),
    (
        "POST",
        "/assistants/{a}",
        {"tools": [{"type": "code_interpreter"}]},
        400,
        "tools[0].type",
        "",
    ),
    (
        "POST",
        "/assistants/{a}",
        {"tools": [{"type": "file_search", "file_search": {"max_num_results": 51}}]},
        400,
        "tools[0].file_search.max_num_results",
        "",
    ),
    ("POST", "/assistants/{a}", {"colour": "red"}, 400, "colour", "Unknown parameter: 'colour'."),
    ("POST", "/threads", {"messages": "hi"}, 400, "messages", "is not of type 'array'"),
    ("POST", "/threads", {"metadata": {"k": 5}}, 400, "metadata.k", "is not of type 'string'"),
    ("POST", "/threads/{t}", {"messages": []}, 400, "messages", "Unknown parameter: 'messages'."),
    ("POST", "/threads/{t}/messages", {"role": "user"}, 400, "content", "content: is required"),
    ("POST", "/threads/{t}/messages/nope", {"metadata": {}}, 404, None, "No message found"),
    ("POST", "/threads/{t}/runs/{r}", {"status": "completed"}, 400, "status", "Unknown parameter"),
    ("POST", "/threads/{t}/runs/{r}/submit_tool_outputs", {}, 400, "tool_outputs", "is required"),
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
        "is not of type 'string'",
    ),
    (
        "POST",
        "/threads/runs",
        {"assistant_id": "{a}", "thread": {"messages": 1}},
        400,
        "thread.messages",
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


# every body as the API documents it (issue 18, item 7)

TOO_MANY = {f"k{i}": "v" for i in range(17)}
DOCUMENTED = [
    ({"model": "m", "name": "n" * 257}, "/assistants", "name"),
    ({"model": "m", "description": "d" * 513}, "/assistants", "description"),
    ({"model": "m", "instructions": "i" * 256_001}, "/assistants", "instructions"),
    ({"model": "m", "temperature": 2.5}, "/assistants", "temperature"),
    ({"top_p": -0.1}, "/assistants/{a}", "top_p"),
    ({"model": "m", "tools": [TOOL] * 129}, "/assistants", "tools"),
    (
        {"model": "m", "tools": [{"type": "function", "function": {"name": "no spaces"}}]},
        "/assistants",
        "tools[0].function.name",
    ),
    (
        {"model": "m", "tools": [{"type": "function", "function": {"name": "f" * 65}}]},
        "/assistants",
        "tools[0].function.name",
    ),
    ({"model": "m", "reasoning_effort": "extreme"}, "/assistants", "reasoning_effort"),
    ({"model": "m", "metadata": TOO_MANY}, "/assistants", "metadata"),
    ({"metadata": {"k" * 65: "v"}}, "/assistants/{a}", "metadata"),
    ({"metadata": TOO_MANY}, "/threads", "metadata"),
    ({"metadata": {"k": "v" * 513}}, "/threads/{t}", "metadata.k"),
    (
        {"messages": [{"role": "user", "content": "x", "metadata": TOO_MANY}]},
        "/threads",
        "messages[0].metadata",
    ),
    ({"role": "user", "content": "x", "metadata": TOO_MANY}, "/threads/{t}/messages", "metadata"),
    ({"metadata": TOO_MANY}, "/threads/{t}/runs/{r}", "metadata"),
    ({"assistant_id": "{a}", "metadata": TOO_MANY}, "/threads/runs", "metadata"),
    ({"assistant_id": "{a}", "thread": {"metadata": TOO_MANY}}, "/threads/runs", "thread.metadata"),
    (
        {"role": "user", "content": "x", "attachments": ["file_1"]},
        "/threads/{t}/messages",
        "attachments[0]",
    ),
    (
        {"role": "user", "content": "x", "attachments": [{"file_id": 1, "tools": []}]},
        "/threads/{t}/messages",
        "attachments[0].file_id",
    ),
    (
        {"role": "user", "content": [{"type": "text", "text": 5}]},
        "/threads/{t}/messages",
        "content[0].text",
    ),
    (
        {"role": "user", "content": [{"type": "audio", "audio": {}}]},
        "/threads/{t}/messages",
        "content[0].type",
    ),
    ({"role": "user", "content": []}, "/threads/{t}/messages", "content"),
]


@pytest.mark.parametrize(("body", "path", "param"), DOCUMENTED)
def test_documented_limits_are_refused_with_param_and_nothing_is_stored(body, path, param):
    (answer, assistants, threads) = asyncio.run(
        exchange(
            [("POST", path, body), ("GET", "/assistants", None), ("GET", "/threads/{t}", None)]
        )
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
    assert len(assistants.json()["data"]) == 1  # the set-up's only
    assert threads.json()["metadata"] == {}


def test_metadata_limits_are_refused_on_create_run_too():
    body = {"assistant_id": "asst_x", "metadata": {"k": "v" * 513}}
    (answer,) = asyncio.run(exchange([("POST", "/threads/{t}/runs", body)]))
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "metadata.k"


def test_the_documented_limits_themselves_are_accepted():
    limits = {
        "model": "m",
        "name": "n" * 256,
        "temperature": 2,
        "top_p": 0,
        "tools": [{"type": "function", "function": {"name": "f_" + "x" * 62}}] * 128,
        "metadata": {f"{i:064d}": "v" * 512 for i in range(16)},
        "reasoning_effort": "low",
    }
    (answer,) = asyncio.run(exchange([("POST", "/assistants", limits)]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "n" * 256


BODIES = {  # one valid body per operation that takes one
    ("POST", "/assistants"): {"model": "m"},
    ("POST", "/assistants/{a}"): {},
    ("POST", "/threads"): {},
    ("POST", "/threads/{t}"): {},
    ("POST", "/threads/{t}/messages"): {"role": "user", "content": "x"},
    ("POST", "/threads/{t}/messages/{m}"): {},
    ("POST", "/threads/{t}/runs"): {"assistant_id": "{a}"},
    ("POST", "/threads/runs"): {"assistant_id": "{a}"},
    ("POST", "/threads/{t}/runs/{r}"): {},
    ("POST", "/threads/{t}/runs/{r}/submit_tool_outputs"): {"tool_outputs": []},
    ("POST", "/vector_stores"): {},
    ("POST", "/vector_stores/{v}"): {},
    ("POST", "/vector_stores/{v}/search"): {"query": "text"},
    ("POST", "/vector_stores/{v}/files"): {"file_id": "{f}"},
    ("POST", "/vector_stores/{v}/file_batches"): {"file_ids": ["{f}"]},
    ("POST", "/vector_stores/{v}/files/{f}"): {"attributes": {}},
}


def test_every_operation_with_a_body_reports_an_unknown_field_alike():
    from openai_assistants.server.routes import OPERATIONS

    with_body = {(op.method, op.path) for op in OPERATIONS if op.method == "POST"}
    with_body.discard(("POST", "/threads/{thread_id}/runs/{run_id}/cancel"))
    with_body.discard(("POST", "/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel"))
    with_body.discard(("POST", "/files"))  # a multipart form: its fields are checked by name
    named = {
        (
            m,
            p.replace("{t}", "{thread_id}")
            .replace("{r}", "{run_id}")
            .replace("{a}", "{assistant_id}")
            .replace("{m}", "{message_id}")
            .replace("{v}", "{vector_store_id}")
            .replace("{f}", "{file_id}"),
        )
        for m, p in BODIES
    }
    assert with_body == named  # a new operation with a body needs a case here
    calls = [(m, p, {**body, "colour": "red"}) for (m, p), body in BODIES.items()]
    for answer in asyncio.run(exchange(calls)):
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == {
            "message": "Unknown parameter: 'colour'.",
            "type": "invalid_request_error",
            "param": "colour",
            "code": "unknown_parameter",
        }
