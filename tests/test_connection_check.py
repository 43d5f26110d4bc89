"""OpenAI Configuration checks the connection when it executes, and names what is wrong.

The decision (``openai_assistants.client.connection_check``) is tested through httpx's
MockTransport, answer by answer; the node against a real loopback sandbox (a server that
accepts one key) and a stub server (a web page, a server that is not an Assistants one).
"""

from __future__ import annotations

import json

import httpx
import knime.extension as knext
import pytest
from http_stub import Reply, StubServer
from knime.extension import parameter as kp
from knime_contexts import ExecutionContext
from node_factories import configuration_node

from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.client.connection_check import Problem, check_connection
from openai_assistants.errors import MissingApiKeyError, RequestFailedError
from openai_assistants.sandbox.server import start_sandbox
from openai_assistants_knime.configuration.node import OpenAIConfigurationNode

KEY = "sk-check-0123456789abcdef"
LIST = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
CONFIG = ConnectionConfig(base_url="https://assistants.example/v1", max_retries=0)


def _client(answer: httpx.Response | Exception, seen: list[httpx.Request]) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_the_check_is_one_authenticated_list_of_one_assistant() -> None:
    seen: list[httpx.Request] = []
    with _client(httpx.Response(200, json=LIST), seen) as client:
        assert check_connection(ApiClient(CONFIG, KEY, http=client)) is None
    (request,) = seen
    assert request.method == "GET"
    assert str(request.url) == "https://assistants.example/v1/assistants?limit=1"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["openai-beta"] == "assistants=v2"


@pytest.mark.parametrize(
    ("answer", "problem", "words"),
    [
        (
            httpx.Response(401, json={"error": {"message": f"Incorrect API key {KEY[:6]}***"}}),
            Problem.WRONG_KEY,
            "refused the API key from the environment variable OPENAI_API_KEY",
        ),
        (httpx.Response(403, json={"error": {"message": "no"}}), Problem.WRONG_KEY, "may not"),
        (httpx.Response(404, text="Not Found"), Problem.WRONG_BASE_URL, "base URL"),
        (
            httpx.Response(200, text="<html>Welcome</html>", headers={"content-type": "text/html"}),
            Problem.WRONG_BASE_URL,
            "web page",
        ),
        (
            httpx.Response(200, json={"id": "chatcmpl-1", "object": "chat.completion"}),
            Problem.NOT_ASSISTANTS_SERVER,
            "does not serve the Assistants API",
        ),
        (
            httpx.Response(500, json={"error": {"message": "database down"}}),
            Problem.SERVER_ERROR,
            "database down",
        ),
        (httpx.ConnectError("connection refused"), Problem.WRONG_BASE_URL, "could not reach"),
    ],
)
def test_each_failure_is_named(answer: object, problem: Problem, words: str) -> None:
    with _client(answer, []) as client:  # type: ignore[arg-type]
        verdict = check_connection(ApiClient(CONFIG, KEY, http=client))
    assert verdict is not None
    assert verdict.problem is problem
    assert words in verdict.message
    assert "https://assistants.example/v1" in verdict.message
    assert KEY not in verdict.message and KEY[:6] + "***" not in verdict.message
    assert KEY not in repr(verdict.error.args)


def _executed(node: OpenAIConfigurationNode, key: str = KEY) -> object:
    return node.execute(ExecutionContext({"openai": key}))


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(api_key=KEY, run_duration=0.05) as server:
        yield server


def test_a_working_connection_executes(sandbox) -> None:
    node = configuration_node(sandbox.base_url, credentials="openai", check_connection=True)
    port = _executed(node)
    assert port.spec.connection.base_url == sandbox.base_url


def test_a_wrong_key_fails_the_node_saying_so(sandbox) -> None:
    node = configuration_node(sandbox.base_url, credentials="openai", check_connection=True)
    refused = "refused the API key from the KNIME credentials"
    with pytest.raises(RequestFailedError, match=refused) as info:
        _executed(node, key="sk-wrong-key-000")
    assert "sk-wrong-key-000" not in str(info.value)


def test_a_wrong_base_url_fails_the_node_saying_so(sandbox) -> None:
    node = configuration_node(sandbox.base_url + "/v9", credentials="openai", check_connection=True)
    with pytest.raises(RequestFailedError, match=r"the base URL .* is probably wrong"):
        _executed(node)


def test_nothing_listening_is_a_wrong_base_url() -> None:
    with StubServer() as server:
        closed = server.base_url  # the port is free again once the stub stops
    node = configuration_node(closed, credentials="openai", check_connection=True)
    with pytest.raises(RequestFailedError, match=r"could not reach .* Check the base URL"):
        _executed(node)


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(200, "<html>Sign in</html>", {"Content-Type": "text/html"}), "web page"),
        (Reply(200, json.dumps({"object": "model", "id": "gpt-4o"})), "not a list of assistants"),
    ],
)
def test_a_server_that_is_not_the_api_is_named(reply: Reply, words: str) -> None:
    with StubServer() as server:
        server.reply(reply)
        node = configuration_node(server.base_url, credentials="openai", check_connection=True)
        with pytest.raises(RequestFailedError, match=words):
            _executed(node)
        assert server.received[-1].path.endswith("/assistants")


def test_a_missing_key_fails_the_check_before_anything_is_sent() -> None:
    with StubServer() as server:
        node = configuration_node(server.base_url, check_connection=True)  # environment: unset
        with pytest.raises(MissingApiKeyError, match="OPENAI_API_KEY"):
            _executed(node)
        assert server.received == []


def test_unchecked_nodes_send_nothing() -> None:
    with StubServer() as server:
        node = configuration_node(server.base_url, credentials="openai", check_connection=False)
        _executed(node)
        assert server.received == []


SAVED_0_2_0 = {
    "base_url": "https://api.openai.com/v1", "key_source": "ENVIRONMENT", "credentials": "",
    "organization": "", "project": "", "beta_header": "assistants=v2", "auth_header": "BEARER",
    "api_version": "", "timeout": 60.0, "max_retries": 2, "total_timeout": 900.0,
    "max_response_mib": 256, "ca_bundle": "",
}  # fmt: skip


def test_on_for_new_nodes_off_for_settings_saved_by_0_2_0() -> None:
    assert OpenAIConfigurationNode().check_connection is True
    node = OpenAIConfigurationNode()
    kp.validate_parameters(node, {"model": dict(SAVED_0_2_0)}, "0.2.0")
    kp.inject_parameters(node, {"model": dict(SAVED_0_2_0)}, "0.2.0")
    assert node.check_connection is False
    again = OpenAIConfigurationNode()
    saved = {"model": {**SAVED_0_2_0, "check_connection": True}}
    kp.inject_parameters(again, saved, "0.3.0")
    assert again.check_connection is True


def test_the_setting_is_a_described_parameter_since_0_3_0() -> None:
    param = type(OpenAIConfigurationNode()).__dict__["check_connection"]
    assert isinstance(param, knext.BoolParameter)
    assert str(param._since_version) in ("0.3.0", "Version(major=0, minor=3, patch=0)")
    assert "GET <base URL>/assistants?limit=1" in param.__doc__
