"""Reading an answer: is it a success, and if not, what should the user be told?

Messages hold the status, method and URL (which never carry the key) and the API's own
``error.message``; a non-JSON error page is quoted only as a short excerpt.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from .events import error_event, final_run, is_complete, parse_event_stream
from .exchange import NOT_JSON, TOO_DEEP, ApiRequest, ApiResponse
from .retry_policy import Outcome, may_have_been_processed

EXCERPT_CHARS = 200
DONE_LINE = "data: [DONE]"
RUN_OBJECT = "thread.run"


def http_error_message(
    request: ApiRequest, response: ApiResponse, *, not_found_hint: str = ""
) -> str:
    """``POST <url> failed: HTTP 404 Not Found: No thread found with id 'x'.`` and a hint;
    ``not_found_hint`` replaces the 404 hint (an operation names its own IDs)."""
    status = f"HTTP {response.status}"
    try:
        status += f" {HTTPStatus(response.status).phrase}"
    except ValueError:
        pass
    message = f"{request.where} failed: {status}"
    detail = api_error_message(response)
    if detail:
        message += f": {detail}"
    hint = not_found_hint if response.status == 404 and not_found_hint else _hint(response)
    if not message.endswith((".", "!", "?")):
        message += "."
    if (
        not request.idempotent
        and request.subject
        and may_have_been_processed(Outcome.ANSWERED, response.status)
    ):
        subject = request.subject[0].upper() + request.subject[1:]
        hint = (
            f"{subject} may have been created although the server reported an error; it was "
            "not sent again, to avoid creating it twice. Check before executing again. " + hint
        ).strip()
    return f"{message} {hint}" if hint else message


def api_error_message(response: ApiResponse) -> str:
    """The OpenAI error shape's ``error.message``, else a short excerpt of the body."""
    if 300 <= response.status < 400:
        location = response.header("location") or "(no location)"
        return f"redirected to {_origin(location)}; redirects are not followed"
    payload = response.json_or_none
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
    where = request.where
    if request.raw_answer:
        return None  # a file's bytes: any bytes are its content, none at all an empty file
    if request.stream and response.is_event_stream:
        events = response.events
        if events is None:
            events = tuple(parse_event_stream(response.text))
        server_error = error_event(events)
        if server_error is not None:
            return f"The event stream from {where} reported an error: {server_error}"
        if not is_complete(events):
            return (
                f"The event stream from {where} ended before '{DONE_LINE}': it was cut off. "
                "The run may still be going on the server."
            )
        return None
    if not response.text.strip():
        return f"{where} answered HTTP {response.status} with an empty body."
    payload = response.json
    if payload is TOO_DEEP:
        return (
            f"{where} answered HTTP {response.status} with JSON nested too deeply to read: "
            f"{excerpt(response.text)}"
        )
    if payload is NOT_JSON:
        return (
            f"{where} answered HTTP {response.status} with a body that is not JSON: "
            f"{excerpt(response.text)}"
        )
    if request.expect_object:
        return _object_problem(request, response, payload)
    return None


def _object_problem(request: ApiRequest, response: ApiResponse, payload: Any) -> str | None:
    """A success answer must be the object the request creates or reads, with its id."""
    where, expected = request.where, request.expect_object
    start = f"{where} answered HTTP {response.status}, but not with a {expected} object"
    if not isinstance(payload, dict):
        kind = "an array" if isinstance(payload, list) else f"a JSON {type(payload).__name__}"
        return f"{start}: the body is {kind}: {excerpt(response.text)}"
    error = payload.get("error")
    if error is not None and "id" not in payload:
        detail = error.get("message") if isinstance(error, dict) else error
        return f"{start}: the body is an error: {excerpt(str(detail))}"
    if not isinstance(payload.get("id"), str) or not payload["id"]:
        return f"{start}: it has no id: {excerpt(response.text)}"
    found = payload.get("object")
    if found is not None and found != expected:
        return f"{start}: its object is {excerpt(str(found), 60)}."
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


def stream_run_problem(request: ApiRequest, response: ApiResponse) -> str | None:
    """Why a complete event stream that should show a run cannot: none of its events carries
    a ``thread.run`` object (the Structured result would be a row of missing values)."""
    if not (request.stream and response.is_event_stream and request.expect_object == RUN_OBJECT):
        return None
    events = response.events
    if events is None:
        events = tuple(parse_event_stream(response.text))
    if final_run(events) is not None:
        return None
    return (
        f"The event stream from {request.where} (HTTP {response.status}) ended with no run: "
        "none of its events carries a thread.run object, so there is nothing to show as a "
        "Structured row. Choose the Raw Response or Events format to see what was received."
    )
