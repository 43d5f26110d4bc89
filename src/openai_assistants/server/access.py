"""Who may call the API: the client's key, then the ``OpenAI-Beta: assistants=v2`` header.

Authentication comes first (401), then the header the Assistants API requires (400), in the
real API's wording; a wrong key is never quoted back.

A server on loopback that accepts any key (no ``--api-key-env``) trusts whoever can reach
it; a web page the user opens could reach it too, through a DNS name that resolves to
127.0.0.1 (DNS rebinding). Such a server answers only requests whose ``Host`` header names
loopback (``localhost``, ``127.0.0.1``, ``[::1]``), as a browser sends for the page's own
name: a rebinding page's requests name the attacker's host and are refused with a 403.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

from .validation import RequestError

BETA_VALUE = "assistants=v2"
MISSING_BETA = (
    "You must provide the 'OpenAI-Beta' header to access the Assistants API. "
    "Please try again by setting the header 'OpenAI-Beta: assistants=v2'."
)
MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)
WRONG_KEY = "Incorrect API key provided."  # the key itself is never quoted back


class Access:
    """The accepted client keys (none: any non-empty key); with ``loopback_hosts_only``,
    only requests whose ``Host`` names loopback."""

    def __init__(
        self, api_keys: Sequence[str] | None = None, *, loopback_hosts_only: bool = False
    ) -> None:
        self.api_keys = [key.encode() for key in api_keys or () if key]
        self.loopback_hosts_only = loopback_hosts_only

    def check(self, request: Request) -> None:
        """Refuse a request to a name other than loopback (when so set), without an accepted
        key, or without the Assistants beta header."""
        if self.loopback_hosts_only:
            host = request.headers.get("host", "")
            if not names_loopback(host):
                raise RequestError(
                    f"The Host header {host[:100]!r} does not name this server: it accepts "
                    "requests to localhost, 127.0.0.1 or [::1] only (start it with "
                    "--api-key-env to serve other names).",
                    status=403,
                    code="invalid_host",
                )
        key = request.headers.get("api-key", "").strip()
        authorization = request.headers.get("authorization", "").strip()
        if authorization[:7].lower() == "bearer ":
            key = authorization[7:].strip() or key
        if not key:
            raise RequestError(MISSING_KEY, status=401)
        if self.api_keys and not any(
            hmac.compare_digest(key.encode(), expected) for expected in self.api_keys
        ):
            raise RequestError(WRONG_KEY, status=401, code="invalid_api_key")
        beta = request.headers.get("openai-beta")
        if beta is None or not beta.strip():
            raise RequestError(MISSING_BETA)
        if BETA_VALUE not in [value.strip() for value in beta.split(",")]:
            raise RequestError(
                f"Invalid 'OpenAI-Beta' header value '{beta.strip()}'. "
                "Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
                code="invalid_beta",
            )


def names_loopback(host: str) -> bool:
    """Whether a ``Host`` header (``name[:port]``) names this machine's loopback."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        name, _, rest = host[1:].partition("]")
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return False
    else:
        name, _, port = host.partition(":")
        if port and not port.isdigit():
            return False
    if name in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
