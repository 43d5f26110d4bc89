"""Who may call the API: the client's key, then the ``OpenAI-Beta: assistants=v2`` header.

Authentication comes first (401), then the header the Assistants API requires (400), in the
real API's wording; a wrong key is never quoted back.
"""

from __future__ import annotations

import hmac
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
# Files and vector stores are not Assistants operations: the SDK sends no beta header for them
WITHOUT_BETA = ("/v1/files", "/v1/vector_stores")


class Access:
    """The accepted client keys (none: any non-empty key)."""

    def __init__(self, api_keys: Sequence[str] | None = None) -> None:
        self.api_keys = [key.encode() for key in api_keys or () if key]

    def check(self, request: Request) -> None:
        """Refuse a request without an accepted key or without the Assistants beta header."""
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
        if request.url.path.startswith(WITHOUT_BETA) and not (beta or "").strip():
            return
        if beta is None or not beta.strip():
            raise RequestError(MISSING_BETA)
        if BETA_VALUE not in [value.strip() for value in beta.split(",")]:
            raise RequestError(
                f"Invalid 'OpenAI-Beta' header value '{beta.strip()}'. "
                "Please try again by setting the header 'OpenAI-Beta: assistants=v2'.",
                code="invalid_beta",
            )
