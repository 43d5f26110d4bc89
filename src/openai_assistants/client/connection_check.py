"""Whether a configuration reaches an Assistants server that accepts its key, and if not, why.

One cheap authenticated request, ``GET {base_url}/assistants?limit=1`` (what the official SDK
sends for ``client.beta.assistants.list(limit=1)``), answers three questions a user setting up
a connection has, each with its own failure:

    wrong key                 401 (the key was refused) or 403 (the key may not use the API)
    wrong base URL            no connection, 404, or a 2xx answer that is not JSON (a web page)
    not an Assistants server  a 2xx JSON answer that is not a list (e.g. a server that serves
                              Chat Completions only, or another API at that URL)

Anything else (429 after the retries, 5xx) is reported with the server's message. The decision
(:func:`verdict_on_answer`, :func:`verdict_on_failure`) is pure; :func:`check_connection`
sends through the one client (:class:`~.client.ApiClient`) with its retry policy. No message holds
the key, nor a server's 401 text (OpenAI's echoes a masked key).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from ..errors import (
    HttpStatusError,
    RequestFailedError,
    ResponseFormatError,
    TransportError,
)
from .connection import ConnectionConfig
from .endpoints import api_url, request_headers
from .exchange import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from .client import ApiClient

CHECK_TIME_LIMIT_SECONDS = 60.0  # the check, retries included, never holds a node longer
_EXAMPLES = (
    "e.g. https://api.openai.com/v1 (OpenAI), https://<resource>.openai.azure.com/openai "
    "(Azure OpenAI) or http://127.0.0.1:8000/v1 (openai-assistants serve)"
)


class Problem(str, Enum):
    WRONG_KEY = "wrong key"
    WRONG_BASE_URL = "wrong base URL"
    NOT_ASSISTANTS_SERVER = "not an Assistants server"
    SERVER_ERROR = "server error"


@dataclass(frozen=True)
class Verdict:
    """Why the check failed: the kind of problem, and the error to report (its message says
    what to change)."""

    problem: Problem
    error: RequestFailedError

    @property
    def message(self) -> str:
        return str(self.error)


def check_request(config: ConnectionConfig) -> ApiRequest:
    """The check's request: a list of at most one assistant, with every header but the key."""
    return ApiRequest(
        method="GET",
        url=api_url(config, "assistants", query=[("limit", "1")]),
        headers=request_headers(config, json_body=False),
    )


def verdict_on_answer(
    config: ConnectionConfig, request: ApiRequest, response: ApiResponse
) -> Verdict | None:
    """None when the answer is an Assistants list; else what is wrong."""
    base = config.base_url.strip()
    where = request.where
    status = response.status
    if status == 401:
        message = (
            f"Connection check: the server at {base} refused the API key from "
            f"{config.key_source_text} (HTTP 401 Unauthorized for {where}). Check that the "
            "key is valid for this server and was copied completely."
        )
        return Verdict(Problem.WRONG_KEY, HttpStatusError(message, response, request=request))
    if status == 403:
        message = (
            f"Connection check: the API key from {config.key_source_text} may not use the "
            f"Assistants API at {base} (HTTP 403 Forbidden for {where}). Check the key's "
            "permissions and the Organization and Project settings."
        )
        return Verdict(Problem.WRONG_KEY, HttpStatusError(message, response, request=request))
    if status == 404:
        message = (
            f"Connection check: nothing answers at {where} (HTTP 404 Not Found): the base URL "
            f"'{base}' is probably wrong. It ends before '/assistants', {_EXAMPLES}."
        )
        return Verdict(Problem.WRONG_BASE_URL, HttpStatusError(message, response, request=request))
    if not response.ok:
        from .response_checks import http_error_message

        message = "Connection check: " + http_error_message(request, response)
        return Verdict(Problem.SERVER_ERROR, HttpStatusError(message, response, request=request))
    body = response.json_or_none
    if body is None:
        kind = response.media_type or "no content type"
        message = (
            f"Connection check: {where} answered HTTP {status} with a body that is not JSON "
            f"({kind}): the base URL '{base}' probably points to a web page, not to the API. "
            f"Set the API's base URL, {_EXAMPLES}."
        )
        return Verdict(Problem.WRONG_BASE_URL, ResponseFormatError(message, request=request))
    if not (isinstance(body, dict) and body.get("object") == "list" and "data" in body):
        message = (
            f"Connection check: {where} answered HTTP {status} with JSON that is not a list of "
            f"assistants: the server at '{base}' does not serve the Assistants API (v2) (a "
            "server for Chat Completions only, or another API). Point the base URL to an "
            "Assistants server, such as OpenAI's or `openai-assistants serve`."
        )
        return Verdict(Problem.NOT_ASSISTANTS_SERVER, ResponseFormatError(message, request=request))
    return None


def verdict_on_failure(
    config: ConnectionConfig, request: ApiRequest, failure: RequestFailedError
) -> Verdict:
    """No usable answer came back: the connection failed, or the answer could not be read."""
    base = config.base_url.strip()
    if isinstance(failure, TransportError):
        message = (
            f"Connection check: could not reach {base} ({failure}). Check the base URL, "
            f"{_EXAMPLES}; behind a proxy that inspects TLS, also the CA bundle."
        )
        return Verdict(Problem.WRONG_BASE_URL, TransportError(message, request=request))
    message = (
        f"Connection check: the answer to {request.where} could not be read ({failure}): the "
        f"server at '{base}' does not answer as the Assistants API does."
    )
    return Verdict(Problem.NOT_ASSISTANTS_SERVER, ResponseFormatError(message, request=request))


def check_connection(client: ApiClient) -> Verdict | None:
    """Send the check through ``client`` (retried as any GET is, within
    :data:`CHECK_TIME_LIMIT_SECONDS`); None when the configuration reaches an Assistants
    server that accepts the key."""
    limited = client.with_time_limit(CHECK_TIME_LIMIT_SECONDS)
    request = check_request(limited.config)
    try:
        response = limited.send(request)
    except (TransportError, ResponseFormatError) as failure:
        return verdict_on_failure(limited.config, request, failure)
    return verdict_on_answer(limited.config, request, response)
