"""How a node finds the API key when it sends: through KNIME, by the name the port carries.

The configuration port names where the key is (a credentials flow variable, KNIME's handle of
a connected credential, or the environment); the key itself is looked up only at send time and
never stored.
"""

from __future__ import annotations

from collections.abc import Callable

import knime.extension as knext

from openai_assistants.client.connection import ConnectionConfig, KeySource


def key_lookup(
    exec_context: knext.ExecutionContext, connection: ConnectionConfig
) -> Callable[[str], str | None]:
    """KNIME's lookup for the key source the configuration names (called at send time)."""
    if connection.source is KeySource.CREDENTIAL_PORT:
        # KNIME resolves its credential handle through the running session (Java side)
        return lambda reference: knext.CredentialPortObjectSpec(reference).auth_parameters
    return lambda name: exec_context.get_credentials(name).password
