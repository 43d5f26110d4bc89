"""What the "OpenAI Configuration" port carries, and its checks before anything is sent.

The configuration is plain data that survives saving and loading a KNIME workflow. It never
holds the API key: only *where* to find it (a KNIME credentials name, a Credential port, or an
environment variable); :mod:`.api_key` finds it when a client is made.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidSettingsError
from ..memo import Memo, typed

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_BETA_HEADER = "assistants=v2"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_CONNECT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_RETRIES = 2
MAX_RETRIES_LIMIT = 10
DEFAULT_TOTAL_TIMEOUT_SECONDS = 900.0  # one request, retries and a whole event stream included
DEFAULT_MAX_RESPONSE_MIB = 256
MAX_TIMEOUT_SECONDS = 86_400.0  # a day: anything longer is a typo, not a plan
MAX_RESPONSE_MIB_LIMIT = 4096


class KeySource(str, Enum):
    """Where the API key comes from (chosen explicitly in the OpenAI Configuration node)."""

    ENVIRONMENT = "environment"  # an environment variable of the process (api_key_env)
    CREDENTIALS = "credentials"  # a KNIME credentials flow variable (credentials_name)
    CREDENTIAL_PORT = "credential_port"  # KNIME's Credential port (credential_port_ref)


class AuthStyle(str, Enum):
    """How the key is sent: OpenAI's bearer token, or Azure OpenAI's ``api-key`` header."""

    BEARER = "bearer"
    API_KEY = "api-key"


@dataclass(frozen=True)
class ConnectionConfig:
    """Where and how to reach an Assistants-compatible API. Contains no secret."""

    base_url: str = DEFAULT_BASE_URL
    credentials_name: str = ""
    api_key_env: str = DEFAULT_API_KEY_ENV
    # None: as before key sources existed, the credentials if named, else the environment
    key_source: KeySource | None = None
    # KNIME's reference to the credential of a Credential port (its spec data): a handle
    # KNIME resolves in the running session, not the secret itself
    credential_port_ref: str = ""
    organization: str = ""
    project: str = ""
    beta_header: str = DEFAULT_BETA_HEADER
    auth_style: AuthStyle = AuthStyle.BEARER
    api_version: str = ""
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS
    max_retries: int = DEFAULT_MAX_RETRIES
    ca_bundle: str = ""
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT_SECONDS  # whole request incl. retries
    max_response_mib: int = DEFAULT_MAX_RESPONSE_MIB  # largest answer body accepted

    @property
    def max_response_bytes(self) -> int:
        return int(self.max_response_mib) * 1024 * 1024

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, as stored in the KNIME port spec."""
        data = asdict(self)
        data["auth_style"] = self.auth_style.value
        data["key_source"] = None if self.key_source is None else self.key_source.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConnectionConfig:
        """Inverse of :meth:`to_dict`; unknown keys (from newer versions) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "auth_style" in values:
            values["auth_style"] = AuthStyle(values["auth_style"])
        if values.get("key_source") is not None:
            values["key_source"] = KeySource(values["key_source"])
        return cls(**values)

    @property
    def source(self) -> KeySource:
        """The key source in effect (settings from before the explicit choice included)."""
        if self.key_source is not None:
            return self.key_source
        return KeySource.CREDENTIALS if self.credentials_name else KeySource.ENVIRONMENT

    @property
    def key_source_text(self) -> str:
        """Where the key is looked up, in words a user recognises."""
        if self.source is KeySource.CREDENTIALS:
            return f"the KNIME credentials '{self.credentials_name}'"
        if self.source is KeySource.CREDENTIAL_PORT:
            return "the Credential port of the OpenAI Configuration node"
        return f"the environment variable {self.api_key_env}"


_VALIDATED: Memo[tuple[str, ...]] = Memo("validated connections", 64)
_CONFIG_FIELDS = tuple(f.name for f in fields(ConnectionConfig))


def config_key(config: ConnectionConfig) -> tuple:
    """The configuration as a memo key: each setting with its type (``timeout=True`` is
    refused where ``timeout=1`` is not, though the two configurations compare equal).

    Worked out once per configuration object (kept in its ``__dict__``, beside the frozen
    fields): every row of a table asks for it twice."""
    known = config.__dict__.get("_memo_key")
    if known is None:
        known = tuple(typed(getattr(config, name)) for name in _CONFIG_FIELDS)
        config.__dict__["_memo_key"] = known
    return known


def validate_connection(config: ConnectionConfig) -> list[str]:
    """Check the configuration before anything is sent; returns warnings, raises on errors.

    Every request of a table is built with the same configuration: a configuration that
    passed is remembered (with each value's type, since ``True == 1``), so a 2,000-row batch
    does not check it 2,000 times on the calling thread. The CA bundle is looked for every
    time (the file can go away).
    """
    key = config_key(config)
    known = _VALIDATED.get(key)
    if known is None:
        known = tuple(_validate_connection(config))
        _VALIDATED.put(key, known)
    elif config.ca_bundle and not os.path.isfile(config.ca_bundle):
        return _validate_connection(config)  # raises, as the first time would have
    return list(known)


def _validate_connection(config: ConnectionConfig) -> list[str]:
    warnings = []
    url = config.base_url.strip()
    if any(ch.isspace() or ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in url):
        raise InvalidSettingsError(
            f"Base URL {url!r} contains spaces, tabs, line breaks or control characters; "
            f"remove them (e.g. {DEFAULT_BASE_URL}).",
            setting="base_url",
        )
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a malformed port
    except ValueError as exc:
        raise InvalidSettingsError(
            f"Base URL '{url}' is malformed ({exc}). Use e.g. {DEFAULT_BASE_URL}.",
            setting="base_url",
        ) from None
    del port
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidSettingsError(
            f"Base URL '{url}' must start with https:// (or http://) and name a host, "
            f"e.g. {DEFAULT_BASE_URL}.",
            setting="base_url",
        )
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise InvalidSettingsError(
            f"Base URL '{_without_query(url)}' must not carry a query or fragment; "
            "set the API version in the 'API version' setting instead.",
            setting="base_url",
        )
    if parts.username or parts.password:
        raise InvalidSettingsError(
            "Base URL must not contain a user name or password; use the credentials setting.",
            setting="base_url",
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        warnings.append(
            f"The base URL uses plain http:// to {parts.hostname}: the API key travels "
            "unencrypted. Use https:// unless this is a trusted local server."
        )
    _check_host(parts.hostname, url)
    if not config.beta_header.strip():
        raise InvalidSettingsError(
            "The OpenAI-Beta header is empty; the Assistants API requires it "
            f"(use '{DEFAULT_BETA_HEADER}').",
            setting="beta_header",
        )
    for name, label, value in (
        ("organization", "Organization ID", config.organization),
        ("project", "Project ID", config.project),
        ("beta_header", "OpenAI-Beta header", config.beta_header),
        ("api_version", "API version", config.api_version),
    ):
        if not is_header_safe(value):
            raise InvalidSettingsError(
                f"The {label} contains line breaks, control or non-ASCII characters, which "
                "cannot be sent in an HTTP header; remove them.",
                setting=name,
            )
    for name, label, seconds in (
        ("timeout", "Timeout", config.timeout),
        ("connect_timeout", "Connect timeout", config.connect_timeout),
        ("total_timeout", "Total time limit", config.total_timeout),
    ):
        if not _is_number(seconds) or not 0 < seconds <= MAX_TIMEOUT_SECONDS:
            raise InvalidSettingsError(
                f"{label}: {seconds!r} s is not usable; enter a number of seconds greater "
                f"than 0 and at most {MAX_TIMEOUT_SECONDS:g}.",
                setting=name,
            )
    if (
        isinstance(config.max_retries, bool)
        or not isinstance(config.max_retries, int)
        or not 0 <= config.max_retries <= MAX_RETRIES_LIMIT
    ):
        raise InvalidSettingsError(
            f"Maximum retries must be between 0 and {MAX_RETRIES_LIMIT}, not {config.max_retries}.",
            setting="max_retries",
        )
    if (
        isinstance(config.max_response_mib, bool)
        or not isinstance(config.max_response_mib, int)
        or not 1 <= config.max_response_mib <= MAX_RESPONSE_MIB_LIMIT
    ):
        raise InvalidSettingsError(
            f"Maximum response size must be between 1 and {MAX_RESPONSE_MIB_LIMIT} MiB, not "
            f"{config.max_response_mib!r}.",
            setting="max_response_mib",
        )
    if config.ca_bundle and not os.path.isfile(config.ca_bundle):
        raise InvalidSettingsError(
            f"The CA bundle file '{config.ca_bundle}' does not exist.", setting="ca_bundle"
        )
    return warnings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_header_safe(text: str) -> bool:
    """Printable ASCII only: what every HTTP implementation sends unchanged (no CR/LF)."""
    return isinstance(text, str) and text.isascii() and text.isprintable()


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


_HOST_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def _check_host(host: str, url: str) -> None:
    """A host name that DNS and IDNA accept: no empty labels, no spaces, at most 253 bytes."""
    if host.startswith("[") or ":" in host:
        return  # an IPv6 literal; urlsplit already checked the brackets
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    problem = ""
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if any(not label for label in labels):
        problem = "an empty label (two dots in a row, or a leading dot)"
    else:
        try:
            encoded = name.encode("idna")
        except UnicodeError:
            problem = "a label that is not a valid internationalised domain name"
        else:
            ascii_labels = encoded.decode("ascii").lower().split(".")
            if len(encoded) > 253 or any(len(label) > 63 for label in ascii_labels):
                problem = "more than 253 characters or a label longer than 63"
            elif any(set(label) - _HOST_LABEL_CHARS for label in ascii_labels):
                problem = "spaces, tabs or other characters host names cannot contain"
            elif any(label.startswith("-") or label.endswith("-") for label in ascii_labels):
                problem = "a label that starts or ends with '-'"
    if problem:
        raise InvalidSettingsError(
            f"Base URL '{_without_query(url)}': the host name {host!r} has {problem}. "
            f"Use e.g. {DEFAULT_BASE_URL}.",
            setting="base_url",
        )


def _without_query(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0]
