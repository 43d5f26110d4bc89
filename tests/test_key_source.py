"""Where the API key comes from: environment variable, credentials flow variable or KNIME's
Credential port, chosen explicitly in the OpenAI Configuration node (issue 9, item 7)."""

from __future__ import annotations

import json

import knime.extension as knext
import pytest
from http_stub import Reply, StubServer
from knime_contexts import ConfigurationContext, ExecutionContext
from node_factories import SENTINEL_KEY, configuration_node, create_run_node

from openai_assistants.client.api_key import resolve_api_key
from openai_assistants.client.connection import ConnectionConfig, KeySource
from openai_assistants.errors import MissingApiKeyError
from openai_assistants_knime.configuration.node import OpenAIConfigurationNode

RUN = json.dumps({"id": "run_1", "object": "thread.run", "status": "queued"})
PORT_REF = "<credential-ref id='cache-7'/>"  # KNIME's handle, not the secret


class _KnimeCredentialStore:
    """Stands in for the Java side that resolves a Credential port's handle in KNIME."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets

    def get_auth_schema(self, xml_data: str) -> str:
        return "Bearer"

    def get_auth_parameters(self, xml_data: str) -> str:
        if xml_data not in self.secrets:
            raise ValueError("Could not get auth parameters: the credential is not accessible")
        return self.secrets[xml_data]


@pytest.fixture
def credential_store(monkeypatch: pytest.MonkeyPatch) -> _KnimeCredentialStore:
    store = _KnimeCredentialStore({PORT_REF: SENTINEL_KEY})
    monkeypatch.setattr(knext.CredentialPortObjectSpec, "_java_callback", store)
    return store


class _CredentialPort:
    def __init__(self, reference: str) -> None:
        self.spec = knext.CredentialPortObjectSpec(reference)


def _sent_key(server: StubServer) -> str:
    return server.received[-1].headers["authorization"].removeprefix("Bearer ")


def test_key_source_is_an_explicit_choice_defaulting_to_the_environment() -> None:
    node = OpenAIConfigurationNode()
    assert node.key_source == "ENVIRONMENT"
    assert node.connection().source is KeySource.ENVIRONMENT


def test_environment_can_be_chosen_again_while_credentials_exist(monkeypatch) -> None:
    """Once a credentials variable exists the old dialog could not go back to the env var."""
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL_KEY)
    node = configuration_node("http://127.0.0.1:1/v1", credentials="openai")
    node.key_source = "ENVIRONMENT"  # credentials still filled in, but not the chosen source
    connection = node.configure(ConfigurationContext({"openai": "sk-other"})).connection
    assert connection.source is KeySource.ENVIRONMENT and connection.credentials_name == ""
    assert resolve_api_key(connection, lambda name: "sk-other") == SENTINEL_KEY


def test_credentials_source_needs_existing_credentials() -> None:
    node = configuration_node("https://api.openai.com/v1", key_source="CREDENTIALS")
    with pytest.raises(knext.InvalidParametersError, match="choose the credentials"):
        node.configure(ConfigurationContext({"openai": SENTINEL_KEY}))


def test_credential_port_source_without_a_connected_port_is_refused() -> None:
    node = configuration_node("https://api.openai.com/v1", key_source="CREDENTIAL_PORT")
    with pytest.raises(knext.InvalidParametersError, match="no credential is connected"):
        node.configure(ConfigurationContext())


def test_connected_credential_is_unused_with_another_source_and_says_so() -> None:
    context = ConfigurationContext()
    node = configuration_node("https://api.openai.com/v1")
    spec = node.configure(context, knext.CredentialPortObjectSpec(PORT_REF))
    assert spec.connection.credential_port_ref == ""
    assert "credential is not used" in context.warnings[0]


def test_create_run_sends_the_key_of_the_credential_port(credential_store) -> None:
    node = configuration_node("http://127.0.0.1:1/v1", key_source="CREDENTIAL_PORT")
    with StubServer() as server:
        server.reply(Reply(200, RUN))
        node.base_url = server.base_url
        spec = node.configure(ConfigurationContext(), knext.CredentialPortObjectSpec(PORT_REF))
        port = node.execute(ExecutionContext(), _CredentialPort(PORT_REF))
        assert port.spec == spec and spec.connection.credential_port_ref == PORT_REF
        assert SENTINEL_KEY not in json.dumps(spec.serialize())  # a handle, not the key
        create_run_node().execute(ExecutionContext(), port)
    assert _sent_key(server) == SENTINEL_KEY


def test_an_inaccessible_credential_is_a_missing_key_not_a_traceback(credential_store) -> None:
    connection = ConnectionConfig(key_source=KeySource.CREDENTIAL_PORT, credential_port_ref="x")
    lookup = lambda ref: knext.CredentialPortObjectSpec(ref).auth_parameters  # noqa: E731
    with pytest.raises(MissingApiKeyError, match="Credential port"):
        resolve_api_key(connection, lookup)


def test_executing_with_an_empty_credential_port_is_refused() -> None:
    node = configuration_node("https://api.openai.com/v1", key_source="CREDENTIAL_PORT")
    with pytest.raises(knext.InvalidParametersError, match="holds no credential"):
        node.execute(ExecutionContext(), _CredentialPort(""))


@pytest.mark.parametrize(
    ("saved", "expected"),
    [({"credentials": "openai"}, "CREDENTIALS"), ({"credentials": ""}, "ENVIRONMENT")],
)
def test_settings_saved_before_the_key_source_keep_their_meaning(saved, expected) -> None:
    """Workflows saved with 0.1.0 have no key_source: a named credential meant using it."""
    from knime.extension import parameter as kp

    settings = {
        "base_url": "https://api.openai.com/v1", "organization": "", "project": "",
        "beta_header": "assistants=v2", "auth_header": "BEARER", "api_version": "",
        "timeout": 60.0, "max_retries": 2, "ca_bundle": "", **saved,
    }  # fmt: skip
    node = OpenAIConfigurationNode()
    kp.validate_parameters(node, {"model": settings}, "0.1.0")
    kp.inject_parameters(node, {"model": settings}, "0.1.0")
    assert node.key_source == expected
    assert node.credentials == saved["credentials"]
