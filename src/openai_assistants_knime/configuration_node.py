"""The OpenAI Configuration node: the source of the "OpenAI Configuration" port."""

from __future__ import annotations

import knime.extension as knext

from openai_assistants.connection import (
    DEFAULT_BASE_URL,
    DEFAULT_BETA_HEADER,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_RETRIES_LIMIT,
    AuthStyle,
    ConnectionConfig,
    validate_connection,
)
from openai_assistants.errors import InvalidSettingsError

from .category import openai_assistants_category
from .configuration_port import (
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
    openai_configuration_port_type,
)
from .errors import report_warnings, settings_errors_as_invalid_parameters


class AuthHeaderOptions(knext.EnumParameterOptions):
    BEARER = ("Authorization: Bearer", "OpenAI's header: 'Authorization: Bearer <key>'.")
    API_KEY = ("api-key (Azure)", "Azure OpenAI's header: 'api-key: <key>'.")


_AUTH_STYLES = {"BEARER": AuthStyle.BEARER, "API_KEY": AuthStyle.API_KEY}


def _credential_names(context: knext.DialogCreationContext) -> list[str]:
    return list(context.get_credential_names())


@knext.node(
    name="OpenAI Configuration",
    node_type=knext.NodeType.SOURCE,
    icon_path="icons/openai-configuration.png",
    category=openai_assistants_category,
    keywords=["OpenAI", "Assistants", "API key", "connection", "Azure"],
)
@knext.output_port(
    "Configuration data",
    "Where and how to reach the OpenAI API (no API key: only the name of the credentials "
    "that hold it). Connect it to Create Run.",
    openai_configuration_port_type,
)
class OpenAIConfigurationNode:
    """Configure access to the OpenAI Assistants API.

    Produces the configuration data that the OpenAI Assistants nodes (such as **Create Run**)
    take as input: the base URL, the KNIME credentials that hold the API key, and the headers
    every call sends.

    **The API key** is never stored in the workflow, the port or any table. Choose a
    credentials flow variable (e.g. from a *Credentials Configuration* node) whose *password*
    is the key; leave it empty to use the `OPENAI_API_KEY` environment variable of the KNIME
    process, which suits batch and scheduled executions. The key is looked up only when a
    node sends a request.

    For **Azure OpenAI**, set the base URL to your resource's OpenAI endpoint, the header to
    `api-key` and the API version.
    """

    base_url = knext.StringParameter(
        "Base URL",
        "The API's base URL, ending before '/threads'. OpenAI: https://api.openai.com/v1.",
        DEFAULT_BASE_URL,
    )
    credentials = knext.StringParameter(
        "Credentials",
        "Name of a KNIME credentials flow variable whose password is the API key. Empty: the "
        "OPENAI_API_KEY environment variable of the KNIME process is used.",
        "",
        choices=_credential_names,
    )
    organization = knext.StringParameter(
        "Organization",
        "Optional OpenAI organization ID, sent as the OpenAI-Organization header.",
        "",
    )
    project = knext.StringParameter(
        "Project", "Optional OpenAI project ID, sent as the OpenAI-Project header.", ""
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
    max_retries = knext.IntParameter(
        "Maximum retries",
        "How often a request is retried after a rate limit (429), a server error (5xx) or a "
        "failed connection, with growing waits. A request that may have reached the server "
        "is never retried, so no run is started twice.",
        DEFAULT_MAX_RETRIES,
        min_value=0,
        max_value=MAX_RETRIES_LIMIT,
        is_advanced=True,
    )
    ca_bundle = knext.StringParameter(
        "CA bundle file",
        "Optional path to a PEM file of trusted certificate authorities, e.g. for a "
        "corporate proxy that inspects TLS. Certificates are always verified.",
        "",
        is_advanced=True,
    )

    def connection(self) -> ConnectionConfig:
        """The settings as the core's plain configuration."""
        return ConnectionConfig(
            base_url=self.base_url.strip(),
            credentials_name=self.credentials.strip(),
            organization=self.organization.strip(),
            project=self.project.strip(),
            beta_header=self.beta_header.strip(),
            auth_style=_AUTH_STYLES[self.auth_header],
            api_version=self.api_version.strip(),
            timeout=float(self.timeout),
            max_retries=int(self.max_retries),
            ca_bundle=self.ca_bundle.strip(),
        )

    def configure(self, config_context: knext.ConfigurationContext) -> OpenAIConfigurationSpec:
        return OpenAIConfigurationSpec(self._checked_connection(config_context))

    def execute(self, exec_context: knext.ExecutionContext) -> OpenAIConfigurationPortObject:
        connection = self._checked_connection(exec_context)
        return OpenAIConfigurationPortObject(OpenAIConfigurationSpec(connection))

    def _checked_connection(self, context: knext.ConfigurationContext) -> ConnectionConfig:
        connection = self.connection()
        with settings_errors_as_invalid_parameters():
            warnings = validate_connection(connection)
            if connection.credentials_name and connection.credentials_name not in list(
                context.get_credential_names()
            ):
                raise InvalidSettingsError(
                    f"No credentials named '{connection.credentials_name}' are available. "
                    "Connect a Credentials Configuration node or choose other credentials.",
                    setting="credentials",
                )
        report_warnings(context.set_warning, warnings)
        return connection
