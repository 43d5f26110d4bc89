"""Create Run settings -> a validated ``POST /threads/{thread_id}/runs`` request.

Everything is checked before anything is sent, and all problems are reported together. The
request matches what the official ``openai`` Python SDK sends for the same inputs
(``client.beta.threads.runs.create(thread_id, include=[...], **body)``): method, path, one
``include[]`` query pair per value, JSON body and the OpenAI headers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .body_schema import PATH_PARAMETER, check_body
from .connection import ConnectionConfig, validate_connection
from .endpoints import api_url, request_headers
from .errors import InvalidBodyError, InvalidSettingsError
from .exchange import ApiRequest
from .results import ResultFormat

INCLUDE_FILE_SEARCH_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"
ALLOWED_INCLUDE_VALUES = (INCLUDE_FILE_SEARCH_CONTENT,)
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_BODY_DEPTH = 64  # far deeper than any Assistants body; keeps every later step bounded
RUN_OBJECT = "thread.run"
DEFAULT_BODY = '{\n  "assistant_id": ""\n}'


@dataclass(frozen=True)
class CreateRunSettings:
    """The Create Run dialog, as plain data (keys match the KNIME settings)."""

    thread_id: str = ""
    include: tuple[str, ...] = ()
    body: str = DEFAULT_BODY
    allow_unknown_fields: bool = False


@dataclass(frozen=True)
class PreparedRequest:
    """A request that passed validation, and the warnings the user should still see."""

    request: ApiRequest
    warnings: list[str] = field(default_factory=list)
    thread_id: str = ""


def prepare_create_run(settings: CreateRunSettings, config: ConnectionConfig) -> PreparedRequest:
    """Validate settings and configuration and build the request; raise if anything is wrong.

    The same settings and configuration give the same request, so the result is remembered:
    a node executed again, or a table whose rows share a body, is validated once.
    """
    try:
        prepared = _prepare_cached(settings, config)
    except TypeError:  # unhashable values (e.g. a list in a hand-made config): no cache
        prepared = _prepare(settings, config)
    return PreparedRequest(prepared.request, list(prepared.warnings), prepared.thread_id)


@lru_cache(maxsize=256)
def _prepare_cached(settings: CreateRunSettings, config: ConnectionConfig) -> PreparedRequest:
    return _prepare(settings, config)


def _prepare(settings: CreateRunSettings, config: ConnectionConfig) -> PreparedRequest:
    warnings = validate_connection(config)
    body = parse_body(settings.body)
    thread_id = resolve_thread_id(settings.thread_id, body)
    include = validate_include(settings.include)
    body_warnings = _validated_body_warnings(settings.body, settings.allow_unknown_fields, body)
    sent_body = {k: v for k, v in body.items() if k != PATH_PARAMETER}
    stream = sent_body.get("stream") is True
    request = ApiRequest(
        method="POST",
        url=run_url(config, thread_id, include),
        headers=request_headers(config, stream=stream),
        body=encode_body(sent_body),
        stream=stream,
        subject=f"a run on thread '{thread_id}'",
        expect_object=RUN_OBJECT,
    )
    return PreparedRequest(request, warnings + body_warnings, thread_id)


_SCHEMA_CHECKED: dict[tuple[str, bool], list[str]] = {}
_SCHEMA_CHECKED_LIMIT = 256


def _validated_body_warnings(text: str, allow_unknown: bool, body: dict[str, Any]) -> list[str]:
    """The schema check of a body text, done once per distinct text: a table whose rows share
    a body but not a thread is checked once, not once per row. Invalid bodies are not kept,
    so they are reported every time."""
    key = (text, allow_unknown)
    known = _SCHEMA_CHECKED.get(key)
    if known is None:
        known = validate_body(body, allow_unknown)
        if len(_SCHEMA_CHECKED) >= _SCHEMA_CHECKED_LIMIT:
            _SCHEMA_CHECKED.clear()
        _SCHEMA_CHECKED[key] = known
    return list(known)


def encode_body(body: dict[str, Any]) -> bytes:
    """The body as sent: compact UTF-8 JSON. Lone surrogates cannot be sent and are refused."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        path = _surrogate_path(body) or "(somewhere)"
        raise InvalidSettingsError(
            f"The JSON body contains a lone surrogate (an invalid Unicode character such as "
            f"\\ud800) at {path}; it cannot be sent as UTF-8. Remove it.",
            setting="body",
        ) from None


def check_table_settings(
    settings: CreateRunSettings,
    config: ConnectionConfig,
    *,
    thread_from_column: bool,
    body_from_column: bool,
) -> list[str]:
    """configure() with an input table: check what does not come from the table's columns.

    Each row is still fully validated before its request is sent.
    """
    warnings = validate_connection(config)
    validate_include(settings.include)
    if not body_from_column:
        body = parse_body(settings.body)
        if not thread_from_column:
            resolve_thread_id(settings.thread_id, body)
        warnings += validate_body(body, settings.allow_unknown_fields)
    elif not thread_from_column and settings.thread_id.strip():
        validate_thread_id(settings.thread_id.strip())
    return warnings


def check_format_fits_body(result_format: ResultFormat, body_text: str) -> None:
    """The Events format shows a stream's events, so the body must ask for a stream."""
    if result_format is ResultFormat.EVENTS and not asks_for_stream(body_text):
        raise InvalidSettingsError(
            'Result Format "Events" needs "stream": true in the body.', setting="result_format"
        )


def asks_for_stream(body_text: str) -> bool:
    """Whether a (valid) body asks for server-sent events."""
    try:
        body = json.loads(body_text)
    except (ValueError, RecursionError, TypeError):
        return False
    return isinstance(body, dict) and body.get("stream") is True


def parse_body(text: str) -> dict[str, Any]:
    """The body setting as a JSON object; syntax errors give line and column.

    Refused as well: numbers JSON cannot carry (``1e400`` would become Infinity), nesting
    deeper than ``MAX_BODY_DEPTH`` and text that is not valid Unicode.
    """
    if not isinstance(text, str):
        raise InvalidSettingsError("The JSON body must be text.", setting="body")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise InvalidSettingsError(
            f"The JSON body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB; "
            "the API does not accept bodies this large.",
            setting="body",
        )
    if not text.strip():
        raise InvalidSettingsError(
            'The JSON body is empty. Enter a JSON object such as {"assistant_id": "asst_..."}.',
            setting="body",
        )
    if text.count("[") + text.count("{") > MAX_BODY_DEPTH and _nesting_depth(text) > MAX_BODY_DEPTH:
        raise InvalidSettingsError(
            f"The JSON body is nested more than {MAX_BODY_DEPTH} levels deep; no API body is.",
            setting="body",
        )
    try:
        body = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InvalidSettingsError(
            f"The JSON body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            setting="body",
        ) from None
    except ValueError as exc:
        raise InvalidSettingsError(
            f"The JSON body is not valid JSON: {exc}", setting="body"
        ) from None
    except RecursionError:
        raise InvalidSettingsError(
            f"The JSON body is nested more than {MAX_BODY_DEPTH} levels deep; no API body is.",
            setting="body",
        ) from None
    if not isinstance(body, dict):
        raise InvalidSettingsError(
            f"The JSON body must be a JSON object {{...}}, not {_json_kind(body)}.",
            setting="body",
        )
    path = _surrogate_path(body)
    if path is not None:
        raise InvalidSettingsError(
            f"The JSON body contains a lone surrogate (an invalid Unicode character such as "
            f"\\ud800) at {path}; it cannot be sent as UTF-8. Remove it.",
            setting="body",
        )
    return body


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        shown = literal if len(literal) <= 40 else literal[:39] + "…"
        raise ValueError(f"the number {shown} is too large for JSON (it would become Infinity)")
    return value


def _nesting_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting outside strings, counted without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _surrogate_path(value: Any, path: str = "") -> str | None:
    """The JSON path of the first string (or key) holding a lone surrogate, else None."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if any(0xD800 <= ord(ch) <= 0xDFFF for ch in item):
                return where or "(top level)"
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                if any(0xD800 <= ord(ch) <= 0xDFFF for ch in key):
                    return f"{where}.{key!r}" if where else repr(key)
                stack.append((child, f"{where}.{key}" if where else key))
        elif isinstance(item, list):
            for index in reversed(range(len(item))):
                stack.append((item[index], f"{where}[{index}]"))
    return None


def resolve_thread_id(setting: str, body: dict[str, Any]) -> str:
    """The path's thread: the setting, else the body's ``thread_id``; they must agree."""
    from_setting = (setting or "").strip()
    from_body = body.get(PATH_PARAMETER)
    if from_body is not None and not isinstance(from_body, str):
        raise InvalidBodyError([f"thread_id: {json.dumps(from_body)} is not of type 'string'"])
    from_body = (from_body or "").strip()
    if from_setting and from_body and from_setting != from_body:
        raise InvalidSettingsError(
            f"The Thread ID setting '{from_setting}' contradicts thread_id '{from_body}' in the "
            "JSON body. Remove thread_id from the body or make the two equal.",
            setting="thread_id",
        )
    thread_id = from_setting or from_body
    if not thread_id:
        raise InvalidSettingsError(
            "The Thread ID is empty. Enter the ID of the thread to run (e.g. thread_abc123).",
            setting="thread_id",
        )
    validate_thread_id(thread_id)
    return thread_id


def validate_thread_id(thread_id: str) -> None:
    """Refuse IDs that could re-route the request; others are percent-encoded in the path."""
    if thread_id in (".", ".."):
        raise InvalidSettingsError(
            f"The Thread ID '{thread_id}' is not a thread ID (it would change the URL path).",
            setting="thread_id",
        )
    bad = [ch for ch in thread_id if ord(ch) < 33 or ord(ch) == 127 or ord(ch) > 126]
    if bad:
        raise InvalidSettingsError(
            f"The Thread ID {thread_id!r} contains spaces, line breaks, control or non-ASCII "
            "characters; thread IDs look like thread_abc123.",
            setting="thread_id",
        )


def validate_include(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Only documented include[] values; duplicates are dropped, the order kept."""
    unknown = [v for v in values if v not in ALLOWED_INCLUDE_VALUES]
    if unknown:
        raise InvalidSettingsError(
            f"Include[] value{'s' if len(unknown) > 1 else ''} "
            + ", ".join(f"'{v}'" for v in unknown)
            + " not supported. Allowed: "
            + ", ".join(f"'{v}'" for v in ALLOWED_INCLUDE_VALUES)
            + ".",
            setting="include",
        )
    return tuple(dict.fromkeys(values))


def validate_body(body: dict[str, Any], allow_unknown_fields: bool) -> list[str]:
    """Raise with every violation; return warnings for unknown fields when they are allowed."""
    sent = {k: v for k, v in body.items() if k != PATH_PARAMETER}
    problems = check_body(sent)
    violations = list(problems.violations)
    assistant_id = sent.get("assistant_id")
    if isinstance(assistant_id, str) and not assistant_id.strip():
        violations.insert(0, "assistant_id: must not be empty (e.g. asst_abc123)")
    if allow_unknown_fields:
        warnings = [f"Sent as written: {p}." for p in problems.unknown_fields]
    else:
        violations += [
            f"{p}; remove them or enable 'Allow unknown fields'" for p in problems.unknown_fields
        ]
        warnings = []
    if violations:
        raise InvalidBodyError(violations)
    return warnings


def run_url(config: ConnectionConfig, thread_id: str, include: tuple[str, ...]) -> str:
    """``{base_url}/threads/{thread_id}/runs`` with one ``include[]`` pair per value."""
    return api_url(
        config, thread_id, "runs", raw_path="threads", query=[("include[]", v) for v in include]
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array [...]"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
