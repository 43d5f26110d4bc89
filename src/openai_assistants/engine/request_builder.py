"""Any operation's inputs -> one validated request, the same one the official SDK sends.

Pure: no I/O, no key. The inputs are those of a node or a subcommand: path parameter values
(by API name), query values (by settings key: ``limit``, ``order``, ``after``, ``before``,
``run_id``, ``include``), the JSON body (text or dict) and the connection configuration.
Everything is checked before anything is sent and every problem is reported at once, each
naming its setting, so a user fixes a dialog in one pass.

Rules shared by every operation:
- each path parameter is one percent-encoded segment; IDs with spaces, control or non-ASCII
  characters, ``.`` and ``..`` are refused (``request_parts.validate_path_id``);
- a path parameter the body schema does not define may also be given in the body (as Create
  Run's ``thread_id`` always could): used when the setting is empty, an error when it
  contradicts the setting, and never sent in the body;
- query parameters that are empty are not sent (the API applies its defaults, as with the
  SDK); ``include`` becomes one ``include[]`` pair per value;
- the body is validated against the operation's packaged schema (``body_schema``) with every
  violation listed by JSON path; operations without a body send none;
- ``"stream": true`` asks for server-sent events only where the operation can stream.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..client.connection import ConnectionConfig, validate_connection
from ..client.endpoints import api_url, request_headers
from ..client.exchange import ApiRequest
from ..errors import InvalidBodyError, InvalidRequestSettingsError, InvalidSettingsError
from ..memo import Memo
from ..operations.body_schema import check_body, load_schema
from ..operations.choices import QUERY_LABELS as QUERY_LABELS
from ..operations.model import Operation, QueryKind, QueryParameter
from .request_parts import (
    empty_path_id_error,
    encode_body,
    json_kind,
    parse_body,
    path_id_label,
    validate_include,
    validate_path_id,
)


@dataclass(frozen=True)
class BuiltRequest:
    """A request that passed validation, what it acts on, and warnings the user should see."""

    operation: Operation
    request: ApiRequest
    path_values: dict[str, str]
    subject: str  # e.g. "a run on thread 'thread_1'", for messages about an ambiguous send
    warnings: list[str] = field(default_factory=list)


def build_request(
    operation: Operation,
    path_values: Mapping[str, str | None] | None = None,
    query_values: Mapping[str, Any] | None = None,
    body: str | Mapping[str, Any] | None = None,
    config: ConnectionConfig | None = None,
    *,
    allow_unknown_fields: bool = False,
    expect_object: str = "",
) -> BuiltRequest:
    """Validate every input and build the request; raise with every problem at once.

    ``expect_object``: the ``object`` a success answer must carry (``ApiRequest``).

    Raises the single :class:`InvalidSettingsError` (or :class:`InvalidBodyError`) when one
    setting is wrong, :class:`InvalidRequestSettingsError` when several are.
    """
    config = config or ConnectionConfig()
    problems: list[InvalidSettingsError] = []
    warnings = _collect(problems, validate_connection, config) or []
    body_key = (operation, body, allow_unknown_fields) if isinstance(body, str) else None
    checked = _CHECKED_BODIES.get(body_key)
    if checked is not None:
        parsed: dict | None = dict(checked.parsed)
    else:
        parsed = _collect(problems, _parse_body, operation, body)
    sent_body = dict(parsed) if parsed is not None else None
    resolved = _resolve_path_values(operation, path_values or {}, sent_body, problems)
    query = _collect(problems, build_query, operation, query_values or {})
    body_warnings: list[str] = []
    if sent_body is not None:
        if operation.upload_field and not sent_body.get(operation.upload_field):
            from ..client.multipart import no_file_error

            problems.append(no_file_error(operation.upload_field))  # said as the setting
        elif checked is not None:
            body_warnings = list(checked.warnings)
        else:
            body_warnings = (
                _collect(problems, validate_body, operation, sent_body, allow_unknown_fields) or []
            )
    warnings += body_warnings
    if problems:
        raise problems[0] if len(problems) == 1 else InvalidRequestSettingsError(problems)
    stream = operation.can_stream and sent_body is not None and sent_body.get("stream") is True
    headers = request_headers(
        config,
        stream=stream,
        json_body=operation.has_body and not operation.upload_field,
        beta=operation.beta_header,
        accept=operation.accept,
    )
    if operation.upload_field and sent_body is not None:
        encoded, headers = _upload(operation, sent_body, headers)
    elif sent_body is None:
        encoded = b""
    elif checked is not None:
        encoded = checked.encoded
    else:
        encoded = encode_body(sent_body)
        if body_key is not None and parsed is not None:
            memo = _CheckedBody(parsed, tuple(body_warnings), encoded)
            _CHECKED_BODIES.put(body_key, memo, size=len(encoded))
    subject = operation.describe_subject(resolved)
    request = ApiRequest(
        method=operation.method,
        url=operation_url(config, operation, resolved, query or []),
        headers=headers,
        body=encoded,  # type: ignore[arg-type]  # bytes, or an upload streamed from disk
        stream=stream,
        subject=subject,
        expect_object=expect_object,
        raw_answer=operation.raw_answer,
    )
    return BuiltRequest(
        operation=operation,
        request=request,
        path_values=resolved,
        subject=subject,
        warnings=warnings,
    )


def _upload(
    operation: Operation, body: dict[str, Any], headers: tuple[tuple[str, str], ...]
) -> tuple[Any, tuple[tuple[str, str], ...]]:
    """A multipart upload: the body's file streamed from disk, its other fields as form
    fields in the schema's order (``client.files.create``'s); its type and length headers."""
    from ..client.multipart import upload_body

    order = tuple(load_schema(operation.body_schema).get("properties", {}))
    upload = upload_body(body, operation.upload_field, order)
    extra = (("Content-Type", upload.content_type), ("Content-Length", str(len(upload))))
    return upload, (*headers, *extra)


@dataclass(frozen=True)
class _CheckedBody:
    """A body text that parsed and passed its schema: what a row with it sends."""

    parsed: dict[str, Any]  # as parsed, path parameters not yet taken out (never mutated)
    warnings: tuple[str, ...]
    encoded: bytes


# Rows of a table usually share their body and differ in an ID: the body is parsed and
# checked once per distinct text (and operation, and allow_unknown_fields), not per row.
_CHECKED_BODIES: Memo[_CheckedBody] = Memo("checked bodies", 256, max_size=64 * 1024)


def check_settings(
    operation: Operation,
    path_values: Mapping[str, str | None] | None = None,
    query_values: Mapping[str, Any] | None = None,
    body: str | Mapping[str, Any] | None = None,
    config: ConnectionConfig | None = None,
    *,
    allow_unknown_fields: bool = False,
    from_columns: Collection[str] = (),
) -> list[str]:
    """configure() with an input table: check what does not come from a column.

    ``from_columns`` holds the settings keys (path parameter names, ``body``) whose values
    come from the table; those are checked per row when each request is built. Returns the
    warnings; raises like :func:`build_request`.
    """
    if not from_columns:
        return build_request(
            operation,
            path_values,
            query_values,
            body,
            config,
            allow_unknown_fields=allow_unknown_fields,
        ).warnings
    config = config or ConnectionConfig()
    problems: list[InvalidSettingsError] = []
    warnings = _collect(problems, validate_connection, config) or []
    _collect(problems, build_query, operation, query_values or {})
    body_from_rows = "body" in from_columns or bool(
        set(operation.column_settings) & set(from_columns)
    )
    if not body_from_rows and operation.has_body:
        parsed = _collect(problems, _parse_body, operation, body)
        if parsed is not None:
            for name in set(operation.path_parameters) - _schema_fields(operation):
                parsed.pop(name, None)
            warnings += (
                _collect(problems, validate_body, operation, parsed, allow_unknown_fields) or []
            )
    for name in operation.path_parameters:
        value = (path_values or {}).get(name)
        if name not in from_columns and isinstance(value, str) and value.strip():
            _collect(problems, validate_path_id, name, value.strip())
        elif name not in from_columns and value is not None and not isinstance(value, str):
            problems.append(
                InvalidSettingsError(
                    f"The {path_id_label(name)} must be text, not {json_kind(value)}.",
                    setting=name,
                )
            )
    if problems:
        raise problems[0] if len(problems) == 1 else InvalidRequestSettingsError(problems)
    return warnings


def operation_url(
    config: ConnectionConfig,
    operation: Operation,
    path_values: Mapping[str, str],
    query: list[tuple[str, str]],
) -> str:
    """``{base_url}{path}?{query}`` with each path parameter as one encoded segment."""
    segments = [
        path_values[part[1:-1]] if part.startswith("{") else part
        for part in operation.path.strip("/").split("/")
    ]
    return api_url(config, *segments, query=query)


def build_query(operation: Operation, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The query pairs, in the reference's order; empty values are left out."""
    unknown = [key for key in values if operation.query_parameter(key) is None]
    if unknown:
        allowed = ", ".join(q.setting for q in operation.query_parameters) or "none"
        raise InvalidSettingsError(
            f"{operation.node_name} has no query setting "
            + ", ".join(f"'{k}'" for k in unknown)
            + f" (allowed: {allowed}).",
            setting=unknown[0],
        )
    pairs: list[tuple[str, str]] = []
    problems: list[InvalidSettingsError] = []
    for parameter in operation.query_parameters:
        value = values.get(parameter.setting)
        written = _collect(problems, _query_values, parameter, value)
        pairs += [(parameter.name, v) for v in written or ()]
    if problems:
        raise problems[0] if len(problems) == 1 else InvalidRequestSettingsError(problems)
    return pairs


def validate_body(
    operation: Operation, body: dict[str, Any], allow_unknown_fields: bool = False
) -> list[str]:
    """Raise with every violation; return warnings for unknown fields when they are allowed."""
    if operation.body_schema is None:
        return []
    problems = check_body(body, operation.body_schema)
    violations = list(problems.violations)
    blank = [
        name
        for name, value in body.items()
        if name.endswith("_id") and isinstance(value, str) and not value.strip()
    ]
    for name in reversed(blank):
        example = {"assistant_id": "asst_abc123"}.get(name, f"{name[:-3]}_abc123")
        violations.insert(0, f"{name}: must not be empty (e.g. {example})")
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


def _query_values(parameter: QueryParameter, value: Any) -> list[str]:
    label = QUERY_LABELS.get(parameter.setting, parameter.setting)
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if parameter.kind is QueryKind.REPEATED:
        if not isinstance(value, (str, list, tuple)):
            raise InvalidSettingsError(
                f"{label}: {value!r} is not a list of values.", setting=parameter.setting
            )
        items = [value] if isinstance(value, str) else list(value)
        if parameter.setting == "include":
            return list(validate_include([str(v) for v in items]))
        return list(dict.fromkeys(str(v) for v in items))
    if parameter.kind is QueryKind.INTEGER:
        number = _as_int(value)
        if number is None:
            raise InvalidSettingsError(
                f"{label}: {value!r} is not a whole number.", setting=parameter.setting
            )
        if parameter.minimum is not None and number < parameter.minimum:
            raise InvalidSettingsError(
                f"{label}: {number} is below the minimum {parameter.minimum}.",
                setting=parameter.setting,
            )
        if parameter.maximum is not None and number > parameter.maximum:
            raise InvalidSettingsError(
                f"{label}: {number} is above the maximum {parameter.maximum}.",
                setting=parameter.setting,
            )
        return [str(number)]
    if not isinstance(value, str):
        raise InvalidSettingsError(f"{label}: {value!r} is not text.", setting=parameter.setting)
    text = value.strip()
    if parameter.allowed and text not in parameter.allowed:
        raise InvalidSettingsError(
            f"{label}: '{text}' is not one of "
            + ", ".join(f"'{a}'" for a in parameter.allowed)
            + ".",
            setting=parameter.setting,
        )
    return [text]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _parse_body(operation: Operation, body: str | Mapping[str, Any] | None) -> dict | None:
    """The body as a dict; ``None`` for operations without one (which must not get one)."""
    if not operation.has_body:
        if body is None or (isinstance(body, str) and not body.strip()) or body == {}:
            return None
        raise InvalidSettingsError(
            f"{operation.node_name} sends no body; remove the JSON body.", setting="body"
        )
    if isinstance(body, Mapping):
        return dict(body)
    if body is not None and not isinstance(body, str):
        raise InvalidSettingsError(
            f"The JSON body must be a JSON object {{...}}, not {json_kind(body)}.",
            setting="body",
        )
    required = load_schema(operation.body_schema).get("required", [])
    if body is None or (not body.strip() and not required):
        return {}  # every field optional: an empty body is the empty object
    example = "{" + ", ".join(f'"{name}": ...' for name in required) + "}"
    return parse_body(body, example=example)


def _schema_fields(operation: Operation) -> set[str]:
    if operation.body_schema is None:
        return set()
    return set(load_schema(operation.body_schema).get("properties", {}))


def _resolve_path_values(
    operation: Operation,
    settings: Mapping[str, str | None],
    body: dict[str, Any] | None,
    problems: list[InvalidSettingsError],
) -> dict[str, str]:
    """Each path parameter from its setting, else from the body; taken out of the body."""
    in_schema = _schema_fields(operation)
    resolved: dict[str, str] = {}
    for name in operation.path_parameters:
        from_setting = settings.get(name)
        if from_setting is not None and not isinstance(from_setting, str):
            problems.append(
                InvalidSettingsError(
                    f"The {path_id_label(name)} must be text, not {json_kind(from_setting)}.",
                    setting=name,
                )
            )
            continue
        from_setting = (from_setting or "").strip()
        from_body: Any = None
        if body is not None and name not in in_schema:
            from_body = body.pop(name, None)
        if from_body is not None and not isinstance(from_body, str):
            problems.append(
                InvalidBodyError([f"{name}: {json.dumps(from_body)} is not of type 'string'"])
            )
            continue
        from_body = (from_body or "").strip()
        if from_setting and from_body and from_setting != from_body:
            label = path_id_label(name)
            problems.append(
                InvalidSettingsError(
                    f"The {label} setting '{from_setting}' contradicts {name} '{from_body}' in "
                    f"the JSON body. Remove {name} from the body or make the two equal.",
                    setting=name,
                )
            )
            continue
        value = from_setting or from_body
        if not value:
            problems.append(empty_path_id_error(name))
            continue
        try:
            validate_path_id(name, value)
        except InvalidSettingsError as exc:
            problems.append(exc)
            continue
        resolved[name] = value
    return resolved


def _collect(problems: list[InvalidSettingsError], check: Any, *args: Any) -> Any:
    """Run one check; on failure note its error(s) and return ``None``."""
    try:
        return check(*args)
    except InvalidRequestSettingsError as exc:
        problems.extend(exc.problems)
    except InvalidSettingsError as exc:
        problems.append(exc)
    return None
