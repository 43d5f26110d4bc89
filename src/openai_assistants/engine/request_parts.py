"""Checks every request builder shares: path IDs, ``include[]`` values and the JSON body text.

Moved out of ``create_run`` so that every operation refuses the same IDs and reads bodies the
same way. Each check raises :class:`InvalidSettingsError` naming the setting (the API name of
the path parameter, ``include`` or ``body``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import InvalidSettingsError
from ..operations.choices import path_id_label as path_id_label
from ..operations.model import INCLUDE_FILE_SEARCH_CONTENT

ALLOWED_INCLUDE_VALUES = (INCLUDE_FILE_SEARCH_CONTENT,)
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_BODY_DEPTH = 64  # far deeper than any Assistants body; keeps every later step bounded

# the words a user sees for each path parameter: (setting label, kind of object, example ID)
PATH_ID_WORDS = {
    "assistant_id": ("Assistant ID", "assistant", "asst_abc123"),
    "thread_id": ("Thread ID", "thread", "thread_abc123"),
    "message_id": ("Message ID", "message", "msg_abc123"),
    "run_id": ("Run ID", "run", "run_abc123"),
    "step_id": ("Step ID", "run step", "step_abc123"),
    "file_id": ("File ID", "file", "file-abc123"),
    "vector_store_id": ("Vector store ID", "vector store", "vs_abc123"),
    "batch_id": ("Batch ID", "file batch", "vsfb_abc123"),
}


def validate_path_id(name: str, value: str) -> None:
    """Refuse IDs that could re-route the request; others are percent-encoded in the path."""
    label, kind, example = PATH_ID_WORDS.get(name, (name, name, "abc123"))
    if value in (".", ".."):
        raise InvalidSettingsError(
            f"The {label} '{value}' is not a {kind} ID (it would change the URL path).",
            setting=name,
        )
    if not (value.isascii() and value.isprintable()) or " " in value:  # ASCII 33..126 only
        raise InvalidSettingsError(
            f"The {label} {value!r} contains spaces, line breaks, control or non-ASCII "
            f"characters; {kind} IDs look like {example}.",
            setting=name,
        )


def empty_path_id_error(name: str) -> InvalidSettingsError:
    """The error for a path parameter that has no value."""
    label, kind, example = PATH_ID_WORDS.get(name, (name, name, "abc123"))
    return InvalidSettingsError(
        f"The {label} is empty. Enter the ID of the {kind} (e.g. {example}).",
        setting=name,
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


def parse_body(text: str, example: str = '{"assistant_id": "asst_..."}') -> dict[str, Any]:
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
            f"The JSON body is empty. Enter a JSON object such as {example}.",
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
            f"The JSON body must be a JSON object {{...}}, not {json_kind(body)}.",
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


def json_kind(value: Any) -> str:
    """How a user would call this JSON value."""
    if isinstance(value, list):
        return "an array [...]"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object {...}"
    return "a number"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")
