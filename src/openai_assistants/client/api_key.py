"""The API key: found where the configuration says when a client is made, sent in one header.

The key is never stored in settings, tables, messages or logs: :func:`resolve_api_key` looks it
up (KNIME credentials, a Credential port, or an environment variable) and hands it to the
:class:`.client.ApiClient`, which keeps it only as the header :func:`auth_header` builds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from ..errors import MissingApiKeyError
from .connection import AuthStyle, ConnectionConfig, KeySource, is_header_safe


def resolve_api_key(
    config: ConnectionConfig,
    get_credential_password: Callable[[str], str | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Find the key where the configuration says, at send time, and never store it.

    ``get_credential_password`` is KNIME's lookup for what the configuration refers to: the
    credentials name (key source *credentials*) or the Credential port reference (key source
    *Credential port*); the node passes the matching lookup.
    """
    source = config.source
    if source is KeySource.ENVIRONMENT:
        key = (os.environ if environ is None else environ).get(config.api_key_env)
    else:
        if source is KeySource.CREDENTIALS:
            reference = config.credentials_name
        else:
            reference = config.credential_port_ref
        try:
            key = None
            if get_credential_password and reference:
                key = get_credential_password(reference)
        except (KeyError, LookupError, RuntimeError, ValueError):
            key = None  # KNIME raises for an unknown name or stale reference: reported below
    key = (key or "").strip()
    if not key:
        hint = {
            KeySource.ENVIRONMENT: "Set it for the KNIME process, or choose another key source "
            "in the OpenAI Configuration node.",
            KeySource.CREDENTIALS: "Check that the credentials flow variable exists and its "
            "password holds the key.",
            KeySource.CREDENTIAL_PORT: "Connect a credential (e.g. from the Secrets Retriever "
            "or an authenticator node) to the OpenAI Configuration node's Credential port "
            "and execute it again.",
        }[source]
        raise MissingApiKeyError(f"No API key found in {config.key_source_text}. {hint}")
    if not is_header_safe(key):
        raise MissingApiKeyError(
            f"The API key from {config.key_source_text} contains spaces, line breaks, control or "
            "non-ASCII characters; copy the key again without them."
        )
    return key


def auth_header(config: ConnectionConfig, api_key: str) -> tuple[str, str]:
    """The one header that carries the key; built only at send time, never stored."""
    if config.auth_style is AuthStyle.API_KEY:
        return ("api-key", api_key)
    return ("Authorization", f"Bearer {api_key}")
