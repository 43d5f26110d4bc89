"""One client: configuration and key enter once, every request goes through it, the key is
never shown and never handed on."""

from __future__ import annotations

import ast
import copy
import json
import pickle
from pathlib import Path

import httpx
import pytest

from openai_assistants import operations
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import AuthStyle, ConnectionConfig
from openai_assistants.engine.execute import (
    CallInput,
    CallSettings,
    OperationOptions,
    WaitOptions,
    execute_operation,
)

KEY = "sk-client-test-0123456789"
SRC = Path(__file__).resolve().parents[1] / "src" / "openai_assistants"
CONFIG = ConnectionConfig(base_url="https://api.example.test/v1", max_retries=0)


def test_the_client_never_shows_its_key() -> None:
    client = ApiClient(CONFIG, KEY)
    twin = client.with_cancel(lambda: False)
    for shown in (repr(client), str(client), repr(twin), f"{client}"):
        assert KEY not in shown and "api.example.test" in shown
    assert not hasattr(client, "__dict__")  # nothing vars() or a debugger's dump would list
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(client)
    with pytest.raises(TypeError):
        copy.copy(client)


def test_a_table_s_twin_shares_the_key_and_the_429_gate_not_the_cancel_flag() -> None:
    flag = lambda: True  # noqa: E731
    client = ApiClient(CONFIG, KEY, is_canceled=None)
    twin = client.with_cancel(flag)
    assert twin.is_canceled is flag and client.is_canceled is None
    assert twin._gate is client._gate and twin._auth == client._auth
    assert twin.config is client.config


def test_a_gate_given_is_the_one_every_request_waits_at() -> None:
    from openai_assistants.client.rate_limit import RateLimitGate

    gate = RateLimitGate()
    client = ApiClient.connect(CONFIG, environ={"OPENAI_API_KEY": KEY}, gate=gate)
    assert client._gate is gate and client.with_cancel(None)._gate is gate
    assert ApiClient(CONFIG, KEY)._gate is not ApiClient(CONFIG, KEY)._gate  # one per client


@pytest.mark.parametrize(
    ("auth_style", "header", "value"),
    [(AuthStyle.BEARER, "authorization", f"Bearer {KEY}"), (AuthStyle.API_KEY, "api-key", KEY)],
)
def test_the_call_its_polls_and_the_cancel_of_its_run_all_carry_the_clients_key(
    auth_style: AuthStyle, header: str, value: str
) -> None:
    """Create a run and wait for it, cancelling while it runs: the create, every poll and
    the cancel of the run go through the one client (its key, its injected httpx client)."""
    seen: list[tuple[str, str, str | None]] = []
    polls = 0
    canceled = False

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal polls
        seen.append((request.method, request.url.path, request.headers.get(header)))
        run = {"id": "run_1", "object": "thread.run", "thread_id": "thread_1"}
        if request.url.path.endswith("/cancel"):
            return httpx.Response(200, json={**run, "status": "cancelling"})
        if request.method == "GET":
            polls += 1
        return httpx.Response(200, json={**run, "status": "in_progress"})

    def cancel_after_two_polls() -> bool:
        return polls >= 2

    config = ConnectionConfig(base_url="https://api.example.test/v1", auth_style=auth_style)
    settings = CallSettings(path_values={"thread_id": "thread_1"}, body='{"assistant_id": "a"}')
    wait = WaitOptions(poll_interval=0.01, max_wait=10.0, cancel_run_on_abort=True)
    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        client = ApiClient(config, KEY, http=http, is_canceled=cancel_after_two_polls)
        with pytest.raises(Exception, match="was cancelled on the server") as caught:
            execute_operation(
                operations.by_id("createRun"),
                [CallInput("Row0", settings)],
                client,
                options=OperationOptions(wait=wait),
            )
        canceled = True
    assert canceled and KEY not in str(caught.value)
    methods = [(method, path.rsplit("/", 1)[-1]) for method, path, _ in seen]
    assert methods[0] == ("POST", "runs") and methods[-1] == ("POST", "cancel")
    assert ("GET", "run_1") in methods
    assert {key for _, _, key in seen} == {value}


def test_one_client_serves_a_whole_table() -> None:
    """Every row of a table goes through the client the caller made (and its httpx client)."""
    paths: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        thread = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, json={"id": thread, "object": "thread", "created_at": 1})

    inputs = [
        CallInput(f"Row{n}", CallSettings(path_values={"thread_id": f"thread_{n}"}))
        for n in range(6)
    ]
    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        outcome = execute_operation(
            operations.by_id("getThread"),
            inputs,
            ApiClient(CONFIG, KEY, http=http),
            options=OperationOptions(concurrency=3),
        )
    assert sorted(paths) == [f"/v1/threads/thread_{n}" for n in range(6)]
    assert [json.loads(row.response.text)["id"] for row in outcome.rows] == [
        f"thread_{n}" for n in range(6)
    ]


def _parameters(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                found.append((node.name, argument.arg))
    return found


def test_nothing_but_the_client_receives_the_key() -> None:
    """No function of the engine, the tables or the operations takes a key (or the header
    that carries it): they get the client. Inside the client, the key goes in at
    ``ApiClient`` (found by ``api_key``) and only its header reaches the wire (``attempt``,
    ``routes``), the moment a request is written."""
    secret = ("api_key", "key", "auth", "authorization", "secret", "password")
    takes_a_key = [
        f"{path.relative_to(SRC)}: {function}({name})"
        for layer in ("engine", "tables", "operations", "client")
        for path in sorted((SRC / layer).rglob("*.py"))
        for function, name in _parameters(path)
        if name.lower() in secret
    ]
    assert sorted(takes_a_key) == [
        "client/api_key.py: auth_header(api_key)",
        "client/attempt.py: _exchange(auth)",
        "client/attempt.py: _exchange_once(auth)",
        "client/attempt.py: send_once(auth)",
        "client/client.py: __init__(api_key)",
        "client/routes.py: core_request(auth)",
    ]
