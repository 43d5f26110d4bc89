"""Every request body checked against its operation's schema, as the API documents it.

The schemas are the package's own (:mod:`openai_assistants.operations.schemas`, generated from
the official OpenAPI description), the ones the nodes check before sending, so the server
refuses what the API refuses and a node never sends what the server refuses. In order:

1. fields the schema does not know, anywhere in the body: ``Unknown parameter: 'x'.`` with
   ``param`` (OpenAI's wording, every operation alike);
2. the schema's rules (types, lengths, ranges, enums, item counts, content-part shapes),
   listed as the node lists them, ``param`` naming the first;
3. the rules the reference states in prose only: ``metadata`` (at most 16 pairs, keys up to
   64 and values up to 512 characters) wherever a schema has ``metadata``, and function names
   (``a-z``, ``A-Z``, ``0-9``, ``_``, ``-``, at most 64 characters).

Every refusal is a :class:`~.validation.RequestError`, a 400 in OpenAI's error shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..errors import InvalidBodyError
from ..operations.body_schema import check_body, load_schema
from .validation import RequestError

METADATA_PAIRS = 16
METADATA_KEY_LENGTH = 64
METADATA_VALUE_LENGTH = 512
FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def check_request_body(body: Any, schema: str) -> None:
    """Refuse ``body`` unless it is what the schema ``schema`` (e.g. ``CreateMessageRequest``)
    and the documented prose rules allow."""
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object.")
    definition = load_schema(schema)
    for path in _unknown_fields(body, definition, ""):
        raise RequestError(f"Unknown parameter: '{path}'.", param=path, code="unknown_parameter")
    violations = check_body(body, schema).violations
    if violations:
        param = _first_param(violations)
        missing = violations[0].endswith(": is required")
        raise RequestError(
            str(InvalidBodyError(violations)),
            param=param,
            code="missing_required_parameter" if missing else "invalid_value",
        )
    _prose_rules(body, definition, "")


def _first_param(violations: list[str]) -> str | None:
    """``additional_messages[0].role: ...`` -> ``additional_messages[0].role``."""
    head = violations[0].split(":", 1)[0].strip() if violations else ""
    return head if head and head != "$" and " " not in head else None


def _join(prefix: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{prefix}[{name}]"
    return f"{prefix}.{name}" if prefix else name


def _branches(schema: dict[str, Any], value: Any) -> Iterator[dict[str, Any]]:
    """The forms of ``schema`` that can describe ``value`` (alternatives of the right type)."""
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if not alternatives:
        yield schema
        return
    for alternative in alternatives:
        kind = alternative.get("type")
        if (
            (kind == "object" and isinstance(value, dict))
            or (kind == "array" and isinstance(value, list))
            or (kind is None and (alternative.get("anyOf") or alternative.get("oneOf")))
        ):
            yield from _branches(alternative, value)


def _object_form(schema: dict[str, Any], value: dict[str, Any]) -> dict[str, Any] | None:
    """The object form ``value`` meant: the one whose ``type`` constant matches, else the
    first (a tool or content part is told apart by its ``type``)."""
    forms = [f for f in _branches(schema, value) if f.get("type") == "object" or "properties" in f]
    for form in forms:
        tag = form.get("properties", {}).get("type", {}).get("enum")
        if tag and value.get("type") in tag:
            return form
    return forms[0] if len(forms) == 1 else None


def _unknown_fields(value: Any, schema: dict[str, Any], prefix: str) -> Iterator[str]:
    if isinstance(value, dict):
        form = _object_form(schema, value)
        if form is None:
            return
        properties = form.get("properties", {})
        for name, item in value.items():
            if name in properties:
                yield from _unknown_fields(item, properties[name], _join(prefix, name))
            elif form.get("additionalProperties") is False:
                yield _join(prefix, name)
    elif isinstance(value, list):
        for form in _branches(schema, value):
            items = form.get("items")
            if isinstance(items, dict):
                for i, item in enumerate(value):
                    yield from _unknown_fields(item, items, _join(prefix, i))
                return


def _prose_rules(value: Any, schema: dict[str, Any], prefix: str) -> None:
    if isinstance(value, dict):
        form = _object_form(schema, value)
        if form is None:
            return
        properties = form.get("properties", {})
        for name, item in value.items():
            if name not in properties:
                continue
            where = _join(prefix, name)
            if name == "metadata" and isinstance(item, dict):
                check_metadata(item, where)
            elif name == "function" and isinstance(item, dict) and "name" in item:
                _check_function_name(item["name"], _join(where, "name"))
            _prose_rules(item, properties[name], where)
    elif isinstance(value, list):
        for form in _branches(schema, value):
            items = form.get("items")
            if isinstance(items, dict):
                for i, item in enumerate(value):
                    _prose_rules(item, items, _join(prefix, i))
                return


def check_metadata(metadata: dict[str, Any], param: str = "metadata") -> None:
    """At most 16 pairs, keys up to 64 and string values up to 512 characters."""
    if len(metadata) > METADATA_PAIRS:
        raise RequestError(
            f"Invalid '{param}': too many properties. Expected an object with at most "
            f"{METADATA_PAIRS} properties, but got an object with {len(metadata)} properties "
            "instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, text in metadata.items():
        if len(key) > METADATA_KEY_LENGTH:
            raise RequestError(
                f"Invalid '{param}': key too long. Expected keys with maximum length "
                f"{METADATA_KEY_LENGTH}, but got a key with length {len(key)} instead.",
                param=param,
                code="string_above_max_length",
            )
        if isinstance(text, str) and len(text) > METADATA_VALUE_LENGTH:
            where = f"{param}.{key}"
            raise RequestError(
                f"Invalid '{where}': string too long. Expected a string with maximum length "
                f"{METADATA_VALUE_LENGTH}, but got a string with length {len(text)} instead.",
                param=where,
                code="string_above_max_length",
            )


def _check_function_name(name: Any, param: str) -> None:
    if isinstance(name, str) and not FUNCTION_NAME.fullmatch(name):
        raise RequestError(
            f"Invalid '{param}': {name[:80]!r} does not match '^[a-zA-Z0-9_-]{{1,64}}$' "
            "(letters, digits, underscores and dashes, at most 64 characters).",
            param=param,
            code="invalid_value",
        )
