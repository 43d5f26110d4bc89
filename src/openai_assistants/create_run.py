"""Create Run settings -> a validated ``POST /threads/{thread_id}/runs`` request.

Everything is checked before anything is sent, and all problems are reported together. The
request matches what the official ``openai`` Python SDK sends for the same inputs
(``client.beta.threads.runs.create(thread_id, include=[...], **body)``): method, path, one
``include[]`` query pair per value, JSON body and the OpenAI headers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .body_schema import PATH_PARAMETER, check_body
from .connection import ConnectionConfig, validate_connection
from .endpoints import api_url, request_headers
from .errors import InvalidBodyError, InvalidSettingsError
from .exchange import ApiRequest
from .operations.model import INCLUDE_FILE_SEARCH_CONTENT as INCLUDE_FILE_SEARCH_CONTENT
from .request_parts import ALLOWED_INCLUDE_VALUES as ALLOWED_INCLUDE_VALUES
from .request_parts import MAX_BODY_BYTES as MAX_BODY_BYTES
from .request_parts import (
    empty_path_id_error,
    encode_body,
    parse_body,
    validate_include,
    validate_path_id,
)
from .results import ResultFormat

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
        raise empty_path_id_error(PATH_PARAMETER)
    validate_thread_id(thread_id)
    return thread_id


def validate_thread_id(thread_id: str) -> None:
    """Refuse IDs that could re-route the request; others are percent-encoded in the path."""
    validate_path_id(PATH_PARAMETER, thread_id)


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
