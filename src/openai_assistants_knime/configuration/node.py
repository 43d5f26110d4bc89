"""The OpenAI Configuration node: the source of the "OpenAI Configuration" port.

configure() checks the settings (nothing is sent); execute() also checks the connection, by
default, through ``openai_assistants.client.connection_check`` (the decision and its messages
live there, in the core).
"""

from __future__ import annotations

import knime.extension as knext

from openai_assistants.client.connection import (
    DEFAULT_BASE_URL,
    DEFAULT_BETA_HEADER,
    DEFAULT_MAX_RESPONSE_MIB,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    DEFAULT_TOTAL_TIMEOUT_SECONDS,
    MAX_RESPONSE_MIB_LIMIT,
    MAX_RETRIES_LIMIT,
    MAX_TIMEOUT_SECONDS,
    AuthStyle,
    ConnectionConfig,
    KeySource,
    validate_connection,
)
from openai_assistants.client.retry_policy import RETRY_POLICY_TEXT
from openai_assistants.errors import InvalidSettingsError

from ..category import openai_assistants_category
from ..errors import in_range, settings_errors_as_invalid_parameters
from ..migrations import configuration_connection_check, configuration_key_source
from ..reporting import report_warnings
from .credentials import key_lookup
from .port import (
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
    openai_configuration_port_type,
)


class AuthHeaderOptions(knext.EnumParameterOptions):
    BEARER = ("Authorization: Bearer", "OpenAI's header: 'Authorization: Bearer <key>'.")
    API_KEY = ("api-key (Azure)", "Azure OpenAI's header: 'api-key: <key>'.")


_AUTH_STYLES = {"BEARER": AuthStyle.BEARER, "API_KEY": AuthStyle.API_KEY}


class KeySourceOptions(knext.EnumParameterOptions):
    ENVIRONMENT = (
        "Environment variable",
        "The `OPENAI_API_KEY` environment variable of the KNIME process (suits batch mode "
        "and scheduled executions).",
    )
    CREDENTIALS = (
        "Credentials flow variable",
        "The password of a KNIME credentials flow variable (e.g. from a Credentials "
        "Configuration node), chosen below.",
    )
    CREDENTIAL_PORT = (
        "Credential port",
        "The credential connected to this node's optional Credential input port (e.g. from "
        "KNIME's Secrets Retriever or an authenticator node).",
    )


_KEY_SOURCES = {option.name: KeySource[option.name] for option in KeySourceOptions}
_SETTINGS_VERSION_WITH_KEY_SOURCE = "0.2.0"
_SETTINGS_VERSION_WITH_CONNECTION_CHECK = "0.3.0"


def _credential_names(context: knext.DialogCreationContext) -> list[str]:
    return list(context.get_credential_names())


@knext.node(
    name="OpenAI Configuration",
    node_type=knext.NodeType.SOURCE,
    icon_path="icons/openai-configuration.png",
    category=openai_assistants_category,
    keywords=["OpenAI", "Assistants", "API key", "connection", "Azure"],
)
@knext.input_port(
    "Credential",
    "Optional: a KNIME credential (e.g. from the Secrets Retriever or an authenticator node) "
    "whose secret is the API key. Used when the key source is *Credential port*.",
    knext.PortType.CREDENTIAL,
    optional=True,
)
@knext.output_port(
    "Configuration data",
    "Where and how to reach the OpenAI API (no API key: only where to find it). Connect it "
    "to any OpenAI Assistants node: every node for assistants, threads, messages, runs and "
    "run steps takes it.",
    openai_configuration_port_type,
)
class OpenAIConfigurationNode:
    """Configure access to the OpenAI Assistants API.

    Produces the configuration data that every OpenAI Assistants node takes as input (the
    nodes for assistants, threads, messages, runs and run steps): the base URL, where the API
    key comes from, and the headers every call sends. Each node passes it on, so a workflow
    chains its API calls from one configuration.

    **The API key** is never stored in the workflow, the port or any table. Choose where it
    comes from (*Key source*): the `OPENAI_API_KEY` environment variable of the KNIME
    process (suits batch and scheduled executions), a credentials flow variable (e.g. from a
    *Credentials Configuration* node) whose *password* is the key, or a KNIME credential
    connected to the optional *Credential* input port (e.g. from the Secrets Retriever).
    The key is looked up only when a node sends a request.

    **Connection check**: when it executes, the node sends one cheap request with the key
    (`GET <base URL>/assistants?limit=1`) and fails with what is wrong: the key (the server
    refuses it), the base URL (nothing answers there, or a web page does) or the server (it
    does not serve the Assistants API). Turn *Check the connection when executed* off to send
    nothing until an API node runs.

    For **Azure OpenAI**, set the base URL to your resource's OpenAI endpoint, the header to
    `api-key` and the API version.
    """

    base_url = knext.StringParameter(
        "Base URL",
        "The API's base URL, ending before '/threads'. OpenAI: https://api.openai.com/v1.",
        DEFAULT_BASE_URL,
    )
    key_source = knext.EnumParameter(
        "Key source",
        "Where the API key comes from.",
        KeySourceOptions.ENVIRONMENT.name,
        KeySourceOptions,
        since_version=_SETTINGS_VERSION_WITH_KEY_SOURCE,
    )
    credentials = knext.StringParameter(
        "Credentials",
        "Name of a KNIME credentials flow variable whose password is the API key (key "
        "source *Credentials flow variable*).",
        "",
        choices=_credential_names,
    ).rule(knext.OneOf(key_source, [KeySourceOptions.CREDENTIALS.name]), knext.Effect.SHOW)
    organization = knext.StringParameter(
        "Organization",
        "Optional OpenAI organization ID, sent as the OpenAI-Organization header.",
        "",
    )
    project = knext.StringParameter(
        "Project", "Optional OpenAI project ID, sent as the OpenAI-Project header.", ""
    )
    check_connection = knext.BoolParameter(
        "Check the connection when executed",
        "Send one cheap request with the key (`GET <base URL>/assistants?limit=1`) when this "
        "node executes, and fail with what is wrong: the key (the server refuses it), the base "
        "URL (nothing answers there, or a web page does) or the server (it does not serve the "
        "Assistants API). Off: nothing is sent until an API node runs (workflows saved with "
        "version 0.2.0 keep it off).",
        True,
        since_version=_SETTINGS_VERSION_WITH_CONNECTION_CHECK,
    )
    beta_header = knext.StringParameter(
        "OpenAI-Beta header",
        "Calls to the Assistants API require this beta HTTP header. Keep 'assistants=v2' "
        "unless OpenAI announces a new version.",
        DEFAULT_BETA_HEADER,
        is_advanced=True,
    )
    auth_header = knext.EnumParameter(
        "Authentication header",
        "How the key is sent.",
        AuthHeaderOptions.BEARER.name,
        AuthHeaderOptions,
        is_advanced=True,
    )
    api_version = knext.StringParameter(
        "API version",
        "Optional 'api-version' query parameter (Azure OpenAI). Empty for OpenAI.",
        "",
        is_advanced=True,
    )
    timeout = knext.DoubleParameter(
        "Timeout (seconds)",
        "How long to wait for the server to answer (and between bytes of a streamed answer).",
        DEFAULT_TIMEOUT_SECONDS,
        min_value=0.1,
        is_advanced=True,
    )
    timeout.validator(in_range("Timeout (seconds)", 0.1))
    max_retries = knext.IntParameter(
        "Maximum retries",
        "How often a request is retried, so that no run is ever started twice. "
        + RETRY_POLICY_TEXT,
        DEFAULT_MAX_RETRIES,
        min_value=0,
        max_value=MAX_RETRIES_LIMIT,
        is_advanced=True,
    )
    max_retries.validator(in_range("Maximum retries", 0, MAX_RETRIES_LIMIT))
    total_timeout = knext.DoubleParameter(
        "Total time limit (seconds)",
        "The longest one request may take as a whole: retries, waits between them and a whole "
        "event stream included. When it runs out the request fails with a message saying so "
        "(a POST that may have been processed is not sent again).",
        DEFAULT_TOTAL_TIMEOUT_SECONDS,
        min_value=0.1,
        max_value=MAX_TIMEOUT_SECONDS,
        is_advanced=True,
        since_version=_SETTINGS_VERSION_WITH_KEY_SOURCE,
    )
    total_timeout.validator(in_range("Total time limit (seconds)", 0.1, MAX_TIMEOUT_SECONDS))
    max_response_mib = knext.IntParameter(
        "Maximum response size (MiB)",
        "The largest answer accepted (after decompression). A larger answer fails the request "
        "with a message instead of filling the memory of the KNIME process.",
        DEFAULT_MAX_RESPONSE_MIB,
        min_value=1,
        max_value=MAX_RESPONSE_MIB_LIMIT,
        is_advanced=True,
        since_version=_SETTINGS_VERSION_WITH_KEY_SOURCE,
    )
    max_response_mib.validator(in_range("Maximum response size (MiB)", 1, MAX_RESPONSE_MIB_LIMIT))
    ca_bundle = knext.StringParameter(
        "CA bundle file",
        "Optional path to a PEM file of trusted certificate authorities, e.g. for a "
        "corporate proxy that inspects TLS. Certificates are always verified.",
        "",
        is_advanced=True,
    )

    def _modify_parameters(self, parameters: dict) -> dict:
        """Settings saved by older versions: see :mod:`openai_assistants_knime.migrations`."""
        return configuration_connection_check(configuration_key_source(parameters))

    def connection(self, credential_port_ref: str = "") -> ConnectionConfig:
        """The settings as the core's plain configuration."""
        source = _KEY_SOURCES[self.key_source]
        return ConnectionConfig(
            base_url=self.base_url.strip(),
            key_source=source,
            # only the chosen source's reference travels with the configuration
            credentials_name=self.credentials.strip() if source is KeySource.CREDENTIALS else "",
            credential_port_ref=credential_port_ref if source is KeySource.CREDENTIAL_PORT else "",
            organization=self.organization.strip(),
            project=self.project.strip(),
            beta_header=self.beta_header.strip(),
            auth_style=_AUTH_STYLES[self.auth_header],
            api_version=self.api_version.strip(),
            timeout=float(self.timeout),
            max_retries=int(self.max_retries),
            total_timeout=float(self.total_timeout),
            max_response_mib=int(self.max_response_mib),
            ca_bundle=self.ca_bundle.strip(),
        )

    def configure(
        self,
        config_context: knext.ConfigurationContext,
        credential_spec: knext.CredentialPortObjectSpec | None = None,
    ) -> OpenAIConfigurationSpec:
        return OpenAIConfigurationSpec(self._checked_connection(config_context, credential_spec))

    def execute(
        self, exec_context: knext.ExecutionContext, credential: knext.PortObject | None = None
    ) -> OpenAIConfigurationPortObject:
        spec = None if credential is None else credential.spec
        connection = self._checked_connection(exec_context, spec, executing=True)
        if self.check_connection:
            _check_connection(exec_context, connection)
        return OpenAIConfigurationPortObject(OpenAIConfigurationSpec(connection))

    def _checked_connection(
        self,
        context: knext.ConfigurationContext,
        credential_spec: knext.CredentialPortObjectSpec | None,
        executing: bool = False,
    ) -> ConnectionConfig:
        reference = _credential_reference(credential_spec)
        connection = self.connection(reference)
        warnings = []
        with settings_errors_as_invalid_parameters():
            warnings += validate_connection(connection)
            source = connection.source
            if source is KeySource.CREDENTIALS:
                if not connection.credentials_name:
                    raise InvalidSettingsError(
                        "Key source: choose the credentials flow variable that holds the key.",
                        setting="credentials",
                    )
                if connection.credentials_name not in list(context.get_credential_names()):
                    raise InvalidSettingsError(
                        f"No credentials named '{connection.credentials_name}' are available. "
                        "Connect a Credentials Configuration node or choose other credentials.",
                        setting="credentials",
                    )
            if source is KeySource.CREDENTIAL_PORT and credential_spec is None:
                raise InvalidSettingsError(
                    "Key source is 'Credential port', but no credential is connected. Connect "
                    "one to the Credential input port or choose another key source.",
                    setting="key_source",
                )
            if source is KeySource.CREDENTIAL_PORT and executing and not reference:
                raise InvalidSettingsError(
                    "The connected Credential port holds no credential. Execute the node "
                    "that provides it.",
                    setting="key_source",
                )
        if credential_spec is not None and source is not KeySource.CREDENTIAL_PORT:
            warnings.append(
                "A credential is connected, but the key source is "
                f"'{KeySourceOptions[self.key_source].value[0]}': the credential is not used."
            )
        report_warnings(context.set_warning, warnings)
        return connection


def _check_connection(exec_context: knext.ExecutionContext, connection: ConnectionConfig) -> None:
    """The connection check (decided in ``openai_assistants.client.connection_check``): a
    missing key or a failed check fails the node with the reason."""
    from openai_assistants.client.client import ApiClient
    from openai_assistants.client.connection_check import check_connection

    exec_context.set_progress(0.0, f"Checking the connection to {connection.base_url}")
    client = ApiClient.connect(
        connection, key_lookup(exec_context, connection), is_canceled=exec_context.is_canceled
    )
    verdict = check_connection(client)
    if verdict is not None:
        raise verdict.error


def _credential_reference(spec: knext.CredentialPortObjectSpec | None) -> str:
    """KNIME's handle of the connected credential (resolved by KNIME at send time)."""
    if spec is None:
        return ""
    return str(spec.serialize().get("data") or "")
