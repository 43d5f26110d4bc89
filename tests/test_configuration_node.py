"""The OpenAI Configuration node and its port: plain data, saved and reloaded, no secret."""

from __future__ import annotations

import json

import knime.extension as knext
import pytest
from knime_contexts import ConfigurationContext, ExecutionContext
from node_factories import SENTINEL_KEY, configuration_node

from openai_assistants.client.connection import AuthStyle, ConnectionConfig, KeySource
from openai_assistants_knime.configuration.port import (
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
)


def test_defaults_point_at_openai_with_the_beta_header() -> None:
    from openai_assistants_knime.configuration.node import OpenAIConfigurationNode

    connection = OpenAIConfigurationNode().connection()
    assert connection.base_url == "https://api.openai.com/v1"
    assert connection.beta_header == "assistants=v2"
    assert connection.auth_style is AuthStyle.BEARER
    assert connection.max_retries == 2
    assert connection.credentials_name == ""


def test_configure_outputs_a_spec_with_every_setting() -> None:
    node = configuration_node(
        "https://example.openai.azure.com/openai",
        credentials="azure",
        organization="org-1",
        project="proj_1",
        auth_header="API_KEY",
        api_version="2024-05-01-preview",
        timeout=12.5,
        max_retries=4,
        total_timeout=120.0,
        max_response_mib=16,
    )
    spec = node.configure(ConfigurationContext({"azure": SENTINEL_KEY}))
    assert spec.connection == ConnectionConfig(
        base_url="https://example.openai.azure.com/openai",
        key_source=KeySource.CREDENTIALS,
        credentials_name="azure",
        organization="org-1",
        project="proj_1",
        auth_style=AuthStyle.API_KEY,
        api_version="2024-05-01-preview",
        timeout=12.5,
        max_retries=4,
        total_timeout=120.0,
        max_response_mib=16,
    )


def test_configure_reports_an_invalid_base_url() -> None:
    with pytest.raises(knext.InvalidParametersError, match="must start with https://"):
        configuration_node("api.openai.com").configure(ConfigurationContext())


def test_configure_reports_credentials_that_do_not_exist() -> None:
    node = configuration_node("https://api.openai.com/v1", credentials="missing")
    with pytest.raises(knext.InvalidParametersError, match="No credentials named 'missing'"):
        node.configure(ConfigurationContext({"other": SENTINEL_KEY}))


def test_configure_warns_about_plain_http_to_a_remote_host() -> None:
    context = ConfigurationContext()
    configuration_node("http://example.com/v1").configure(context)
    assert "unencrypted" in context.warnings[0]


def test_execute_outputs_a_port_object_with_the_configured_spec() -> None:
    node = configuration_node("https://api.openai.com/v1", credentials="openai")
    context = ExecutionContext({"openai": SENTINEL_KEY})
    port = node.execute(context)
    assert port.spec == node.configure(ConfigurationContext({"openai": SENTINEL_KEY}))


def test_spec_survives_serialize_and_deserialize() -> None:
    spec = configuration_node(
        "https://api.openai.com/v1", credentials="openai", project="p", auth_header="API_KEY"
    ).configure(ConfigurationContext({"openai": SENTINEL_KEY}))
    stored = json.loads(json.dumps(spec.serialize()))  # KNIME stores it as JSON
    assert OpenAIConfigurationSpec.deserialize(stored) == spec


def test_port_object_survives_serialize_and_deserialize() -> None:
    spec = OpenAIConfigurationSpec(ConnectionConfig(organization="org-1", max_retries=5))
    port = OpenAIConfigurationPortObject(spec)
    reloaded = OpenAIConfigurationPortObject.deserialize(spec, port.serialize())
    assert reloaded.spec == spec
    assert reloaded.connection.max_retries == 5


def test_spec_from_a_newer_version_with_unknown_keys_still_loads() -> None:
    data = OpenAIConfigurationSpec(ConnectionConfig()).serialize()
    data["connection"]["added_later"] = True
    assert OpenAIConfigurationSpec.deserialize(data).connection == ConnectionConfig()
