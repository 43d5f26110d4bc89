"""Reading an answer: is it a success, and if not, what should the user be told?

Messages hold the status, method and URL (which never carry the key) and the API's own
``error.message``; a non-JSON error page is quoted only as a short excerpt.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import urlsplit

from .events import is_complete, parse_event_stream
from .exchange import ApiRequest, ApiResponse

EXCERPT_CHARS = 200
DONE_LINE = "data: [DONE]"


def http_error_message(request: ApiRequest, response: ApiResponse) -> str:
    """``POST <url> failed: HTTP 404 Not Found: No thread found with id 'x'.`` and a hint."""
    status = f"HTTP {response.status}"
    try:
        status += f" {HTTPStatus(response.status).phrase}"
    except ValueError:
        pass
    message = f"{request.method} {request.url} failed: {status}"
    detail = api_error_message(response)
    if detail:
        message += f": {detail}"
    hint = _hint(response)
    if not message.endswith((".", "!", "?")):
        message += "."
    return f"{message} {hint}" if hint else message


def api_error_message(response: ApiResponse) -> str:
    """The OpenAI error shape's ``error.message``, else a short excerpt of the body."""
    if 300 <= response.status < 400:
        location = response.header("location") or "(no location)"
        return f"redirected to {_origin(location)}; redirects are not followed"
    try:
        payload = json.loads(response.text)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"].strip()
        if isinstance(error, str):
            return error.strip()
    if not response.text.strip():
        return "the response body is empty"
    return f"unexpected response: {excerpt(response.text)}"


def success_body_problem(request: ApiRequest, response: ApiResponse) -> str | None:
    """Why a 2xx answer is not what the API promises, or None when it is fine."""
    where = f"{request.method} {request.url}"
    if request.stream and "text/event-stream" in (response.header("content-type") or ""):
        if not is_complete(parse_event_stream(response.text)):
            return (
                f"The event stream from {where} ended before '{DONE_LINE}': it was cut off. "
                "The run may still be going on the server."
            )
        return None
    if not response.text.strip():
        return f"{where} answered HTTP {response.status} with an empty body."
    try:
        json.loads(response.text)
    except ValueError:
        return (
            f"{where} answered HTTP {response.status} with a body that is not JSON: "
            f"{excerpt(response.text)}"
        )
    return None


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """One line, at most ``limit`` characters, for quoting a foreign body in a message."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def _hint(response: ApiResponse) -> str:
    if response.status == 401:
        return "Check the API key in the OpenAI Configuration node's credentials."
    if response.status == 404:
        return "Check the thread ID, the assistant ID and the base URL."
    if response.status == 429:
        return "Rate limit or quota reached; try again later or raise the retries."
    if 300 <= response.status < 400:
        return "Check the base URL."
    return ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
